#include "binlogkit/core/sql_quote.hpp"

#include <algorithm>
#include <array>

namespace binlogkit {

namespace {

// `s` between `quote`s, with every `quote` in it doubled.
void append_doubled(std::string& out, std::string_view s, char quote) {
  out += quote;
  for (char c : s) {
    if (c == quote) out += quote;
    out += c;
  }
  out += quote;
}

}  // namespace

void append_identifier(std::string& out, std::string_view name) { append_doubled(out, name, '`'); }

std::string sql_identifier(std::string_view name) {
  std::string s;
  s.reserve(name.size() + 2);
  append_identifier(s, name);
  return s;
}

void append_hex_literal(std::string& out, bytes b) {
  static constexpr char digits[] = "0123456789ABCDEF";
  out += "X'";
  for (auto x : b) {
    out += digits[x >> 4];
    out += digits[x & 15];
  }
  out += '\'';
}

bool is_printable_ascii(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
}

namespace {

// Printable ASCII without a backslash: the same between quotes in every character set the
// server takes from a client and under every sql_mode.
bool plain(std::string_view s) noexcept { return is_printable_ascii(s) && s.find('\\') == std::string_view::npos; }

}  // namespace

void append_string_literal(std::string& out, std::string_view s) {
  if (plain(s)) {
    append_doubled(out, s, '\'');
  } else {
    append_hex_literal(out, {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  }
}

std::string string_literal(std::string_view s) {
  std::string out;
  append_string_literal(out, s);
  return out;
}

bool append_plain_literal(std::string& out, std::string_view s) {
  if (!plain(s)) return false;
  append_doubled(out, s, '\'');
  return true;
}

bool is_utf8_charset(std::string_view charset) noexcept {
  return charset == "utf8mb4" || charset == "utf8mb3" || charset == "utf8";
}

bool is_ascii_transparent_charset(std::string_view charset) noexcept {
  // Second bytes from 0x40 (big5, cp932, gbk, sjis) or 0x30 (gb18030); swe7 spells
  // letters with [\]^`{|}~; the wide ones are no ASCII superset at all.
  static constexpr std::array<std::string_view, 10> opaque{"big5", "cp932",   "gbk",  "sjis",  "gb18030",
                                                           "swe7", "ucs2",    "utf16", "utf16le", "utf32"};
  return std::find(opaque.begin(), opaque.end(), charset) == opaque.end();
}

bool quoting_safe_in(std::optional<std::string_view> charset, std::string_view payload) noexcept {
  const bool ascii = std::none_of(payload.begin(), payload.end(),
                                  [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  if (!ascii) return charset && is_utf8_charset(*charset);
  // ASCII is never a second byte where the first is >= 0x80; swe7 spells letters with it.
  static constexpr std::array<std::string_view, 5> not_ascii{"swe7", "ucs2", "utf16", "utf16le", "utf32"};
  return !charset || std::find(not_ascii.begin(), not_ascii.end(), *charset) == not_ascii.end();
}

// ---- statement boundaries ---------------------------------------------------------------

namespace {

struct scan_mode {
  bool escape_single;  // a backslash escapes inside '...'
  bool escape_double;  // and inside "..." (false under ANSI_QUOTES: a name)
};

bool is_space_or_control(unsigned char c) { return c <= 0x20 || c == 0x7f; }

// Past the quote opened at t[i]; npos when it is not closed. *star_slash: a "*/" inside.
std::size_t skip_quoted(std::string_view t, std::size_t i, scan_mode m, bool& star_slash) {
  const char q = t[i];
  const bool escapes = (q == '\'' && m.escape_single) || (q == '"' && m.escape_double);
  for (++i; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '\\' && escapes) {
      ++i;
      continue;
    }
    if (c == '*' && i + 1 < t.size() && t[i + 1] == '/') star_slash = true;
    if (c == q) {
      if (i + 1 < t.size() && t[i + 1] == q) {
        ++i;
        continue;
      }
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// One reading of the text: true when it is one statement, closed at its end.
bool single_in(std::string_view t, scan_mode m) {
  std::size_t i = 0;
  bool exec = false;  // inside /*! ... */ or /*M! ... */ (code, or a comment to the server)
  while (i < t.size()) {
    const char c = t[i];
    if (c == '\'' || c == '"' || c == '`') {
      bool star_slash = false;
      i = skip_quoted(t, i, m, star_slash);
      if (i == std::string_view::npos || (exec && star_slash)) return false;
      continue;
    }
    if (c == '/' && i + 1 < t.size() && t[i + 1] == '*') {
      const std::string_view rest = t.substr(i + 2);
      if (rest.starts_with("!") || rest.starts_with("M!")) {
        if (exec) return false;
        exec = true;
        i += rest.starts_with("!") ? 3 : 4;
        continue;
      }
      if (exec || rest.starts_with("+")) return false;
      const auto end = t.find("*/", i + 2);
      if (end == std::string_view::npos) return false;
      i = end + 2;
      continue;
    }
    if (c == '*' && exec && i + 1 < t.size() && t[i + 1] == '/') {
      exec = false;
      i += 2;
      continue;
    }
    const bool dash_comment = c == '-' && i + 1 < t.size() && t[i + 1] == '-' &&
                              (i + 2 == t.size() || is_space_or_control(static_cast<unsigned char>(t[i + 2])));
    if (c == '#' || dash_comment) {
      if (exec) return false;
      const auto nl = t.find('\n', i);
      if (nl == std::string_view::npos) return true;  // the line, and the text, end here
      i = nl + 1;
      continue;
    }
    if (c == ';') return false;
    ++i;
  }
  return !exec;
}

}  // namespace

bool proven_single_statement(std::string_view text, std::optional<std::string_view> charset) noexcept {
  const bool high = std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  if (high && (!charset || !is_ascii_transparent_charset(*charset))) return false;
  for (scan_mode m : {scan_mode{true, true}, scan_mode{false, false}, scan_mode{true, false}}) {
    if (!single_in(text, m)) return false;
  }
  return true;
}

}  // namespace binlogkit
