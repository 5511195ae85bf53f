#include "binlogkit/tools/dump.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cmath>
#include <ctime>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "binlogkit/core/overloaded.hpp"
#include "binlogkit/events/compression.hpp"
#include "binlogkit/core/encoding.hpp"
#include "segments.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/rows/row_text.hpp"
#include "binlogkit/rows/rows.hpp"

namespace binlogkit {

namespace {

using json = nlohmann::ordered_json;

using detail::overloaded;

std::string hex(bytes b) {
  std::string s;
  s.reserve(b.size() * 2);
  for (auto x : b) fmt::format_to(std::back_inserter(s), "{:02x}", x);
  return s;
}

std::string gtid_text(const gtid_event& g) {
  if (g.tag.empty()) return fmt::format("{}:{}", format_uuid(g.sid), g.gno);
  return fmt::format("{}:{}:{}", format_uuid(g.sid), g.tag, g.gno);
}

std::string mariadb_gtid_text(const mariadb_gtid_event& g) {
  return fmt::format("{}-{}-{}", g.domain_id, g.server_id, g.seq_no);
}

// Fields of each typed event, shared by JSON (as members) and text (as "name=value").
void add_fields(json& j, const event_view& ev, const any_event& e) {
  std::visit(
      overloaded{
          [&](const format_description_event& f) {
            j["binlog_version"] = f.format->binlog_version();
            j["server_version"] = f.format->server_version();
            j["flavor"] = to_string(f.format->flavor());
            j["create_timestamp"] = f.format->create_timestamp();
            j["header_length"] = f.format->header_length();
            j["checksum_alg"] = f.format->checksum() == checksum_alg::crc32 ? "CRC32" : "OFF";
            j["in_use"] = (ev.header.flags & flag_binlog_in_use) != 0;
          },
          [&](const query_event& q) {
            j["thread_id"] = q.thread_id;
            j["exec_time"] = q.exec_time;
            j["error_code"] = q.error_code;
            j["database"] = q.database;
            if (q.compressed) j["query_compressed_hex"] = hex({reinterpret_cast<const std::uint8_t*>(q.query.data()), q.query.size()});
            else j["query"] = q.query;
            const query_status st = q.status();
            if (st.sql_mode) j["sql_mode"] = *st.sql_mode;
            if (st.flags2) j["flags2"] = *st.flags2;
            if (st.charset_client) {
              j["charset_client"] = *st.charset_client;
              j["collation_connection"] = *st.collation_connection;
              j["collation_server"] = *st.collation_server;
            }
            if (st.time_zone) j["time_zone"] = *st.time_zone;
            if (st.auto_increment_increment) {
              j["auto_increment_increment"] = *st.auto_increment_increment;
              j["auto_increment_offset"] = *st.auto_increment_offset;
            }
            if (st.microseconds) j["microseconds"] = *st.microseconds;
            if (st.ddl_xid) j["xid"] = *st.ddl_xid;
            if (ev.type() == event_type::execute_load_query) {
              j["file_id"] = q.file_id;
              j["fn_pos_start"] = q.fn_pos_start;
              j["fn_pos_end"] = q.fn_pos_end;
            }
          },
          [&](const rotate_event& r) {
            j["next_file"] = r.next_file;
            j["position"] = r.position;
          },
          [&](const intvar_event& i) {
            j["intvar"] = i.kind == 1 ? "LAST_INSERT_ID" : "INSERT_ID";
            j["value"] = i.value;
          },
          [&](const rand_event& r) {
            j["seed1"] = r.seed1;
            j["seed2"] = r.seed2;
          },
          [&](const user_var_event& u) {
            j["name"] = u.name;
            j["is_null"] = u.is_null;
            if (!u.is_null) {
              j["value_type"] = u.value_type;
              j["charset"] = u.charset;
              j["value_hex"] = hex(u.value);
            }
          },
          [&](const xid_event& x) { j["xid"] = x.xid; },
          [&](const incident_event& i) {
            j["incident"] = i.incident;
            j["message"] = i.message;
          },
          [&](const heartbeat_event& h) {
            j["log_file"] = h.log_file;
            j["position"] = h.position;
          },
          [&](const rows_query_event& r) { j["query"] = r.query; },
          [&](const annotate_rows_event& r) { j["query"] = r.query; },
          [&](const table_map_event& t) {
            j["table_id"] = t.table_id;
            j["database"] = t.database;
            j["table"] = t.table;
            j["column_count"] = t.column_count;
            j["column_types"] = hex(t.column_types);
          },
          [&](const rows_event& r) {
            j["table_id"] = r.table_id;
            j["stmt_end"] = (r.flags & rows_event::stmt_end_f) != 0;
            j["column_count"] = r.column_count;
            j["rows_bytes"] = r.rows.size();
          },
          [&](const gtid_event& g) {
            j["gtid"] = g.anonymous ? std::string("ANONYMOUS") : gtid_text(g);
            if (g.has_logical_clock) {
              j["last_committed"] = g.last_committed;
              j["sequence_number"] = g.sequence_number;
            }
            if (g.immediate_commit_timestamp) j["immediate_commit_timestamp"] = *g.immediate_commit_timestamp;
            if (g.original_commit_timestamp) j["original_commit_timestamp"] = *g.original_commit_timestamp;
            if (g.transaction_length) j["transaction_length"] = *g.transaction_length;
          },
          [&](const previous_gtids_event& p) {
            std::string set;
            (void)for_each_sid(p, ev.offset, [&](const uuid_bytes& sid, std::string_view tag, bytes iv) {
              if (!set.empty()) set += ",\n";
              set += format_uuid(sid);
              if (!tag.empty()) fmt::format_to(std::back_inserter(set), ":{}", tag);
              for (std::size_t i = 0; i + 16 <= iv.size(); i += 16) {
                auto s = static_cast<std::int64_t>(detail::load_le(iv.data() + i, 8));
                auto end = static_cast<std::int64_t>(detail::load_le(iv.data() + i + 8, 8));
                if (end - 1 == s) fmt::format_to(std::back_inserter(set), ":{}", s);
                else fmt::format_to(std::back_inserter(set), ":{}-{}", s, end - 1);
              }
            });
            j["gtid_set"] = set;
          },
          [&](const transaction_context_event& t) {
            j["server_uuid"] = t.server_uuid;
            j["thread_id"] = t.thread_id;
          },
          [&](const view_change_event& v) {
            j["view_id"] = v.view_id;
            j["seq_number"] = v.seq_number;
          },
          [&](const xa_prepare_event& x) {
            j["one_phase"] = x.one_phase;
            j["format_id"] = x.format_id;
            j["gtrid"] = x.gtrid;
            j["bqual"] = x.bqual;
          },
          [&](const transaction_payload_event& t) {
            j["compression"] = t.compression == 0 ? "ZSTD" : "NONE";
            j["payload_size"] = t.payload_size;
            j["uncompressed_size"] = t.uncompressed_size;
          },
          [&](const load_event& l) {
            j["database"] = l.database;
            j["table"] = l.table;
            j["file_name"] = l.file_name;
            if (ev.type() == event_type::create_file) j["file_id"] = l.file_id;
          },
          [&](const file_block_event& f) {
            j["file_id"] = f.file_id;
            j["block_size"] = f.block.size();
          },
          [&](const binlog_checkpoint_event& b) { j["checkpoint_file"] = b.file; },
          [&](const mariadb_gtid_event& g) {
            j["gtid"] = mariadb_gtid_text(g);
            j["domain_id"] = g.domain_id;
            j["seq_no"] = g.seq_no;
            j["flags2"] = g.flags2;
            j["standalone"] = (g.flags2 & mariadb_gtid_event::fl_standalone) != 0;
            if (g.commit_id) j["commit_id"] = *g.commit_id;
            if (g.xa_format_id) {
              j["xa_format_id"] = *g.xa_format_id;
              j["xa_gtrid"] = g.xa_gtrid;
              j["xa_bqual"] = g.xa_bqual;
            }
          },
          [&](const mariadb_gtid_list_event& l) {
            std::string set;
            for (std::size_t i = 0; i < l.count; ++i) {
              auto g = l.at(i);
              if (!set.empty()) set += ',';
              fmt::format_to(std::back_inserter(set), "{}-{}-{}", g.domain_id, g.server_id, g.seq_no);
            }
            j["gtid_list"] = set;
          },
          [&](const start_encryption_event& s) {
            j["scheme"] = s.scheme;
            j["key_version"] = s.key_version;
          },
          [&](const auto&) {},
      },
      e);
}

const std::string& timestamp_text(std::uint32_t ts) {
  // localtime_r is slow when TZ is unset (it re-reads /etc/localtime): remember the last.
  thread_local std::uint32_t last_ts = 0;
  thread_local std::string last_text;
  if (ts == last_ts && !last_text.empty()) return last_text;
  std::time_t t = ts;
  std::tm tm{};
  localtime_r(&t, &tm);
  last_ts = ts;
  last_text = fmt::format("{:02d}{:02d}{:02d} {:2d}:{:02d}:{:02d}", tm.tm_year % 100, tm.tm_mon + 1,
                          tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return last_text;
}

std::string base64(bytes b) {
  std::string out;
  append_base64(out, b);
  return out;
}

// Well-formed UTF-8 as RFC 3629 defines it (no overlong forms, surrogates or code points
// past U+10FFFF): anything else would be replaced by the JSON writer, so it goes out as
// base64 instead.
bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned c = p[i];
    if (c < 0x80) { ++i; continue; }
    std::size_t len;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return false;
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      if ((p[i + k] >> 6) != 2) return false;
    }
    i += len;
  }
  return true;
}

