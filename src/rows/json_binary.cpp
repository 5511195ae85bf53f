#include "binlogkit/rows/json_binary.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "binlogkit/rows/decimal.hpp"
#include "binlogkit/rows/rows.hpp"

namespace binlogkit {

namespace {

constexpr std::uint8_t t_small_object = 0x00, t_large_object = 0x01, t_small_array = 0x02,
                       t_large_array = 0x03, t_literal = 0x04, t_int16 = 0x05, t_uint16 = 0x06,
                       t_int32 = 0x07, t_uint32 = 0x08, t_int64 = 0x09, t_uint64 = 0x0a,
                       t_double = 0x0b, t_string = 0x0c, t_opaque = 0x0f;

// MySQL column types that JSON opaque values render as text.
constexpr std::uint8_t mt_timestamp = 7, mt_date = 10, mt_time = 11, mt_datetime = 12,
                       mt_newdate = 14, mt_timestamp2 = 17, mt_datetime2 = 18, mt_time2 = 19,
                       mt_newdecimal = 246, mt_var_string = 253;

unexpected<error> bad(std::uint64_t offset, int type, std::string_view detail) {
  return make_error(errc::bad_value, offset, type, detail);
}

// Length of a string or opaque payload: 7 bits a byte, least significant first.
bool read_varlen(cursor& c, std::uint64_t& len) {
  len = 0;
  for (int i = 0; i < 5; ++i) {
    std::uint8_t b = c.u8();
    if (!c.ok()) return false;
    len |= std::uint64_t{b & 0x7fu} << (7 * i);
    if ((b & 0x80) == 0) return len <= 0xffffffffu;
  }
  return false;
}

bool inlined(std::uint8_t type, bool large) {
  switch (type) {
    case t_literal:
    case t_int16:
    case t_uint16:
      return true;
    case t_int32:
    case t_uint32:
      return large;
    default:
      return false;
  }
}

void append_base64(std::string& out, bytes in) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t line = 0;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    // MySQL's base64_encode breaks lines every 76 characters.
    if (line == 76) {
      out += '\n';
      line = 0;
    }
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    if (i + 1 < in.size()) v |= std::uint32_t{in[i + 1]} << 8;
    if (i + 2 < in.size()) v |= in[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? alphabet[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? alphabet[v & 63] : '=';
    line += 4;
  }
}

std::int64_t load_i64(bytes b) {
  return static_cast<std::int64_t>(detail::load_le(b.data(), 8));
}

}  // namespace

// ---- parsing ------------------------------------------------------------------------

result<json_value> json_value::parse(std::uint8_t type, bytes data, int depth,
                                     std::uint64_t offset, int event_type) noexcept {
  json_value v;
  v.offset_ = offset;
  v.event_type_ = static_cast<std::int16_t>(event_type);
  v.depth_ = static_cast<std::uint8_t>(std::min(depth, 255));
  cursor c(data);
  switch (type) {
    case t_small_object:
    case t_large_object:
    case t_small_array:
    case t_large_array: {
      if (depth >= json_max_depth) return bad(offset, event_type, "JSON document nests too deeply");
      const bool large = type == t_large_object || type == t_large_array;
      const bool object = type == t_small_object || type == t_large_object;
      const std::size_t w = large ? 4 : 2;
      const std::uint64_t count = c.uint(w);
      const std::uint64_t size = c.uint(w);
      if (!c.ok() || size > data.size() || size < 2 * w) {
        return bad(offset, event_type, "JSON container is larger than its bytes");
      }
      const std::uint64_t key_entry = w + 2, value_entry = 1 + w;
      const std::uint64_t header = 2 * w + count * ((object ? key_entry : 0) + value_entry);
      if (count > size || header > size) return bad(offset, event_type, "JSON container entries exceed its size");
      v.kind_ = object ? json_kind::object : json_kind::array;
      v.large_ = large;
      v.count_ = static_cast<std::uint32_t>(count);
      v.data_ = data.first(static_cast<std::size_t>(size));
      return v;
    }
    case t_literal: {
      auto b = c.u8();
      if (!c.ok() || b > 2) return bad(offset, event_type, "JSON literal is not null, true or false");
      v.kind_ = b == 0 ? json_kind::null : json_kind::boolean;
      v.u_ = b == 1 ? 1 : 0;
      return v;
    }
    case t_int16:
    case t_uint16:
    case t_int32:
    case t_uint32:
    case t_int64:
    case t_uint64: {
      const std::size_t n = type <= t_uint16 ? 2 : type <= t_uint32 ? 4 : 8;
      std::uint64_t raw = c.uint(n);
      if (!c.ok()) return bad(offset, event_type, "JSON number is cut short");
      const bool is_signed = type == t_int16 || type == t_int32 || type == t_int64;
      if (is_signed && n < 8 && (raw >> (8 * n - 1)) != 0) raw |= ~std::uint64_t{0} << (8 * n);
      v.kind_ = is_signed ? json_kind::int64 : json_kind::uint64;
      v.u_ = raw;
      return v;
    }
    case t_double: {
      auto raw = c.u64();
      if (!c.ok()) return bad(offset, event_type, "JSON double is cut short");
      std::memcpy(&v.d_, &raw, sizeof raw);
      v.kind_ = json_kind::double_;
      return v;
    }
    case t_string: {
      std::uint64_t len = 0;
      if (!read_varlen(c, len) || len > c.remaining()) {
        return bad(offset, event_type, "JSON string runs past its container");
      }
      v.kind_ = json_kind::string;
      v.data_ = c.take(static_cast<std::size_t>(len));
      return v;
    }
    case t_opaque: {
      v.opaque_type_ = c.u8();
      std::uint64_t len = 0;
      if (!c.ok() || !read_varlen(c, len) || len > c.remaining()) {
        return bad(offset, event_type, "JSON opaque value runs past its container");
      }
      v.kind_ = json_kind::opaque;
      v.data_ = c.take(static_cast<std::size_t>(len));
      return v;
    }
    default:
      return bad(offset, event_type, "JSON value type is unknown");
  }
}

result<json_value> parse_json_binary(bytes doc, std::uint64_t offset, int event_type) noexcept {
  // An empty document is what the server stores for NULL put into a NOT NULL JSON
  // column; it reads it back as the null literal.
  if (doc.empty()) {
    static constexpr std::uint8_t null_literal[] = {0};
    return json_value::parse(t_literal, bytes(null_literal), 0, offset, event_type);
  }
  return json_value::parse(doc[0], doc.subspan(1), 0, offset, event_type);
}

result<json_value> json_value::entry_value(std::size_t i) const noexcept {
  const std::size_t w = large_ ? 4 : 2;
  const std::size_t key_entry = w + 2, value_entry = 1 + w;
  const std::size_t base =
      2 * w + (kind_ == json_kind::object ? count_ * key_entry : 0) + i * value_entry;
  cursor c(data_.subspan(base));
  const std::uint8_t type = c.u8();
  if (inlined(type, large_)) {
    // The value sits in the entry itself, little-endian in its first bytes.
    const std::size_t n = type == t_literal ? 1 : (type == t_int16 || type == t_uint16) ? 2 : 4;
    return parse(type, data_.subspan(base + 1, n), depth_ + 1, offset_, event_type_);
  }
  const std::uint64_t off = c.uint(w);
  const std::size_t header = 2 * w + count_ * ((kind_ == json_kind::object ? key_entry : 0) + value_entry);
  if (!c.ok() || off < header || off >= data_.size()) {
    return bad(offset_, event_type_, "JSON value offset points outside its container");
  }
  return parse(type, data_.subspan(static_cast<std::size_t>(off)), depth_ + 1, offset_, event_type_);
}

result<json_value> json_value::element(std::size_t i) const noexcept {
  if ((kind_ != json_kind::array && kind_ != json_kind::object) || i >= count_) {
    return bad(offset_, event_type_, "JSON element index is out of range");
  }
  return entry_value(i);
}

result<std::string_view> json_value::key(std::size_t i) const noexcept {
  if (kind_ != json_kind::object || i >= count_) return bad(offset_, event_type_, "JSON key index is out of range");
  const std::size_t w = large_ ? 4 : 2;
  cursor c(data_.subspan(2 * w + i * (w + 2)));
  const std::uint64_t off = c.uint(w);
  const std::uint64_t len = c.u16();
  if (!c.ok() || off > data_.size() || len > data_.size() - off) {
    return bad(offset_, event_type_, "JSON key runs past its object");
  }
  return as_chars(data_.subspan(static_cast<std::size_t>(off), static_cast<std::size_t>(len)));
}

result<std::optional<json_value>> json_value::member(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < count_ && kind_ == json_kind::object; ++i) {
    BK_TRY(auto k, key(i));
    if (k == name) {
      BK_TRY(auto v, element(i));
      return std::optional<json_value>(v);
    }
  }
  return std::optional<json_value>();
}

