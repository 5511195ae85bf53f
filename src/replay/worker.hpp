// One connection of the parallel applier (private to the replay layer): the connection,
// what its session already has, and the packets it sends. A worker's fiber
// (worker_fiber.hpp) decides what to run; this class runs it and reports how it went.
//
// Contract of send(): the pieces go out in order, in as few packets as fit in the room;
// a session statement the connection already has is left out (session_state). An error
// stops at the statement that failed, unless that statement is one of the next to
// commit's (index < head_upto), of the binlog, and either expected (its recorded error
// code) or in skip_errors, and not a lock error or a lost connection: then the packet's
// remaining statements are sent again from the next one. After any error the session
// state is forgotten (what the failed packet set is not known).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "replay/job.hpp"
#include "replay/sql_connection.hpp"
#include "replay_session.hpp"

namespace binlogkit::detail::parallel {

// How a send or a read of deferred results went.
struct exec_result {
  bool ok = true;
  unsigned err = 0;
  std::string message;
  const job_piece* at = nullptr;  // the failing statement (ok false)
  bool desync = false;            // also set with extra: the session is out of step
  bool extra = false;             // more results than statements (session::outcome::extra)
  bool deferred = false;          // results left unread (read_deferred)
};

// What a worker waits for, under the scheduler's lock (scheduler::wait_until).
enum class wait_kind : std::uint8_t { none, job, start, turn };

// The optional parts of a send.
struct send_hooks {
  // Runs once the statement of `reach` (or a later one) succeeded.
  const job_piece* reach = nullptr;
  const function_ref<void()>* on_reached = nullptr;
  // The results after reach's are left unread (exec_result::deferred) when they are in the
  // same packet; read_deferred() reads them.
  bool defer = false;
  // Runs with the last statement done each time results arrive.
  const function_ref<void(const job_piece*)>* on_progress = nullptr;
  // Runs for an error passed over because skip_errors has it (not for an expected one).
  const function_ref<void(const job_piece&, const sql_connection::outcome&)>* on_skipped = nullptr;
};

// What a connection's session was told by the session statements sent on it, by the
// variables each set (sql_statement::sets, as the renderer recorded them): a statement is
// left out when the last one sent that set exactly its variables had the same text and
// nothing sent since set any of them. Never left out, nor kept: a statement of the
// variables of one transaction (transaction_session_vars: the server uses them for one
// transaction) and one whose variables are not known (sets == 0, which forgets all).
class session_state {
 public:
  // Whether `p` (a session statement) is to be sent; records it as sent when it is.
  bool send(const piece& p);
  void forget() noexcept { sent_.clear(); }

 private:
  struct entry {
    std::uint32_t sets = 0;
    std::string text;
  };
  std::vector<entry> sent_;  // no two set the same variable; their texts' room reused
};

class worker {
 public:
  worker(std::unique_ptr<sql_connection> conn, std::size_t packet_room, const std::vector<unsigned>& skip_errors)
      : db(std::move(conn)), packet_room_(packet_room), skip_errors_(skip_errors) {}

  // Sends `list` (of `j`, whose LOAD DATA it serves) as the contract above says.
  exec_result send(job& j, const std::vector<job_piece>& list, std::size_t head_upto, const send_hooks& h = {});
  // The results send() left unread. They are a follower's statements, run before it was the
  // next to commit: any error fails it (no expected or skipped errors here).
  exec_result read_deferred();
  // Rolls the open transaction back and forgets the session state (GTID variables may or
  // may not survive a rollback: they are set again).
  void rollback();

  std::unique_ptr<sql_connection> db;
  std::vector<job_piece> pieces;        // the last COMMIT packet's (a deferred follower's point into it)
  std::vector<job*> batch;              // the batch it took (worker_fiber::take), in order
  std::vector<std::size_t> batch_ends;  // index in `pieces` after each one's last statement
  // Under the scheduler's lock: what the worker waits for (in fiber_loop::wait_wake), its
  // transaction, and the wake-ups sent to it.
  wait_kind waiting = wait_kind::none;
  job* current = nullptr;
  std::uint64_t notified = 0;

 private:
  exec_result failed(sql_connection::outcome& o, std::size_t from);

  std::size_t packet_room_;
  const std::vector<unsigned>& skip_errors_;
  session_state state_;
  std::string packet_;
  std::vector<char> flag_loss_;
  std::vector<const job_piece*> todo_;  // the pieces send() sends
  std::size_t todo_from_ = 0;           // the first of the packet whose results are deferred
};

// Opens worker `w`'s connection (of replay_options::parallel, its fibers on `loop`), sets
// its session up (production settings, a 2 s lock wait timeout) and takes its lock
// (worker_lock_name: one replay per id). Null with `failure` set when any step fails.
std::unique_ptr<worker> open_worker(apply_context& ctx, std::size_t w, fiber_loop* loop, replay_failure& failure);

}  // namespace binlogkit::detail::parallel
