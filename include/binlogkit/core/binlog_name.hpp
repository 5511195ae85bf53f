// Binlog and relay-log file names as servers write them: NAME.NNNNNN, a base name, a dot,
// and a sequence number of at least six digits (MySQL and MariaDB format it with "%06lu",
// so binlog.999999 is followed by binlog.1000000). The one place that parses, orders and
// steps them, and reads the lines of an index file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace binlogkit {

struct binlog_name {
  std::string_view base;     // "binlog" (a directory part stays in it: "dir/binlog")
  std::uint64_t number = 0;  // 12
  std::size_t width = 0;     // digits written: 6 for "000012"
};

// `name` split at its last dot, when only decimal digits follow it (at least one, at most
// what fits 64 bits); std::nullopt otherwise ("binlog", "binlog.", "binlog.00a1",
// "binlog.000001.gz", a number past 18446744073709551615). The base may be empty. Views
// into `name`.
[[nodiscard]] std::optional<binlog_name> parse_binlog_name(std::string_view name) noexcept;
[[nodiscard]] inline bool is_binlog_name(std::string_view name) noexcept { return parse_binlog_name(name).has_value(); }

// The name a server gives the file after / before this one: the number plus / minus one.
// A name in the server's form (six digits, or more without leading zeros) stays in it
// ("b.000009" -> "b.000010", "b.999999" -> "b.1000000", "b.1000000" -> "b.999999"); any
// other keeps its width ("b.1" -> "b.2"). nullopt when `name` is not NAME.NNNNNN, the
// number would overflow, or there is none before 0.
[[nodiscard]] std::optional<std::string> next_binlog_name(std::string_view name);
[[nodiscard]] std::optional<std::string> previous_binlog_name(std::string_view name);

// Orders file names as a server's sequence: names of one base by number (binlog.000009 <
// binlog.000010 < binlog.1000000), any other pair as strings. Only the last path component
// is compared as a binlog name. <0, 0, >0.
[[nodiscard]] int compare_binlog_names(std::string_view a, std::string_view b) noexcept;

// One line of an index file (binlog.index, relay-log.index): the file name it lists, without
// the '\r' and blanks a line may end with; empty for a blank line.
[[nodiscard]] std::string_view index_file_line(std::string_view line) noexcept;

}  // namespace binlogkit