// ---- text ---------------------------------------------------------------------------

void append_json_quoted(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        auto u = static_cast<unsigned char>(ch);
        if (u < 0x1f) {  // MySQL leaves 0x1f itself as it is
          out += "\\u00";
          out += hex[u >> 4];
          out += hex[u & 15];
        } else {
          out += ch;
        }
      }
    }
  }
  out += '"';
}

namespace {

// How an opaque value reads as text: a decimal number (unquoted), a date/time (quoted),
// a string, or base64.
enum class opaque_form { number, temporal, string, base64 };

opaque_form form_of(std::uint8_t type) {
  switch (type) {
    case mt_newdecimal: return opaque_form::number;
    case mt_date: case mt_newdate: case mt_time: case mt_time2: case mt_datetime:
    case mt_datetime2: case mt_timestamp: case mt_timestamp2:
      return opaque_form::temporal;
    case mt_var_string: return opaque_form::string;
    default: return opaque_form::base64;
  }
}

// The opaque value's text without JSON quotes.
result<std::string> opaque_text(std::uint8_t type, bytes data, std::uint64_t offset, int event_type) {
  std::string out;
  switch (form_of(type)) {
    case opaque_form::number: {
      if (data.size() < 2) return bad(offset, event_type, "JSON decimal lacks precision and scale");
      BK_TRY(auto d, decode_decimal(data.subspan(2), data[0], data[1], offset, event_type));
      out.assign(d.view());
      return out;
    }
    case opaque_form::temporal: {
      if (data.size() < 8) return bad(offset, event_type, "JSON date/time value is cut short");
      const std::int64_t packed = load_i64(data);
      if (type == mt_time || type == mt_time2) {
        detail::append_time(out, detail::temporal_from_packed_time(packed), 6);
      } else if (type == mt_date || type == mt_newdate) {
        detail::append_date(out, detail::temporal_from_packed_datetime(packed));
      } else {
        detail::append_datetime(out, detail::temporal_from_packed_datetime(packed), 6);
      }
      return out;
    }
    case opaque_form::string:
      out.assign(as_chars(data));
      return out;
    case opaque_form::base64:
      out = "base64:type";
      out += std::to_string(type);
      out += ':';
      append_base64(out, data);
      return out;
  }
  return out;
}

void append_double(std::string& out, double d) {
  std::string s = format_gcvt(d, gcvt_json_width);
  // MySQL adds ".0" so that a whole double does not read back as an integer.
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  out += s;
}

}  // namespace

