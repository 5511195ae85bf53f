// A transaction as the parallel applier schedules it (private to the replay layer): its
// pieces (job_builder.hpp) with their owner, its start rules and its runtime state, which
// the scheduler reads and writes under its lock.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "replay/job_builder.hpp"
#include "replay_session.hpp"

namespace binlogkit::detail::parallel {

constexpr std::uint64_t no_seq = std::numeric_limits<std::uint64_t>::max();

// Lock wait timeout and deadlock: the transaction (or statement) was rolled back by InnoDB.
inline bool lock_error(unsigned e) { return e == 1205 || e == 1213; }

// A piece (job_builder.hpp) with the transaction it belongs to.
struct job_piece : piece {
  const struct job* owner = nullptr;  // the transaction of a statement of the binlog
};

// done: committed, in live_ until its worker has read its packet's last result.
enum class job_state : std::uint8_t { waiting, executing, executed, committing, done };

struct job {
  std::uint64_t seq = 0;     // 1-based position in this run
  rendered_transaction tx;
  std::string gtid;
  std::uint64_t count = 0;   // the progress row's transactions value
  std::vector<std::string> own;  // our statements (progress UPDATE, COMMIT, ...)
  std::vector<job_piece> body;   // executed before its turn
  std::vector<job_piece> commit; // sent at its turn
  std::size_t bytes = 0;
  bool alone = false;        // applied alone (no dependency information)
  bool pinned = false;       // statement-based: the first connection
  bool streamed = false;     // the last piece of a large transaction whose earlier pieces the
                             // first connection holds open: never rolled back and run again
  std::uint64_t after_committed = 0;  // starts once every seq <= this committed
  std::uint64_t after_executed = 0;   // ... and every seq <= this executed
  // Runtime, under the scheduler's mutex.
  job_state state = job_state::waiting;
  bool abort = false;        // roll back and execute again
  bool head_only = false;    // execute again only as the next to commit
  int head_retries = 0;      // lock errors as the next to commit
  std::uint64_t restart_after = 0;  // rolled back for an earlier one: runs again once it committed
  std::size_t worker = 0;
  clock_type::time_point exec_start{};
  bool at_once = false;      // the next to commit: statements and COMMIT in one packet
  bool deferred = false;     // a follower whose results its worker reads at its turn (read_deferred)
};

// The message of a failed packet: lost connection, desync, extra results, or a refusal.
std::string failure_message(unsigned err, bool desync, bool extra);

}  // namespace binlogkit::detail::parallel
