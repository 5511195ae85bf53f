// binlogkit command line: argument parsing and dispatch only; the work is library calls.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "binlogkit/dump.hpp"
#include "binlogkit/source.hpp"
#include "binlogkit/verify.hpp"

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

int run_verify(const std::vector<std::string>& files, bool as_json, bool allow_unknown, bool quiet) {
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

  bool verify_json = false, verify_unknown = false, verify_quiet = false;
  std::vector<std::string> verify_files;
  auto* verify = app.add_subcommand("verify",
      "Check every event; exit 0 intact, 1 damaged, 2 unreadable");
  verify->add_option("files", verify_files, "Binlog or relay-log files")->required();
  verify->add_flag("--json", verify_json, "One JSON object per file");
  verify->add_flag("--allow-unknown-events", verify_unknown, "Read past unknown event types");
  verify->add_flag("--quiet,-q", verify_quiet, "Print only damaged files");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : exit_unreadable;
  }
  if (dump->parsed()) {
    dump_opts.verify_checksums = !no_verify;
    return run_dump(files, dump_opts);
  }
  if (verify->parsed()) return run_verify(verify_files, verify_json, verify_unknown, verify_quiet);
  return exit_ok;
}
