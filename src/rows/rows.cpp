#include "binlogkit/rows/rows.hpp"

#include <algorithm>
#include <charconv>
#include <bit>
#include <cstdio>
#include <cstring>

#include "binlogkit/rows/json_binary.hpp"

namespace binlogkit {

// ---- column types -------------------------------------------------------------------

std::string_view type_name(column_type t) noexcept {
  switch (t) {
    case column_type::decimal: return "DECIMAL";
    case column_type::tiny: return "TINY";
    case column_type::short_: return "SHORT";
    case column_type::long_: return "LONG";
    case column_type::float_: return "FLOAT";
    case column_type::double_: return "DOUBLE";
    case column_type::null: return "NULL";
    case column_type::timestamp: return "TIMESTAMP";
    case column_type::longlong: return "LONGLONG";
    case column_type::int24: return "INT24";
    case column_type::date: return "DATE";
    case column_type::time: return "TIME";
    case column_type::datetime: return "DATETIME";
    case column_type::year: return "YEAR";
    case column_type::newdate: return "NEWDATE";
    case column_type::varchar: return "VARCHAR";
    case column_type::bit: return "BIT";
    case column_type::timestamp2: return "TIMESTAMP2";
    case column_type::datetime2: return "DATETIME2";
    case column_type::time2: return "TIME2";
    case column_type::typed_array: return "TYPED_ARRAY";
    case column_type::varchar_compressed: return "VARCHAR_COMPRESSED";
    case column_type::blob_compressed: return "BLOB_COMPRESSED";
    case column_type::vector: return "VECTOR";
    case column_type::invalid: return "INVALID";
    case column_type::bool_: return "BOOL";
    case column_type::json: return "JSON";
    case column_type::newdecimal: return "NEWDECIMAL";
    case column_type::enum_: return "ENUM";
    case column_type::set: return "SET";
    case column_type::tiny_blob: return "TINY_BLOB";
    case column_type::medium_blob: return "MEDIUM_BLOB";
    case column_type::long_blob: return "LONG_BLOB";
    case column_type::blob: return "BLOB";
    case column_type::var_string: return "VAR_STRING";
    case column_type::string: return "STRING";
    case column_type::geometry: return "GEOMETRY";
  }
  return "UNKNOWN";
}

bool is_numeric(column_type t) noexcept {
  switch (t) {
    case column_type::tiny:
    case column_type::short_:
    case column_type::int24:
    case column_type::long_:
    case column_type::longlong:
    case column_type::newdecimal:
    case column_type::float_:
    case column_type::double_:
      return true;
    default:
      return false;
  }
}

namespace {

constexpr int table_map_type = static_cast<int>(event_type::table_map);

unexpected<error> bad_map(std::uint64_t offset, std::string_view detail) {
  return make_error(errc::bad_body, offset, table_map_type, detail);
}

// Columns the charset fields count: strings and BLOB/TEXT (MariaDB: GEOMETRY too).
bool is_character(const column_def& c, flavor fl) {
  switch (c.real_type) {
    case column_type::string:
    case column_type::var_string:
    case column_type::varchar:
    case column_type::varchar_compressed:
    case column_type::blob:
    case column_type::tiny_blob:
    case column_type::medium_blob:
    case column_type::long_blob:
    case column_type::blob_compressed:
      return true;
    case column_type::geometry:
      return fl == flavor::mariadb;
    default:
      return false;
  }
}

// Bytes of table-map metadata each type has (Table_map_event column types table).
int metadata_bytes(column_type t) {
  switch (t) {
    case column_type::float_:
    case column_type::double_:
    case column_type::tiny_blob:
    case column_type::medium_blob:
    case column_type::long_blob:
    case column_type::blob:
    case column_type::geometry:
    case column_type::json:
    case column_type::vector:
    case column_type::blob_compressed:
    case column_type::timestamp2:
    case column_type::datetime2:
    case column_type::time2:
      return 1;
    case column_type::varchar:
    case column_type::var_string:
    case column_type::varchar_compressed:
    case column_type::bit:
    case column_type::newdecimal:
    case column_type::enum_:
    case column_type::set:
    case column_type::string:
      return 2;
    default:
      return 0;
  }
}

// Fills meta, real_type and the decoded metadata fields from the metadata bytes.
void apply_metadata(column_def& c, const std::uint8_t* m) {
  c.real_type = c.type;
  switch (c.type) {
    case column_type::float_:
    case column_type::double_:
    case column_type::tiny_blob:
    case column_type::medium_blob:
    case column_type::long_blob:
    case column_type::blob:
    case column_type::geometry:
    case column_type::json:
    case column_type::vector:
    case column_type::blob_compressed:
      c.meta = m[0];
      c.length = m[0];
      break;
    case column_type::timestamp2:
    case column_type::datetime2:
    case column_type::time2:
      c.meta = m[0];
      c.scale = m[0];
      break;
    case column_type::varchar:
    case column_type::var_string:
    case column_type::varchar_compressed:
      c.meta = static_cast<std::uint16_t>(m[0] | (m[1] << 8));
      c.length = c.meta;
      break;
    case column_type::bit:
      // byte 0: bits beyond whole bytes, byte 1: whole bytes
      c.meta = static_cast<std::uint16_t>(m[0] | (m[1] << 8));
      c.length = static_cast<std::uint32_t>(m[1]) * 8 + m[0];
      break;
    case column_type::newdecimal:
      c.meta = static_cast<std::uint16_t>((m[0] << 8) | m[1]);
      c.precision = m[0];
      c.scale = m[1];
      break;
    case column_type::enum_:
    case column_type::set:
    case column_type::string: {
      c.meta = static_cast<std::uint16_t>((m[0] << 8) | m[1]);
      unsigned byte0 = m[0], byte1 = m[1];
      if (c.meta >= 256) {
        if ((byte0 & 0x30) != 0x30) {
          // CHAR longer than 255 bytes: two more length bits hide in the type byte
          // (bits 4-5, inverted).
          c.length = byte1 | (((byte0 & 0x30) ^ 0x30) << 4);
          c.real_type = static_cast<column_type>(byte0 | 0x30);
        } else {
          c.length = byte1;
          c.real_type = static_cast<column_type>(byte0);
        }
      } else {
        c.length = c.meta;
        c.real_type = column_type::string;
      }
      break;
    }
    default:
      break;
  }
}

// MSB-first bit lists of the optional metadata (SIGNEDNESS, COLUMN_VISIBILITY).
bool msb_bit(bytes b, std::size_t i) { return (b[i / 8] >> (7 - i % 8)) & 1; }
bool lsb_bit(bytes b, std::size_t i) { return (b[i / 8] >> (i % 8)) & 1; }

template <class Pred, class F>
void for_each_column(std::vector<column_def>& cols, Pred pred, F f) {
  std::size_t n = 0;
  for (auto& c : cols) {
    if (pred(c)) f(c, n++);
  }
}

// DEFAULT_CHARSET-style field: default collation, then (column ordinal, collation) pairs.
result<void> apply_default_charset(cursor& v, std::vector<column_def*>& targets, std::uint64_t offset) {
  std::uint64_t def = v.packed();
  if (!v.ok()) return bad_map(offset, "table map default charset is cut short");
  for (auto* c : targets) c->charset = static_cast<std::uint32_t>(def);
  while (!v.empty()) {
    std::uint64_t idx = v.packed();
    std::uint64_t coll = v.packed();
    if (!v.ok()) return bad_map(offset, "table map charset pair is cut short");
    if (idx < targets.size()) targets[idx]->charset = static_cast<std::uint32_t>(coll);
  }
  return {};
}

result<void> apply_column_charset(cursor& v, std::vector<column_def*>& targets, std::uint64_t offset) {
  for (auto* c : targets) {
    if (v.empty()) break;
    std::uint64_t coll = v.packed();
    if (!v.ok()) return bad_map(offset, "table map column charset is cut short");
    c->charset = static_cast<std::uint32_t>(coll);
  }
  return {};
}

result<void> apply_str_values(cursor& v, std::vector<column_def*>& targets, std::uint64_t offset) {
  for (auto* c : targets) {
    if (v.empty()) break;
    std::uint64_t count = v.packed();
    if (!v.ok() || count > v.remaining()) return bad_map(offset, "table map ENUM/SET value count exceeds the event");
    c->str_values.clear();
    c->str_values.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
      std::uint64_t len = v.packed();
      auto s = v.str(static_cast<std::size_t>(std::min<std::uint64_t>(len, v.remaining() + 1)));
      if (!v.ok()) return bad_map(offset, "table map ENUM/SET value runs past the event");
      c->str_values.emplace_back(s);
    }
  }
  return {};
}

}  // namespace

