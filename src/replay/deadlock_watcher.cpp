// The parallel applier's commit-order deadlock watcher.
#include <fmt/format.h>

#include <algorithm>

#include "replay/deadlock_watcher.hpp"
#include "replay/scheduler.hpp"

namespace binlogkit::detail::parallel {

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
std::uint64_t deadlock_watcher::suspect(bool may_ask, bool& ask) const {
  constexpr auto min_age = std::chrono::milliseconds(3);
  const auto now = clock_type::now();
  const job* oldest = nullptr;  // the earliest running its statements for a while
  for (const auto& [seq, jp] : s_.queue_.live) {
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
  for (auto it = s_.queue_.live.upper_bound(oldest->seq); it != s_.queue_.live.end() && !later_started; ++it) {
    const job_state st = it->second->state;
    later_started = (st == job_state::executed || st == job_state::executing) && !it->second->abort;
  }
  if (!later_started) return no_seq;
  const double age = std::chrono::duration<double>(now - oldest->exec_start).count();
  // Ten times the usual, within [50 ms, 1 s]: below the workers' 2 s lock wait timeout
  // even when the average has grown with lock waits of its own.
  if (s_.head(*oldest) && age > std::clamp(10 * exec_avg_, 0.05, 1.0)) return oldest->seq;
  ask = may_ask;
  return no_seq;
}

// InnoDB's lock waits as "waiting_thread blocking_thread" rows, from the tables the
// server has (`how` moves on to the next kind when one is missing). False: none readable.
bool deadlock_watcher::read_lock_waits(sql_connection& db, lock_probe& how, std::vector<std::string>& rows) {
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
std::uint64_t deadlock_watcher::waiting_for_later(const std::vector<std::string>& rows) const {
  std::vector<std::uint64_t> running(thread_ids_.size(), 0);  // worker -> seq of its job
  // A connection runs the statements of the earliest of its transactions that has
  // started and not committed (a follower's wait behind its predecessor's COMMIT).
  for (const auto& [seq, jp] : s_.queue_.live) {
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
void deadlock_watcher::roll_back_later(std::uint64_t victim_after) {
  auto it = s_.queue_.live.find(victim_after);
  if (it == s_.queue_.live.end() || !(it->second->state == job_state::executing ||
                             (it->second->state == job_state::committing && it->second->at_once))) {
    return;
  }
  bool any = false;
  for (auto jt = s_.queue_.live.upper_bound(victim_after); jt != s_.queue_.live.end(); ++jt) {
    job& later = *jt->second;
    if ((later.state == job_state::executed || later.state == job_state::executing) && !later.abort) {
      later.abort = true;
      later.restart_after = std::max(later.restart_after, victim_after);
      any = true;
    }
  }
  if (!any) return;
  s_.wake();
  ++deadlocks_;
  if (s_.opt_.verbose) {
    s_.note(fmt::format("{}:{}: commit-order deadlock (it waits for a lock a later transaction holds, or runs long "
                     "while later ones wait): later transactions rolled back, to run again after it",
                     (*s_.ctx_.inputs)[it->second->tx.file_index].name, it->second->tx.start));
  }
}

// The deadlock watcher's thread: looks every 10 ms for a commit-order deadlock (suspect),
// asks InnoDB's lock waits at most every 150 ms (InnoDB refreshes them only after 100 ms
// without a reader), and rolls the later transactions back.
void deadlock_watcher::run() {
  std::string connect_error;
  const std::unique_ptr<sql_connection> dbp = (*s_.ctx_.connect)(s_.opt_.connection, connection_use{}, connect_error);
  lock_probe how = connect_error.empty() ? lock_probe::lock_waits : lock_probe::nothing;
  std::vector<std::string> rows;
  auto last_probe = clock_type::now() - std::chrono::seconds(1);
  constexpr auto probe_interval = std::chrono::milliseconds(150);
  for (;;) {
    std::uint64_t victim_after = no_seq;
    bool ask = false;
    {
      scheduler::sched_lock lk(s_);
      s_.notify_pending();
      if (cv_.wait_for(lk.native(), std::chrono::milliseconds(10), [&] { return s_.running_workers_ == 0; })) return;
      const bool may_ask = how != lock_probe::nothing && clock_type::now() - last_probe >= probe_interval;
      victim_after = suspect(may_ask, ask);
    }
    if (ask) {
      const bool asked = read_lock_waits(*dbp, how, rows);
      last_probe = clock_type::now();
      if (!asked) continue;
      scheduler::sched_lock lk(s_);
      victim_after = waiting_for_later(rows);
    }
    if (victim_after == no_seq) continue;
    scheduler::sched_lock lk(s_);
    roll_back_later(victim_after);
  }
}


}  // namespace binlogkit::detail::parallel
