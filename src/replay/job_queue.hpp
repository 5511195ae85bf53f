// The parallel applier's transactions between the reader and their commit (private to the
// replay layer; under the scheduler's lock): the scheduled ones not yet taken (pending, in
// binlog order), the taken ones not yet committed (live, by sequence number), the bytes of
// both, and committed jobs and map nodes kept to be used again: the reader renders the next
// transactions into their buffers (transaction_stream::recycle) instead of allocating
// memory that the workers' thread frees. The reader takes spare_jobs in bulk.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "replay/job.hpp"

namespace binlogkit::detail::parallel {

struct job_queue {
  std::deque<std::unique_ptr<job>> pending;             // scheduled, not yet taken
  std::map<std::uint64_t, std::unique_ptr<job>> live;  // taken, not yet committed
  std::size_t bytes = 0;                                // of the jobs queued (job::bytes)
  std::vector<std::unique_ptr<job>> spare_jobs;         // committed ones, for the reader

  // A taken job into live.
  void make_live(std::unique_ptr<job> jp);
  // A committed job out of live and out of the bytes, kept for reuse unless it holds much
  // memory (a large transaction's is freed at once, as the queue's limit on bytes assumes).
  void retire(std::uint64_t seq);
  // A taken job whose statements did not run back to the front of pending (taken again, in
  // order, before anything later), its state back to waiting.
  void unlive(job& j);

 private:
  static constexpr std::size_t max_spares = 64;
  std::vector<decltype(live)::node_type> spare_nodes_;
};

}  // namespace binlogkit::detail::parallel
