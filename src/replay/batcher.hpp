// The parallel applier's batches (private to the replay layer): whether transactions are
// taken in batches of one connection now (--parallel-batches never / always / auto, the
// turns of auto from batch_pace), whether a batch is in flight, which transactions may go
// in one, its bounds, and the counters of the summary. The scheduler holds it under its
// lock; the queue decisions that use it are the scheduler's (job_for) and a worker's fiber's
// (worker_fiber: take, execute_batch).
#pragma once

#include <cstdint>

#include "batch_pace.hpp"
#include "binlogkit/replay/replay.hpp"
#include "replay/job.hpp"

namespace binlogkit::detail::parallel {

class batcher {
 public:
  batcher(replay_options::batch_mode mode, std::size_t packet_room) : mode_(mode), packet_room_(packet_room) {}

  // A batch's bounds, as the serial applier's (packet_limits).
  static constexpr std::size_t max_transactions = packet_limits::batch_transactions;
  [[nodiscard]] std::size_t max_bytes() const { return packet_limits{packet_room_}.batch_bytes(); }

  // Whether `j` may go in a batch of worker `w`: its statements and COMMIT in the packet of
  // the transactions before it. Not a large transaction's last piece, one with LOAD DATA or
  // other statements sent alone, one that commits on its own, nor a statement-based one off
  // the first connection.
  static bool batchable(const job& j, std::size_t w);

  // The run starts: batches from the start with always, and with auto (its first turn).
  void start(clock_type::time_point now);
  // After each commit (`committed`: this run's so far): with auto, true when a call on the
  // two ways was made (the verbose note: rate(), turn_s()).
  bool after_commit(clock_type::time_point now, std::uint64_t committed);

  // Transactions are taken in batches now.
  [[nodiscard]] bool on() const { return on_; }
  // A batch is in flight: nothing is taken beside it.
  [[nodiscard]] bool in_flight() const { return in_flight_; }
  void taken() { in_flight_ = true; }
  // The batch in flight ended with `committed` of its transactions committed.
  void ended(std::size_t committed) {
    in_flight_ = false;
    ++count_;
    batched_ += committed;
  }

  [[nodiscard]] const batch_pace& pace() const { return pace_; }
  [[nodiscard]] std::uint64_t batched() const { return batched_; }  // transactions sent in batches
  [[nodiscard]] std::uint64_t count() const { return count_; }      // batches sent
  [[nodiscard]] std::uint64_t switches() const { return switches_; }  // changes of way (auto)

 private:
  replay_options::batch_mode mode_;
  std::size_t packet_room_;
  bool on_ = false;
  bool in_flight_ = false;
  std::uint64_t batched_ = 0, count_ = 0, switches_ = 0;
  batch_pace pace_;
};

}  // namespace binlogkit::detail::parallel