result<table_schema> decode_table_schema(const table_map_event& tm, std::uint64_t offset,
                                         enum flavor fl) noexcept {
  table_schema s;
  s.table_id = tm.table_id;
  s.database.assign(tm.database);
  s.table.assign(tm.table);
  s.flavor = fl;
  if (tm.column_count != tm.column_types.size()) return bad_map(offset, "table map column count does not match its types");
  s.columns.resize(tm.column_types.size());
  cursor meta(tm.metadata);
  for (std::size_t i = 0; i < s.columns.size(); ++i) {
    column_def& c = s.columns[i];
    c.type = static_cast<column_type>(tm.column_types[i]);
    c.real_type = c.type;
    int n = metadata_bytes(c.type);
    std::uint8_t m[4] = {};
    if (c.type == column_type::typed_array) {
      // | element type | that type's metadata |
      std::uint8_t inner = meta.u8();
      n = metadata_bytes(static_cast<column_type>(inner));
      meta.skip(static_cast<std::size_t>(n));
      if (!meta.ok()) return bad_map(offset, "table map metadata is shorter than its column types need");
      c.meta = inner;
      continue;
    }
    if (tm.metadata.empty() && n > 0) continue;  // early 5.1 table maps carry no metadata
    auto b = meta.take(static_cast<std::size_t>(n));
    if (!meta.ok()) return bad_map(offset, "table map metadata is shorter than its column types need");
    std::copy(b.begin(), b.end(), m);
    apply_metadata(c, m);
    if (c.type == column_type::json) ++s.json_columns;
    c.nullable = !tm.null_bitmap.empty() && i / 8 < tm.null_bitmap.size() && lsb_bit(tm.null_bitmap, i);
  }
  for (auto& c : s.columns) {
    if (c.real_type != c.type && c.type != column_type::string) c.real_type = c.type;
  }

  // Optional metadata: | 1 type | packed length | value | ..., any order.
  cursor tlv(tm.optional_metadata);
  while (!tlv.empty()) {
    const std::uint8_t type = tlv.u8();
    const std::uint64_t len = tlv.packed();
    if (!tlv.ok() || len > tlv.remaining()) return bad_map(offset, "table map optional metadata runs past the event");
    bytes value = tlv.take(static_cast<std::size_t>(len));
    cursor v(value);
    std::vector<column_def*> targets;
    auto select = [&](auto pred) {
      targets.clear();
      for (auto& c : s.columns) {
        if (pred(c)) targets.push_back(&c);
      }
    };
    auto character = [&](const column_def& c) { return is_character(c, fl); };
    auto enum_or_set = [](const column_def& c) { return c.is_enum() || c.is_set(); };
    switch (static_cast<table_metadata_field>(type)) {
      case table_metadata_field::signedness: {
        s.has_signedness = true;
        std::size_t n = 0;
        for (auto& c : s.columns) {
          if (!is_numeric(c.type)) continue;
          if (n / 8 < value.size()) c.is_unsigned = msb_bit(value, n);
          ++n;
        }
        break;
      }
      case table_metadata_field::default_charset:
        select(character);
        BK_TRY_VOID(apply_default_charset(v, targets, offset));
        break;
      case table_metadata_field::column_charset:
        select(character);
        BK_TRY_VOID(apply_column_charset(v, targets, offset));
        break;
      case table_metadata_field::enum_and_set_default_charset:
        select(enum_or_set);
        BK_TRY_VOID(apply_default_charset(v, targets, offset));
        break;
      case table_metadata_field::enum_and_set_column_charset:
        select(enum_or_set);
        BK_TRY_VOID(apply_column_charset(v, targets, offset));
        break;
      case table_metadata_field::column_name:
        s.has_column_names = true;
        for (auto& c : s.columns) {
          if (v.empty()) break;
          std::uint64_t n = v.packed();
          auto name = v.str(static_cast<std::size_t>(std::min<std::uint64_t>(n, v.remaining() + 1)));
          if (!v.ok()) return bad_map(offset, "table map column name runs past the event");
          c.name.assign(name);
        }
        break;
      case table_metadata_field::set_str_value:
        select([](const column_def& c) { return c.is_set(); });
        BK_TRY_VOID(apply_str_values(v, targets, offset));
        break;
      case table_metadata_field::enum_str_value:
        select([](const column_def& c) { return c.is_enum(); });
        BK_TRY_VOID(apply_str_values(v, targets, offset));
        break;
      case table_metadata_field::geometry_type:
        for (auto& c : s.columns) {
          if (c.type != column_type::geometry || v.empty()) continue;
          c.geometry_type = static_cast<std::uint32_t>(v.packed());
        }
        if (!v.ok()) return bad_map(offset, "table map geometry types are cut short");
        break;
      case table_metadata_field::vector_dimensionality:
        for (auto& c : s.columns) {
          if (c.type != column_type::vector || v.empty()) continue;
          c.vector_dimensions = static_cast<std::uint32_t>(v.packed());
        }
        if (!v.ok()) return bad_map(offset, "table map vector dimensions are cut short");
        break;
      case table_metadata_field::simple_primary_key:
      case table_metadata_field::primary_key_with_prefix: {
        const bool prefix = type == static_cast<std::uint8_t>(table_metadata_field::primary_key_with_prefix);
        while (!v.empty()) {
          std::uint64_t col = v.packed();
          std::uint64_t part = prefix ? v.packed() : 0;
          if (!v.ok() || col >= s.columns.size()) return bad_map(offset, "table map primary key names no column");
          s.primary_key.emplace_back(static_cast<std::uint32_t>(col), static_cast<std::uint32_t>(part));
          s.columns[col].primary_key = true;
          s.columns[col].primary_key_prefix = static_cast<std::uint32_t>(part);
        }
        break;
      }
      case table_metadata_field::column_visibility:
        for (std::size_t i = 0; i < s.columns.size() && i / 8 < value.size(); ++i) {
          s.columns[i].visible = msb_bit(value, i);
        }
        break;
      default:
        ++s.unknown_metadata_fields;
        break;
    }
  }
  return s;
}

