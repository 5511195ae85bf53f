// `binlogkit sql` and `binlogkit replay`: argument parsing and dispatch to sql.hpp and
// replay.hpp; the work is library calls.
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "binlogkit/events/inputs.hpp"
#include "binlogkit/replay/replay.hpp"
#include "binlogkit/core/source.hpp"
#include "binlogkit/rows/row_text.hpp"
#include "binlogkit/sql/bound_hazards.hpp"
#include "binlogkit/sql/sql.hpp"
#include "commands.hpp"
#include "connect_options.hpp"
#include "exit_codes.hpp"
#include "filter_args.hpp"
#include "report.hpp"

namespace bk = binlogkit;

namespace binlogkit_cli {

namespace {


// An input mapped and truncated while it was read: that, not what its zeros look like,
// is the error (printed here). True when one was.
bool report_shrank(const std::vector<bk::source>& sources, std::string& file) {
  for (const auto& s : sources) {
    if (auto text = bk::shrank_text(s)) {
      file = s.name();
      fmt::print(stderr, "binlogkit: {}\n", *text);
      return true;
    }
  }
  return false;
}

void print_note(const bk::stream_note& n, const std::vector<bk::binlog_input>& inputs) {
  std::string file = n.file_index < inputs.size() ? inputs[n.file_index].name : std::string("?");
  fmt::print(stderr, "binlogkit: {}: {}:{}: {}\n", n.warning ? "warning" : "note", file, n.offset, n.text);
}

// ---- sql ----------------------------------------------------------------------------

struct sql_args {
  std::vector<std::string> files;
  filter_args filters;
  std::string dialect = "auto";
  std::string local_load;
  bool no_batch = false;
  std::size_t stream_threshold = bk::render_options{}.stream_threshold;
  std::string progress = "auto";
};

// Standard output with a progress line: each buffer written out reports how far the
// stream has read (same thread as the writer, so no race with the stream).
class progress_stdout {
 public:
  progress_stdout(progress_meter& meter, const bk::transaction_stream& stream) : meter_(meter), stream_(stream) {
    if (!meter.enabled()) return;
    cookie_io_functions_t io{};
    io.write = [](void* c, const char* buf, std::size_t n) -> ssize_t {
      auto* self = static_cast<progress_stdout*>(c);
      const std::size_t w = std::fwrite(buf, 1, n, stdout);
      self->meter_.reach(self->stream_.bytes_done());
      return w == n ? static_cast<ssize_t>(n) : -1;
    };
    file_ = ::fopencookie(this, "w", io);
  }
  ~progress_stdout() {
    if (file_ != nullptr) std::fclose(file_);
  }
  progress_stdout(const progress_stdout&) = delete;
  progress_stdout& operator=(const progress_stdout&) = delete;
  [[nodiscard]] std::FILE* get() const { return file_ != nullptr ? file_ : stdout; }

