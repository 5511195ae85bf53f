// The parallel applier's reading side (private to the replay layer): on the calling
// thread, reads and renders the transactions, builds their jobs (job_maker), has the
// scheduler set their start rules and queues them, waiting for room in the queue; streams
// a large transaction's pieces on the first connection; twice a second releases the pages
// read and reports progress. It stops at the end of the input, a stop point, the
// scheduler's first failure, or a failure of its own (returned).
#pragma once

#include <optional>

#include "replay_session.hpp"

namespace binlogkit::detail::parallel {

class scheduler;

class transaction_reader {
 public:
  explicit transaction_reader(scheduler& s) : s_(s) {}
  transaction_reader(const transaction_reader&) = delete;
  transaction_reader& operator=(const transaction_reader&) = delete;

  // Reads until the input ends or the replay stops; the reading side's own failure, if any
  // (the workers' is the scheduler's).
  std::optional<replay_failure> run() {
    std::optional<replay_failure> failure;
    last_report_ = clock_type::now();
    read(failure);
    return failure;
  }

 private:
  void read(std::optional<replay_failure>& read_failure);
  bool stream_large(rendered_transaction&& first, std::optional<replay_failure>& read_failure);
  void tick();  // twice a second: notes, progress, pages read released

  scheduler& s_;
  clock_type::time_point last_report_{};
};

}  // namespace binlogkit::detail::parallel