result<void> append_json_text(std::string& out, const json_value& v) {
  switch (v.kind()) {
    case json_kind::object: {
      out += '{';
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out += ", ";
        BK_TRY(auto k, v.key(i));
        append_json_quoted(out, k);
        out += ": ";
        BK_TRY(auto e, v.element(i));
        BK_TRY_VOID(append_json_text(out, e));
      }
      out += '}';
      return {};
    }
    case json_kind::array: {
      out += '[';
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out += ", ";
        BK_TRY(auto e, v.element(i));
        BK_TRY_VOID(append_json_text(out, e));
      }
      out += ']';
      return {};
    }
    case json_kind::null: out += "null"; return {};
    case json_kind::boolean: out += v.as_bool() ? "true" : "false"; return {};
    case json_kind::int64: out += std::to_string(v.as_int64()); return {};
    case json_kind::uint64: out += std::to_string(v.as_uint64()); return {};
    case json_kind::double_: append_double(out, v.as_double()); return {};
    case json_kind::string: append_json_quoted(out, v.str()); return {};
    case json_kind::opaque: {
      BK_TRY(auto t, opaque_text(v.opaque_type(), v.data(), 0, -1));
      if (form_of(v.opaque_type()) == opaque_form::number) out += t;
      else append_json_quoted(out, t);
      return {};
    }
  }
  return {};
}

result<std::string> json_to_text(bytes doc, std::uint64_t offset, int event_type) {
  BK_TRY(auto v, parse_json_binary(doc, offset, event_type));
  std::string out;
  auto r = append_json_text(out, v);
  if (!r) return unexpected<error>(error{r.error().code, offset, static_cast<std::int16_t>(event_type), r.error().detail});
  return out;
}

