#include "binlogkit/events/events.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace binlogkit {

namespace {

template <class T>
using res = result<T>;

int code_of(const event_view& ev) { return ev.header.type_code; }

unexpected<error> bad(const event_view& ev, errc code, std::string_view detail) {
  return make_error(code, ev.offset, code_of(ev), detail);
}

// The post-header must be as long as the format description says; a shorter body means
// the event was cut or its length field lies.
bool post_header_fits(const event_view& ev) {
  int len = ev.format->post_header_length(ev.header.type_code);
  return len <= 0 || ev.body.size() >= static_cast<std::size_t>(len);
}

// Decoders below take (post-header, payload) cursors. Each documents the wire layout.

// QUERY (2) and EXECUTE_LOAD_QUERY (18), MariaDB QUERY_COMPRESSED (165)
//   post-header (13 bytes in v4, 11 before):
//   | 4 thread_id | 4 exec_time | 1 db_len | 2 error_code | 2 status_vars_len (v4) |
//   EXECUTE_LOAD_QUERY adds | 4 file_id | 4 fn_pos_start | 4 fn_pos_end | 1 dup_handling |
//   payload: | status_vars | db (db_len) | NUL | query (rest of the event) |
res<query_event> query_impl(const event_view& ev) {
  if (!post_header_fits(ev)) return bad(ev, errc::bad_post_header, "query post-header is cut short");
  query_event q;
  cursor ph(ev.post_header());
  q.thread_id = ph.u32();
  q.exec_time = ph.u32();
  auto db_len = ph.u8();
  q.error_code = ph.u16();
  std::uint16_t vars_len = 0;
  if (ev.format->binlog_version() >= 4) vars_len = ph.u16();
  if (ev.type() == event_type::execute_load_query) {
    q.file_id = ph.u32();
    q.fn_pos_start = ph.u32();
    q.fn_pos_end = ph.u32();
    q.dup_handling = ph.u8();
  }
  if (!ph.ok()) return bad(ev, errc::bad_post_header, "query post-header is shorter than its fields");
  cursor c(ev.payload());
  q.status_vars = c.take(vars_len);
  if (!c.ok()) return bad(ev, errc::bad_body, "query status variables run past the event");
  q.database = c.str(db_len);
  if (!c.ok() || c.u8() != 0 || !c.ok()) {
    return bad(ev, errc::bad_body, "query database name runs past the event or lacks its NUL");
  }
  q.query = as_chars(c.rest());
  q.compressed = ev.type() == event_type::query_compressed;
  if (auto st = decode_query_status(q.status_vars, ev.offset, code_of(ev)); !st) return unexpected<error>(st.error());
  return q;
}

// ROTATE (4): post-header | 8 position | (v4, v3; none in v1); payload: next file name.
res<rotate_event> rotate_impl(const event_view& ev) {
  if (!post_header_fits(ev)) return bad(ev, errc::bad_post_header, "rotate post-header is cut short");
  rotate_event r;
  if (ev.format->post_header_length(ev.header.type_code) >= 8) r.position = cursor(ev.post_header()).u64();
  r.next_file = as_chars(ev.payload());
  if (r.next_file.empty()) return bad(ev, errc::bad_body, "rotate names no file");
  if (r.next_file.find('\0') != std::string_view::npos) {
    return bad(ev, errc::bad_body, "rotate file name contains a NUL byte");
  }
  return r;
}

// INTVAR (5): | 1 type (1 LAST_INSERT_ID, 2 INSERT_ID) | 8 value |
res<intvar_event> intvar_impl(const event_view& ev) {
  cursor c(ev.body);
  intvar_event e;
  e.kind = c.u8();
  e.value = c.u64();
  if (!c.ok()) return bad(ev, errc::bad_body, "intvar body shorter than 9 bytes");
  if (!c.empty()) return bad(ev, errc::bad_body, "intvar body longer than 9 bytes");
  if (e.kind != 1 && e.kind != 2) return bad(ev, errc::bad_body, "intvar type is neither LAST_INSERT_ID nor INSERT_ID");
  return e;
}

// RAND (13): | 8 seed1 | 8 seed2 |
res<rand_event> rand_impl(const event_view& ev) {
  cursor c(ev.body);
  rand_event e;
  e.seed1 = c.u64();
  e.seed2 = c.u64();
  if (!c.ok()) return bad(ev, errc::bad_body, "rand body shorter than 16 bytes");
  if (!c.empty()) return bad(ev, errc::bad_body, "rand body longer than 16 bytes");
  return e;
}

// USER_VAR (14): | 4 name_len | name | 1 is_null | if not null: 1 type | 4 charset |
//   4 value_len | value | [1 flags (5.6+): 1 = unsigned] |
res<user_var_event> user_var_impl(const event_view& ev) {
  cursor c(ev.body);
  user_var_event e;
  auto name_len = c.u32();
  e.name = c.str(name_len);
  e.is_null = c.u8() != 0;
  if (!c.ok()) return bad(ev, errc::bad_body, "user variable name runs past the event");
  if (!e.is_null) {
    e.value_type = c.u8();
    e.charset = c.u32();
    auto len = c.u32();
    e.value = c.take(len);
    if (!c.ok()) return bad(ev, errc::bad_body, "user variable value runs past the event");
    if (!c.empty()) e.flags = c.u8();
    if (e.value_type > 4 || e.value_type == 3) return bad(ev, errc::bad_body, "user variable has an unknown value type");
  }
  return e;
}

// XID (16): | 8 xid |
res<xid_event> xid_impl(const event_view& ev) {
  cursor c(ev.body);
  xid_event e;
  e.xid = c.u64();
  if (!c.ok()) return bad(ev, errc::bad_body, "xid body shorter than 8 bytes");
  if (!c.empty()) return bad(ev, errc::bad_body, "xid body longer than 8 bytes");
  return e;
}

// INCIDENT (26): post-header | 2 incident |; payload | 1 length | message | (the length
// byte is always written, 0 for no message)
res<incident_event> incident_impl(const event_view& ev) {
  cursor c(ev.body);
  incident_event e;
  e.incident = c.u16();
  auto len = c.u8();
  e.message = c.str(len);
  if (!c.ok()) return bad(ev, errc::bad_body, "incident message runs past the event");
  // The only incident both servers define is 1, LOST_EVENTS.
  if (e.incident != 1) return bad(ev, errc::bad_body, "incident number is not LOST_EVENTS (1)");
  return e;
}

// HEARTBEAT (27): payload is the log file name. HEARTBEAT_V2 (41): fields as
// | 1 type | packed length | value | with type 1 = file name, 2 = position, 0 = end.
res<heartbeat_event> heartbeat_impl(const event_view& ev) {
  heartbeat_event e;
  if (ev.type() == event_type::heartbeat) {
    e.log_file = as_chars(ev.body);
    e.position = ev.header.log_pos;
    return e;
  }
  cursor c(ev.body);
  while (c.ok() && !c.empty()) {
    auto field = c.u8();
    if (field == 0) break;
    auto len = c.packed();
    auto value = c.take(len);
    if (field == 1) e.log_file = as_chars(value);
    else if (field == 2) {
      cursor v(value);
      e.position = v.packed();
    }
  }
  if (!c.ok()) return bad(ev, errc::bad_body, "heartbeat fields run past the event");
  return e;
}

// ROWS_QUERY (29): | 1 length (ignored: it truncates at 255) | query (rest) |
res<rows_query_event> rows_query_impl(const event_view& ev) {
  cursor c(ev.body);
  c.skip(1);
  if (!c.ok()) return bad(ev, errc::bad_body, "rows query event is empty");
  return rows_query_event{as_chars(c.rest())};
}

// LOAD (6), NEW_LOAD (12), CREATE_FILE (8)
//   post-header | 4 thread_id | 4 exec_time | 4 skip_lines | 1 table_len | 1 db_len |
//               | 4 num_fields |  (CREATE_FILE, binlog v3 and v4, adds | 4 file_id |)
//   payload, LOAD: | 1 field_term | 1 enclosed | 1 line_term | 1 line_start | 1 escaped |
//                  | 1 opt_flags | 1 empty_flags |
//            NEW_LOAD/CREATE_FILE: five | 1 len | string | then | 1 opt_flags |
//   then | num_fields field lengths | names, each NUL-terminated | table NUL | db NUL |
//   | file name (rest; CREATE_FILE: NUL then the first data block) |
res<load_event> load_impl(const event_view& ev) {
  if (!post_header_fits(ev)) return bad(ev, errc::bad_post_header, "load post-header is cut short");
  // CREATE_FILE has the LOAD post-header inside its body in v3 and in its post-header in v4.
  cursor c(ev.body);
  load_event e;
  e.thread_id = c.u32();
  e.exec_time = c.u32();
  e.skip_lines = c.u32();
  auto table_len = c.u8();
  auto db_len = c.u8();
  e.num_fields = c.u32();
  const bool create_file = ev.type() == event_type::create_file;
  if (create_file && ev.format->binlog_version() != 1) {
    e.file_id = c.u32();  // CREATE_FILE's own 4-byte post-header follows the LOAD one
  }
  if (!c.ok()) return bad(ev, errc::bad_post_header, "load post-header is shorter than its fields");
  if (ev.type() == event_type::load) {
    e.field_term = c.str(1);
    e.enclosed = c.str(1);
    e.line_term = c.str(1);
    e.line_start = c.str(1);
    e.escaped = c.str(1);
    e.opt_flags = c.u8();
    e.empty_flags = c.u8();
  } else {
    for (auto* s : {&e.field_term, &e.enclosed, &e.line_term, &e.line_start, &e.escaped}) {
      auto n = c.u8();
      *s = c.str(n);
    }
    e.opt_flags = c.u8();
  }
  e.field_lens = c.take(e.num_fields);
  if (!c.ok()) return bad(ev, errc::bad_body, "load field list runs past the event");
  std::size_t names = 0;
  for (auto len : e.field_lens) names += len + 1u;
  e.field_names = c.take(names);
  e.table = c.str(table_len);
  if (c.u8() != 0) c.fail();
  e.database = c.str(db_len);
  if (c.u8() != 0) c.fail();
  if (!c.ok()) return bad(ev, errc::bad_body, "load table or database name runs past the event");
  auto rest = as_chars(c.rest());
  if (create_file) {
    auto nul = rest.find('\0');
    if (nul == std::string_view::npos) return bad(ev, errc::bad_body, "create file name lacks its NUL");
    e.file_name = rest.substr(0, nul);
    e.block = c.rest().subspan(nul + 1);
  } else {
    e.file_name = rest;
  }
  return e;
}

// APPEND_BLOCK (9), BEGIN_LOAD_QUERY (17), EXEC_LOAD (10), DELETE_FILE (11):
//   | 4 file_id | data block (rest; empty for EXEC_LOAD and DELETE_FILE) |
res<file_block_event> file_block_impl(const event_view& ev) {
  cursor c(ev.body);
  file_block_event e;
  e.file_id = c.u32();
  if (!c.ok()) return bad(ev, errc::bad_post_header, "event lacks its 4-byte file id");
  e.block = c.rest();
  return e;
}

// GTID (33), ANONYMOUS_GTID (34):
//   | 1 flags | 16 sid | 8 gno |
//   | 1 logical clock type (2) | 8 last_committed | 8 sequence_number |     5.7+
//   | 7 immediate_commit_ts (bit 55: original follows) | [7 original_commit_ts] |  8.0.1+
//   | packed transaction_length |                                          8.0.2+
//   | 4 immediate_server_version (bit 31: original follows) | [4 original] |  8.0.14+
//   | 8 commit_group_ticket (bit 63 set when present) |                     8.0.33+
// GTID_TAGGED (42) uses MySQL's serialization library (see gtid_tagged_impl).
res<gtid_event> gtid_impl(const event_view& ev) {
  cursor c(ev.body);
  gtid_event g;
  g.anonymous = ev.type() == event_type::anonymous_gtid;
  g.flags = c.u8();
  auto sid = c.take(16);
  g.gno = static_cast<std::int64_t>(c.u64());
  if (!c.ok()) return bad(ev, errc::bad_body, "GTID event shorter than 25 bytes");
  std::copy(sid.begin(), sid.end(), g.sid.begin());
  if (c.empty()) return g;
  auto lt_type = c.u8();
  if (lt_type != 2) return bad(ev, errc::bad_body, "GTID logical clock type is not 2");
  g.has_logical_clock = true;
  g.last_committed = static_cast<std::int64_t>(c.u64());
  g.sequence_number = static_cast<std::int64_t>(c.u64());
  if (!c.ok()) return bad(ev, errc::bad_body, "GTID logical clock is cut short");
  if (c.empty()) return g;
  auto ts = c.uint(7);
  constexpr std::uint64_t original_flag = 1ull << 55;
  g.immediate_commit_timestamp = ts & ~original_flag;
  g.original_commit_timestamp = (ts & original_flag) ? c.uint(7) : *g.immediate_commit_timestamp;
  if (!c.ok()) return bad(ev, errc::bad_body, "GTID commit timestamps are cut short");
  if (c.empty()) return g;
  g.transaction_length = c.packed();
  if (!c.ok()) return bad(ev, errc::bad_body, "GTID transaction length is cut short");
  if (c.empty()) return g;
  auto sv = c.u32();
  constexpr std::uint32_t sv_flag = 1u << 31;
  g.immediate_server_version = sv & ~sv_flag;
  g.original_server_version = (sv & sv_flag) ? c.u32() : *g.immediate_server_version;
  if (!c.ok()) return bad(ev, errc::bad_body, "GTID server versions are cut short");
  if (!c.empty()) {
    auto ticket = c.u64();
    if (!c.ok()) return bad(ev, errc::bad_body, "GTID commit group ticket is cut short");
    if (ticket & (1ull << 63)) g.commit_group_ticket = ticket & ~(1ull << 63);
  }
  return g;
}

using detail::read_varlen;
using detail::read_varlen_signed;

// GTID_TAGGED (42): a serialized message, every integer a varlen (above):
//   | version (1) | message size (the whole body) | last non-ignorable field id |
//   then fields | field id | value | in id order; optional ones may be absent:
//   0 flags, 1 uuid (16 varlen bytes), 2 gno (signed), 3 tag (length + chars),
//   4 last_committed (signed), 5 sequence_number (signed), 6 immediate commit ts,
//   7 original commit ts, 8 transaction length, 9 immediate server version,
//   10 original server version, 11 commit group ticket.
res<gtid_event> gtid_tagged_impl(const event_view& ev) {
  cursor c(ev.body);
  gtid_event g;
  (void)read_varlen(c);  // serialization format version
  auto msg_size = read_varlen(c);
  (void)read_varlen(c);  // last non-ignorable field id
  if (!c.ok() || msg_size > ev.body.size() || msg_size < c.pos()) {
    return bad(ev, errc::bad_body, "tagged GTID message size does not fit the event");
  }
  cursor m(ev.body.first(static_cast<std::size_t>(msg_size)));
  m.skip(c.pos());
  bool have_uuid = false;
  while (m.ok() && !m.empty()) {
    auto id = read_varlen(m);
    if (!m.ok()) break;
    switch (id) {
      case 0: g.flags = static_cast<std::uint8_t>(read_varlen(m)); break;
      case 1:
        for (auto& b : g.sid) b = static_cast<std::uint8_t>(read_varlen(m));
        have_uuid = true;
        break;
      case 2: g.gno = read_varlen_signed(m); break;
      case 3: {
        auto n = read_varlen(m);
        g.tag = m.str(n);
        break;
      }
      case 4: g.last_committed = read_varlen_signed(m); g.has_logical_clock = true; break;
      case 5: g.sequence_number = read_varlen_signed(m); break;
      case 6: g.immediate_commit_timestamp = read_varlen(m); break;
      case 7: g.original_commit_timestamp = read_varlen(m); break;
      case 8: g.transaction_length = read_varlen(m); break;
      case 9: g.immediate_server_version = static_cast<std::uint32_t>(read_varlen(m)); break;
      case 10: g.original_server_version = static_cast<std::uint32_t>(read_varlen(m)); break;
      case 11: g.commit_group_ticket = read_varlen(m); break;
      default: return bad(ev, errc::bad_body, "tagged GTID has an unknown field id");
    }
  }
  if (!m.ok() || !have_uuid) return bad(ev, errc::bad_body, "tagged GTID fields run past the message");
  if (g.immediate_commit_timestamp && !g.original_commit_timestamp) {
    g.original_commit_timestamp = g.immediate_commit_timestamp;
  }
  if (g.immediate_server_version && !g.original_server_version) {
    g.original_server_version = g.immediate_server_version;
  }
  return g;
}

// PREVIOUS_GTIDS (35): | 8 n_sids (tagged format, 8.3+: | 1 format=1 | 6 n_sids | 1 format=1 |) |
//   n_sids × | 16 sid | [tagged: varlen tag length, tag] | 8 n_intervals |
//             n_intervals × | 8 start | 8 end | |
res<previous_gtids_event> previous_gtids_impl(const event_view& ev) {
  cursor c(ev.body);
  previous_gtids_event e;
  e.body = ev.body;
  auto n = c.u64();
  if (!c.ok()) return bad(ev, errc::bad_body, "previous GTIDs event shorter than 8 bytes");
  // Tagged format (8.3+): the first and last of the 8 bytes are the format (1), the six
  // between them the SID count. An untagged count never has its top byte set.
  e.tagged = (n & 0xff) == 1 && (n >> 56) == 1;
  e.sid_count = e.tagged ? (n >> 8) & 0xffffffffffffull : n;
  if (e.sid_count > c.remaining() / 24) return bad(ev, errc::bad_body, "previous GTIDs SID count exceeds the event");
  // Walk it once so that a bad body is caught here, not by a later consumer.
  auto walked = for_each_sid(e, ev.offset, [](const uuid_bytes&, std::string_view, bytes) {});
  if (!walked) return unexpected<error>(walked.error());
  return e;
}

// TRANSACTION_CONTEXT (36): | 1 uuid_len | 4 thread_id | 1 gtid_specified |
//   4 snapshot_version_len | 4 write_set_len | 4 read_set_len | uuid | snapshot version |
//   write set entries (| 2 len | data |) | read set entries |
res<transaction_context_event> transaction_context_impl(const event_view& ev) {
  cursor c(ev.body);
  transaction_context_event e;
  auto uuid_len = c.u8();
  e.thread_id = c.u32();
  e.gtid_specified = c.u8() != 0;
  auto snap_len = c.u32();
  e.write_set_count = c.u32();
  e.read_set_count = c.u32();
  e.server_uuid = c.str(uuid_len);
  e.snapshot_version = c.take(snap_len);
  for (std::uint32_t i = 0; c.ok() && i < e.write_set_count + e.read_set_count; ++i) c.skip(c.u16());
  if (!c.ok()) return bad(ev, errc::bad_body, "transaction context runs past the event");
  return e;
}

// VIEW_CHANGE (37): | 40 view_id | 8 seq_number | 4 cert_info_count | map entries |
res<view_change_event> view_change_impl(const event_view& ev) {
  cursor c(ev.body);
  view_change_event e;
  auto id = c.str(40);
  e.view_id = id.substr(0, std::min(id.find('\0'), id.size()));
  e.seq_number = static_cast<std::int64_t>(c.u64());
  e.cert_info_count = c.u32();
  if (!c.ok()) return bad(ev, errc::bad_body, "view change event shorter than 52 bytes");
  return e;
}

// XA_PREPARE (38): | 1 one_phase | 4 format_id | 4 gtrid_len | 4 bqual_len | gtrid bqual |
res<xa_prepare_event> xa_prepare_impl(const event_view& ev) {
  cursor c(ev.body);
  xa_prepare_event e;
  e.one_phase = c.u8() != 0;
  e.format_id = static_cast<std::int32_t>(c.u32());
  auto gl = c.u32();
  auto bl = c.u32();
  if (!c.ok() || gl > 64 || bl > 64) return bad(ev, errc::bad_body, "XA prepare lengths exceed 64 bytes");
  e.gtrid = c.str(gl);
  e.bqual = c.str(bl);
  if (!c.ok()) return bad(ev, errc::bad_body, "XA prepare identifiers run past the event");
  return e;
}

// TRANSACTION_PAYLOAD (40): header fields | packed type | packed length | value | until
// type 0 (end mark): 1 payload size, 2 compression type (0 zstd, 255 none), 3 uncompressed
// size; then the payload.
res<transaction_payload_event> transaction_payload_impl(const event_view& ev) {
  cursor c(ev.body);
  transaction_payload_event e;
  bool have_size = false;
  for (;;) {
    auto field = c.packed();
    if (!c.ok()) return bad(ev, errc::bad_body, "transaction payload header runs past the event");
    if (field == 0) break;
    auto len = c.packed();
    auto value = c.take(len);
    if (!c.ok()) return bad(ev, errc::bad_body, "transaction payload header field runs past the event");
    cursor v(value);
    auto x = v.packed();
    if (field == 1) { e.payload_size = x; have_size = true; }
    else if (field == 2) e.compression = static_cast<std::uint8_t>(x);
    else if (field == 3) e.uncompressed_size = x;
  }
  if (!have_size || e.payload_size != c.remaining()) {
    return bad(ev, errc::bad_body, "transaction payload size does not match the event");
  }
  if (e.compression != 0 && e.compression != 255) return bad(ev, errc::bad_body, "transaction payload compression type is unknown");
  e.payload = c.rest();
  return e;
}

// TABLE_MAP (19): post-header | 6 table_id (4 when post-header is 6) | 2 flags |
//   payload | 1 db_len | db | NUL | 1 table_len | table | NUL | packed column_count |
//           | column_count types | packed metadata_len | metadata | null bitmap |
//           | optional metadata (TLV, 8.0.1+ / MariaDB 10.5+) |
res<table_map_event> table_map_impl(const event_view& ev) {
  if (!post_header_fits(ev)) return bad(ev, errc::bad_post_header, "table map post-header is cut short");
  int phl = ev.format->post_header_length(ev.header.type_code);
  cursor ph(ev.post_header());
  table_map_event t;
  t.table_id = phl == 6 ? ph.u32() : ph.u48();
  t.flags = ph.u16();
  if (!ph.ok()) return bad(ev, errc::bad_post_header, "table map post-header is shorter than its fields");
  cursor c(ev.payload());
  auto db_len = c.u8();
  t.database = c.str(db_len);
  if (c.u8() != 0) c.fail();
  auto tbl_len = c.u8();
  t.table = c.str(tbl_len);
  if (c.u8() != 0) c.fail();
  if (!c.ok()) return bad(ev, errc::bad_body, "table map names run past the event or lack their NUL");
  t.column_count = c.packed();
  if (!c.ok() || t.column_count == 0 || t.column_count > c.remaining()) {
    return bad(ev, errc::bad_body, "table map column count is zero or exceeds the event");
  }
  t.column_types = c.take(t.column_count);
  if (c.empty()) return t;  // 4.x/5.0 pre-GA table maps may stop here
  auto meta_len = c.packed();
  t.metadata = c.take(meta_len);
  t.null_bitmap = c.take((t.column_count + 7) / 8);
  if (!c.ok()) return bad(ev, errc::bad_body, "table map metadata or null bitmap runs past the event");
  t.optional_metadata = c.rest();
  return t;
}

// Row events:
//   post-header | 6 table_id (4 when post-header is 6) | 2 flags |
//               | v2: 2 extra_len (counts itself) | extra data |
//   payload | packed column_count | columns-present bitmap | UPDATE: after-image bitmap |
//           | row images (MariaDB *_COMPRESSED: compressed row images) |
res<rows_event> rows_impl(const event_view& ev) {
  if (!post_header_fits(ev)) return bad(ev, errc::bad_post_header, "rows post-header is cut short");
  int phl = ev.format->post_header_length(ev.header.type_code);
  rows_event r;
  r.type = ev.type();
  cursor c(ev.body);
  r.table_id = phl == 6 ? c.u32() : c.u48();
  r.flags = c.u16();
  const auto t = ev.type();
  const bool v2 = t == event_type::write_rows_v2 || t == event_type::update_rows_v2 ||
                  t == event_type::delete_rows_v2 || t == event_type::partial_update_rows ||
                  ((t == event_type::write_rows_compressed || t == event_type::update_rows_compressed ||
                    t == event_type::delete_rows_compressed) && phl == 10);
  if (v2) {
    auto extra_len = c.u16();
    if (c.ok() && extra_len < 2) return bad(ev, errc::bad_post_header, "rows extra data length is below 2");
    r.extra_data = c.take(extra_len - 2u);
  }
  if (!c.ok()) return bad(ev, errc::bad_post_header, "rows post-header runs past the event");
  // Any post-header bytes beyond what we know are skipped, as the format allows.
  if (phl > 0 && c.pos() < static_cast<std::size_t>(phl) && !v2) c.skip(static_cast<std::size_t>(phl) - c.pos());
  r.column_count = c.packed();
  if (!c.ok() || r.column_count == 0) return bad(ev, errc::bad_body, "rows column count is missing or zero");
  auto bitmap = (r.column_count + 7) / 8;
  if (bitmap > c.remaining()) return bad(ev, errc::bad_body, "rows column bitmap exceeds the event");
  r.columns_before = c.take(bitmap);
  // Pre-GA UPDATE (MySQL 5.1.0-5.1.17) has one bitmap for both images.
  if (rows_kind_of(t) == rows_kind::update && t != event_type::pre_ga_update_rows) r.columns_after = c.take(bitmap);
  if (!c.ok()) return bad(ev, errc::bad_body, "rows column bitmaps run past the event");
  r.rows = c.rest();
  r.compressed = is_mariadb_compressed(t);
  return r;
}

// MariaDB GTID (162): | 8 seq_no | 4 domain_id | 1 flags2 |
//   | FL_GROUP_COMMIT_ID: 8 commit_id |
//   | FL_PREPARED_XA or FL_COMPLETED_XA: 4 format_id | 1 gtrid_len | 1 bqual_len | data |
//   | [1 flags_extra | MULTI_ENGINE (1): 1 engines | COMMIT/ROLLBACK_ALTER (4|8): 8 seq |]
//   short events are zero-padded to the 19-byte post-header (padding reads as
//   flags_extra = 0 and is ignored).
res<mariadb_gtid_event> mariadb_gtid_impl(const event_view& ev) {
  cursor c(ev.body);
  mariadb_gtid_event g;
  if (ev.body.size() < 19) return bad(ev, errc::bad_body, "MariaDB GTID event shorter than its 19-byte post-header");
  g.seq_no = c.u64();
  g.domain_id = c.u32();
  g.flags2 = c.u8();
  g.server_id = ev.header.server_id;
  if (!c.ok()) return bad(ev, errc::bad_body, "MariaDB GTID event shorter than 13 bytes");
  if (g.flags2 & mariadb_gtid_event::fl_group_commit_id) {
    g.commit_id = c.u64();
    if (!c.ok()) return bad(ev, errc::bad_body, "MariaDB GTID commit id is cut short");
  }
  if (g.flags2 & (mariadb_gtid_event::fl_prepared_xa | mariadb_gtid_event::fl_completed_xa)) {
    g.xa_format_id = c.u32();
    auto gl = c.u8();
    auto bl = c.u8();
    if (!c.ok() || gl > 64 || bl > 64) return bad(ev, errc::bad_body, "MariaDB GTID XA lengths exceed 64 bytes");
    g.xa_gtrid = c.str(gl);
    g.xa_bqual = c.str(bl);
    if (!c.ok()) return bad(ev, errc::bad_body, "MariaDB GTID XA identifier runs past the event");
  }
  if (!c.empty()) {
    g.flags_extra = c.u8();
    if (g.flags_extra & 1) g.extra_engines = c.u8();
    if (g.flags_extra & (4 | 8)) g.start_alter_seq_no = c.u64();
    if (!c.ok()) return bad(ev, errc::bad_body, "MariaDB GTID extra fields run past the event");
  }
  return g;
}

// MariaDB GTID_LIST (163): | 4 count (low 28 bits) and flags (high 4) |
//   count × | 4 domain_id | 4 server_id | 8 seq_no |
res<mariadb_gtid_list_event> mariadb_gtid_list_impl(const event_view& ev) {
  cursor c(ev.body);
  mariadb_gtid_list_event e;
  auto v = c.u32();
  if (!c.ok()) return bad(ev, errc::bad_body, "GTID list shorter than 4 bytes");
  e.count = v & 0x0fffffffu;
  e.flags = static_cast<std::uint8_t>(v >> 28);
  if (e.count > c.remaining() / 16) return bad(ev, errc::bad_body, "GTID list count exceeds the event");
  e.entries = c.take(std::size_t{e.count} * 16);
  return e;
}

// MariaDB BINLOG_CHECKPOINT (161): | 4 name_len | name |
res<binlog_checkpoint_event> binlog_checkpoint_impl(const event_view& ev) {
  cursor c(ev.body);
  auto len = c.u32();
  auto name = c.str(len);
  if (!c.ok()) return bad(ev, errc::bad_body, "binlog checkpoint name runs past the event");
  return binlog_checkpoint_event{name};
}

// MariaDB START_ENCRYPTION (164): | 1 scheme | 4 key_version | 12 nonce |
res<start_encryption_event> start_encryption_impl(const event_view& ev) {
  cursor c(ev.body);
  start_encryption_event e;
  e.scheme = c.u8();
  e.key_version = c.u32();
  e.nonce = c.take(12);
  if (!c.ok()) return bad(ev, errc::bad_body, "start encryption event shorter than 17 bytes");
  return e;
}

}  // namespace