 private:
  progress_meter& meter_;
  const bk::transaction_stream& stream_;
  std::FILE* file_ = nullptr;
};

// "-- hazard: ..." lines for what is open at the start and stop points (nothing when
// none: the output is then what it was without the check). Damage before a point is left
// to the stream, which stops there with its own message.
void print_hazard_comments(std::FILE* out, const bk::bound_hazards& h) {
  const auto print = [&](const std::optional<bk::hazard_report>& r, std::string_view which) {
    if (!r) return;
    for (const auto& x : r->hazards) {
      fmt::print(out, "-- hazard: at the {} point {}: {}\n", which, bk::one_line(fmt::format("{}:{}", r->at.file, r->at.pos)),
                 bk::hazard_line(x));
    }
    if (!r->hazards.empty() && !r->read_on_warning.empty()) {
      fmt::print(out, "-- hazard: reading on after the {} point stopped early: {}\n", which, bk::one_line(r->read_on_warning));
    }
  };
  print(h.start, "start");
  print(h.stop, "stop");
}

int run_sql(const sql_args& a) {
  bk::sql_filter filter;
  if (auto err = a.filters.to_filter(filter); !err.empty()) {
    fmt::print(stderr, "binlogkit: {}\n", err);
    return exit_code::usage;
  }
  auto opened = bk::open_inputs(a.files);
  if (!opened.ok()) {
    fmt::print(stderr, "binlogkit: {}\n", opened.failure);
    return exit_code::unreadable;
  }
  std::vector<bk::source> sources = std::move(opened.sources);
  if (!sources.empty() && filter.start_position > sources[0].data().size()) {
    fmt::print(stderr, "binlogkit: {}: --start-position {} is past the end of the file ({} bytes)\n", sources[0].name(),
               filter.start_position, sources[0].data().size());
    return exit_code::usage;
  }
  std::vector<bk::binlog_input> inputs;
  for (const auto& s : sources) s.advise_sequential();
  for (const auto& s : sources) inputs.push_back({s.name(), s.data()});

  bk::render_options ro;
  ro.dialect = a.dialect == "mariadb" ? bk::sql_dialect::mariadb
               : a.dialect == "mysql" ? bk::sql_dialect::mysql
                                      : bk::sql_dialect::automatic;
  ro.for_client = true;
  ro.base64_wrap = 76;
  ro.batch_binlog = !a.no_batch;
  ro.stream_threshold = a.stream_threshold;
  ro.mysql_gtids = ro.mariadb_gtids = !a.filters.skip_gtids;
  std::string dir = a.local_load;
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = fmt::format("{}/binlogkit-load-XXXXXX", tmp != nullptr && *tmp != '\0' ? tmp : "/tmp");
    // Created only when a LOAD DATA needs it would be nicer; a private directory is cheap.
    if (::mkdtemp(templ.data()) == nullptr) {
      fmt::print(stderr, "binlogkit: cannot create a directory for LOAD DATA files: {}\n", std::strerror(errno));
      return exit_code::damaged;
    }
    dir = templ;
  }
  std::error_code ec;
  if (!a.local_load.empty()) std::filesystem::create_directories(dir, ec);
  auto abs = std::filesystem::absolute(dir, ec).lexically_normal().string();
  // The renderer's rule for a LOAD DATA file name (sql_quote.hpp: no hex literal there).
  if (ec || !bk::is_printable_ascii(abs) || abs.find_first_of("'\\") != std::string::npos) {
    fmt::print(stderr, "binlogkit: --local-load: '{}' cannot be named in a LOAD DATA statement\n", dir);
    return exit_code::usage;
  }
  ro.load_prefix = abs + "/binlogkit-load-";

