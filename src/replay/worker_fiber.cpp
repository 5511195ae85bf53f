// A worker's fiber of the parallel applier (worker_fiber.hpp): take, execute in steps,
// retry, commit; batches.
#include "replay/worker_fiber.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace binlogkit::detail::parallel {

worker_fiber::worker_fiber(scheduler& s, std::size_t w) : s_(s), w_(w), wk_(*s.workers_[w]) {}

job* worker_fiber::take() {
  sched_lock lk(s_);
  for (;;) {
    auto it = s_.job_for(w_);
    if (it != s_.queue_.pending.end()) {
      auto& batch = wk_.batch;
      batch.clear();
      if (s_.batches_.on() && s_.queue_.live.empty() && (*it)->seq == s_.committed_ + 1 && take_batch()) {
        return batch.front();
      }
      std::unique_ptr<job> jp = std::move(*it);
      s_.queue_.pending.erase(it);
      job* j = jp.get();
      j->worker = w_;
      s_.queue_.make_live(std::move(jp));
      return j;
    }
    if (s_.input_done_ || s_.stop_at_ != no_seq) return nullptr;
    s_.wait_until(lk, w_, wait_kind::job);
  }
}

// Under m_, with batches on, nothing live and the first pending transaction the next to
// commit: takes a run of consecutive transactions that may share a packet, the first the
// next to commit, nothing else beside it (wk_.batch). False when the first may not
// (batchable): it is taken alone.
bool worker_fiber::take_batch() {
  auto& pending = s_.queue_.pending;
  auto& batch = wk_.batch;
  std::size_t bytes = 0;
  while (!pending.empty() && batch.size() < batcher::max_transactions && bytes < s_.batches_.max_bytes() &&
         pending.front()->seq == s_.committed_ + 1 + batch.size() && pending.front()->seq < s_.stop_at_ &&
         batcher::batchable(*pending.front(), w_)) {
    std::unique_ptr<job> jp = std::move(pending.front());
    pending.pop_front();
    bytes += jp->bytes;
    jp->worker = w_;
    batch.push_back(jp.get());
    s_.queue_.make_live(std::move(jp));
  }
  if (batch.empty()) return false;
  s_.batches_.taken();
  return true;
}

// Under m_. The transaction this fiber starts right after `j` commits, its statements
// sent behind j's COMMIT in the same packet (the server's thread and the worker wake once
// per transaction instead of twice): the first it would take next, if it may start once
// `j` committed. Not while another worker waits for work (it would start it sooner), nor
// transactions that start only as the next to commit or send packets of their own.
job* worker_fiber::follower(const job& j) {
  for (const auto& other : s_.workers_) {
    if (other->waiting == wait_kind::job) return nullptr;
  }
  auto it = s_.job_for(w_);
  if (it == s_.queue_.pending.end()) return nullptr;
  job& n = **it;
  if (n.pinned || n.alone || n.streamed || !s_.may_start(n, j.seq)) return nullptr;
  for (const auto& p : n.body) {
    if (p.alone) return nullptr;
  }
  std::unique_ptr<job> jp = std::move(*it);
  s_.queue_.pending.erase(it);
  jp->worker = w_;
  jp->state = job_state::executing;
  jp->exec_start = clock_type::now();
  job* out = jp.get();
  s_.queue_.make_live(std::move(jp));
  ++s_.followers_;
  return out;
}

// Under lk, which it unlocks. The statements of `x` failed while it was not the next to
// commit: a lost connection or a desync stops the replay (true); any other error may come
// from running early, and `x` is rolled back, to run again as the next to commit (false).
bool worker_fiber::early_failure(sched_lock& lk, job& x, const exec_result& r) {
  const bool lost = connection_lost(r.err);
  if (r.err == 1205) ++s_.timeouts_;
  if (r.desync || lost || x.streamed) {
    s_.fail_job(lk, x, s_.failure_of(x, r, failure_message(r.err, r.desync, r.extra)));
    lk.unlock();
    if (!lost) wk_.rollback();
    return true;
  }
  if (lock_error(r.err)) s_.note_rerun(x, r);
  x.state = job_state::waiting;
  s_.conflict(lk, x);
  lk.unlock();
  wk_.rollback();
  return false;
}

// Runs `j` until it committed or the replay stops (`executed`: its statements already
// ran, behind the previous transaction's COMMIT). Returns the transaction the worker took
// meanwhile, to run next. Each try: start (its statements), its turn, its COMMIT; a step
// that rolled `j` back starts the next try.
worker_fiber::next_job worker_fiber::execute(job& j, bool executed) {
  held_ = nullptr;
  for (;;) {
    sched_lock lk(s_);
    wk_.current = &j;  // what its waits look at
    at_once_ = false;
    if (!executed) {
      const step s = start(lk, j);
      if (s == step::done) return {held_, false};
      if (s == step::again) continue;
    }
    executed = false;  // a second try starts from the beginning
    if (!at_once_) {
      const step s = wait_turn(lk, j);
      if (s == step::done) return {held_, false};
      if (s == step::again) continue;
    }
    next_job out;
    if (commit_turn(lk, j, out) == step::again) continue;
    return out;
  }
}