// ---- values -------------------------------------------------------------------------

struct value_access {
  static value& set(value& v, const column_def* col, column_type t, value_kind k) {
    v.column_ = col;
    v.type_ = t;
    v.kind_ = k;
    return v;
  }
  static void ints(value& v, std::int64_t i, std::uint64_t u) {
    v.i_ = i;
    v.u_ = u;
  }
  static void real(value& v, double d) { v.d_ = d; }
  static void time(value& v, const temporal& t) { v.t_ = t; }
  static void data(value& v, bytes b) { v.data_ = b; }
  static void digits(value& v, std::uint8_t precision, std::uint8_t scale) {
    v.precision_ = precision;
    v.scale_ = scale;
  }
};

namespace {

unexpected<error> bad_value(std::uint64_t offset, int type, std::string_view detail) {
  return make_error(errc::bad_value, offset, type, detail);
}

std::int64_t sign_extend(std::uint64_t v, std::size_t bytes_) {
  if (bytes_ >= 8) return static_cast<std::int64_t>(v);
  const std::uint64_t m = std::uint64_t{1} << (8 * bytes_ - 1);
  return static_cast<std::int64_t>((v ^ m) - m);
}

// Length-prefixed values: the prefix width for strings is 1 byte up to 255 bytes.
std::size_t string_prefix(std::uint32_t max_length) { return max_length > 255 ? 2 : 1; }

}  // namespace

result<std::size_t> field_size(const column_def& col, bytes in, std::uint64_t offset, int event_type) noexcept {
  auto fixed = [&](std::size_t n) -> result<std::size_t> {
    if (n > in.size()) return bad_value(offset, event_type, "column value runs past the row");
    return n;
  };
  auto prefixed = [&](std::size_t prefix) -> result<std::size_t> {
    if (prefix < 1 || prefix > 4) return bad_value(offset, event_type, "column length prefix width is not 1-4 bytes");
    if (prefix > in.size()) return bad_value(offset, event_type, "column length runs past the row");
    const std::uint64_t len = detail::load_le(in.data(), prefix);
    if (len > in.size() - prefix) return bad_value(offset, event_type, "column value is longer than the row");
    return prefix + static_cast<std::size_t>(len);
  };
  switch (col.real_type) {
    case column_type::tiny: return fixed(1);
    case column_type::short_: return fixed(2);
    case column_type::int24: return fixed(3);
    case column_type::long_: return fixed(4);
    case column_type::longlong: return fixed(8);
    case column_type::float_: return fixed(4);
    case column_type::double_: return fixed(8);
    case column_type::null: return fixed(0);
    case column_type::year: return fixed(1);
    case column_type::date:
    case column_type::newdate:
    case column_type::time:
      return fixed(3);
    case column_type::timestamp: return fixed(4);
    case column_type::datetime: return fixed(8);
    case column_type::timestamp2: return fixed(4 + detail::temporal2_fraction_bytes(col.scale));
    case column_type::datetime2: return fixed(5 + detail::temporal2_fraction_bytes(col.scale));
    case column_type::time2: return fixed(3 + detail::temporal2_fraction_bytes(col.scale));
    case column_type::newdecimal: {
      auto n = decimal_binary_size(col.precision, col.scale);
      if (n == 0) return bad_value(offset, event_type, "decimal precision/scale are impossible");
      return fixed(n);
    }
    case column_type::decimal:
      // Pre-5.0 DECIMAL is a string of the column's display width, which the table map
      // does not carry.
      if (col.length == 0) return make_error(errc::unsupported, offset, event_type, "old DECIMAL value has no length in the table map");
      return fixed(col.length);
    case column_type::bit: return fixed((col.length + 7) / 8);
    case column_type::enum_:
      if (col.length != 1 && col.length != 2) return bad_value(offset, event_type, "ENUM pack length is not 1 or 2");
      return fixed(col.length);
    case column_type::set:
      if (col.length < 1 || col.length > 8) return bad_value(offset, event_type, "SET pack length is not 1-8");
      return fixed(col.length);
    case column_type::varchar:
    case column_type::var_string:
    case column_type::varchar_compressed:
    case column_type::string:
      return prefixed(string_prefix(col.length));
    case column_type::tiny_blob:
    case column_type::medium_blob:
    case column_type::long_blob:
    case column_type::blob:
    case column_type::geometry:
    case column_type::json:
    case column_type::vector:
    case column_type::blob_compressed:
      return prefixed(col.length);
    default:
      return make_error(errc::unsupported, offset, event_type, "column type cannot be read from a row");
  }
}