// MySQL's and MariaDB's latin1 collations (latin1 is cp1252 there, with the five
// positions cp1252 leaves undefined mapped to U+0081, U+008D, U+008F, U+0090, U+009D).
bool is_latin1_collation(std::uint32_t id) {
  switch (id) {
    case 5: case 8: case 15: case 31: case 47: case 48: case 49: case 94:
    case 1024 + 8: case 1024 + 47:  // MariaDB latin1_swedish_nopad_ci, latin1_nopad_bin
      return true;
    default: return false;
  }
}

constexpr std::uint16_t cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() * 2);
  for (char ch : s) {
    unsigned c = static_cast<unsigned char>(ch);
    if (c < 0x80) { out += ch; continue; }
    if (c < 0xA0) c = cp1252_high[c - 0x80];
    if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
    } else {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    }
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

// A value as JSON: numbers where lossless, DECIMAL as a string, temporal values in the
// servers' text form, text as a string, binary (charset 63, or bytes that are not UTF-8)
// as {"base64": "..."}.
json value_json(const value& v) {
  switch (v.kind()) {
    case value_kind::null: return nullptr;
    case value_kind::integer:
    case value_kind::enumeration:
    case value_kind::set:
    case value_kind::bit:
      if (v.kind() == value_kind::integer && !v.is_unsigned().value_or(false)) return v.as_int64();
      if (v.kind() == value_kind::integer) return v.as_uint64();
      if (v.kind() == value_kind::bit) return v.as_uint64();
      {
        auto t = v.to_text(text_style::sql);
        if (t && (v.kind() == value_kind::enumeration || v.kind() == value_kind::set) &&
            v.column() != nullptr && !v.column()->str_values.empty()) {
          return *t;
        }
      }
      return v.as_uint64();
    case value_kind::year: return v.as_int64();
    case value_kind::real: {
      // JSON has no NaN or infinity (neither column type can hold them either).
      auto d = v.as_double();
      if (std::isfinite(d)) return d;
      return nullptr;
    }
    case value_kind::string: {
      const auto* col = v.column();
      const bool binary = col != nullptr && col->charset && *col->charset == 63;
      if (binary && col->real_type == column_type::string && v.data().size() < col->length) {
        // BINARY(N) is stored without its trailing zero bytes; the column value has them.
        std::string padded(v.text());
        padded.resize(col->length, '\0');
        json b;
        b["base64"] = base64({reinterpret_cast<const std::uint8_t*>(padded.data()), padded.size()});
        return b;
      }
      if (!binary && col != nullptr && col->charset && is_latin1_collation(*col->charset)) {
        return latin1_to_utf8(v.text());
      }
      if (!binary && valid_utf8(v.text())) return std::string(v.text());
      json b;
      b["base64"] = base64(v.data());
      return b;
    }
    case value_kind::geometry:
    case value_kind::vector:
    case value_kind::compressed: {
      json b;
      b["base64"] = base64(v.data());
      return b;
    }
    default: {
      // DECIMAL, temporal values, MySQL JSON text, JSON diffs. A corrupt JSON document
      // can name strings that are not UTF-8: its bytes go out as base64 then.
      auto t = v.to_text(text_style::sql);
      if (!t) return nullptr;
      if (valid_utf8(*t)) return *t;
      json b;
      b["base64"] = base64(v.data());
      return b;
    }
  }
}

