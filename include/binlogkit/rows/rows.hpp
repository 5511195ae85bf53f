// Row values: table-map column definitions, lazy row images, and exact column values.
//
// A table_schema is decoded once per TABLE_MAP (it owns a few small vectors: names, enum
// strings). A row_reader walks the row images of one rows event; each image is a view
// into the event's bytes, and a value is decoded only when asked for, without allocating.
// Views are valid while the event's source lives; values that point into the row
// (strings, JSON, geometry) likewise. to_text() renders a value as the servers print it
// (it allocates).
//
// Row image layout (WRITE/UPDATE/DELETE v1 and v2, MariaDB v1, PARTIAL_UPDATE):
//   | [PARTIAL_UPDATE after image: packed value_options | partial-JSON bitmap] |
//   | null bitmap: one bit per column present in the image, LSB first          |
//   | values of the present, non-NULL columns, in column order                 |
// UPDATE events hold before/after image pairs; WRITE events after images; DELETE events
// before images. The columns-present bitmaps come from the rows event.
//
// Errors: decode_table_schema and row_reader::next return result<T> naming the event's offset
// and type (a length outside the event, a value that does not decode under its type and
// metadata: bad_value); a row_reader that failed stays failed. Threads: a row_reader is used
// by one thread at a time; a table_schema and the values are read-only and may be shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/rows/decimal.hpp"
#include "binlogkit/core/event_type.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/events/format_description.hpp"
#include "binlogkit/core/result.hpp"

namespace binlogkit {

// MySQL enum_field_types (include/field_types.h); MariaDB adds the two *_compressed codes.
enum class column_type : std::uint8_t {
  decimal = 0,
  tiny = 1,
  short_ = 2,
  long_ = 3,
  float_ = 4,
  double_ = 5,
  null = 6,
  timestamp = 7,
  longlong = 8,
  int24 = 9,
  date = 10,
  time = 11,
  datetime = 12,
  year = 13,
  newdate = 14,
  varchar = 15,
  bit = 16,
  timestamp2 = 17,
  datetime2 = 18,
  time2 = 19,
  typed_array = 20,
  varchar_compressed = 140,  // MariaDB
  blob_compressed = 141,     // MariaDB
  vector = 242,
  invalid = 243,
  bool_ = 244,
  json = 245,
  newdecimal = 246,
  enum_ = 247,
  set = 248,
  tiny_blob = 249,
  medium_blob = 250,
  long_blob = 251,
  blob = 252,
  var_string = 253,
  string = 254,
  geometry = 255,
};

// "LONG", "VARCHAR", "NEWDECIMAL", ... (the enum_field_types name without MYSQL_TYPE_).
[[nodiscard]] std::string_view type_name(column_type t) noexcept;
// TINY, SHORT, INT24, LONG, LONGLONG, NEWDECIMAL, FLOAT, DOUBLE: the columns SIGNEDNESS
// has a bit for.
[[nodiscard]] bool is_numeric(column_type t) noexcept;

// One column of a table map, with what the optional metadata adds when it is there.
struct column_def {
  column_type type = column_type::null;       // as written in the table map
  column_type real_type = column_type::null;  // STRING's metadata may say ENUM or SET
  // The metadata as the servers' table_def holds it (what mysqlbinlog -vv prints as
  // "meta="): precision << 8 | scale for NEWDECIMAL, bytes << 8 | bits for BIT, the
  // two STRING bytes big-endian, the length for VARCHAR, the byte count otherwise.
  std::uint16_t meta = 0;
  // VARCHAR/STRING: maximum length in bytes; BLOB/TEXT/JSON/GEOMETRY/VECTOR: bytes of
  // the length prefix; ENUM/SET: bytes of the value; BIT: bits; FLOAT/DOUBLE: pack length.
  std::uint32_t length = 0;
  std::uint8_t precision = 0;  // NEWDECIMAL
  std::uint8_t scale = 0;      // NEWDECIMAL scale; fractional digits of TIME2/DATETIME2/TIMESTAMP2
  bool nullable = false;
  // Optional metadata (binlog_row_metadata=MINIMAL/FULL, MySQL 8.0.1+, MariaDB 10.5+).
  std::optional<bool> is_unsigned;        // SIGNEDNESS, numeric columns only
  std::string name;                       // COLUMN_NAME, empty when not logged
  std::optional<std::uint32_t> charset;   // collation id (character, ENUM and SET columns)
  std::vector<std::string> str_values;    // ENUM_STR_VALUE / SET_STR_VALUE
  std::optional<std::uint32_t> geometry_type;
  std::optional<std::uint32_t> vector_dimensions;
  std::optional<bool> visible;            // COLUMN_VISIBILITY
  bool primary_key = false;
  std::uint32_t primary_key_prefix = 0;   // 0: the whole column