namespace {
// field_size for the commonest columns without building a result: fixed-size types and
// short strings (one length byte) whose bytes are all there. Anything else, including
// every error, goes through field_size.
inline std::size_t quick_size(const column_def& c, bytes in) noexcept {
  std::size_t n = 0;
  switch (c.real_type) {
    case column_type::tiny:
    case column_type::year: n = 1; break;
    case column_type::short_: n = 2; break;
    case column_type::int24:
    case column_type::date:
    case column_type::newdate:
    case column_type::time: n = 3; break;
    case column_type::long_:
    case column_type::float_:
    case column_type::timestamp: n = 4; break;
    case column_type::longlong:
    case column_type::double_:
    case column_type::datetime: n = 8; break;
    case column_type::varchar:
    case column_type::var_string:
    case column_type::string:
      if (string_prefix(c.length) != 1 || in.empty()) return 0;
      n = 1u + in[0];
      break;
    default: return 0;
  }
  return n <= in.size() ? n : 0;
}
}  // namespace

namespace {
// Fills `v` with the value of `col` in the first `size` bytes of `in` (checked by
// field_size). Values are built in place: a value is about 100 bytes, and the row
// loop would otherwise copy it through each result on the way out.
result<void> fill_value(value& v, const column_def& col, bytes in, std::size_t size, std::uint64_t offset,
                        int event_type) noexcept {
  const std::uint8_t* p = in.data();
  using A = value_access;
  auto integer = [&](std::size_t n) {
    A::set(v, &col, col.real_type, value_kind::integer);
    const std::uint64_t u = detail::load_le(p, n);
    A::ints(v, sign_extend(u, n), u);
  };
  auto body = [&](std::size_t prefix) { A::data(v, in.subspan(prefix, size - prefix)); };
  switch (col.real_type) {
    case column_type::tiny: integer(1); break;
    case column_type::short_: integer(2); break;
    case column_type::int24: integer(3); break;
    case column_type::long_: integer(4); break;
    case column_type::longlong: integer(8); break;
    case column_type::float_: {
      A::set(v, &col, col.real_type, value_kind::real);
      float f;
      std::memcpy(&f, p, 4);
      A::real(v, static_cast<double>(f));
      break;
    }
    case column_type::double_: {
      A::set(v, &col, col.real_type, value_kind::real);
      double d;
      std::memcpy(&d, p, 8);
      A::real(v, d);
      break;
    }
    case column_type::null:
      A::set(v, &col, col.real_type, value_kind::null);
      break;
    case column_type::year:
      A::set(v, &col, col.real_type, value_kind::year);
      A::ints(v, p[0] == 0 ? 0 : 1900 + p[0], p[0]);
      break;
    case column_type::date:
    case column_type::newdate: {
      A::set(v, &col, col.real_type, value_kind::date);
      const auto raw = static_cast<std::uint32_t>(detail::load_le(p, 3));
      A::time(v, detail::date_from_row(raw));
      A::ints(v, raw, raw);
      break;
    }
    case column_type::time: {
      A::set(v, &col, col.real_type, value_kind::time);
      const auto raw = detail::load_le(p, 3);
      const auto s = static_cast<std::int32_t>(sign_extend(raw, 3));
      const temporal t = detail::time_from_row(s);
      // HHMMSS as a number: digits out of range are no TIME value. That is what a MariaDB
      // TIME(N) of the format before 10.3 (mysql56_temporal_format=OFF) looks like: the
      // binlog says TIME and gives no precision, so its bytes cannot be read.
      if (t.minute > 59 || t.second > 59 || t.hour > 838) {
        return make_error(errc::bad_value, offset, event_type,
                          "TIME value is not HHMMSS (a MariaDB TIME(N) in the pre-10.3 format cannot be read "
                          "from a binlog)");
      }
      A::time(v, t);
      A::ints(v, s, raw);
      break;
    }
    case column_type::datetime: {
      A::set(v, &col, col.real_type, value_kind::datetime);
      const auto raw = detail::load_le(p, 8);
      const temporal t = detail::datetime_from_row(raw);
      // YYYYMMDDHHMMSS as a number: as for TIME, a MariaDB DATETIME(N) in the pre-10.3
      // format is logged as DATETIME without its precision and fails here instead of
      // printing a wrong date.
      if (t.year > 9999 || t.month > 12 || t.day > 31 || t.hour > 23 || t.minute > 59 || t.second > 59) {
        return make_error(errc::bad_value, offset, event_type,
                          "DATETIME value is not YYYYMMDDHHMMSS (a MariaDB DATETIME(N) in the pre-10.3 format "
                          "cannot be read from a binlog)");
      }
      A::time(v, t);
      A::ints(v, static_cast<std::int64_t>(raw), raw);
      break;
    }
    case column_type::timestamp: {
      A::set(v, &col, col.real_type, value_kind::timestamp);
      const auto raw = detail::load_le(p, 4);
      A::time(v, detail::utc_from_epoch(static_cast<std::int64_t>(raw)));
      A::ints(v, static_cast<std::int64_t>(raw), raw);
      break;
    }
    case column_type::timestamp2:
      A::set(v, &col, col.real_type, value_kind::timestamp);
      A::time(v, detail::timestamp2_from_row(p, col.scale));
      A::digits(v, 0, col.scale);
      break;
    case column_type::datetime2:
      A::set(v, &col, col.real_type, value_kind::datetime);
      A::time(v, detail::datetime2_from_row(p, col.scale));
      A::digits(v, 0, col.scale);
      break;
    case column_type::time2:
      A::set(v, &col, col.real_type, value_kind::time);
      A::time(v, detail::time2_from_row(p, col.scale));
      A::digits(v, 0, col.scale);
      break;
    case column_type::newdecimal:
      A::set(v, &col, col.real_type, value_kind::decimal);
      A::data(v, in.first(size));
      A::digits(v, col.precision, col.scale);
      break;
    case column_type::decimal:
      A::set(v, &col, col.real_type, value_kind::decimal);
      A::data(v, in.first(size));
      break;
    case column_type::bit: {
      A::set(v, &col, col.real_type, value_kind::bit);
      A::data(v, in.first(size));
      const std::size_t n = std::min<std::size_t>(size, 8);
      const std::uint64_t u = detail::load_be(p + (size - n), n);
      A::ints(v, static_cast<std::int64_t>(u), u);
      break;
    }
    case column_type::enum_:
    case column_type::set: {
      A::set(v, &col, col.real_type, col.real_type == column_type::enum_ ? value_kind::enumeration : value_kind::set);
      A::data(v, in.first(size));
      const std::uint64_t u = detail::load_le(p, size);
      A::ints(v, static_cast<std::int64_t>(u), u);
      break;
    }
    case column_type::varchar:
    case column_type::var_string:
    case column_type::string:
      A::set(v, &col, col.real_type, value_kind::string);
      body(string_prefix(col.length));
      break;
    case column_type::varchar_compressed:
      A::set(v, &col, col.real_type, value_kind::compressed);
      body(string_prefix(col.length));
      break;
    case column_type::blob_compressed:
      A::set(v, &col, col.real_type, value_kind::compressed);
      body(col.length);
      break;
    case column_type::tiny_blob:
    case column_type::medium_blob:
    case column_type::long_blob:
    case column_type::blob:
      A::set(v, &col, col.real_type, value_kind::string);
      body(col.length);
      break;
    case column_type::geometry:
      A::set(v, &col, col.real_type, value_kind::geometry);
      body(col.length);
      break;
    case column_type::json:
      A::set(v, &col, col.real_type, value_kind::json);
      body(col.length);
      break;
    case column_type::vector:
      A::set(v, &col, col.real_type, value_kind::vector);
      body(col.length);
      if (v.data().size() % 4 != 0) return bad_value(offset, event_type, "VECTOR value is not a whole number of floats");
      break;
    default:
      return make_error(errc::unsupported, offset, event_type, "column type cannot be read from a row");
  }
  return {};
}
}  // namespace

