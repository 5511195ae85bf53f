#include "binlogkit/replay/replay.hpp"

#include <mysql.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <nlohmann/json.hpp>

#include "binlogkit/core/binlog_name.hpp"
#include "binlogkit/events/inputs.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/rows/row_text.hpp"
#include "binlogkit/sql/bound_hazards.hpp"
#include "binlogkit/core/source.hpp"
#include "progress_rows.hpp"
#include "replay/job_builder.hpp"
#include "replay/serial_applier.hpp"
#include "replay_session.hpp"

namespace binlogkit {

namespace {

using namespace detail;


constexpr std::string_view create_schema = "CREATE DATABASE IF NOT EXISTS `binlogkit`";
constexpr std::string_view create_table =
    "CREATE TABLE IF NOT EXISTS `binlogkit`.`replay_progress` ("
    "`replay_id` VARCHAR(64) NOT NULL PRIMARY KEY, "
    "`file` VARCHAR(512) NOT NULL, "
    "`end_pos` BIGINT UNSIGNED NOT NULL, "
    "`gtid` VARCHAR(128) NOT NULL DEFAULT '', "
    "`transactions` BIGINT UNSIGNED NOT NULL DEFAULT 0, "
    "`updated_at` TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

}  // namespace

std::string default_replay_id(const std::string& first_file) {
  std::string name = basename_of(first_file);
  if (auto n = parse_binlog_name(name)) name.resize(n->base.size());
  // '#' separates a replay id from its connections' slots (progress_slot_id).
  std::replace(name.begin(), name.end(), '#', '_');
  if (name.empty()) name = "replay";
  if (name.size() > 64) name.resize(64);
  return name;
}

std::string progress_line(const replay_progress& p) {
  const double rate = p.elapsed_s > 0 ? static_cast<double>(p.transactions_run) / p.elapsed_s : 0;
  std::string eta = "-";
  if (p.bytes_done > 0 && p.elapsed_s > 1 && p.bytes_total > p.bytes_done) {
    const double left = p.elapsed_s * static_cast<double>(p.bytes_total - p.bytes_done) / static_cast<double>(p.bytes_done);
    const auto s = static_cast<long long>(left);
    eta = s >= 3600 ? fmt::format("{}:{:02d}:{:02d}", s / 3600, (s / 60) % 60, s % 60)
                    : fmt::format("{}:{:02d}", s / 60, s % 60);
  } else if (p.finished || p.bytes_total == p.bytes_done) {
    eta = "0:00";
  }
  return fmt::format("tx {} ({:.0f}/s)  {:.1f}/{:.1f} MiB  {}:{}  ETA {}", p.transactions, rate,
                     static_cast<double>(p.bytes_done) / 1048576.0, static_cast<double>(p.bytes_total) / 1048576.0,
                     p.file.empty() ? "-" : p.file, p.position, eta);
}

std::string progress_json(const replay_progress& p) {
  nlohmann::ordered_json j;
  j["transactions"] = p.transactions;
  j["transactions_run"] = p.transactions_run;
  j["tx_per_s"] = p.elapsed_s > 0 ? static_cast<double>(p.transactions_run) / p.elapsed_s : 0.0;
  j["bytes_done"] = p.bytes_done;
  j["bytes_total"] = p.bytes_total;
  j["file"] = p.file;
  j["position"] = p.position;
  j["gtid"] = p.gtid;
  j["elapsed_s"] = p.elapsed_s;
  if (p.elapsed_s > 1 && p.bytes_done > 0 && p.bytes_total >= p.bytes_done) {
    j["eta_s"] = p.elapsed_s * static_cast<double>(p.bytes_total - p.bytes_done) / static_cast<double>(p.bytes_done);
  }
  j["finished"] = p.finished;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string replay_failure::text() const {
  std::string s = fmt::format("replay stopped: {}", message);
  if (!file.empty() || position) {
    fmt::format_to(std::back_inserter(s), "\n  at:        {}{}", file, position ? fmt::format(":{}", *position) : "");
    if (!gtid.empty()) fmt::format_to(std::back_inserter(s), " (GTID {})", gtid);
  }
  if (!statement.empty()) fmt::format_to(std::back_inserter(s), "\n  statement: {}", statement);
  if (server_errno != 0) fmt::format_to(std::back_inserter(s), "\n  server:    error {}: {}", server_errno, server_error);
  for (const auto& h : hazards) fmt::format_to(std::back_inserter(s), "\n  hazard:    {}", h);
  return s;
}

namespace {
replay_result replay_sources(std::vector<source>& sources, const replay_options& options,
                             const detail::connection_factory& connect);
}  // namespace

replay_result replay(const std::vector<std::string>& files_in, const replay_options& options) {
  const detail::connection_factory connect = [](const connection_options& c, detail::connection_use use,
                                                std::string& error) {
    auto db = std::make_unique<detail::session>();
    if (use.paced) db->enable_pacing();
    if (use.loop != nullptr) db->use_fibers(use.loop);
    error = db->connect(c);
    return std::unique_ptr<detail::sql_connection>(std::move(db));
  };
  return detail::replay_with(files_in, options, connect);
}

namespace detail {
// Opens the inputs, replays them, and blames a failure on an input that shrank while it
// was read when one did (the reader then saw zeros, not damage).
replay_result replay_with(const std::vector<std::string>& files_in, const replay_options& options,
                          const connection_factory& connect) {
  auto opened = open_inputs(files_in);
  if (!opened.ok() || opened.sources.empty()) {
    replay_result res;
    replay_failure f;
    f.message = opened.ok() ? "no binlog files given" : opened.failure;
    f.unreadable_input = true;
    res.failure = std::move(f);
    return res;
  }
  auto res = replay_sources(opened.sources, options, connect);
  for (const auto& s : opened.sources) {
    auto shrank = shrank_text(s);
    if (!shrank || !res.failure) continue;
    res.failure->message = std::move(*shrank);
    res.failure->unreadable_input = true;
    break;
  }
  return res;
}
}  // namespace detail

namespace {

// A failure with a message, and one with the server's error.
replay_failure failure(std::string message) {
  replay_failure f;
  f.message = std::move(message);
  return f;
}
replay_failure server_failure(std::string what, unsigned e, std::string msg) {
  replay_failure f;
  f.message = std::move(what);
  f.server_errno = e;
  f.server_error = std::move(msg);
  return f;
}

// What the target says of itself.
struct target_facts {
  bool mariadb = false;
  std::uint64_t server_id = 0;
  std::uint64_t max_packet = 0;
  bool log_bin = false;
  std::string uuid;  // MySQL targets
};
std::optional<replay_failure> read_target(sql_connection& db, target_facts& t) {
  t.mariadb = db.server_version().find("MariaDB") != std::string::npos;
  auto info = db.query_row("SELECT @@server_id, @@max_allowed_packet, @@log_bin");
  if (!info.ok || info.cols.size() < 3) return server_failure("cannot read the target's settings", info.err, info.message);
  t.server_id = std::strtoull(info.cols[0].value_or("0").c_str(), nullptr, 10);
  t.max_packet = std::strtoull(info.cols[1].value_or("4194304").c_str(), nullptr, 10);
  t.log_bin = info.cols[2].value_or("0") == "1";
  if (!t.mariadb) {
    auto u = db.query_row("SELECT @@server_uuid");
    if (u.ok && !u.cols.empty() && u.cols[0]) t.uuid = *u.cols[0];
  }

  return std::nullopt;
}

std::optional<replay_failure> refuse_own_binlog(const std::vector<binlog_input>& inputs, std::uint64_t server_id,
                                                const replay_options& options) {
  // Refuse the server that wrote the binlog before anything is written to it. (The
  // stream checks every format description again as it reads.)
  if (!options.force_same_server) {
    for (const auto& in : inputs) {
      event_reader r(in.data);
      auto first = r.next();
      if (first && *first && (*first)->type() == event_type::format_description &&
          (*first)->header.server_id == server_id) {
        return failure(fmt::format(
            "{} was written by server_id {}, the target's own server_id: replaying a server's binlog into itself "
            "applies everything twice (--force-same-server to do it anyway)",
            in.name, server_id));
      }
    }
  }

  return std::nullopt;
}

// Sets the session up and takes the replay id's lock.
std::optional<replay_failure> prepare_session(sql_connection& db, const replay_options& options,
                                              const std::string& id) {
  // The session: as mysqlbinlog's output sets it up (before the bookkeeping below, so
  // that --disable-log-bin covers it too).
  {
    const auto setup = session_setup(options.disable_log_bin);
    auto o = db.run(setup.sql, setup.count);
    if (o.err != 0) return server_failure("cannot prepare the session", o.err, o.message);
  }

  // One replay per id at a time: the lock lives as long as this session.
  std::string lock_name = "binlogkit.replay." + id;
  if (lock_name.size() > 64) lock_name = fmt::format("binlogkit.replay.{:016x}", fnv1a(id));
  {
    // A replay killed a moment ago may still hold it while its server session winds down.
    auto l = db.query_row("SELECT GET_LOCK(" + string_literal(lock_name) + ", 3), IS_USED_LOCK(" +
                          string_literal(lock_name) + ")");
    if (!l.ok) return server_failure("GET_LOCK failed", l.err, l.message);
    if (l.cols.empty() || l.cols[0].value_or("0") != "1") {
      return failure(fmt::format("another replay with id '{}' is running (lock '{}' is held by connection {})", id,
                              lock_name, l.cols.size() > 1 ? l.cols[1].value_or("?") : "?"));
    }
  }

  {
    // The worker connections of a parallel replay of this id killed a moment ago may
    // still be finishing their last packets.
    std::string sql = "SELECT COALESCE(NULL";
    for (std::size_t k = 0; k < max_parallel; ++k) {
      sql += ", IS_USED_LOCK(" + string_literal(worker_lock_name(id, k)) + ")";
    }
    sql += ")";
    for (int tries = 0;; ++tries) {
      auto l = db.query_row(sql);
      if (!l.ok) return server_failure("IS_USED_LOCK failed", l.err, l.message);
      if (l.cols.empty() || !l.cols[0]) break;
      if (tries >= 100) {
        return failure(fmt::format("another replay with id '{}' is running (connection {} holds a worker lock)", id,
                                *l.cols[0]));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  return std::nullopt;
}

// Where a replay id stands in the progress table (created when missing).
struct progress_state {
  std::uint64_t transactions = 0;  // recorded when this run starts
  std::optional<std::pair<std::string, std::uint64_t>> resume_point;
  bool slot_rows_found = false;    // rows of a parallel replay's connections a kill left behind
};
std::optional<replay_failure> read_progress(sql_connection& db, const replay_options& options, const std::string& id,
                                            progress_state& st, replay_result& res) {
  // -- progress table -----------------------------------------------------------------
  {
    auto t = db.query_row(
        "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='binlogkit' AND "
        "TABLE_NAME='replay_progress'");
    if (!t.ok) return server_failure("cannot look for the progress table", t.err, t.message);
    if (t.cols.empty() || t.cols[0].value_or("0") == "0") {
      for (auto sql : {create_schema, create_table}) {
        auto o = db.run(std::string(sql), 1);
        if (o.err != 0) return server_failure("cannot create binlogkit.replay_progress", o.err, o.message);
      }
    }
  }
  // Rows of a parallel replay's connections that a kill left behind (progress_slot_id).
  {
    // The replay's position is its row's or, after a parallel replay was killed, the one
    // of its rows that counts the most transactions: commits go in binlog order, so every
    // transaction up to that one is committed.
    const std::string ids = string_literal(id) + ", " + progress_slot_literals(id);
    auto r = db.query_row(
        "SELECT `file`, `end_pos`, `gtid`, `transactions`, (SELECT COUNT(*) FROM `binlogkit`.`replay_progress` "
        "WHERE `replay_id`=" + string_literal(id) + "), (SELECT COUNT(*) FROM `binlogkit`.`replay_progress` "
        "WHERE `replay_id` IN (" + ids + ") AND `replay_id`<>" + string_literal(id) +
        ") FROM `binlogkit`.`replay_progress` WHERE `replay_id` IN (" + ids + ") ORDER BY `transactions` DESC LIMIT 1");
    if (!r.ok) return server_failure("cannot read binlogkit.replay_progress", r.err, r.message);
    const bool started = r.found && (r.cols[0].value_or("") != "" || r.cols[3].value_or("0") != "0");
    st.slot_rows_found = r.found && r.cols[5].value_or("0") != "0";
    if (!r.found || r.cols[4].value_or("0") == "0") {
      // The row every later update rewrites, written (and binlogged) before anything is
      // applied, so that the target's own replicas have it too.
      auto o = db.run("INSERT INTO `binlogkit`.`replay_progress` (`replay_id`, `file`, `end_pos`, `gtid`, "
                      "`transactions`) VALUES (" + string_literal(id) + ", '', 0, '', 0)", 1);
      if (o.err != 0) return server_failure("cannot write binlogkit.replay_progress", o.err, o.message);
    }
    if (started) {
      if (!options.resume) {
        return failure(fmt::format(
            "replay id '{}' has recorded progress ({}:{}, {} transactions, GTID {}): continue it with --resume, "
            "or choose another --replay-id",
            id, r.cols[0].value_or(""), r.cols[1].value_or(""), r.cols[3].value_or(""), r.cols[2].value_or("")));
      }
      st.resume_point = std::pair{r.cols[0].value_or(""), std::strtoull(r.cols[1].value_or("0").c_str(), nullptr, 10)};
      st.transactions = std::strtoull(r.cols[3].value_or("0").c_str(), nullptr, 10);
      res.progress.transactions = st.transactions;  // what a run that fails before applying anything folds
      res.progress.file = st.resume_point->first;
      res.progress.position = st.resume_point->second;
      res.progress.gtid = r.cols[2].value_or("");
    } else if (options.resume) {
      if (options.on_note) options.on_note(fmt::format("replay id '{}' has no recorded progress: starting at the beginning", id));
    }
  }

  return std::nullopt;
}

// The replay's row set to `p` (the position recorded so far, or reached), and the slots'
// rows deleted: two statements.
std::string fold_sql(const replay_progress& p, const std::string& id) {
  return progress_update(p.file, p.position, p.gtid, p.transactions, string_literal(id)) + "\n;\n" +
         progress_slots_delete(id);
}

// On a MariaDB target whose progress table is ours, the progress row goes as row events
// (progress_rows.hpp) rather than an UPDATE.
bool progress_as_rows(sql_connection& db, bool target_mariadb, const replay_options& options) {
  if (!target_mariadb) return false;
  std::vector<std::string> columns;
  const bool rows = db.query_column(std::string(progress_columns_query), columns) && progress_columns_match(columns);
  if (!rows && options.on_note) {
    options.on_note("binlogkit.replay_progress is not the table this version creates: the progress row is written by "
                    "UPDATE statements");
  }
  return rows;
}

// A parallel replay's connections each record the position in a row of their own
// (progress_slot_id), in their transactions' BINLOG statements: one row for all would
// serialize the transactions on its lock, or cost a statement of its own at each commit.
// They are folded into the replay's row when it ends; after a kill, the next run folds
// them (`slot_rows_found`) before it starts. Writes the rows `slots` asks for; a failure
// to write them is the replay's failure.
std::optional<replay_failure> set_up_slots(sql_connection& db, const replay_options& options, const std::string& id,
                                           bool slot_rows_found, bool slots, std::uint64_t transactions,
                                           const replay_progress& progress) {
  if (!slot_rows_found && !slots) return std::nullopt;
  std::string sql = "START TRANSACTION";
  std::size_t n = 1;
  if (slot_rows_found) {
    sql += "\n;\n" + fold_sql(progress, id);
    n += 2;
  }
  if (slots) {
    sql += "\n;\nINSERT INTO `binlogkit`.`replay_progress` (`replay_id`, `file`, `end_pos`, `gtid`, "
           "`transactions`) VALUES ";
    for (unsigned k = 1; k <= options.parallel; ++k) {
      if (k > 1) sql += ", ";
      sql += "(" + string_literal(progress_slot_id(id, k)) + ", " + string_literal(progress.file) + ", " +
             std::to_string(progress.position) + ", " + string_literal(progress.gtid) + ", " +
             std::to_string(transactions) + ")";
    }
    ++n;
  }
  sql += "\n;\nCOMMIT";
  auto o = db.run(sql, n + 1);
  if (o.err != 0) return server_failure("cannot write binlogkit.replay_progress", o.err, o.message);
  return std::nullopt;
}

// The hazards at the start point (the filter's start rules or the resume point) and the
// stop point, found in one pass over the inputs (find_bound_hazards) before anything is
// applied: those that make the start wrong refuse it unless ignore_hazards; the rest
// are warned on, as are those needed only at or after the stop point (never applied).
// A damaged input is left to the stream, which stops there.
std::optional<replay_failure> check_hazards(const std::vector<binlog_input>& inputs,
                                            const std::vector<std::string>& file_names, const replay_options& options,
                                            const std::optional<std::pair<std::string, std::uint64_t>>& resume_point) {
  std::optional<std::pair<std::size_t, std::uint64_t>> resume;
  if (resume_point) {
    for (std::size_t i = 0; i < file_names.size(); ++i) {
      if (file_names[i] == resume_point->first) resume = std::pair{i, resume_point->second};
    }
    if (!resume) return std::nullopt;  // the stream's check names the missing file
  }
  const auto found = find_bound_hazards(inputs, options.filter, resume);
  const auto warn = [&](const std::string& text) {
    if (options.on_warning) {
      options.on_warning(text);
    } else if (options.on_note) {
      options.on_note(text);
    }
  };
  // An event at or after the stop point is never applied: a hazard needed only there
  // cannot make the replay fail.
  const auto index_of = [&](const std::string& file) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].name == file) return i;
    }
    return inputs.size();
  };
  const auto before_stop = [&](const hazard_place& p) {
    if (!found.stop) return true;
    const auto a = index_of(p.file), b = index_of(found.stop->at.file);
    return a < b || (a == b && p.pos < found.stop->at.pos);
  };
  replay_failure refused;
  if (found.start) {
    const auto& r = *found.start;
    for (const auto& h : r.hazards) {
      if (hazard_blocks_start(h) && before_stop(*h.needed_by) && !options.ignore_hazards) {
        refused.hazards.push_back(hazard_line(h));
      } else {
        warn(fmt::format("hazard at the start point {}:{}: {}", one_line(r.at.file), r.at.pos, hazard_line(h)));
      }
    }
    if (!r.read_on_warning.empty() && !r.hazards.empty()) {
      warn(fmt::format("reading on after the start point stopped early ({}): a hazard without \"needed by\" may be "
                       "needed past there", one_line(r.read_on_warning)));
    }
    if (!refused.hazards.empty()) {
      refused.message = fmt::format(
          "the start point {}:{} has {} hazard(s) that a replay starting there cannot apply: start at or before "
          "where each opened, or --ignore-hazards to replay anyway",
          one_line(r.at.file), r.at.pos, refused.hazards.size());
      refused.file = r.at.file;
      refused.position = r.at.pos;
      refused.gtid = r.at.gtid;
      refused.refused_hazards = true;
      return refused;
    }
  }
  if (found.stop) {
    for (const auto& h : found.stop->hazards) {
      warn(fmt::format("hazard at the stop point {}:{}: {}", one_line(found.stop->at.file), found.stop->at.pos,
                       hazard_line(h)));
    }
  }
  return std::nullopt;
}

replay_result replay_sources(std::vector<source>& sources, const replay_options& options,
                             const connection_factory& connect) {
  replay_result res;
  const auto t0 = clock_type::now();
  auto fail_with = [&](replay_failure f) -> replay_result& {
    res.failure = std::move(f);
    return res;
  };
  auto fail = [&](std::string message) -> replay_result& { return fail_with(failure(std::move(message))); };
  auto note = [&](const std::string& text) {
    if (options.on_note) options.on_note(text);
  };

  // -- inputs -------------------------------------------------------------------------
  std::vector<binlog_input> inputs;
  for (const auto& s : sources) s.advise_sequential();
  for (const auto& s : sources) inputs.push_back({s.name(), s.data()});
  // The names the progress row records, once per file (not per transaction).
  std::vector<std::string> file_names;
  for (const auto& in : inputs) file_names.push_back(basename_of(in.name));

  const std::string id = options.replay_id.empty() ? default_replay_id(sources.front().name()) : options.replay_id;
  if (id.size() > 64) return fail("--replay-id is longer than 64 characters");
  if (id.find('#') != std::string::npos) {
    return fail("--replay-id may not contain '#' (it names the rows of a parallel replay's connections)");
  }

  // Without --resume the start point is known before connecting (with it, once the
  // progress row is read).
  if (!options.resume) {
    if (auto f = check_hazards(inputs, file_names, options, std::nullopt)) return fail_with(std::move(*f));
  }

  // -- connection ---------------------------------------------------------------------
  std::string connect_error;
  const std::unique_ptr<sql_connection> connection =
      connect(options.connection, connection_use{options.parallel <= 1, nullptr}, connect_error);
  if (!connect_error.empty()) return fail(connect_error);
  sql_connection& db = *connection;
  target_facts target;
  if (auto f = read_target(db, target)) return fail_with(std::move(*f));
  const bool target_mariadb = target.mariadb;
  const std::uint64_t target_server_id = target.server_id;
  const std::uint64_t max_packet = target.max_packet;
  const bool target_log_bin = target.log_bin;
  const std::string target_uuid = target.uuid;
  if (auto f = refuse_own_binlog(inputs, target_server_id, options)) return fail_with(std::move(*f));
  if (auto f = prepare_session(db, options, id)) return fail_with(std::move(*f));
  progress_state progress;
  if (auto f = read_progress(db, options, id, progress, res)) return fail_with(std::move(*f));
  std::uint64_t transactions = progress.transactions;
  std::optional<std::pair<std::string, std::uint64_t>> resume_point = progress.resume_point;
  const bool slot_rows_found = progress.slot_rows_found;
  if (options.resume) {
    if (auto f = check_hazards(inputs, file_names, options, resume_point)) return fail_with(std::move(*f));
  }


  render_options ro;
  ro.dialect = target_mariadb ? sql_dialect::mariadb : sql_dialect::mysql;
  ro.mysql_gtids = options.mysql_gtids;
  ro.mariadb_gtids = options.mariadb_gtids;
  ro.for_client = false;
  // Leave room for the packet header and the statements around a BINLOG statement.
  const std::size_t packet_room = packet_room_for(max_packet);
  ro.max_binlog_statement = packet_room;
  ro.max_binlog_batch = std::min<std::size_t>(8u << 20, packet_room / 2);
  ro.stream_threshold = options.stream_threshold;
  std::vector<binlog_input> stream_inputs = inputs;
  transaction_stream stream(std::move(stream_inputs), options.filter, ro);

  stream.on_read_ahead = [&](std::size_t index, std::uint64_t begin, std::uint64_t end) {
    if (index < sources.size()) sources[index].release_range(begin, end);
  };
  std::string same_server;
  stream.on_format = [&](std::size_t index, std::uint32_t server_id, flavor) -> result<void> {
    if (!options.force_same_server && server_id == target_server_id) {
      same_server = fmt::format(
          "{} was written by server_id {}, the target's own server_id: replaying a server's binlog into itself "
          "applies everything twice (--force-same-server to do it anyway)",
          inputs[index].name, server_id);
      return make_error(errc::unsupported, 0, static_cast<int>(event_type::format_description), "same server");
    }
    return {};
  };
  if (resume_point) {
    std::optional<std::size_t> index;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (file_names[i] == resume_point->first) index = i;
    }
    if (!index) {
      return fail(fmt::format("--resume: the recorded file {} is not among the files given", resume_point->first));
    }
    stream.resume_after(*index, resume_point->second);
  }

  const bool progress_rows = progress_as_rows(db, target_mariadb, options);

  // The connections' rows of a parallel replay (set_up_slots): "<id>#N" must fit in 64.
  const std::size_t slot_id_room = 63 - fmt::formatted_size("{}", options.parallel);
  const bool slots = options.parallel > 1 && progress_rows && id.size() <= slot_id_room;
  if (auto f = set_up_slots(db, options, id, slot_rows_found, slots, transactions, res.progress)) {
    return fail_with(std::move(*f));
  }
  if (!slots && !slot_rows_found && options.parallel > 1 && progress_rows) {
    note(fmt::format("--replay-id '{}' leaves no room for the rows of the connections (at most {} characters "
                     "with --parallel {}): the progress row is written by UPDATE statements at each commit",
                     id, slot_id_room, options.parallel));
  }

  apply_context ctx;
  {
    ctx.progress_rows = progress_rows && slots;
    ctx.options = &options;
    ctx.inputs = &inputs;
    ctx.file_names = &file_names;
    ctx.sources = &sources;
    ctx.stream = &stream;
    ctx.id_literal = string_literal(id);
    ctx.id = id;
    ctx.target_mariadb = target_mariadb;
    ctx.target_log_bin = target_log_bin;
    ctx.target_uuid = target_uuid;
    ctx.packet_room = packet_room;
    ctx.transactions = transactions;
    ctx.resume_point = &resume_point;
    ctx.same_server = &same_server;
    ctx.t0 = t0;
    ctx.connect = &connect;
  }
  if (options.parallel > 1) {
    apply_parallel(ctx, res);
    if (slots) {
      // The connections are closed; the server may still be rolling back what a failure
      // left open on them (their rows' locks): the fold waits for that.
      auto o = db.run("START TRANSACTION\n;\n" + fold_sql(res.progress, id) + "\n;\nCOMMIT", 4);
      if (o.err != 0) {
        note(fmt::format("the rows of the connections were not folded into the replay's row ({} {}): --resume "
                         "reads them as they are",
                         o.err, o.message));
      }
    }
    return res;
  }

  // -- applying -----------------------------------------------------------------------
  serial_applier(ctx, db, progress_rows, res).run();
  return res;
}
}  // namespace

}  // namespace binlogkit