mariadb_gtid mariadb_gtid_list_event::at(std::size_t i) const noexcept {
  const auto* p = entries.data() + i * 16;
  return {detail::le32(p), detail::le32(p + 4), detail::load_le(p + 8, 8)};
}

std::string format_uuid(const uuid_bytes& u) {
  return fmt::format("{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
                     "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                     u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
                     u[12], u[13], u[14], u[15]);
}

// Status variables: | 1 code | value | … ; lengths fixed per code except the strings.
query_status query_event::status() const noexcept {
  auto st = decode_query_status(status_vars, 0, static_cast<int>(event_type::query));
  return st ? *st : query_status{};
}

result<query_status> decode_query_status(bytes vars, std::uint64_t offset, int type) noexcept {
  query_status s;
  cursor c(vars);
  auto fail = [&](std::string_view what) { return make_error(errc::bad_body, offset, type, what); };
  while (!c.empty()) {
    auto code = c.u8();
    switch (code) {
      case 0: s.flags2 = c.u32(); break;
      case 1: s.sql_mode = c.u64(); break;
      case 2: {  // 5.0.0 – 5.0.3: length, string, NUL
        auto n = c.u8();
        s.catalog = c.str(n);
        c.skip(1);
        break;
      }
      case 3:
        s.auto_increment_increment = c.u16();
        s.auto_increment_offset = c.u16();
        break;
      case 4:
        s.charset_client = c.u16();
        s.collation_connection = c.u16();
        s.collation_server = c.u16();
        break;
      case 5: {
        auto n = c.u8();
        s.time_zone = c.str(n);
        break;
      }
      case 6: {
        auto n = c.u8();
        s.catalog = c.str(n);
        break;
      }
      case 7: s.lc_time_names = c.u16(); break;
      case 8: s.collation_database = c.u16(); break;
      case 9: s.table_map_for_update = c.u64(); break;
      case 10: s.master_data_written = c.u32(); break;
      case 11: {
        auto n = c.u8();
        s.invoker_user = c.str(n);
        auto m = c.u8();
        s.invoker_host = c.str(m);
        break;
      }
      case 12: {
        auto n = c.u8();
        s.updated_db_count = n;
        if (n != 254) {  // 254: more databases than fit (OVER_MAX_DBS_IN_EVENT_MTS)
          if (n > s.updated_dbs.size()) return fail("query updated-databases count exceeds 16");
          for (std::uint8_t i = 0; i < n && c.ok(); ++i) s.updated_dbs[i] = c.cstr();
        }
        break;
      }
      case 13: s.microseconds = c.u24(); break;
      case 14: c.skip(8); break;   // Q_COMMIT_TS (never written)
      case 15: c.skip(8); break;   // Q_COMMIT_TS2 (never written)
      case 16: s.explicit_defaults_ts = c.u8(); break;
      case 17: s.ddl_xid = c.u64(); break;
      case 18: s.default_collation_utf8mb4 = c.u16(); break;
      case 19: s.sql_require_primary_key = c.u8(); break;
      case 20: s.default_table_encryption = c.u8(); break;
      case 128: s.microseconds = c.u24(); break;  // MariaDB Q_HRNOW
      case 129: s.ddl_xid = c.u64(); break;       // MariaDB Q_XID
      case 130: s.gtid_flags3 = c.u8(); break;    // MariaDB Q_GTID_FLAGS3
      case 131: {                                  // MariaDB Q_CHARACTER_SET_COLLATIONS
        auto n = c.u8();
        s.character_set_collations = c.take(std::size_t{n} * 4);
        break;
      }
      default:
        // The length of an unknown code is unknowable: stop, as the servers do.
        s.unknown_code = code;
        return s;
    }
    if (!c.ok()) return fail("query status variable runs past its block");
  }
  return s;
}