  [[nodiscard]] bool is_enum() const noexcept { return real_type == column_type::enum_; }
  [[nodiscard]] bool is_set() const noexcept { return real_type == column_type::set; }
};

struct table_schema {
  std::uint64_t table_id = 0;
  std::string database;
  std::string table;
  enum flavor flavor = flavor::unknown;
  std::vector<column_def> columns;
  // (column index, prefix length or 0) in key order, from SIMPLE_PRIMARY_KEY or
  // PRIMARY_KEY_WITH_PREFIX.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> primary_key;
  bool has_signedness = false;   // SIGNEDNESS was logged
  bool has_column_names = false; // COLUMN_NAME was logged
  std::uint32_t json_columns = 0;  // columns of type JSON (PARTIAL_UPDATE bitmaps count them)
  // Optional-metadata field types this version does not know (skipped).
  std::uint32_t unknown_metadata_fields = 0;
  // Per-column text the verbose row printer builds once per schema (row_text.cpp).
  mutable std::vector<std::pair<std::string, std::string>> verbose_comments;
};

// Optional metadata field types (Table_map_event::Optional_metadata_field_type).
enum class table_metadata_field : std::uint8_t {
  signedness = 1,
  default_charset = 2,
  column_charset = 3,
  column_name = 4,
  set_str_value = 5,
  enum_str_value = 6,
  geometry_type = 7,
  simple_primary_key = 8,
  primary_key_with_prefix = 9,
  enum_and_set_default_charset = 10,
  enum_and_set_column_charset = 11,
  column_visibility = 12,
  vector_dimensionality = 13,
};

// Decodes the column definitions of a table map: per-column metadata for every type and
// the optional metadata TLVs. Errors (bad_body): metadata shorter than the column types
// need, a TLV running past the event, a count that does not match the columns.
// `flavor` decides which columns carry a charset (MariaDB counts GEOMETRY as a
// character column).
[[nodiscard]] result<table_schema> decode_table_schema(const table_map_event& tm,
                                                       std::uint64_t offset,
                                                       enum flavor flavor = flavor::mysql) noexcept;

// ---- values -------------------------------------------------------------------------

enum class value_kind : std::uint8_t {
  null,
  integer,        // TINY..LONGLONG: as_int64() and as_uint64()
  real,           // FLOAT, DOUBLE: as_double()
  decimal,        // NEWDECIMAL: decimal(); legacy DECIMAL: text in data()
  year,           // as_int64(): the year (0 for YEAR 0000)
  date,           // DATE, NEWDATE: as_temporal()
  time,           // TIME, TIME2
  datetime,       // DATETIME, DATETIME2
  timestamp,      // TIMESTAMP, TIMESTAMP2: as_temporal().epoch_seconds / microsecond
  string,         // CHAR, VARCHAR, BINARY, TEXT, BLOB (and MariaDB JSON, UUID, INET6)
  enumeration,    // ENUM: as_uint64() is the 1-based index (0 = '')
  set,            // SET: as_uint64() is the member bitmap
  bit,            // BIT: as_uint64(); data() the big-endian bytes
  json,           // MySQL binary JSON in data()
  json_diff,      // PARTIAL_UPDATE after image: JSON diff list in data()
  geometry,       // data(): 4-byte SRID + WKB
  vector,         // data(): little-endian float32 array
  compressed,     // MariaDB compressed VARCHAR/BLOB: data() is the compressed form
};

// A broken-down date and time. For TIME, hour may exceed 23 (up to 838).
struct temporal {
  std::int32_t year = 0;
  std::uint8_t month = 0;
  std::uint8_t day = 0;
  std::uint32_t hour = 0;
  std::uint8_t minute = 0;
  std::uint8_t second = 0;
  std::uint32_t microsecond = 0;
  bool negative = false;            // TIME only
  std::int64_t epoch_seconds = 0;   // TIMESTAMP only (UTC seconds)
  friend bool operator==(const temporal&, const temporal&) = default;
};

// How to_text() renders a value. Which style is checked against which oracle is in
// tests/unit/values_corpus_test.cpp and rows_test.cpp.
enum class text_style : std::uint8_t {
  // The value after "@N=" in `mysqlbinlog -v` (MySQL 8.x, log_event_print_value):
  // strings, BLOBs, GEOMETRY, VECTOR and JSON text in single quotes with the quote and
  // backslash escaped and bytes below 0x20 as \xNN; FLOAT as C's "%-20g" (padded to 20 columns),
  // DOUBLE as "%-.20g"; DATE as 'YYYY:MM:DD'; TIME2/DATETIME2 quoted; the old DATETIME
  // unquoted and the old TIME read unsigned (as MySQL does); TIMESTAMP as epoch seconds
  // with the fraction; ENUM as its index; SET and BIT as b'0101' in stored byte order;
  // YEAR 0 as 1900; a partial JSON update as JSON_REPLACE(@N, ...) calls. Integers
  // follow SIGNEDNESS when the table map has it (as MySQL 8.4+ prints); otherwise a
  // negative value is followed by its unsigned reading, "-1 (4294967295)" (8.0).
  mysqlbinlog,
  // `mariadb-binlog -v` (MariaDB 10.x/11.x) where it differs: ' and \ are not escaped,
  // the old DATETIME is quoted, the old TIME keeps its sign, SIGNEDNESS is never used.
  mariadb_binlog,
  // What SELECT shows in the client (unquoted): DOUBLE/FLOAT as the servers' shortest
  // form (my_gcvt: 'f' form for decimal exponents -15..14, else "1e20"; FLOAT to 6
  // significant digits); TIMESTAMP as a UTC datetime (SELECT under time_zone='+00:00');
  // YEAR 0 as 0000; ENUM/SET as their names when the table map carries them (index /
  // bitmap number otherwise); BIT as its unsigned number (SELECT b+0); VECTOR as
  // VECTOR_TO_STRING prints ([1.00000e+00,...]); JSON as MySQL's JSON text; BINARY(N)
  // padded with zero bytes to N when the table map says its charset is binary; a
  // partial JSON update as in the mysqlbinlog style (the full document needs the
  // before image: apply_json_diff).
  sql,
};

class value {
 public:
  value() = default;