result<value> value::decode(const column_def& col, bytes in, std::size_t& size, std::uint64_t offset,
                            int event_type) noexcept {
  // One named result and one return, so that it is constructed in the caller's slot.
  result<value> out(std::in_place);
  auto n = field_size(col, in, offset, event_type);
  if (!n) {
    out = unexpected<error>(n.error());
  } else {
    size = *n;
    auto filled = fill_value(*out, col, in, size, offset, event_type);
    if (!filled) out = unexpected<error>(filled.error());
  }
  return out;
}

value value::make_null(const column_def* col) noexcept {
  value v;
  v.column_ = col;
  v.type_ = col ? col->real_type : column_type::null;
  v.kind_ = value_kind::null;
  return v;
}

std::optional<bool> value::is_unsigned() const noexcept {
  if (column_ == nullptr) return std::nullopt;
  return column_->is_unsigned;
}

result<decimal_text> value::decimal() const noexcept {
  if (kind_ != value_kind::decimal || type_ != column_type::newdecimal) {
    return make_error(errc::bad_value, 0, -1, "value is not a NEWDECIMAL");
  }
  return decode_decimal(data_, precision_, scale_);
}

std::string_view value::enum_string() const noexcept {
  if (column_ == nullptr || kind_ != value_kind::enumeration) return {};
  if (u_ == 0 || u_ > column_->str_values.size()) return {};
  return column_->str_values[u_ - 1];
}

namespace {

// mysqlbinlog's quoting (my_b_write_quoted): control bytes as \xNN; MySQL also
// escapes ' and \, MariaDB leaves them as they are.
void append_binlog_quoted(std::string& out, bytes s, bool escape_quotes) {
  static constexpr char hex[] = "0123456789abcdef";
  // Eight bytes at a time: "some byte < 0x20" and "some byte is a quote or a backslash" as word tests
  // (exact as yes/no answers: a borrow only ever marks bytes above a real hit).
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  auto special = [&](std::uint64_t x) {
    std::uint64_t m = (x - ones * 0x20) & ~x & highs;
    if (escape_quotes) {
      const std::uint64_t q = x ^ (ones * '\''), b = x ^ (ones * '\\');
      m |= ((q - ones) & ~q & highs) | ((b - ones) & ~b & highs);
    }
    return m != 0;
  };
  out += '\'';
  // Runs of bytes that need no escape are appended whole.
  std::size_t run = 0;
  const auto* p = s.data();
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    for (std::uint64_t x; i + 8 <= n; i += 8) {
      std::memcpy(&x, p + i, 8);
      if (special(x)) break;
    }
    const std::size_t stop = std::min(n, i + 8);
    for (; i < stop; ++i) {
      const std::uint8_t b = p[i];
      const bool plain = b > 0x1f && !(escape_quotes && (b == '\'' || b == '\\'));
      if (plain) continue;
      out.append(reinterpret_cast<const char*>(p) + run, i - run);
      run = i + 1;
      if (b > 0x1f) {
        out += '\\';
        out += static_cast<char>(b);
      } else {
        const char esc[4] = {'\\', 'x', hex[b >> 4], hex[b & 15]};
        out.append(esc, 4);
      }
    }
  }
  out.append(reinterpret_cast<const char*>(p) + run, n - run);
  out += '\'';
}

// b'0101...': `nbits` bits, most significant first, starting at the first byte's
// (8 * bytes - nbits)th bit.
void append_bits(std::string& out, bytes b, std::size_t nbits) {
  const std::size_t total = b.size() * 8;
  out += "b'";
  for (std::size_t i = total - std::min(nbits, total); i < total; ++i) {
    out += ((b[i / 8] >> (7 - i % 8)) & 1) ? '1' : '0';
  }
  out += '\'';
}

