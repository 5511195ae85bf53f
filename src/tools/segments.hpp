// Where a reader may start in the middle of a file: the internal helpers behind reading a
// large file in parallel segments (verify, dump). A start found here is only a candidate:
// the reader of the segment before must land on it exactly, with the same layout in
// force, for the segment to be trusted.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/events/format_description.hpp"
#include "binlogkit/events/reader.hpp"

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

// Where a file is cut: the starts of its segments and the format every segment after the
// first starts under (the file's first format description).
struct segment_plan {
  format_description first;
  std::vector<std::uint64_t> starts;  // ascending; starts[0] == 0
};
enum class segment_start : std::uint8_t { event, transaction };

// Cuts `data` about every `segment_size` bytes at an event (or transaction) start; nullopt
// when it is smaller than two segments, its first event is not a version-4 format
// description, or fewer than two segments result.
[[nodiscard]] std::optional<segment_plan> plan_segments(bytes data, std::uint64_t segment_size,
                                                        segment_start at) noexcept;

// Whether `reader` (reading a segment) may hand over to a later one now: `next` is moved
// past the starts behind the reader; returns the index of the start it stands on exactly,
// with the plan's layout in force and outside an encrypted stretch.
[[nodiscard]] std::optional<std::size_t> handover(const segment_plan& plan, std::size_t& next,
                                                  const event_reader& reader) noexcept;

// Threads for `requested` (0: one per core, at most 8).
[[nodiscard]] unsigned thread_count(unsigned requested) noexcept;

}  // namespace binlogkit::detail
