// `binlogkit sql` and `binlogkit replay`: argument parsing and dispatch to sql.hpp and
// replay.hpp; the work is library calls.
#include <fcntl.h>
#include <termios.h>
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

#include "binlogkit/inputs.hpp"
#include "binlogkit/replay.hpp"
#include "binlogkit/source.hpp"
#include "binlogkit/sql.hpp"
#include "commands.hpp"

namespace bk = binlogkit;

namespace binlogkit_cli {

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

// Filter options shared by `sql` and `replay`, as mysqlbinlog names them.
struct filter_args {
  std::uint64_t start_position = 0;
  std::optional<std::uint64_t> stop_position;
  std::string start_datetime, stop_datetime;
  std::string include_gtids, exclude_gtids;
  std::vector<std::string> databases;
  std::vector<std::string> rewrite_db;
  bool skip_gtids = false;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--start-position,-j", start_position,
                    "First file: skip transactions that start before this offset");
    cmd->add_option("--stop-position", stop_position,
                    "Last file: stop before the first transaction with an event at or after this offset");
    cmd->add_option("--start-datetime", start_datetime,
                    "Skip transactions older than 'YYYY-MM-DD HH:MM:SS' (local time of TZ, like mysqlbinlog)");
    cmd->add_option("--stop-datetime", stop_datetime,
                    "Stop before the first transaction with an event at or after 'YYYY-MM-DD HH:MM:SS' "
                    "(local time of TZ)");
    cmd->add_option("--include-gtids", include_gtids,
                    "Only these GTIDs: MariaDB 'D-S-N[,D-S-FIRST-LAST…]', MySQL 'UUID:1-5[:TAG:1-3],…'");
    cmd->add_option("--exclude-gtids", exclude_gtids, "Not these GTIDs (same forms as --include-gtids)");
    cmd->add_option("--database,-d", databases,
                    "Only this database (repeatable): row events by their table's database, statements by "
                    "their default database, as mysqlbinlog --database")
        ->allow_extra_args(false);
    cmd->add_option("--rewrite-db", rewrite_db,
                    "'FROM->TO' (repeatable): default database of statements and database of row events")
        ->allow_extra_args(false);
    cmd->add_flag("--skip-gtids", skip_gtids, "Do not set the source's GTIDs (gtid_seq_no / GTID_NEXT)");
  }

  // Empty on success, else the message.
  std::string to_filter(bk::sql_filter& f) const {
    f.start_position = start_position;
    f.stop_position = stop_position;
    if (!start_datetime.empty()) {
      auto t = bk::parse_local_datetime(start_datetime);
      if (!t) return fmt::format("--start-datetime '{}': {}", start_datetime, t.error().detail);
      f.start_datetime = *t;
    }
    if (!stop_datetime.empty()) {
      auto t = bk::parse_local_datetime(stop_datetime);
      if (!t) return fmt::format("--stop-datetime '{}': {}", stop_datetime, t.error().detail);
      f.stop_datetime = *t;
    }
    if (!include_gtids.empty()) {
      auto s = bk::gtid_set::parse(include_gtids);
      if (!s) return fmt::format("--include-gtids '{}': {}", include_gtids, s.error().detail);
      f.include_gtids = std::move(*s);
    }
    if (!exclude_gtids.empty()) {
      auto s = bk::gtid_set::parse(exclude_gtids);
      if (!s) return fmt::format("--exclude-gtids '{}': {}", exclude_gtids, s.error().detail);
      f.exclude_gtids = std::move(*s);
    }
    f.databases = databases;
    for (const auto& r : rewrite_db) {
      auto p = bk::parse_rewrite_db(r);
      if (!p) return fmt::format("--rewrite-db '{}': {}", r, p.error().detail);
      f.rewrite_db.push_back(std::move(*p));
    }
    return {};
  }
};

std::string open_error_text(const std::string& path, const bk::error& e) {
  int err = bk::source::last_errno();
  if (err != 0) return fmt::format("{}: {}: {}", path, e.detail, std::strerror(err));
  return fmt::format("{}: {}", path, e.detail);
}

void print_note(const bk::stream_note& n, const std::vector<bk::binlog_input>& inputs) {
  std::string file = n.file_index < inputs.size() ? inputs[n.file_index].name : std::string("?");
  fmt::print(stderr, "binlogkit: note: {}:{}: {}\n", file, n.offset, n.text);
}

// ---- sql ----------------------------------------------------------------------------

struct sql_args {
  std::vector<std::string> files;
  filter_args filters;
  std::string dialect = "auto";
  std::string local_load;
  bool no_batch = false;
  std::size_t stream_threshold = bk::render_options{}.stream_threshold;
};