std::string printf_g(const char* fmt, double d) {
  char buf[400];
  int n = std::snprintf(buf, sizeof buf, fmt, d);
  return std::string(buf, static_cast<std::size_t>(std::max(n, 0)));
}

std::string with_quotes(std::string s) { return "'" + s + "'"; }

}  // namespace

result<std::string> value::to_text(text_style style) const {
  const bool sql = style == text_style::sql;
  const bool mysql = style == text_style::mysqlbinlog;
  std::string out;
  switch (kind_) {
    case value_kind::null:
      return std::string("NULL");
    case value_kind::integer: {
      const std::optional<bool> uns = mysql || sql ? is_unsigned() : std::nullopt;
      if (uns.has_value() || sql) {
        out = uns.value_or(false) ? std::to_string(u_) : std::to_string(i_);
      } else {
        out = std::to_string(i_);
        if (i_ < 0) out += " (" + std::to_string(u_) + ")";
      }
      return out;
    }
    case value_kind::real:
      if (type_ == column_type::float_) {
        if (sql) return format_gcvt(d_, gcvt_float_width, true);
        return printf_g("%-20g", d_);
      }
      if (sql) return format_gcvt(d_, gcvt_double_width);
      return printf_g("%-.20g", d_);
    case value_kind::decimal: {
      if (type_ == column_type::decimal) return std::string(text());
      BK_TRY(auto d, decode_decimal(data_, precision_, scale_));
      return d.str();
    }
    case value_kind::year: {
      char buf[16];
      if (sql) std::snprintf(buf, sizeof buf, "%04d", static_cast<int>(i_));
      else std::snprintf(buf, sizeof buf, "%04d", static_cast<int>(u_) + 1900);
      return std::string(buf);
    }
    case value_kind::date:
      detail::append_date(out, t_, sql ? '-' : ':');
      return sql ? out : with_quotes(out);
    case value_kind::time: {
      if (type_ == column_type::time && mysql) {
        // MySQL's mysqlbinlog reads the old TIME unsigned.
        char buf[48];
        const auto u = static_cast<std::uint32_t>(u_);
        std::snprintf(buf, sizeof buf, "'%02u:%02u:%02u'", u / 10000, (u % 10000) / 100, u % 100);
        return std::string(buf);
      }
      detail::append_time(out, t_, scale_);
      return sql ? out : with_quotes(out);
    }
    case value_kind::datetime:
      detail::append_datetime(out, t_, scale_);
      if (sql || (type_ == column_type::datetime && mysql)) return out;
      return with_quotes(out);
    case value_kind::timestamp: {
      if (!sql) {
        if (type_ == column_type::timestamp) return std::to_string(static_cast<std::int32_t>(u_));
        out = std::to_string(t_.epoch_seconds);
        if (scale_ > 0) {
          char buf[16];
          static constexpr std::uint32_t div[] = {1000000, 100000, 10000, 1000, 100, 10, 1};
          std::snprintf(buf, sizeof buf, ".%0*u", static_cast<int>(scale_), t_.microsecond / div[std::min<int>(scale_, 6)]);
          out += buf;
        }
        return out;
      }
      if (t_.epoch_seconds == 0 && t_.microsecond == 0) {
        temporal zero;
        detail::append_datetime(out, zero, scale_);
      } else {
        detail::append_datetime(out, t_, scale_);
      }
      return out;
    }
    case value_kind::string:
    case value_kind::geometry:
    case value_kind::compressed:
      if (sql) {
        out.assign(text());
        // BINARY(N) is stored without its trailing zero bytes; SELECT shows them.
        if (type_ == column_type::string && column_ != nullptr && column_->charset == 63u &&
            out.size() < column_->length) {
          out.append(column_->length - out.size(), '\0');
        }
        return out;
      }
      append_binlog_quoted(out, data_, mysql);
      return out;
    case value_kind::vector:
      if (!sql) {
        append_binlog_quoted(out, data_, mysql);
        return out;
      }
      out = "[";
      for (std::size_t i = 0; i + 4 <= data_.size(); i += 4) {
        float f;
        std::memcpy(&f, data_.data() + i, 4);
        if (i > 0) out += ',';
        out += printf_g("%.5e", static_cast<double>(f));
      }
      out += ']';
      return out;
    case value_kind::enumeration:
      if (sql && column_ != nullptr && !column_->str_values.empty()) {
        if (u_ == 0) return std::string();
        if (u_ <= column_->str_values.size()) return column_->str_values[u_ - 1];
      }
      return std::to_string(u_);
    case value_kind::set:
      if (sql) {
        if (column_ == nullptr || column_->str_values.empty()) return std::to_string(u_);
        for (std::size_t i = 0; i < 64 && i < column_->str_values.size(); ++i) {
          if ((u_ >> i) & 1) {
            if (!out.empty()) out += ',';
            out += column_->str_values[i];
          }
        }
        return out;
      }
      append_bits(out, data_, data_.size() * 8);
      return out;
    case value_kind::bit:
      if (sql) return std::to_string(u_);
      append_bits(out, data_, column_ ? column_->length : data_.size() * 8);
      return out;
    case value_kind::json: {
      BK_TRY(auto text, json_to_text(data_));
      if (sql) return text;
      append_binlog_quoted(out, bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), true);
      return out;
    }
    case value_kind::json_diff: {
      std::string name = "@" + std::to_string(index_ + 1);
      return json_diff_to_text(data_, name);
    }
  }
  return out;
}

