// The serial applier: one connection, many transactions to a round trip.
//
// Transactions are queued into a batch; a batch goes as multi-statement packets (job_builder
// decides what each transaction sends and where packets are cut) while the next batch is
// rendered. A transaction with a statement that needs a packet of its own, and each piece
// of a large transaction, go by themselves, after everything before them was applied.
// Private to the replay layer.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "binlogkit/replay/replay.hpp"
#include "binlogkit/core/source.hpp"
#include "binlogkit/sql/sql.hpp"
#include "replay/job_builder.hpp"
#include "replay/progress_slots.hpp"
#include "replay/sql_connection.hpp"
#include "replay_session.hpp"

namespace binlogkit::detail {

class serial_applier {
 public:
  // `ctx` as replay() prepared it (connection checked, progress table ready, resume point
  // set on the stream); `db` the connection; `progress_rows`: the progress row goes as row
  // events in the transactions' BINLOG statements. Fills `res`.
  serial_applier(apply_context& ctx, sql_connection& db, bool progress_rows, replay_result& res);
  serial_applier(const serial_applier&) = delete;
  serial_applier& operator=(const serial_applier&) = delete;

  // Applies the stream to its end, a stop point or the first failure.
  void run();

 private:
  // Transactions waiting to be sent, and their statements. Up to
  // packet_limits::batch_transactions transactions (or batch_bytes() of text) go in one
  // multi-statement packet joined by "\n;\n": one round trip for many transactions, each still with its progress row
  // before its own COMMIT. While the server runs one batch the next one is rendered (the
  // packet is sent, its results read when the next batch is ready). A transaction with
  // LOAD DATA LOCAL, and a statement from the binlog not proven to be one statement
  // (sql_statement::single: a compound statement, text after its own semicolon, bytes of
  // a character set the proof does not read), go in packets of their own, sent and read
  // at once: the first because the server asks for the file mid-reply (and the data
  // served is that transaction's), the second with multi-statements off, so that the
  // server refuses a second statement in it instead of running it.
  struct pending_tx {
    rendered_transaction tx;
    std::vector<std::string> own;  // our statements (progress bookkeeping)
    std::string gtid;
    std::uint64_t count = 0;       // the transactions value its progress row records
    bool partial = false;          // a piece of a large transaction, more follow: no COMMIT yet
  };
  struct tx_piece {
    piece p;
    std::size_t tx = 0;            // index into the batch's transactions
  };
  struct batch {
    std::deque<pending_tx> txs;
    std::vector<tx_piece> pieces;
    std::size_t bytes = 0;
    bool special = false;          // holds a packet of its own: sent and read at once
    // The packet in flight: pieces [sent_from, sent_to), its flags.
    std::size_t sent_from = 0, sent_to = 0;
    bool in_flight = false;
    std::string packet;
    std::vector<char> flag_loss;
    void clear() {
      txs.clear();
      pieces.clear();
      bytes = 0;
      special = false;
      sent_from = sent_to = 0;
      in_flight = false;
    }
  };

  void report(bool finished);
  void flush_notes();
  void note(const std::string& text) {
    if (opt_.on_note) opt_.on_note(text);
  }
  void fail(std::string message) {
    replay_failure f;
    f.message = std::move(message);
    res_.failure = std::move(f);
  }
  // Transactions [0, n) of a batch are committed: account for them.
  void committed(const batch& b, std::size_t n);
  bool send_from(batch& b, std::size_t i);
  bool complete(batch& b);
  bool launch(batch& b);
  void enqueue(batch& bt, rendered_transaction&& tx_in, std::uint64_t count);
  // The next transaction's progress count: those committed, in flight and queued.
  [[nodiscard]] std::uint64_t next_count() const;
  [[nodiscard]] std::optional<std::uint64_t> count_for(const rendered_transaction& tx) const;
  bool finish_all();

  const replay_options& opt_;
  const std::vector<binlog_input>& inputs_;
  const std::vector<std::string>& names_;  // the inputs' base names (the progress row's)
  std::vector<source>& sources_;
  transaction_stream& stream_;
  sql_connection& db_;
  replay_result& res_;
  std::optional<std::pair<std::string, std::uint64_t>>& resume_;
  const std::string& same_server_;
  const bool mariadb_;
  const std::string uuid_;
  const std::string id_;
  const std::size_t room_;
  const bool progress_rows_;
  const clock_type::time_point t0_;
  std::uint64_t transactions_;  // recorded in the progress row (committed)
  job_builder jobs_;
  const packet_limits limits_;
  batch filling_, flight_;
  clock_type::time_point last_report_ = clock_type::now();
  progress_slots slots_;  // the replay id's row (progress_rows_)
};

}  // namespace binlogkit::detail