  [[nodiscard]] value_kind kind() const noexcept { return kind_; }
  [[nodiscard]] bool is_null() const noexcept { return kind_ == value_kind::null; }
  [[nodiscard]] column_type type() const noexcept { return type_; }  // real type
  [[nodiscard]] const column_def* column() const noexcept { return column_; }
  // Table column index (0-based) when the value came from a row image.
  [[nodiscard]] std::uint32_t column_index() const noexcept { return index_; }

  // Integers: both readings of the stored bits. is_unsigned() says which one the table
  // map declares (nullopt when it does not say).
  [[nodiscard]] std::int64_t as_int64() const noexcept { return i_; }
  [[nodiscard]] std::uint64_t as_uint64() const noexcept { return u_; }
  [[nodiscard]] std::optional<bool> is_unsigned() const noexcept;
  [[nodiscard]] double as_double() const noexcept { return d_; }
  [[nodiscard]] temporal as_temporal() const noexcept { return t_; }
  // Fractional second digits (TIME2/DATETIME2/TIMESTAMP2), scale for NEWDECIMAL.
  [[nodiscard]] std::uint8_t scale() const noexcept { return scale_; }
  [[nodiscard]] std::uint8_t precision() const noexcept { return precision_; }
  // The value's bytes in the row without its length prefix (strings, BLOBs, JSON,
  // geometry, vectors, BIT, NEWDECIMAL's binary form).
  [[nodiscard]] bytes data() const noexcept { return data_; }
  [[nodiscard]] std::string_view text() const noexcept { return as_chars(data_); }
  // NEWDECIMAL digits (no allocation).
  [[nodiscard]] result<decimal_text> decimal() const noexcept;
  // ENUM/SET member names from the table map, empty view when unknown.
  [[nodiscard]] std::string_view enum_string() const noexcept;