// One image as an array with a cell per table column. Columns the image does not hold
// (binlog_row_image=MINIMAL/NOBLOB) are null there, and their absence is said by
// `present` (the 0-based indexes of the columns it holds), which the caller adds only
// when some column is missing. A value that does not decode is an error, never a null.
result<json> image_json(const row_image& img, std::size_t width, json& present, bool& all_present) {
  json arr = json::array();
  std::vector<json> cells(width, json());
  present = json::array();
  std::size_t n = 0;
  for (const field_view& f : img) {
    if (f.index >= width) continue;
    BK_TRY(auto v, f.decode());
    cells[f.index] = value_json(v);
    present.push_back(f.index);
    ++n;
  }
  all_present = n == width;
  for (std::size_t i = 0; i < width; ++i) arr.push_back(std::move(cells[i]));
  return arr;
}

}  // namespace

std::string value_to_json(const value& v) {
  return value_json(v).dump(-1, ' ', false, json::error_handler_t::replace);
}

// Row images of one rows event into j["rows"], with the table's names.
static result<void> add_rows_json(json& j, const event_view& ev, const rows_event& r, const table_schema& schema,
                                  bytes inflated) {
  j["database"] = schema.database;
  j["table"] = schema.table;
  if (schema.has_column_names) {
    auto& names = j["columns"] = json::array();
    for (const auto& c : schema.columns) names.push_back(c.name);
  }
  auto& rows = j["rows"] = json::array();
  row_reader rr = r.compressed ? row_reader(r, schema, inflated, ev.offset) : row_reader(r, schema, ev.offset);
  for (;;) {
    BK_TRY(auto row, rr.next());
    if (!row) break;
    json x;
    json present;
    bool all = true;
    if (row->before) {
      BK_TRY(x["before"], image_json(*row->before, schema.columns.size(), present, all));
      if (!all) x["before_present"] = std::move(present);
    }
    if (row->after) {
      BK_TRY(x["after"], image_json(*row->after, schema.columns.size(), present, all));
      if (!all) x["after_present"] = std::move(present);
    }
    rows.push_back(std::move(x));
  }
  return {};
}

