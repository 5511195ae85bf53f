// The parallel applier (replay_options::parallel > 1): the calling thread reads and
// renders transactions and schedules them; N worker threads, one connection each, execute
// them and commit them in binlog order; a watcher thread resolves commit-order deadlocks.
// See replay.hpp for the rules; the invariants kept here:
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
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "batch_pace.hpp"
#include "progress_rows.hpp"
#include "replay/dependency_policy.hpp"
#include "replay/job_builder.hpp"
#include "replay/progress_slots.hpp"
#include "replay_session.hpp"

namespace binlogkit::detail {

namespace {

constexpr std::uint64_t no_seq = std::numeric_limits<std::uint64_t>::max();

// Lock wait timeout and deadlock: the transaction (or statement) was rolled back by InnoDB.
bool lock_error(unsigned e) { return e == 1205 || e == 1213; }

// A piece (job_builder.hpp) with the transaction it belongs to.
struct job_piece : piece {
  const struct job* owner = nullptr;  // the transaction of a statement of the binlog
};

// done: committed, in live_ until its worker has read its packet's last result.
enum class job_state : std::uint8_t { waiting, executing, executed, committing, done };

struct job {
  std::uint64_t seq = 0;     // 1-based position in this run
  rendered_transaction tx;
  std::string gtid;
  std::uint64_t count = 0;   // the progress row's transactions value
  std::vector<std::string> own;  // our statements (progress UPDATE, COMMIT, ...)
  std::vector<job_piece> body;   // executed before its turn
  std::vector<job_piece> commit; // sent at its turn
  std::size_t bytes = 0;
  bool alone = false;        // applied alone (no dependency information)
  bool pinned = false;       // statement-based: the first connection
  bool streamed = false;     // the last piece of a large transaction whose earlier pieces the
                             // first connection holds open: never rolled back and run again
  std::uint64_t after_committed = 0;  // starts once every seq <= this committed
  std::uint64_t after_executed = 0;   // ... and every seq <= this executed
  // Runtime, under the scheduler's mutex.
  job_state state = job_state::waiting;
  bool abort = false;        // roll back and execute again
  bool head_only = false;    // execute again only as the next to commit
  int head_retries = 0;      // lock errors as the next to commit
  std::uint64_t restart_after = 0;  // rolled back for an earlier one: runs again once it committed
  std::size_t worker = 0;
  clock_type::time_point exec_start{};
  bool at_once = false;      // the next to commit: statements and COMMIT in one packet
  bool deferred = false;     // a follower whose results its worker reads at its turn (read_deferred)
};

// Keys of session statements: a statement is skipped when the connection's last statement
// with the same key had the same text (the state it sets is already there).
std::string_view session_key(const job_piece& p) {
  if (p.kind == sql_statement_kind::format_description) return "BINLOG";
  if (p.kind == sql_statement_kind::use_database) return "use";
  // A SET statement: the renderer writes each with a fixed list of variables.
  const std::string_view text = p.text;
  auto eq = text.find('=');
  return eq == std::string_view::npos ? text : text.substr(0, eq);
}

struct view_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class scheduler {
 public:
  scheduler(apply_context& ctx, replay_result& res)
      : ctx_(ctx),
        res_(res),
        opt_(*ctx.options),
        jobs_({ctx.target_mariadb, ctx.target_log_bin && !ctx.options->disable_log_bin, ctx.id_literal}) {}
  void run();

 private:
  // ---- run()'s steps ----
  bool open_workers();
  void read_and_schedule(std::optional<replay_failure>& read_failure);
  void wait_for_workers();
  void finish(std::optional<replay_failure> read_failure);
  void report(bool finished);
  void flush_notes();
  void tick();  // twice a second while reading: notes, progress, pages read released
  void set_failure(std::string message) {
    replay_failure f;
    f.message = std::move(message);
    res_.failure = std::move(f);
  }
  clock_type::time_point last_report_{};
  class sched_lock;  // a lock of m_ (below)
  // ---- reading side ----
  void schedule(job& j);
  std::unique_ptr<job> make_job(rendered_transaction&& tx);
  // ---- workers ----
  void worker_main(std::size_t w);
  job* take(std::size_t w);
  struct exec_result {
    bool ok = true;
    unsigned err = 0;
    std::string message;
    const job_piece* at = nullptr;
    bool desync = false;           // also set with extra: the session is out of step
    bool extra = false;            // more results than statements (session::outcome::extra)
    bool deferred = false;
  };
  // What a worker runs next: a transaction it already took, whose statements may have run.
  struct next_job {
    job* j = nullptr;
    bool executed = false;
  };
  next_job execute(std::size_t w, job& j, bool executed);
  void execute_batch(std::size_t w);
  static bool batchable(const job& j, std::size_t w);
  void unlive(job& j);
  void pace();
  job* follower(std::size_t w, const job& j);
  replay_failure failure_of(const job& j, const exec_result& r, std::string message) const;
  bool early_failure(sched_lock& lk, std::size_t w, job& x, const exec_result& r);
  bool head_retry(job& j, const exec_result& c, bool at_once);
  // Pieces before `head_upto` are the next to commit's (their expected and skippable
  // errors are passed over); `on_reached` runs once the statement of `reach` (or a later
  // one) succeeded.
  // `defer`: the results after reach's are left unread (exec_result::deferred) when they
  // are in the same packet; read_deferred() reads them.
  // `on_progress` runs with the last statement done each time results arrive.
  exec_result send_pieces(std::size_t w, job& j, const std::vector<job_piece>& pieces, std::size_t head_upto,
                          const job_piece* reach = nullptr, const function_ref<void()>* on_reached = nullptr,
                          bool defer = false, const function_ref<void(const job_piece*)>* on_progress = nullptr);
  exec_result read_deferred(std::size_t w);
  struct worker;
  static exec_result failed(worker& wk, session::outcome& o, std::size_t from);
  void rollback(std::size_t w);
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
  enum class wait_kind : std::uint8_t { none, job, start, turn };
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
  bool stream_large(rendered_transaction&& first, std::optional<replay_failure>& read_failure,
                    const std::function<void()>& tick);
  // ---- deadlock watcher ----
  void watcher_main();
  enum class lock_probe : std::uint8_t { lock_waits, data_lock_waits, nothing };
  [[nodiscard]] std::uint64_t suspect(bool may_ask, bool& ask) const;
  static bool read_lock_waits(sql_connection& db, lock_probe& how, std::vector<std::string>& rows);
  std::uint64_t waiting_for_later(const std::vector<std::string>& rows);
  void roll_back_later(std::uint64_t victim_after);
  void note(std::string text) { notes_.push_back(std::move(text)); }  // under m_
  double seconds_since_start() const {
    return std::chrono::duration<double>(clock_type::now() - ctx_.t0).count();
  }

