// Corruption triage of a binlog or a relay-log set: every damaged byte range, the last
// good source position at a transaction boundary, the transactions the damage falls in,
// and the statements that resume replication without skipping or repeating one.
//
// Detection uses every redundancy the format has: header plausibility, the length chain,
// CRC32 when present, body structure, the transaction grammar (transaction.hpp), and
// log_pos continuity (a binlog event's log_pos is its end offset; in a relay log it grows
// by each event's size within a source file). After damage the scan re-synchronises at
// the next offset where a valid event begins and the chain holds for several events.
//
// Ownership: triage_input::data must stay valid during the triage() call; the report owns
// all its text and outlives the inputs. Errors: damage and unreadable inputs are findings in
// the report (damage ranges, `unreadable`), with the exit code the command uses. Threads:
// triage() runs on the calling thread and calls its progress callback there.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/core/binlog_input.hpp"
#include "binlogkit/events/format_description.hpp"
#include "binlogkit/events/hazards.hpp"
#include "binlogkit/core/result.hpp"
#include "binlogkit/events/transaction.hpp"

namespace binlogkit {

// The files triage reads: the inputs every command takes (a missing one is lost bytes).
using triage_input = binlog_input;

struct source_position {
  std::string file;
  std::uint64_t pos = 0;
  friend bool operator==(const source_position&, const source_position&) = default;
};
// Orders binlog names by their numeric suffix (binlog.000009 < binlog.000010).
[[nodiscard]] int compare_positions(const source_position& a, const source_position& b) noexcept;
// A MySQL GTID set ("uuid:1-5:7,uuid2:tag:1-3", blanks and newlines allowed) as sorted,
// merged intervals per (uuid text, tag); std::nullopt when it is not one.
using mysql_gtid_intervals = std::map<std::pair<std::string, std::string>, std::vector<std::pair<std::int64_t, std::int64_t>>>;
[[nodiscard]] std::optional<mysql_gtid_intervals> parse_mysql_gtid_set(std::string_view text);
// Parses "FILE:POS".
[[nodiscard]] std::optional<source_position> parse_source_position(std::string_view text);

struct triage_options {
  std::optional<source_position> executed_position;  // what the replica applied (source coords)
  std::optional<std::string> executed_gtids;         // MySQL set or MariaDB list
  // From relay-log.info: where the SQL thread stood in the relay logs (reported beside the
  // executed position, which comes from the same file's source binlog and position).
  std::optional<source_position> executed_relay_position;
  // From master.info: how far the IO thread had read from the source. Relay logs that end
  // before it lost what the receiver had fetched (a torn tail).
  std::optional<source_position> read_position;
  // Where the executed position / GTIDs above came from, as the report names it
  // ("relay-log.info", "--executed-position", "--executed-gtids", "the replica (SHOW SLAVE
  // STATUS)"). Empty: "given".
  std::string executed_origin;
  // The replica's SQL thread was running when asked (--replica): its position moves, so
  // none was taken; the report says so and prints the plan that lets the server decide.
  bool replica_sql_running = false;
  // The replica's Slave_open_temp_tables (SHOW GLOBAL STATUS) when --replica read it: the
  // temporary tables its SQL thread holds now. More than 0 at a stopped SQL thread means
  // the server has not restarted since it stopped, so the plan keeps them: it says not to
  // restart the replica instead of what to copy from the source.
  std::optional<std::uint64_t> replica_open_temp_tables;
  std::size_t resync_chain = 3;  // events that must chain after a re-synchronisation point
  std::optional<bool> relay;     // force relay-log (true) or binlog (false) interpretation
  // Called as the scan passes each `progress_interval` bytes of inputs[input], with the
  // offset reached: for progress display and for source::release_before (the scan may
  // still read earlier bytes again, e.g. for a hexdump; released pages come back).
  std::function<void(std::size_t input, std::uint64_t offset)> progress;
  std::uint64_t progress_interval = 32ull << 20;
};

struct damage_range {
  std::string file;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  errc code = errc::ok;
  int event_type = -1;
  std::string_view detail;
  bool tail = false;  // the file ends here: an unfinished write, not damage in the middle
};

struct transaction_record {
  std::string file;               // where its first event is
  std::uint64_t begin = 0;        // offset of its first event
  std::string end_file;           // where its last event is
  std::uint64_t end = 0;          // end offset of its last event
  source_position source_end;     // source coordinates after it
  std::string gtid;
};

struct resume_point {
  std::string relay_file;  // empty when the point is not in these files
  std::uint64_t relay_pos = 0;
  source_position source;  // file empty when only GTIDs are known
  std::string gtid;        // the last complete transaction's GTID
  std::string gtid_state;  // MySQL: executed GTID set; MariaDB: gtid_slave_pos value
};

// What the replica had applied, as far as triage was told, and from where.
struct executed_point {
  resume_point point;  // each part empty / 0 when not known
  std::string origin;  // "relay-log.info", "--executed-gtids", ...
};

// A transaction that damaged bytes fall in (its GTID when its GTID event was read), with
// the tables its row events map: what a replica that applied it may hold wrongly.
struct damaged_transaction {
  std::string file;             // relay log / binlog of the damage
  std::uint64_t offset = 0;     // where the damage begins
  std::string gtid;             // empty: its GTID event was lost
  std::string after_gtid;       // the GTID of the last complete transaction before it
  std::vector<std::string> tables;  // `db`.`table` of its Table_map events read before the damage
  bool applied = false;         // the executed position / GTIDs are past it
  std::string begin_file;       // where its first event is (empty: its start was lost)
  std::uint64_t begin = 0;
  // Applied ones: the row images its row events hold, as `dump -v` prints them, read from
  // `begin` to its end (the damaged event decoded without its checksum); at most
  // damaged_rows_shown of them, `rows_more` counts the rest. `rows_note` says why rows are
  // missing or stop early (statement events, a row event that does not decode, ...).
  struct row_image {
    std::string file;
    std::uint64_t event_offset = 0;
    // Values may be wrong: its event holds damaged bytes, or the table map it was decoded
    // with does (the column types and sizes), or the event decodes only in part.
    bool from_damaged_event = false;
    std::string doubt;  // why, for people ("" when from_damaged_event is false)
    std::string text;   // "### INSERT INTO `db`.`t`\n### SET\n###   @1=..." lines
  };
  std::vector<row_image> rows;
  std::uint64_t rows_more = 0;
  std::string rows_note;
};
inline constexpr std::size_t damaged_rows_shown = 20;

// How the plan resumes.
enum class resume_mode : std::uint8_t {
  none = 0,          // no plan (clean, or nothing can be trusted)
  position = 1,      // at `resume` (file/position and GTID state known)
  gtid_only = 2,     // at the executed GTIDs given (no file/position in these files)
  server_state = 3,  // executed position unknown: the server resumes from its own state
};
[[nodiscard]] std::string_view to_string(resume_mode m) noexcept;

struct triage_report {
  std::vector<std::string> files;
  enum flavor flavor = flavor::unknown;
  std::string server_version;
  bool relay = false;
  bool checksums = false;        // every file has CRC32
  std::uint64_t events = 0;
  std::uint64_t transactions_before_damage = 0;
  std::vector<damage_range> damage;
  std::optional<resume_point> last_good;
  std::optional<resume_point> resume;      // where to resume (may differ: executed position)
  std::vector<transaction_record> intact_after_damage;  // first ones (capped), in order
  std::uint64_t intact_after_damage_count = 0;
  std::uint64_t abandoned_partial_transactions = 0;  // receiver restarts (not damage)
  // Source coordinates after the last event read (relay logs: what the receiver had written).
  std::optional<source_position> source_end;
  // Source coordinates where the first damage begins: the start of the transaction it
  // falls in, else the position before the damaged event. An executed position after the
  // last good point but not past this one applied nothing of the damaged part.
  std::optional<source_position> source_at_damage;
  std::optional<executed_point> executed;  // what the replica applied (when told)
  enum resume_mode resume_mode = resume_mode::none;
  std::vector<damaged_transaction> damaged_transactions;  // those the damage falls in
  bool executed_past_damage = false;  // the executed position lies past the first damage
  std::vector<std::string> notes;        // the first one says so when the executed position is unknown
  std::vector<std::string> resume_sql;           // preferred plan (GTID where possible)
  std::vector<std::string> resume_sql_position;  // file/position plan (empty: the name cannot be quoted, see notes)
  std::vector<std::string> resume_sql_mysql;     // MySQL 8.0.23+ form, for MySQL sources
  // After a file/position plan on a GTID replica: run once it has caught up (back to
  // MASTER_USE_GTID=slave_pos / SOURCE_AUTO_POSITION=1).
  std::vector<std::string> after_catch_up_sql;
  std::vector<std::string> after_catch_up_sql_mysql;
  // What to run on the replica to learn its executed position (when triage was not told).
  std::vector<std::string> learn_executed_sql;
  std::vector<std::string> check_tables;  // `db`.`table` the damaged transactions touched
  // The hazards open at the point the plan resumes from (hazards.hpp): the executed point
  // when the files hold it, else the last good point. Looked for only when there is
  // damage or an executed point; `hazards_at` empty when they were not looked for or the
  // point could not be read (then a note says why).
  std::optional<hazard_place> hazards_at;
  std::string hazards_at_origin;  // "executed point" / "last good point"
  std::vector<hazard> hazards;
  // What the DBA must do before the resume statements, one step a line, for the hazards.
  std::vector<std::string> before_resume;
  // The replica's SQL thread holds temporary tables (Slave_open_temp_tables > 0): MariaDB
  // plans leave out RESET SLAVE, which would delete them.
  bool replica_holds_temp_tables = false;
  bool unreadable = false;
  bool unverifiable = false;  // no checksums: a flip inside row data cannot be seen