int run_sql(const sql_args& a) {
  bk::sql_filter filter;
  if (auto err = a.filters.to_filter(filter); !err.empty()) {
    fmt::print(stderr, "binlogkit: {}\n", err);
    return exit_usage;
  }
  auto files = bk::expand_inputs(a.files);
  if (!files) {
    fmt::print(stderr, "binlogkit: {}\n", files.error().detail);
    return exit_usage;
  }
  std::vector<bk::source> sources;
  std::vector<bk::binlog_input> inputs;
  for (const auto& f : *files) {
    auto src = bk::source::open(f);
    if (!src) {
      fmt::print(stderr, "binlogkit: {}\n", open_error_text(f, src.error()));
      return exit_usage;
    }
    src->advise_sequential();
    sources.push_back(std::move(*src));
  }
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
      return exit_failed;
    }
    dir = templ;
  }
  std::error_code ec;
  if (!a.local_load.empty()) std::filesystem::create_directories(dir, ec);
  auto abs = std::filesystem::absolute(dir, ec).lexically_normal().string();
  if (ec || abs.find_first_of("'\\\n\r") != std::string::npos) {
    fmt::print(stderr, "binlogkit: --local-load: '{}' cannot be named in a LOAD DATA statement\n", dir);
    return exit_usage;
  }
  ro.load_prefix = abs + "/binlogkit-load-";

  bk::transaction_stream stream(std::move(inputs), std::move(filter), std::move(ro));
  auto r = bk::write_sql_text(stdout, stream, {}, [&](const bk::stream_note& n) { print_note(n, stream.inputs()); });
  std::fflush(stdout);
  if (a.local_load.empty()) {
    std::filesystem::remove(dir, ec);  // only if empty: files there are for the client to read
  }
  if (!r) {
    const auto& e = r.error();
    std::string file = stream.file_index() < stream.inputs().size() ? stream.inputs()[stream.file_index()].name : "";
    fmt::print(stderr, "binlogkit: {}: {}\n", file, e.message());
    return exit_failed;
  }
  return exit_ok;
}

// ---- replay -------------------------------------------------------------------------

struct replay_args {
  std::vector<std::string> files;
  filter_args filters;
  bk::connection_options conn;
  bool password_prompt = false;
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
};

}  // namespace

std::optional<std::string> prompt_password() {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY);
  if (fd < 0) return std::nullopt;
  const char prompt[] = "Enter password: ";
  (void)!::write(fd, prompt, sizeof prompt - 1);
  termios old{};
  bool restore = ::tcgetattr(fd, &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::string pw;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n' && c != '\r') pw += c;
  if (restore) ::tcsetattr(fd, TCSAFLUSH, &old);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  return pw;
}

namespace {

int run_replay(replay_args& a) {
  bk::replay_options o;
  if (auto err = a.filters.to_filter(o.filter); !err.empty()) {
    fmt::print(stderr, "binlogkit: {}\n", err);
    return exit_usage;
  }
  if (a.password_prompt) {
    auto pw = prompt_password();
    if (!pw) {
      fmt::print(stderr, "binlogkit: --password-prompt: no terminal to read the password from\n");
      return exit_usage;
    }
    a.conn.password = std::move(*pw);
  }
  o.connection = a.conn;
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
  auto r = bk::replay(a.files, o);
  if (line_shown) fmt::print(stderr, "\n");
  if (!r.ok()) {
    fmt::print(stderr, "binlogkit: {}\n", r.failure->text());
    return exit_failed;
  }
  if (!json && !line) {
    // Quiet otherwise, but a one-line summary is worth it when nothing else was printed.
  }
  return exit_ok;
}

}  // namespace

command_runner add_replay_commands(CLI::App& app) {
  auto sa = std::make_shared<sql_args>();
  auto* sql = app.add_subcommand(
      "sql",
      "Print the binlog as SQL that `mariadb --binary-mode` / `mysql --binary-mode` applies, as mysqlbinlog does "
      "(add --local-infile=1 for LOAD DATA)");
  sql->add_option("files", sa->files, "Binlog files, an index file or a directory, in order")->required();
  sa->filters.add_to(sql);
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
      "Password: --password-prompt, else the [client] group of --defaults-file (or of ~/.my.cnf and the other "
      "default option files), else MYSQL_PWD.\n"
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
      "Exit 0: applied (up to a stop point); 1: stopped at an error (file, position, GTID, statement and the "
      "server's error on stderr); 2: bad arguments.");
  rp->add_option("files", ra->files, "Binlog files, an index file or a directory, in order")->required();
  ra->filters.add_to(rp);
  rp->add_option("--host", ra->conn.host, "Target server host");
  rp->add_option("--port,-P", ra->conn.port, "Target server port");
  rp->add_option("--socket,-S", ra->conn.socket, "Target server Unix socket");
  rp->add_option("--user,-u", ra->conn.user, "User name");
  rp->add_flag("--password-prompt,-p", ra->password_prompt, "Ask for the password on the terminal");
  rp->add_option("--defaults-file", ra->conn.defaults_file, "Option file whose [client] group to read");
  rp->add_flag("--no-defaults", ra->conn.no_defaults, "Read no option file");
  rp->add_option("--ssl-ca", ra->conn.ssl_ca, "CA certificate file");
  rp->add_option("--ssl-cert", ra->conn.ssl_cert, "Client certificate file");
  rp->add_option("--ssl-key", ra->conn.ssl_key, "Client key file");
  rp->add_option("--ssl-mode", ra->conn.ssl_mode, "DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY")
      ->check(CLI::IsMember({"DISABLED", "PREFERRED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"}, CLI::ignore_case));
  rp->add_option("--replay-id", ra->replay_id,
                 "Name of this replay in binlogkit.replay_progress, at most 64 characters and no '#' "
                 "(default: the first file's name without its .NNNNNN suffix, '#' as '_')");
  rp->add_flag("--resume", ra->resume, "Continue after the last transaction recorded for the replay id");
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
