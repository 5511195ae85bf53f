// Row events as text: the "### INSERT INTO `db`.`t`" / "###   @1=…" lines mysqlbinlog -v
// prints, with the -vv type comments ("/* INT meta=0 nullable=1 is_null=0 */").
//
// Ownership: everything here returns or appends owned text. Errors: append_rows_verbose
// returns the first value or image that does not decode (naming the event's offset and
// type), with what was rendered before it left in `out`. Threads: no shared state.
#pragma once

#include <string>

#include "binlogkit/events/event.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/core/result.hpp"
#include "binlogkit/rows/rows.hpp"

namespace binlogkit {

// The type name -vv prints for a column ("INT", "VARSTRING(80)", "DECIMAL(10,2)", …).
[[nodiscard]] std::string verbose_type_name(const column_def& column);

// A backquoted identifier, backquotes doubled, for a comment line of text output:
// control bytes (newline, carriage return, tab, any byte below 0x20, DEL) as \n, \r,
// \t or \xHH and UTF-8 C1 controls as \xc2\xHH (append_one_line; a backslash stays as
// mysqlbinlog -v prints it), so that a name never ends the line it is in (piped into a
// client, the rest would run) nor sends a terminal an escape sequence.
[[nodiscard]] std::string quote_identifier(std::string_view name);

// Whether text[i] starts a C1 control character in UTF-8 (U+0080..U+009F, the bytes
// C2 80..C2 9F): a terminal takes U+009B as CSI, the start of an escape sequence.
[[nodiscard]] inline bool c1_control_at(std::string_view text, std::size_t i) noexcept {
  return i + 1 < text.size() && static_cast<unsigned char>(text[i]) == 0xc2 &&
         (static_cast<unsigned char>(text[i + 1]) & 0xe0) == 0x80;
}

// Appends `text` with every control byte as \n, \r, \t or \xHH, a UTF-8 C1 control as
// \xc2\xHH (and a backslash as \\ when `escape_backslash`, which keeps the escapes
// unambiguous): one line, nothing a terminal acts on, whatever the bytes of a name or
// value from the binlog.
void append_one_line(std::string& out, std::string_view text, bool escape_backslash);
// The same as a string, backslashes escaped: a name from the files on a line of a report.
[[nodiscard]] std::string one_line(std::string_view text);

// Appends the ### lines of every row of `rows` (decoded from `ev`, with the table map's
// `schema`). `inflated` holds the row bytes of a MariaDB *_COMPRESSED event (empty
// otherwise). On error what was rendered stays appended and the error says where.
// String values are quoted as mysqlbinlog -v quotes them (bytes below 0x20 as \xNN); bytes
// from 0x80 up stay as they are, UTF-8 C1 controls (C2 80..C2 9F) included, so that the
// lines match mariadb-binlog's byte for byte (binary values hold such bytes: a PNG in a
// BLOB). A report meant for a terminal escapes C1 controls on top of these lines itself.
[[nodiscard]] result<void> append_rows_verbose(std::string& out, const event_view& ev,
                                               const rows_event& rows, const table_schema& schema,
                                               bytes inflated, text_style style, bool with_types);

}  // namespace binlogkit
