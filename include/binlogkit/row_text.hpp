// Row events as text: the "### INSERT INTO `db`.`t`" / "###   @1=…" lines mysqlbinlog -v
// prints, with the -vv type comments ("/* INT meta=0 nullable=1 is_null=0 */").
#pragma once

#include <string>

#include "binlogkit/event.hpp"
#include "binlogkit/events.hpp"
#include "binlogkit/result.hpp"
#include "binlogkit/rows.hpp"

namespace binlogkit {

// The type name -vv prints for a column ("INT", "VARSTRING(80)", "DECIMAL(10,2)", …).
[[nodiscard]] std::string verbose_type_name(const column_def& column);

// A backquoted identifier, backquotes doubled.
[[nodiscard]] std::string quote_identifier(std::string_view name);

// `text` made safe for one line of a `#` comment: a backslash as \\, a newline, carriage
// return or tab as \n, \r, \t, any other control byte as \xNN. A name from a binlog can
// hold a newline; written raw it would end the comment, and the next line would run when
// the dump is piped into a client.
void append_comment_text(std::string& out, std::string_view text);

// Appends the ### lines of every row of `rows` (decoded from `ev`, with the table map's
// `schema`). `inflated` holds the row bytes of a MariaDB *_COMPRESSED event (empty
// otherwise). On error what was rendered stays appended and the error says where.
[[nodiscard]] result<void> append_rows_verbose(std::string& out, const event_view& ev,
                                               const rows_event& rows, const table_schema& schema,
                                               bytes inflated, text_style style, bool with_types);

}  // namespace binlogkit
