// What a transaction sends to the target, and in which packets: the one place for the
// rules the serial and the parallel applier share.
//
//   statement            packet
//   ------------------   ---------------------------------------------------------------
//   LOAD DATA LOCAL      of its own: the server asks for the file mid-reply, and the data
//                        served is that transaction's
//   not proven single    of its own, multi-statements off: the server refuses a second
//   (sql_statement::     statement in it instead of running it
//   single == false)
//   anything else        joined by "\n;\n" with its neighbours while the packet stays
//                        within the packet room (the target's max_allowed_packet less
//                        what the packet header and our statements need)
//
// Our own statements around a transaction's: the progress row (an UPDATE, unless the
// renderer put its row events in the transaction's BINLOG statement) just before the
// COMMIT, so that it commits with the data. A transaction that commits on its own (DDL,
// non-transactional, XA, ROLLBACK) gets, after its statements: GTID_NEXT='AUTOMATIC' on a
// MySQL target when a GTID_NEXT is in force, sql_log_bin=0 around the progress row when
// the target binlogs (a GTID minted for it would take a number the source's next
// transaction needs), the progress row and a COMMIT.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "binlogkit/sql/sql.hpp"

namespace binlogkit::detail {

// One statement to send. Views into the transaction's text or the job's own statements.
struct piece {
  std::string_view text;
  std::uint64_t offset = 0;          // file offset of its event (ours: the transaction's start)
  std::uint16_t expected_error = 0;  // the source's error for it: success on the target too
  bool ours = false;                 // a statement of the applier, not of the binlog
  bool binlog = false;               // a BINLOG statement (session::run's flag_loss)
  bool alone = false;                // a packet of its own (the table above)
  bool session = false;              // session / GTID state
  sql_statement_kind kind = sql_statement_kind::query;
  std::uint32_t sets = 0;            // the session variables it sets (sql_statement::sets)
};

// The piece a statement of the binlog is sent as.
[[nodiscard]] piece piece_of(const rendered_transaction& tx, const sql_statement& st) noexcept;

// Whether a transaction has a statement that must go in a packet of its own.
[[nodiscard]] bool has_own_packet_statement(const rendered_transaction& tx) noexcept;

// Whether a transaction holds statements of the source's text (statement-based: its
// temporary tables and user variables live in one session).
[[nodiscard]] bool statement_based(const rendered_transaction& tx) noexcept;

// How much goes in one packet and one batch of transactions.
struct packet_limits {
  std::size_t room = 0;  // bytes of statement text (and separators) in one packet
  // A batch: up to this many transactions, or this many bytes of text, in a round trip;
  // its packets are still cut at `room`.
  static constexpr std::size_t batch_transactions = 64;
  [[nodiscard]] std::size_t batch_bytes() const noexcept { return std::min<std::size_t>(room, 4u << 20); }
};

// The packet room for a target's max_allowed_packet: room left for the packet header and
// the statements around a BINLOG statement.
[[nodiscard]] std::size_t packet_room_for(std::uint64_t max_allowed_packet) noexcept;

// Builds the packet that starts at piece `first` of `count` (at(k) gives piece k) into
// `packet` and `flag_loss`; returns the end (one past its last piece). A piece that goes
// alone is a packet by itself; the others join while the packet stays within `room`
// (the first always goes, whatever its size).
template <class At>
std::size_t fill_packet(std::size_t first, std::size_t count, const At& at, std::size_t room, std::string& packet,
                        std::vector<char>& flag_loss) {
  packet.clear();
  flag_loss.clear();
  const bool alone = at(first).alone;
  std::size_t k = first;
  for (; k < count; ++k) {
    const piece& p = at(k);
    if (k > first && (alone || p.alone || packet.size() + p.text.size() + 3 > room)) break;
    if (k > first) packet += "\n;\n";
    packet.append(p.text);
    flag_loss.push_back(p.binlog ? 1 : 0);
  }
  return k;
}

// The statements that set a replay connection's session up, as mysqlbinlog's output sets
// it, joined into one packet, and their count.
struct setup_packet {
  std::string sql;
  std::size_t count = 0;
};
// `lock_wait_timeout` (> 0): SET innodb_lock_wait_timeout too (the parallel applier's
// connections: a wait it does not resolve ends soon in error 1205 and runs again).
[[nodiscard]] setup_packet session_setup(bool disable_log_bin, unsigned lock_wait_timeout = 0);

// Our statement that ends a MySQL GTID_NEXT in force.
inline constexpr std::string_view gtid_next_automatic = "SET @@SESSION.GTID_NEXT='AUTOMATIC'";

class job_builder {
 public:
  struct target {
    bool mariadb = false;
    bool toggle_log_bin = false;  // the target binlogs and the replay does not disable it
    std::string id_literal;       // the replay id as an SQL string literal
  };
  // Where a piece goes: `body` runs before the transaction's turn to commit, `commit` at it.
  enum class part : std::uint8_t { body, commit };