// Under lk. Waits until `j` may start, then runs its statements unless it is the next to
// commit with a COMMIT of its own (`at_once_`: statements and COMMIT go in one packet, at
// its turn). Transactions applied alone run their whole text here (they start as the next
// to commit and nothing later starts before they finish).
worker_fiber::step worker_fiber::start(sched_lock& lk, job& j) {
  s_.wait_until(lk, w_, wait_kind::start);
  if (s_.stopping(j)) return step::done;
  j.abort = false;
  j.state = job_state::executing;
  j.exec_start = clock_type::now();
  at_once_ = s_.head(j) && !j.commit.empty();
  if (at_once_) return step::next;
  lk.unlock();
  auto r = s_.send_pieces(w_, j, j.body, 0);
  lk.lock();
  if (!r.ok) return early_failure(lk, j, r) ? step::done : step::again;
  s_.note_exec_time(j);
  j.state = job_state::executed;
  s_.wake();  // transactions waiting for this one to have executed
  return step::next;
}

// Under lk. Waits for the turn of `j` to commit: reads a follower's deferred results, and
// rolls `j` back when the replay stops before it (done) or a conflict aborted it (again).
worker_fiber::step worker_fiber::wait_turn(sched_lock& lk, job& j) {
  s_.wait_until(lk, w_, wait_kind::turn);
  if (j.deferred) {
    // A follower's results, left unread behind the COMMIT before (they had time to
    // arrive while the worker waited: one wake-up instead of one per result).
    j.deferred = false;
    j.exec_start = clock_type::now();  // the watcher's clock for it starts now
    lk.unlock();
    auto r = wk_.read_deferred();
    lk.lock();
    if (!r.ok && !s_.stopping(j)) return early_failure(lk, j, r) ? step::done : step::again;
    if (r.ok) {
      j.state = job_state::executed;
      s_.wake();  // transactions waiting for this one to have executed
    }
  }
  if (s_.head(j) && j.abort) {
    j.abort = false;  // nothing earlier is left to run before it
    s_.wake();           // it counts as executed again
  }
  if (s_.stopping(j)) {
    lk.unlock();
    wk_.rollback();
    return step::done;
  }
  if (j.abort) {
    ++s_.retries_;
    j.state = job_state::waiting;
    lk.unlock();
    wk_.rollback();
    return step::again;
  }
  return step::next;
}

// Under lk. Sends the COMMIT of `j` (all its statements when at_once_), maybe with the
// statements of a follower behind it (held_: one that did not run after a failed try is
// not taken again). `out`: what the worker runs next (done), unless `j` runs again.
worker_fiber::step worker_fiber::commit_turn(sched_lock& lk, job& j, next_job& out) {
  auto& pieces = wk_.pieces;
  j.state = job_state::committing;
  // Sent with its COMMIT, its statements count as executed from now: transactions
  // waiting for that may start (they would otherwise wait for its commit).
  if (at_once_) s_.wake();
  j.at_once = at_once_;
  job* next = held_ == nullptr ? follower(j) : nullptr;
  const bool defer = next != nullptr && !s_.executed_matters_;
  pieces.clear();
  if (at_once_) pieces.insert(pieces.end(), j.body.begin(), j.body.end());
  pieces.insert(pieces.end(), j.commit.begin(), j.commit.end());
  const std::size_t own = pieces.size();
  if (next != nullptr) pieces.insert(pieces.end(), next->body.begin(), next->body.end());
  lk.unlock();
  // Once j's last statement succeeded j has committed: the next turn starts then, not
  // after the follower's statements.
  bool marked = false;
  auto on_commit = [&] {
    sched_lock g(s_);
    s_.mark_committed(j);
    marked = true;
  };
  const function_ref<void()> committed(on_commit);
  auto c = s_.send_pieces(w_, j, pieces, own, own > 0 ? &pieces[own - 1] : nullptr, &committed, defer);
  lk.lock();
  j.at_once = false;
  const bool in_next = !c.ok && next != nullptr && c.at >= pieces.data() + own;
  if (!c.ok && !in_next) return commit_failed(lk, j, c, next, out);
  if (at_once_ && c.ok) s_.note_exec_time(j);
  if (!marked) s_.mark_committed(j);
  s_.queue_.retire(j.seq);  // j is gone
  s_.wake_reader();  // room in the queue
  if (s_.batches_.on() && s_.queue_.live.empty()) s_.wake();  // a batch may start
  out = {held_, false};
  if (next == nullptr) return step::done;
  if (c.ok) {
    if (c.deferred) {
      next->deferred = true;  // still executing, as far as anyone knows
      ++s_.deferred_reads_;
    } else {
      next->state = job_state::executed;
      s_.wake();
    }
    out = {next, true};
    return step::done;
  }
  // The follower's statements failed (they ran before it was the next to commit).
  out = early_failure(lk, *next, c) ? next_job{} : next_job{next, false};
  return step::done;
}

