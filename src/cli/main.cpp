// binlogkit command line: argument parsing and dispatch only; the work is library calls.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <filesystem>

#include <sys/stat.h>

#include <cerrno>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <optional>

#include "binlogkit/dump.hpp"
#include "binlogkit/inputs.hpp"
#include "binlogkit/replica_probe.hpp"
#include "binlogkit/triage.hpp"
#include "binlogkit/source.hpp"
#include "binlogkit/verify.hpp"
#include "commands.hpp"

namespace bk = binlogkit;

namespace {

// Exit codes a script can use.
constexpr int exit_ok = 0;
constexpr int exit_damaged = 1;
constexpr int exit_unreadable = 2;

std::string open_error_text(const std::string& path, const bk::error& e) {
  int err = bk::source::last_errno();
  if (err != 0) return fmt::format("{}: {}: {}", path, e.detail, std::strerror(err));
  return fmt::format("{}: {}", path, e.detail);
}

int run_dump(const std::vector<std::string>& files, const bk::dump_options& options) {
  int rc = exit_ok;
  for (const auto& path : files) {
    auto src = bk::source::open(path);
    if (!src) {
      std::fflush(stdout);
      fmt::print(stderr, "binlogkit: {}\n", open_error_text(path, src.error()));
      rc = exit_unreadable;
      continue;
    }
    auto r = bk::dump_file(stdout, *src, options);
    if (!r) {
      std::fflush(stdout);
      fmt::print(stderr, "binlogkit: {}: {}\n", path, r.error().message());
      rc = std::max(rc, r.error().code == bk::errc::bad_magic ? exit_unreadable : exit_damaged);
    }
  }
  return rc;
}

int run_verify(const std::vector<std::string>& files, bool as_json, bool allow_unknown, bool quiet,
               unsigned threads) {
  int rc = exit_ok;
  for (const auto& path : files) {
    auto src = bk::source::open(path);
    if (!src) {
      if (as_json) {
        nlohmann::ordered_json j;
        j["file"] = path;
        j["status"] = "unreadable";
        j["error"] = open_error_text(path, src.error());
        fmt::print("{}\n", j.dump());
      } else {
        fmt::print(stderr, "binlogkit: {}\n", open_error_text(path, src.error()));
      }
      rc = exit_unreadable;
      continue;
    }
    bk::verify_options vo;
    vo.allow_unknown_types = allow_unknown;
    vo.threads = threads;
    src->advise_sequential();
    const bk::source& s = *src;
    vo.release = [&s](std::uint64_t begin, std::uint64_t end) { s.release_range(begin, end); };
    auto report = bk::verify_bytes(src->data(), vo);
    const bool only_encrypted = report.encrypted_events > 0 && report.problems.size() == 1;
    const char* status = report.unreadable()  ? "unreadable"
                         : report.intact()    ? "intact"
                         : only_encrypted     ? "unverifiable"
                                              : "damaged";
    if (as_json) {
      nlohmann::ordered_json j;
      j["file"] = path;
      j["status"] = status;
      j["events"] = report.events;
      j["bytes"] = src->data().size();
      j["bytes_checked"] = report.bytes_checked;
      j["checksums"] = report.has_checksums ? "CRC32" : "none";
      j["checksums_verified"] = report.checksums_verified;
      j["encrypted_events"] = report.encrypted_events;
      j["server_version"] = report.server_version;
      j["flavor"] = bk::to_string(report.flavor);
      j["in_use"] = report.in_use;
      auto& problems = j["problems"] = nlohmann::ordered_json::array();
      for (const auto& p : report.problems) {
        nlohmann::ordered_json pj;
        pj["offset"] = p.offset;
        pj["kind"] = bk::to_string(p.code);
        if (p.event_type >= 0) {
          pj["event_type"] = bk::type_name(static_cast<std::uint8_t>(p.event_type));
          pj["type_code"] = p.event_type;
        }
        pj["detail"] = p.detail;
        problems.push_back(pj);
      }
      fmt::print("{}\n", j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
    } else {
      for (const auto& p : report.problems) {
        fmt::print("{}: {}\n", path, p.message());
      }
      if (report.encrypted_events > 0) {
        fmt::print("{}: {} encrypted events framed but not checked\n", path, report.encrypted_events);
      }
      if (!quiet || !report.intact()) {
        fmt::print("{}: {}: {} events, {} of {} bytes checked, checksums {}{}\n", path, status,
                   report.events, report.bytes_checked, src->data().size(),
                   report.has_checksums ? fmt::format("CRC32 ({} verified)", report.checksums_verified)
                                        : std::string("none (content unverifiable)"),
                   report.in_use ? ", marked in use (not closed properly)" : "");
      }
    }
    if (report.unreadable()) rc = std::max(rc, exit_unreadable);
    else if (!report.intact()) rc = std::max(rc, exit_damaged);
  }
  return rc;
}

struct opened_set {
  std::vector<bk::source> sources;
  std::vector<bk::triage_input> inputs;
  std::vector<std::optional<std::size_t>> source_of;  // per input: its source (none: missing)
};

// A file written in the last minute may be a live relay log, which a mapping must not
// hold (truncation under a mapping raises SIGBUS): read those with pread, map the rest.
bk::source_kind kind_for(const std::string& path) {
  if (path == "-") return bk::source_kind::automatic;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return bk::source_kind::pread;
  const auto age = std::time(nullptr) - st.st_mtime;
  return age < 60 ? bk::source_kind::pread : bk::source_kind::automatic;
}

// Opens every file of the set (index, directory or files). `allow_missing`: a file the
// index lists that does not exist becomes a missing input (triage reports it as lost).
std::optional<opened_set> open_set(const std::vector<std::string>& args, bool allow_missing = false) {
  auto files = bk::expand_inputs(args);
  if (!files) {
    fmt::print(stderr, "binlogkit: {}: {}\n", fmt::join(args, " "), files.error().detail);
    return std::nullopt;
  }
  opened_set set;
  auto& slot = set.source_of;
  for (const auto& f : *files) {
    std::error_code ec;
    if (allow_missing && !std::filesystem::exists(f, ec)) {
      slot.emplace_back(std::nullopt);
      continue;
    }
    auto src = bk::source::open(f, kind_for(f));
    if (!src) {
      fmt::print(stderr, "binlogkit: {}\n", open_error_text(f, src.error()));
      return std::nullopt;
    }
    slot.emplace_back(set.sources.size());
    set.sources.push_back(std::move(*src));
  }
  for (std::size_t i = 0; i < slot.size(); ++i) {
    if (slot[i]) set.inputs.push_back({set.sources[*slot[i]].name(), set.sources[*slot[i]].data()});
    else set.inputs.push_back({(*files)[i], {}, true});
  }
  return set;
}

struct triage_cli_options {
  std::string executed_position, executed_gtids, relay_log_info, master_info;
  bool relay = false, binlog = false;
  // --replica: ask the replica itself (read-only) for its executed position.
  bool replica = false, password_prompt = false;
  bk::connection_options conn;
};

// --replica: SHOW SLAVE STATUS and @@gtid_slave_pos (or MySQL's) of the replica; what the
// command line gives explicitly (--executed-*, info files) wins. False: error printed.
bool ask_replica(triage_cli_options o, bk::triage_options& opt) {
  if (o.password_prompt) {
    auto pw = binlogkit_cli::prompt_password();
    if (!pw) {
      fmt::print(stderr, "binlogkit: --password-prompt: no terminal to read the password from\n");
      return false;
    }
    o.conn.password = std::move(*pw);
  }
  std::string err;
  auto status = bk::read_replica_status(o.conn, err);
  if (!status) {
    fmt::print(stderr, "binlogkit: --replica: {}\n", err);
    return false;
  }
  if (!status->configured) {
    fmt::print(stderr, "binlogkit: --replica: the server is not a replica (SHOW SLAVE STATUS is empty)\n");
    return false;
  }
  bk::apply_replica_status(*status, opt);
  return true;
}

int run_triage(const std::vector<std::string>& args, bool as_json, const triage_cli_options& o) {
  const std::string& executed_position = o.executed_position;
  const std::string& executed_gtids = o.executed_gtids;
  const bool force_relay = o.relay, force_binlog = o.binlog;
  auto set = open_set(args, true);
  if (!set) return exit_unreadable;
  bk::triage_options opt;
  if (o.replica && !ask_replica(o, opt)) return exit_unreadable;
  // The replica's position files: relay-log.info gives the executed position (as
  // --executed-position, which wins when both are given), master.info what was fetched.
  if (!o.relay_log_info.empty()) {
    auto text = bk::read_text_file(o.relay_log_info);
    auto info = text ? bk::parse_relay_log_info(*text) : bk::result<bk::relay_log_info>(bk::unexpected(text.error()));
    if (!info) {
      fmt::print(stderr, "binlogkit: {}: {}\n", o.relay_log_info, info.error().detail);
      return exit_unreadable;
    }
    opt.executed_position = bk::source_position{info->source_file, info->source_pos};
    opt.executed_relay_position = bk::source_position{info->relay_file, info->relay_pos};
    opt.executed_origin = "relay-log.info";
  }
  if (!o.master_info.empty()) {
    auto text = bk::read_text_file(o.master_info);
    auto info = text ? bk::parse_master_info(*text) : bk::result<bk::master_info>(bk::unexpected(text.error()));
    if (!info) {
      fmt::print(stderr, "binlogkit: {}: {}\n", o.master_info, info.error().detail);
      return exit_unreadable;
    }
    opt.read_position = bk::source_position{info->source_file, info->read_pos};
  }
  if (!executed_position.empty()) {
    opt.executed_origin = "--executed-position";
    opt.executed_position = bk::parse_source_position(executed_position);
    if (!opt.executed_position) {
      fmt::print(stderr, "binlogkit: --executed-position wants FILE:POS, got '{}'\n", executed_position);
      return exit_unreadable;
    }
  }
  if (!executed_gtids.empty()) {
    opt.executed_gtids = executed_gtids;
    opt.executed_origin = "--executed-gtids";
  }
  if (force_relay) opt.relay = true;
  if (force_binlog) opt.relay = false;
  for (const auto& src : set->sources) src.advise_sequential();
  opt.progress = [&set](std::size_t input, std::uint64_t offset) {
    if (const auto& at = set->source_of[input]) set->sources[*at].release_before(offset);
  };
  auto report = bk::triage(set->inputs, opt);
  if (as_json) fmt::print("{}\n", bk::triage_report_json(report));
  else fmt::print("{}", bk::triage_report_text(report, set->inputs));
  return report.exit_code();
}

int run_salvage(const std::string& in, const std::string& out) {
  auto set = open_set({in});
  if (!set) return exit_unreadable;
  if (set->inputs.size() != 1) {
    fmt::print(stderr, "binlogkit: salvage takes one binlog or relay-log file\n");
    return exit_unreadable;
  }
  auto report = bk::triage(set->inputs);
  if (!report.last_good) {
    fmt::print(stderr, "binlogkit: {}: no complete transaction to keep\n", in);
    return 3;
  }
  auto copy = bk::salvage_copy(set->inputs[0].data, report.last_good->relay_pos);
  if (!copy) {
    fmt::print(stderr, "binlogkit: {}: {}\n", in, copy.error().message());
    return exit_unreadable;
  }
  std::FILE* f = std::fopen(out.c_str(), "wbx");
  if (f == nullptr) {
    fmt::print(stderr, "binlogkit: {}: cannot create (it must not exist yet): {}\n", out, std::strerror(errno));
    return exit_unreadable;
  }
  bool ok = std::fwrite(copy->data(), 1, copy->size(), f) == copy->size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    fmt::print(stderr, "binlogkit: {}: write failed: {}\n", out, std::strerror(errno));
    return exit_unreadable;
  }
  fmt::print("{}: kept {} of {} bytes, {} complete transactions, ending at source {}:{}{}\n", out, copy->size(),
             set->inputs[0].data.size(), report.transactions_before_damage, report.last_good->source.file,
             report.last_good->source.pos,
             report.last_good->gtid.empty() ? "" : fmt::format(" (GTID {})", report.last_good->gtid));
  return report.damage.empty() ? exit_ok : exit_damaged;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"binlogkit: read, verify, triage and replay MySQL and MariaDB binary logs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "binlogkit 0.1.0");

  std::vector<std::string> files;
  bk::dump_options dump_opts;
  bool no_verify = false;
  auto* dump = app.add_subcommand("dump", "Print every event (mysqlbinlog-style headers, or --json lines)");
  dump->add_option("files", files, "Binlog or relay-log files ('-' for standard input, .gz inflated)")->required();
  dump->add_flag("--json", dump_opts.json, "One JSON object per event (JSON Lines)");
  dump->add_option("--start-position,-j", dump_opts.start_position, "Skip events that start before this offset");
  dump->add_option("--stop-position", dump_opts.stop_position, "Stop at the first event that starts at or after this offset");
  dump->add_flag("--no-verify-checksums", no_verify, "Do not compute CRC32 checksums");
  dump->add_flag("--allow-unknown-events", dump_opts.allow_unknown_types, "Read past unknown event types");
  dump->add_option("--threads", dump_opts.threads,
                   "Threads for large files (0: one per core); the output is the same with any number");
  dump->add_flag("-v,--verbose", dump_opts.verbosity,
                 "Rows as mysqlbinlog -v prints them (### lines; with --json: \"rows\"); -vv adds type comments");

  bool verify_json = false, verify_unknown = false, verify_quiet = false;
  unsigned verify_threads = 0;
  std::vector<std::string> verify_files;
  auto* verify = app.add_subcommand("verify",
      "Check every event; exit 0 intact, 1 damaged, 2 unreadable");
  verify->add_option("files", verify_files, "Binlog or relay-log files")->required();
  verify->add_flag("--json", verify_json, "One JSON object per file");
  verify->add_flag("--allow-unknown-events", verify_unknown, "Read past unknown event types");
  verify->add_flag("--quiet,-q", verify_quiet, "Print only damaged files");
  verify->add_option("--threads", verify_threads,
                     "Threads for large files (0: one per core); the report is the same with any number");

  std::vector<std::string> triage_files;
  bool triage_json = false, triage_relay = false, triage_binlog = false;
  triage_cli_options triage_opts;
  std::string& executed_position = triage_opts.executed_position;
  std::string& executed_gtids = triage_opts.executed_gtids;
  auto* triage = app.add_subcommand("triage",
      "Find every damaged event of a binlog or relay-log set, the last good source position and "
      "the statements that resume replication there. Exit 0 clean, 1 damaged with a resume point, "
      "3 no trusted resume point, 2 unreadable");
  triage->add_option("inputs", triage_files, "A relay-log index file, a directory, or files in order")->required();
  triage->add_flag("--json", triage_json, "Machine-readable report");
  triage->add_option("--executed-position", executed_position,
                     "What the replica applied, in source coordinates (Relay_Master_Log_File:Exec_Master_Log_Pos)");
  triage->add_option("--executed-gtids", executed_gtids, "The replica's executed GTIDs (gtid_executed / gtid_slave_pos)");
  triage->add_option("--relay-log-info", triage_opts.relay_log_info,
                     "The replica's relay-log.info: its executed position, cross-checked as --executed-position");
  triage->add_option("--master-info", triage_opts.master_info,
                     "The replica's master.info: how far it had read from the source");
  triage->add_flag("--relay", triage_relay, "Read the files as relay logs");
  triage->add_flag("--binlog", triage_binlog, "Read the files as a server's own binlogs");
  triage->add_flag("--replica", triage_opts.replica,
                   "Ask the replica (read-only: SHOW SLAVE STATUS, @@gtid_slave_pos / @@gtid_executed) what it "
                   "executed; connection as the mysql client: --host, -P, -S, -u, -p, --defaults-file");
  triage->add_option("--host", triage_opts.conn.host, "Replica host (with --replica)");
  triage->add_option("--port,-P", triage_opts.conn.port, "Replica port (with --replica)");
  triage->add_option("--socket,-S", triage_opts.conn.socket, "Replica Unix socket (with --replica)");
  triage->add_option("--user,-u", triage_opts.conn.user, "User name (with --replica)");
  triage->add_flag("--password-prompt,-p", triage_opts.password_prompt, "Ask for the password on the terminal");
  triage->add_option("--defaults-file", triage_opts.conn.defaults_file, "Read [client] options from this file only");

  std::string salvage_in, salvage_out;
  auto* salvage = app.add_subcommand("salvage",
      "Write a copy of IN that ends at its last complete transaction before any damage");
  salvage->add_option("in", salvage_in, "Damaged binlog or relay log (never modified)")->required();
  salvage->add_option("out", salvage_out, "Copy to write (must not exist)")->required();

  auto run_replay_commands = binlogkit_cli::add_replay_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : exit_unreadable;
  }
  if (dump->parsed()) {
    dump_opts.verify_checksums = !no_verify;
    return run_dump(files, dump_opts);
  }
  if (verify->parsed()) return run_verify(verify_files, verify_json, verify_unknown, verify_quiet, verify_threads);
  if (triage->parsed()) {
    triage_opts.relay = triage_relay;
    triage_opts.binlog = triage_binlog;
    return run_triage(triage_files, triage_json, triage_opts);
  }
  if (salvage->parsed()) return run_salvage(salvage_in, salvage_out);
  if (auto rc = run_replay_commands()) return *rc;
  return exit_ok;
}
