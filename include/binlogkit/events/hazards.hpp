// Hazards at a resume, start or stop point: what from before a point of a binlog or
// relay-log set is still needed after it, so that starting (or resuming) there is unsafe.
//
//   temporary_table    a CREATE TEMPORARY TABLE before the point, used after it by the
//                      same session (pseudo_thread_id); rules in temp_tables.hpp. A replica
//                      restarted since, or a replay starting at the point, has no such table.
//   load_data          LOAD DATA sent as Begin_load_query / Append_block ... Execute_load_query
//                      (or the old Create_file / Append_block ... Exec_load / Delete_file):
//                      a point after the first block and before the execute leaves the
//                      file half-sent.
//   xa_prepared        an XA transaction prepared (XA_prepare event, or a Query "XA PREPARE")
//                      and not yet XA COMMITted or XA ROLLed BACK at the point.
//   non_transactional  the point is inside a group whose part before it changed
//                      non-transactional tables (a MariaDB GTID without FL_TRANSACTIONAL, a
//                      statement with error_code != 0, a group that ends in a COMMIT query
//                      rather than an XID, or in ROLLBACK with statements in it).
//
// A point is a position (the offset of the next event to read, in a named file of the
// set) or a GTID set: the point just after the last transaction of the set in the input.
//
// Ownership: hazards own their strings. Errors: bad input (a framing or checksum error, an
// Append_block or execute for a file id no block opened, a point that is not an event
// boundary or not in the input) is a failure with the file and offset, never a partial
// answer. Threads: a tracker is used by one thread at a time; find_hazards keeps no state.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "binlogkit/core/binlog_input.hpp"
#include "binlogkit/core/result.hpp"
#include "binlogkit/events/event.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/events/gtid_set.hpp"
#include "binlogkit/events/temp_tables.hpp"
#include "binlogkit/events/transaction.hpp"

namespace binlogkit {

enum class hazard_kind : std::uint8_t { temporary_table, load_data, xa_prepared, non_transactional };
[[nodiscard]] std::string_view to_string(hazard_kind k) noexcept;  // "temporary_table", ...

// An event of the input: its file, its offset there, its transaction's GTID ("" if none).
struct hazard_place {
  std::string file;
  std::uint64_t pos = 0;
  std::string gtid;
  friend bool operator==(const hazard_place&, const hazard_place&) = default;
};

struct hazard {
  hazard_kind kind = hazard_kind::temporary_table;
  std::string schema;             // temporary_table, load_data (when known)
  std::string table;
  std::string xid;                // xa_prepared: X'gtrid',X'bqual',format_id
  std::uint32_t pseudo_thread_id = 0;  // the source session (0 when no event says)
  hazard_place opened;            // the event that opened it
  // The first event at or after the point that needs it; std::nullopt when the input ended
  // first ("may be needed later").
  std::optional<hazard_place> needed_by;
  std::string advice;             // one sentence: what to do
};

// Follows a binlog / relay-log set one event at a time; open_at() lists what is open.
class hazard_tracker {
 public:
  // At most this many LOAD DATA files, and as many prepared XA transactions, open at once
  // (temporary tables: temp_table_tracker::max_open); more is an error, never a cut list.
  static constexpr std::size_t max_open_each = 4096;

  // The next events are of this file (call before its first event).
  void begin_file(std::string_view name);
  // One event and its decoded form (decode(ev) succeeded). MariaDB compressed statements
  // are inflated and the statements inside a MySQL TRANSACTION_PAYLOAD read. Errors:
  // bad_body for an Append_block, Exec_load or Execute_load_query of a file id no block
  // opened, or for more open at once than the limits above; an inflate error; the
  // transaction grammar's violations.
  [[nodiscard]] result<void> feed(const event_view& ev, const any_event& decoded);
  // The hazards open here (needed_by empty; advice filled).
  [[nodiscard]] std::vector<hazard> open_at() const;
  // After the point: start filling needed_by for what open_at() returned here.
  void mark_point();
  // Hazards since mark_point(): those closed without use are gone; needed_by set where found.
  [[nodiscard]] std::vector<hazard> followed() const;
  // Every followed hazard has its needed_by: reading on changes nothing.
  [[nodiscard]] bool settled() const noexcept;
  [[nodiscard]] const transaction_tracker& transactions() const noexcept { return txn_; }
  // Where the input started inside a transaction (its first events the tail of one begun in
  // a log not given): those events are skipped, and hazards opened before are not seen.
  [[nodiscard]] const std::optional<hazard_place>& started_inside() const noexcept { return started_inside_; }
  // "0-1-20,1-2-7" (MariaDB) / gtid_executed (MySQL) at this point, as far as the input says.
  [[nodiscard]] std::string gtid_state() const;