  stopwatch clock;
  const auto hazards = bk::find_bound_hazards(inputs, filter, std::nullopt);
  bk::transaction_stream stream(std::move(inputs), std::move(filter), std::move(ro));
  progress_meter meter("sql", stream.bytes_total(), a.progress);
  progress_stdout out(meter, stream);
  print_hazard_comments(out.get(), hazards);
  auto r = bk::write_sql_text(out.get(), stream, {}, [&](const bk::stream_note& n) {
    meter.finish();
    print_note(n, stream.inputs());
  });
  std::fflush(out.get());
  std::fflush(stdout);
  meter.reach(stream.bytes_done());
  meter.finish();
  if (a.local_load.empty()) {
    std::filesystem::remove(dir, ec);  // only if empty: files there are for the client to read
  }
  std::string file = stream.file_index() < stream.inputs().size() ? stream.inputs()[stream.file_index()].name : "";
  if (!r) {
    const int code = report_shrank(sources, file) ? exit_code::unreadable : exit_code::damaged;
    if (code == exit_code::damaged) fmt::print(stderr, "binlogkit: {}: {}\n", file, r.error().message());
    // What the script holds is whole up to there: say where it ends.
    if (const auto& mark = stream.last_delivered()) {
      fmt::print(stderr, "binlogkit: the SQL written ends with the transaction that ends at {}:{}{}; nothing after "
                         "it is written\n",
                 stream.inputs()[mark->file_index].name, mark->end,
                 mark->gtid.empty() ? "" : fmt::format(" (GTID {})", mark->gtid));
    } else {
      fmt::print(stderr, "binlogkit: no transaction was written\n");
    }
    if (code != exit_code::damaged) return code;
  }
  const std::string where = fmt::format(" at {}:{}", file, stream.position());
  print_summary("sql",
                fmt::format("{} file(s), {} of {} read, {}", stream.inputs().size(), mib(stream.bytes_done()),
                            mib(stream.bytes_total()),
                            !r                ? "stopped at damage" + where
                            : stream.stopped() ? "stopped at the stop point" + where
                                               : std::string("complete")),
                clock.seconds());
  return r ? exit_code::ok : exit_code::damaged;
}

// ---- replay -------------------------------------------------------------------------

struct replay_args {
  std::vector<std::string> files;
  filter_args filters;
  connect_args conn;
  std::string replay_id;
  bool resume = false;
  std::vector<unsigned> skip_errors;
  bool force_same_server = false;
  std::string progress = "auto";
  bool disable_log_bin = false;
  unsigned parallel = 1;
  std::string parallel_mode = "conservative";
  std::string parallel_batches = "auto";
  std::size_t stream_threshold = bk::replay_options{}.stream_threshold;
  bool verbose = false;
  bool ignore_hazards = false;
};

// The exit code of a replay: 3 when hazards at the start point refused it (nothing
// applied), 1 for any other stop before the end.
int replay_exit(const bk::replay_result& r) {
  if (r.ok()) return exit_code::ok;
  return r.failure->refused_hazards ? exit_code::no_answer : exit_code::damaged;
}

// "applied 120 transactions (12.0 MiB read), stopped at the end / a stop point / an error,
// last committed binlog.000002:4567 (GTID 0-1-130)".
void print_replay_summary(const bk::replay_result& r, bool json, double seconds) {
  const auto& p = r.progress;
  const char* end = !r.ok() ? "stopped at an error" : r.stopped_at_stop_point ? "stopped at the stop point"
                                                                              : "reached the end of the input";
  if (json) {
    // The last progress object, with how the replay ended.
    auto j = nlohmann::ordered_json::parse(bk::progress_json(p));
    j["status"] = r.ok() ? "applied" : "failed";
    j["stopped_at_stop_point"] = r.stopped_at_stop_point;
    j["skipped_errors"] = r.skipped_errors;
    j["exit"] = replay_exit(r);
    print_summary_json("replay", j, seconds);
    return;
  }
  std::string last = p.file.empty() ? std::string("nothing committed by this run")
                                    : fmt::format("last committed {}:{}{}", p.file, p.position,
                                                  p.gtid.empty() ? "" : " (GTID " + p.gtid + ")");
  print_summary("replay",
                fmt::format("applied {} transactions ({} read{}), {}, {}", p.transactions_run, mib(p.bytes_done),
                            r.skipped_errors > 0 ? fmt::format(", {} errors skipped", r.skipped_errors) : "", end,
                            last),
                seconds);
}

int run_replay(replay_args& a) {
  bk::replay_options o;
  if (auto err = a.filters.to_filter(o.filter); !err.empty()) {
    fmt::print(stderr, "binlogkit: {}\n", err);
    return exit_code::usage;
  }
  if (a.files.empty() && !a.conn.print_defaults) {
    fmt::print(stderr, "binlogkit replay: no binlog given (FILE..., an index file or a directory)\n");
    return exit_code::usage;
  }
  auto conn = resolve_connection(a.conn, "binlogkit replay");
  if (conn.printed) return exit_code::ok;
  if (!conn.error.empty()) {
    fmt::print(stderr, "binlogkit replay: {}\n", conn.error);
    return exit_code::usage;
  }
  o.connection = std::move(conn.options);
  o.replay_id = a.replay_id;
  o.resume = a.resume;
  o.skip_errors = a.skip_errors;
  o.force_same_server = a.force_same_server;
  o.mysql_gtids = o.mariadb_gtids = !a.filters.skip_gtids;
  o.disable_log_bin = a.disable_log_bin;
  o.parallel = a.parallel;
  o.mode = a.parallel_mode == "optimistic" ? bk::replay_options::parallel_mode::optimistic
                                           : bk::replay_options::parallel_mode::conservative;
  o.batches = a.parallel_batches == "on"    ? bk::replay_options::batch_mode::always
              : a.parallel_batches == "off" ? bk::replay_options::batch_mode::never
                                            : bk::replay_options::batch_mode::automatic;
  o.verbose = a.verbose;
  o.ignore_hazards = a.ignore_hazards;
  o.stream_threshold = a.stream_threshold;
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const bool json = a.progress == "json";
  const bool line = a.progress == "tty" || (a.progress == "auto" && tty);
  bool line_shown = false;
  if (json) {
    o.on_progress = [](const bk::replay_progress& p) {
      fmt::print(stderr, "{}\n", bk::progress_json(p));
      std::fflush(stderr);
    };
  } else if (line) {
    o.on_progress = [&line_shown](const bk::replay_progress& p) {
      fmt::print(stderr, "\r{:<100}", bk::progress_line(p));
      if (p.finished) fmt::print(stderr, "\n");
      line_shown = !p.finished;
      std::fflush(stderr);
    };
  }
  o.on_note = [&line_shown](const std::string& text) {
    if (line_shown) {
      fmt::print(stderr, "\n");
      line_shown = false;
    }
    fmt::print(stderr, "binlogkit: note: {}\n", text);
  };
  o.on_warning = [&line_shown](const std::string& text) {
    if (line_shown) {
      fmt::print(stderr, "\n");
      line_shown = false;
    }
    fmt::print(stderr, "binlogkit: warning: {}\n", text);
  };
  stopwatch clock;
  auto r = bk::replay(a.files, o);
  if (line_shown) fmt::print(stderr, "\n");
  if (!r.ok()) {
    if (r.failure->unreadable_input) {  // as every command says it, nothing applied
      fmt::print(stderr, "binlogkit: {}\n", r.failure->message);
      return exit_code::unreadable;
    }
    fmt::print(stderr, "binlogkit: {}\n", r.failure->text());
    // What the target holds from this run: it is whole up to there.
    if (r.progress.transactions_run > 0) {
      fmt::print(stderr, "binlogkit: applied by this run: {} transactions, the last ending at {}:{}{}\n",
                 r.progress.transactions_run, r.progress.file, r.progress.position,
                 r.progress.gtid.empty() ? "" : fmt::format(" (GTID {})", r.progress.gtid));
    } else {
      fmt::print(stderr, "binlogkit: applied by this run: nothing\n");
    }
  }
  print_replay_summary(r, json, clock.seconds());
  return replay_exit(r);
}

}  // namespace

