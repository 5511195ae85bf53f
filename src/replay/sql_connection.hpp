// The applier's view of a connection to the target: multi-statement packets out, one
// result per statement back. The libmariadb session (session.hpp) implements it for real
// servers; tests/support/fake_connection.hpp records packets and plays scripted answers,
// so that the appliers' rules (packets, commit order, retries, resume) run without one.
//
// Contract of a packet: the statements are joined by "\n;\n"; the connection answers one
// result per statement until the first error (outcome::done counts the successes before
// it). More results than statements (outcome::extra) means a statement ran as more than
// one; a reply that stops announcing results early (outcome::desync) means the session is
// out of step. Either way the caller stops: nothing more is read from that packet.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "binlogkit/sql/sql.hpp"

namespace binlogkit::detail {

class fiber_loop;

// A callable passed down without being copied or allocated (std::function would put a
// lambda with more than two captures on the heap, once per packet).
template <class Sig>
class function_ref;
template <class R, class... A>
class function_ref<R(A...)> {
 public:
  template <class F>
  function_ref(F& f)  // NOLINT(google-explicit-constructor): it stands for the callable
      : obj_(&f), call_([](void* o, A... a) -> R { return (*static_cast<F*>(o))(std::forward<A>(a)...); }) {}
  R operator()(A... a) const { return call_(obj_, std::forward<A>(a)...); }

 private:
  void* obj_;
  R (*call_)(void*, A...);
};

class sql_connection {
 public:
  struct outcome {
    std::size_t done = 0;      // statements that succeeded before the failing one
    unsigned err = 0;          // 0: all succeeded
    std::string message;
    bool desync = false;       // the server stopped announcing results too early
    bool extra = false;        // more results than statements: the split was not ours
    bool pending = false;      // stopped at stop_after: read_rest() reads the rest
  };
  // One statement returning one row: its columns as text (NULL: nullopt), or an error.
  struct row_result {
    bool ok = false;
    bool found = false;
    std::vector<std::optional<std::string>> cols;
    unsigned err = 0;
    std::string message;
  };
  // `on_result(n)` runs as soon as the first n statements of a packet have succeeded.
  using result_hook = function_ref<void(std::size_t)>;

  sql_connection() = default;
  sql_connection(const sql_connection&) = delete;
  sql_connection& operator=(const sql_connection&) = delete;
  virtual ~sql_connection() = default;

  // Sends a packet of `count` statements and reads a result for each: send(),
  // await_reply(), read(). flag_loss[k]: statement k may end its reply without the "more
  // results" flag although the server goes on (MariaDB's BINLOG statement): the next
  // result is read anyway. `alone`: a packet of one statement not proven to be one, sent
  // with multi-statements off so that the server refuses a second statement in it.
  // `stop_after` (> 0): once that many statements succeeded and more results are due,
  // returns with `pending` set; read_rest() reads the rest (nothing else is sent meanwhile).
  outcome run(const std::string& packet, std::size_t count, const std::vector<char>& flag_loss = {},
              bool alone = false, const result_hook* on_result = nullptr, std::size_t stop_after = 0) {
    outcome o;
    if (!send(packet, o, alone)) return o;
    await_reply();
    return read(count, flag_loss, alone, on_result, stop_after);
  }
  // The packet goes out at once (false: o holds the error); its results are read by read()
  // with the same `alone`, while the caller prepares the next packet.
  virtual bool send(const std::string& packet, outcome& o, bool alone) = 0;
  virtual outcome read(std::size_t count, const std::vector<char>& flag_loss, bool alone,
                       const result_hook* on_result = nullptr, std::size_t stop_after = 0) = 0;
  // Sleeps until the reply to the packet just sent starts to arrive.
  virtual void await_reply() = 0;
  // Whether run() stopped at stop_after with results still due; read_rest() reads them
  // (`done` counts from the packet's first statement).
  [[nodiscard]] virtual bool pending() const = 0;
  virtual outcome read_rest() = 0;

  // One query answered by one row (or none).
  virtual row_result query_row(const std::string& sql) = 0;
  // The first column of every row of a query's result (NULLs skipped); false on error.
  virtual bool query_column(const std::string& sql, std::vector<std::string>& out) = 0;

  // The transaction whose LOAD DATA LOCAL data the server may ask for (nullptr: none).
  // The data of a file it names is served, nothing else.
  virtual void serve_load_data(const rendered_transaction* tx) = 0;

  // In a fiber of a fiber_loop (the parallel applier's workers): whether to pace the
  // reading of a packet's results (a batch of many transactions). A connection that does
  // not wait for anything ignores it.
  virtual void pace_in_fiber(bool) {}

  [[nodiscard]] virtual std::string server_version() const = 0;
  // The server's id for this connection (CONNECTION_ID()).
  [[nodiscard]] virtual unsigned long thread_id() const = 0;
};

}  // namespace binlogkit::detail