 private:
  struct load_file {
    hazard_place opened;
    std::uint32_t thread_id = 0;
    std::string schema, table;  // Create_file names them; Begin_load_query does not
  };
  // A hazard with what identifies it while reading on.
  struct tracked {
    hazard h;
    bool load = false;
    std::uint32_t file_id = 0;  // load_data
    std::string key;            // xa_prepared
    std::string reason;         // non_transactional: "" while the group's end decides
    bool conditional = false;   // non_transactional: kept only if its end says so
  };
  struct xa_open {
    std::string key;  // format:gtrid-hex:bqual-hex
    std::string xid;
    std::uint32_t thread_id = 0;
    hazard_place opened;
  };
  struct group_state {
    bool open = false;
    bool has_statements = false;
    std::string reason;  // why it changed non-transactional tables ("" while not known)
    std::uint32_t thread_id = 0;
    std::string start_file;  // where the group's first event is
    std::uint64_t start_pos = 0;
  };
  hazard_place here(const event_view& ev) const;
  void sessions_ended();
  void note_start_state(const event_view& ev, const any_event& d);
  void add_to_state();
  [[nodiscard]] std::vector<tracked> collect() const;
  void follow_load(const event_view& ev, std::uint32_t file_id, const query_event* execute);
  [[nodiscard]] result<void> on_query(const event_view& ev, const query_event& q);
  [[nodiscard]] result<void> on_payload(const event_view& ev, const transaction_payload_event& p);
  [[nodiscard]] static unexpected<error> too_many(const event_view& ev, std::string_view static_detail);
  result<void> on_load_event(const event_view& ev, const any_event& d);
  void on_xa_prepared(const event_view& ev, std::string key, std::string xid);
  void on_xa_end(const event_view& ev, const std::string& key);
  void on_group_step(const event_view& ev, const any_event& d, const transaction_tracker::step& s);
  void follow_query(const event_view& ev, const query_event& q);
  void follow_group_end(const event_view& ev, const transaction_tracker::step& s);
  void need(hazard& h, const event_view& ev);

  std::string file_;
  transaction_tracker txn_;
  temp_table_tracker temps_;
  std::map<std::uint32_t, load_file> loads_;
  std::vector<xa_open> xas_;
  group_state group_;
  std::vector<tracked> followed_;
  bool following_ = false;
  // A format description with `created` != 0 at offset 4, by this server id: a source
  // start, unless the next event is a Rotate from another server (a relay log's own).
  std::optional<std::uint32_t> start_pending_;
  bool seen_start_ = false;  // a GTID, BEGIN or XA START was read: the grammar is in step
  std::optional<hazard_place> started_inside_;
  bool any_transaction_ = false;
  gtid_set mysql_state_;
  mariadb_gtid_position mariadb_state_;
};

// Where to look: a file of the set and an offset in it (a bare offset when the set has one
// file), or a GTID set.
struct hazard_position {
  std::string file;  // "" = the only file
  std::uint64_t pos = 0;
};
using hazard_point = std::variant<hazard_position, gtid_set>;
// "FILE:POS", "POS", or a GTID set (either server's). Errors: bad_value with a detail.
[[nodiscard]] result<hazard_point> parse_hazard_point(std::string_view text);

struct hazard_report {
  hazard_place at;            // the point (gtid: the transaction before it, if any)
  std::string gtid_state;     // the GTID state at the point
  std::vector<hazard> hazards;
  // Every hazard open at the point as open_at() lists it there (needed_by empty), also
  // those that reading on found closed without use (not in `hazards`).
  std::vector<hazard> open_at_point;
  // Reading on after the point stopped early (damage or a truncated tail): hazards without
  // needed_by may be needed past here. Empty when the input was read to its end or no
  // further than needed.
  std::string read_on_warning;
  // The input started inside a transaction (relay logs before it purged, or binlogs not
  // given): "FILE:POS"; hazards opened before that are not seen. Empty otherwise.
  std::string started_inside;
  // Bad input or a point not in the input: "FILE: ... offset N ..." (hazards is empty).
  std::string failure;
  [[nodiscard]] bool ok() const noexcept { return failure.empty(); }
};

// Reads `inputs` up to the point, takes the hazards open there, then reads on until each
// has its needed_by, is closed without use, or the input ends.
[[nodiscard]] hazard_report find_hazards(const std::vector<binlog_input>& inputs, const hazard_point& point);

}  // namespace binlogkit
