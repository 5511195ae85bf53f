// Where a reader may start in the middle of a file: the internal helpers behind reading a
// large file in parallel segments (verify, dump). A start found here is only a candidate:
// the reader of the segment before must land on it exactly, with the same layout in
// force, for the segment to be trusted.
#pragma once

#include <cstdint>
#include <optional>

#include "binlogkit/bytes.hpp"
#include "binlogkit/format_description.hpp"

namespace binlogkit::detail {

// Whether a checkable event of `format` plausibly starts at `at`: a known type the format
// defines (format descriptions and START_ENCRYPTION excluded), a size that fits (at most
// 1 MiB: larger events are legal but never needed as a place to start), and, with
// checksums, a CRC32 that matches.
[[nodiscard]] bool plausible_event(bytes data, std::uint64_t at, const format_description& format) noexcept;

// The first offset in [from, to) where a chain of plausible events begins (it may run to
// the end of the data), or nullopt.
[[nodiscard]] std::optional<std::uint64_t> find_event_start(bytes data, std::uint64_t from, std::uint64_t to,
                                                            const format_description& format) noexcept;

// The same, moved forward along the chain to the first event that opens a transaction
// (a GTID event of either server), still before `to`: a reader starting there needs no
// state (table maps) from before it.
[[nodiscard]] std::optional<std::uint64_t> find_transaction_start(bytes data, std::uint64_t from, std::uint64_t to,
                                                                  const format_description& format) noexcept;

}  // namespace binlogkit::detail
