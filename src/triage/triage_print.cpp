#include <fmt/format.h>

#include <algorithm>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "binlogkit/core/event_type.hpp"
#include "binlogkit/rows/row_text.hpp"
#include "binlogkit/triage/triage.hpp"
#include "events/hazards_json.hpp"

namespace binlogkit {

namespace {

using json = nlohmann::ordered_json;

// One point, complete: a part that is not known is null, never another point's value.
json point_json(const resume_point& p) {
  auto text = [](const std::string& v) { return v.empty() ? json(nullptr) : json(v); };
  json j;
  j["relay_file"] = text(p.relay_file);
  j["relay_pos"] = p.relay_file.empty() ? json(nullptr) : json(p.relay_pos);
  j["source_file"] = text(p.source.file);
  j["source_pos"] = p.source.file.empty() ? json(nullptr) : json(p.source.pos);
  j["gtid"] = text(p.gtid);
  j["gtid_state"] = text(p.gtid_state);
  return j;
}

std::string kind_text(const damage_range& d) {
  if (d.tail) return "truncated_tail";
  return std::string(to_string(d.code));
}

// 16 bytes a line, offsets absolute, the damaged bytes marked with brackets in the margin.
void hexdump(std::string& out, bytes data, std::uint64_t from, std::uint64_t to,
             std::uint64_t dmg_begin, std::uint64_t dmg_end) {
  from &= ~std::uint64_t{15};
  for (std::uint64_t line = from; line < to && line < data.size(); line += 16) {
    const bool inside = line + 16 > dmg_begin && line < dmg_end;
    fmt::format_to(std::back_inserter(out), "    {}{:08x} ", inside ? '>' : ' ', line);
    std::string chars;
    for (std::uint64_t i = line; i < line + 16; ++i) {
      if (i < data.size()) {
        fmt::format_to(std::back_inserter(out), " {:02x}", data[i]);
        chars += (data[i] >= 32 && data[i] < 127) ? static_cast<char>(data[i]) : '.';
      } else {
        out += "   ";
      }
    }
    fmt::format_to(std::back_inserter(out), "  |{}|\n", chars);
  }
}

// The comment for one statement of a plan.
std::string_view statement_comment(std::string_view s) {
  if (s.starts_with("SET NAMES")) return "names below are utf8mb4";
  if (s.starts_with("STOP")) return "stop both replica threads";
  if (s.starts_with("RESET")) return "discard the relay logs (copy them aside first to keep them)";
  if (s.starts_with("SET GLOBAL gtid_slave_pos")) return "the GTID state the replica resumes after";
  if (s.find("MASTER_USE_GTID = slave_pos") != std::string_view::npos) return "fetch from the source after gtid_slave_pos";
  if (s.find("AUTO_POSITION = 1") != std::string_view::npos) return "fetch every transaction the replica lacks";
  if (s.find("LOG_POS") != std::string_view::npos) return "fetch from this source position (discards the relay logs)";
  if (s.starts_with("START")) return "start replicating; watch it catch up";
  return "";
}

// Names from the files (source binlogs, tables, paths) and notes that hold them go on the
// lines of the text report through one_line (row_text.hpp): control bytes and backslashes
// escaped as dump escapes them, so that no line of the report is a piece of a name (and a
// name cannot end the "--" comment a plan line is and run as SQL). A list of them:
std::string one_line_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    append_one_line(out, n, true);
  }
  return out;
}

void statements(std::string& out, const std::vector<std::string>& list) {
  for (const auto& s : list) fmt::format_to(std::back_inserter(out), "{};{}{}\n", s, s.size() < 60 ? std::string(60 - s.size(), ' ') : " ", fmt::format("-- {}", statement_comment(s)));
}

