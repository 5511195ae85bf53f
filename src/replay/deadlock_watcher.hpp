// The parallel applier's commit-order deadlock watcher (private to the replay layer).
//
// A commit-order deadlock: a transaction waits for a row lock that a later one holds,
// while the later one waits for its turn to commit (or waits itself, down a chain that ends
// at one waiting for its turn). The watcher runs on a thread of its own with a connection
// of its own; every 10 ms it looks at the scheduler's live transactions, at most every
// 150 ms at InnoDB's lock waits, and when it finds one it marks every later started
// transaction for a rollback (job::abort, job::restart_after), to run again once the
// waiting one committed. It never commits, fails or reorders anything itself.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <string>
#include <vector>

namespace binlogkit::detail {
class sql_connection;
}

namespace binlogkit::detail::parallel {

class scheduler;

class deadlock_watcher {
 public:
  explicit deadlock_watcher(scheduler& s) : s_(s) {}
  deadlock_watcher(const deadlock_watcher&) = delete;
  deadlock_watcher& operator=(const deadlock_watcher&) = delete;

  // The thread's body: returns once no worker runs (poke() after the last one stopped).
  void run();
  // Wakes run() to look at once (a worker stopped). Any thread.
  void poke() { cv_.notify_all(); }
  // Before run(): a worker's connection id (CONNECTION_ID()), in worker order.
  void add_thread(std::string id) { thread_ids_.push_back(std::move(id)); }
  // Under the scheduler's lock: the time a transaction's statements took, into the average
  // that says when the next to commit runs suspiciously long.
  void note_exec_time(double seconds) { exec_avg_ = exec_avg_ * 0.95 + seconds * 0.05; }
  // Under the scheduler's lock: the deadlocks found so far.
  [[nodiscard]] std::uint64_t deadlocks() const { return deadlocks_; }

 private:
  enum class lock_probe : std::uint8_t { lock_waits, data_lock_waits, nothing };
  [[nodiscard]] std::uint64_t suspect(bool may_ask, bool& ask) const;
  static bool read_lock_waits(sql_connection& db, lock_probe& how, std::vector<std::string>& rows);
  std::uint64_t waiting_for_later(const std::vector<std::string>& rows) const;
  void roll_back_later(std::uint64_t victim_after);

  scheduler& s_;
  std::condition_variable cv_;            // waited on with the scheduler's lock
  std::vector<std::string> thread_ids_;   // each worker's CONNECTION_ID()
  double exec_avg_ = 0.002;  // seconds a transaction's statements take (moving average; under the lock)
  std::uint64_t deadlocks_ = 0;  // under the scheduler's lock
};

}  // namespace binlogkit::detail::parallel