// Under lk. The packet of the COMMIT of `j` failed in j's own statements: the follower
// (`next`) did not run and is held; `j` runs again (a lock error as the next to commit,
// again) or fails the replay (done, `out` the held follower).
worker_fiber::step worker_fiber::commit_failed(sched_lock& lk, job& j, const exec_result& c, job* next,
                                               next_job& out) {
  if (next != nullptr) {
    next->state = job_state::waiting;  // its statements did not run
    held_ = next;
  }
  const bool lost = connection_lost(c.err);
  if (!head_retry(j, c, at_once_)) {
    s_.fail_job(lk, j, s_.failure_of(j, c, failure_message(c.err, c.desync, c.extra)));
    lk.unlock();
    if (!lost) wk_.rollback();
    out = {held_, false};
    return step::done;
  }
  s_.note_rerun(j, c);
  j.state = job_state::waiting;
  s_.conflict(lk, j);
  lk.unlock();
  wk_.rollback();
  return step::again;
}

// Under m_: whether the next to commit, whose packet failed with `c`, runs again (counts a
// lock wait timeout). An error as the next to commit is the transaction's own; a lock
// error gets a few more tries (another session may hold the lock): it is rolled back, the
// later ones too, and it runs again.
bool worker_fiber::head_retry(job& j, const exec_result& c, bool at_once) {
  if (c.err == 1205) ++s_.timeouts_;
  constexpr int max_head_retries = 5;
  return !c.desync && !connection_lost(c.err) && !j.streamed && lock_error(c.err) &&
         (at_once ? ++j.head_retries <= max_head_retries : !j.alone);
}

void worker_fiber::run() {
  next_job n;
  for (;;) {
    if (n.j == nullptr) {
      n.j = take();
      n.executed = false;
      if (n.j == nullptr) break;
      if (!wk_.batch.empty()) {
        execute_batch();
        n.j = nullptr;
        continue;
      }
    }
    n = execute(*n.j, n.executed);
  }
  sched_lock lk(s_);
  --s_.running_workers_;
  wk_.current = nullptr;
  s_.wake();
  s_.watcher_.poke();
}

// Runs the batch this fiber took (take): every transaction's statements and COMMIT in
// order, in as few packets as they fit in; each is marked committed as the result of its
// last statement arrives. A failure is the failing transaction's own (every earlier one
// committed, it is the next to commit): a lock error runs the batch again from it, up to
// the retries of a transaction that is the next to commit; any other error stops the
// replay there. The transactions after it go back to the queue.
void worker_fiber::execute_batch() {
  auto& batch = wk_.batch;
  auto& ends = wk_.batch_ends;
  auto& pieces = wk_.pieces;
  pieces.clear();
  ends.clear();
  for (job* j : batch) {
    pieces.insert(pieces.end(), j->body.begin(), j->body.end());
    pieces.insert(pieces.end(), j->commit.begin(), j->commit.end());
    ends.push_back(pieces.size());
  }
  {
    sched_lock lk(s_);
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
    while (marked < batch.size() && ends[marked] <= upto) s_.mark_committed(*batch[marked++]);
  };
  auto progress = [&](const job_piece* last) {
    const auto upto = static_cast<std::size_t>(last - pieces.data()) + 1;
    if (marked == batch.size() || ends[marked] > upto) return;
    sched_lock g(s_);
    mark_upto(upto);
  };
  const function_ref<void(const job_piece*)> on_progress(progress);
  wk_.db->pace_in_fiber(true);
  auto c = s_.send_pieces(w_, *batch.front(), pieces, pieces.size(), nullptr, nullptr, false, &on_progress);
  wk_.db->pace_in_fiber(false);
  sched_lock lk(s_);
  // Up to the failing statement every result arrived: the transactions before it committed.
  mark_upto(c.ok ? pieces.size() : static_cast<std::size_t>(c.at - pieces.data()));
  for (std::size_t k = 0; k < marked; ++k) s_.queue_.retire(batch[k]->seq);
  s_.batches_.ended(marked);
  if (!c.ok) {
    job& x = *batch[marked];
    for (std::size_t k = batch.size(); k-- > marked + 1;) s_.queue_.unlive(*batch[k]);
    const bool lost = connection_lost(c.err);
    if (head_retry(x, c, true)) {
      s_.note_rerun(x, c);
      ++s_.retries_;
      s_.queue_.unlive(x);
    } else {
      x.at_once = false;
      s_.fail_job(lk, x, s_.failure_of(x, c, failure_message(c.err, c.desync, c.extra)));
    }
    lk.unlock();
    if (!lost) wk_.rollback();
    lk.lock();
  }
  batch.clear();
  s_.wake_reader();  // room in the queue
  s_.wake();         // the next batch, or transactions of other connections, may start
}

}  // namespace binlogkit::detail::parallel
