// A framed event: its common header, where its bytes are, and whether its checksum held.
//
// Common header (binlog versions 3 and 4; version 1 stops after event_size):
//   | offset | bytes | field                                                   |
//   |    0   |   4   | timestamp (seconds since the epoch)                     |
//   |    4   |   1   | event type code                                         |
//   |    5   |   4   | server id                                               |
//   |    9   |   4   | event size, header and checksum included                |
//   |   13   |   4   | log_pos: end of this event in the source's binlog (v4), |
//   |        |       |   its start (v3), 0 for events a server made up         |
//   |   17   |   2   | flags                                                   |
// Version 4 allows a longer header (the format description says how long); extra bytes
// are skipped.
//
// Errors: none here; the reader has checked each view's header, size and (by default) CRC32,
// and the decoders (events.hpp) check the body. Threads: a view is a value; any number of
// threads may read views of the same source at once.
#pragma once

#include <cstdint>
#include <string_view>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/core/event_type.hpp"
#include "binlogkit/events/format_description.hpp"

namespace binlogkit {

struct event_header {
  std::uint32_t timestamp = 0;
  std::uint8_t type_code = 0;
  std::uint32_t server_id = 0;
  std::uint32_t event_size = 0;
  std::uint32_t log_pos = 0;
  std::uint16_t flags = 0;

  event_type type() const noexcept { return static_cast<event_type>(type_code); }
};

enum class checksum_status : std::uint8_t { none = 0, ok = 1, bad = 2 };
[[nodiscard]] std::string_view to_string(checksum_status s) noexcept;

// Views into the source's bytes: valid while the source (and the reader, for `format`)
// lives. Copy it freely; it owns nothing.
struct event_view {
  std::uint64_t offset = 0;  // where the event starts in its file
  event_header header{};
  bytes raw{};   // the whole event: header, body, checksum
  bytes body{};  // after the common header, before the checksum
  checksum_status checksum = checksum_status::none;
  std::uint32_t stored_checksum = 0;
  const format_description* format = nullptr;  // in force for this event (never null)

  event_type type() const noexcept { return header.type(); }
  std::uint64_t end_offset() const noexcept { return offset + raw.size(); }
  // The post-header and the rest of the body, split as the format description says.
  // post_header is shorter than declared only when the body is (decoders check).
  bytes post_header() const noexcept;
  bytes payload() const noexcept;  // body after the post-header
  // end_log_pos as mysqlbinlog prints it: log_pos in v4, log_pos + size before v4.
  std::uint64_t end_log_pos() const noexcept;
};

}  // namespace binlogkit
