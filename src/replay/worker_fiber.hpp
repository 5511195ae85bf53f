// A worker's fiber of the parallel applier (private to the replay layer): one per
// connection, all on the scheduler's fiber loop. It takes a transaction (or a batch) from
// the scheduler's queue and runs it on its connection until it committed or the replay
// stops: its statements, its turn to commit, its COMMIT (maybe with the next one's
// statements behind it), a retry after a conflict. The scheduler (scheduler.hpp, whose
// contract holds here) coordinates: what may be taken and started, whose turn it is, the
// wake-ups, the failure; this class holds what one fiber carries between those steps.
//
// Every step that takes a `sched_lock& lk` is called with the scheduler's lock held and
// returns with it held, except where it says it unlocks; statements are sent with it
// released.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "replay/job.hpp"
#include "replay/scheduler.hpp"
#include "replay/worker.hpp"

namespace binlogkit::detail::parallel {

class worker_fiber {
 public:
  // Fiber `w` of `s`, whose connection is s's worker `w`.
  worker_fiber(scheduler& s, std::size_t w);
  worker_fiber(const worker_fiber&) = delete;
  worker_fiber& operator=(const worker_fiber&) = delete;

  // Takes and runs transactions until none is left to take or the replay stops; then
  // counts itself out of the scheduler's running workers.
  void run();

 private:
  using sched_lock = scheduler::sched_lock;
  // What the fiber runs next: a transaction it already took, whose statements may have run.
  struct next_job {
    job* j = nullptr;
    bool executed = false;
  };
  // execute()'s steps: go on to the next, try the transaction again from its start, or return.
  enum class step : std::uint8_t { next, again, done };

  job* take();
  bool take_batch();
  next_job execute(job& j, bool executed);
  step start(sched_lock& lk, job& j);
  step wait_turn(sched_lock& lk, job& j);
  step commit_turn(sched_lock& lk, job& j, next_job& out);
  step commit_failed(sched_lock& lk, job& j, const exec_result& c, job* next, next_job& out);
  job* follower(const job& j);
  bool early_failure(sched_lock& lk, job& x, const exec_result& r);
  bool head_retry(job& j, const exec_result& c, bool at_once);
  void execute_batch();

  scheduler& s_;
  const std::size_t w_;
  worker& wk_;  // its connection
  // Of the transaction being executed: a follower whose statements did not run (the
  // transaction runs again first, and it is not taken as a follower again), and whether
  // this try sends its statements with its COMMIT (the next to commit with a COMMIT of
  // its own).
  job* held_ = nullptr;
  bool at_once_ = false;
};

}  // namespace binlogkit::detail::parallel