void plan_text(std::string& out, const triage_report& r) {
  auto it = std::back_inserter(out);
  out += "\n-- Resume plan (run on the replica):\n";
  if (!r.before_resume.empty()) {
    out += "-- Before the resume statements (hazards at the resume point):\n";
    for (std::size_t i = 0; i < r.before_resume.size(); ++i) {
      fmt::format_to(it, "--   {}. {}\n", i + 1, one_line(r.before_resume[i]));
    }
  }
  if (r.resume_mode == resume_mode::server_state) {
    out += "-- the executed position is unknown: the server resumes from its own executed state.\n";
  }
  statements(out, r.resume_sql);
  if (!r.resume_sql_position.empty() && r.resume_sql != r.resume_sql_position) {
    out += "\n-- Or by file and position:\n";
    statements(out, r.resume_sql_position);
  }
  if (!r.resume_sql_mysql.empty()) {
    out += "\n-- MySQL 8.0.23 and later:\n";
    statements(out, r.resume_sql_mysql);
  }
  if (!r.after_catch_up_sql.empty()) {
    out += "\n-- After a file/position plan, once the replica has caught up, back to GTID positioning:\n";
    statements(out, r.after_catch_up_sql);
    if (!r.after_catch_up_sql_mysql.empty()) statements(out, r.after_catch_up_sql_mysql);
  }
  out += "\n-- Check: once caught up, the replica's GTID position equals the source's ";
  out += r.flavor == flavor::mariadb ? "(@@gtid_slave_pos on the replica, @@gtid_binlog_pos on the source)"
                                     : "(@@gtid_executed on both)";
  out += "\n-- and tables compare equal (CHECKSUM TABLE ... EXTENDED on both): ";
  if (r.check_tables.empty()) {
    out += "every table the relay logs touch.\n";
  } else {
    fmt::format_to(it, "first {}.\n", one_line_list(r.check_tables));
  }
}

// "hazards at the resume point": one line per hazard with where it opened (file:pos,
// GTID), its table, session, the first event that needs it and the advice.
void hazards_text(std::string& out, const triage_report& r) {
  if (!r.hazards_at) return;
  auto it = std::back_inserter(out);
  const auto& at = *r.hazards_at;
  fmt::format_to(it, "hazards at the resume point ({} {}:{}{}): {}\n", r.hazards_at_origin, one_line(at.file), at.pos,
                 at.gtid.empty() ? "" : ", after GTID " + at.gtid, r.hazards.empty() ? "none" : std::to_string(r.hazards.size()));
  for (const auto& h : r.hazards) {
    std::string subject = h.kind == hazard_kind::xa_prepared ? " xid " + h.xid
                          : h.table.empty()                  ? std::string()
                                                             : fmt::format(" `{}`.`{}`", h.schema, h.table);
    fmt::format_to(it, "  {}{} opened at {}:{}{}, session {}, needed by {}: {}\n", to_string(h.kind), one_line(subject),
                   one_line(h.opened.file), h.opened.pos, h.opened.gtid.empty() ? "" : " (GTID " + h.opened.gtid + ")",
                   h.pseudo_thread_id,
                   h.needed_by ? fmt::format("{}:{}", one_line(h.needed_by->file), h.needed_by->pos)
                               : std::string("nothing before the input ends"),
                   one_line(h.advice));
  }
}

// The rows an applied damaged transaction holds: {"shown": [...], "more": N, "note": ...}.
json applied_rows_json(const damaged_transaction& t) {
  json rows;
  auto& shown = rows["shown"] = json::array();
  for (const auto& x : t.rows) {
    shown.push_back({{"file", x.file}, {"event_offset", x.event_offset}, {"from_damaged_event", x.from_damaged_event},
                     {"doubt", x.doubt.empty() ? json(nullptr) : json(x.doubt)}, {"text", x.text}});
  }
  rows["more"] = t.rows_more;
  rows["note"] = t.rows_note.empty() ? json(nullptr) : json(t.rows_note);
  return rows;
}

void applied_rows_text(std::string& out, const damaged_transaction& t) {
  auto it = std::back_inserter(out);
  const std::string what = t.gtid.empty() ? fmt::format("the transaction at {} offset {}", t.file, t.offset)
                                          : "transaction " + t.gtid;
  if (t.rows.empty()) {
    fmt::format_to(it, "\nrows the replica applied in {}: none readable{}\n", what,
                   t.rows_note.empty() ? std::string() : " (" + t.rows_note + ")");
    return;
  }
  fmt::format_to(it, "\nrows the replica applied in {} (re-sync these rows, or the tables):\n", what);
  for (const auto& x : t.rows) {
    fmt::format_to(it, "# {} offset {}{}\n{}\n", x.file, x.event_offset,
                   x.from_damaged_event ? fmt::format(" ({}: values may be wrong)", x.doubt) : std::string(),
                   x.text);
  }
  if (t.rows_more > 0) fmt::format_to(it, "# ... and {} more\n", t.rows_more);
  if (!t.rows_note.empty()) fmt::format_to(it, "# {}\n", t.rows_note);
}

}  // namespace