  apply_context& ctx_;
  replay_result& res_;
  const replay_options& opt_;
  job_builder jobs_;  // what a transaction sends (reading thread only)

  struct worker {
    std::unique_ptr<sql_connection> db;
    // Session key -> last text sent (looked up by string_view, its texts' room reused).
    std::unordered_map<std::string, std::string, view_hash, std::equal_to<>> state;
    std::string packet;
    std::vector<char> flag_loss;
    std::vector<job_piece> pieces;        // the last COMMIT packet's (a deferred follower's point into it)
    std::vector<const job_piece*> todo;   // the pieces send_pieces sends
    std::vector<job*> batch;          // the batch it took (take), in order
    std::vector<std::size_t> batch_ends;  // index in `pieces` after each one's last statement
    std::size_t todo_from = 0;        // the first of the packet whose results are deferred
    // Under m_: what the worker waits for (in loop_.wait_wake), and its transaction.
    wait_kind waiting = wait_kind::none;
    job* current = nullptr;
    std::uint64_t notified = 0;  // wake-ups sent to it
  };
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::string> thread_ids_;  // each worker's CONNECTION_ID()

  std::mutex m_;
  // The workers run as fibers of loop_, on one thread: a worker waits in loop_ for its
  // socket or for a wake-up, and the hand-off of the turn to commit needs no other thread.
  fiber_loop loop_;
  // Wake-ups to send once m_ is released (sched_lock): a worker's number, -1 the reader.
  std::vector<int> wakes_;
  // Workers wait in loop_ (wait_until), the reading thread on reader_cv_
  // (reader_wait_until), the watcher ticks on watch_cv_.
  std::condition_variable reader_cv_, watch_cv_;
  reader_wait reader_waiting_ = reader_wait::none;
  // The queue of scheduled transactions: the reader stops at max_jobs_ / max_bytes_ and
  // goes on once it is down to half (woken once per max_jobs_ / 2 commits, not for every one).
  std::size_t max_jobs_ = 32, max_bytes_ = 64u << 20;
  // The jobs the reader's room counts. Taken ones too, except in batches: a batch's take
  // leaves room for the next one, rendered while the server runs this one (counting them,
  // the reader was woken as a batch ended, and rendered on the second CPU while the
  // worker sent the next batch and the server took it).
  std::size_t queued_jobs() const { return pending_.size() + (batching_ ? 0 : live_.size()); }
  std::uint64_t late_wakes_ = 0;  // waits ended by their time limit although ready (a missed wake)
  std::uint64_t job_wakes_ = 0;   // wake-ups sent to workers waiting for a job
  std::uint64_t followers_ = 0;   // transactions started behind an earlier one's COMMIT
  std::uint64_t deferred_reads_ = 0;  // ... whose results were read at their turn
  std::deque<std::unique_ptr<job>> pending_;   // scheduled, not yet taken
  std::map<std::uint64_t, std::unique_ptr<job>> live_;  // taken, not yet committed
  // Committed jobs and live_'s nodes, kept to be used again: the reader renders the next
  // transactions into their buffers (transaction_stream::recycle) instead of allocating
  // memory that the workers' thread frees. The reader takes spare_jobs_ in bulk.
  std::vector<std::unique_ptr<job>> spare_jobs_;
  std::vector<decltype(live_)::node_type> spare_nodes_;
  std::vector<std::unique_ptr<job>> reader_spares_;  // the reading thread's, no lock
  static constexpr std::size_t max_spares = 64;
  void make_live(std::unique_ptr<job> jp);
  void retire(std::uint64_t seq);
  std::size_t queued_bytes_ = 0;
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
  std::uint64_t retries_ = 0, skipped_ = 0, deadlocks_ = 0, timeouts_ = 0;
  double exec_avg_ = 0.002;  // seconds a transaction's statements take (moving average)

