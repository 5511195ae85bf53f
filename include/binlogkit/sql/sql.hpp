// SQL rendering: what `mysqlbinlog FILE | mysql` applies, as statements a server accepts.
//
// A transaction_stream walks binlog files event by event, groups the events into
// transactions with the transaction grammar (transaction.hpp), applies the filters
// (positions, datetimes, GTID sets, databases) to whole transactions, and renders each
// kept transaction as a list of statements:
//
//   session state   SET TIMESTAMP, pseudo_thread_id, flags2 options, sql_mode,
//                   auto_increment_*, character sets, time_zone, lc_time_names,
//                   collation_database, `use` — only what changed since the last
//                   statement the same session received, as mysqlbinlog prints them
//   GTID            SET gtid_domain_id / server_id / gtid_seq_no (MariaDB) or
//                   SET GTID_NEXT (MySQL), so the target keeps the source's GTIDs
//   statements      the Query events' text; INTVAR / RAND / USER_VAR as SET statements;
//                   LOAD DATA as LOAD DATA LOCAL INFILE with the data from the events
//   row events      BINLOG '<base64>' of the format description (once per session and
//                   whenever it changes) and of each statement's TABLE_MAP and rows
//                   events, bytes as in the file (checksums included)
//
// Every identifier and string this module writes is quoted by sql_quote.hpp, in a client
// character set that reads it as written: before a name that the one in force would not
// (a byte >= 0x80 outside utf8mb3/utf8mb4, a new session), the client character set is
// switched to utf8mb4 and the event's own is set again after it. The statements
// themselves are the source server's text, marked sql_statement::single when proven to be
// one statement. A rendered_transaction owns its text and data: it outlives the source it
// came from.
//
// Ownership: a transaction_stream holds views of its inputs' bytes (binlog_input::data): they
// must outlive the stream. Errors: next() returns the first error with file offset and event
// type after every whole transaction before it was handed out; notes and warnings that are
// not errors come separately (stream_note). Threads: a stream is used by one thread at a
// time.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/core/binlog_input.hpp"
#include "binlogkit/core/encoding.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/events/gtid_set.hpp"
#include "binlogkit/core/result.hpp"
#include "binlogkit/core/sql_quote.hpp"
#include "binlogkit/events/transaction.hpp"

