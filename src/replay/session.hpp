// The libmariadb implementation of sql_connection: one Connector/C session that sends
// multi-statement packets and reads their results, with paced reading (serial applier)
// or waits in a fiber loop (parallel applier), and LOAD DATA LOCAL data served from
// memory. Private to the replay layer.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "binlogkit/replay/connection.hpp"
#include "replay/sql_connection.hpp"

typedef struct st_mysql MYSQL;

namespace binlogkit::detail {

using clock_type = std::chrono::steady_clock;

// Client errors that mean the connection is gone (CR_SERVER_GONE_ERROR, CR_SERVER_LOST,
// CR_CONN_HOST_ERROR, CR_CONNECTION_ERROR).
inline bool connection_lost(unsigned e) { return e == 2006 || e == 2013 || e == 2003 || e == 2002; }

// The transaction whose LOAD DATA data the client library's local-infile handler serves.
struct infile_source {
  const rendered_transaction* tx = nullptr;
};

class session final : public sql_connection {
 public:
  session() = default;
  ~session() override;

  // Paced reading of results (call before connect()). A packet of many statements is
  // answered one result at a time as the server finishes each; a client blocked in read
  // wakes for every one (about 2 context switches per transaction, half the applier's CPU
  // time on a sysbench binlog). Paced, read() sleeps for a part of the time the rest of
  // the packet should take the server (learnt from earlier packets) and then takes all
  // that arrived meanwhile, through Connector/C's non-blocking calls.
  void enable_pacing() { pace_ = true; }
  // Waits for the server in `loop`'s fibers (call before connect()): a wait in a fiber lets
  // the loop's other fibers run. Outside a fiber the session waits as usual.
  void use_fibers(fiber_loop* loop) { loop_ = loop; }
  // In a fiber: paced reading too (a batch of many transactions in one packet). The wait
  // for a result sleeps for half the time the statements still due should take the
  // server while that is at least 2 ms (10 ms at most), then as enable_pacing's reads.
  void pace_in_fiber(bool on) override { fiber_pace_ = on; }

  // Empty on success, else the message.
  std::string connect(const connection_options& c);

  bool send(const std::string& packet, outcome& o, bool alone) override;
  outcome read(std::size_t count, const std::vector<char>& flag_loss, bool alone,
               const result_hook* on_result = nullptr, std::size_t stop_after = 0) override;
  // The client library reads without waiting first and polls only when that read fails;
  // right after a send it nearly always does (one system call per packet saved). Paced
  // reading polls on its own.
  void await_reply() override;
  [[nodiscard]] bool pending() const override { return pending_.active; }
  outcome read_rest() override;
  row_result query_row(const std::string& sql) override;
  bool query_column(const std::string& sql, std::vector<std::string>& out) override;
  void serve_load_data(const rendered_transaction* tx) override { infile_.tx = tx; }
  [[nodiscard]] std::string server_version() const override;
  [[nodiscard]] unsigned long thread_id() const override;

 private:
  bool multi_statements(bool on);
  outcome read_counted(std::size_t count, const std::vector<char>& flag_loss, const result_hook* on_result,
                       std::size_t stop_after);
  outcome read_results(std::size_t count, const std::vector<char>& flag_loss, const result_hook* on_result,
                       std::size_t stop_after);
  outcome read_loop(outcome o, std::size_t count, const std::vector<char>& flag_loss, const result_hook* on_result,
                    std::size_t stop_after);
  bool advance(outcome& o, std::size_t count, const std::vector<char>& flag_loss);
  bool take_error(outcome& o);
  static outcome finish(outcome o, std::size_t count);
  [[nodiscard]] bool nonblocking() const;
  char read_query_result();
  int next_result();
  int wait_for(int ev);
  [[nodiscard]] bool overdue() const { return clock_type::now() - sent_at_ > expected_; }
  void saw_incomplete() {
    waited_ = true;
    incomplete_at_ = clock_type::now();
  }

  MYSQL* m_ = nullptr;
  infile_source infile_;
  bool pace_ = false;
  fiber_loop* loop_ = nullptr;
  clock_type::time_point sent_at_{};
  std::size_t left_ = 0;             // statements of the packet still to answer
  clock_type::duration expected_{};  // twice the time the packet should take, and 2 ms
  bool waited_ = false;              // read() slept for a result
  clock_type::time_point incomplete_at_{};  // the last look that found results due
  bool fiber_pace_ = false;
  double per_statement_s_ = 0;       // the server's time per statement (paced reading)
  struct pending_read {
    bool active = false;
    std::size_t count = 0;
    std::vector<char> flag_loss;
    std::size_t done = 0;
  };
  pending_read pending_;
};

}  // namespace binlogkit::detail