namespace {
json event_json_object(const event_view& ev, const any_event* decoded, std::string_view file) {
  json j;
  j["file"] = file;
  j["pos"] = ev.offset;
  j["end_pos"] = ev.end_offset();
  j["type"] = type_name(ev.header.type_code);
  j["type_code"] = ev.header.type_code;
  j["timestamp"] = ev.header.timestamp;
  j["server_id"] = ev.header.server_id;
  j["log_pos"] = ev.header.log_pos;
  j["flags"] = ev.header.flags;
  j["size"] = ev.header.event_size;
  j["checksum"] = to_string(ev.checksum);
  if (decoded != nullptr) add_fields(j, ev, *decoded);
  return j;
}
}  // namespace

std::string event_to_json(const event_view& ev, const any_event* decoded, std::string_view file) {
  return event_json_object(ev, decoded, file).dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

// Small formatted pieces go through fmt's stack buffer, then one append.
template <class... A>
void put(std::string& out, fmt::format_string<A...> f, A&&... args) {
  fmt::memory_buffer b;
  fmt::format_to(fmt::appender(b), f, std::forward<A>(args)...);
  out.append(b.data(), b.size());
}

// The hot path appends numbers without a format string.
void put_num(std::string& out, std::uint64_t v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}
void put_field(std::string& out, std::string_view name, std::uint64_t v) {
  out += '\t';
  out += name;
  out += '=';
  put_num(out, v);
}
// A name or text from the binlog: on the header line, escaped so that it stays one line.
void put_field(std::string& out, std::string_view name, std::string_view v) {
  out += '\t';
  out += name;
  out += '=';
  append_one_line(out, v, true);
}

// The fields of the most frequent events, written directly; every other type goes
// through the JSON field list (same names and values as dump --json).
bool append_hot_fields(std::string& out, const event_view& /*ev*/, const any_event& d, std::string_view& statement) {
  return std::visit(
      overloaded{
          [&](const query_event& q) {
            put_field(out, "thread_id", q.thread_id);
            put_field(out, "exec_time", q.exec_time);
            put_field(out, "error_code", q.error_code);
            if (!q.database.empty()) put_field(out, "database", q.database);
            if (q.compressed) out += "\tquery_compressed=true";
            else statement = q.query;
            return true;
          },
          [&](const table_map_event& t) {
            put_field(out, "table_id", t.table_id);
            put_field(out, "database", t.database);
            put_field(out, "table", t.table);
            put_field(out, "column_count", t.column_count);
            return true;
          },
          [&](const rows_event& r) {
            put_field(out, "table_id", r.table_id);
            put_field(out, "stmt_end", (r.flags & rows_event::stmt_end_f) != 0 ? "true" : "false");
            put_field(out, "column_count", r.column_count);
            put_field(out, "rows_bytes", r.rows.size());
            return true;
          },
          [&](const xid_event& x) {
            put_field(out, "xid", x.xid);
            return true;
          },
          [&](const mariadb_gtid_event& g) {
            out += "\tgtid=";
            put_num(out, g.domain_id);
            out += '-';
            put_num(out, g.server_id);
            out += '-';
            put_num(out, g.seq_no);
            put_field(out, "flags2", g.flags2);
            if (g.commit_id) put_field(out, "commit_id", *g.commit_id);
            return true;
          },
          [&](const annotate_rows_event& a) {
            statement = a.query;
            return true;
          },
          [&](const rows_query_event& a) {
            statement = a.query;
            return true;
          },
          [&](const auto&) { return false; },
      },
      d);
}

}  // namespace