namespace binlogkit {

// ---- quoting ------------------------------------------------------------------------

// append_identifier, append_string_literal, append_hex_literal and the rules that make
// them correct: binlogkit/core/sql_quote.hpp; append_base64: binlogkit/core/encoding.hpp.

// A collation number as the servers number them (MariaDB 10.11 and MySQL 8.0 names).
struct collation_info {
  std::string charset;    // "utf8mb4"
  std::string collation;  // "utf8mb4_general_ci"
};
[[nodiscard]] std::optional<collation_info> collation_by_id(std::uint32_t id);

// ---- filters ------------------------------------------------------------------------

// "YYYY-MM-DD HH:MM:SS" (also "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS") read as local time of
// the TZ in force, as mysqlbinlog reads --start-datetime; seconds since the epoch.
[[nodiscard]] result<std::int64_t> parse_local_datetime(std::string_view text);

// "from->to" as mysqlbinlog's --rewrite-db takes it.
[[nodiscard]] result<std::pair<std::string, std::string>> parse_rewrite_db(std::string_view text);

// What to keep. A transaction is kept whole or not at all.
//   start_position  first file: transactions that start before it are skipped
//   stop_position   last file: the first transaction with an event that starts at or after
//                   it, and everything after, is not applied
//   start_datetime  transactions whose first event is older are skipped
//   stop_datetime   the first transaction with an event at or after it ends the stream
//   include_gtids   only transactions with a GTID in the set (none without a GTID)
//   exclude_gtids   no transaction with a GTID in the set
//   databases       row events by their table's database, statements by the default
//                   database (`use`) they ran in, as mysqlbinlog --database (after
//                   rewrite_db); transaction control statements are always kept and a
//                   transaction left with nothing else is dropped
//   rewrite_db      from -> to for the default database of statements and the database
//                   of TABLE_MAP events (statement text is not rewritten, as mysqlbinlog)
struct sql_filter {
  std::uint64_t start_position = 0;
  std::optional<std::uint64_t> stop_position;
  std::optional<std::int64_t> start_datetime;
  std::optional<std::int64_t> stop_datetime;
  std::optional<gtid_set> include_gtids;
  std::optional<gtid_set> exclude_gtids;
  std::vector<std::string> databases;
  std::vector<std::pair<std::string, std::string>> rewrite_db;
};

// ---- rendering ----------------------------------------------------------------------

// Which server the statements are for. `automatic` follows the binlog's writer.
enum class sql_dialect : std::uint8_t { automatic = 0, mariadb = 1, mysql = 2 };

struct render_options {
  sql_dialect dialect = sql_dialect::automatic;
  // SET GTID_NEXT before MySQL transactions (MySQL dialect only; MariaDB has no GTID_NEXT).
  bool mysql_gtids = true;
  // SET gtid_domain_id / server_id / gtid_seq_no before MariaDB transactions.
  bool mariadb_gtids = true;
  // Text for the mariadb / mysql command-line client: `/*!\C charset */` before a change of
  // client character set (the client must parse what follows in that character set), and
  // MariaDB-only statements inside /*M!100001 ... */ so that MySQL skips them.
  bool for_client = false;
  // Consecutive row statements of one transaction share one BINLOG statement (up to
  // max_binlog_batch bytes of base64): the server applies the events in order either way.
  bool batch_binlog = true;
  std::size_t max_binlog_batch = 8u << 20;
  // A single row statement whose base64 is longer is split into two user-variable
  // fragments (SET @binlog_fragment_0 / _1; BINLOG @binlog_fragment_0, @binlog_fragment_1)
  // as mysqlbinlog does. Each fragment must fit the target's max_allowed_packet.
  std::size_t max_binlog_statement = 64u << 20;
  // Line length of the base64 text (0: one line).
  std::size_t base64_wrap = 0;
  // LOAD DATA LOCAL INFILE names the data "<load_prefix><n>.dat"; the text writer writes
  // the files there, the applier serves the bytes to the client library by that name.
  std::string load_prefix = "binlogkit-load-";
  // A transaction whose rendered text grows past this many bytes is handed out in pieces
  // (rendered_transaction::more) as it is read, so that memory stays bounded however large
  // it is. Before the first piece the rest of the transaction is read once without
  // rendering: a transaction that would not be applied whole (a stop point, damage, the
  // input ending inside it) is never handed out in part. Unbounded: 0.
  std::size_t stream_threshold = 64u << 20;
};

// What a statement is for: the applier puts its progress row before `commit`.
enum class statement_role : std::uint8_t {
  session = 0,   // SET of session state, USE, the format description's BINLOG
  gtid = 1,      // SET gtid_seq_no & co. / GTID_NEXT
  begin = 2,     // BEGIN / XA START
  body = 3,      // a statement, BINLOG, LOAD DATA, INTVAR & co.
  commit = 4,    // COMMIT: the transaction's changes become durable here
  end = 5,       // ROLLBACK, XA END / XA PREPARE: closes without committing
};

// What a statement is, as the renderer knew when it wrote it: the applier decides by this
// (packets, result flags, session state, statement-based or not), never by the text.
enum class sql_statement_kind : std::uint8_t {
  query = 0,               // a statement of the binlog's text (QUERY event, INTVAR & co.)
  session_set = 1,         // SET of session state (timestamp, sql_mode, character sets, ...)
  use_database = 2,        // USE `db`
  format_description = 3,  // BINLOG of the file's format description (session state)
  gtid = 4,                // SET gtid_seq_no & co. (MariaDB), original_* (MySQL)
  gtid_next = 5,           // SET @@SESSION.GTID_NEXT (MySQL): the session keeps it until reset
  begin = 6,               // BEGIN / START TRANSACTION / XA START
  binlog_rows = 7,         // BINLOG of row events (also BINLOG @binlog_fragment_0, _1)
  binlog_fragment = 8,     // SET @binlog_fragment_N: half of a row BINLOG too large for a packet
  load_data = 9,           // LOAD DATA LOCAL INFILE (its data in rendered_transaction::load_data)
  commit = 10,             // COMMIT
  end = 11,                // ROLLBACK, XA END / XA PREPARE
};

// The kind a statement of `role` has unless the renderer says more.
[[nodiscard]] constexpr sql_statement_kind default_kind(statement_role role) noexcept {
  switch (role) {
    case statement_role::session: return sql_statement_kind::session_set;
    case statement_role::gtid: return sql_statement_kind::gtid;
    case statement_role::begin: return sql_statement_kind::begin;
    case statement_role::body: return sql_statement_kind::query;
    case statement_role::commit: return sql_statement_kind::commit;
    case statement_role::end: return sql_statement_kind::end;
  }
  return sql_statement_kind::query;
}

// A BINLOG statement: MariaDB may end its reply without the "more results" flag.
[[nodiscard]] constexpr bool is_binlog_statement(sql_statement_kind k) noexcept {
  return k == sql_statement_kind::binlog_rows || k == sql_statement_kind::format_description;
}

// A session variable a statement of role session or gtid sets, as the renderer wrote it;
// sql_statement::sets holds one bit each (session_bit). The applier keeps track of what
// a connection's session already has by these, never by the statement's text.
enum class session_var : std::uint8_t {
  database = 0,  // USE
  timestamp = 1,
  pseudo_thread_id = 2,
  foreign_key_checks = 3,
  sql_auto_is_null = 4,
  unique_checks = 5,
  autocommit = 6,
  check_constraint_checks = 7,
  sql_if_exists = 8,
  explicit_defaults_for_timestamp = 9,
  system_versioning_insert_history = 10,
  sql_mode = 11,
  auto_increment_increment = 12,
  auto_increment_offset = 13,
  character_set_client = 14,
  collation_connection = 15,
  collation_server = 16,
  time_zone = 17,
  lc_time_names = 18,
  collation_database = 19,
  default_collation_for_utf8mb4 = 20,
  sql_require_primary_key = 21,
  default_table_encryption = 22,
  format_description = 23,  // the format description's BINLOG statement
  gtid_domain_id = 24,
  server_id = 25,
  // The GTID of the next transaction and what goes with it: the server uses them for that
  // one transaction, so each transaction sets them again (transaction_session_vars).
  gtid_seq_no = 26,
  original_commit_timestamp = 27,
  original_server_version = 28,
  immediate_server_version = 29,
  gtid_next = 30,
};

[[nodiscard]] constexpr std::uint32_t session_bit(session_var v) noexcept {
  return std::uint32_t{1} << static_cast<unsigned>(v);
}

// The variables that belong to one transaction (see session_var::gtid_seq_no).
inline constexpr std::uint32_t transaction_session_vars =
    session_bit(session_var::gtid_seq_no) | session_bit(session_var::original_commit_timestamp) |
    session_bit(session_var::original_server_version) | session_bit(session_var::immediate_server_version) |
    session_bit(session_var::gtid_next);

struct sql_statement {
  std::size_t begin = 0, size = 0;  // text in rendered_transaction::sql
  statement_role role = statement_role::body;
  // The session variables it sets (session_bit of each; 0 for statements that set none
  // or when not known). Beside `role`, where the struct has room for it.
  std::uint32_t sets = 0;
  std::uint64_t offset = 0;         // file offset of the event it was rendered from
  std::int32_t load = -1;           // LOAD DATA LOCAL: index into load_data
  // The error the statement raised on the source (QUERY error_code, e.g. a partly applied
  // statement on a non-transactional table): the same error on the target is success.
  std::uint16_t expected_error = 0;
  // Proven to be one statement (sql_quote.hpp, proven_single_statement): it may share a
  // multi-statement packet. Our own statements are; a statement's text from the binlog is
  // when the scan of it in its client character set proves it.
  bool single = true;
  sql_statement_kind kind = sql_statement_kind::query;
};

struct rendered_transaction {
  std::size_t file_index = 0;   // which input it is in (its last event's file)
  std::uint64_t start = 0;      // offset of its first event
  std::uint64_t end = 0;        // end offset of its last event: a resume continues here
  gtid_ref gtid;
  std::uint32_t timestamp = 0;  // header timestamp of its first event
  std::string sql;              // the statements' text, back to back
  std::vector<sql_statement> statements;
  // LOAD DATA LOCAL INFILE data, one block per LOAD DATA statement, and the file name the
  // statement gives it (render_options::load_prefix): the applier hands these bytes to the
  // client library's local-infile handler, the text writer writes them to that file.
  std::vector<std::vector<std::uint8_t>> load_data;
  std::vector<std::string> load_names;
  // The COMMIT statement, when the transaction commits as one unit (BEGIN … COMMIT/XID):
  // a statement put before it commits with it. Absent for statements that commit on
  // their own (DDL, non-transactional autocommit statements), rollbacks and XA.
  std::optional<std::size_t> commit;
  // A piece of a transaction larger than render_options::stream_threshold: `more` says
  // pieces follow (this one ends between two statements, inside the open transaction;
  // `end` is not a resume point yet), `piece` counts from 0. The last piece has more ==
  // false and holds the COMMIT; gtid, start and file_index are the transaction's in each.
  bool more = false;
  std::uint32_t piece = 0;
  // transaction_stream::on_commit_rows added its row events before the COMMIT.
  bool commit_rows = false;

