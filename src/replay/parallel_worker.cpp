// A worker of the parallel applier: one connection's fiber. It takes transactions,
// runs their statements, waits for their turn, commits them, retries or stops.
#include <fmt/format.h>

#include <algorithm>

#include "replay/scheduler.hpp"

namespace binlogkit::detail::parallel {

job* scheduler::take(std::size_t w) {
  sched_lock lk(*this);
  for (;;) {
    auto it = job_for(w);
    if (it != queue_.pending.end()) {
      auto& batch = workers_[w]->batch;
      batch.clear();
      if (batches_.on() && queue_.live.empty() && (*it)->seq == committed_ + 1) {
        // A run of consecutive transactions that may share a packet, the first the next to
        // commit, nothing else taken; a transaction that may not (batchable) is taken alone.
        std::size_t bytes = 0;
        while (!queue_.pending.empty() && batch.size() < batcher::max_transactions && bytes < batches_.max_bytes() &&
               queue_.pending.front()->seq == committed_ + 1 + batch.size() && queue_.pending.front()->seq < stop_at_ &&
               batcher::batchable(*queue_.pending.front(), w)) {
          std::unique_ptr<job> jp = std::move(queue_.pending.front());
          queue_.pending.pop_front();
          bytes += jp->bytes;
          jp->worker = w;
          batch.push_back(jp.get());
          queue_.make_live(std::move(jp));
        }
        if (!batch.empty()) {
          batches_.taken();
          return batch.front();
        }
      }
      std::unique_ptr<job> jp = std::move(*it);
      queue_.pending.erase(it);
      job* j = jp.get();
      j->worker = w;
      queue_.make_live(std::move(jp));
      return j;
    }
    if (input_done_ || stop_at_ != no_seq) return nullptr;
    wait_until(lk, w, wait_kind::job);
  }
}

// A transaction ran into trouble that running early may explain: roll back every later
// one that has started, hold back later ones until it commits, run it again as the next
// to commit.
void scheduler::conflict(sched_lock& lk, job& j) {
  (void)lk;
  ++retries_;
  j.head_only = true;
  hold_ = std::min(hold_, j.seq);
  for (auto& [seq, other] : queue_.live) {
    if (seq > j.seq && (other->state == job_state::executing || other->state == job_state::executed)) {
      other->abort = true;
    }
  }
  wake();
}

void scheduler::fail_job(sched_lock& lk, job& j, replay_failure f) {
  (void)lk;
  if (j.seq < stop_at_) {
    stop_at_ = j.seq;
    failure_ = std::move(f);
  }
  wake();
}

// Worker `w` sends `pieces` (worker::send); an error passed over by --skip-errors is
// counted and noted.
scheduler::exec_result scheduler::send_pieces(std::size_t w, job& j, const std::vector<job_piece>& pieces,
                                              std::size_t head_upto, const job_piece* reach,
                                              const function_ref<void()>* on_reached, bool defer,
                                              const function_ref<void(const job_piece*)>* on_progress) {
  auto skipped = [&](const job_piece& p, const sql_connection::outcome& o) {
    const job& of = p.owner != nullptr ? *p.owner : j;
    sched_lock lk(*this);
    ++skipped_;
    note(fmt::format("{}:{}{}: skipped error {} ({}): {}", (*ctx_.inputs)[of.tx.file_index].name, p.offset,
                     of.gtid.empty() ? "" : " GTID " + of.gtid, o.err, o.message, shorten(p.text, 160)));
  };
  const function_ref<void(const job_piece&, const sql_connection::outcome&)> on_skipped(skipped);
  return workers_[w]->send(j, pieces, head_upto, send_hooks{reach, on_reached, defer, on_progress, &on_skipped});
}

replay_failure scheduler::failure_of(const job& j, const exec_result& r, std::string message) const {
  replay_failure f;
  f.message = std::move(message);
  f.file = (*ctx_.inputs)[j.tx.file_index].name;
  f.position = r.at != nullptr && !r.at->ours ? r.at->offset : j.tx.start;
  f.gtid = j.gtid;
  if (r.at != nullptr) f.statement = shorten(r.at->text);
  f.server_errno = r.err;
  f.server_error = r.message;
  return f;
}

// Under m_. The transaction worker `w` starts right after `j` commits, its statements
// sent behind j's COMMIT in the same packet (the server's thread and the worker wake once
// per transaction instead of twice): the first it would take next, if it may start once
// `j` committed. Not while another worker waits for work (it would start it sooner), nor
// transactions that start only as the next to commit or send packets of their own.
job* scheduler::follower(std::size_t w, const job& j) {
  for (const auto& wk : workers_) {
    if (wk->waiting == wait_kind::job) return nullptr;
  }
  auto it = job_for(w);
  if (it == queue_.pending.end()) return nullptr;
  job& n = **it;
  if (n.pinned || n.alone || n.streamed || !may_start(n, j.seq)) return nullptr;
  for (const auto& p : n.body) {
    if (p.alone) return nullptr;
  }
  std::unique_ptr<job> jp = std::move(*it);
  queue_.pending.erase(it);
  jp->worker = w;
  jp->state = job_state::executing;
  jp->exec_start = clock_type::now();
  job* out = jp.get();
  queue_.make_live(std::move(jp));
  ++followers_;
  return out;
}

std::string failure_message(unsigned err, bool desync, bool extra) {
  if (extra) return extra_results_message();
  if (desync) return "the target stopped reporting results in the middle of a packet; the session cannot be trusted";
  return connection_lost(err) ? "the connection to the target was lost (rerun with --resume)"
                              : "the target refused a statement";
}

// Under lk, which it unlocks. The statements of `x` failed while it was not the next to
// commit: a lost connection or a desync stops the replay (true); any other error may come
// from running early, and `x` is rolled back, to run again as the next to commit (false).
bool scheduler::early_failure(sched_lock& lk, std::size_t w, job& x, const exec_result& r) {
  const bool lost = connection_lost(r.err);
  if (r.err == 1205) ++timeouts_;
  if (r.desync || lost || x.streamed) {
    fail_job(lk, x, failure_of(x, r, failure_message(r.err, r.desync, r.extra)));
    lk.unlock();
    if (!lost) workers_[w]->rollback();
    return true;
  }
  if (lock_error(r.err)) note_rerun(x, r);
  x.state = job_state::waiting;
  conflict(lk, x);
  lk.unlock();
  workers_[w]->rollback();
  return false;
}

// Runs `j` until it committed or the replay stops (`executed`: its statements already
// ran, behind the previous transaction's COMMIT). Returns the transaction the worker took
// meanwhile, to run next. Each try: start (its statements), its turn, its COMMIT; a step
// that rolled `j` back starts the next try.
scheduler::next_job scheduler::execute(std::size_t w, job& j, bool executed) {
  job* held = nullptr;  // a follower whose statements did not run (j runs again first)
  for (;;) {
    sched_lock lk(*this);
    workers_[w]->current = &j;  // what its waits look at
    bool at_once = false;
    if (!executed) {
      const step s = start(lk, w, j, at_once);
      if (s == step::done) return {held, false};
      if (s == step::again) continue;
    }
    executed = false;  // a second try starts from the beginning
    if (!at_once) {
      const step s = wait_turn(lk, w, j);
      if (s == step::done) return {held, false};
      if (s == step::again) continue;
    }
    next_job out;
    if (commit_turn(lk, w, j, at_once, held, out) == step::again) continue;
    return out;
  }
}

// Under lk. Waits until `j` may start, then runs its statements unless it is the next to
// commit with a COMMIT of its own (`at_once`: statements and COMMIT go in one packet, at
// its turn). Transactions applied alone run their whole text here (they start as the next
// to commit and nothing later starts before they finish).
scheduler::step scheduler::start(sched_lock& lk, std::size_t w, job& j, bool& at_once) {
  wait_until(lk, w, wait_kind::start);
  if (stopping(j)) return step::done;
  j.abort = false;
  j.state = job_state::executing;
  j.exec_start = clock_type::now();
  at_once = head(j) && !j.commit.empty();
  if (at_once) return step::next;
  lk.unlock();
  auto r = send_pieces(w, j, j.body, 0);
  lk.lock();
  if (!r.ok) return early_failure(lk, w, j, r) ? step::done : step::again;
  note_exec_time(j);
  j.state = job_state::executed;
  wake();  // transactions waiting for this one to have executed
  return step::next;
}

// Under lk. Waits for the turn of `j` to commit: reads a follower's deferred results, and
// rolls `j` back when the replay stops before it (done) or a conflict aborted it (again).
scheduler::step scheduler::wait_turn(sched_lock& lk, std::size_t w, job& j) {
  wait_until(lk, w, wait_kind::turn);
  if (j.deferred) {
    // A follower's results, left unread behind the COMMIT before (they had time to
    // arrive while the worker waited: one wake-up instead of one per result).
    j.deferred = false;
    j.exec_start = clock_type::now();  // the watcher's clock for it starts now
    lk.unlock();
    auto r = workers_[w]->read_deferred();
    lk.lock();
    if (!r.ok && !stopping(j)) return early_failure(lk, w, j, r) ? step::done : step::again;
    if (r.ok) {
      j.state = job_state::executed;
      wake();  // transactions waiting for this one to have executed
    }
  }
  if (head(j) && j.abort) {
    j.abort = false;  // nothing earlier is left to run before it
    wake();           // it counts as executed again
  }
  if (stopping(j)) {
    lk.unlock();
    workers_[w]->rollback();
    return step::done;
  }
  if (j.abort) {
    ++retries_;
    j.state = job_state::waiting;
    lk.unlock();
    workers_[w]->rollback();
    return step::again;
  }
  return step::next;
}

// Under lk. Sends the COMMIT of `j` (all its statements when at_once), maybe with the
// statements of a follower behind it (held: one that did not run after a failed try is
// not taken again). `out`: what the worker runs next (done), unless `j` runs again.
scheduler::step scheduler::commit_turn(sched_lock& lk, std::size_t w, job& j, bool at_once, job*& held,
                                       next_job& out) {
  auto& pieces = workers_[w]->pieces;
  j.state = job_state::committing;
  // Sent with its COMMIT, its statements count as executed from now: transactions
  // waiting for that may start (they would otherwise wait for its commit).
  if (at_once) wake();
  j.at_once = at_once;
  job* next = held == nullptr ? follower(w, j) : nullptr;
  const bool defer = next != nullptr && !executed_matters_;
  pieces.clear();
  if (at_once) pieces.insert(pieces.end(), j.body.begin(), j.body.end());
  pieces.insert(pieces.end(), j.commit.begin(), j.commit.end());
  const std::size_t own = pieces.size();
  if (next != nullptr) pieces.insert(pieces.end(), next->body.begin(), next->body.end());
  lk.unlock();
  // Once j's last statement succeeded j has committed: the next turn starts then, not
  // after the follower's statements.
  bool marked = false;
  auto on_commit = [&] {
    sched_lock g(*this);
    mark_committed(j);
    marked = true;
  };
  const function_ref<void()> committed(on_commit);
  auto c = send_pieces(w, j, pieces, own, own > 0 ? &pieces[own - 1] : nullptr, &committed, defer);
  lk.lock();
  j.at_once = false;
  const bool in_next = !c.ok && next != nullptr && c.at >= pieces.data() + own;
  if (!c.ok && !in_next) return commit_failed(lk, w, j, c, at_once, next, held, out);
  if (at_once && c.ok) note_exec_time(j);
  if (!marked) mark_committed(j);
  queue_.retire(j.seq);  // j is gone
  wake_reader();  // room in the queue
  if (batches_.on() && queue_.live.empty()) wake();  // a batch may start
  out = {held, false};
  if (next == nullptr) return step::done;
  if (c.ok) {
    if (c.deferred) {
      next->deferred = true;  // still executing, as far as anyone knows
      ++deferred_reads_;
    } else {
      next->state = job_state::executed;
      wake();
    }
    out = {next, true};
    return step::done;
  }
  // The follower's statements failed (they ran before it was the next to commit).
  out = early_failure(lk, w, *next, c) ? next_job{} : next_job{next, false};
  return step::done;
}

// Under lk. The packet of the COMMIT of `j` failed in j's own statements: the follower
// (`next`) did not run and is held; `j` runs again (a lock error as the next to commit,
// again) or fails the replay (done, `out` the held follower).
scheduler::step scheduler::commit_failed(sched_lock& lk, std::size_t w, job& j, const exec_result& c, bool at_once,
                                         job* next, job*& held, next_job& out) {
  if (next != nullptr) {
    next->state = job_state::waiting;  // its statements did not run
    held = next;
  }
  const bool lost = connection_lost(c.err);
  if (!head_retry(j, c, at_once)) {
    fail_job(lk, j, failure_of(j, c, failure_message(c.err, c.desync, c.extra)));
    lk.unlock();
    if (!lost) workers_[w]->rollback();
    out = {held, false};
    return step::done;
  }
  note_rerun(j, c);
  j.state = job_state::waiting;
  conflict(lk, j);
  lk.unlock();
  workers_[w]->rollback();
  return step::again;
}

// Under m_: whether the next to commit, whose packet failed with `c`, runs again (counts a
// lock wait timeout). An error as the next to commit is the transaction's own; a lock
// error gets a few more tries (another session may hold the lock): it is rolled back, the
// later ones too, and it runs again.
bool scheduler::head_retry(job& j, const exec_result& c, bool at_once) {
  if (c.err == 1205) ++timeouts_;
  constexpr int max_head_retries = 5;
  return !c.desync && !connection_lost(c.err) && !j.streamed && lock_error(c.err) &&
         (at_once ? ++j.head_retries <= max_head_retries : !j.alone);
}

void scheduler::worker_main(std::size_t w) {
  next_job n;
  for (;;) {
    if (n.j == nullptr) {
      n.j = take(w);
      n.executed = false;
      if (n.j == nullptr) break;
      if (!workers_[w]->batch.empty()) {
        execute_batch(w);
        n.j = nullptr;
        continue;
      }
    }
    n = execute(w, *n.j, n.executed);
  }
  sched_lock lk(*this);
  --running_workers_;
  workers_[w]->current = nullptr;
  wake();
  watcher_.poke();
}


}  // namespace binlogkit::detail::parallel
