// Internals shared by the serial and the parallel applier (replay.cpp,
// parallel_replay.cpp): message helpers, our own progress statement, the parallel
// applier's context. The connection is replay/session.hpp's.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "binlogkit/replay/replay.hpp"
#include "binlogkit/core/source.hpp"
#include "binlogkit/sql/sql.hpp"
#include "fiber_loop.hpp"
#include "pacing.hpp"
#include "progress_rows.hpp"
#include "replay/session.hpp"

namespace binlogkit::detail {

inline std::string basename_of(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

// A statement for a one-line message: control bytes shown as \xNN, long ones cut.
inline std::string shorten(std::string_view s, std::size_t max = 300) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && out.size() < max; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      if (c == '\n') out += "\\n";
      else fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (out.size() >= max) out += fmt::format("… ({} bytes)", s.size());
  return out;
}

// A packet answered with more results than it had statements (session::outcome::extra).
inline std::string extra_results_message() {
  return "the target answered more results than statements were sent: a statement ran as more than one; "
         "the replay stops";
}

// FNV-1a, for lock names longer than MySQL's 64-character limit.
inline std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

// The progress row's UPDATE statement (the serial applier sends row events instead where
// it can, progress_rows.hpp): `updated_at` is the applier's clock.
inline std::string progress_update(const std::string& file, std::uint64_t end, const std::string& gtid,
                                   std::uint64_t transactions, const std::string& id_literal) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  std::string prog = "UPDATE `binlogkit`.`replay_progress` SET `file`=";
  append_string_literal(prog, file);
  fmt::format_to(std::back_inserter(prog), ", `end_pos`={}, `gtid`=", end);
  append_string_literal(prog, gtid);
  fmt::format_to(std::back_inserter(prog),
                 ", `transactions`={}, `updated_at`=FROM_UNIXTIME({}.{:06d}) WHERE `replay_id`=", transactions,
                 us / 1000000, us % 1000000);
  prog += id_literal;
  return prog;
}

// The lock a parallel replay's worker connection k holds while it lives: a replay of the
// same id that starts after a kill waits until every worker of the old one has finished
// the packet it was running (the main connection's lock goes first).
inline std::string worker_lock_name(const std::string& id, std::size_t k) {
  std::string name = fmt::format("binlogkit.replay.{}.w{}", id, k);
  if (name.size() > 64) name = fmt::format("binlogkit.replay.{:016x}.w{}", fnv1a(id), k);
  return name;
}
constexpr std::size_t max_parallel = max_slots;

// How a connection waits for the server: paced reads (the serial applier), or in the
// fibers of `loop` (the parallel applier's workers; nullptr: blocking reads).
struct connection_use {
  bool paced = false;
  fiber_loop* loop = nullptr;
};
// Opens a connection to the target (empty `error`) or says why not. The appliers talk to
// the target only through it: unit tests pass a fake (tests/support/fake_connection.hpp).
using connection_factory = std::function<std::unique_ptr<sql_connection>(const connection_options&,
                                                                         connection_use, std::string& error)>;
// What the appliers (serial and parallel) need from replay()'s setup (connection checked, progress
// table ready, resume point set on the stream).
struct apply_context {
  const replay_options* options = nullptr;
  const std::vector<binlog_input>* inputs = nullptr;
  const std::vector<std::string>* file_names = nullptr;  // the inputs' base names
  std::vector<source>* sources = nullptr;
  transaction_stream* stream = nullptr;
  std::string id_literal;
  std::string id;
  bool target_mariadb = false;
  bool progress_rows = false;  // the target's progress table takes row events (progress_rows.hpp)
  bool target_log_bin = false;
  std::string target_uuid;
  std::size_t packet_room = 0;
  std::uint64_t transactions = 0;  // recorded in the progress row when this run starts
  std::optional<std::pair<std::string, std::uint64_t>>* resume_point = nullptr;
  const std::string* same_server = nullptr;
  clock_type::time_point t0;
  const connection_factory* connect = nullptr;
};

// replay() through connections `connect` opens.
[[nodiscard]] replay_result replay_with(const std::vector<std::string>& files, const replay_options& options,
                                        const connection_factory& connect);

// Applies the stream on options->parallel connections; fills `res`.
void apply_parallel(apply_context& ctx, replay_result& res);

}  // namespace binlogkit::detail