// ---- diffs --------------------------------------------------------------------------

result<std::optional<json_diff>> json_diff_reader::next() noexcept {
  if (c_.empty()) return std::optional<json_diff>();
  json_diff d;
  const std::uint8_t op = c_.u8();
  if (op > 2) return bad(offset_, event_type_, "JSON diff operation is unknown");
  d.op = static_cast<json_diff_op>(op);
  const std::uint64_t path_len = c_.packed();
  if (!c_.ok() || path_len > c_.remaining()) return bad(offset_, event_type_, "JSON diff path runs past the value");
  d.path = c_.str(static_cast<std::size_t>(path_len));
  if (d.op != json_diff_op::remove) {
    const std::uint64_t value_len = c_.packed();
    if (!c_.ok() || value_len > c_.remaining()) return bad(offset_, event_type_, "JSON diff value runs past the value");
    d.value = c_.take(static_cast<std::size_t>(value_len));
  }
  return std::optional<json_diff>(d);
}

namespace {

// mysqlbinlog's quoting of a string: ' and \ escaped, control bytes as \xNN.
void append_sql_quoted(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '\'';
  for (char ch : s) {
    auto u = static_cast<unsigned char>(ch);
    if (ch == '\'') out += "\\'";
    else if (ch == '\\') out += "\\\\";
    else if (u <= 0x1f) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += ch;
    }
  }
  out += '\'';
}

const char* diff_function(json_diff_op op, std::string_view path) {
  switch (op) {
    case json_diff_op::replace: return "JSON_REPLACE";
    case json_diff_op::insert:
      return !path.empty() && path.back() == ']' ? "JSON_ARRAY_INSERT" : "JSON_INSERT";
    case json_diff_op::remove: return "JSON_REMOVE";
  }
  return "";
}

}  // namespace

result<std::string> json_diff_to_text(bytes diffs, std::string_view column, std::uint64_t offset,
                                      int event_type) {
  static constexpr std::string_view line_separator = "\n###      ";
  std::vector<json_diff> ops;
  {
    json_diff_reader r(diffs, offset, event_type);
    for (;;) {
      BK_TRY(auto d, r.next());
      if (!d) break;
      ops.push_back(*d);
    }
  }
  std::string out;
  // Nested calls, innermost first: a run of the same function shares one call.
  bool printed = false;
  for (std::size_t i = ops.size(); i-- > 0;) {
    const char* f = diff_function(ops[i].op, ops[i].path);
    if (i == 0 || std::strcmp(diff_function(ops[i - 1].op, ops[i - 1].path), f) != 0) {
      if (printed) out += line_separator;
      out += f;
      out += '(';
      printed = true;
    }
  }
  out += column;
  if (ops.empty()) return out;
  out += ", ";
  for (std::size_t i = 0; i < ops.size(); ++i) {
    append_sql_quoted(out, ops[i].path);
    if (ops[i].op != json_diff_op::remove) {
      out += ", ";
      BK_TRY(auto v, parse_json_binary(ops[i].value, offset, event_type));
      std::string text;
      switch (v.kind()) {
        case json_kind::object:
        case json_kind::array: {
          auto r = append_json_text(text, v);
          if (!r) return unexpected<error>(r.error());
          out += "CAST(";
          append_sql_quoted(out, text);
          out += " AS JSON)";
          break;
        }
        case json_kind::string:
          append_sql_quoted(out, v.str());
          break;
        case json_kind::opaque: {
          BK_TRY(auto t, opaque_text(v.opaque_type(), v.data(), offset, event_type));
          if (form_of(v.opaque_type()) == opaque_form::number) out += t;
          else append_sql_quoted(out, t);
          break;
        }
        default: {
          auto r = append_json_text(text, v);
          if (!r) return unexpected<error>(r.error());
          out += text;
        }
      }
    }
    const bool last = i + 1 == ops.size();
    if (last || std::strcmp(diff_function(ops[i + 1].op, ops[i + 1].path),
                            diff_function(ops[i].op, ops[i].path)) != 0) {
      out += ')';
    }
    if (!last) {
      out += ',';
      out += line_separator;
    }
  }
  return out;
}

// ---- applying diffs -----------------------------------------------------------------

