// The triage scan: reads the files in order and fills a triage_report with the damage, the
// transactions before it (the last good point and the GTID state there), the transactions
// intact after it, and the damaged transactions. After damage the reader re-synchronises
// at the next offset where `resync_chain` events chain; the events up to the next
// transaction boundary then count for nothing.
//
// It also records what the executed-point resolution (resume.hpp) needs: where the
// executed position of the options ends a transaction, with its GTID state and the
// temporary tables open there, and each switch of source binlog in a relay log.
//
// Lifetime: the options, the report and every input passed to scan_file() must outlive the
// scanner (it keeps pointers to inputs). Never fails: what cannot be read is damage or a
// note in the report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "binlogkit/events/reader.hpp"
#include "binlogkit/events/transaction.hpp"
#include "binlogkit/triage/triage.hpp"
#include "triage/gtid_state.hpp"
#include "triage/resync.hpp"
#include "triage/source_coordinates.hpp"
#include "binlogkit/events/temp_tables.hpp"

namespace binlogkit::detail {

class scanner {
 public:
  scanner(const triage_options& o, triage_report& r) : opt_(o), rep_(r) {}

  // Reads inputs[index] (`last_file`: no input follows it).
  void scan_file(const triage_input& in, std::size_t index, bool last_file);
  // After the last file: a transaction left open is a torn tail; fills the report's last
  // good point, source end, relay and checksum verdicts.
  void finish(const std::vector<triage_input>& inputs);
  [[nodiscard]] const std::vector<source_rotate>& source_rotates() const { return coords_.rotates(); }

  // The point where the executed position given in the options ends a transaction, with
  // the GTID state there (MariaDB: also after damage; MySQL: before it).
  std::optional<resume_point> executed_capture;
  // The source coordinates where the executed relay position (relay-log.info's, or
  // Relay_Log_File:Relay_Log_Pos) ends a transaction in these files.
  std::optional<source_position> relay_executed_source;
  // The temporary tables open at the executed point (statement-format sessions).
  std::vector<open_temp_table> executed_temp_tables;

 private:
  // ---- reading and damage (scanner.cpp) ----
  // How the scan of a file goes on after a read error.
  enum class read_step { next, stop, abandon };
  read_step on_read_error(const triage_input& in, event_reader& reader, bool last_file);
  read_step on_checksum_error(const triage_input& in, event_reader& reader, const error& e);
  read_step on_framing_error(const triage_input& in, event_reader& reader, const error& e, bool last_file);
  // The first format description: the server, its flavour and (relay logs) its own id.
  void note_format(const event_view& ev);
  // A second format description or a rotate from another server makes the set a relay log.
  void detect_relay(const event_view& ev, std::uint64_t nth);
  bool log_pos_intact(const triage_input& in, const event_view& ev, event_reader& reader);
  void note_source_at_damage();
  void add_damage(const triage_input& in, std::uint64_t offset, std::uint64_t length, const error& e,
                  bool tail = false);
  // Damage of the whole event `ev` (its code, offset and type).
  void add_event_damage(const triage_input& in, const event_view& ev, errc code, std::string_view detail);
  [[nodiscard]] log_framing framing() const noexcept { return {relay_, relay_server_id_}; }

  // ---- one decoded event, step by step (scanner_events.cpp) ----
  void on_event(const triage_input& in, const event_view& ev, const any_event& d);
  void on_source_rotate(const source_rotate& r);
  // After damage: false while the event belongs to the transaction the damage broke.
  bool reached_boundary(const event_view& ev, const any_event& d, bool is_gtid);
  // A source's format description inside a relay log without the rotate of a reconnect is
  // damage (true); with it, the open transaction is sent again from its start.
  bool source_format_damaged(const triage_input& in, const event_view& ev, bool after_rotate);
  bool duplicated(const triage_input& in, const event_view& ev);
  void on_grammar_step(const triage_input& in, const event_view& ev, const any_event& d);
  void on_violation(const triage_input& in, const event_view& ev, const error& violation);
  void on_transaction_begin(const triage_input& in, const event_view& ev);
  // An XID that closes the transaction just completed (a statement before it committed).
  void on_transaction_extended(const triage_input& in, const event_view& ev);
  void on_transaction_end(const triage_input& in, const event_view& ev, bool began_here);
  void count_before_damage(const triage_input& in, const event_view& ev, bool began_here);
  void record_after_damage(const triage_input& in, const event_view& ev);

  // ---- the executed point (scanner_events.cpp) ----
  void capture_executed(const triage_input& in, std::uint64_t end);
  // The executed GTIDs given, when they are one MariaDB GTID (a single domain: with several,
  // one position cannot stand for the state); parsed on first use.
  const mariadb_gtid* executed_single_gtid();
  void capture_at(const triage_input& in, std::uint64_t end, const source_position& here);

  // A transaction boundary, kept without text: names and GTIDs are rendered only for the
  // point that is reported (finish()).
  struct compact_point {
    const triage_input* input = nullptr;
    std::uint64_t end = 0;
    std::uint32_t source_file = 0;  // a source_coordinates name index
    std::uint64_t source_pos = 0;
    gtid_ref gtid;
  };
  compact_point point_after(const triage_input& in, std::uint64_t end) const;
  resume_point render(const compact_point& p) const;

  const triage_options& opt_;
  triage_report& rep_;
  source_coordinates coords_;
  transaction_tracker tracker_;
  gtid_state gtids_;
  temp_table_tracker temps_;
  bool damaged_ = false;          // damage seen: later transactions are "after damage"
  bool skip_to_boundary_ = false; // after damage: ignore events until a transaction starts
  bool saw_gtid_ = false;
  bool after_rotate_ = false;     // the previous event was a rotate
  bytes prev_raw_{};              // the previous event's bytes (duplicate detection)
  std::uint64_t loose_since_boundary_ = 0;
  std::optional<compact_point> last_good_;
  std::optional<compact_point> last_strict_good_;
  bool any_transaction_ = false;         // the log has GTID events: they mark every boundary
  bool relay_ = false;
  std::uint32_t relay_server_id_ = 0;
  bool first_fd_seen_ = false;
  const triage_input* txn_input_ = nullptr;
  std::uint64_t txn_begin_ = 0;
  // Source coordinates before the event being read, and where the open transaction
  // began: the first damage is at or after them (rep_.source_at_damage).
  std::uint32_t source_file_before_ = 0;
  std::uint64_t source_pos_before_ = 0;
  bool in_event_ = false;
  std::uint32_t txn_source_file_ = 0;
  std::uint64_t txn_source_pos_ = 0;
  bool all_checksums_ = true;
  bool any_file_ = false;
  // The last event read before any damage, and the report as it stood before it.
  std::uint64_t prev_event_offset_ = 0;
  std::uint64_t prev_event_end_ = 0;
  const triage_input* prev_input_ = nullptr;
  // The event that closed the latest transaction, and the last good point before it.
  const triage_input* completed_input_ = nullptr;
  std::uint64_t completed_offset_ = 0;
  std::optional<compact_point> last_good_prior_;
  // Tables mapped by the open transaction (and by the one lost at the latest damage).
  std::vector<std::string> txn_tables_;
  std::string last_completed_gtid_;
  std::optional<mariadb_gtid> executed_single_;
  bool executed_single_parsed_ = false;
  const triage_input* last_completed_input_ = nullptr;
  std::uint64_t last_completed_end_ = 0;
  source_position last_completed_source_;
};

}  // namespace binlogkit::detail