result<query_event> decode_query(const event_view& ev) noexcept { return query_impl(ev); }
result<rotate_event> decode_rotate(const event_view& ev) noexcept { return rotate_impl(ev); }
result<table_map_event> decode_table_map(const event_view& ev) noexcept { return table_map_impl(ev); }
result<rows_event> decode_rows(const event_view& ev) noexcept { return rows_impl(ev); }
result<gtid_event> decode_gtid(const event_view& ev) noexcept {
  return ev.type() == event_type::gtid_tagged ? gtid_tagged_impl(ev) : gtid_impl(ev);
}
result<mariadb_gtid_event> decode_mariadb_gtid(const event_view& ev) noexcept { return mariadb_gtid_impl(ev); }
result<mariadb_gtid_list_event> decode_mariadb_gtid_list(const event_view& ev) noexcept {
  return mariadb_gtid_list_impl(ev);
}
result<xid_event> decode_xid(const event_view& ev) noexcept { return xid_impl(ev); }

namespace {
template <class T>
result<any_event> widen(result<T> r) {
  if (!r) return unexpected<error>(r.error());
  return result<any_event>(std::in_place, std::in_place_type<T>, std::move(*r));
}
}  // namespace

result<any_event> decode(const event_view& ev) noexcept {
  switch (ev.type()) {
    case event_type::format_description:
    case event_type::start_v3:
      return any_event{format_description_event{ev.format}};
    case event_type::query:
    case event_type::execute_load_query:
    case event_type::query_compressed:
      return widen(query_impl(ev));
    case event_type::stop: return any_event{stop_event{}};
    case event_type::rotate: return widen(rotate_impl(ev));
    case event_type::intvar: return widen(intvar_impl(ev));
    case event_type::rand: return widen(rand_impl(ev));
    case event_type::user_var: return widen(user_var_impl(ev));
    case event_type::xid: return widen(xid_impl(ev));
    case event_type::incident: return widen(incident_impl(ev));
    case event_type::heartbeat:
    case event_type::heartbeat_v2:
      return widen(heartbeat_impl(ev));
    case event_type::ignorable: return any_event{ignorable_event{}};
    case event_type::rows_query: return widen(rows_query_impl(ev));
    case event_type::table_map: return widen(table_map_impl(ev));
    case event_type::gtid:
    case event_type::anonymous_gtid:
    case event_type::gtid_tagged:
      return widen(decode_gtid(ev));
    case event_type::previous_gtids: return widen(previous_gtids_impl(ev));
    case event_type::transaction_context: return widen(transaction_context_impl(ev));
    case event_type::view_change: return widen(view_change_impl(ev));
    case event_type::xa_prepare: return widen(xa_prepare_impl(ev));
    case event_type::transaction_payload: return widen(transaction_payload_impl(ev));
    case event_type::load:
    case event_type::new_load:
    case event_type::create_file:
      return widen(load_impl(ev));
    case event_type::append_block:
    case event_type::exec_load:
    case event_type::delete_file:
    case event_type::begin_load_query:
      return widen(file_block_impl(ev));
    case event_type::annotate_rows: return any_event{annotate_rows_event{as_chars(ev.body)}};
    case event_type::binlog_checkpoint: return widen(binlog_checkpoint_impl(ev));
    case event_type::mariadb_gtid: return widen(mariadb_gtid_impl(ev));
    case event_type::mariadb_gtid_list: return widen(mariadb_gtid_list_impl(ev));
    case event_type::start_encryption: return widen(start_encryption_impl(ev));
    case event_type::slave: return any_event{unknown_event{ev.body}};
    default:
      if (is_rows_event(ev.type())) return widen(rows_impl(ev));
      return any_event{unknown_event{ev.body}};
  }
}

}  // namespace binlogkit
