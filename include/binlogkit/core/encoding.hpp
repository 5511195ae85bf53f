// Text encodings shared by every layer that writes text: base64 for BINLOG statements and
// JSON values. SQL names and strings: binlogkit/core/sql_quote.hpp (included here).
//
// Errors: none. Threads: functions without state; they append to the caller's string.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/core/sql_quote.hpp"

namespace binlogkit {

// Standard base64 (RFC 4648, with padding). wrap > 0 breaks lines every `wrap` characters
// (the server's decoder skips the line breaks).
void append_base64(std::string& out, bytes b, std::size_t wrap = 0);

}  // namespace binlogkit
