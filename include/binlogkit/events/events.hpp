// Typed views of every event type. Each decode_* reads the post-header and body of an
// event_view framed by event_reader, checks every length against the event's bounds, and
// returns views into the event's bytes (valid while the source lives) or an error naming
// the event's offset and type. The wire layout of each event is tabled beside its decoder
// in src/events/events.cpp.
//
// Threads: the decoders are noexcept and keep no state: any number of threads may decode
// events of the same source at once.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/events/event.hpp"
#include "binlogkit/core/result.hpp"

namespace binlogkit {

// ---- statements ---------------------------------------------------------------------

// Status variables of a QUERY event: the session state the statement ran under.
// Fields a server did not write stay empty.
struct query_status {
  std::optional<std::uint32_t> flags2;                 // Q_FLAGS2_CODE (0)
  std::optional<std::uint64_t> sql_mode;               // Q_SQL_MODE_CODE (1)
  std::optional<std::string_view> catalog;             // Q_CATALOG(_NZ)_CODE (2, 6)
  std::optional<std::uint16_t> auto_increment_increment;  // Q_AUTO_INCREMENT (3)
  std::optional<std::uint16_t> auto_increment_offset;
  std::optional<std::uint16_t> charset_client;         // Q_CHARSET_CODE (4)
  std::optional<std::uint16_t> collation_connection;
  std::optional<std::uint16_t> collation_server;
  std::optional<std::string_view> time_zone;           // Q_TIME_ZONE_CODE (5)
  std::optional<std::uint16_t> lc_time_names;          // Q_LC_TIME_NAMES_CODE (7)
  std::optional<std::uint16_t> collation_database;     // Q_CHARSET_DATABASE_CODE (8)
  std::optional<std::uint64_t> table_map_for_update;   // Q_TABLE_MAP_FOR_UPDATE_CODE (9)
  std::optional<std::uint32_t> master_data_written;    // Q_MASTER_DATA_WRITTEN_CODE (10)
  std::optional<std::string_view> invoker_user;        // Q_INVOKER (11)
  std::optional<std::string_view> invoker_host;
  std::optional<std::uint8_t> updated_db_count;        // Q_UPDATED_DB_NAMES (12); 254 = too many
  std::array<std::string_view, 16> updated_dbs{};
  std::optional<std::uint32_t> microseconds;           // Q_MICROSECONDS (13), MariaDB Q_HRNOW (128)
  std::optional<std::uint8_t> explicit_defaults_ts;    // Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP (16)
  std::optional<std::uint64_t> ddl_xid;                // Q_DDL_LOGGED_WITH_XID (17), MariaDB Q_XID (129)
  std::optional<std::uint16_t> default_collation_utf8mb4;  // Q_DEFAULT_COLLATION_FOR_UTF8MB4 (18)
  std::optional<std::uint8_t> sql_require_primary_key; // Q_SQL_REQUIRE_PRIMARY_KEY (19)
  std::optional<std::uint8_t> default_table_encryption;// Q_DEFAULT_TABLE_ENCRYPTION (20)
  std::optional<std::uint8_t> gtid_flags3;             // MariaDB Q_GTID_FLAGS3 (130)
  bytes character_set_collations{};                    // MariaDB Q_CHARACTER_SET_COLLATIONS (131)
  // Set when a code this version does not know stopped the walk (the rest is skipped,
  // as the servers themselves do).
  std::optional<std::uint8_t> unknown_code;
};

struct query_event {
  std::uint32_t thread_id = 0;
  std::uint32_t exec_time = 0;
  std::uint16_t error_code = 0;
  std::string_view database;
  std::string_view query;       // for QUERY_COMPRESSED: the compressed bytes (see compressed)
  bytes status_vars{};          // checked by decode; status() reads them
  bool compressed = false;      // MariaDB QUERY_COMPRESSED: query must be inflated
  // EXECUTE_LOAD_QUERY only:
  std::uint32_t file_id = 0;
  std::uint32_t fn_pos_start = 0;
  std::uint32_t fn_pos_end = 0;
  std::uint8_t dup_handling = 0;