command_runner add_replay_commands(CLI::App& app, const command_line_password& password) {
  auto sa = std::make_shared<sql_args>();
  auto* sql = app.add_subcommand(
      "sql",
      "Print the binlog as SQL that `mariadb --binary-mode` / `mysql --binary-mode` applies, as mysqlbinlog does "
      "(add --local-infile=1 for LOAD DATA)");
  sql->footer(exit_help_sql);
  sql->add_option("files", sa->files, "Binlog files, an index file or a directory, in order")->required();
  sa->filters.add_to(sql);
  add_progress_option(sql, sa->progress);
  sql->add_option("--dialect", sa->dialect, "Statements for: auto (the binlog's server), mariadb, mysql")
      ->check(CLI::IsMember({"auto", "mariadb", "mysql"}));
  sql->add_option("--local-load", sa->local_load,
                  "Directory for LOAD DATA files (default: a new directory under TMPDIR)");
  sql->add_flag("--no-batch", sa->no_batch, "One BINLOG statement per row statement");
  sql->add_option("--stream-threshold", sa->stream_threshold,
                  "Write a transaction out in pieces once its text exceeds this (bytes, K/M/G suffixes; default 64M, "
                  "0: hold each transaction whole)")
      ->transform(CLI::AsSizeValue(false));

  auto ra = std::make_shared<replay_args>();
  ra->conn.password = password;
  auto* rp = app.add_subcommand(
      "replay", "Apply binlog transactions to a server over one session, exactly as `mysqlbinlog | mysql` would, "
                "and resumably (crash-safe progress in binlogkit.replay_progress)");
  rp->footer(
      "Each transaction goes with a row of binlogkit.replay_progress updated inside it, before its COMMIT: after a "
      "kill or a crash of the target the row names the last transaction the target holds, and --resume continues "
      "right after it. Many transactions share one round trip.\n"
      "Window: DDL, statements on non-transactional tables (MyISAM, Aria), XA PREPARE / XA COMMIT and transactions "
      "that end in ROLLBACK commit on their own; their progress is written right after them, and a crash of the "
      "target in between makes --resume apply them again (skip the resulting error with --skip-errors, e.g. "
      "1050,1051,1060).\n"
      "Connection: as the mariadb client: -h/--host, -P/--port, -S/--socket, -u/--user, -pPASSWORD (-p alone "
      "asks), then option files ([client], [client-server], [client-mariadb], [mysql], [mariadb-client], "
      "[binlogkit] of /etc/my.cnf, /etc/mysql/my.cnf, $MARIADB_HOME/my.cnf, --defaults-extra-file, ~/.my.cnf; or "
      "only --defaults-file), then MYSQL_PWD for the password; the command line wins.\n"
      "--parallel N: transactions that the binlog says may run together (MariaDB: the same group commit id, "
      "FL_TRANSACTIONAL; MySQL: last_committed / sequence_number) execute on N connections; the others (DDL, "
      "non-transactional tables, binlogs without that information) run alone, which --verbose reports. Each "
      "transaction commits only after every earlier one, with its progress row in the same COMMIT, so the target "
      "passes through the source's states and --resume works as with one connection. A transaction that waits "
      "for a lock a later one holds (the later one waiting for its turn to commit) is found and the later ones "
      "are rolled back and run again.\n"
      "No out-of-order commit mode is offered: it would let the target hold states the source never had (a later "
      "transaction visible without an earlier one), the progress row would no longer be one position but a set "
      "of applied transactions (a gap list per worker, as MySQL's replica keeps), and a resume would have to "
      "skip exactly those; the gain is only the commit round trips saved while an earlier transaction is slow.\n"
      "Datetimes are read in the local time zone of TZ, as mysqlbinlog reads them (TZ=UTC for UTC).\n"
      "A summary line on stderr at the end (JSON with --progress=json).\n" +
      std::string(exit_help_replay));
  // Required unless --print-defaults (checked in run_replay).
  rp->add_option("files", ra->files, "Binlog files, an index file or a directory, in order");
  ra->filters.add_to(rp);
  add_connection_options(rp, ra->conn);
  rp->add_option("--replay-id", ra->replay_id,
                 "Name of this replay in binlogkit.replay_progress, at most 64 characters and no '#' "
                 "(default: the first file's name without its .NNNNNN suffix, '#' as '_')");
  rp->add_flag("--resume", ra->resume, "Continue after the last transaction recorded for the replay id");
  rp->add_flag("--ignore-hazards", ra->ignore_hazards,
               "Start even when a temporary table or LOAD DATA file from before the start point (a start option or "
               "--resume) is needed after it (listed as warnings; the server then fails where the list says)");
  rp->add_option("--skip-errors", ra->skip_errors, "Server error numbers to skip, e.g. 1062,1032 (each reported)")
      ->delimiter(',')
      ->allow_extra_args(false);
  rp->add_flag("--force-same-server", ra->force_same_server,
               "Replay even into the server that wrote the binlog (same server_id / server_uuid)");
  rp->add_option("--progress", ra->progress,
                 "auto (a status line when stderr is a terminal), tty, json (JSON lines on stderr), none")
      ->check(CLI::IsMember({"auto", "tty", "json", "none"}));
  rp->add_flag("--disable-log-bin", ra->disable_log_bin, "The target does not binlog what is replayed (sql_log_bin=0)");
  rp->add_option("--parallel", ra->parallel,
                 "Connections applying transactions at once (default 1); commits stay in binlog order")
      ->check(CLI::Range(1u, 64u));
  rp->add_option("--parallel-mode", ra->parallel_mode,
                 "conservative (default): what the binlog's group commit ids / logical clock allow together; "
                 "optimistic: every row-based transactional transaction, conflicts rolled back and retried")
      ->check(CLI::IsMember({"conservative", "optimistic"}));
  rp->add_option("--parallel-batches", ra->parallel_batches,
                 "With --parallel: batches, one connection sending runs of transactions in one packet. auto "
                 "(default): starts with batches, tries the N connections in turns and keeps whichever commits "
                 "faster; off: never; on: always")
      ->check(CLI::IsMember({"auto", "off", "on"}));
  rp->add_option("--stream-threshold", ra->stream_threshold,
                 "Send a transaction in pieces as it is read once its statements exceed this (bytes, K/M/G "
                 "suffixes; default 64M; 0: hold each transaction whole); it commits once, as a whole")
      ->transform(CLI::AsSizeValue(false));
  rp->add_flag("--verbose,-v", ra->verbose,
               "Say where the parallel applier falls back to serial, conflicts it resolves, and a summary");

  return [sql, sa, rp, ra]() -> std::optional<int> {
    if (sql->parsed()) return run_sql(*sa);
    if (rp->parsed()) return run_replay(*ra);
    return std::nullopt;
  };
}

}  // namespace binlogkit_cli

namespace binlogkit_cli {
bool connects(const CLI::App& command) { return command.get_name() == "replay" || command.get_name() == "triage"; }
}  // namespace binlogkit_cli