  [[nodiscard]] std::string_view text(const sql_statement& s) const noexcept {
    return std::string_view(sql).substr(s.begin, s.size);
  }
};

// Something worth telling the user that is not an error: a stop point inside a
// transaction, a file that ends inside a transaction, a skipped partial transaction.
struct stream_note {
  std::size_t file_index = 0;
  std::uint64_t offset = 0;
  std::string text;
  // Something was left unapplied that the user may not expect (the last file, marked in
  // use, ends inside an event): say it as a warning, not a note.
  bool warning = false;
};

class transaction_stream {
 public:
  transaction_stream(std::vector<binlog_input> inputs, sql_filter filter, render_options options);

  // The next transaction that passes the filters; nullopt at the end of the inputs or at a
  // stop point. Errors: a damaged event (reader and decoder errors), an event that cannot
  // be applied (encrypted, INCIDENT, pre-5.0 LOAD), a grammar violation, a file that ends
  // inside an event (truncated) unless it is the last input and its format description
  // flags it in use (LOG_EVENT_BINLOG_IN_USE_F: a server still writing it, or one that
  // crashed): then the stream ends there with a warning note naming the offset and what
  // was left out; a mapped input that shrank while it was read (io_error at the first
  // lost offset; see bytes_lost_in).
  [[nodiscard]] result<std::optional<rendered_transaction>> next();