std::string triage_report_json(const triage_report& r) {
  json j;
  j["files"] = r.files;
  j["flavor"] = to_string(r.flavor);
  j["server_version"] = r.server_version;
  j["relay"] = r.relay;
  j["checksums"] = r.checksums;
  j["verdict"] = r.damage.empty() ? (r.unverifiable ? "unverifiable" : "clean") : "damaged";
  j["events"] = r.events;
  auto& dmg = j["damage"] = json::array();
  for (const auto& d : r.damage) {
    json x;
    x["file"] = d.file;
    x["offset"] = d.offset;
    x["length"] = d.length;
    x["kind"] = kind_text(d);
    x["event_type"] = d.event_type >= 0 ? json(type_name(static_cast<std::uint8_t>(d.event_type))) : json(nullptr);
    x["detail"] = d.detail;
    dmg.push_back(std::move(x));
  }
  j["transactions_before_damage"] = r.transactions_before_damage;
  if (r.source_at_damage) {
    j["source_at_damage"] = {{"file", r.source_at_damage->file}, {"pos", r.source_at_damage->pos}};
  } else {
    j["source_at_damage"] = nullptr;
  }
  j["last_good"] = r.last_good ? point_json(*r.last_good) : json(nullptr);
  if (r.executed) {
    json e = point_json(r.executed->point);
    e["origin"] = r.executed->origin;
    j["executed"] = std::move(e);
  } else {
    j["executed"] = nullptr;
  }
  j["executed_known"] = r.executed.has_value();
  json resume = r.resume && r.resume_mode != resume_mode::server_state ? point_json(*r.resume) : json(json::object());
  resume["mode"] = to_string(r.resume_mode);
  j["resume"] = r.resume_mode == resume_mode::none && !r.resume ? json(nullptr) : std::move(resume);
  auto& dt = j["damaged_transactions"] = json::array();
  for (const auto& t : r.damaged_transactions) {
    dt.push_back({{"file", t.file},
                  {"offset", t.offset},
                  {"gtid", t.gtid.empty() ? json(nullptr) : json(t.gtid)},
                  {"after_gtid", t.after_gtid.empty() ? json(nullptr) : json(t.after_gtid)},
                  {"tables", t.tables},
                  {"applied", r.executed ? json(t.applied) : json(nullptr)}});
    if (t.applied) dt.back()["rows"] = applied_rows_json(t);
  }
  json after;
  after["count"] = r.intact_after_damage_count;
  auto& list = after["transactions"] = json::array();
  for (const auto& t : r.intact_after_damage) {
    json x;
    x["file"] = t.file;
    x["begin"] = t.begin;
    x["end_file"] = t.end_file;
    x["end"] = t.end;
    x["source_file"] = t.source_end.file;
    x["source_pos"] = t.source_end.pos;
    x["gtid"] = t.gtid;
    list.push_back(std::move(x));
  }
  j["intact_after_damage"] = std::move(after);
  j["abandoned_partial_transactions"] = r.abandoned_partial_transactions;
  j["resume_sql"] = r.resume_sql;
  j["resume_sql_position"] = r.resume_sql_position;
  if (!r.resume_sql_mysql.empty()) j["resume_sql_mysql_8_0_23"] = r.resume_sql_mysql;
  j["after_catch_up_sql"] = r.after_catch_up_sql;
  if (!r.after_catch_up_sql_mysql.empty()) j["after_catch_up_sql_mysql_8_0_23"] = r.after_catch_up_sql_mysql;
  j["learn_executed_sql"] = r.learn_executed_sql;
  j["check_tables"] = r.check_tables;
  if (r.hazards_at) {
    j["hazards_at"] = {{"file", r.hazards_at->file}, {"pos", r.hazards_at->pos}, {"gtid", r.hazards_at->gtid},
                       {"origin", r.hazards_at_origin}};
  } else {
    j["hazards_at"] = nullptr;
  }
  j["hazards"] = detail::hazards_json(r.hazards);
  j["before_resume"] = r.before_resume;
  j["notes"] = r.notes;
  j["exit"] = r.exit_code();
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

std::string triage_report_text(const triage_report& r, const std::vector<triage_input>& inputs) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{} {} ({}), {} file(s), {} events, checksums {}\n", r.relay ? "relay-log set" : "binlog set",
                 r.server_version, to_string(r.flavor), r.files.size(), r.events,
                 r.checksums ? "CRC32" : "none (content unverifiable)");
  if (r.damage.empty()) {
    out += r.unverifiable ? "no damage found (without checksums this is unverifiable, not proven clean)\n"
                          : "no damage found\n";
  }
  for (const auto& d : r.damage) {
    fmt::format_to(it, "\nDAMAGE {} at {} offset {} length {}{}: {}\n", kind_text(d), one_line(d.file), d.offset, d.length,
                   d.event_type >= 0 ? fmt::format(" ({} event)", type_name(static_cast<std::uint8_t>(d.event_type))) : "",
                   d.detail);
    auto in = std::find_if(inputs.begin(), inputs.end(), [&](const triage_input& x) { return x.name == d.file; });
    if (in != inputs.end()) {
      std::uint64_t from = d.offset >= 32 ? d.offset - 32 : 0;
      std::uint64_t to = std::min<std::uint64_t>(d.offset + std::min<std::uint64_t>(d.length, 64) + 32, in->data.size());
      hexdump(out, in->data, from, to, d.offset, d.offset + d.length);
    }
  }
  out += '\n';
  fmt::format_to(it, "complete transactions{}: {}\n", r.damage.empty() ? "" : " before the first damage",
                 r.transactions_before_damage);
  if (r.last_good) {
    fmt::format_to(it, "last good position: {} at {} = source {}:{}{}\n", one_line(r.last_good->relay_file),
                   r.last_good->relay_pos, one_line(r.last_good->source.file), r.last_good->source.pos,
                   r.last_good->gtid.empty() ? "" : fmt::format(", GTID {}", r.last_good->gtid));
    if (!r.last_good->gtid_state.empty()) fmt::format_to(it, "GTID state there: {}\n", r.last_good->gtid_state);
  }
  if (!r.damage.empty()) {
    fmt::format_to(it, "intact transactions after the damage: {}\n", r.intact_after_damage_count);
    for (std::size_t i = 0; i < r.intact_after_damage.size() && i < 5; ++i) {
      const auto& t = r.intact_after_damage[i];
      fmt::format_to(it, "  {} {}..{}  source {}:{}  {}\n", one_line(t.file), t.begin, t.end, one_line(t.source_end.file),
                     t.source_end.pos, t.gtid);
    }
    if (r.intact_after_damage_count > 5) fmt::format_to(it, "  … and {} more\n", r.intact_after_damage_count - 5);
  }
  if (r.executed) {
    const auto& e = r.executed->point;
    fmt::format_to(it, "executed (from {}): {}{}\n", r.executed->origin,
                   e.source.file.empty() ? std::string("position not known") : fmt::format("source {}:{}", one_line(e.source.file), e.source.pos),
                   e.gtid_state.empty() ? "" : fmt::format(", GTID state {}", e.gtid_state));
  } else if (r.relay && !r.damage.empty()) {
    out += "executed: unknown\n";
  }
  if (r.resume && r.resume_mode != resume_mode::server_state && !r.damage.empty()) {
    fmt::format_to(it, "resume at: {}{}\n",
                   r.resume->source.file.empty() ? std::string("the executed GTIDs")
                                                 : fmt::format("source {}:{}", one_line(r.resume->source.file), r.resume->source.pos),
                   r.resume->gtid_state.empty() ? "" : fmt::format(", GTID state {}", r.resume->gtid_state));
  }
  hazards_text(out, r);
  for (const auto& n : r.notes) fmt::format_to(it, "note: {}\n", one_line(n));
  for (const auto& t : r.damaged_transactions) {
    if (t.applied) applied_rows_text(out, t);
  }
  if (r.damage.empty()) return out;
  if (r.resume_sql.empty() && r.resume) {
    out += "\nno resume statements (see the notes): point the replica at the resume position above yourself\n";
    return out;
  }
  if (r.resume_sql.empty()) {
    out += "\nno resume point can be trusted: re-clone the replica, or run triage again with the replica's "
           "executed position\n";
    for (const auto& s : r.learn_executed_sql) fmt::format_to(it, "{};\n", s);
    return out;
  }
  plan_text(out, r);
  return out;
}

}  // namespace binlogkit