  explicit job_builder(target t) : target_(std::move(t)) {}

  // Puts our statements for `tx` (whose progress row records `file`, tx.end, `gtid` (its
  // GTID's text) and `count`) into `own` (cleared; the pieces view it, so it is not touched again while
  // they live) and calls add(piece, part) for every statement in the order it is sent.
  // A piece of a large transaction with more to follow (tx.more) is its statements only.
  // Returns true when the statements end a GTID_NEXT in force (the caller's stream forgets
  // it: transaction_stream::reset_gtid_session).
  template <class Add>
  bool build(const rendered_transaction& tx, const std::string& file, const std::string& gtid, std::uint64_t count,
             std::vector<std::string>& own, Add&& add);

  // A GTID_NEXT is in force on the connection since the last transaction that ended it.
  [[nodiscard]] bool gtid_next_used() const noexcept { return gtid_next_used_; }

 private:
  void own_statements(const rendered_transaction& tx, const std::string& file, const std::string& gtid,
                      std::uint64_t count, std::vector<std::string>& own, bool& reset_gtid_next);
  [[nodiscard]] piece ours(const rendered_transaction& tx, const std::string& text) const noexcept {
    return {text, tx.start, 0, true, false, false, false, sql_statement_kind::query};
  }

  target target_;
  bool gtid_next_used_ = false;
};

template <class Add>
bool job_builder::build(const rendered_transaction& tx, const std::string& file, const std::string& gtid,
                        std::uint64_t count, std::vector<std::string>& own, Add&& add) {
  own.clear();
  for (const auto& st : tx.statements) {
    if (st.kind == sql_statement_kind::gtid_next) gtid_next_used_ = true;
  }
  if (tx.more) {
    // Statements only: the transaction stays open until its last piece commits it.
    for (const auto& st : tx.statements) add(piece_of(tx, st), part::body);
    return false;
  }
  bool reset_gtid_next = false;
  own_statements(tx, file, gtid, count, own, reset_gtid_next);
  if (tx.commit) {
    for (std::size_t k = 0; k < tx.statements.size(); ++k) {
      if (k == *tx.commit && !tx.commit_rows) add(ours(tx, own[0]), part::commit);
      add(piece_of(tx, tx.statements[k]), k < *tx.commit ? part::body : part::commit);
    }
    return false;
  }
  for (const auto& st : tx.statements) add(piece_of(tx, st), part::body);
  std::size_t k = 1;
  if (reset_gtid_next) add(ours(tx, own[k++]), part::commit);
  if (target_.toggle_log_bin) add(ours(tx, own[k]), part::commit);
  add(ours(tx, own[0]), part::commit);
  add(ours(tx, own.back()), part::commit);  // COMMIT
  if (target_.toggle_log_bin) add(ours(tx, own[k + 1]), part::commit);
  if (reset_gtid_next) gtid_next_used_ = false;
  return reset_gtid_next;
}

}  // namespace binlogkit::detail
