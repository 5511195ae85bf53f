// Framing checks for a triage scan: whether an event's log_pos agrees with where it lies,
// and where events chain again after damage. A chain of `chain` events that decode, whose
// log_pos is plausible and (without checksums) whose types are known, is taken as the
// next real event: one valid-looking header alone is too easy to find in row data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/events/format_description.hpp"
#include "binlogkit/events/reader.hpp"

namespace binlogkit::detail {

// How log_pos reads in the files: a binlog event's log_pos is its end offset. In a relay
// log only the receiver's own events (server id `relay_server_id`, not artificial) carry
// their end in the relay file; the source's carry source positions and are not checked here.
struct log_framing {
  bool relay = false;
  std::uint32_t relay_server_id = 0;
};

// True unless `ev`'s log_pos must be its end offset and is not (0 and binlog v1-3: true).
[[nodiscard]] bool log_pos_plausible(const event_view& ev, const log_framing& f);

// True when `chain` events chain from `at` in `data` (format `fd`); reaching the end of
// `data` exactly after at least one valid event also counts.
[[nodiscard]] bool chain_holds(bytes data, const format_description& fd, std::uint64_t at, std::size_t chain,
                               const log_framing& f);

// The first offset at or after `from` where a known event of `fd` begins (its size fits,
// a binlog's log_pos agrees) and `chain` events chain; std::nullopt when none does.
[[nodiscard]] std::optional<std::uint64_t> next_chain(bytes data, const format_description& fd, std::uint64_t from,
                                                      std::size_t chain, const log_framing& f);

}  // namespace binlogkit::detail
