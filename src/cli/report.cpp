// Progress lines and summaries (see report.hpp).
#include "report.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <cmath>
#include <cstdio>

namespace binlogkit_cli {

namespace {
constexpr std::uint64_t large_input = 16ull << 20;
constexpr auto redraw_every = std::chrono::milliseconds(250);
}  // namespace

void add_progress_option(CLI::App* cmd, std::string& mode) {
  cmd->add_option("--progress", mode,
                  "auto (a progress line on stderr when it is a terminal and the input is 16 MiB or more), tty "
                  "(always), none")
      ->check(CLI::IsMember({"auto", "tty", "none"}));
}

std::string mib(std::uint64_t bytes) {
  if (bytes < (1u << 20)) return fmt::format("{} bytes", bytes);
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

progress_meter::progress_meter(std::string what, std::uint64_t total_bytes, const std::string& mode)
    : what_(std::move(what)), total_(total_bytes) {
  enabled_ = mode == "tty" || (mode == "auto" && total_bytes >= large_input && ::isatty(STDERR_FILENO) != 0);
  start_ = std::chrono::steady_clock::now();
  last_ = start_ - redraw_every;  // the first update is drawn at once
}

void progress_meter::add(std::uint64_t bytes) {
  if (!enabled_) return;
  maybe_draw(done_.fetch_add(bytes) + bytes);
}

void progress_meter::reach(std::uint64_t done) {
  if (!enabled_) return;
  done_.store(done);
  maybe_draw(done);
}

void progress_meter::maybe_draw(std::uint64_t done) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  if (now - last_ < redraw_every) return;
  last_ = now;
  done = std::min(done, total_);
  const auto secs = static_cast<unsigned>(std::chrono::duration<double>(now - start_).count());
  const double pct = total_ == 0 ? 100.0 : 100.0 * static_cast<double>(done) / static_cast<double>(total_);
  fmt::print(stderr, "\r{} {}/{} {:3.0f}% {}:{:02}  ", what_, mib(done), mib(total_), pct, secs / 60, secs % 60);
  std::fflush(stderr);
  drawn_ = true;
}

void progress_meter::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!drawn_) return;
  fmt::print(stderr, "\r{:<80}\r", "");
  std::fflush(stderr);
  drawn_ = false;
}

void print_summary(const char* command, const std::string& text, double seconds) {
  std::fflush(stdout);
  fmt::print(stderr, "binlogkit {}: {}, {:.2f} s\n", command, text, seconds);
}

void print_summary_json(const char* command, nlohmann::ordered_json j, double seconds) {
  std::fflush(stdout);
  nlohmann::ordered_json out;
  out["command"] = command;
  for (auto& [k, v] : j.items()) out[k] = v;
  out["elapsed_s"] = std::round(seconds * 1000) / 1000;
  fmt::print(stderr, "{}\n", out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace binlogkit_cli
