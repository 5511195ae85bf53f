// Replay: applies binlog transactions to a server over one MariaDB Connector/C session,
// exactly (what `mysqlbinlog | mysql` applies) and resumably.
//
// The transactions of a transaction_stream (sql.hpp) go to the server as multi-statement
// packets, many transactions to a round trip (the next batch is rendered while the server
// applies the current one), each with a progress row written inside it:
//
//   binlogkit.replay_progress (replay_id PK, file, end_pos, gtid, transactions, updated_at)
//
// updated just before the transaction's COMMIT, so that the row commits with the data or
// not at all: after a kill -9 of the replay or a crash of the target, the row names the
// last transaction the target holds, and `resume` continues right after it. The statements
// are the renderer's, sent as they are (nothing is parsed again).
//
// What cannot be atomic with the row: statements that commit on their own (DDL,
// statements on non-transactional tables such as MyISAM, XA PREPARE / XA COMMIT, and
// transactions that end in ROLLBACK). Their progress row is written right after them, in
// the same packet; a crash between the two leaves the statement applied but not recorded,
// and a resume applies it again (which for DDL usually fails: skip that error with
// skip_errors, e.g. 1050 table exists, 1051 unknown table, 1060 duplicate column).
//
// A replay holds GET_LOCK('binlogkit.replay.<id>') for its whole session: a second replay
// with the same id fails at once instead of interleaving with the first.
//
// Parallel apply (replay_options::parallel > 1): the reading thread renders transactions
// (every one with its whole session state, since any connection may apply it) and hands
// them to N worker connections. Which transactions may execute together comes from the
// binlog:
//
//   MariaDB GTID   consecutive transactions with the same commit_id committed as one group
//                  on the source and execute together; a group starts once every earlier
//                  transaction has executed (is waiting to commit), as MariaDB's
//                  conservative parallel replication does. Needs FL_TRANSACTIONAL, not
//                  FL_DDL.
//   MySQL GTID     a transaction executes once every transaction of its file with
//                  sequence_number <= its last_committed has committed (logical clock or
//                  writeset values, whichever the source wrote).
//   neither        (no GTID event, no logical clock, DDL, non-transactional tables, XA,
//                  transactions ending in ROLLBACK): applied alone, after every earlier
//                  transaction committed and before any later one starts.
//
// Commits are in binlog order: a worker executes its transaction's statements, waits until
// every earlier transaction has committed, then sends the COMMIT. The target passes
// through the source's states, so kill -9 and --resume work as with one connection. On a
// MariaDB target the progress row goes in the transaction's own BINLOG statement, into
// the row of a connection slot ("<replay_id>#K", K = (k - 1) mod N + 1 for the k-th
// transaction of the run): no two transactions running at once write the same row. The
// replay's position is the one of its rows (its own and its slots') with the highest
// count: commits are in order, so every transaction up to it is committed. The slots are
// folded into the replay's own row when it ends (or by the next run, after a kill); a
// replay id holds no '#'. Elsewhere (a MySQL target, a progress table that is not ours,
// an id too long for the suffix), the replay's own row is updated by a statement in the
// packet of each COMMIT. Statement-based transactions all go to the first connection
// (temporary tables live in one session).
//
// Commit-order deadlock: an earlier transaction waiting for a row lock held by a later one
// that waits for its turn to commit. A watcher notices the next to commit running much
// longer than transactions usually take while later ones have started, or (reading
// InnoDB's lock waits, at most every 150 ms: InnoDB refreshes them only after 100 ms
// without a reader) any transaction waiting for a later one; the later transactions are
// rolled back and run again after the earlier one commits. Any error
// in a transaction that is not the next to commit is treated the same way (it may come from
// running early); an error in the next one to commit stops the replay there, with every
// earlier transaction committed and no later one.
//
// Errors and threads: replay() blocks the calling thread until the replay ends and never
// throws: a failure is in replay_result (file, position, GTID, statement, server error).
// The callbacks of replay_options (on_progress, on_note, on_warning) are called on the
// calling thread. With parallel > 1 it runs two threads of its own while it works (the
// connections' fiber loop and the commit-order deadlock watcher). The result owns its text.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "binlogkit/replay/connection.hpp"
#include "binlogkit/sql/sql.hpp"

