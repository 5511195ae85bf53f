// fuzz_rows: one TABLE_MAP body and one rows event body, decoded value by value.
//
// Input: | selector | table map length (u16 LE) | table map body | rows body |
//   selector bits 0-1: which format description heads the file (below), so that the
//            bodies are read as MariaDB or MySQL wrote them, with or without a CRC32;
//            bits 2-4: the rows event type: WRITE/UPDATE/DELETE v1, v2, PARTIAL_UPDATE,
//            pre-GA (20-22, read with a record layout from bits 5-7), MariaDB
//            *_COMPRESSED (inflated first);
//            bits 5-7: the row type within the family (write, update, delete) and the
//            pre-GA layout (packed record or not).
// The harness frames both bodies as events (headers with the right sizes and, where the
// format description says so, a correct CRC32) in a heap block of exactly the file's
// size, then reads them with event_reader: the table map decoder, the schema and its
// optional metadata, the row reader, every value's decode, its text in each style, its
// JSON, and the -vv printer all see the fuzzer's bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "binlogkit/events/compression.hpp"
#include "binlogkit/core/crc32.hpp"
#include "binlogkit/tools/dump.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/rows/row_text.hpp"
#include "binlogkit/rows/rows.hpp"
#include "format_descriptions.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace binlogkit_fuzz;  // format descriptions of real servers

struct format_choice {
  const std::uint8_t* bytes;
  std::size_t size;
  bool crc32;
};
constexpr format_choice formats[] = {
    {mariadb_10_11_crc32, sizeof mariadb_10_11_crc32, true},
    {mariadb_10_11_off, sizeof mariadb_10_11_off, false},
    {mysql_8_0_crc32, sizeof mysql_8_0_crc32, true},
    {mysql_5_1, sizeof mysql_5_1, false},
};

// Row event types by family (bits 2-4) and kind (bits 5-6: write, update, delete).
constexpr std::uint8_t families[8][3] = {
    {23, 24, 25},     // v1
    {30, 31, 32},     // v2
    {30, 39, 32},     // v2 with PARTIAL_UPDATE_ROWS
    {20, 21, 22},     // pre-GA
    {166, 167, 168},  // MariaDB compressed v1
    {169, 170, 171},  // MariaDB compressed v2
    {23, 24, 25},
    {30, 31, 32},
};

void put32(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// Appends one event: 19-byte header, body, and a CRC32 when the format has one.
void append_event(std::vector<std::uint8_t>& file, std::uint8_t type, const std::uint8_t* body,
                  std::size_t size, bool crc) {
  const std::size_t start = file.size();
  const std::size_t total = 19 + size + (crc ? 4 : 0);
  file.resize(start + 19, 0);
  file[start + 4] = type;
  put32(file, start + 5, 1);  // server id
  put32(file, start + 9, static_cast<std::uint32_t>(total));
  put32(file, start + 13, static_cast<std::uint32_t>(start + total));
  if (size > 0) file.insert(file.end(), body, body + size);
  if (crc) {
    const auto c = binlogkit::crc32(binlogkit::bytes(file.data() + start, 19 + size));
    file.resize(file.size() + 4);
    put32(file, file.size() - 4, c);
  }
}

void use_image(const binlogkit::row_image& img) {
  std::string out;
  for (const binlogkit::field_view& f : img) {
    auto v = f.decode();
    if (!v) continue;
    for (auto style : {binlogkit::text_style::mysqlbinlog, binlogkit::text_style::mariadb_binlog,
                       binlogkit::text_style::sql}) {
      out.clear();
      // In the mysqlbinlog styles a value that prints prints something (strings quoted,
      // NULL as NULL); the SQL style is SELECT's text, where an empty string is empty.
      const bool printed = v->append_text(out, style).has_value();
      if (printed && style != binlogkit::text_style::sql) BK_FUZZ_CHECK(!out.empty());
    }
    (void)binlogkit::value_to_json(*v);
    if (v->kind() == binlogkit::value_kind::decimal) (void)v->decimal();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::uint8_t selector = data[0];
  const std::size_t tm_len = std::min<std::size_t>(data[1] | (data[2] << 8), size - 3);
  const std::uint8_t* tm_body = data + 3;
  const std::uint8_t* rows_body = tm_body + tm_len;
  const std::size_t rows_len = size - 3 - tm_len;
  const auto& fd = formats[selector & 3];
  const std::size_t kind = ((selector >> 5) & 3) % 3;
  const std::uint8_t rows_type = families[(selector >> 2) & 7][kind];

  std::vector<std::uint8_t> built(binlogkit::binlog_magic.begin(), binlogkit::binlog_magic.end());
  built.insert(built.end(), fd.bytes, fd.bytes + fd.size);
  append_event(built, 19, tm_body, tm_len, fd.crc32);
  append_event(built, rows_type, rows_body, rows_len, fd.crc32);
  // The file in a block of exactly its size, so that ASan sees a one-byte overread.
  std::unique_ptr<std::uint8_t[]> file(new std::uint8_t[built.size()]);
  std::memcpy(file.get(), built.data(), built.size());

  binlogkit::reader_options options;
  options.allow_unknown_types = true;
  binlogkit::event_reader reader(binlogkit::bytes(file.get(), built.size()), options);
  std::optional<binlogkit::table_schema> schema;
  const binlogkit::pre_ga_layout layout =
      binlogkit::pre_ga_layout::for_record(std::vector<bool>(64, (selector & 0x80) != 0), (selector & 0x40) != 0);
  for (int i = 0; i < 4; ++i) {
    auto next = reader.next();
    if (!next || !*next) break;
    const binlogkit::event_view& ev = **next;
    if (ev.type() == binlogkit::event_type::table_map) {
      auto tm = binlogkit::decode_table_map(ev);
      if (!tm) return 0;
      auto s = binlogkit::decode_table_schema(*tm, ev.offset, ev.format->flavor());
      if (!s) return 0;
      schema = std::move(*s);
      for (const auto& c : schema->columns) (void)binlogkit::verbose_type_name(c);
      continue;
    }
    if (!schema || !binlogkit::is_rows_event(ev.type())) continue;
    auto r = binlogkit::decode_rows(ev);
    if (!r) continue;
    std::vector<std::uint8_t> inflated;
    if (r->compressed) {
      auto x = binlogkit::inflate_mariadb(r->rows, ev.offset, ev.header.type_code);
      if (!x) continue;
      inflated = std::move(*x);
    }
    auto reader_for = [&]() {
      if (r->compressed) return binlogkit::row_reader(*r, *schema, binlogkit::bytes(inflated.data(), inflated.size()), ev.offset);
      return binlogkit::row_reader(*r, *schema, layout, ev.offset);
    };
    binlogkit::row_reader rr = reader_for();
    for (int n = 0; n < 1024; ++n) {
      auto row = rr.next();
      if (!row || !*row) break;
      if ((*row)->before) use_image(*(*row)->before);
      if ((*row)->after) use_image(*(*row)->after);
    }
    std::string text;
    for (auto style : {binlogkit::text_style::mysqlbinlog, binlogkit::text_style::mariadb_binlog}) {
      text.clear();
      (void)binlogkit::append_rows_verbose(text, ev, *r, *schema, binlogkit::bytes(inflated.data(), inflated.size()),
                                           style, true);
    }
    (void)binlogkit::event_to_json(ev, nullptr, "fuzz");
  }
  return 0;
}
