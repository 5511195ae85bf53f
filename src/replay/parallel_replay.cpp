// The parallel applier (replay_options::parallel > 1): the scheduler's coordination:
// run(), the queue of scheduled and live transactions, waiting and waking, the result.
// scheduler.hpp states the contract and names the other parts' files.
#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "replay/scheduler.hpp"
#include "replay/worker_fiber.hpp"

namespace binlogkit::detail::parallel {

// Under m_. The worker removes `j` from queue_.live once its packet is done.
void scheduler::mark_committed(job& j) {
  j.state = job_state::done;
  committed_ = j.seq;
  if (hold_ != no_seq && committed_ >= hold_) hold_ = no_seq;
  ++committed_run_;
  last_count_ = j.count;
  last_file_ = (*ctx_.file_names)[j.tx.file_index];
  last_pos_ = j.tx.end;
  last_gtid_ = j.gtid;
  if (opt_.batches == replay_options::batch_mode::automatic) pace();
  wake();
}

// With --verbose: `j` failed with r's error and runs again as the next to commit.
void scheduler::note_rerun(const job& j, const exec_result& r) {
  if (!opt_.verbose) return;
  note(fmt::format("{}:{}: error {} ({}): rolled back, to run again as the next to commit",
                   (*ctx_.inputs)[j.tx.file_index].name, j.tx.start, r.err, r.message));
}

// Under m_: the time its statements took, into the watcher's average.
void scheduler::note_exec_time(const job& j) {
  const double took = std::chrono::duration<double>(clock_type::now() - j.exec_start).count();
  watcher_.note_exec_time(took);
}

auto scheduler::job_for(std::size_t w) -> std::deque<std::unique_ptr<job>>::iterator {
  // A batch: nothing is taken beside it.
  if (batches_.in_flight()) return queue_.pending.end();
  if (batches_.on() && queue_.live.empty()) {
    // A batch starts once everything taken has committed.
    auto it = queue_.pending.begin();
    if (it == queue_.pending.end() || ((*it)->pinned && w != 0) || (*it)->seq >= stop_at_) return queue_.pending.end();
    return it;
  }
  auto it = queue_.pending.begin();
  if (w != 0) {
    while (it != queue_.pending.end() && (*it)->pinned) ++it;
  }
  // After a failure, only transactions before it are still applied.
  if (it != queue_.pending.end() && (*it)->seq >= stop_at_) it = queue_.pending.end();
  // Before a batch, only those that the taken ones wait for (one left for the first
  // connection while others took later ones).
  if (batches_.on() && it != queue_.pending.end() && (*it)->seq > queue_.live.rbegin()->first) {
    it = queue_.pending.end();
  }
  return it;
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

std::string failure_message(unsigned err, bool desync, bool extra) {
  if (extra) return extra_results_message();
  if (desync) return "the target stopped reporting results in the middle of a packet; the session cannot be trusted";
  return connection_lost(err) ? "the connection to the target was lost (rerun with --resume)"
                              : "the target refused a statement";
}

bool scheduler::may_start(const job& j, std::uint64_t upto) const {
  if (stopping(j)) return true;
  if (j.head_only || j.alone) return upto + 1 >= j.seq;
  if (upto < j.after_committed || upto < j.restart_after) return false;
  if (hold_ != no_seq && j.seq > hold_ && upto < hold_) return false;
  return j.after_executed == 0 || executed_upto() >= j.after_executed;
}

bool scheduler::ready(std::size_t w) {
  const auto& wk = *workers_[w];
  switch (wk.waiting) {
    case wait_kind::none: return true;
    case wait_kind::job: return job_for(w) != queue_.pending.end() || input_done_ || stop_at_ != no_seq;
    case wait_kind::start: return may_start(*wk.current);
    case wait_kind::turn: return my_turn(*wk.current);
  }
  return true;
}

bool scheduler::reader_ready() const {
  switch (reader_waiting_) {
    case reader_wait::none: return true;
    case reader_wait::room:
      return stop_at_ != no_seq ||
             (queued_jobs() <= max_jobs_ / 2 && queue_.bytes <= max_bytes_ * 3 / 4);
    case reader_wait::idle: return stop_at_ != no_seq || (queue_.pending.empty() && queue_.live.empty());
    case reader_wait::workers_gone: return running_workers_ == 0;
  }
  return true;
}

// A wait for something a wake() announces; the time limit is a safety net only.
void scheduler::wait_until(sched_lock& lk, std::size_t w, wait_kind kind) {
  auto& wk = *workers_[w];
  wk.waiting = kind;
  // Late: ready at the time limit with no wake-up sent since the last look (a wake-up
  // that raced with the time limit on a busy machine is not one). A wait for a job is not
  // late either when another worker was woken for one meanwhile: one taker per job, and
  // the woken one may not have run yet (the thread of the fibers starved for longer than
  // the limit, the time limit met before the wake-up in its next pass).
  std::uint64_t seen = wk.notified, seen_job = job_wakes_;
  while (!ready(w)) {
    lk.unlock();
    const bool woken = loop_.wait_wake(w, std::chrono::milliseconds(100));
    lk.lock();
    if (!woken && ready(w) && wk.notified == seen && (kind != wait_kind::job || job_wakes_ == seen_job)) {
      ++late_wakes_;
    }
    seen = wk.notified;
    seen_job = job_wakes_;
  }
  wk.waiting = wait_kind::none;
}

// False when `at_most` passed first.
bool scheduler::reader_wait_until(sched_lock& lk, reader_wait kind,
                                  std::chrono::milliseconds at_most) {
  reader_waiting_ = kind;
  notify_pending();
  const bool ok = reader_cv_.wait_for(lk.native(), at_most, [&] { return reader_ready(); });
  reader_waiting_ = reader_wait::none;
  return ok;
}

// Wakes the threads whose wait is over: at most one taker per scheduled transaction.
void scheduler::wake() {
  std::size_t takers = (input_done_ || stop_at_ != no_seq) ? workers_.size() : queue_.pending.size();
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    auto& wk = *workers_[w];
    if (wk.waiting == wait_kind::none) continue;
    if (wk.waiting == wait_kind::job) {
      if (takers == 0 || !ready(w)) continue;
      --takers;
      ++wk.notified;
      ++job_wakes_;
      wakes_.push_back(static_cast<int>(w));
    } else if (ready(w)) {
      ++wk.notified;
      wakes_.push_back(static_cast<int>(w));
    }
  }
  wake_reader();
}

void scheduler::wake_reader() {
  if (reader_waiting_ != reader_wait::none && reader_ready()) wakes_.push_back(-1);
}

// Under m_: the wake-ups decided so far, sent now (the caller is about to wait).
void scheduler::notify_pending() {
  for (const int x : wakes_) notify(x);
  wakes_.clear();
}

void scheduler::notify(int x) {
  if (x < 0) reader_cv_.notify_one();
  else loop_.wake(static_cast<std::size_t>(x));
}

void scheduler::sched_lock::unlock() {
  // The list is taken while the lock is held; its room goes back and forth between the
  // scheduler and this thread (no allocation once both have grown).
  static thread_local std::vector<int> out;
  out.swap(s_.wakes_);
  lk_.unlock();
  for (const int x : out) s_.notify(x);
  out.clear();
}

std::uint64_t scheduler::executed_upto() const {
  std::uint64_t upto = committed_;
  for (auto it = queue_.live.upper_bound(committed_); it != queue_.live.end(); ++it) {
    const auto& [seq, jp] = *it;
    if (seq != upto + 1 || jp->state < job_state::executed || jp->abort) break;
    upto = seq;
  }
  return upto;
}

void scheduler::run() {
  const std::size_t n = opt_.parallel;
  if (ctx_.progress_rows) maker_.use_slots(n);
  if (!open_workers()) return;

  const std::size_t least = opt_.batches == replay_options::batch_mode::never ? 32 : 2 * batcher::max_transactions;
  max_jobs_ = std::max<std::size_t>(least, 16 * n);
  batches_.start(clock_type::now());

  running_workers_ = n;
  for (std::size_t w = 0; w < n; ++w) loop_.add([this, w] { worker_fiber(*this, w).run(); });
  std::thread workers([this] { loop_.run(); });
  std::thread watcher([this] { watcher_.run(); });
  std::optional<replay_failure> read_failure;
  read_failure = reader_.run();
  wait_for_workers();
  workers.join();
  watcher.join();
  finish(std::move(read_failure));
}

// The result: the first failure (the workers' before the reader's), counters, notes.
void scheduler::finish(std::optional<replay_failure> read_failure) {
  const std::size_t n = opt_.parallel;
  transaction_stream& stream = *ctx_.stream;
  auto& resume_point = *ctx_.resume_point;
  flush_notes();
  res_.retries = retries_;
  res_.skipped_errors = skipped_;
  res_.serial_transactions = maker_.serial_count();
  if (failure_) {
    res_.failure = std::move(failure_);
  } else if (read_failure) {
    res_.failure = std::move(read_failure);
  } else if (resume_point && !stream.resume_checked()) {
    set_failure(fmt::format("--resume: no transaction ends at the recorded position {}:{}", resume_point->first,
                            resume_point->second));
  }
  if (!res_.failure && !ctx_.target_mariadb && maker_.builder().gtid_next_used()) {
    for (auto& wk : workers_) (void)wk->db->run(std::string(gtid_next_automatic), 1);
  }
  res_.stopped_at_stop_point = !res_.failure && stream.stopped();
  if (opt_.verbose && opt_.on_note) {
    opt_.on_note(fmt::format("parallel apply on {} connections: {} transactions, {} applied alone, {} run again "
                             "after a conflict ({} commit-order deadlocks found, {} lock wait timeouts), {} started "
                             "in the packet of the COMMIT before ({} of them read at their turn), {} in {} "
                             "batches of one connection ({} changes of way){}",
                             n, committed_run_, maker_.serial_count(), retries_, watcher_.deadlocks(), timeouts_,
                             followers_,
                             deferred_reads_, batches_.batched(), batches_.count(), batches_.switches(),
                             late_wakes_ == 0 ? "" : fmt::format("; {} late wake-ups (a defect)", late_wakes_)));
  }
  report(true);
}

void scheduler::report(bool finished) {
  {
    sched_lock lk(*this);
    res_.progress.transactions = last_count_ == 0 ? ctx_.transactions : last_count_;
    res_.progress.transactions_run = committed_run_;
    if (last_count_ != 0) {
      res_.progress.file = last_file_;
      res_.progress.position = last_pos_;
      res_.progress.gtid = last_gtid_;
    }
  }
  res_.progress.bytes_done = finished && !res_.failure ? ctx_.stream->bytes_total() : ctx_.stream->bytes_done();
  res_.progress.bytes_total = ctx_.stream->bytes_total();
  res_.progress.elapsed_s = seconds_since_start();
  res_.progress.finished = finished && !res_.failure;
  if (opt_.on_progress) opt_.on_progress(res_.progress);
}

void scheduler::flush_notes() {
  std::vector<std::string> out;
  {
    sched_lock lk(*this);
    out.swap(notes_);
  }
  for (auto& t : out) {
    if (opt_.on_note) opt_.on_note(t);
  }
  for (auto& nt : ctx_.stream->take_notes()) {
    const auto& say = nt.warning && opt_.on_warning ? opt_.on_warning : opt_.on_note;
    if (say) {
      say(fmt::format("{}:{}: {}", nt.file_index < ctx_.inputs->size() ? (*ctx_.inputs)[nt.file_index].name : "?", nt.offset,
                      nt.text));
    }
  }
}

// Opens the worker connections (open_worker). False (with res_.failure) when one cannot be.
bool scheduler::open_workers() {
  const std::size_t n = opt_.parallel;
  for (std::size_t w = 0; w < n; ++w) {
    replay_failure failure;
    auto wk = open_worker(ctx_, w, &loop_, failure);
    if (wk == nullptr) {
      res_.failure = std::move(failure);
      return false;
    }
    watcher_.add_thread(std::to_string(wk->db->thread_id()));
    workers_.push_back(std::move(wk));
  }
  return true;
}

// Once the input is done: waits until every worker has finished what was scheduled.
void scheduler::wait_for_workers() {
  {
    sched_lock lk(*this);
    input_done_ = true;
    wake();
    // Everything scheduled is applied (or the replay stops at a failure).
    while (running_workers_ > 0) {
      if (reader_wait_until(lk, reader_wait::workers_gone, std::chrono::milliseconds(500))) break;
      lk.unlock();
      flush_notes();
      report(false);
      lk.lock();
    }
  }
}

}  // namespace binlogkit::detail::parallel

namespace binlogkit::detail {

void apply_parallel(apply_context& ctx, replay_result& res) {
  parallel::scheduler s(ctx, res);
  s.run();
  ctx.stream->on_commit_rows = nullptr;  // it points into the scheduler
}

}  // namespace binlogkit::detail
