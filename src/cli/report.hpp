// What a command says on stderr besides its output: a progress line on a terminal while it
// works on large inputs, and one summary line at its end (what was read, damaged or not,
// what was done, where it stopped, how long it took), or one JSON object with --json.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace binlogkit_cli {

// --progress auto|tty|none on `cmd` (auto: on a terminal, for inputs of 16 MiB or more).
void add_progress_option(CLI::App* cmd, std::string& mode);

// "\rverify  12.0/50.0 MiB  24%  0:03" on stderr, at most 4 times a second, cleared at the
// end. Thread-safe: add() may be called from several threads.
class progress_meter {
 public:
  progress_meter(std::string what, std::uint64_t total_bytes, const std::string& mode);
  ~progress_meter() { finish(); }
  progress_meter(const progress_meter&) = delete;
  progress_meter& operator=(const progress_meter&) = delete;

  [[nodiscard]] bool enabled() const noexcept { return enabled_; }
  void add(std::uint64_t bytes);   // that many more bytes are done
  void reach(std::uint64_t done);  // the bytes done so far (monotonic use)
  void finish();                   // clears the line

 private:
  void maybe_draw(std::uint64_t done);

  std::string what_;
  std::uint64_t total_;
  bool enabled_ = false;
  bool drawn_ = false;
  std::atomic<std::uint64_t> done_{0};
  std::mutex mutex_;
  std::chrono::steady_clock::time_point start_, last_;
};

// Seconds since a command began.
class stopwatch {
 public:
  [[nodiscard]] double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

[[nodiscard]] std::string mib(std::uint64_t bytes);  // "12.3 MiB", or "4567 bytes" below 1 MiB

// "binlogkit CMD: TEXT, 0.42 s" on stderr, or with `json` the object with "command" and
// "elapsed_s" added, on one line.
void print_summary(const char* command, const std::string& text, double seconds);
void print_summary_json(const char* command, nlohmann::ordered_json j, double seconds);

}  // namespace binlogkit_cli