std::string event_to_text(const event_view& ev, const any_event* decoded) {
  std::string out;
  append_event_text(out, ev, decoded);
  return out;
}

void append_event_text(std::string& out, const event_view& ev, const any_event* decoded) {
  out += "# at ";
  put_num(out, ev.offset);
  out += "\n#";
  out += timestamp_text(ev.header.timestamp);
  out += " server id ";
  put_num(out, ev.header.server_id);
  out += "  end_log_pos ";
  put_num(out, ev.end_log_pos());
  if (ev.checksum != checksum_status::none) {
    static constexpr char hex[] = "0123456789abcdef";
    char crc[19] = {' ', 'C', 'R', 'C', '3', '2', ' ', '0', 'x'};
    for (int i = 0; i < 8; ++i) crc[9 + i] = hex[(ev.stored_checksum >> (28 - 4 * i)) & 15];
    out.append(crc, 17);
    if (ev.checksum == checksum_status::bad) out += " (BAD)";
  }
  out += " \t";
  out += type_name(ev.header.type_code);
  std::string_view statement;
  if (decoded != nullptr && !append_hot_fields(out, ev, *decoded, statement)) {
    json j;
    add_fields(j, ev, *decoded);
    for (auto& [k, v] : j.items()) {
      if (k == "query") {
        statement = std::visit(
            overloaded{[](const query_event& q) { return q.query; },
                       [](const auto&) { return std::string_view{}; }},
            *decoded);
        continue;
      }
      if (v.is_string()) put_field(out, k, v.get<std::string>());
      else put(out, "\t{}={}", k, v.dump(-1, ' ', false, json::error_handler_t::replace));
    }
  }
  out += '\n';
  if (!statement.empty()) {
    out.append(statement);
    out += "\n/*!*/;\n";
  }
}

