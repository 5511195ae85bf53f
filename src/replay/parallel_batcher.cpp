// Batches of the parallel applier: consecutive transactions sent in the packets of one
// connection (--parallel-batches), and the turns of --parallel-batches auto.
#include <fmt/format.h>

#include <algorithm>

#include "replay/batcher.hpp"
#include "replay/scheduler.hpp"

namespace binlogkit::detail::parallel {

void batcher::start(clock_type::time_point now) {
  pace_.start(now);
  on_ = mode_ == replay_options::batch_mode::always ||
        (mode_ == replay_options::batch_mode::automatic && pace_.batching());
}

bool batcher::after_commit(clock_type::time_point now, std::uint64_t committed) {
  const auto turn = pace_.tick(now, committed);
  if (turn == batch_pace::step::none) return false;
  if (pace_.batching() != on_) ++switches_;
  on_ = pace_.batching();
  return turn == batch_pace::step::call;
}

// Under m_, after each commit (--parallel-batches auto): the turns of the two ways.
void scheduler::pace() {
  if (!batches_.after_commit(clock_type::now(), committed_run_) || !opt_.verbose) return;
  const batch_pace& p = batches_.pace();
  note(fmt::format("batches {:.0f}/s, {} connections {:.0f}/s: {} for {} s", p.rate(true), workers_.size(),
                   p.rate(false), batches_.on() ? "batches" : "the connections", p.turn_s()));
}

bool batcher::batchable(const job& j, std::size_t w) {
  if (j.streamed || !j.tx.commit || (j.pinned && w != 0)) return false;
  return std::none_of(j.body.begin(), j.body.end(), [](const job_piece& p) { return p.alone; });
}

// Runs the batch worker `w` took (take): every transaction's statements and COMMIT in
// order, in as few packets as they fit in; each is marked committed as the result of its
// last statement arrives. A failure is the failing transaction's own (every earlier one
// committed, it is the next to commit): a lock error runs the batch again from it, up to
// the retries of a transaction that is the next to commit; any other error stops the
// replay there. The transactions after it go back to the queue.
void scheduler::execute_batch(std::size_t w) {
  auto& wk = *workers_[w];
  auto& batch = wk.batch;
  auto& ends = wk.batch_ends;
  auto& pieces = wk.pieces;
  pieces.clear();
  ends.clear();
  for (job* j : batch) {
    pieces.insert(pieces.end(), j->body.begin(), j->body.end());
    pieces.insert(pieces.end(), j->commit.begin(), j->commit.end());
    ends.push_back(pieces.size());
  }
  {
    sched_lock lk(*this);
    const auto now = clock_type::now();
    for (job* j : batch) {
      // Watched as the next to commit running its statements; nothing later has started.
      j->state = job_state::committing;
      j->at_once = true;
      j->exec_start = now;
    }
  }
  // Under m_: the transactions whose statements all succeeded, up to piece `upto`.
  std::size_t marked = 0;
  auto mark_upto = [&](std::size_t upto) {
    while (marked < batch.size() && ends[marked] <= upto) mark_committed(*batch[marked++]);
  };
  auto progress = [&](const job_piece* last) {
    const auto upto = static_cast<std::size_t>(last - pieces.data()) + 1;
    if (marked == batch.size() || ends[marked] > upto) return;
    sched_lock g(*this);
    mark_upto(upto);
  };
  const function_ref<void(const job_piece*)> on_progress(progress);
  wk.db->pace_in_fiber(true);
  auto c = send_pieces(w, *batch.front(), pieces, pieces.size(), nullptr, nullptr, false, &on_progress);
  wk.db->pace_in_fiber(false);
  sched_lock lk(*this);
  // Up to the failing statement every result arrived: the transactions before it committed.
  mark_upto(c.ok ? pieces.size() : static_cast<std::size_t>(c.at - pieces.data()));
  for (std::size_t k = 0; k < marked; ++k) queue_.retire(batch[k]->seq);
  batches_.ended(marked);
  if (!c.ok) {
    job& x = *batch[marked];
    for (std::size_t k = batch.size(); k-- > marked + 1;) queue_.unlive(*batch[k]);
    const bool lost = connection_lost(c.err);
    if (head_retry(x, c, true)) {
      note_rerun(x, c);
      ++retries_;
      queue_.unlive(x);
    } else {
      x.at_once = false;
      fail_job(lk, x, failure_of(x, c, failure_message(c.err, c.desync, c.extra)));
    }
    lk.unlock();
    if (!lost) workers_[w]->rollback();
    lk.lock();
  }
  batch.clear();
  wake_reader();  // room in the queue
  wake();         // the next batch, or transactions of other connections, may start
}


}  // namespace binlogkit::detail::parallel
