// `dump`, `verify`, `triage` and `salvage`: argument parsing and dispatch to the library.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "binlogkit/tools/dump.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/events/hazards.hpp"
#include "binlogkit/core/file_output.hpp"
#include "binlogkit/events/inputs.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/replay/replica_probe.hpp"
#include "binlogkit/sql/bound_hazards.hpp"
#include "binlogkit/rows/row_text.hpp"
#include "binlogkit/core/source.hpp"
#include "binlogkit/events/transaction.hpp"
#include "binlogkit/triage/triage.hpp"
#include "binlogkit/tools/verify.hpp"
#include "commands.hpp"
#include "connect_options.hpp"
#include "dump_select.hpp"
#include "exit_codes.hpp"
#include "filter_args.hpp"
#include "report.hpp"

namespace bk = binlogkit;

namespace binlogkit_cli {

namespace {

using ojson = nlohmann::ordered_json;

// An input that cannot be used: a line on stderr, or with --json a line of its own.
void report_unreadable(const std::string& path, const std::string& text, bool as_json) {
  if (!as_json) {
    std::fflush(stdout);
    fmt::print(stderr, "binlogkit: {}\n", text);
    return;
  }
  ojson j;
  j["file"] = path;
  j["status"] = "unreadable";
  j["error"] = text;
  fmt::print("{}\n", j.dump(-1, ' ', false, ojson::error_handler_t::replace));
}

// The files the arguments name (index files and directories expanded); an argument
// that names nothing is reported and counts as unreadable, the others go on.
std::vector<std::string> expand_each(const std::vector<std::string>& args, int& rc, bool as_json,
                                     std::size_t* failures = nullptr) {
  std::vector<std::string> files;
  for (const auto& arg : args) {
    std::string failed;
    auto got = bk::expand_inputs({arg}, &failed);
    if (!got) {
      report_unreadable(failed, bk::input_error_text(failed, got.error()), as_json);
      rc = exit_code::unreadable;
      if (failures != nullptr) ++*failures;
      continue;
    }
    files.insert(files.end(), got->begin(), got->end());
  }
  return files;
}

// A mapped input truncated while it was read: its result is not to be trusted.
bool report_lost(const bk::source& src) {
  auto text = bk::shrank_text(src);
  if (!text) return false;
  std::fflush(stdout);
  fmt::print(stderr, "binlogkit: {}: the output for it is incomplete and not to be trusted from there on\n", *text);
  return true;
}

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  return path != "-" && ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

std::uint64_t total_size(const std::vector<std::string>& paths) {
  std::uint64_t n = 0;
  for (const auto& p : paths) n += file_size(p);
  return n;
}

const char* verdict(int rc) {
  return rc == exit_code::ok ? "intact" : rc == exit_code::damaged ? "damaged" : "unreadable";
}

// ---- dump ---------------------------------------------------------------------------

struct dump_args {
  std::vector<std::string> files;
  bk::dump_options options;
  filter_args filters;
  bool start_at_transaction = false;
  bool no_verify = false;
  std::string progress = "auto";
};

// Where a dump of `src` may start for --start-position `pos`: pos itself when an event
// starts there; with `widen`, the start of the transaction holding it (its table maps
// included); otherwise an error naming the event boundaries around it.
std::optional<std::uint64_t> start_boundary(const bk::source& src, std::uint64_t pos, bool widen, std::string& why) {
  if (pos <= bk::binlog_magic_size) return pos;
  bk::reader_options ro;
  ro.verify_checksums = false;
  ro.allow_unknown_types = true;
  bk::event_reader reader(src.data(), ro);
  bk::transaction_tracker tracker;
  // The last event before pos, and where the transaction holding it begins (itself when
  // it stands outside any).
  std::uint64_t before = bk::binlog_magic_size, before_tx = before, tx_begin = before;
  for (;;) {
    auto next = reader.next();
    if (!next) return pos;  // damage first: the dump reports it
    if (!next->has_value()) {
      if (pos <= src.data().size()) return pos;
      why = fmt::format("{}: --start-position {} is past the end of the file ({} bytes)", src.name(), pos,
                        src.data().size());
      return std::nullopt;
    }
    const bk::event_view& ev = **next;
    if (ev.offset == pos) return pos;
    if (ev.offset > pos) {
      if (widen) return before_tx;
      why = fmt::format("{}: --start-position {} is not at an event boundary: the events around it start at {} "
                        "and {} (or add --start-at-transaction to begin at the transaction holding it)",
                        src.name(), pos, before, ev.offset);
      return std::nullopt;
    }
    before = before_tx = ev.offset;
    auto decoded = bk::decode(ev);
    if (!decoded) continue;
    const bool was_inside = tracker.in_transaction();
    auto step = tracker.feed(ev, *decoded);
    if (step.begins) tx_begin = ev.offset;
    if (was_inside || step.begins) before_tx = tx_begin;
  }
}

int run_dump(dump_args& a) {
  stopwatch clock;
  bk::sql_filter filter;
  if (auto err = a.filters.to_filter(filter); !err.empty()) {
    fmt::print(stderr, "binlogkit dump: {}\n", err);
    return exit_code::usage;
  }
  a.options.verify_checksums = !a.no_verify;
  progress_meter meter("dump", total_size(a.files), a.progress);
  if (meter.enabled()) a.options.progress = [&meter](std::uint64_t bytes) { meter.add(bytes); };
  int rc = exit_code::ok;
  std::string first_problem;
  std::uint64_t bytes = 0;
  auto problem = [&](int code, std::string text) {
    meter.finish();
    std::fflush(stdout);
    fmt::print(stderr, "binlogkit: {}\n", text);
    if (first_problem.empty()) first_problem = std::move(text);
    rc = std::max(rc, code);
  };
  const std::vector<std::string> files = expand_each(a.files, rc, false);
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& path = files[i];
    auto src = bk::open_input(path);
    if (!src) {
      problem(exit_code::unreadable, bk::input_error_text(path, src.error()));
      continue;
    }
    bytes += src->data().size();
    bk::dump_options o = a.options;
    // As mysqlbinlog: the start position is in the first file, the stop position in the last.
    o.start_position = i == 0 ? filter.start_position : 0;
    o.stop_position = i + 1 == files.size() ? filter.stop_position : std::nullopt;
    bool stop_here = false;
    if (selects_transactions(filter)) {
      auto sel = select_transactions(src->data(), filter);
      o.skip_ranges = std::move(sel.skip);
      if (sel.stop) {
        o.stop_position = std::min(o.stop_position.value_or(*sel.stop), *sel.stop);
        stop_here = true;
      }
    }
    if (o.start_position > 0) {
      std::string why;
      auto start = start_boundary(*src, o.start_position, a.start_at_transaction, why);
      if (!start) {
        fmt::print(stderr, "binlogkit dump: {}\n", why);
        return exit_code::usage;
      }
      o.start_position = *start;
    }
    auto r = bk::dump_file(stdout, *src, o);
    if (report_lost(*src)) {
      rc = exit_code::unreadable;
      if (first_problem.empty()) first_problem = fmt::format("{}: the file shrank while it was read", path);
      continue;
    }
    if (!r) {
      problem(r.error().code == bk::errc::bad_magic ? exit_code::unreadable : exit_code::damaged,
              fmt::format("{}: {}", path, r.error().message()));
    }
    if (stop_here) break;  // --stop-datetime reached: later files are newer still
  }
  meter.finish();
  std::string text = fmt::format("{} file(s), {} read, {}", files.size(), mib(bytes), verdict(rc));
  if (!first_problem.empty()) text += " (" + first_problem + ")";
  if (a.options.json) {
    ojson j;
    j["files"] = files.size();
    j["bytes"] = bytes;
    j["status"] = verdict(rc);
    if (!first_problem.empty()) j["error"] = first_problem;
    j["exit"] = rc;
    print_summary_json("dump", j, clock.seconds());
  } else {
    print_summary("dump", text, clock.seconds());
  }
  return rc;
}

// ---- verify -------------------------------------------------------------------------

struct verify_args {
  std::vector<std::string> files;
  bool json = false, allow_unknown = false, quiet = false;
  unsigned threads = 0;
  std::string progress = "auto";
};

ojson verify_json(const std::string& path, const char* status, const bk::verify_report& report, std::uint64_t size) {
  ojson j;
  j["file"] = path;
  j["status"] = status;
  j["events"] = report.events;
  j["bytes"] = size;
  j["bytes_checked"] = report.bytes_checked;
  j["checksums"] = report.has_checksums ? "CRC32" : "none";
  j["checksums_verified"] = report.checksums_verified;
  j["encrypted_events"] = report.encrypted_events;
  j["server_version"] = report.server_version;
  j["flavor"] = bk::to_string(report.flavor);
  j["in_use"] = report.in_use;
  auto& problems = j["problems"] = ojson::array();
  for (const auto& p : report.problems) {
    ojson pj;
    pj["offset"] = p.offset;
    pj["kind"] = bk::to_string(p.code);
    if (p.event_type >= 0) {
      pj["event_type"] = bk::type_name(static_cast<std::uint8_t>(p.event_type));
      pj["type_code"] = p.event_type;
    }
    pj["detail"] = p.detail;
    problems.push_back(pj);
  }
  return j;
}

void verify_text(const std::string& path, const char* status, const bk::verify_report& report, std::uint64_t size,
                 bool quiet) {
  for (const auto& p : report.problems) fmt::print("{}: {}\n", path, p.message());
  if (report.encrypted_events > 0) {
    fmt::print("{}: {} encrypted events framed but not checked\n", path, report.encrypted_events);
  }
  if (!quiet || !report.intact()) {
    fmt::print("{}: {}: {} events, {} of {} bytes checked, checksums {}{}\n", path, status, report.events,
               report.bytes_checked, size,
               report.has_checksums ? fmt::format("CRC32 ({} verified)", report.checksums_verified)
                                    : std::string("none (content unverifiable)"),
               report.in_use ? ", marked in use (not closed properly)" : "");
  }
}

int run_verify(const verify_args& a) {
  stopwatch clock;
  progress_meter meter("verify", total_size(a.files), a.progress);
  int rc = exit_code::ok;
  std::uint64_t events = 0, bytes = 0, base = 0;
  std::size_t intact = 0, damaged = 0, unreadable = 0;
  const std::vector<std::string> files = expand_each(a.files, rc, a.json, &unreadable);
  for (const auto& path : files) {
    auto src = bk::open_input(path);
    if (!src) {
      meter.finish();
      report_unreadable(path, bk::input_error_text(path, src.error()), a.json);
      ++unreadable;
      rc = exit_code::unreadable;
      continue;
    }
    bk::verify_options vo;
    vo.allow_unknown_types = a.allow_unknown;
    vo.threads = a.threads;
    if (meter.enabled()) {
      vo.progress = [&meter, base](std::uint64_t done) { meter.reach(base + done); };
      vo.progress_interval = 1u << 20;
    }
    src->advise_sequential();
    const bk::source& s = *src;
    vo.release = [&s](std::uint64_t begin, std::uint64_t end) { s.release_range(begin, end); };
    auto report = bk::verify_bytes(src->data(), vo);
    if (report_lost(*src)) {
      meter.finish();
      ++unreadable;
      rc = exit_code::unreadable;
      continue;
    }
    const std::uint64_t size = src->data().size();
    base += file_size(path);
    meter.reach(base);
    meter.finish();
    const bool only_encrypted = report.encrypted_events > 0 && report.problems.size() == 1;
    const char* status = report.unreadable()  ? "unreadable"
                         : report.intact()    ? "intact"
                         : only_encrypted     ? "unverifiable"
                                              : "damaged";
    if (a.json) {
      fmt::print("{}\n", verify_json(path, status, report, size).dump(-1, ' ', false, ojson::error_handler_t::replace));
    } else {
      verify_text(path, status, report, size, a.quiet);
    }
    events += report.events;
    bytes += size;
    if (report.unreadable()) ++unreadable, rc = std::max(rc, exit_code::unreadable);
    else if (!report.intact()) ++damaged, rc = std::max(rc, exit_code::damaged);
    else ++intact;
  }
  if (a.json) {
    ojson j;
    j["files"] = files.size();
    j["intact"] = intact;
    j["damaged"] = damaged;
    j["unreadable"] = unreadable;
    j["events"] = events;
    j["bytes"] = bytes;
    j["exit"] = rc;
    print_summary_json("verify", j, clock.seconds());
  } else if (!a.quiet || rc != exit_code::ok) {
    print_summary("verify",
                  fmt::format("{} file(s), {} events, {}: {} intact, {} damaged, {} unreadable", files.size(),
                              events, mib(bytes), intact, damaged, unreadable),
                  clock.seconds());
  }
  return rc;
}

// ---- triage and salvage --------------------------------------------------------------

struct opened_set {
  std::vector<bk::source> sources;
  std::vector<bk::triage_input> inputs;
  std::vector<std::optional<std::size_t>> source_of;  // per input: its source (none: missing)
  std::uint64_t bytes = 0;
};

// A file written in the last minute may be a live relay log, which a mapping must not
// hold (truncation under a mapping raises SIGBUS): read those with pread, map the rest.
bk::source_kind kind_for(const std::string& path) {
  if (path == "-" || path.ends_with(".gz")) return bk::source_kind::automatic;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return bk::source_kind::pread;
  const auto age = std::time(nullptr) - st.st_mtime;
  return age < 60 ? bk::source_kind::pread : bk::source_kind::automatic;
}

// Opens every file of the set (index, directory or files). `allow_missing`: a file the
// index lists that does not exist becomes a missing input (triage reports it as lost).
std::optional<opened_set> open_set(const std::vector<std::string>& args, bool allow_missing = false) {
  std::string failed;
  auto files = bk::expand_inputs(args, &failed);
  if (!files) {
    fmt::print(stderr, "binlogkit: {}\n", bk::input_error_text(failed, files.error()));
    return std::nullopt;
  }
  opened_set set;
  for (const auto& f : *files) {
    std::error_code ec;
    if (allow_missing && f != "-" && !std::filesystem::exists(f, ec)) {
      set.source_of.emplace_back(std::nullopt);
      continue;
    }
    auto src = bk::open_input(f, kind_for(f));
    if (!src) {
      fmt::print(stderr, "binlogkit: {}\n", bk::input_error_text(f, src.error()));
      return std::nullopt;
    }
    set.source_of.emplace_back(set.sources.size());
    set.sources.push_back(std::move(*src));
  }
  for (std::size_t i = 0; i < set.source_of.size(); ++i) {
    if (const auto& at = set.source_of[i]) {
      const auto& src = set.sources[*at];
      set.bytes += src.data().size();
      set.inputs.push_back({src.name(), src.data()});
    } else {
      set.inputs.push_back({(*files)[i], {}, true});
    }
  }
  return set;
}

// Runs triage over the set with a progress line.
bk::triage_report triage_with_progress(opened_set& set, bk::triage_options opt, const char* what,
                                       const std::string& mode) {
  progress_meter meter(what, set.bytes, mode);
  std::vector<std::uint64_t> base(set.inputs.size() + 1, 0);
  for (std::size_t i = 0; i < set.inputs.size(); ++i) base[i + 1] = base[i] + set.inputs[i].data.size();
  for (const auto& src : set.sources) src.advise_sequential();
  opt.progress = [&set, &meter, &base](std::size_t input, std::uint64_t offset) {
    if (const auto& at = set.source_of[input]) set.sources[*at].release_before(offset);
    meter.reach(base[input] + offset);
  };
  if (meter.enabled()) opt.progress_interval = 4u << 20;
  auto report = bk::triage(set.inputs, opt);
  meter.reach(set.bytes);
  meter.finish();
  return report;
}

struct triage_args {
  std::vector<std::string> inputs;
  bool json = false, relay = false, binlog = false;
  std::string executed_position, executed_gtids, relay_log_info, master_info;
  std::string progress = "auto";
  bool replica = false;  // --replica: ask the replica itself (read-only) what it executed
  connect_args conn;
};

// --replica: SHOW SLAVE STATUS and @@gtid_slave_pos (or MySQL's) of the replica; what the
// command line gives explicitly (--executed-*, info files) wins, as it is applied after.
// An exit code when triage ends here: the options printed (--print-defaults, 0), or an
// error printed (2: the replica cannot be asked). `status` receives what it said.
std::optional<int> ask_replica(const triage_args& a, bk::triage_options& opt, std::optional<bk::replica_status>& status) {
  auto conn = resolve_connection(a.conn, "binlogkit triage");
  if (conn.printed) return exit_code::ok;
  if (!conn.error.empty()) {
    fmt::print(stderr, "binlogkit triage: {}\n", conn.error);
    return exit_code::usage;
  }
  std::string err;
  status = bk::read_replica_status(conn.options, err);
  if (!status) {
    fmt::print(stderr, "binlogkit: --replica: {}\n", err);
    return exit_code::unreadable;
  }
  if (!status->configured && !status->named_connections.empty()) {
    fmt::print(stderr, "binlogkit: --replica: the replica's default connection is not configured (SHOW SLAVE STATUS is "
                       "empty); it replicates over named connection(s) ({} of them, SHOW ALL SLAVES STATUS), which "
                       "--replica does not read: give that connection's relay logs and --executed-gtids\n",
               status->named_connections.size());
    return exit_code::unreadable;
  }
  if (!status->configured) {
    fmt::print(stderr, "binlogkit: --replica: the server is not a replica (SHOW SLAVE STATUS is empty)\n");
    return exit_code::unreadable;
  }
  bk::apply_replica_status(*status, opt);
  return std::nullopt;
}

// --replica without files: the relay-log index the replica reports, when it can be read
// here and lists the replica's current relay log. An exit code (message printed) when not.
std::optional<int> discover_relay_logs(const bk::replica_status& s, std::vector<std::string>& inputs) {
  std::string from;
  const std::string index = bk::relay_log_index_path(s, from);
  if (index.empty()) {
    fmt::print(stderr, "binlogkit: --replica: the replica reports no relay-log index (@@relay_log_index and "
                       "@@relay_log_basename are empty): give the relay logs as arguments\n");
    return exit_code::unreadable;
  }
  std::ifstream probe(index);
  if (!probe) {
    fmt::print(stderr, "binlogkit: --replica: the replica's relay-log index {} (from {}) cannot be read here: {}; "
                       "run triage where the relay logs are, or give them as arguments\n",
               index, from, std::strerror(errno));
    return exit_code::unreadable;
  }
  std::string failed;
  auto files = bk::expand_inputs({index}, &failed);
  if (!files) {
    fmt::print(stderr, "binlogkit: --replica: {}\n", bk::input_error_text(failed, files.error()));
    return exit_code::unreadable;
  }
  if (auto why = bk::check_relay_logs_match(s, *files); !why.empty()) {
    fmt::print(stderr, "binlogkit: --replica: {}: {}\n", index, why);
    return exit_code::unreadable;
  }
  fmt::print(stderr, "binlogkit: --replica: triaging the replica's relay logs listed in {} ({} file(s))\n", index,
             files->size());
  inputs = {index};
  return std::nullopt;
}

// The replica's position files and the cross-check options; false (message printed) when
// one cannot be read.
bool triage_options_from(const triage_args& o, bk::triage_options& opt) {
  if (!o.relay_log_info.empty()) {
    auto text = bk::read_text_file(o.relay_log_info);
    auto info = text ? bk::parse_relay_log_info(*text) : bk::result<bk::relay_log_info>(bk::unexpected(text.error()));
    if (!info) {
      fmt::print(stderr, "binlogkit: {}: {}\n", o.relay_log_info, info.error().detail);
      return false;
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
      return false;
    }
    opt.read_position = bk::source_position{info->source_file, info->read_pos};
  }
  if (!o.executed_position.empty()) {
    opt.executed_origin = "--executed-position";
    opt.executed_position = bk::parse_source_position(o.executed_position);
    if (!opt.executed_position) {
      fmt::print(stderr, "binlogkit: --executed-position wants FILE:POS, got '{}'\n", o.executed_position);
      return false;
    }
  }
  if (!o.executed_gtids.empty()) {
    opt.executed_gtids = o.executed_gtids;
    opt.executed_origin = "--executed-gtids";
  }
  if (o.relay) opt.relay = true;
  if (o.binlog) opt.relay = false;
  return true;
}

std::string triage_verdict(const bk::triage_report& r) {
  const int rc = r.exit_code();
  if (rc == exit_code::ok) return r.unverifiable ? "no damage found (unverifiable: no checksums)" : "no damage found";
  if (rc == exit_code::unreadable) return "unreadable";
  if (rc == exit_code::no_answer) return fmt::format("damaged ({} range(s)), no resume point can be trusted", r.damage.size());
  const auto& p = r.resume ? r.resume : r.last_good;
  if (r.resume_mode == bk::resume_mode::server_state) {  // the last good point is no resume point here
    if (!p || p->source.file.empty()) {
      return fmt::format("damaged ({} range(s)), resume from the replica's own executed state (no good point in "
                         "these files)", r.damage.size());
    }
    return fmt::format("damaged ({} range(s)), resume from the replica's own executed state (last good received "
                       "point: source {}:{}{})", r.damage.size(), bk::one_line(p->source.file), p->source.pos,
                       p->gtid.empty() ? "" : ", GTID " + bk::one_line(p->gtid));
  }
  if (p && p->source.file.empty()) {  // the executed GTIDs given: no file and position here
    return fmt::format("damaged ({} range(s)), resume after GTID state {}", r.damage.size(), bk::one_line(p->gtid_state));
  }
  return fmt::format("damaged ({} range(s)), resume at source {}:{}{}", r.damage.size(),
                     p ? bk::one_line(p->source.file) : "?",
                     p ? p->source.pos : 0, p && !p->gtid.empty() ? " (GTID " + p->gtid + ")" : "");
}

int run_triage(const triage_args& a) {
  stopwatch clock;
  bk::triage_options opt;
  std::vector<std::string> inputs = a.inputs;
  if (inputs.empty() && !a.replica) {
    fmt::print(stderr, "binlogkit triage: give the relay logs or binlogs (an index, a directory or files), or "
                       "--replica to triage the replica's own relay logs\n");
    return exit_code::usage;
  }
  std::optional<bk::replica_status> replica_status;
  if (a.replica) {
    if (auto rc = ask_replica(a, opt, replica_status)) return *rc;
    if (inputs.empty()) {
      if (auto rc = discover_relay_logs(*replica_status, inputs)) return *rc;
    }
  }
  auto set = open_set(inputs, true);
  if (!set) return exit_code::unreadable;
  if (!triage_options_from(a, opt)) return exit_code::unreadable;
  auto report = triage_with_progress(*set, opt, "triage", a.progress);
  for (const auto& src : set->sources) {
    if (report_lost(src)) return exit_code::unreadable;
  }
  if (replica_status) {
    if (auto note = bk::named_connections_note(*replica_status); !note.empty()) report.notes.push_back(note);
  }
  if (a.json) fmt::print("{}\n", bk::triage_report_json(report));
  else fmt::print("{}", bk::triage_report_text(report, set->inputs));
  const int rc = report.exit_code();
  const std::string text = fmt::format("{} file(s), {} events, {} complete transactions{}: {}", set->inputs.size(),
                                       report.events, report.transactions_before_damage,
                                       report.damage.empty() ? "" : " before the damage", triage_verdict(report));
  if (a.json) {
    ojson j;
    j["files"] = set->inputs.size();
    j["events"] = report.events;
    j["status"] = rc == exit_code::ok ? "clean" : rc == exit_code::unreadable ? "unreadable" : "damaged";
    j["exit"] = rc;
    print_summary_json("triage", j, clock.seconds());
  } else {
    print_summary("triage", text, clock.seconds());
  }
  return rc;
}

struct salvage_args {
  std::string in, out;
  std::string progress = "auto";
};

// What is open where the copy ends (hazards.hpp): a replica or replay that goes on from
// the copy's end without the rest lacks these. On stderr, one line each; nothing when none.
void report_copy_hazards(const std::vector<bk::binlog_input>& inputs, std::uint64_t end) {
  const auto r = bk::find_hazards(inputs, bk::hazard_point{bk::hazard_position{inputs[0].name, end}});
  if (!r.ok()) {
    fmt::print(stderr, "binlogkit: hazards at the end of the copy not checked: {}\n", bk::one_line(r.failure));
    return;
  }
  for (const auto& h : r.hazards) {
    fmt::print(stderr, "binlogkit: hazard at the end of the copy ({}:{}): {}\n", bk::one_line(r.at.file), r.at.pos,
               bk::hazard_line(h));
  }
  if (!r.hazards.empty() && !r.read_on_warning.empty()) {
    fmt::print(stderr, "binlogkit: reading on after the end of the copy stopped early ({}): a hazard without "
                       "\"needed by\" may be needed past there\n", bk::one_line(r.read_on_warning));
  }
}

int run_salvage(const salvage_args& a) {
  stopwatch clock;
  if (a.out == "-") {
    // Every input may be "-" (standard input), so "-" as OUT reads as standard output, which
    // a copy written beside OUT and linked in place cannot be.
    fmt::print(stderr, "binlogkit salvage: OUT is a new file, not standard output (./- for a file named -)\n");
    return exit_code::usage;
  }
  auto set = open_set({a.in});
  if (!set) return exit_code::unreadable;
  if (set->inputs.size() != 1) {
    fmt::print(stderr, "binlogkit: salvage takes one binlog or relay-log file\n");
    return exit_code::usage;
  }
  auto report = triage_with_progress(*set, {}, "salvage", a.progress);
  if (report_lost(set->sources[0])) return exit_code::unreadable;
  if (report.unreadable) {
    fmt::print(stderr, "binlogkit: {}: unreadable: not a binlog or relay log\n", a.in);
    return exit_code::unreadable;
  }
  if (!report.last_good) {
    fmt::print(stderr, "binlogkit: {}: no complete transaction to keep\n", a.in);
    print_summary("salvage", fmt::format("{}: nothing written: no complete transaction before the damage", a.in),
                  clock.seconds());
    return exit_code::no_answer;
  }
  auto copy = bk::salvage_copy(set->inputs[0].data, report.last_good->relay_pos);
  if (!copy) {
    fmt::print(stderr, "binlogkit: {}: {}\n", a.in, copy.error().message());
    return exit_code::unreadable;
  }
  int err = 0;
  if (auto w = bk::write_new_file(a.out, *copy, err); !w) {
    fmt::print(stderr, "binlogkit: {}: {}: {}\n", a.out, w.error().detail, std::strerror(err));
    return exit_code::unreadable;
  }
  const std::uint64_t size = set->inputs[0].data.size();
  fmt::print("{}: kept {} of {} bytes, {} complete transactions, ending at source {}:{}{}\n", a.out, copy->size(),
             size, report.transactions_before_damage, bk::one_line(report.last_good->source.file),
             report.last_good->source.pos,
             report.last_good->gtid.empty() ? "" : fmt::format(" (GTID {})", report.last_good->gtid));
  report_copy_hazards(set->inputs, report.last_good->relay_pos);
  const std::uint64_t cut = size - copy->size();
  print_summary("salvage",
                report.damage.empty() && cut == 0
                    ? fmt::format("{} had no damage: copied whole ({} bytes) to {}", a.in, copy->size(), a.out)
                : report.damage.empty()
                    // Events after the last transaction (a closing ROTATE, an unfinished
                    // transaction of a relay log) are not part of the copy.
                    ? fmt::format("{} had no damage: wrote {} ({} bytes, {} transactions); left out the {} bytes "
                                  "after its last complete transaction",
                                  a.in, a.out, copy->size(), report.transactions_before_damage, cut)
                    : fmt::format("wrote {} ({} bytes, {} transactions); cut {} bytes from {} ({} damaged range(s))",
                                  a.out, copy->size(), report.transactions_before_damage, cut, a.in,
                                  report.damage.size()),
                clock.seconds());
  return exit_code::ok;
}

// ---- registration -------------------------------------------------------------------

CLI::App* add_dump(CLI::App& app, dump_args& a) {
  auto* dump = app.add_subcommand("dump", "Print every event (mysqlbinlog-style headers, or --json lines)");
  dump->footer(std::string("--start-datetime, --stop-datetime, --include-gtids, --exclude-gtids and --database keep or "
                           "leave out whole transactions, as sql and replay do (--database: a transaction is kept when "
                           "one of its statements' default databases or table maps' databases is listed); events "
                           "outside transactions are always printed.\n") +
               exit_help_dump);
  dump->add_option("files", a.files, "Binlog or relay-log files ('-' for standard input, .gz inflated)")->required();
  dump->add_flag("--json", a.options.json, "One JSON object per event (JSON Lines); the summary on stderr as JSON");
  a.filters.add_to(dump, false);
  dump->get_option("--start-position")
      ->description("First file: start at the event at this offset (an error if no event starts there)");
  dump->get_option("--stop-position")->description("Last file: stop at the first event that starts at or after this offset");
  dump->add_flag("--start-at-transaction", a.start_at_transaction,
                 "With --start-position inside a transaction: start at that transaction's first event");
  dump->add_flag("--no-verify-checksums", a.no_verify, "Do not compute CRC32 checksums");
  dump->add_flag("--allow-unknown-events", a.options.allow_unknown_types, "Read past unknown event types");
  dump->add_option("--threads", a.options.threads,
                   "Threads for large files (0: one per core); the output is the same with any number");
  dump->add_flag("-v,--verbose", a.options.verbosity,
                 "Rows as mysqlbinlog -v prints them (### lines; with --json: \"rows\"); -vv adds type comments");
  add_progress_option(dump, a.progress);
  return dump;
}

CLI::App* add_verify(CLI::App& app, verify_args& a) {
  auto* verify = app.add_subcommand("verify", "Check every event: header, length chain, CRC32, body");
  verify->footer(exit_help_verify);
  verify->add_option("files", a.files, "Binlog or relay-log files")->required();
  verify->add_flag("--json", a.json, "One JSON object per file; the summary on stderr as JSON");
  verify->add_flag("--allow-unknown-events", a.allow_unknown, "Read past unknown event types");
  verify->add_flag("--quiet,-q", a.quiet, "Print only damaged files (and no summary when all are intact)");
  verify->add_option("--threads", a.threads,
                     "Threads for large files (0: one per core); the report is the same with any number");
  add_progress_option(verify, a.progress);
  return verify;
}

CLI::App* add_triage(CLI::App& app, triage_args& a) {
  auto* triage = app.add_subcommand(
      "triage",
      "Find every damaged event of a binlog or relay-log set, the last good source position and the statements "
      "that resume replication there");
  triage->footer(exit_help_triage);
  triage->add_option("inputs", a.inputs,
                     "A relay-log index file, a directory, or files in order (with --replica: the replica's own "
                     "relay logs when none are given)");
  triage->add_flag("--json", a.json, "Machine-readable report; the summary on stderr as JSON");
  triage->add_option("--executed-position", a.executed_position,
                     "What the replica applied, in source coordinates (Relay_Master_Log_File:Exec_Master_Log_Pos)");
  triage->add_option("--executed-gtids", a.executed_gtids,
                     "The replica's executed GTIDs (gtid_executed / gtid_slave_pos)");
  triage->add_option("--relay-log-info", a.relay_log_info,
                     "The replica's relay-log.info: its executed position, cross-checked as --executed-position");
  triage->add_option("--master-info", a.master_info, "The replica's master.info: how far it had read from the source");
  triage->add_flag("--relay", a.relay, "Read the files as relay logs");
  triage->add_flag("--binlog", a.binlog, "Read the files as a server's own binlogs");
  triage->add_flag("--replica", a.replica,
                   "Ask the replica (read-only: SHOW SLAVE STATUS, @@gtid_slave_pos / @@gtid_executed) what it "
                   "executed; with no files given, triage the relay logs it reports (@@relay_log_index, "
                   "@@datadir) when they can be read here; connection options as the mysql client's below");
  add_connection_options(triage, a.conn);
  add_progress_option(triage, a.progress);
  return triage;
}

CLI::App* add_salvage(CLI::App& app, salvage_args& a) {
  auto* salvage =
      app.add_subcommand("salvage", "Write a copy of IN that ends at its last complete transaction before any damage");
  salvage->footer(exit_help_salvage);
  salvage->add_option("in", a.in, "Damaged binlog or relay log (never modified)")->required();
  salvage->add_option("out", a.out, "Copy to write (must not exist)")->required();
  add_progress_option(salvage, a.progress);
  return salvage;
}

}  // namespace

command_runner add_inspect_commands(CLI::App& app, const command_line_password& password) {
  auto da = std::make_shared<dump_args>();
  auto va = std::make_shared<verify_args>();
  auto ta = std::make_shared<triage_args>();
  auto sa = std::make_shared<salvage_args>();
  auto* dump = add_dump(app, *da);
  auto* verify = add_verify(app, *va);
  ta->conn.password = password;
  auto* triage = add_triage(app, *ta);
  auto* salvage = add_salvage(app, *sa);
  return [=]() -> std::optional<int> {
    if (dump->parsed()) return run_dump(*da);
    if (verify->parsed()) return run_verify(*va);
    if (triage->parsed()) return run_triage(*ta);
    if (salvage->parsed()) return run_salvage(*sa);
    return std::nullopt;
  };
}

}  // namespace binlogkit_cli