namespace {

// What one reader renders: its output buffer, the table maps it has seen, and its first
// error. dump_file uses one for the whole file, or one per parallel segment.
struct dump_state {
  const dump_options& options;
  std::string_view file;
  std::string buffer;
  result<void> first_error;
  std::map<std::uint64_t, table_schema> tables;  // table id → schema of its latest TABLE_MAP
  std::map<std::uint64_t, std::vector<std::uint8_t>> table_map_bytes;  // …and that map's body

  dump_state(const dump_options& o, std::string_view f) : options(o), file(f) {}

  void note(const error& e) {
    if (first_error) first_error = unexpected<error>(e);
  }

  // Whether the event at `offset` lies in one of options.skip_ranges.
  [[nodiscard]] bool left_out(std::uint64_t offset) const {
    const auto& r = options.skip_ranges;
    auto it = std::upper_bound(r.begin(), r.end(), offset,
                               [](std::uint64_t o, const std::pair<std::uint64_t, std::uint64_t>& x) { return o < x.first; });
    return it != r.begin() && offset < std::prev(it)->second;
  }

  // Renders one event (and, with verbosity, its rows). `payload` is the transaction
  // payload event holding it, if any.
  void render(const event_view& ev, const any_event* d, const event_view* payload) {
    const table_schema* schema = nullptr;
    const rows_event* rows = nullptr;
    std::vector<std::uint8_t> inflated;
    if (d != nullptr && options.verbosity > 0) {
      if (const auto* tm = std::get_if<table_map_event>(d)) {
        // Servers log the same table map before every statement: decode it once.
        auto& cached = table_map_bytes[tm->table_id];
        if (!std::equal(cached.begin(), cached.end(), ev.body.begin(), ev.body.end())) {
          auto s = decode_table_schema(*tm, ev.offset, ev.format->flavor());
          if (s) {
            tables[tm->table_id] = std::move(*s);
            cached.assign(ev.body.begin(), ev.body.end());
          } else {
            tables.erase(tm->table_id);
            cached.clear();
            note(s.error());
          }
        }
      } else if ((rows = std::get_if<rows_event>(d)) != nullptr) {
        auto it = tables.find(rows->table_id);
        if (it == tables.end()) {
          note(error{errc::missing_table_map, ev.offset, static_cast<std::int16_t>(ev.header.type_code),
                     "rows event for a table id with no TABLE_MAP before it"});
        } else {
          schema = &it->second;
          if (rows->compressed) {
            auto x = inflate_mariadb(rows->rows, ev.offset, ev.header.type_code);
            if (x) inflated = std::move(*x);
            else { note(x.error()); schema = nullptr; }
          }
        }
      }
    }
    if (options.json) {
      json j = event_json_object(ev, d, file);
      if (payload != nullptr) {
        // Name both places: the payload event in the file and the event inside it.
        j["pos"] = payload->offset;
        j["end_pos"] = payload->end_offset();
        j["payload_pos"] = payload->offset;
        j["inner_pos"] = ev.offset;
      }
      if (schema != nullptr) {
        auto r = add_rows_json(j, ev, *rows, *schema, {inflated.data(), inflated.size()});
        if (!r) note(r.error());
      }
      buffer += j.dump(-1, ' ', false, json::error_handler_t::replace);
      buffer += '\n';
    } else {
      if (payload != nullptr) {
        std::string text = event_to_text(ev, d);
        text.replace(0, text.find('\n'), fmt::format("# at {} (transaction payload) + {}", payload->offset, ev.offset));
        buffer += text;
      } else {
        append_event_text(buffer, ev, d);
      }
      if (schema != nullptr) {
        const auto style = ev.format->flavor() == flavor::mariadb ? text_style::mariadb_binlog : text_style::mysqlbinlog;
        auto r = append_rows_verbose(buffer, ev, *rows, *schema, {inflated.data(), inflated.size()}, style,
                                     options.verbosity >= 2);
        if (!r) note(r.error());
      }
    }
  }

