// Which transactions of a file `dump` prints under sql/replay's filters (start/stop
// datetime, include/exclude GTIDs, databases), decided per transaction as `sql` decides:
// a transaction is kept or left out whole, events outside transactions (format
// description, rotate, GTID lists, checkpoints) are always printed.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/sql/sql.hpp"

namespace binlogkit_cli {

struct dump_selection {
  // [begin, end) of each transaction left out, in file order.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> skip;
  // --stop-datetime: the offset of the first transaction (or event outside one) with an
  // event at or after it; nothing from there is printed.
  std::optional<std::uint64_t> stop;
};

// Reads `data` once (no checksums: the dump itself reports damage). A transaction is left
// out when its first event is older than start_datetime, its GTID is not in include_gtids
// or is in exclude_gtids, or (with databases) none of its statements' default databases
// and table maps' databases is listed. Positions in `filter` are not looked at.
[[nodiscard]] dump_selection select_transactions(binlogkit::bytes data, const binlogkit::sql_filter& filter);

// Whether the dump needs select_transactions at all.
[[nodiscard]] bool selects_transactions(const binlogkit::sql_filter& filter);

}  // namespace binlogkit_cli
