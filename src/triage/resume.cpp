#include "triage/resume.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "binlogkit/core/text.hpp"

namespace binlogkit::detail {

// A MySQL set (MariaDB items are not one): std::nullopt when the text is none.
std::optional<gtid_set> parse_mysql_set(std::string_view text) {
  // Only blanks and commas: the empty set (a replica that executed nothing).
  if (std::all_of(text.begin(), text.end(), [](char c) { return c == ',' || is_blank(c); })) {
    return gtid_set{};
  }
  auto s = gtid_set::parse(text);
  if (!s || !s->mariadb().empty()) return std::nullopt;
  return std::move(*s);
}

std::optional<mariadb_gtid_position> parse_mariadb_position(std::string_view text) {
  auto p = mariadb_gtid_position::parse(text);
  if (!p) return std::nullopt;
  return std::move(*p);
}

namespace {

// Right after the SQL thread has applied the source's Rotate, MariaDB (and relay-log.info)
// shows the new binlog's name with the old binlog's position. Such a position is read as
// the point in the old file it means (taken literally it lies past transactions the replica
// never applied); relay-log.info's relay position wins over its source position where it is
// the last good point.
std::optional<source_position> normalise_executed_position(triage_report& rep, const scanner& sc,
                                                           const triage_options& options) {
  std::optional<source_position> executed_pos = options.executed_position;
  if (executed_pos && executed_pos->file.empty()) {
    rep.notes.push_back(fmt::format("the executed position names no source binlog (:{}; a replica reset or never "
                                    "started): ignored",
                                    executed_pos->pos));
    return std::nullopt;
  }
  if (!executed_pos) return executed_pos;
  for (const auto& r : sc.source_rotates()) {
    if (executed_pos->file == r.to_file && executed_pos->pos == r.from_pos) {
      rep.notes.push_back(fmt::format(
          "the executed position {}:{} names the binlog after the source's rotate with the position "
          "where {} ended (as the server shows it right after a rotate): read as {}:{}",
          executed_pos->file, executed_pos->pos, r.from_file, r.from_file, r.from_pos));
      executed_pos = source_position{r.from_file, r.from_pos};
      break;
    }
  }
  if (sc.relay_executed_source && *sc.relay_executed_source != *executed_pos) {
    const auto& r = *options.executed_relay_position;
    rep.notes.push_back(fmt::format(
        "the executed relay position {}:{} ends a transaction at source {}:{}, not at the source position "
        "recorded with it ({}:{}; CHANGE MASTER ... RELAY_LOG_FILE records the receiver's position there): "
        "using the relay position",
        r.file, r.pos, sc.relay_executed_source->file, sc.relay_executed_source->pos, executed_pos->file,
        executed_pos->pos));
    return sc.relay_executed_source;
  }
  if (options.executed_relay_position && rep.last_good &&
      base_name(options.executed_relay_position->file) == base_name(rep.last_good->relay_file) &&
      options.executed_relay_position->pos == rep.last_good->relay_pos &&
      compare_positions(*executed_pos, rep.last_good->source) != 0) {
    rep.notes.push_back(fmt::format(
        "relay-log.info's relay position {}:{} is the last good point; its source position {}:{} is not "
        "that point's ({}:{}): using the relay position",
        options.executed_relay_position->file, options.executed_relay_position->pos, executed_pos->file,
        executed_pos->pos, rep.last_good->source.file, rep.last_good->source.pos));
    executed_pos = rep.last_good->source;
  }
  return executed_pos;
}

// The executed point as complete as the files allow: the transaction end that the given
// position (or a single-domain MariaDB GTID) names, with its GTID state; the given GTIDs
// win over a state computed from the files.
std::optional<executed_point> executed_from(triage_report& rep, const scanner& sc, const triage_options& options,
                                            const std::optional<source_position>& pos) {
  std::optional<std::string> gtids;
  if (options.executed_gtids) {
    const bool ok = rep.flavor == flavor::mariadb ? parse_mariadb_position(*options.executed_gtids).has_value()
                                                  : parse_mysql_set(*options.executed_gtids).has_value();
    if (ok) {
      gtids = std::string(trim_blanks(*options.executed_gtids));
    } else {
      rep.notes.push_back(fmt::format("--executed-gtids '{}' is not a {}: ignored", *options.executed_gtids,
                                      rep.flavor == flavor::mariadb ? "d-s-n list" : "MySQL GTID set"));
    }
  }
  if (!pos && !gtids) return std::nullopt;
  executed_point e;
  e.origin = !options.executed_origin.empty() ? options.executed_origin
             : gtids                          ? "--executed-gtids"
                                              : "--executed-position";
  const bool captured = sc.executed_capture &&
                        (!pos || (sc.executed_capture->source == *pos));
  if (captured) {
    e.point = *sc.executed_capture;
  } else if (pos && rep.last_good && rep.last_good->source == *pos) {
    e.point = *rep.last_good;
  } else if (pos) {
    e.point.source = *pos;
    if (options.executed_relay_position) {
      e.point.relay_file = options.executed_relay_position->file;
      e.point.relay_pos = options.executed_relay_position->pos;
    }
  }
  if (gtids) e.point.gtid_state = *gtids;
  return e;
}

// Where the executed point stands against the last good one: -1 before, 0 at, 1 past;
// nullopt when the two cannot be compared (GTIDs of other sources only).
std::optional<int> executed_vs_last_good(triage_report& rep, const executed_point& ex) {
  const resume_point& good = *rep.last_good;
  if (!ex.point.source.file.empty()) return compare_positions(ex.point.source, good.source);
  if (ex.point.gtid_state.empty()) return std::nullopt;
  bool behind = false, ahead = false;
  if (rep.flavor == flavor::mariadb) {
    auto executed = parse_mariadb_position(ex.point.gtid_state);
    if (!executed) {
      rep.notes.push_back(fmt::format("the executed GTIDs '{}' are not a d-s-n list: ignored", ex.point.gtid_state));
      return std::nullopt;
    }
    auto last = parse_mariadb_position(good.gtid_state).value_or(mariadb_gtid_position{});
    for (const auto& [domain, g] : executed->domains()) {
      const auto* at = last.find(domain);
      if (at == nullptr) continue;
      behind = behind || g.seq_no < at->seq_no;
      ahead = ahead || g.seq_no > at->seq_no;
    }
    // A domain of these files that the executed GTIDs do not name: the replica executed
    // nothing of it, so it is behind there (resuming at the last good state would skip
    // that domain's transactions up to it).
    for (const auto& [domain, g] : last.domains()) behind = behind || executed->find(domain) == nullptr;
  } else {
    // A MySQL executed set against the set at the last good point, per source UUID (and
    // tag) that these files carry: the replica's own transactions are not compared.
    auto executed = parse_mysql_set(ex.point.gtid_state);
    if (!executed) {
      rep.notes.push_back(fmt::format("the executed GTIDs '{}' are not a MySQL GTID set: ignored", ex.point.gtid_state));
      return std::nullopt;
    }
    auto last = parse_mysql_set(good.gtid_state).value_or(gtid_set{});
    behind = !executed->contains(last);
    ahead = !last.contains(executed->only_sources_of(last));
  }
  if (behind) return -1;  // behind in one domain: resuming there skips nothing
  return ahead ? 1 : 0;
}

void note_unknown_executed(triage_report& rep, bool sql_running) {
  const bool mariadb = rep.flavor == flavor::mariadb;
  rep.notes.insert(rep.notes.begin(),
                   fmt::format("the replica's executed position is unknown ({}): the last good received point is no "
                               "resume point, the SQL thread may be far behind it. The plan lets the server resume from "
                               "its own executed state ({}); or learn the position with {} and run triage again with {}",
                               sql_running ? "--replica: its SQL thread is running, no position was taken"
                                           : "no relay-log.info, --executed-position, --executed-gtids or --replica given",
                               mariadb ? "gtid_slave_pos" : "gtid_executed with GTID auto-positioning",
                               mariadb ? "SHOW SLAVE STATUS and SELECT @@GLOBAL.gtid_slave_pos"
                                       : "SHOW REPLICA STATUS and SELECT @@GLOBAL.gtid_executed",
                               mariadb ? "--executed-gtids" : "--executed-gtids or --executed-position"));
  rep.learn_executed_sql = mariadb ? std::vector<std::string>{"SHOW SLAVE STATUS", "SELECT @@GLOBAL.gtid_slave_pos"}
                                   : std::vector<std::string>{"SHOW REPLICA STATUS", "SELECT @@GLOBAL.gtid_executed"};
}

// The resume rule: never past what the replica executed (nothing skipped), never before it
// (nothing applied twice). Without the executed point a relay-log set gets the server's own
// state, never the last good received point.
void choose_resume(triage_report& rep, const triage_options& options, const std::optional<source_position>& pos) {
  const bool mariadb = rep.flavor == flavor::mariadb;
  if (!rep.executed && rep.damage.empty()) {
    rep.resume = rep.last_good;  // nothing to resume: kept for scripts that read it
    return;
  }
  if (!rep.executed) {
    if (!rep.relay) {
      // A server's own binlog: its last good transaction is what a reader can trust.
      if (rep.last_good) {
        rep.resume = rep.last_good;
        rep.resume_mode = resume_mode::position;
      } else {
        rep.notes.push_back("no complete transaction precedes the first damage: no resume point can be trusted");
      }
      return;
    }
    note_unknown_executed(rep, options.replica_sql_running);
    if (options.replica_sql_running) {
      rep.notes.insert(rep.notes.begin(),
                       "the replica's SQL thread is running: its executed position moves while triage reads, so none "
                       "was taken; STOP SLAVE SQL_THREAD and run triage again for a position, or follow the plan "
                       "that lets the server decide");
    }
    const bool has_gtids = mariadb || (rep.last_good && !rep.last_good->gtid_state.empty());
    if (has_gtids) {
      rep.resume_mode = resume_mode::server_state;
    } else {
      rep.notes.push_back(
          "these relay logs carry no GTIDs: no plan can let the server decide; run triage again with the "
          "executed position (relay-log.info, or Relay_Master_Log_File:Exec_Master_Log_Pos)");
    }
    return;
  }
  const executed_point& ex = *rep.executed;
  if (options.executed_relay_position && !options.executed_gtids && !options.executed_origin.starts_with("the replica")) {
    rep.notes.push_back(
        "relay-log.info is written every sync_relay_log_info transactions and at STOP SLAVE: after a crash it may "
        "lag what the replica applied (the plan then applies transactions twice); on a GTID replica pass "
        "--executed-gtids (SELECT @@GLOBAL.gtid_slave_pos / gtid_executed, crash-safe) instead");
  }
  std::optional<int> c;
  if (rep.last_good) c = executed_vs_last_good(rep, ex);
  if (rep.last_good && c && *c == 0) {
    rep.resume = rep.last_good;  // its GTID state is the source's (a MySQL replica's own GTIDs left out)
  } else {
    rep.resume = ex.point;
  }
  rep.resume_mode = rep.resume->source.file.empty() ? resume_mode::gtid_only : resume_mode::position;
  if (rep.resume_mode == resume_mode::gtid_only && rep.resume->gtid_state.empty()) {
    rep.resume.reset();
    rep.resume_mode = resume_mode::none;
    return;
  }
  if (!rep.last_good || !c) return;
  const std::string ex_text = ex.point.source.file.empty()
                                  ? fmt::format("GTIDs {}", ex.point.gtid_state)
                                  : fmt::format("position {}:{}", ex.point.source.file, ex.point.source.pos);
  const std::string good_text = fmt::format("{}:{}{}", rep.last_good->source.file, rep.last_good->source.pos,
                                            rep.last_good->gtid.empty() ? "" : " (GTID " + rep.last_good->gtid + ")");
  if (*c < 0) {
    rep.notes.push_back(fmt::format("the replica's executed point ({}, from {}) is before the last good point {}: "
                                    "resuming at the executed point so that nothing is skipped",
                                    ex_text, ex.origin, good_text));
  } else if (*c > 0) {
    if (pos && rep.source_at_damage && compare_positions(*pos, *rep.source_at_damage) <= 0) {
      rep.notes.push_back(fmt::format(
          "the replica's executed point ({}) is past the last good point {} only by events that belong to "
          "no transaction (binlog checkpoints, GTID lists): nothing at or after the damage (from {}:{}) was "
          "applied; resuming there",
          ex_text, good_text, rep.source_at_damage->file, rep.source_at_damage->pos));
    } else {
      rep.notes.push_back(fmt::format(
          "the replica's executed point ({}, from {}) is past the last good point {}: the replica applied events at or "
          "after the damage; resuming there so that nothing is applied twice, but check the data the damaged events "
          "touched",
          ex_text, ex.origin, good_text));
      rep.executed_past_damage = true;
    }
  }
}

// Which damaged transactions the replica applied: MariaDB by GTID (a lost GTID event by the
// transaction before it), else every one when the executed position is past the damage.
void mark_applied_damage(triage_report& rep) {
  if (!rep.executed || rep.damaged_transactions.empty()) return;
  std::optional<mariadb_gtid_position> executed;
  if (rep.flavor == flavor::mariadb && !rep.executed->point.gtid_state.empty()) {
    executed = parse_mariadb_position(rep.executed->point.gtid_state);
  }
  for (auto& t : rep.damaged_transactions) {
    if (executed) {
      auto applied_past = [&](const std::string& gtid, bool inclusive) {
        auto g = parse_mariadb_position(gtid);
        if (!g || g->domains().size() != 1) return false;
        const auto& one = g->domains().begin()->second;
        const auto* at = executed->find(one.domain_id);
        return at != nullptr && (inclusive ? at->seq_no >= one.seq_no : at->seq_no > one.seq_no);
      };
      t.applied = !t.gtid.empty() ? applied_past(t.gtid, true) : applied_past(t.after_gtid, false);
    } else {
      t.applied = rep.executed_past_damage;
    }
    if (!t.applied) continue;
    for (const auto& name : t.tables) {
      if (std::find(rep.check_tables.begin(), rep.check_tables.end(), name) == rep.check_tables.end()) {
        rep.check_tables.push_back(name);
      }
    }
    rep.notes.push_back(fmt::format(
        "the replica applied {} from damaged events ({} offset {}){}: its data may be wrong; compare {} with the "
        "source (CHECKSUM TABLE ... EXTENDED on both) and re-sync what differs, or re-clone the replica",
        t.gtid.empty() ? (t.after_gtid.empty() ? std::string("a transaction whose GTID event was lost")
                                               : "the transaction after " + t.after_gtid)
                       : "transaction " + t.gtid,
        t.file, t.offset, t.tables.empty() ? std::string(" (tables unknown: statement events or lost table maps)")
                                           : fmt::format(", tables {}", fmt::join(t.tables, ", ")),
        t.tables.empty() ? std::string("every table") : fmt::format("{}", fmt::join(t.tables, ", "))));
  }
}

// The replica stopped while statement-format sessions held temporary tables: only its SQL
// thread has them, in memory.
void note_temp_tables(triage_report& rep, const std::vector<open_temp_table>& open) {
  std::string list;
  for (const auto& t : open) {
    if (!list.empty()) list += ", ";
    list += fmt::format("{} (session {}, created at {} offset {})", t.name, t.thread_id, t.file, t.offset);
  }
  rep.notes.push_back(fmt::format(
      "the replica stopped inside the life of temporary table(s) {}: only its SQL thread holds them, in memory, so a "
      "replica restarted since has lost them, and statements after the resume point that use them fail (error "
      "1146) or change a permanent table of the same name; if it was restarted, no resume point both has them and "
      "applies nothing twice: re-sync the tables those statements write from the source, or re-clone",
      list));
}

}  // namespace

std::optional<source_position> resolve_resume(triage_report& rep, const scanner& sc, const triage_options& options) {
  const std::optional<source_position> executed_pos = normalise_executed_position(rep, sc, options);
  rep.executed = executed_from(rep, sc, options, executed_pos);
  if (rep.executed && !sc.executed_temp_tables.empty()) note_temp_tables(rep, sc.executed_temp_tables);
  choose_resume(rep, options, executed_pos);
  mark_applied_damage(rep);
  return executed_pos;
}

}  // namespace binlogkit::detail
