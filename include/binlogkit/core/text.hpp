// Blanks around text that a user or a server wrote: GTID sets and positions given on the
// command line or read from the replica, filter and time arguments.
//
// The blanks are the six ASCII white-space characters: space, \t, \n, \v, \f and \r. That is
// what MySQL's GTID set parser skips (SKIP_WHITESPACE: my_isspace over its utf8 character
// set, which marks only these; in UTF-8 no byte from 0x80 up is a blank on its own), and the
// C locale's isspace. Nothing else is one: not NUL, not 0xA0 (a no-break space in latin1,
// half of a character in UTF-8), not a multi-byte Unicode space. The set does not depend on
// the process locale.
#pragma once

#include <string_view>

namespace binlogkit {

// True for ' ', '\t', '\n', '\v', '\f', '\r'.
[[nodiscard]] constexpr bool is_blank(char c) noexcept {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

// `text` without the blanks at its start and end (a view into `text`; empty when it is all
// blanks).
[[nodiscard]] constexpr std::string_view trim_blanks(std::string_view text) noexcept {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace binlogkit