  // Renders the value (allocates). Fails with bad_value for a corrupt NEWDECIMAL or
  // JSON document.
  [[nodiscard]] result<std::string> to_text(text_style style = text_style::sql) const;
  // The same text appended to `out` (no allocation for integers and strings once `out`
  // has grown: the form the row printers use).
  [[nodiscard]] result<void> append_text(std::string& out, text_style style = text_style::sql) const;

  // Decodes one value of `col` from the start of `in` (a non-NULL column). `size` is
  // set to the bytes it takes. Errors: bad_value when it does not fit or is corrupt,
  // unsupported for types that cannot appear in a row (old DECIMAL without metadata,
  // TYPED_ARRAY, BOOL, INVALID).
  [[nodiscard]] static result<value> decode(const column_def& col, bytes in, std::size_t& size,
                                            std::uint64_t offset = 0, int event_type = -1) noexcept;
  [[nodiscard]] static value make_null(const column_def* col) noexcept;

 private:
  friend struct value_access;
  friend struct field_view;
  const column_def* column_ = nullptr;
  std::uint32_t index_ = 0;
  bytes data_{};
  std::int64_t i_ = 0;
  std::uint64_t u_ = 0;
  double d_ = 0;
  temporal t_{};
  column_type type_ = column_type::null;
  value_kind kind_ = value_kind::null;
  std::uint8_t scale_ = 0;
  std::uint8_t precision_ = 0;
};

// Bytes one non-NULL value of `col` takes at the start of `in`, checked against `in`.
[[nodiscard]] result<std::size_t> field_size(const column_def& col, bytes in,
                                             std::uint64_t offset = 0, int event_type = -1) noexcept;

// ---- row images ---------------------------------------------------------------------

// Pre-GA rows events (types 20-22, MySQL 5.1.0-5.1.17) hold each row as
//   | the table's record null bytes (table->s->null_bytes) | packed values of the present,
//   | non-NULL columns (Field::pack, as in v1)                                            |
// and a single column bitmap even for UPDATE (log_event_old.cc). How many null bytes a
// record has and which bit belongs to which column depend on the engine's record format,
// and the table maps of that era carry neither metadata nor nullability: the table
// definition supplies them (for_record()), and string columns need their lengths in the
// schema.
struct pre_ga_layout {
  std::uint32_t null_bytes = 0;
  std::vector<int> null_bit;  // per table column: its bit in the null bytes, -1 when NOT NULL