result<void> value::append_text(std::string& out, text_style style) const {
  const bool sql = style == text_style::sql;
  const bool mysql = style == text_style::mysqlbinlog;
  switch (kind_) {
    case value_kind::null:
      out += "NULL";
      return {};
    case value_kind::integer: {
      const std::optional<bool> uns = mysql || sql ? is_unsigned() : std::nullopt;
      char buf[24];  // 20 digits and a sign at most
      if (uns.has_value() || sql) {
        out.append(buf, uns.value_or(false) ? std::to_chars(buf, buf + sizeof buf, u_).ptr
                                            : std::to_chars(buf, buf + sizeof buf, i_).ptr);
        return {};
      }
      out.append(buf, std::to_chars(buf, buf + sizeof buf, i_).ptr);
      if (i_ < 0) {  // mariadb-binlog adds the unsigned reading: -1 (255) for a TINYINT
        out += " (";
        out.append(buf, std::to_chars(buf, buf + sizeof buf, u_).ptr);
        out += ')';
      }
      return {};
    }
    case value_kind::string:
    case value_kind::geometry:
    case value_kind::compressed:
      if (!sql) {
        append_binlog_quoted(out, data_, mysql);
        return {};
      }
      break;
    default:
      break;
  }
  BK_TRY(auto text, to_text(style));
  out += text;
  return {};
}

// ---- row images ---------------------------------------------------------------------

result<value> field_view::decode() const noexcept {
  // One named result and one return (it is built in the caller's slot). The row iterator
  // sized `raw` with field_size already: the value is filled from it directly.
  result<value> out(std::in_place);
  if (column == nullptr) {
    out = make_error(errc::bad_value, offset, event_type, "field has no column definition");
  } else if (null) {
    *out = value::make_null(column);
    out->index_ = index;
  } else if (auto filled = fill_value(*out, *column, raw, raw.size(), offset, event_type); !filled) {
    out = unexpected<error>(filled.error());
  } else {
    out->index_ = index;
    if (partial) out->kind_ = value_kind::json_diff;
  }
  return out;
}

bool row_image::present(std::size_t column) const noexcept {
  return column < width_ && column / 8 < present_.size() && lsb_bit(present_, column);
}

bool row_image::null_at(std::size_t column, std::size_t nth) const noexcept {
  if (pre_ga_ != nullptr) {
    if (column >= pre_ga_->null_bit.size() || pre_ga_->null_bit[column] < 0) return false;
    const auto bit = static_cast<std::size_t>(pre_ga_->null_bit[column]);
    return bit / 8 < nulls_.size() && lsb_bit(nulls_, bit);
  }
  return nth / 8 < nulls_.size() && lsb_bit(nulls_, nth);
}

pre_ga_layout pre_ga_layout::for_record(const std::vector<bool>& nullable, bool packed_record) {
  pre_ga_layout l;
  int bit = packed_record ? 0 : 1;
  for (bool n : nullable) l.null_bit.push_back(n ? bit++ : -1);
  l.null_bytes = static_cast<std::uint32_t>((bit + 7) / 8);
  return l;
}

void row_image::iterator::settle() noexcept {
  const auto& cols = img_->schema_->columns;
  while (col_ < img_->width_ && !img_->present(col_)) {
    if (cols[col_].type == column_type::json) ++json_nth_;
    ++col_;
  }
  if (col_ >= img_->width_) {
    col_ = img_->width_;
    return;
  }
  const column_def& c = cols[col_];
  cur_ = field_view{};
  cur_.index = static_cast<std::uint32_t>(col_);
  cur_.column = &c;
  cur_.offset = img_->offset_;
  cur_.event_type = img_->event_type_;
  cur_.null = img_->null_at(col_, nth_);
  cur_.partial = c.type == column_type::json && !img_->partial_bits_.empty() &&
                 json_nth_ / 8 < img_->partial_bits_.size() && lsb_bit(img_->partial_bits_, json_nth_);
  if (!cur_.null && pos_ <= img_->values_.size()) {
    bytes rest = img_->values_.subspan(pos_);
    if (const std::size_t quick = quick_size(c, rest); quick != 0) {
      cur_.raw = rest.first(quick);
    } else {
      auto n = field_size(c, rest, img_->offset_, img_->event_type_);
      cur_.raw = n ? rest.first(*n) : bytes{};
    }
  }
}

row_image::iterator& row_image::iterator::operator++() noexcept {
  if (col_ >= img_->width_) return *this;
  if (!cur_.null) pos_ += cur_.raw.size();
  ++nth_;
  if (img_->schema_->columns[col_].type == column_type::json) ++json_nth_;
  ++col_;
  settle();
  return *this;
}

row_image::iterator row_image::begin() const noexcept {
  iterator it;
  it.img_ = this;
  if (schema_ != nullptr) it.settle();
  else it.col_ = width_;
  return it;
}

row_image::iterator row_image::end() const noexcept {
  iterator it;
  it.img_ = this;
  it.col_ = width_;
  return it;
}

std::optional<field_view> row_image::field(std::size_t column) const noexcept {
  if (!present(column)) return std::nullopt;
  for (auto it = begin(); it != end(); ++it) {
    if (it->index == column) return *it;
  }
  return std::nullopt;
}

result<value> row_image::at(std::size_t column) const noexcept {
  auto f = field(column);
  if (!f) return make_error(errc::bad_value, offset_, event_type_, "the row image does not hold this column");
  return f->decode();
}

// ---- row reader ---------------------------------------------------------------------

row_reader::row_reader(const rows_event& ev, const table_schema& schema, std::uint64_t event_offset) noexcept
    : ev_(&ev), schema_(&schema), rows_(ev.rows), offset_(event_offset), type_(static_cast<int>(ev.type)) {
  if (ev.compressed) {
    sticky_ = error{errc::unsupported, event_offset, static_cast<std::int16_t>(type_),
                    "compressed row images must be inflated first"};
  }
  check_layout();
}

// MySQL 5.1.0-5.1.17 (pre-GA rows, types 20-22) wrote rows in the storage engine's
// record format: the null bytes are the table's (one bit per nullable column, plus
// engine-reserved bits) and the table map of that era carries neither metadata nor
// nullability, so the values cannot be told apart without the table definition.
void row_reader::check_layout() noexcept {
  const auto t = static_cast<event_type>(type_);
  if (!sticky_ && (t == event_type::pre_ga_write_rows || t == event_type::pre_ga_update_rows ||
                   t == event_type::pre_ga_delete_rows)) {
    sticky_ = error{errc::unsupported, offset_, static_cast<std::int16_t>(type_),
                    "pre-GA row images are in the engine's record format"};
  }
}

