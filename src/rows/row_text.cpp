#include "binlogkit/rows/row_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "binlogkit/core/encoding.hpp"

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

std::string one_line(std::string_view text) {
  std::string out;
  append_one_line(out, text, true);
  return out;
}

void append_one_line(std::string& out, std::string_view text, bool escape_backslash) {
  static constexpr char hex[] = "0123456789abcdef";
  auto needs_escape = [escape_backslash](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f || c == 0xc2 || (escape_backslash && c == '\\');
  };
  for (;;) {
    const auto bad = std::find_if(text.begin(), text.end(), needs_escape);
    out.append(text.begin(), bad);
    if (bad == text.end()) return;
    const auto at = static_cast<std::size_t>(bad - text.begin());
    const auto c = static_cast<unsigned char>(*bad);
    if (c == 0xc2) {
      if (!c1_control_at(text, at)) {  // another character of U+0080..U+00BF: kept
        out += *bad;
        text.remove_prefix(at + 1);
        continue;
      }
      const auto next = static_cast<unsigned char>(text[at + 1]);
      out += "\\xc2\\x";
      out += hex[next >> 4];
      out += hex[next & 15];
      text.remove_prefix(at + 2);
      continue;
    }
    out += '\\';
    switch (c) {
      case '\n': out += 'n'; break;
      case '\r': out += 'r'; break;
      case '\t': out += 't'; break;
      case '\\': out += '\\'; break;
      default:
        out += 'x';
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    text.remove_prefix(static_cast<std::size_t>(bad - text.begin()) + 1);
  }
}

std::string quote_identifier(std::string_view s) {
  bool plain = std::none_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f;
  });
  for (std::size_t i = 0; plain && i < s.size(); ++i) plain = !c1_control_at(s, i);
  if (plain) return sql_identifier(s);  // as mysqlbinlog -v prints it
  std::string quoted = sql_identifier(s);
  std::string out;
  append_one_line(out, quoted, false);
  return out;
}

result<void> append_rows_verbose(std::string& out, const event_view& ev, const rows_event& rows,
                                 const table_schema& schema, bytes inflated, text_style style,
                                 bool with_types) {
  std::string table = quote_identifier(schema.database);
  table += '.';
  table += quote_identifier(schema.table);
  // The -vv comment of each column, built once per schema (is_null=0 and is_null=1 forms).
  auto& comments = schema.verbose_comments;
  auto type_comments = [&](const column_def* c) -> const std::pair<std::string, std::string>& {
    if (comments.empty()) {
      comments.reserve(schema.columns.size());
      for (const auto& col : schema.columns) {
        auto head = fmt::format(" /* {} meta={} nullable={} is_null=", verbose_type_name(col), col.meta,
                                col.nullable ? 1 : 0);
        comments.emplace_back(head + "0 */", head + "1 */");
      }
    }
    return comments[static_cast<std::size_t>(c - schema.columns.data())];
  };
  row_reader rr = rows.compressed ? row_reader(rows, schema, inflated, ev.offset) : row_reader(rows, schema, ev.offset);
  auto image = [&](const row_image& img, std::string_view clause) -> result<void> {
    out += clause;
    out += '\n';
    for (const field_view& f : img) {
      // Used where it lies in its result (a value is about 100 bytes).
      const auto val = f.decode();
      if (!val) return unexpected<error>(val.error());
      char num[24];
      out += "###   @";
      out.append(num, std::to_chars(num, num + sizeof num, f.index + 1).ptr);
      out += '=';
      BK_TRY_VOID(val->append_text(out, style));
      if (with_types) {
        const auto& types = type_comments(f.column);
        out += f.null ? types.second : types.first;
      }
      out += '\n';
    }
    return {};
  };
  for (;;) {
    const auto next = rr.next();
    if (!next) return unexpected<error>(next.error());
    const auto& row = *next;
    if (!row) break;
    switch (row->kind) {
      case rows_kind::write:
        out += "### INSERT INTO ";
        out += table;
        out += '\n';
        BK_TRY_VOID(image(*row->after, "### SET"));
        break;
      case rows_kind::erase:
        out += "### DELETE FROM ";
        out += table;
        out += '\n';
        BK_TRY_VOID(image(*row->before, "### WHERE"));
        break;
      case rows_kind::update:
        out += "### UPDATE ";
        out += table;
        out += '\n';
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
