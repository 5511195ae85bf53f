// The parallel applier's queue of transactions (job_queue.hpp).
#include <algorithm>

#include "replay/job_queue.hpp"

namespace binlogkit::detail::parallel {

void job_queue::make_live(std::unique_ptr<job> jp) {
  const std::uint64_t seq = jp->seq;
  if (spare_nodes_.empty()) {
    live.emplace(seq, std::move(jp));
    return;
  }
  auto node = std::move(spare_nodes_.back());
  spare_nodes_.pop_back();
  node.key() = seq;
  node.mapped() = std::move(jp);
  live.insert(std::move(node));
}

// A committed job out of live and out of the bytes, kept for reuse
// unless it holds much memory (a large transaction's is freed at once, as the queue's
// limit on bytes assumes).
void job_queue::retire(std::uint64_t seq) {
  auto node = live.extract(seq);
  if (node.empty()) return;
  const job& j = *node.mapped();
  bytes -= std::min(bytes, j.bytes);
  constexpr std::size_t most = 1u << 20;
  const bool small = j.tx.sql.capacity() <= most && j.tx.load_data.empty() &&
                     j.tx.statements.capacity() * sizeof(sql_statement) <= most &&
                     (j.body.capacity() + j.commit.capacity()) * sizeof(job_piece) <= most;
  if (small && spare_jobs.size() < max_spares) spare_jobs.push_back(std::move(node.mapped()));
  node.mapped().reset();
  if (spare_nodes_.size() < max_spares) spare_nodes_.push_back(std::move(node));
}

// A taken transaction whose statements did not run goes back to the front of the
// queue (taken again, in order, before anything later).
void job_queue::unlive(job& j) {
  auto node = live.extract(j.seq);
  j.state = job_state::waiting;
  j.at_once = false;
  pending.push_front(std::move(node.mapped()));
  node.mapped().reset();
  if (spare_nodes_.size() < max_spares) spare_nodes_.push_back(std::move(node));
}

}  // namespace binlogkit::detail::parallel
