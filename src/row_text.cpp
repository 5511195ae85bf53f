#include "binlogkit/row_text.hpp"

#include <fmt/format.h>

namespace binlogkit {

std::string verbose_type_name(const column_def& c) {
  switch (c.real_type) {
    case column_type::long_: return "INT";
    case column_type::tiny: return "TINYINT";
    case column_type::short_: return "SHORTINT";
    case column_type::int24: return "MEDIUMINT";
    case column_type::longlong: return "LONGINT";
    case column_type::newdecimal: return fmt::format("DECIMAL({},{})", c.precision, c.scale);
    case column_type::float_: return "FLOAT";
    case column_type::double_: return "DOUBLE";
    case column_type::bit: return fmt::format("BIT({})", c.length);
    case column_type::timestamp: return "TIMESTAMP";
    case column_type::timestamp2: return fmt::format("TIMESTAMP({})", c.scale);
    case column_type::datetime: return "DATETIME";
    case column_type::datetime2: return fmt::format("DATETIME({})", c.scale);
    case column_type::time: return "TIME";
    case column_type::time2: return fmt::format("TIME({})", c.scale);
    case column_type::newdate:
    case column_type::date: return "DATE";
    case column_type::year: return "YEAR";
    case column_type::enum_: return c.length == 1 ? "ENUM(1 byte)" : "ENUM(2 bytes)";
    case column_type::set: return fmt::format("SET({} bytes)", c.length);
    case column_type::blob:
    case column_type::tiny_blob:
    case column_type::medium_blob:
    case column_type::long_blob:
      switch (c.length) {
        case 1: return "TINYBLOB/TINYTEXT";
        case 2: return "BLOB/TEXT";
        case 3: return "MEDIUMBLOB/MEDIUMTEXT";
        default: return "LONGBLOB/LONGTEXT";
      }
    case column_type::varchar:
    case column_type::var_string: return fmt::format("VARSTRING({})", c.length);
    case column_type::string: return fmt::format("STRING({})", c.length);
    case column_type::geometry: return "GEOMETRY";
    case column_type::json: return "JSON";
    case column_type::vector: return "VECTOR";
    default: return "?";
  }
}

std::string quote_identifier(std::string_view s) {
  std::string out = "`";
  for (char ch : s) {
    out += ch;
    if (ch == '`') out += '`';
  }
  out += '`';
  return out;
}

result<void> append_rows_verbose(std::string& out, const event_view& ev, const rows_event& rows,
                                 const table_schema& schema, bytes inflated, text_style style,
                                 bool with_types) {
  auto it = std::back_inserter(out);
  const std::string table = quote_identifier(schema.database) + "." + quote_identifier(schema.table);
  row_reader rr = rows.compressed ? row_reader(rows, schema, inflated, ev.offset) : row_reader(rows, schema, ev.offset);
  auto image = [&](const row_image& img, std::string_view clause) -> result<void> {
    out += clause;
    out += '\n';
    for (const field_view& f : img) {
      BK_TRY(auto val, f.decode());
      BK_TRY(auto text, val.to_text(style));
      fmt::format_to(it, "###   @{}={}", f.index + 1, text);
      if (with_types) {
        fmt::format_to(it, " /* {} meta={} nullable={} is_null={} */", verbose_type_name(*f.column), f.column->meta,
                       f.column->nullable ? 1 : 0, f.null ? 1 : 0);
      }
      out += '\n';
    }
    return {};
  };
  for (;;) {
    BK_TRY(auto row, rr.next());
    if (!row) break;
    switch (row->kind) {
      case rows_kind::write:
        fmt::format_to(it, "### INSERT INTO {}\n", table);
        BK_TRY_VOID(image(*row->after, "### SET"));
        break;
      case rows_kind::erase:
        fmt::format_to(it, "### DELETE FROM {}\n", table);
        BK_TRY_VOID(image(*row->before, "### WHERE"));
        break;
      case rows_kind::update:
        fmt::format_to(it, "### UPDATE {}\n", table);
        BK_TRY_VOID(image(*row->before, "### WHERE"));
        BK_TRY_VOID(image(*row->after, "### SET"));
        break;
      case rows_kind::none:
        break;
    }
  }
  return {};
}

}  // namespace binlogkit