namespace binlogkit {

struct replay_progress {
  std::uint64_t transactions = 0;      // recorded in the progress row (all runs)
  std::uint64_t transactions_run = 0;  // applied by this run
  std::uint64_t bytes_done = 0, bytes_total = 0;
  std::string file;                    // file of the last applied transaction
  std::uint64_t position = 0;          // its end offset
  std::string gtid;
  double elapsed_s = 0;
  bool finished = false;
};

// "tx 1200 (850/s) 12.0/50.0 MiB binlog.000001:123456 ETA 0:41" and one JSON object.
[[nodiscard]] std::string progress_line(const replay_progress& p);
[[nodiscard]] std::string progress_json(const replay_progress& p);

struct replay_options {
  connection_options connection;
  sql_filter filter;
  // Identifies the replay in the progress table (at most 64 characters, no '#'); empty:
  // the first file's name without its .NNNNNN suffix ("binlog.000042" -> "binlog"), '#'
  // made '_'.
  std::string replay_id;
  // Continue after the last transaction the progress row records. Without it, an existing
  // row for the id is an error (a replay that already applied something).
  bool resume = false;
  // Server error numbers that do not stop the replay (the statement is skipped, reported).
  std::vector<unsigned> skip_errors;
  // Replay even into the server whose server_id (MariaDB) / server_uuid (MySQL) wrote the
  // binlog.
  bool force_same_server = false;
  // SET GTID_NEXT for MySQL GTIDs (MySQL targets only) / SET gtid_seq_no & co. (MariaDB).
  bool mysql_gtids = true;
  bool mariadb_gtids = true;
  // Run with sql_log_bin=0: the target does not binlog what is replayed.
  bool disable_log_bin = false;
  // Connections applying transactions at once (1: the serial applier).
  unsigned parallel = 1;
  // conservative: only what the binlog's dependency information allows together.
  // optimistic: every row-based transactional transaction may run together with the
  // others (statement-based ones, DDL and the rest alone); conflicts are found as lock
  // waits and errors and resolved by rolling back and retrying, as MariaDB's optimistic
  // mode does. Commit order is kept either way.
  enum class parallel_mode : std::uint8_t { conservative = 0, optimistic = 1 } mode = parallel_mode::conservative;
  // With parallel > 1, batches: one connection sends a run of consecutive transactions in
  // one packet, each with its COMMIT, once every earlier one has committed and before any
  // later one starts (the serial applier's way: no hand-off between connections for each
  // transaction). Where commits are cheap on the target this is faster than N connections.
  //   automatic  the applier starts with 3 s of batches (the first 0.5 s not measured),
  //              then measures both ways in turns (0.3 s of the other way after 3 to 24 s
  //              of the faster) and keeps the one that commits more transactions per second
  //   never      N connections always
  //   always     batches always (the N connections stay open but one works at a time)
  enum class batch_mode : std::uint8_t { automatic = 0, never = 1, always = 2 } batches = batch_mode::automatic;
  // A transaction whose statements exceed this many bytes is sent in pieces as it is read
  // (render_options::stream_threshold) inside its open transaction: memory stays bounded.
  // With parallel > 1 it is applied alone. 0: every transaction is held whole.
  std::size_t stream_threshold = 64u << 20;
  // Notes about how the parallel applier schedules (stretches applied serially, retries).
  bool verbose = false;
  // Called about twice a second while applying, and once at the end.
  std::function<void(const replay_progress&)> on_progress;
  // Notes (skipped errors, stop points inside transactions, …), one line each.
  std::function<void(const std::string&)> on_note;
  // Warnings (the last file, flagged in use, ends inside an event: what was left out;
  // hazards at the stop point, and at the start point those that do not refuse it);
  // on_note receives them when this is not set.
  std::function<void(const std::string&)> on_warning;
  // Start even when a temporary table or a LOAD DATA file from before the start point
  // (a start rule of the filter, or the resume point) is needed after it
  // (bound_hazards.hpp); they are warned on instead. Without it the replay refuses to
  // start (replay_failure::refused_hazards) before applying anything.
  bool ignore_hazards = false;
};

// Why a replay stopped early. Owns its text (it names server messages and statements).
struct replay_failure {
  std::string message;          // one line: what happened
  std::string file;             // where, when it is about an event
  std::optional<std::uint64_t> position;
  std::string gtid;
  std::string statement;        // shortened
  unsigned server_errno = 0;
  std::string server_error;
  bool unreadable_input = false;  // an input could not be opened: nothing was applied
  // The start point has hazards that make starting there wrong (listed one a line, as
  // hazard_line writes them): nothing was applied.
  bool refused_hazards = false;
  std::vector<std::string> hazards;

  [[nodiscard]] std::string text() const;  // multi-line, for stderr
};

struct replay_result {
  replay_progress progress;
  std::uint64_t skipped_errors = 0;
  // Parallel apply: transactions applied alone (no dependency information), and
  // transactions rolled back and run again (conflicts).
  std::uint64_t serial_transactions = 0;
  std::uint64_t retries = 0;
  bool stopped_at_stop_point = false;  // a stop position / datetime ended it
  std::optional<replay_failure> failure;
  [[nodiscard]] bool ok() const noexcept { return !failure.has_value(); }
};

// Replays `files` (binlog files, in order). Never throws; a failure is in the result.
[[nodiscard]] replay_result replay(const std::vector<std::string>& files, const replay_options& options);

// The default replay id for a first file ("/x/binlog.000042" -> "binlog").
[[nodiscard]] std::string default_replay_id(const std::string& first_file);

}  // namespace binlogkit