row_reader::row_reader(const rows_event& ev, const table_schema& schema, bytes rows,
                       std::uint64_t event_offset) noexcept
    : ev_(&ev), schema_(&schema), rows_(rows), offset_(event_offset), type_(static_cast<int>(ev.type)) {
  check_layout();
}

row_reader::row_reader(const rows_event& ev, const table_schema& schema, const pre_ga_layout& layout,
                       std::uint64_t event_offset) noexcept
    : ev_(&ev), schema_(&schema), rows_(ev.rows), offset_(event_offset), type_(static_cast<int>(ev.type)) {
  const auto t = static_cast<event_type>(type_);
  if (t != event_type::pre_ga_write_rows && t != event_type::pre_ga_update_rows &&
      t != event_type::pre_ga_delete_rows) {
    check_layout();
    return;
  }
  pre_ga_ = &layout;
  columns_after_ = ev.columns_before;  // one bitmap for both images (decode_rows reads one)
  if (layout.null_bit.size() < static_cast<std::size_t>(ev.column_count) && !sticky_) {
    sticky_ = error{errc::bad_value, event_offset, static_cast<std::int16_t>(type_),
                    "pre-GA record layout has fewer columns than the rows event"};
  }
}

result<void> row_reader::read_image(bytes present, bool partial_after, row_image& img) noexcept {
  const std::size_t width = static_cast<std::size_t>(ev_->column_count);
  img.schema_ = schema_;
  img.present_ = present;
  img.offset_ = offset_;
  img.event_type_ = type_;
  img.width_ = width;
  const std::size_t start = pos_;
  cursor c(rows_.subspan(pos_));
  if (partial_after) {
    // PARTIAL_UPDATE after image: | packed value_options | partial bits, one per JSON
    // column of the table (when PARTIAL_JSON_UPDATES = 1 is set) |
    img.value_options_ = c.packed();
    if (!c.ok()) return bad_value(offset_, type_, "partial update value options run past the event");
    if (img.value_options_ & 1) {
      img.partial_bits_ = c.take((schema_->json_columns + 7) / 8);
      if (!c.ok()) return bad_value(offset_, type_, "partial update JSON bitmap runs past the event");
    }
  }
  img.pre_ga_ = pre_ga_;
  std::size_t n_present = 0;
  for (std::size_t i = 0; i < width; ++i) n_present += lsb_bit(present, i);
  img.nulls_ = c.take(pre_ga_ != nullptr ? pre_ga_->null_bytes : (n_present + 7) / 8);
  if (!c.ok()) return bad_value(offset_, type_, "row null bitmap runs past the event");
  const std::size_t values_start = pos_ + c.pos();
  bytes rest = c.rest();
  std::size_t used = 0, nth = 0;
  for (std::size_t i = 0; i < width; ++i) {
    if (!lsb_bit(present, i)) continue;
    const bool is_null = img.null_at(i, nth++);
    if (is_null) continue;
    const bytes at = rest.subspan(used);
    if (const std::size_t quick = quick_size(schema_->columns[i], at); quick != 0) {
      used += quick;
      continue;
    }
    BK_TRY(auto n, field_size(schema_->columns[i], at, offset_, type_));
    used += n;
  }
  img.values_ = rows_.subspan(values_start, used);
  pos_ = values_start + used;
  img.raw_ = rows_.subspan(start, pos_ - start);
  return {};
}

// One named result and one return, so that the row (two images, a few hundred bytes)
// is built where the caller receives it instead of being copied for every row.
result<std::optional<row_change>> row_reader::next() noexcept {
  result<std::optional<row_change>> out(std::in_place);
  if (sticky_) {
    out = unexpected<error>(*sticky_);
  } else if (pos_ < rows_.size()) {
    auto r = read_row((*out).emplace());
    if (!r) {
      sticky_ = r.error();
      out = unexpected<error>(r.error());
    }
  }
  return out;
}

result<void> row_reader::read_row(row_change& rc) noexcept {
  auto fail = [](const error& e) -> result<void> { return unexpected<error>(e); };
  const std::size_t width = static_cast<std::size_t>(ev_->column_count);
  if (width > schema_->columns.size()) {
    return fail(error{errc::bad_value, offset_, static_cast<std::int16_t>(type_),
                      "rows event has more columns than its table map"});
  }
  if (ev_->columns_before.size() * 8 < width) {
    return fail(error{errc::bad_value, offset_, static_cast<std::int16_t>(type_), "rows event column bitmap is short"});
  }
  // Every row takes at least one byte (its null bitmap, or a value); a row of no bytes
  // (a column bitmap with no bits set) would be read forever.
  const std::size_t row_start = pos_;
  rc.kind = rows_kind_of(ev_->type);
  switch (rc.kind) {
    case rows_kind::write: {
      auto img = read_image(ev_->columns_before, false, rc.after.emplace());
      if (!img) return fail(img.error());
      break;
    }
    case rows_kind::erase: {
      auto img = read_image(ev_->columns_before, false, rc.before.emplace());
      if (!img) return fail(img.error());
      break;
    }
    case rows_kind::update: {
      if (pre_ga_ != nullptr) {
        auto b = read_image(columns_after_, false, rc.before.emplace());
        if (!b) return fail(b.error());
        auto a = read_image(columns_after_, false, rc.after.emplace());
        if (!a) return fail(a.error());
        break;
      }
      if (ev_->columns_after.size() * 8 < width) {
        return fail(error{errc::bad_value, offset_, static_cast<std::int16_t>(type_), "rows event column bitmap is short"});
      }
      auto b = read_image(ev_->columns_before, false, rc.before.emplace());
      if (!b) return fail(b.error());
      auto a = read_image(ev_->columns_after, ev_->type == event_type::partial_update_rows, rc.after.emplace());
      if (!a) return fail(a.error());
      break;
    }
    default:
      return fail(error{errc::bad_value, offset_, static_cast<std::int16_t>(type_), "event is not a rows event"});
  }
  if (pos_ == row_start) {
    return fail(error{errc::bad_value, offset_, static_cast<std::int16_t>(type_),
                      "row image holds no columns and no bytes"});
  }
  return {};
}

}  // namespace binlogkit