  // 0 nothing damaged, 1 damaged with a plan that skips nothing (a resume point, or the
  // server's own executed state), 3 no resume point can be trusted, 2 unreadable input.
  [[nodiscard]] int exit_code() const noexcept;
};

// The resume rule: a plan never skips a transaction the replica has not executed, and
// never applies one twice. For a relay-log set the resume point is the executed point the
// options give (completed from the files), not the last good received point; past the
// damage it names the damaged transactions applied. Without one, a damaged relay-log set
// gets only the plan that lets the server resume from its own state (resume_mode
// server_state; none without GTIDs: exit 3). A server's own binlog resumes at last_good.
[[nodiscard]] triage_report triage(const std::vector<triage_input>& inputs,
                                   const triage_options& options = {});

// The bytes of `data` up to `end` (a transaction boundary from triage), with the in-use
// flag of the first format description cleared: a copy that a server or mysqlbinlog
// reads as a cleanly closed binlog. Never modifies `data`.
[[nodiscard]] result<std::vector<std::uint8_t>> salvage_copy(bytes data, std::uint64_t end);

}  // namespace binlogkit

namespace binlogkit {
// The report as one JSON object (damage, last_good, intact_after_damage, resume_sql, …).
[[nodiscard]] std::string triage_report_json(const triage_report& report);
// The report for a person: each damaged range with a short hexdump around it (from the
// inputs), what is lost and what is readable, the resume point and the plan.
[[nodiscard]] std::string triage_report_text(const triage_report& report,
                                             const std::vector<triage_input>& inputs);
}  // namespace binlogkit