  // The layout of a record with these nullable columns: the null bits follow in column
  // order, after one reserved bit unless the record is packed (HA_OPTION_PACK_RECORD:
  // tables with VARCHAR/BLOB columns or ROW_FORMAT=DYNAMIC; fixed-length MyISAM tables
  // are not packed).
  [[nodiscard]] static pre_ga_layout for_record(const std::vector<bool>& nullable, bool packed_record);
};

// One column present in an image.
struct field_view {
  std::uint32_t index = 0;       // column index in the table (0-based; mysqlbinlog's @index+1)
  bool null = false;
  bool partial = false;          // PARTIAL_UPDATE: the value is a JSON diff
  bytes raw{};                   // the value's bytes with any length prefix (empty when NULL)
  const column_def* column = nullptr;
  std::uint64_t offset = 0;      // event offset, for errors
  int event_type = -1;

  [[nodiscard]] result<value> decode() const noexcept;
};

class row_image {
 public:
  row_image() = default;

  [[nodiscard]] const table_schema& schema() const noexcept { return *schema_; }
  [[nodiscard]] bytes columns_present() const noexcept { return present_; }
  [[nodiscard]] bool present(std::size_t column) const noexcept;
  [[nodiscard]] bytes raw() const noexcept { return raw_; }  // the whole image
  [[nodiscard]] std::uint64_t value_options() const noexcept { return value_options_; }
  [[nodiscard]] bool partial_json() const noexcept { return (value_options_ & 1) != 0; }

  class iterator {
   public:
    using value_type = field_view;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    const field_view& operator*() const noexcept { return cur_; }
    const field_view* operator->() const noexcept { return &cur_; }
    iterator& operator++() noexcept;
    iterator operator++(int) noexcept {
      auto t = *this;
      ++*this;
      return t;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.col_ == b.col_; }

   private:
    friend class row_image;
    void settle() noexcept;  // moves to the next present column at or after col_
    const row_image* img_ = nullptr;
    std::size_t col_ = 0;       // table column
    std::size_t nth_ = 0;       // index among present columns (null bit)
    std::size_t json_nth_ = 0;  // index among JSON columns (partial bit)
    std::size_t pos_ = 0;       // offset in values_
    field_view cur_{};
  };
  // Present columns in table order. The image was checked when it was read, so walking
  // it cannot fail; decoding a value may (field_view::decode).
  [[nodiscard]] iterator begin() const noexcept;
  [[nodiscard]] iterator end() const noexcept;

  // The field of table column `column`; nullopt when the image does not hold it.
  [[nodiscard]] std::optional<field_view> field(std::size_t column) const noexcept;
  // Decoded value of table column `column` (bad_value when the image does not hold it).
  [[nodiscard]] result<value> at(std::size_t column) const noexcept;

 private:
  friend class row_reader;
  const table_schema* schema_ = nullptr;
  bytes present_{};
  bytes nulls_{};
  bytes partial_bits_{};
  bytes values_{};
  bytes raw_{};
  std::uint64_t value_options_ = 0;
  std::uint64_t offset_ = 0;
  int event_type_ = -1;
  std::size_t width_ = 0;  // columns of the rows event
  const pre_ga_layout* pre_ga_ = nullptr;  // null bits by table column (pre-GA rows)
  [[nodiscard]] bool null_at(std::size_t column, std::size_t nth) const noexcept;
};

// One row of a rows event: before image (UPDATE, DELETE), after image (WRITE, UPDATE).
struct row_change {
  rows_kind kind = rows_kind::none;
  std::optional<row_image> before;
  std::optional<row_image> after;
};

// Walks the rows of one rows event. Each next() reads one row (both images of an UPDATE)
// and checks every length in it against the event; a value that does not fit is
// errc::bad_value at the event's offset. After an error, next() keeps returning it.
// Pre-GA rows events (types 20-22, MySQL 5.1.0-5.1.17) hold engine record images that
// cannot be read without the table definition: errc::unsupported, unless the third form
// gives their layout.
class row_reader {
 public:
  // `event_offset` is the rows event's file offset (for errors). MariaDB *_COMPRESSED
  // events must be given their inflated row bytes with the second form; the first
  // form reports them as errc::unsupported.
  row_reader(const rows_event& ev, const table_schema& schema, std::uint64_t event_offset) noexcept;
  row_reader(const rows_event& ev, const table_schema& schema, bytes rows,
             std::uint64_t event_offset) noexcept;
  // Pre-GA rows events with their record layout (`layout` must outlive the reader and
  // the images). Other events are read as by the first form.
  row_reader(const rows_event& ev, const table_schema& schema, const pre_ga_layout& layout,
             std::uint64_t event_offset) noexcept;

