// The parallel applier's scheduler (private to the replay layer): the calling thread reads,
// renders and schedules transactions (transaction_reader); N workers, one connection each,
// run as fibers of one thread, execute them and commit them in binlog order; a watcher
// thread resolves commit-order deadlocks. The parts live in their own files:
//
//   parallel_replay.cpp   run(), what may be taken and started, waiting and waking,
//                         conflicts and failures, the result (coordination)
//   job_queue.cpp         the transactions pending and live (job_queue)
//   parallel_reader.cpp   the reading side (transaction_reader): reads, queues, streams
//                         large transactions
//   job_maker.cpp         jobs built from transactions, their start rules (job_maker)
//   worker_fiber.cpp      a worker's fiber (worker_fiber): take, execute in steps, retry,
//                         commit, run a batch
//   worker.cpp            one connection: send, deferred results, roll back
//   parallel_batcher.cpp  batches (batcher): which transactions share a packet, the turns
//                         of --parallel-batches auto
//   deadlock_watcher.cpp  the commit-order deadlock watcher (deadlock_watcher)
//
// Contract (replay.hpp has the user-visible rules):
//
//   * a transaction commits only when every earlier one has (`committed_` is the highest
//     sequence number such that all up to it are committed), with its progress row: in
//     its own BINLOG statement (the row of its slot, rows_count_ok) or as an UPDATE of
//     the replay's row in the packet of its COMMIT;
//   * a transaction whose statements fail while an earlier one is still uncommitted is
//     rolled back and executed again once it is the next to commit (its error may come
//     from running early); only the next to commit can fail the replay, so a failure
//     leaves every earlier transaction committed and no later one;
//   * a transaction applied "alone" starts after every earlier one committed, and no later
//     one starts before it committed;
//   * a batch (replay_options::batches) is taken only when every earlier transaction has
//     committed and nothing is taken beside it until its last transaction committed; its
//     transactions commit in order on one connection, each marked committed as the result
//     of its last statement arrives.
//
// Every member marked "under m_" is read and written with m_ held (sched_lock); the
// reading side's own state (maker_) only by the reading thread; a worker's connection and
// session (worker) only by its fiber, except `waiting`, `current` and `notified` (under
// m_). The parts with state of their own: transaction_reader and job_maker (reading side),
// job_queue, worker (a connection), worker_fiber (what a fiber carries between its
// steps), batcher (batches), deadlock_watcher (its thread and connection).
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "batch_pace.hpp"
#include "deadlock_watcher.hpp"
#include "progress_rows.hpp"
#include "replay/dependency_policy.hpp"
#include "replay/batcher.hpp"
#include "replay/job.hpp"
#include "replay/job_queue.hpp"
#include "replay/job_maker.hpp"
#include "replay/transaction_reader.hpp"
#include "replay/job_builder.hpp"
#include "replay/worker.hpp"
#include "replay/progress_slots.hpp"
#include "replay_session.hpp"

namespace binlogkit::detail::parallel {


class scheduler {
 public:
  scheduler(apply_context& ctx, replay_result& res)
      : ctx_(ctx),
        res_(res),
        opt_(*ctx.options) {}
  void run();

 private:
  // ---- run()'s steps ----
  bool open_workers();
  void wait_for_workers();
  void finish(std::optional<replay_failure> read_failure);
  void report(bool finished);
  void flush_notes();
  void set_failure(std::string message) {
    replay_failure f;
    f.message = std::move(message);
    res_.failure = std::move(f);
  }
  class sched_lock;  // a lock of m_ (below)
  // ---- reading side ----
  void schedule(job& j);
  // ---- workers: each runs as a worker_fiber, which uses what follows ----
  friend class worker_fiber;
  using exec_result = parallel::exec_result;
  void pace();
  replay_failure failure_of(const job& j, const exec_result& r, std::string message) const;
  // Pieces before `head_upto` are the next to commit's (their expected and skippable
  // errors are passed over); `on_reached` runs once the statement of `reach` (or a later
  // one) succeeded.
  // `defer`: the results after reach's are left unread (exec_result::deferred) when they
  // are in the same packet; read_deferred() reads them.
  // `on_progress` runs with the last statement done each time results arrive.
  exec_result send_pieces(std::size_t w, job& j, const std::vector<job_piece>& pieces, std::size_t head_upto,
                          const job_piece* reach = nullptr, const function_ref<void()>* on_reached = nullptr,
                          bool defer = false, const function_ref<void(const job_piece*)>* on_progress = nullptr);
  void conflict(sched_lock& lk, job& j);
  void fail_job(sched_lock& lk, job& j, replay_failure f);
  bool head(const job& j) const { return committed_ + 1 == j.seq; }
  bool stopping(const job& j) const { return stop_at_ < j.seq; }
  std::uint64_t executed_upto() const;
  // ---- waiting and waking (under m_) ----
  // A lock of m_ that sends the wake-ups decided under it (wake, wake_reader) once it is
  // released: a thread woken while the lock is still held runs into it and sleeps again.
  // A thread about to wait sends them first (notify_pending).
  class sched_lock {
   public:
    explicit sched_lock(scheduler& s) : s_(s), lk_(s.m_) {}
    sched_lock(const sched_lock&) = delete;
    sched_lock& operator=(const sched_lock&) = delete;
    ~sched_lock() {
      if (lk_.owns_lock()) unlock();
    }
    void lock() { lk_.lock(); }
    void unlock();
    std::unique_lock<std::mutex>& native() { return lk_; }