  // One event of the file, already decoded: rendered, and for a MySQL transaction payload
  // the events inside it too, each named by the payload's offset and its own offset in
  // the inflated payload.
  void dump_event(const event_view& ev, const result<any_event>& decoded) {
    // Printed with "(BAD)", and still damage: the dump's result says so.
    if (ev.checksum == checksum_status::bad) {
      note(error{errc::checksum_mismatch, ev.offset, static_cast<std::int16_t>(ev.header.type_code),
                 "CRC32 checksum mismatch (the event is printed with its checksum marked BAD)"});
    }
    if (left_out(ev.offset)) return;
    const any_event* d = decoded ? &*decoded : nullptr;
    render(ev, d, nullptr);
    const auto* tp = d != nullptr ? std::get_if<transaction_payload_event>(d) : nullptr;
    if (tp == nullptr) return;
    auto inner = payload_reader::open(ev, *tp);
    if (!inner) {
      note(inner.error());
      return;
    }
    for (;;) {
      auto in = inner->next();
      if (!in) {
        note(in.error());
        return;
      }
      if (!in->has_value()) return;
      const event_view& iev = **in;
      auto idec = decode(iev);
      if (!idec) note(idec.error());
      render(iev, idec ? &*idec : nullptr, &ev);
    }
  }
};

reader_options reader_options_for(const dump_options& options) {
  reader_options ro;
  ro.verify_checksums = options.verify_checksums;
  ro.bad_checksum_is_error = false;
  ro.allow_unknown_types = options.allow_unknown_types;
  return ro;
}

void write_out(std::FILE* out, std::string& buffer) {
  std::fwrite(buffer.data(), 1, buffer.size(), out);
  buffer.clear();
}

result<void> dump_sequential(std::FILE* out, const source& src, const dump_options& options) {
  event_reader reader(src.data(), reader_options_for(options));
  dump_state st(options, src.name());
  // Pages behind the scan are dropped from the resident set as it goes (a mapped file
  // stays in the page cache): resident memory does not grow with the file.
  constexpr std::uint64_t release_step = 64ull << 20;
  constexpr std::uint64_t progress_step = 4ull << 20;
  std::uint64_t next_release = release_step;
  std::uint64_t reported = 0;
  for (;;) {
    if (reader.position() >= next_release) {
      src.release_before(reader.position());
      next_release = reader.position() + release_step;
    }
    if (options.progress && reader.position() - reported >= progress_step) {
      options.progress(reader.position() - reported);
      reported = reader.position();
    }
    auto next = reader.next();
    if (!next) {
      st.note(next.error());
      if (next.error().code == errc::encrypted) continue;
      break;
    }
    if (!next->has_value()) break;
    const event_view& ev = **next;
    if (options.stop_position && ev.offset >= *options.stop_position) break;
    auto decoded = decode(ev);
    if (!decoded) st.note(decoded.error());
    if (ev.offset < options.start_position && ev.type() != event_type::format_description) continue;
    st.dump_event(ev, decoded);
    if (st.buffer.size() > (1 << 16)) write_out(out, st.buffer);
  }
  write_out(out, st.buffer);
  if (options.progress) options.progress(reader.position() - reported);
  return st.first_error;
}

// Parallel dump: segments start at transaction boundaries (no table map is needed from
// before them); each is rendered by its own reader into its own buffer, and the buffers
// are written in file order. A segment counts only when the reader before it lands
// exactly on its start with the same layout; otherwise that reader goes on through it
// (writing directly once it is first in line) and the segment's output is dropped.
class parallel_dump {
 public:
  parallel_dump(std::FILE* out, const source& src, const dump_options& options, detail::segment_plan plan)
      : out_(out), src_(src), options_(options), plan_(std::move(plan)), starts_(plan_.starts) {}

