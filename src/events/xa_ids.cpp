#include "xa_ids.hpp"

#include <fmt/format.h>

#include <cctype>

namespace binlogkit::detail {

namespace {

std::string hex(std::string_view s) {
  std::string out;
  for (char c : s) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

void skip_blanks(std::string_view s, std::size_t& at) {
  while (at < s.size() && std::isspace(static_cast<unsigned char>(s[at])) != 0) ++at;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool hex_bytes(std::string_view digits, std::string& out) {
  if (digits.size() % 2 != 0) return false;
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    const int hi = hex_digit(digits[i]), lo = hex_digit(digits[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
  }
  return true;
}

// One part of an xid at `at`: 'text' (with '' and \x escapes), "text", X'hex' or 0xhex.
bool xid_part(std::string_view s, std::size_t& at, std::string& out) {
  skip_blanks(s, at);
  if (at + 1 < s.size() && (s[at] == 'x' || s[at] == 'X') && s[at + 1] == '\'') {
    const auto end = s.find('\'', at + 2);
    if (end == std::string_view::npos || !hex_bytes(s.substr(at + 2, end - at - 2), out)) return false;
    at = end + 1;
    return true;
  }
  if (at + 1 < s.size() && s[at] == '0' && (s[at + 1] == 'x' || s[at + 1] == 'X')) {
    std::size_t end = at + 2;
    while (end < s.size() && hex_digit(s[end]) >= 0) ++end;
    if (!hex_bytes(s.substr(at + 2, end - at - 2), out)) return false;
    at = end;
    return true;
  }
  if (at >= s.size() || (s[at] != '\'' && s[at] != '"')) return false;
  const char quote = s[at];
  for (++at; at < s.size(); ++at) {
    if (s[at] == '\\' && at + 1 < s.size()) out += s[++at];
    else if (s[at] == quote && at + 1 < s.size() && s[at + 1] == quote) out += s[at++];
    else if (s[at] == quote) break;
    else out += s[at];
  }
  if (at >= s.size()) return false;
  ++at;
  return true;
}

bool comma(std::string_view s, std::size_t& at) {
  skip_blanks(s, at);
  if (at < s.size() && s[at] == ',') {
    ++at;
    return true;
  }
  return false;
}

}  // namespace

std::string xa_key(std::int64_t format_id, std::string_view gtrid, std::string_view bqual) {
  return fmt::format("{}:{}:{}", format_id, hex(gtrid), hex(bqual));
}

std::string xa_text(std::int64_t format_id, std::string_view gtrid, std::string_view bqual) {
  return fmt::format("X'{}',X'{}',{}", hex(gtrid), hex(bqual), format_id);
}

std::optional<xa_id> parse_xa_statement(std::string_view sql) {
  // "XA" then one keyword (PREPARE, COMMIT, ROLLBACK), then the xid.
  std::size_t at = 0;
  for (int word = 0; word < 2; ++word) {
    skip_blanks(sql, at);
    while (at < sql.size() && std::isalpha(static_cast<unsigned char>(sql[at])) != 0) ++at;
  }
  std::string gtrid, bqual;
  if (!xid_part(sql, at, gtrid)) return std::nullopt;
  std::int64_t format_id = 1;
  if (comma(sql, at)) {
    if (!xid_part(sql, at, bqual)) return std::nullopt;
    if (comma(sql, at)) {
      skip_blanks(sql, at);
      std::size_t digits = 0;
      format_id = 0;
      while (at < sql.size() && std::isdigit(static_cast<unsigned char>(sql[at])) != 0 && digits < 18) {
        format_id = format_id * 10 + (sql[at++] - '0');
        ++digits;
      }
      if (digits == 0) return std::nullopt;
    }
  }
  return xa_id{xa_key(format_id, gtrid, bqual), xa_text(format_id, gtrid, bqual)};
}

}  // namespace binlogkit::detail
