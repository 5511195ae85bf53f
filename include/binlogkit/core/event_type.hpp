// Event type codes, as written in byte 4 of every event header.
// Codes 0-42 are MySQL's (libbinlogevents binlog_event.h: Log_event_type); 160-171 are
// MariaDB's own (MariaDB log_event.h). A few codes below 160 mean nothing to MariaDB and
// the reverse; flavor decides how an event is read where that matters.
//
// type_name returns static text ("Format_desc", "Unknown" for a code it does not know),
// valid for the life of the program. Threads: pure functions, no state.
#pragma once

#include <cstdint>
#include <string_view>

namespace binlogkit {

enum class event_type : std::uint8_t {
  unknown = 0,
  start_v3 = 1,
  query = 2,
  stop = 3,
  rotate = 4,
  intvar = 5,
  load = 6,
  slave = 7,
  create_file = 8,
  append_block = 9,
  exec_load = 10,
  delete_file = 11,
  new_load = 12,
  rand = 13,
  user_var = 14,
  format_description = 15,
  xid = 16,
  begin_load_query = 17,
  execute_load_query = 18,
  table_map = 19,
  pre_ga_write_rows = 20,
  pre_ga_update_rows = 21,
  pre_ga_delete_rows = 22,
  write_rows_v1 = 23,
  update_rows_v1 = 24,
  delete_rows_v1 = 25,
  incident = 26,
  heartbeat = 27,
  ignorable = 28,
  rows_query = 29,
  write_rows_v2 = 30,
  update_rows_v2 = 31,
  delete_rows_v2 = 32,
  gtid = 33,
  anonymous_gtid = 34,
  previous_gtids = 35,
  transaction_context = 36,
  view_change = 37,
  xa_prepare = 38,
  partial_update_rows = 39,
  transaction_payload = 40,
  heartbeat_v2 = 41,
  gtid_tagged = 42,
  // MariaDB
  annotate_rows = 160,
  binlog_checkpoint = 161,
  mariadb_gtid = 162,
  mariadb_gtid_list = 163,
  start_encryption = 164,
  query_compressed = 165,
  write_rows_compressed_v1 = 166,
  update_rows_compressed_v1 = 167,
  delete_rows_compressed_v1 = 168,
  write_rows_compressed = 169,
  update_rows_compressed = 170,
  delete_rows_compressed = 171,
};

// The name the servers give the type ("Query", "Table_map", "Write_rows_v2", "Gtid", …),
// with the row-event generation spelled out (`_v1`, `_v2`) so every code has its own name.
// Unknown codes give "Unknown".
[[nodiscard]] std::string_view type_name(event_type t) noexcept;
[[nodiscard]] inline std::string_view type_name(std::uint8_t code) noexcept {
  return type_name(static_cast<event_type>(code));
}
[[nodiscard]] bool is_known_type(std::uint8_t code) noexcept;

// Row events of every generation (pre-GA, v1, v2, partial JSON, MariaDB compressed).
[[nodiscard]] bool is_rows_event(event_type t) noexcept;
[[nodiscard]] bool is_mariadb_compressed(event_type t) noexcept;
// The events that open a transaction with its GTID: MySQL's GTID, anonymous GTID and
// tagged GTID, MariaDB's GTID.
[[nodiscard]] bool is_gtid_event(event_type t) noexcept;

enum class rows_kind : std::uint8_t { none, write, update, erase };
[[nodiscard]] rows_kind rows_kind_of(event_type t) noexcept;

}  // namespace binlogkit