  // The last whole transaction handed out (the last piece of a large one completes it):
  // where what the caller wrote or applied ends, for its messages after an error.
  struct delivered_mark {
    std::size_t file_index = 0;
    std::uint64_t end = 0;
    std::string gtid;  // gtid_ref::text(), empty when none
  };
  [[nodiscard]] const std::optional<delivered_mark>& last_delivered() const noexcept { return delivered_; }

  // Gives back a transaction the caller is done with: a later one is rendered into its
  // buffers (its text and statement list keep their memory), sparing an allocation and a
  // free per transaction on a long stream. Optional; a few are kept, large ones dropped.
  void recycle(rendered_transaction&& spent) noexcept;

  // Resume: skip every transaction of input `file_index` that ends at or before `end`,
  // and every earlier input. resume_checked() tells whether a transaction ending exactly
  // at `end` was seen (false: the recorded point is not a transaction boundary here).
  void resume_after(std::size_t file_index, std::uint64_t end);
  [[nodiscard]] bool resume_checked() const noexcept;

  // The session the statements go to is new (or was reset): state is set again in full.
  void reset_session() noexcept;
  // Something else changed the session's server_id / gtid_domain_id / GTID_NEXT: set them
  // again before the next GTID.
  void reset_gtid_session() noexcept;

  // Notes collected since the last call.
  [[nodiscard]] std::vector<stream_note> take_notes();
  // True once a stop point (stop position or datetime) ended the stream.
  [[nodiscard]] bool stopped() const noexcept { return stopped_; }

  // Progress: bytes of the inputs read so far and in all.
  [[nodiscard]] std::uint64_t bytes_done() const noexcept;
  [[nodiscard]] std::uint64_t bytes_total() const noexcept { return total_bytes_; }
  [[nodiscard]] std::size_t file_index() const noexcept { return file_; }
  // Offset reached in the current input.
  [[nodiscard]] std::uint64_t position() const noexcept;
  [[nodiscard]] const std::vector<binlog_input>& inputs() const noexcept { return inputs_; }