  result<void> run(unsigned threads) {
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) {
      try {
        pool.emplace_back([this] { work(); });
      } catch (const std::system_error&) {
        break;
      }
    }
    work();
    for (auto& t : pool) t.join();
    return first_error_;
  }

 private:
  static constexpr std::size_t finished = static_cast<std::size_t>(-1);
  static constexpr std::size_t write_chunk = 1u << 20;
  static constexpr std::size_t max_pending = 96u << 20;  // output held while waiting its turn

  void work() {
    std::string buffer;  // reused from segment to segment: its pages stay mapped
    for (;;) {
      const std::size_t i = next_.fetch_add(1);
      if (i >= starts_.size()) return;
      segment(i, buffer);
    }
  }

  // Waits until segment i may write (true) or has been passed over (false).
  bool wait_turn(std::size_t i) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return head_.load() >= i; });
    return head_.load() == i;
  }

  void segment(std::size_t i, std::string& buffer) {
    const bytes data = src_.data();
    const reader_options ro = reader_options_for(options_);
    event_reader reader = i == 0 ? event_reader(data, ro) : event_reader(data, plan_.first, starts_[i], ro);
    dump_state st(options_, src_.name());
    buffer.clear();
    st.buffer = std::move(buffer);
    struct give_back {
      std::string& to;
      std::string& from;
      ~give_back() { to = std::move(from); }
    } keep{buffer, st.buffer};
    std::size_t next = i + 1;
    std::size_t continues_at = finished;
    std::uint64_t released = starts_[i];
    for (;;) {
      const std::uint64_t pos = reader.position();
      if (auto to = detail::handover(plan_, next, reader)) {
        continues_at = *to;
        break;
      }
      if (st.buffer.size() >= write_chunk) {
        const std::size_t h = head_.load();
        if (h != i && h > i) return;  // passed over: another reader covered this stretch
        if (h == i || (st.buffer.size() >= max_pending && wait_turn(i))) {
          write_out(out_, st.buffer);
        } else if (st.buffer.size() >= max_pending) {
          return;  // passed over while waiting
        }
      }
      if (pos - released >= (16u << 20)) {
        src_.release_range(released, pos);
        if (options_.progress) options_.progress(pos - released);
        released = pos;
      }
      auto ev = reader.next();
      if (!ev) {
        st.note(ev.error());
        if (ev.error().code == errc::encrypted) continue;
        break;
      }
      if (!ev->has_value()) break;
      auto decoded = decode(**ev);
      if (!decoded) st.note(decoded.error());
      st.dump_event(**ev, decoded);
    }
    src_.release_range(released, reader.position());
    if (options_.progress) options_.progress(reader.position() - released);
    if (!wait_turn(i)) return;
    write_out(out_, st.buffer);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (first_error_ && !st.first_error) first_error_ = st.first_error;
      head_.store(continues_at);
    }
    cv_.notify_all();
  }

  std::FILE* out_;
  const source& src_;
  const dump_options& options_;
  const detail::segment_plan plan_;
  const std::vector<std::uint64_t>& starts_;  // plan_.starts
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> head_{0};  // the segment whose output is written next
  std::mutex mutex_;
  std::condition_variable cv_;
  result<void> first_error_;  // under mutex_
};

}  // namespace

result<void> dump_file(std::FILE* out, const source& src, const dump_options& options) {
  src.advise_sequential();
  const bytes data = src.data();
  const unsigned threads = detail::thread_count(options.threads);
  if (threads < 2 || options.start_position != 0 || options.stop_position) return dump_sequential(out, src, options);
  auto plan = detail::plan_segments(data, options.segment_size, detail::segment_start::transaction);
  if (!plan) return dump_sequential(out, src, options);
  std::fflush(out);
  return parallel_dump(out, src, options, std::move(*plan)).run(threads);
}

}  // namespace binlogkit