  [[nodiscard]] result<std::optional<row_change>> next() noexcept;
  // Offset of the next row within the rows data.
  [[nodiscard]] std::size_t position() const noexcept { return pos_; }

 private:
  result<void> read_image(bytes present, bool partial_after, row_image& img) noexcept;
  result<void> read_row(row_change& rc) noexcept;
  void check_layout() noexcept;

  const rows_event* ev_ = nullptr;
  const table_schema* schema_ = nullptr;
  bytes rows_{};
  std::size_t pos_ = 0;
  std::uint64_t offset_ = 0;
  int type_ = -1;
  std::optional<error> sticky_;
  const pre_ga_layout* pre_ga_ = nullptr;
  bytes columns_after_{};
};

// ---- temporal helpers (exposed for the JSON layer and tests) -------------------------

namespace detail {
// MySQL's in-memory packed forms (my_time.h): used by JSON opaque values.
[[nodiscard]] temporal temporal_from_packed_datetime(std::int64_t packed) noexcept;
[[nodiscard]] temporal temporal_from_packed_time(std::int64_t packed) noexcept;
// "YYYY-MM-DD", "[-]HH:MM:SS[.f]", "YYYY-MM-DD HH:MM:SS[.f]" with `fsp` digits.
void append_date(std::string& out, const temporal& t, char sep = '-');
void append_time(std::string& out, const temporal& t, int fsp);
void append_datetime(std::string& out, const temporal& t, int fsp);
// A UTC datetime from seconds since the epoch.
[[nodiscard]] temporal utc_from_epoch(std::int64_t seconds) noexcept;

// Row formats (field.cc / my_time.cc); each reads exactly the bytes the type takes.
//   DATE/NEWDATE  3 bytes LE: day (5 bits) | month (4) | year (15)
//   TIME (old)    3 bytes LE signed: HHMMSS as a decimal number
//   DATETIME (old) 8 bytes LE: YYYYMMDDhhmmss as a decimal number
//   TIMESTAMP     4 bytes LE: seconds since the epoch
//   DATETIME2     5 bytes BE, biased by 2^39: year*13+month (17 bits) | day (5) |
//                 hour (5) | minute (6) | second (6); then fraction
//   TIME2         3 bytes BE, biased by 2^23: sign | hour (10 bits) | minute (6) |
//                 second (6); then fraction (negative values keep the fraction
//                 complemented so that the bytes sort)
//   TIMESTAMP2    4 bytes BE seconds; then fraction
//   fraction: fsp 1-2: 1 byte (hundredths), 3-4: 2 bytes BE, 5-6: 3 bytes BE
[[nodiscard]] std::size_t temporal2_fraction_bytes(int fsp) noexcept;
[[nodiscard]] temporal date_from_row(std::uint32_t v) noexcept;
[[nodiscard]] temporal time_from_row(std::int32_t v) noexcept;
[[nodiscard]] temporal datetime_from_row(std::uint64_t v) noexcept;
[[nodiscard]] temporal datetime2_from_row(const std::uint8_t* p, int fsp) noexcept;
[[nodiscard]] temporal time2_from_row(const std::uint8_t* p, int fsp) noexcept;
[[nodiscard]] temporal timestamp2_from_row(const std::uint8_t* p, int fsp) noexcept;
}  // namespace detail

}  // namespace binlogkit
