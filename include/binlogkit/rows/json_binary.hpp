// MySQL's binary JSON (the JSON column type, MySQL 5.7+; sql-common/json_binary.h) and
// the JSON diffs of PARTIAL_UPDATE_ROWS events (MySQL 8.0.3+, binlog_row_value_options=
// PARTIAL_JSON). MariaDB stores JSON as text in a LONGTEXT column: nothing here applies.
//
//   doc    ::= type value                      (an empty doc is the JSON null literal)
//   type   ::= 0x00 small object | 0x01 large object | 0x02 small array | 0x03 large array
//            | 0x04 literal | 0x05 int16 | 0x06 uint16 | 0x07 int32 | 0x08 uint32
//            | 0x09 int64 | 0x0a uint64 | 0x0b double | 0x0c string | 0x0f opaque
//   object ::= count size key-entry* value-entry* key* value*
//   array  ::= count size value-entry* value*
//     count, size, offsets: 2 bytes (small) or 4 bytes (large), little-endian; offsets
//     count from the start of `count`; size covers the whole container.
//   key-entry   ::= offset, 2-byte length
//   value-entry ::= type, offset or the value inlined (literal, int16, uint16; in large
//                   containers int32 and uint32 as well)
//   literal ::= 0x00 null | 0x01 true | 0x02 false
//   string  ::= length (7 bits a byte, low first, high bit = more; 5 bytes at most) bytes
//   opaque  ::= 1-byte MySQL column type, length as for string, bytes
//
// Values are views into the document: valid while its bytes live.
//
// Errors: bad_value (truncated or impossible offsets and lengths, nesting past
// json_max_depth) with the offset and event type the caller passes. Threads: pure functions;
// a json_value is a read-only view, usable from any thread while its bytes live.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/core/result.hpp"

namespace binlogkit {

enum class json_kind : std::uint8_t {
  object,
  array,
  null,
  boolean,
  int64,
  uint64,
  double_,
  string,
  opaque,  // any MySQL type: dates, times, decimals, binary strings
};

// Nesting deeper than this is refused (MySQL itself stops at 100).
inline constexpr int json_max_depth = 100;

class json_value {
 public:
  json_value() = default;

  [[nodiscard]] json_kind kind() const noexcept { return kind_; }
  [[nodiscard]] bool as_bool() const noexcept { return u_ != 0; }
  [[nodiscard]] std::int64_t as_int64() const noexcept { return static_cast<std::int64_t>(u_); }
  [[nodiscard]] std::uint64_t as_uint64() const noexcept { return u_; }
  [[nodiscard]] double as_double() const noexcept { return d_; }
  // string: the UTF-8 bytes; opaque: the payload.
  [[nodiscard]] std::string_view str() const noexcept { return as_chars(data_); }
  [[nodiscard]] bytes data() const noexcept { return data_; }
  [[nodiscard]] std::uint8_t opaque_type() const noexcept { return opaque_type_; }

  // Objects and arrays.
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] result<json_value> element(std::size_t i) const noexcept;  // arrays and objects
  [[nodiscard]] result<std::string_view> key(std::size_t i) const noexcept;  // objects
  // The member named `name` (first match), nullopt when absent.
  [[nodiscard]] result<std::optional<json_value>> member(std::string_view name) const noexcept;

  // Parses one value of binary type `type` from `data` (the bytes after the type byte).
  [[nodiscard]] static result<json_value> parse(std::uint8_t type, bytes data, int depth,
                                                std::uint64_t offset, int event_type) noexcept;

 private:
  result<json_value> entry_value(std::size_t i) const noexcept;

  bytes data_{};        // container: from `count`; scalars: the payload
  std::uint64_t u_ = 0;
  double d_ = 0;
  std::uint64_t offset_ = 0;
  std::uint32_t count_ = 0;
  std::int16_t event_type_ = -1;
  json_kind kind_ = json_kind::null;
  std::uint8_t opaque_type_ = 0;
  std::uint8_t depth_ = 0;
  bool large_ = false;
};

// The document's top-level value. Errors: bad_value (truncated or impossible offsets).
[[nodiscard]] result<json_value> parse_json_binary(bytes doc, std::uint64_t offset = 0,
                                                   int event_type = -1) noexcept;

// JSON text as MySQL prints it (JSON_EXTRACT / SELECT of a JSON column): members in
// stored order, ", " and ": " separators, doubles as my_gcvt with ".0" added to whole
// numbers, DATE/TIME/DATETIME opaques as quoted text (6 fraction digits), DECIMAL
// opaques as numbers, other opaques as "base64:type<N>:<base64>".
[[nodiscard]] result<std::string> json_to_text(bytes doc, std::uint64_t offset = 0,
                                               int event_type = -1);
[[nodiscard]] result<void> append_json_text(std::string& out, const json_value& v);
// Appends s as a JSON string literal with MySQL's escaping.
void append_json_quoted(std::string& out, std::string_view s);

// ---- partial updates ----------------------------------------------------------------

// One operation of a JSON diff list:
//   | 1 operation (0 REPLACE, 1 INSERT, 2 REMOVE) | packed path length | path |
//   | REPLACE/INSERT: packed value length | binary JSON value |
enum class json_diff_op : std::uint8_t { replace = 0, insert = 1, remove = 2 };

struct json_diff {
  json_diff_op op = json_diff_op::replace;
  std::string_view path;  // "$.a[1]"
  bytes value{};          // binary JSON document (empty for REMOVE)
};

class json_diff_reader {
 public:
  explicit json_diff_reader(bytes diffs, std::uint64_t offset = 0, int event_type = -1) noexcept
      : c_(diffs), offset_(offset), event_type_(event_type) {}
  [[nodiscard]] result<std::optional<json_diff>> next() noexcept;

 private:
  cursor c_;
  std::uint64_t offset_;
  int event_type_;
};

// The diff list as mysqlbinlog -v prints it for column `column` ("@2"):
//   JSON_INSERT(
//   JSON_REPLACE(@2, '$.a', 1),
//   '$.b', "x")
// with line breaks as "\n###      " exactly as mysqlbinlog writes them.
[[nodiscard]] result<std::string> json_diff_to_text(bytes diffs, std::string_view column,
                                                    std::uint64_t offset = 0, int event_type = -1);

// Applies a diff list to a before-image document and returns the new document as
// MySQL JSON text. Paths are MySQL JSON paths of member and array-index legs
// ("$.a.b[2]", "$.\"k y\"" ); REPLACE of a missing path and REMOVE of a missing path do
// nothing, INSERT adds a member or inserts into an array (JSON_ARRAY_INSERT for a path
// ending in an index), as the server applied them. Errors: bad_value for corrupt input
// or a path this decoder does not read (wildcards cannot appear in logged diffs).
[[nodiscard]] result<std::string> apply_json_diff(bytes before_doc, bytes diffs,
                                                  std::uint64_t offset = 0, int event_type = -1);

}  // namespace binlogkit