  // Server id in the header of each input's format description (who wrote the file),
  // known once the stream has read that far; called by the applier's same-server check.
  std::function<result<void>(std::size_t file_index, std::uint32_t server_id, flavor f)> on_format;
  // Called while a large transaction is read ahead before its first piece (see
  // render_options::stream_threshold) for each stretch [begin, end) of input `file_index`
  // passed over, so that the caller can drop those pages again (source::release_range).
  std::function<void(std::size_t file_index, std::uint64_t begin, std::uint64_t end)> on_read_ahead;

  // Where a transaction commits as one unit (it gets rendered_transaction::commit), row
  // events of the caller's to apply with it: they go after the transaction's last row
  // events, in its last BINLOG statement (or in one of their own before the COMMIT), and
  // the transaction says so (rendered_transaction::commit_rows). The applier's progress
  // row goes this way. The events must be whole and laid out as `format` describes, with
  // a CRC32 when `checksums`; return false to add nothing. Not called for XA transactions,
  // nor for a transaction the database filter left empty.
  struct commit_point {
    std::size_t file_index = 0;
    std::uint64_t end = 0;             // the transaction's end (its resume point)
    gtid_ref gtid;
    std::uint32_t timestamp = 0;       // of the event that commits it
    std::uint32_t server_id = 0;
    const format_description* format = nullptr;  // valid during the call only
    bool checksums = false;
  };
  std::function<bool(const commit_point&, std::vector<std::uint8_t>& events)> on_commit_rows;

  // The session state as last set (exposed for tests).
  struct session_state {
    std::optional<std::string> db;
    std::optional<std::uint32_t> thread_id;
    std::optional<std::uint32_t> flags2;
    std::optional<std::uint64_t> sql_mode;
    std::optional<std::pair<std::uint16_t, std::uint16_t>> auto_increment;
    std::optional<std::array<std::uint16_t, 3>> charsets;
    std::string time_zone;
    std::optional<std::uint16_t> lc_time_names;
    std::optional<std::uint16_t> collation_database;
    std::optional<std::uint32_t> gtid_domain, gtid_server;
    std::optional<std::uint8_t> explicit_defaults_ts;
    std::optional<std::uint16_t> default_collation_utf8mb4;
    std::optional<std::uint8_t> sql_require_primary_key;
    std::optional<std::uint8_t> default_table_encryption;
    // A statement of ours switched character_set_client to utf8mb4 (sql_quote.hpp) after
    // `charsets` was set: the next event's character sets are set again.
    bool client_utf8 = false;
    std::vector<std::uint8_t> format;  // raw format description last sent (BINLOG)
    bool mysql_gtid_next = false;      // GTID_NEXT set to a specific GTID
  };

  ~transaction_stream();
  transaction_stream(transaction_stream&&) noexcept;
  transaction_stream& operator=(transaction_stream&&) noexcept;
  transaction_stream(const transaction_stream&) = delete;
  transaction_stream& operator=(const transaction_stream&) = delete;

 private:
  struct impl;
  [[nodiscard]] result<std::optional<rendered_transaction>> render_payload(bool pieces);
  [[nodiscard]] result<std::optional<rendered_transaction>> next_events();
  [[nodiscard]] result<void> check_not_lost() const;
  std::optional<delivered_mark> delivered_;
  std::unique_ptr<impl> impl_;
  std::vector<binlog_input> inputs_;
  std::uint64_t total_bytes_ = 0;
  std::size_t file_ = 0;
  bool stopped_ = false;
};

// ---- text output --------------------------------------------------------------------

struct sql_text_options {
  // `# at POS` comments before each transaction.
  bool position_comments = true;
};

// Writes every transaction of the stream as text for `mariadb --binary-mode` (or mysql):
// a DELIMITER-terminated script like mysqlbinlog's. LOAD DATA data is written to the files
// the statements name (render_options::load_prefix, which should be an absolute path in a
// private directory; the files stay: the client reads them when it runs the script).
// Notes go to `note`. Returns the stream's first error after writing what came before.
[[nodiscard]] result<void> write_sql_text(std::FILE* out, transaction_stream& stream,
                                          const sql_text_options& options,
                                          const std::function<void(const stream_note&)>& note);

}  // namespace binlogkit