namespace {

// A small owning tree, built only to apply diffs. (A member type of its own: libstdc++
// rejects std::pair of an incomplete type inside a vector under clang.)
struct member_entry;
struct node {
  json_kind kind = json_kind::null;
  std::uint64_t u = 0;
  double d = 0;
  std::string s;  // string, or opaque payload
  std::uint8_t opaque_type = 0;
  std::vector<member_entry> members;
  std::vector<node> items;
};
struct member_entry {
  member_entry(std::string f, node n) : first(std::move(f)), second(std::move(n)) {}
  std::string first;
  node second;
};

result<node> to_node(const json_value& v) {
  node n;
  n.kind = v.kind();
  n.u = v.as_uint64();
  n.d = v.as_double();
  n.opaque_type = v.opaque_type();
  if (v.kind() == json_kind::string || v.kind() == json_kind::opaque) n.s.assign(v.str());
  for (std::size_t i = 0; i < v.size(); ++i) {
    BK_TRY(auto e, v.element(i));
    BK_TRY(auto child, to_node(e));
    if (v.kind() == json_kind::object) {
      BK_TRY(auto k, v.key(i));
      n.members.emplace_back(std::string(k), std::move(child));
    } else {
      n.items.push_back(std::move(child));
    }
  }
  return n;
}

result<void> node_text(std::string& out, const node& n) {
  switch (n.kind) {
    case json_kind::object:
      out += '{';
      for (std::size_t i = 0; i < n.members.size(); ++i) {
        if (i > 0) out += ", ";
        append_json_quoted(out, n.members[i].first);
        out += ": ";
        BK_TRY_VOID(node_text(out, n.members[i].second));
      }
      out += '}';
      return {};
    case json_kind::array:
      out += '[';
      for (std::size_t i = 0; i < n.items.size(); ++i) {
        if (i > 0) out += ", ";
        BK_TRY_VOID(node_text(out, n.items[i]));
      }
      out += ']';
      return {};
    case json_kind::null: out += "null"; return {};
    case json_kind::boolean: out += n.u ? "true" : "false"; return {};
    case json_kind::int64: out += std::to_string(static_cast<std::int64_t>(n.u)); return {};
    case json_kind::uint64: out += std::to_string(n.u); return {};
    case json_kind::double_: append_double(out, n.d); return {};
    case json_kind::string: append_json_quoted(out, n.s); return {};
    case json_kind::opaque: {
      bytes payload(reinterpret_cast<const std::uint8_t*>(n.s.data()), n.s.size());
      BK_TRY(auto t, opaque_text(n.opaque_type, payload, 0, -1));
      if (form_of(n.opaque_type) == opaque_form::number) out += t;
      else append_json_quoted(out, t);
      return {};
    }
  }
  return {};
}

// One leg of a path: a member name or an array index.
struct leg {
  bool is_index = false;
  std::string key;
  std::size_t index = 0;
  bool from_last = false;  // [last - index]
};

bool parse_path(std::string_view p, std::vector<leg>& legs) {
  std::size_t i = 0;
  auto skip_ws = [&] { while (i < p.size() && p[i] == ' ') ++i; };
  skip_ws();
  if (i >= p.size() || p[i] != '$') return false;
  ++i;
  for (;;) {
    skip_ws();
    if (i >= p.size()) return true;
    leg l;
    if (p[i] == '.') {
      ++i;
      skip_ws();
      if (i < p.size() && p[i] == '"') {
        ++i;
        while (i < p.size() && p[i] != '"') {
          if (p[i] == '\\' && i + 1 < p.size()) {
            ++i;
            char e = p[i];
            l.key += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
          } else {
            l.key += p[i];
          }
          ++i;
        }
        if (i >= p.size()) return false;
        ++i;
      } else {
        std::size_t start = i;
        while (i < p.size() && p[i] != '.' && p[i] != '[' && p[i] != ' ') ++i;
        if (i == start || p.substr(start, i - start) == "*") return false;
        l.key.assign(p.substr(start, i - start));
      }
    } else if (p[i] == '[') {
      ++i;
      skip_ws();
      l.is_index = true;
      if (p.substr(i, 4) == "last") {
        l.from_last = true;
        i += 4;
        skip_ws();
        if (i < p.size() && p[i] == '-') {
          ++i;
          skip_ws();
        } else if (i < p.size() && p[i] == ']') {
          ++i;
          legs.push_back(l);
          continue;
        }
      }
      std::size_t start = i;
      while (i < p.size() && p[i] >= '0' && p[i] <= '9') {
        l.index = l.index * 10 + static_cast<std::size_t>(p[i] - '0');
        if (l.index > 0xffffffffu) return false;
        ++i;
      }
      if (i == start && !l.from_last) return false;
      skip_ws();
      if (i >= p.size() || p[i] != ']') return false;
      ++i;
    } else {
      return false;
    }
    legs.push_back(std::move(l));
  }
}

// MySQL keeps object members sorted: shorter keys first, then by bytes.
bool key_before(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

std::optional<std::size_t> resolve_index(const leg& l, std::size_t size) {
  if (!l.from_last) return l.index;
  if (size == 0 || l.index > size - 1) return std::nullopt;
  return size - 1 - l.index;
}

// Finds the node a path names; nullptr when it is not there.
node* find(node& root, const std::vector<leg>& legs, std::size_t n) {
  node* cur = &root;
  for (std::size_t i = 0; i < n; ++i) {
    const leg& l = legs[i];
    if (l.is_index) {
      if (cur->kind != json_kind::array) {
        // A non-array is its own element 0, as MySQL's path semantics say.
        auto ix = resolve_index(l, 1);
        if (ix && *ix == 0) continue;
        return nullptr;
      }
      auto ix = resolve_index(l, cur->items.size());
      if (!ix || *ix >= cur->items.size()) return nullptr;
      cur = &cur->items[*ix];
    } else {
      if (cur->kind != json_kind::object) return nullptr;
      auto it = std::find_if(cur->members.begin(), cur->members.end(),
                             [&](const auto& m) { return m.first == l.key; });
      if (it == cur->members.end()) return nullptr;
      cur = &it->second;
    }
  }
  return cur;
}

}  // namespace

result<std::string> apply_json_diff(bytes before_doc, bytes diffs, std::uint64_t offset, int event_type) {
  BK_TRY(auto top, parse_json_binary(before_doc, offset, event_type));
  BK_TRY(node root, to_node(top));
  json_diff_reader r(diffs, offset, event_type);
  for (;;) {
    BK_TRY(auto d, r.next());
    if (!d) break;
    std::vector<leg> legs;
    if (!parse_path(d->path, legs)) return bad(offset, event_type, "JSON diff path is not a plain member/index path");
    node value;
    if (d->op != json_diff_op::remove) {
      BK_TRY(auto v, parse_json_binary(d->value, offset, event_type));
      BK_TRY(value, to_node(v));
    }
    if (legs.empty()) {
      if (d->op == json_diff_op::replace) root = std::move(value);
      continue;  // the document itself cannot be inserted or removed
    }
    node* parent = find(root, legs, legs.size() - 1);
    if (parent == nullptr) continue;
    const leg& last = legs.back();
    switch (d->op) {
      case json_diff_op::replace: {
        if (node* target = find(root, legs, legs.size())) *target = std::move(value);
        break;
      }
      case json_diff_op::insert: {
        if (last.is_index) {
          if (parent->kind != json_kind::array) break;
          auto ix = resolve_index(last, parent->items.size());
          std::size_t at = std::min(ix.value_or(0), parent->items.size());
          parent->items.insert(parent->items.begin() + static_cast<std::ptrdiff_t>(at), std::move(value));
        } else {
          if (parent->kind != json_kind::object) break;
          auto it = std::find_if(parent->members.begin(), parent->members.end(),
                                 [&](const auto& m) { return m.first == last.key; });
          if (it != parent->members.end()) break;  // INSERT never overwrites
          auto pos = std::find_if(parent->members.begin(), parent->members.end(),
                                  [&](const auto& m) { return key_before(last.key, m.first); });
          parent->members.insert(pos, member_entry(last.key, std::move(value)));
        }
        break;
      }
      case json_diff_op::remove: {
        if (last.is_index) {
          if (parent->kind != json_kind::array) break;
          auto ix = resolve_index(last, parent->items.size());
          if (ix && *ix < parent->items.size()) parent->items.erase(parent->items.begin() + static_cast<std::ptrdiff_t>(*ix));
        } else if (parent->kind == json_kind::object) {
          auto it = std::find_if(parent->members.begin(), parent->members.end(),
                                 [&](const auto& m) { return m.first == last.key; });
          if (it != parent->members.end()) parent->members.erase(it);
        }
        break;
      }
    }
  }
  std::string out;
  BK_TRY_VOID(node_text(out, root));
  return out;
}

}  // namespace binlogkit
