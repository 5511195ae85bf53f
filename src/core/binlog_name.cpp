#include "binlogkit/core/binlog_name.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace binlogkit {

namespace {

std::string_view last_component(std::string_view path) noexcept {
  auto slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::size_t digits(std::uint64_t v) noexcept {
  std::size_t n = 1;
  for (; v >= 10; v /= 10) ++n;
  return n;
}

// A name the server wrote ("%06lu": at least six digits, no other leading zeros) gets the
// server's form; any other keeps its width.
std::string with_number(const binlog_name& n, std::uint64_t number) {
  const bool server_form = n.width == std::max<std::size_t>(6, digits(n.number));
  return fmt::format("{}.{:0{}}", n.base, number, server_form ? std::size_t{6} : n.width);
}

}  // namespace

std::optional<binlog_name> parse_binlog_name(std::string_view name) noexcept {
  const auto dot = name.find_last_of('.');
  if (dot == std::string_view::npos || dot + 1 == name.size()) return std::nullopt;
  const auto digits = name.substr(dot + 1);
  std::uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return binlog_name{name.substr(0, dot), v, digits.size()};
}

std::optional<std::string> next_binlog_name(std::string_view name) {
  auto n = parse_binlog_name(name);
  if (!n || n->number == UINT64_MAX) return std::nullopt;
  return with_number(*n, n->number + 1);
}

std::optional<std::string> previous_binlog_name(std::string_view name) {
  auto n = parse_binlog_name(name);
  if (!n || n->number == 0) return std::nullopt;
  return with_number(*n, n->number - 1);
}

int compare_binlog_names(std::string_view a, std::string_view b) noexcept {
  if (a == b) return 0;
  auto na = parse_binlog_name(last_component(a)), nb = parse_binlog_name(last_component(b));
  if (na && nb && na->base == nb->base && na->number != nb->number) return na->number < nb->number ? -1 : 1;
  return a < b ? -1 : 1;
}

std::string_view index_file_line(std::string_view line) noexcept {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  return line;
}

}  // namespace binlogkit