  // The status variables, read from status_vars on each call (decode has checked them).
  // Not kept in the event: it would make every decoded event (any_event) several times
  // larger.
  [[nodiscard]] query_status status() const noexcept;
};

// Walks a status-variable block; exposed for tests and for the SQL renderer.
[[nodiscard]] result<query_status> decode_query_status(bytes vars, std::uint64_t offset, int type) noexcept;

struct rotate_event {
  std::uint64_t position = 0;
  std::string_view next_file;
};
struct intvar_event {
  std::uint8_t kind = 0;  // 1 LAST_INSERT_ID, 2 INSERT_ID
  std::uint64_t value = 0;
};
struct rand_event {
  std::uint64_t seed1 = 0, seed2 = 0;
};
struct user_var_event {
  std::string_view name;
  bool is_null = false;
  std::uint8_t value_type = 0;   // Item_result: 0 STRING, 1 REAL, 2 INT, 4 DECIMAL
  std::uint32_t charset = 0;
  bytes value{};
  std::uint8_t flags = 0;        // 1 = UNSIGNED
};
struct xid_event {
  std::uint64_t xid = 0;
};
struct stop_event {};
struct incident_event {
  std::uint16_t incident = 0;
  std::string_view message;
};
struct heartbeat_event {
  std::string_view log_file;
  std::uint64_t position = 0;  // v2 only; v1 carries it in log_pos
};
struct rows_query_event {
  std::string_view query;
};
struct annotate_rows_event {
  std::string_view query;
};
struct binlog_checkpoint_event {
  std::string_view file;
};
struct start_encryption_event {
  std::uint8_t scheme = 0;
  std::uint32_t key_version = 0;
  bytes nonce{};  // 12 bytes
};
struct ignorable_event {};

// LOAD DATA family (MySQL 3.23 – 5.x).
struct load_event {
  std::uint32_t thread_id = 0, exec_time = 0, skip_lines = 0, num_fields = 0;
  std::string_view table, database, file_name;
  std::string_view field_term, enclosed, line_term, line_start, escaped;
  std::uint8_t opt_flags = 0, empty_flags = 0;
  bytes field_lens{};
  bytes field_names{};  // num_fields NUL-terminated names
  std::uint32_t file_id = 0;  // CREATE_FILE only
  bytes block{};              // CREATE_FILE only
};
struct file_block_event {  // APPEND_BLOCK, BEGIN_LOAD_QUERY, EXEC_LOAD, DELETE_FILE
  std::uint32_t file_id = 0;
  bytes block{};
};

// ---- GTIDs --------------------------------------------------------------------------

using uuid_bytes = std::array<std::uint8_t, 16>;
[[nodiscard]] std::string format_uuid(const uuid_bytes& u);

struct gtid_event {  // MySQL GTID, ANONYMOUS_GTID, GTID_TAGGED
  std::uint8_t flags = 0;          // 1 = may have been committed out of order (no rbr)
  uuid_bytes sid{};
  std::string_view tag;            // tagged GTIDs (8.3+), empty otherwise
  std::int64_t gno = 0;
  bool has_logical_clock = false;
  std::int64_t last_committed = 0;
  std::int64_t sequence_number = 0;
  std::optional<std::uint64_t> immediate_commit_timestamp;  // microseconds
  std::optional<std::uint64_t> original_commit_timestamp;
  std::optional<std::uint64_t> transaction_length;
  std::optional<std::uint32_t> immediate_server_version;
  std::optional<std::uint32_t> original_server_version;
  std::optional<std::uint64_t> commit_group_ticket;
  bool anonymous = false;
};

struct gtid_interval {
  std::int64_t start = 0, end = 0;  // [start, end)
};
struct previous_gtids_event {
  // Raw body; iterate with for_each_sid (intervals are not copied).
  bytes body{};
  std::uint64_t sid_count = 0;
  bool tagged = false;
};
// Calls f(sid, tag, intervals-as-bytes) per SID; each interval is two little-endian int64.
template <class F>
result<void> for_each_sid(const previous_gtids_event& e, std::uint64_t offset, F&& f) noexcept;

struct mariadb_gtid_event {
  std::uint64_t seq_no = 0;
  std::uint32_t domain_id = 0;
  std::uint32_t server_id = 0;  // from the event header
  std::uint8_t flags2 = 0;
  std::optional<std::uint64_t> commit_id;
  // XA (FL_PREPARED_XA / FL_COMPLETED_XA)
  std::optional<std::uint32_t> xa_format_id;
  std::string_view xa_gtrid, xa_bqual;
  std::uint8_t flags_extra = 0;
  std::optional<std::uint8_t> extra_engines;
  std::optional<std::uint64_t> start_alter_seq_no;
  static constexpr std::uint8_t fl_standalone = 1, fl_group_commit_id = 2, fl_transactional = 4,
                                fl_allow_parallel = 8, fl_waited = 16, fl_ddl = 32,
                                fl_prepared_xa = 64, fl_completed_xa = 128;
};

struct mariadb_gtid {
  std::uint32_t domain_id = 0, server_id = 0;
  std::uint64_t seq_no = 0;
};
struct mariadb_gtid_list_event {
  std::uint32_t count = 0;
  std::uint8_t flags = 0;
  bytes entries{};  // count × (domain 4, server 4, seq 8)
  [[nodiscard]] mariadb_gtid at(std::size_t i) const noexcept;
};

// ---- transactions -------------------------------------------------------------------

struct xa_prepare_event {
  bool one_phase = false;
  std::int32_t format_id = 0;
  std::string_view gtrid, bqual;
};
struct transaction_context_event {
  std::string_view server_uuid;
  std::uint32_t thread_id = 0;
  bool gtid_specified = false;
  bytes snapshot_version{};
  std::uint32_t write_set_count = 0, read_set_count = 0;
};
struct view_change_event {
  std::string_view view_id;
  std::int64_t seq_number = 0;
  std::uint32_t cert_info_count = 0;
};
struct transaction_payload_event {
  std::uint64_t payload_size = 0;
  std::uint8_t compression = 0;  // 0 zstd, 255 none
  std::uint64_t uncompressed_size = 0;
  bytes payload{};
};

// ---- rows ---------------------------------------------------------------------------

struct table_map_event {
  std::uint64_t table_id = 0;
  std::uint16_t flags = 0;
  std::string_view database;
  std::string_view table;
  std::uint64_t column_count = 0;
  bytes column_types{};
  bytes metadata{};
  bytes null_bitmap{};
  bytes optional_metadata{};
};

struct rows_event {
  event_type type = event_type::unknown;
  std::uint64_t table_id = 0;
  std::uint16_t flags = 0;  // 1 = statement end (STMT_END_F)
  bytes extra_data{};       // v2 extra row info (without its 2-byte length)
  std::uint64_t column_count = 0;
  bytes columns_before{};   // columns present in the before image (or the only image)
  bytes columns_after{};    // UPDATE only: columns present in the after image
  bytes rows{};             // row images (compressed for MariaDB *_COMPRESSED types)
  bool compressed = false;
  static constexpr std::uint16_t stmt_end_f = 1;
};

struct format_description_event {
  const format_description* format = nullptr;
};

struct unknown_event {
  bytes body{};
};

using any_event =
    std::variant<unknown_event, format_description_event, query_event, stop_event, rotate_event,
                 intvar_event, rand_event, user_var_event, xid_event, incident_event,
                 heartbeat_event, ignorable_event, rows_query_event, table_map_event,
                 rows_event, gtid_event, previous_gtids_event, transaction_context_event,
                 view_change_event, xa_prepare_event, transaction_payload_event, load_event,
                 file_block_event, annotate_rows_event, binlog_checkpoint_event,
                 mariadb_gtid_event, mariadb_gtid_list_event, start_encryption_event>;

// Decodes any event by its type. An unknown type decodes to unknown_event.
[[nodiscard]] result<any_event> decode(const event_view& ev) noexcept;

[[nodiscard]] result<query_event> decode_query(const event_view& ev) noexcept;
[[nodiscard]] result<rotate_event> decode_rotate(const event_view& ev) noexcept;
[[nodiscard]] result<table_map_event> decode_table_map(const event_view& ev) noexcept;
[[nodiscard]] result<rows_event> decode_rows(const event_view& ev) noexcept;
[[nodiscard]] result<gtid_event> decode_gtid(const event_view& ev) noexcept;
[[nodiscard]] result<mariadb_gtid_event> decode_mariadb_gtid(const event_view& ev) noexcept;
[[nodiscard]] result<mariadb_gtid_list_event> decode_mariadb_gtid_list(const event_view& ev) noexcept;
[[nodiscard]] result<xid_event> decode_xid(const event_view& ev) noexcept;

// ---- template definitions -----------------------------------------------------------

namespace detail {
// MySQL's serialization format (8.3+): an unsigned integer whose first byte's count of
// trailing one bits k says k more bytes follow; the value is all k+1 bytes, little-endian,
// shifted right by k+1 (nine bytes when the first is 0xff).
inline std::uint64_t read_varlen(cursor& c) noexcept {
  auto first = c.u8();
  if (!c.ok()) return 0;
  int extra = 0;
  while (extra < 8 && ((first >> extra) & 1) != 0) ++extra;
  if (extra == 8) return c.uint(8);
  std::uint64_t v = static_cast<std::uint64_t>(first) >> (extra + 1);
  auto rest = c.uint(static_cast<std::size_t>(extra));
  return v | (rest << (7 - extra));
}
// Signed values are zig-zag encoded first.
inline std::int64_t read_varlen_signed(cursor& c) noexcept {
  auto u = read_varlen(c);
  return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}
}  // namespace detail

template <class F>
result<void> for_each_sid(const previous_gtids_event& e, std::uint64_t offset, F&& f) noexcept {
  constexpr int type = static_cast<int>(event_type::previous_gtids);
  cursor c(e.body);
  c.skip(8);
  for (std::uint64_t i = 0; i < e.sid_count; ++i) {
    uuid_bytes sid{};
    auto s = c.take(16);
    if (!c.ok()) return make_error(errc::bad_body, offset, type, "previous GTIDs end inside a SID");
    std::copy(s.begin(), s.end(), sid.begin());
    std::string_view tag;
    if (e.tagged) {
      auto len = detail::read_varlen(c);
      tag = c.str(len);
    }
    auto n = c.u64();
    if (!c.ok() || n > c.remaining() / 16) {
      return make_error(errc::bad_body, offset, type, "previous GTIDs interval count exceeds the event");
    }
    f(sid, tag, c.take(n * 16));
  }
  if (!c.ok()) return make_error(errc::bad_body, offset, type, "previous GTIDs body is truncated");
  if (!c.empty()) return make_error(errc::bad_body, offset, type, "previous GTIDs body has bytes after its last SID");
  return {};
}

}  // namespace binlogkit
