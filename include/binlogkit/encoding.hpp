// Text encodings shared by every layer that writes text: identifiers for SQL and the
// mysqlbinlog -v row lines, base64 for BINLOG statements and JSON values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "binlogkit/bytes.hpp"

namespace binlogkit {

// `name` with every backquote doubled: safe for any byte string under every sql_mode.
void append_identifier(std::string& out, std::string_view name);
[[nodiscard]] std::string sql_identifier(std::string_view name);

// A string literal that reads back as exactly these bytes under every sql_mode (with or
// without NO_BACKSLASH_ESCAPES, ANSI_QUOTES): 'text' with single quotes doubled when the
// text holds no backslash and no byte below 0x20 or 0x7f, otherwise X'hex'.
void append_string_literal(std::string& out, std::string_view s);
[[nodiscard]] std::string string_literal(std::string_view s);

// X'0A1B' (X'' for nothing).
void append_hex_literal(std::string& out, bytes b);

// Standard base64 (RFC 4648, with padding). wrap > 0 breaks lines every `wrap` characters
// (the server's decoder skips the line breaks).
void append_base64(std::string& out, bytes b, std::size_t wrap = 0);

}  // namespace binlogkit
