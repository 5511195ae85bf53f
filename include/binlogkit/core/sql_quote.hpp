// Quoting of the SQL text binlogkit writes itself, and what makes it correct.
//
// The server reads a statement in the session's client character set (character_set_client).
// In big5, cp932, gbk, sjis and gb18030 a byte below 0x80 can be the second byte of a
// character: after a byte >= 0x80, a backquote (0x60), backslash (0x5C) or quote (0x27)
// may belong to the character before it, so a doubled backquote can close a name early and
// what follows runs as SQL. The rules here:
//
//   strings      append_string_literal writes only printable ASCII ('text', or X'hex' for
//                anything else): it reads back as the same bytes in every client character
//                set the server accepts and under every sql_mode.
//   names        append_identifier doubles backquotes. A name of printable ASCII reads the
//                same in every accepted client character set but swe7; a name with a byte
//                >= 0x80 is UTF-8 (the servers keep names in utf8mb3) and must be read in
//                utf8mb3/utf8mb4. Before writing one, call quoting_safe_in() with the client
//                character set in force and, when it says no, send
//                utf8_client_statement (and, for text read by the mariadb/mysql client,
//                utf8_client_command before it) first.
//   file names   where the grammar takes only a quoted string (LOAD DATA INFILE, CHANGE
//                MASTER TO MASTER_LOG_FILE): append_plain_literal, which refuses text it
//                cannot write the same way under every sql_mode and character set.
//
// ucs2, utf16, utf16le and utf32 are never client character sets (the server refuses them).
//
// Errors: nothing here fails: text that cannot be written safely is refused
// (append_plain_literal returns false) or left unproven (proven_single_statement).
// Threads: pure functions, no state.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "binlogkit/core/bytes.hpp"

namespace binlogkit {

// `name` between backquotes with every backquote doubled. Correct when
// quoting_safe_in(client character set, name) holds.
void append_identifier(std::string& out, std::string_view name);
[[nodiscard]] std::string sql_identifier(std::string_view name);

// A string literal that reads back as exactly these bytes in every client character set
// and under every sql_mode (NO_BACKSLASH_ESCAPES, ANSI_QUOTES): 'text' with quotes doubled
// when every byte is printable ASCII (0x20..0x7e) other than a backslash, else X'hex'.
void append_string_literal(std::string& out, std::string_view s);
[[nodiscard]] std::string string_literal(std::string_view s);

// X'0A1B' (X'' for nothing).
void append_hex_literal(std::string& out, bytes b);

// 'text' with quotes doubled, for the places that take no hex literal. False (nothing
// appended) unless every byte is printable ASCII other than a backslash.
[[nodiscard]] bool append_plain_literal(std::string& out, std::string_view s);

// Every byte printable ASCII (0x20..0x7e).
[[nodiscard]] bool is_printable_ascii(std::string_view s) noexcept;

// utf8, utf8mb3, utf8mb4.
[[nodiscard]] bool is_utf8_charset(std::string_view charset) noexcept;
// A client character set in which no character holds a byte below 0x80 and every such byte
// stands for its ASCII character: false for big5, cp932, gbk, sjis, gb18030, swe7 and the
// 16/32-bit ones.
[[nodiscard]] bool is_ascii_transparent_charset(std::string_view charset) noexcept;

// Whether a name or string `payload` of ours is read as written while the client character
// set is `charset` (nullopt: not known, as at the start of a session; taken to be ASCII
// transparent, so only payloads with a byte >= 0x80 need the switch there).
[[nodiscard]] bool quoting_safe_in(std::optional<std::string_view> charset, std::string_view payload) noexcept;

// The switch to a client character set in which every name of ours is read as written.
inline constexpr std::string_view utf8_client_statement = "SET @@session.character_set_client=utf8mb4";
// The same for the mariadb/mysql command-line client, which splits statements in its own
// character set (it also sends SET NAMES utf8mb4).
inline constexpr std::string_view utf8_client_command = "/*!\\C utf8mb4 */";

// Whether `text`, read by the server in client character set `charset` (nullopt: not known),
// is proven to be exactly one statement that ends where the text ends, so that statements
// joined by "\n;\n" in one multi-statement packet split exactly there: no ';' outside quotes
// and comments, no quote or comment left open, under every sql_mode (backslash escapes or
// not, " quoting a string or a name). Unproven: a byte >= 0x80 in a character set that is not
// ASCII transparent, a quoted "*/" or a nested comment inside an executable comment
// (/*!...*/ may be skipped as a comment by the server), an optimizer hint (/*+ ... */).
[[nodiscard]] bool proven_single_statement(std::string_view text, std::optional<std::string_view> charset) noexcept;

}  // namespace binlogkit