  // Scheduling state of the reading side.
  std::uint64_t next_seq_ = 1;
  // The progress row's events (ctx_.progress_rows) go in each transaction's own BINLOG
  // statement, as the serial applier sends them, but into the row of a slot of its own
  // (progress_slot_id): transaction seq writes slot (seq - 1) % N + 1. One row for all
  // would make every transaction wait for the lock of the one before it. Transactions
  // start in binlog order and at most N are started and uncommitted, so seq and seq + N
  // never hold a slot's lock together (were they to, the later would only wait for the
  // earlier's commit). The count the last events recorded: make_job's for the same
  // transaction (rows_count_ok).
  progress_slots slots_;
  [[nodiscard]] bool rows_count_ok(const rendered_transaction& tx) const {
    return slots_.recorded(tx, ctx_.transactions + next_seq_);
  }
  static replay_failure rows_count_failure() {
    replay_failure f;
    f.message = "internal error: the progress count of the row events and of the transaction differ";
    return f;
  }
  dependency_policy policy_{opt_.mode == replay_options::parallel_mode::optimistic};
  bool serial_stretch_ = false;
  std::uint64_t serial_count_ = 0;
  // Some transaction waits for earlier ones to have executed (after_executed): followers'
  // results are then read at once, not at their turn (under m_).
  bool executed_matters_ = false;
  // Batches (under m_): whether transactions are taken in batches now, whether one is in
  // flight, and the turns of --parallel-batches auto.
  bool batching_ = false;
  bool batch_live_ = false;
  std::uint64_t batched_ = 0, batch_count_ = 0, batch_switches_ = 0;
  batch_pace pace_;
  // A batch's bounds, as the serial applier's (packet_limits).
  static constexpr std::size_t max_batch = packet_limits::batch_transactions;
  [[nodiscard]] std::size_t max_batch_bytes() const { return packet_limits{ctx_.packet_room}.batch_bytes(); }
};

// Under m_. The worker removes `j` from live_ once its packet is done.
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

// Under m_, after each commit (--parallel-batches auto): the turns of the two ways.
void scheduler::pace() {
  const auto step = pace_.tick(clock_type::now(), committed_run_);
  if (step == batch_pace::step::none) return;
  if (pace_.batching() != batching_) ++batch_switches_;
  batching_ = pace_.batching();
  if (opt_.verbose && step == batch_pace::step::call) {
    note(fmt::format("batches {:.0f}/s, {} connections {:.0f}/s: {} for {} s", pace_.rate(true), workers_.size(),
                     pace_.rate(false), batching_ ? "batches" : "the connections", pace_.turn_s()));
  }
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
  exec_avg_ = exec_avg_ * 0.95 + took * 0.05;
}

auto scheduler::job_for(std::size_t w) -> std::deque<std::unique_ptr<job>>::iterator {
  // A batch: nothing is taken beside it.
  if (batch_live_) return pending_.end();
  if (batching_ && live_.empty()) {
    // A batch starts once everything taken has committed.
    auto it = pending_.begin();
    if (it == pending_.end() || ((*it)->pinned && w != 0) || (*it)->seq >= stop_at_) return pending_.end();
    return it;
  }
  auto it = pending_.begin();
  if (w != 0) {
    while (it != pending_.end() && (*it)->pinned) ++it;
  }
  // After a failure, only transactions before it are still applied.
  if (it != pending_.end() && (*it)->seq >= stop_at_) it = pending_.end();
  // Before a batch, only those that the taken ones wait for (one left for the first
  // connection while others took later ones).
  if (batching_ && it != pending_.end() && (*it)->seq > live_.rbegin()->first) it = pending_.end();
  return it;
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
    case wait_kind::job: return job_for(w) != pending_.end() || input_done_ || stop_at_ != no_seq;
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
             (queued_jobs() <= max_jobs_ / 2 && queued_bytes_ <= max_bytes_ * 3 / 4);
    case reader_wait::idle: return stop_at_ != no_seq || (pending_.empty() && live_.empty());
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
  std::size_t takers = (input_done_ || stop_at_ != no_seq) ? workers_.size() : pending_.size();
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
  for (auto it = live_.upper_bound(committed_); it != live_.end(); ++it) {
    const auto& [seq, jp] = *it;
    if (seq != upto + 1 || jp->state < job_state::executed || jp->abort) break;
    upto = seq;
  }
  return upto;
}

// Under m_.
void scheduler::make_live(std::unique_ptr<job> jp) {
  const std::uint64_t seq = jp->seq;
  if (spare_nodes_.empty()) {
    live_.emplace(seq, std::move(jp));
    return;
  }
  auto node = std::move(spare_nodes_.back());
  spare_nodes_.pop_back();
  node.key() = seq;
  node.mapped() = std::move(jp);
  live_.insert(std::move(node));
}

// Under m_: a committed job out of live_ and out of the queue's bytes, kept for reuse
// unless it holds much memory (a large transaction's is freed at once, as the queue's
// limit on bytes assumes).
void scheduler::retire(std::uint64_t seq) {
  auto node = live_.extract(seq);
  if (node.empty()) return;
  const job& j = *node.mapped();
  queued_bytes_ -= std::min(queued_bytes_, j.bytes);
  constexpr std::size_t most = 1u << 20;
  const bool small = j.tx.sql.capacity() <= most && j.tx.load_data.empty() &&
                     j.tx.statements.capacity() * sizeof(sql_statement) <= most &&
                     (j.body.capacity() + j.commit.capacity()) * sizeof(job_piece) <= most;
  if (small && spare_jobs_.size() < max_spares) spare_jobs_.push_back(std::move(node.mapped()));
  node.mapped().reset();
  if (spare_nodes_.size() < max_spares) spare_nodes_.push_back(std::move(node));
}

std::unique_ptr<job> scheduler::make_job(rendered_transaction&& tx_in) {
  std::unique_ptr<job> jp;
  if (reader_spares_.empty()) {
    jp = std::make_unique<job>();
  } else {
    // A committed one: its transaction's buffers go back to the stream, its lists are
    // emptied (their memory kept), the rest starts afresh.
    jp = std::move(reader_spares_.back());
    reader_spares_.pop_back();
    ctx_.stream->recycle(std::move(jp->tx));
    job fresh;
    fresh.own = std::move(jp->own);
    fresh.body = std::move(jp->body);
    fresh.commit = std::move(jp->commit);
    fresh.gtid = std::move(jp->gtid);
    fresh.own.clear();
    fresh.body.clear();
    fresh.commit.clear();
    fresh.gtid.clear();
    *jp = std::move(fresh);
  }
  job& j = *jp;
  j.seq = next_seq_++;
  j.tx = std::move(tx_in);
  j.count = ctx_.transactions + j.seq;
  const rendered_transaction& tx = j.tx;
  j.gtid = tx.gtid.text();

  j.own.reserve(6);  // the pieces point into them: no reallocation afterwards
  j.body.reserve(tx.statements.size());
  j.commit.reserve(4);
  j.pinned = statement_based(tx);
  if (tx.piece > 0) {
    j.streamed = true;
    j.pinned = true;
  }
  const auto add = [&](const piece& p, job_builder::part to) {
    (to == job_builder::part::body ? j.body : j.commit).push_back(job_piece{p, p.ours ? nullptr : &j});
    if (!p.ours) j.bytes += p.text.size() + 3;
  };
  (void)jobs_.build(tx, (*ctx_.file_names)[tx.file_index], j.gtid, j.count, j.own, add);
  return jp;
}

// Decides when a transaction may start (reading thread only).
void scheduler::schedule(job& j) {
  const start_rule r = policy_.decide(j.seq, j.tx, j.pinned, j.streamed);
  j.after_committed = r.after_committed;
  j.after_executed = r.after_executed;
  const auto& inputs = *ctx_.inputs;
  if (r.alone) {
    j.alone = true;
    ++serial_count_;
    if (opt_.verbose && !serial_stretch_) {
      note(fmt::format("{}:{}: applying serially from here: {}", inputs[j.tx.file_index].name, j.tx.start, r.why));
    }
    serial_stretch_ = true;
    return;
  }
  if (opt_.verbose && serial_stretch_) {
    note(fmt::format("{}:{}: applying in parallel again", inputs[j.tx.file_index].name, j.tx.start));
  }
  serial_stretch_ = false;
  if (j.after_executed != 0) executed_matters_ = true;
}

job* scheduler::take(std::size_t w) {
  sched_lock lk(*this);
  for (;;) {
    auto it = job_for(w);
    if (it != pending_.end()) {
      auto& batch = workers_[w]->batch;
      batch.clear();
      if (batching_ && live_.empty() && (*it)->seq == committed_ + 1) {
        // A run of consecutive transactions that may share a packet, the first the next to
        // commit, nothing else taken; a transaction that may not (batchable) is taken alone.
        std::size_t bytes = 0;
        while (!pending_.empty() && batch.size() < max_batch && bytes < max_batch_bytes() &&
               pending_.front()->seq == committed_ + 1 + batch.size() && pending_.front()->seq < stop_at_ &&
               batchable(*pending_.front(), w)) {
          std::unique_ptr<job> jp = std::move(pending_.front());
          pending_.pop_front();
          bytes += jp->bytes;
          jp->worker = w;
          batch.push_back(jp.get());
          make_live(std::move(jp));
        }
        if (!batch.empty()) {
          batch_live_ = true;
          return batch.front();
        }
      }
      std::unique_ptr<job> jp = std::move(*it);
      pending_.erase(it);
      job* j = jp.get();
      j->worker = w;
      make_live(std::move(jp));
      return j;
    }
    if (input_done_ || stop_at_ != no_seq) return nullptr;
    wait_until(lk, w, wait_kind::job);
  }
}

void scheduler::rollback(std::size_t w) {
  auto& wk = *workers_[w];
  (void)wk.db->run("ROLLBACK", 1);
  wk.db->serve_load_data(nullptr);
  wk.state.clear();  // GTID variables may or may not survive a rollback: set them again
}

// A transaction ran into trouble that running early may explain: roll back every later
// one that has started, hold back later ones until it commits, run it again as the next
// to commit.
void scheduler::conflict(sched_lock& lk, job& j) {
  (void)lk;
  ++retries_;
  j.head_only = true;
  hold_ = std::min(hold_, j.seq);
  for (auto& [seq, other] : live_) {
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

scheduler::exec_result scheduler::send_pieces(std::size_t w, job& j, const std::vector<job_piece>& pieces,
                                              std::size_t head_upto, const job_piece* reach,
                                              const function_ref<void()>* on_reached, bool defer,
                                              const function_ref<void(const job_piece*)>* on_progress) {
  auto& wk = *workers_[w];
  exec_result r;
  bool reached = on_reached == nullptr;
  std::size_t i = 0;
  // Session statements the connection already has are left out.
  auto& todo = wk.todo;
  todo.clear();
  for (const auto& p : pieces) {
    if (p.session) {
      const auto key = session_key(p);
      auto it = wk.state.find(key);
      if (it != wk.state.end() && it->second == p.text) continue;
      // Remembered once sent; forgotten again if the packet fails (below).
      if (it == wk.state.end()) it = wk.state.emplace(std::string(key), std::string()).first;
      it->second.assign(p.text);
    }
    todo.push_back(&p);
  }
  while (i < todo.size()) {
    const auto at = [&](std::size_t x) -> const piece& { return *todo[x]; };
    const std::size_t k = fill_packet(i, todo.size(), at, ctx_.packet_room, wk.packet, wk.flag_loss);
    const bool alone = todo[i]->alone;
    if (alone) wk.db->serve_load_data(&j.tx);
    auto on_result = [&, i, k](std::size_t done) {
      if (!reached && todo[std::min(i + done, k) - 1] >= reach) {
        reached = true;
        (*on_reached)();
      }
      if (on_progress != nullptr && done > 0) (*on_progress)(todo[std::min(i + done, k) - 1]);
    };
    const session::result_hook hook(on_result);
    // The results after reach's, in the last packet: read later (read_deferred).
    std::size_t stop_after = 0;
    if (defer && reach != nullptr && k == todo.size() && !alone) {
      for (std::size_t x = i; x + 1 < k; ++x) {
        if (todo[x] >= reach) {
          stop_after = x - i + 1;
          break;
        }
      }
    }
    auto o = wk.db->run(wk.packet, k - i, wk.flag_loss, alone, reached && on_progress == nullptr ? nullptr : &hook,
                       stop_after);
    wk.db->serve_load_data(nullptr);
    if (o.pending) {
      wk.todo_from = i;
      r.deferred = true;
      return r;  // reached: the hook ran for reach's result
    }
    if (o.desync || o.extra) return failed(wk, o, i);
    if (o.err != 0) {
      const job_piece& p = *todo[std::min(i + o.done, todo.size() - 1)];
      const bool expected = !p.ours && p.expected_error != 0 && p.expected_error == o.err;
      const bool skippable = !p.ours && std::find(opt_.skip_errors.begin(), opt_.skip_errors.end(), o.err) !=
                                            opt_.skip_errors.end();
      const bool head = static_cast<std::size_t>(&p - pieces.data()) < head_upto;
      if (connection_lost(o.err) || !head || lock_error(o.err) || !(expected || skippable)) return failed(wk, o, i);
      wk.state.clear();  // what the failed packet set is not known
      if (!expected) {
        const job& of = p.owner != nullptr ? *p.owner : j;
        sched_lock lk(*this);
        ++skipped_;
        note(fmt::format("{}:{}{}: skipped error {} ({}): {}", (*ctx_.inputs)[of.tx.file_index].name, p.offset,
                         of.gtid.empty() ? "" : " GTID " + of.gtid, o.err, o.message, shorten(p.text, 160)));
      }
      i = i + o.done + 1;
      continue;
    }
    i = k;
  }
  if (!reached) {
    reached = true;
    (*on_reached)();
  }
  return r;
}

// The results send_pieces left unread. They are the follower's statements, run before it
// was the next to commit: any error fails it (no expected or skipped errors here).
scheduler::exec_result scheduler::read_deferred(std::size_t w) {
  auto& wk = *workers_[w];
  exec_result r;
  if (!wk.db->pending()) return r;
  auto o = wk.db->read_rest();
  if (o.err == 0 && !o.desync && !o.extra) return r;
  return failed(wk, o, wk.todo_from);
}

// A packet that failed (o.err or o.desync) as the result of the statement it stopped at;
// `from`: the index in wk.todo of the packet's first statement.
scheduler::exec_result scheduler::failed(worker& wk, session::outcome& o, std::size_t from) {
  wk.state.clear();  // what the failed packet set is not known
  exec_result r;
  r.ok = false;
  r.desync = o.desync || o.extra;
  r.extra = o.extra;
  r.err = o.err;
  r.message = std::move(o.message);
  // With extra results, the packet's last statement (the one known to have run as more).
  const std::size_t at = o.extra && o.done > 0 ? from + o.done - 1 : from + o.done;
  r.at = wk.todo[std::min(at, wk.todo.size() - 1)];
  return r;
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
  if (it == pending_.end()) return nullptr;
  job& n = **it;
  if (n.pinned || n.alone || n.streamed || !may_start(n, j.seq)) return nullptr;
  for (const auto& p : n.body) {
    if (p.alone) return nullptr;
  }
  std::unique_ptr<job> jp = std::move(*it);
  pending_.erase(it);
  jp->worker = w;
  jp->state = job_state::executing;
  jp->exec_start = clock_type::now();
  job* out = jp.get();
  make_live(std::move(jp));
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
    if (!lost) rollback(w);
    return true;
  }
  if (lock_error(r.err)) note_rerun(x, r);
  x.state = job_state::waiting;
  conflict(lk, x);
  lk.unlock();
  rollback(w);
  return false;
}

// Runs `j` until it committed or the replay stops (`executed`: its statements already
// ran, behind the previous transaction's COMMIT). Returns the transaction the worker took
// meanwhile, to run next.
scheduler::next_job scheduler::execute(std::size_t w, job& j, bool executed) {
  job* held = nullptr;  // a follower whose statements did not run (j runs again first)
  auto& pieces = workers_[w]->pieces;
  for (;;) {
    sched_lock lk(*this);
    workers_[w]->current = &j;  // what its waits look at
    bool at_once = false;
    if (!executed) {
      // -- wait until it may start --
      wait_until(lk, w, wait_kind::start);
      if (stopping(j)) return {held, false};
      j.abort = false;
      j.state = job_state::executing;
      j.exec_start = clock_type::now();
      // Transactions applied alone run their whole text here (they start as the next to
      // commit and nothing later starts before they finish). The next to commit sends its
      // COMMIT with its statements: one round trip.
      at_once = head(j) && !j.commit.empty();
      if (!at_once) {
        lk.unlock();
        auto r = send_pieces(w, j, j.body, 0);
        lk.lock();
        if (!r.ok) {
          if (early_failure(lk, w, j, r)) return {held, false};
          continue;
        }
        note_exec_time(j);
        j.state = job_state::executed;
        wake();  // transactions waiting for this one to have executed
      }
    }
    executed = false;  // a second try starts from the beginning
    if (!at_once) {
      // -- wait for its turn --
      wait_until(lk, w, wait_kind::turn);
      if (j.deferred) {
        // A follower's results, left unread behind the COMMIT before (they had time to
        // arrive while the worker waited: one wake-up instead of one per result).
        j.deferred = false;
        j.exec_start = clock_type::now();  // the watcher's clock for it starts now
        lk.unlock();
        auto r = read_deferred(w);
        lk.lock();
        if (!r.ok && !stopping(j)) {
          if (early_failure(lk, w, j, r)) return {held, false};
          continue;
        }
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
        rollback(w);
        return {held, false};
      }
      if (j.abort) {
        ++retries_;
        j.state = job_state::waiting;
        lk.unlock();
        rollback(w);
        continue;
      }
    }
    // -- its COMMIT (all its statements when at_once), then maybe the follower's --
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
    if (!c.ok && !in_next) {
      if (next != nullptr) {
        next->state = job_state::waiting;  // its statements did not run
        held = next;
      }
      const bool lost = connection_lost(c.err);
      if (!head_retry(j, c, at_once)) {
        fail_job(lk, j, failure_of(j, c, failure_message(c.err, c.desync, c.extra)));
        lk.unlock();
        if (!lost) rollback(w);
        return {held, false};
      }
      note_rerun(j, c);
      j.state = job_state::waiting;
      conflict(lk, j);
      lk.unlock();
      rollback(w);
      continue;
    }
    if (at_once && c.ok) note_exec_time(j);
    if (!marked) mark_committed(j);
    retire(j.seq);  // j is gone
    wake_reader();  // room in the queue
    if (batching_ && live_.empty()) wake();  // a batch may start
    if (next == nullptr) return {held, false};
    if (c.ok) {
      if (c.deferred) {
        next->deferred = true;  // still executing, as far as anyone knows
        ++deferred_reads_;
      } else {
        next->state = job_state::executed;
        wake();
      }
      return {next, true};
    }
    // The follower's statements failed (they ran before it was the next to commit).
    if (early_failure(lk, w, *next, c)) return {nullptr, false};
    return {next, false};
  }
}

// Whether `j` may go in a batch of worker `w`: its statements and COMMIT in the packet of
// the transactions before it. Not a large transaction's last piece, one with LOAD DATA or
// other statements sent alone, one that commits on its own, nor a statement-based one off
// the first connection.
bool scheduler::batchable(const job& j, std::size_t w) {
  if (j.streamed || !j.tx.commit || (j.pinned && w != 0)) return false;
  return std::none_of(j.body.begin(), j.body.end(), [](const job_piece& p) { return p.alone; });
}

// Under m_: a taken transaction whose statements did not run goes back to the front of the
// queue (taken again, in order, before anything later).
void scheduler::unlive(job& j) {
  auto node = live_.extract(j.seq);
  j.state = job_state::waiting;
  j.at_once = false;
  pending_.push_front(std::move(node.mapped()));
  node.mapped().reset();
  if (spare_nodes_.size() < max_spares) spare_nodes_.push_back(std::move(node));
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
  for (std::size_t k = 0; k < marked; ++k) retire(batch[k]->seq);
  ++batch_count_;
  batched_ += marked;
  if (!c.ok) {
    job& x = *batch[marked];
    for (std::size_t k = batch.size(); k-- > marked + 1;) unlive(*batch[k]);
    const bool lost = connection_lost(c.err);
    if (head_retry(x, c, true)) {
      note_rerun(x, c);
      ++retries_;
      unlive(x);
    } else {
      x.at_once = false;
      fail_job(lk, x, failure_of(x, c, failure_message(c.err, c.desync, c.extra)));
    }
    lk.unlock();
    if (!lost) rollback(w);
    lk.lock();
  }
  batch.clear();
  batch_live_ = false;
  wake_reader();  // room in the queue
  wake();         // the next batch, or transactions of other connections, may start
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
  watch_cv_.notify_all();
}

// Finds the commit-order deadlock: a transaction waiting for a row lock that a later one
// holds (the later one waits for its turn to commit, or waits itself, down a chain that
// ends at one waiting for its turn). Two signs, checked every 10 ms:
//
//   * the next to commit has been running its statements much longer than transactions
//     usually take while a later one has started: nothing but a later transaction (or a
//     session outside the replay) can hold a lock it waits for, so the later ones are
//     rolled back (if it was merely slow, they only run again);
//   * InnoDB's lock waits (INNODB_LOCK_WAITS joined with INNODB_TRX, MariaDB and MySQL
//     5.7; performance_schema.data_lock_waits on MySQL 8.0) show any transaction waiting
//     for a later one. InnoDB refreshes those tables from a cache only when nobody has read
//     them for 100 ms, so they are read at most every 150 ms (read more often, they would
//     never change).
//
// Every later started transaction is rolled back, to run again once the waiting one has
// committed.
// Under m_. The transaction a commit-order deadlock may hold up: the next to commit when
// it has run much longer than transactions usually take while later ones have started
// (returned), or nothing (no_seq) with `ask` set when InnoDB's lock waits should say.
std::uint64_t scheduler::suspect(bool may_ask, bool& ask) const {
  constexpr auto min_age = std::chrono::milliseconds(3);
  const auto now = clock_type::now();
  const job* oldest = nullptr;  // the earliest running its statements for a while
  for (const auto& [seq, jp] : live_) {
    // A deferred follower is not watched until its worker reads its results.
    const bool active = (jp->state == job_state::executing && !jp->deferred) ||
                        (jp->state == job_state::committing && jp->at_once);
    if (active && !jp->alone && now - jp->exec_start >= min_age) {
      oldest = jp.get();
      break;
    }
  }
  if (oldest == nullptr) return no_seq;
  bool later_started = false;
  for (auto it = live_.upper_bound(oldest->seq); it != live_.end() && !later_started; ++it) {
    const job_state st = it->second->state;
    later_started = (st == job_state::executed || st == job_state::executing) && !it->second->abort;
  }
  if (!later_started) return no_seq;
  const double age = std::chrono::duration<double>(now - oldest->exec_start).count();
  // Ten times the usual, within [50 ms, 1 s]: below the workers' 2 s lock wait timeout
  // even when the average has grown with lock waits of its own.
  if (head(*oldest) && age > std::clamp(10 * exec_avg_, 0.05, 1.0)) return oldest->seq;
  ask = may_ask;
  return no_seq;
}

// InnoDB's lock waits as "waiting_thread blocking_thread" rows, from the tables the
// server has (`how` moves on to the next kind when one is missing). False: none readable.
bool scheduler::read_lock_waits(sql_connection& db, lock_probe& how, std::vector<std::string>& rows) {
  while (how != lock_probe::nothing) {
    bool asked = false;
    if (how == lock_probe::lock_waits) {
      asked = db.query_column(
          "SELECT CONCAT(r.trx_mysql_thread_id, ' ', b.trx_mysql_thread_id) FROM "
          "information_schema.INNODB_LOCK_WAITS w JOIN information_schema.INNODB_TRX r ON "
          "r.trx_id = w.requesting_trx_id JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id",
          rows);
    } else {
      asked = db.query_column(
          "SELECT CONCAT(r.trx_mysql_thread_id, ' ', b.trx_mysql_thread_id) FROM "
          "performance_schema.data_lock_waits w JOIN information_schema.INNODB_TRX r ON "
          "r.trx_id = w.REQUESTING_ENGINE_TRANSACTION_ID JOIN information_schema.INNODB_TRX b ON "
          "b.trx_id = w.BLOCKING_ENGINE_TRANSACTION_ID",
          rows);
    }
    if (asked) return true;
    how = static_cast<lock_probe>(static_cast<int>(how) + 1);
  }
  return false;
}

// Under m_. The earliest transaction that waits for a lock a later one holds (no_seq:
// none), from the lock-wait rows and the workers' thread ids.
std::uint64_t scheduler::waiting_for_later(const std::vector<std::string>& rows) {
  std::vector<std::uint64_t> running(thread_ids_.size(), 0);  // worker -> seq of its job
  // A connection runs the statements of the earliest of its transactions that has
  // started and not committed (a follower's wait behind its predecessor's COMMIT).
  for (const auto& [seq, jp] : live_) {
    if (jp->state != job_state::waiting && jp->state != job_state::done && running[jp->worker] == 0) {
      running[jp->worker] = seq;
    }
  }
  auto seq_of = [&](std::string_view thread) -> std::uint64_t {
    for (std::size_t w = 0; w < thread_ids_.size(); ++w) {
      if (thread_ids_[w] == thread) return running[w];
    }
    return 0;
  };
  std::uint64_t victim_after = no_seq;
  for (const auto& row : rows) {
    auto sp = row.find(' ');
    if (sp == std::string::npos) continue;
    const std::string_view r(row);
    const std::uint64_t ws = seq_of(r.substr(0, sp)), bs = seq_of(r.substr(sp + 1));
    if (ws != 0 && bs > ws) victim_after = std::min(victim_after, ws);
  }
  return victim_after;
}

// Under m_. Rolls back every transaction after `victim_after` that has started, to run
// again once it committed.
void scheduler::roll_back_later(std::uint64_t victim_after) {
  auto it = live_.find(victim_after);
  if (it == live_.end() || !(it->second->state == job_state::executing ||
                             (it->second->state == job_state::committing && it->second->at_once))) {
    return;
  }
  bool any = false;
  for (auto jt = live_.upper_bound(victim_after); jt != live_.end(); ++jt) {
    job& later = *jt->second;
    if ((later.state == job_state::executed || later.state == job_state::executing) && !later.abort) {
      later.abort = true;
      later.restart_after = std::max(later.restart_after, victim_after);
      any = true;
    }
  }
  if (!any) return;
  wake();
  ++deadlocks_;
  if (opt_.verbose) {
    note(fmt::format("{}:{}: commit-order deadlock (it waits for a lock a later transaction holds, or runs long "
                     "while later ones wait): later transactions rolled back, to run again after it",
                     (*ctx_.inputs)[it->second->tx.file_index].name, it->second->tx.start));
  }
}

// The deadlock watcher's thread: looks every 10 ms for a commit-order deadlock (suspect),
// asks InnoDB's lock waits at most every 150 ms (InnoDB refreshes them only after 100 ms
// without a reader), and rolls the later transactions back.
void scheduler::watcher_main() {
  std::string connect_error;
  const std::unique_ptr<sql_connection> dbp = (*ctx_.connect)(opt_.connection, connection_use{}, connect_error);
  lock_probe how = connect_error.empty() ? lock_probe::lock_waits : lock_probe::nothing;
  std::vector<std::string> rows;
  auto last_probe = clock_type::now() - std::chrono::seconds(1);
  constexpr auto probe_interval = std::chrono::milliseconds(150);
  for (;;) {
    std::uint64_t victim_after = no_seq;
    bool ask = false;
    {
      sched_lock lk(*this);
      notify_pending();
      if (watch_cv_.wait_for(lk.native(), std::chrono::milliseconds(10), [&] { return running_workers_ == 0; })) return;
      const bool may_ask = how != lock_probe::nothing && clock_type::now() - last_probe >= probe_interval;
      victim_after = suspect(may_ask, ask);
    }
    if (ask) {
      const bool asked = read_lock_waits(*dbp, how, rows);
      last_probe = clock_type::now();
      if (!asked) continue;
      sched_lock lk(*this);
      victim_after = waiting_for_later(rows);
    }
    if (victim_after == no_seq) continue;
    sched_lock lk(*this);
    roll_back_later(victim_after);
  }
}

// Sends the pieces of a large transaction on connection 0 until its last one, which it
// schedules as a job for connection 0 (alone, not retried). False when the replay stops
// (read_failure or failure_ set; the open transaction rolled back).
bool scheduler::stream_large(rendered_transaction&& first, std::optional<replay_failure>& read_failure,
                             const std::function<void()>& tick) {
  {
    // Connection 0 is idle once nothing is scheduled or running.
    sched_lock lk(*this);
    while (!reader_wait_until(lk, reader_wait::idle, std::chrono::milliseconds(500))) {
    }
    if (stop_at_ != no_seq) return false;
  }
  const auto& inputs = *ctx_.inputs;
  transaction_stream& stream = *ctx_.stream;
  rendered_transaction piece = std::move(first);
  for (;;) {
    if (!piece.more) {
      if (!rows_count_ok(piece)) {
        read_failure = rows_count_failure();
        rollback(0);
        return false;
      }
      auto jp = make_job(std::move(piece));
      sched_lock lk(*this);
      schedule(*jp);
      queued_bytes_ += jp->bytes;
      pending_.push_back(std::move(jp));
      wake();
      return true;
    }
    job part;
    part.tx = std::move(piece);
    part.gtid = part.tx.gtid.text();
    (void)jobs_.build(part.tx, {}, part.gtid, 0, part.own, [&](const detail::piece& p, job_builder::part) {
      part.body.push_back(job_piece{p, nullptr});
    });
    auto r = send_pieces(0, part, part.body, part.body.size());
    if (!r.ok) {
      read_failure = failure_of(part, r, failure_message(r.err, r.desync, r.extra));  // pieces of the binlog: never ours
      if (!connection_lost(r.err)) rollback(0);
      return false;
    }
    auto next = stream.next();
    if (!next || !*next) {
      replay_failure f;
      f.message = next ? "internal error: the stream ended inside a large transaction it had read ahead as complete"
                       : next.error().message();
      f.file = stream.file_index() < inputs.size() ? inputs[stream.file_index()].name : "";
      if (!next) f.position = next.error().offset;
      read_failure = std::move(f);
      rollback(0);
      return false;
    }
    piece = std::move(**next);
    tick();
  }
}

void scheduler::run() {
  const std::size_t n = opt_.parallel;
  if (ctx_.progress_rows) {
    slots_ = progress_slots(ctx_.id, n);
    ctx_.stream->on_commit_rows = [this](const transaction_stream::commit_point& cp, std::vector<std::uint8_t>& out) {
      const std::uint64_t count = ctx_.transactions + next_seq_;  // make_job's count for it
      return slots_.append(out, cp, next_seq_, (*ctx_.file_names)[cp.file_index], count);
    };
  }
  if (!open_workers()) return;

  max_jobs_ = std::max<std::size_t>(opt_.batches == replay_options::batch_mode::never ? 32 : 2 * max_batch, 16 * n);
  pace_.start(clock_type::now());
  batching_ = opt_.batches == replay_options::batch_mode::always ||
              (opt_.batches == replay_options::batch_mode::automatic && pace_.batching());
  last_report_ = clock_type::now();

  running_workers_ = n;
  for (std::size_t w = 0; w < n; ++w) loop_.add([this, w] { worker_main(w); });
  std::thread workers([this] { loop_.run(); });
  std::thread watcher([this] { watcher_main(); });
  std::optional<replay_failure> read_failure;
  read_and_schedule(read_failure);
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
  res_.serial_transactions = serial_count_;
  if (failure_) {
    res_.failure = std::move(failure_);
  } else if (read_failure) {
    res_.failure = std::move(read_failure);
  } else if (resume_point && !stream.resume_checked()) {
    set_failure(fmt::format("--resume: no transaction ends at the recorded position {}:{}", resume_point->first,
                            resume_point->second));
  }
  if (!res_.failure && !ctx_.target_mariadb && jobs_.gtid_next_used()) {
    for (auto& wk : workers_) (void)wk->db->run(std::string(gtid_next_automatic), 1);
  }
  res_.stopped_at_stop_point = !res_.failure && stream.stopped();
  if (opt_.verbose && opt_.on_note) {
    opt_.on_note(fmt::format("parallel apply on {} connections: {} transactions, {} applied alone, {} run again "
                             "after a conflict ({} commit-order deadlocks found, {} lock wait timeouts), {} started "
                             "in the packet of the COMMIT before ({} of them read at their turn), {} in {} "
                             "batches of one connection ({} changes of way){}",
                             n, committed_run_, serial_count_, retries_, deadlocks_, timeouts_, followers_,
                             deferred_reads_, batched_, batch_count_, batch_switches_,
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

// Twice a second while reading: notes, progress, and the pages read so far released.
void scheduler::tick() {
  if (clock_type::now() - last_report_ < std::chrono::milliseconds(500)) return;
  last_report_ = clock_type::now();
  flush_notes();
  const auto fi = ctx_.stream->file_index();
  if (fi < ctx_.sources->size()) (*ctx_.sources)[fi].release_before(ctx_.stream->position());
  report(false);
}

// Opens the worker connections, each with its session set up and its lock. False (with
// res_.failure) when one cannot be.
bool scheduler::open_workers() {
  const std::size_t n = opt_.parallel;
  for (std::size_t w = 0; w < n; ++w) {
    auto wk = std::make_unique<worker>();
    std::string err;
    wk->db = (*ctx_.connect)(opt_.connection, connection_use{false, &loop_}, err);
    if (!err.empty()) {
      set_failure(fmt::format("connection {} of {}: {}", w + 1, n, err));
      return false;
    }
    // A short lock wait timeout: a wait the watcher does not resolve ends in error 1205
    // and the transaction runs again (as the next to commit, with the later ones rolled
    // back) instead of stalling for the server's default 50 s.
    const auto setup = session_setup(opt_.disable_log_bin, 2);
    auto o = wk->db->run(setup.sql, setup.count);
    if (o.err != 0) {
      replay_failure f;
      f.message = "cannot prepare the session";
      f.server_errno = o.err;
      f.server_error = o.message;
      res_.failure = std::move(f);
      return false;
    }
    auto l = wk->db->query_row("SELECT GET_LOCK(" + string_literal(worker_lock_name(ctx_.id, w)) + ", 10)");
    if (!l.ok || l.cols.empty() || l.cols[0].value_or("0") != "1") {
      set_failure(fmt::format("connection {} of {}: cannot take lock '{}' (another replay with this id?)", w + 1, n,
                              worker_lock_name(ctx_.id, w)));
      return false;
    }
    thread_ids_.push_back(std::to_string(wk->db->thread_id()));
    workers_.push_back(std::move(wk));
  }

  return true;
}

// Reads, renders and schedules the transactions until the input ends, a stop point, or a
// failure (read_failure: of the reading side; the workers' own is failure_).
void scheduler::read_and_schedule(std::optional<replay_failure>& read_failure) {
  const auto& inputs = *ctx_.inputs;
  transaction_stream& stream = *ctx_.stream;
  auto& resume_point = *ctx_.resume_point;
  for (;;) {
    {
      sched_lock lk(*this);
      if (stop_at_ != no_seq) break;
    }
    // Any connection may apply the next transaction: it carries its whole session state.
    stream.reset_session();
    auto next = stream.next();
    if (!next) {
      replay_failure f;
      if (!ctx_.same_server->empty()) {
        f.message = *ctx_.same_server;
      } else {
        f.message = next.error().message();
        f.file = stream.file_index() < inputs.size() ? inputs[stream.file_index()].name : "";
        f.position = next.error().offset;
      }
      read_failure = std::move(f);
      break;
    }
    if (!*next) break;
    if (resume_point && !stream.resume_checked()) {
      replay_failure f;
      f.message = fmt::format("--resume: no transaction ends at the recorded position {}:{}; the files given are "
                              "not the ones the replay recorded",
                              resume_point->first, resume_point->second);
      read_failure = std::move(f);
      break;
    }
    resume_point.reset();
    rendered_transaction& tx = **next;
    if (!opt_.force_same_server && !ctx_.target_uuid.empty() && tx.gtid.k == gtid_ref::kind::mysql &&
        format_uuid(tx.gtid.uuid) == ctx_.target_uuid) {
      replay_failure f;
      f.message = fmt::format("transaction {} was written by the target itself (its server_uuid); "
                              "--force-same-server to replay it anyway",
                              tx.gtid.text());
      read_failure = std::move(f);
      break;
    }
    if (tx.more) {
      // A large transaction: its pieces go out on the first connection as they are read,
      // after every earlier transaction committed; its last piece is scheduled alone.
      if (!stream_large(std::move(tx), read_failure, [this] { tick(); })) break;
      continue;
    }
    if (!rows_count_ok(tx)) {
      read_failure = rows_count_failure();
      break;
    }
    auto jp = make_job(std::move(tx));
    {
      sched_lock lk(*this);
      schedule(*jp);
      if (reader_spares_.empty()) reader_spares_.swap(spare_jobs_);
    }
    {
      sched_lock lk(*this);
      if (queued_jobs() >= max_jobs_ || queued_bytes_ >= max_bytes_) {
        while (!reader_wait_until(lk, reader_wait::room, std::chrono::milliseconds(500))) {
          lk.unlock();
          last_report_ = clock_type::now();
          flush_notes();
          report(false);
          lk.lock();
        }
      }
      if (stop_at_ != no_seq) break;
      queued_bytes_ += jp->bytes;
      pending_.push_back(std::move(jp));
      wake();
    }
    tick();
  }
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
}  // namespace

void apply_parallel(apply_context& ctx, replay_result& res) {
  scheduler s(ctx, res);
  s.run();
  ctx.stream->on_commit_rows = nullptr;  // it points into the scheduler
}

}  // namespace binlogkit::detail