   private:
    scheduler& s_;
    std::unique_lock<std::mutex> lk_;
  };
  void notify_pending();
  void notify(int x);
  // Each worker waits for one thing at a time, and a change wakes only the workers (and
  // the reader) it lets go on.
  enum class reader_wait : std::uint8_t { none, room, idle, workers_gone };
  std::deque<std::unique_ptr<job>>::iterator job_for(std::size_t w);
  // With every transaction up to `upto` committed.
  bool may_start(const job& j, std::uint64_t upto) const;
  bool may_start(const job& j) const { return may_start(j, committed_); }
  bool my_turn(const job& j) const { return stopping(j) || j.abort || head(j); }
  bool ready(std::size_t w);
  bool reader_ready() const;
  void wait_until(sched_lock& lk, std::size_t w, wait_kind kind);
  bool reader_wait_until(sched_lock& lk, reader_wait kind, std::chrono::milliseconds at_most);
  void wake();
  void wake_reader();
  void mark_committed(job& j);
  void note_exec_time(const job& j);
  void note_rerun(const job& j, const exec_result& r);
  // ---- deadlock watcher ----
  // It reads queue_.live and marks transactions for a rollback, under m_.
  friend class deadlock_watcher;
  deadlock_watcher watcher_{*this};
  void note(std::string text) { notes_.push_back(std::move(text)); }  // under m_
  double seconds_since_start() const {
    return std::chrono::duration<double>(clock_type::now() - ctx_.t0).count();
  }

  apply_context& ctx_;
  replay_result& res_;
  const replay_options& opt_;

  std::vector<std::unique_ptr<worker>> workers_;

  std::mutex m_;
  // The workers run as fibers of loop_, on one thread: a worker waits in loop_ for its
  // socket or for a wake-up, and the hand-off of the turn to commit needs no other thread.
  fiber_loop loop_;
  // Wake-ups to send once m_ is released (sched_lock): a worker's number, -1 the reader.
  std::vector<int> wakes_;
  // Workers wait in loop_ (wait_until), the reading thread on reader_cv_
  // (reader_wait_until), the watcher on its own (deadlock_watcher::poke).
  std::condition_variable reader_cv_;
  reader_wait reader_waiting_ = reader_wait::none;
  // The queue of scheduled transactions: the reader stops at max_jobs_ / max_bytes_ and
  // goes on once it is down to half (woken once per max_jobs_ / 2 commits, not for every one).
  std::size_t max_jobs_ = 32, max_bytes_ = 64u << 20;
  // The jobs the reader's room counts. Taken ones too, except in batches: a batch's take
  // leaves room for the next one, rendered while the server runs this one (counting them,
  // the reader was woken as a batch ended, and rendered on the second CPU while the
  // worker sent the next batch and the server took it).
  std::size_t queued_jobs() const { return queue_.pending.size() + (batches_.on() ? 0 : queue_.live.size()); }
  std::uint64_t late_wakes_ = 0;  // waits ended by their time limit although ready (a missed wake)
  std::uint64_t job_wakes_ = 0;   // wake-ups sent to workers waiting for a job
  std::uint64_t followers_ = 0;   // transactions started behind an earlier one's COMMIT
  std::uint64_t deferred_reads_ = 0;  // ... whose results were read at their turn
  job_queue queue_;  // pending, live, their bytes, spares
  std::uint64_t committed_ = 0;
  std::uint64_t stop_at_ = no_seq;     // a failure: nothing after it commits
  std::uint64_t hold_ = no_seq;        // a conflict: nothing after it starts before it commits
  bool input_done_ = false;
  std::size_t running_workers_ = 0;
  std::optional<replay_failure> failure_;
  std::vector<std::string> notes_;
  std::uint64_t last_count_ = 0;
  std::string last_file_, last_gtid_;
  std::uint64_t last_pos_ = 0;
  std::uint64_t committed_run_ = 0;
  std::uint64_t retries_ = 0, skipped_ = 0, timeouts_ = 0;

  // The reading side's own state (reading thread only).
  job_maker maker_{ctx_};
  // It queues jobs, waits for room and streams large transactions, under m_.
  friend class transaction_reader;
  transaction_reader reader_{*this};
  // Some transaction waits for earlier ones to have executed (after_executed): followers'
  // results are then read at once, not at their turn (under m_).
  bool executed_matters_ = false;
  // Batches (under m_): whether transactions are taken in batches now, whether one is in
  // flight, and the turns of --parallel-batches auto.
  batcher batches_{opt_.batches, ctx_.packet_room};
};

}  // namespace binlogkit::detail::parallel
