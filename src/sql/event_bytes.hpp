// Small edits of whole events as the renderer copies them into a BINLOG statement: where
// a rows event's flags are, a little-endian store, and the CRC32 written again after a
// change. Every function takes an event the caller has already framed (its size in the
// header is the number of bytes there).
#pragma once

#include <cstddef>
#include <cstdint>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/core/crc32.hpp"
#include "binlogkit/events/event.hpp"
#include "binlogkit/events/format_description.hpp"

namespace binlogkit::detail {

// Rows event post-header: | table id (6, or 4 when the post-header is 6 bytes) | 2 flags |
// (TABLE_MAP's starts the same way): where the flags are in an event of type `code`.
inline std::size_t rows_flags_offset(const format_description& f, std::uint8_t code) {
  return f.header_length() + (f.post_header_length(code) == 6 ? 4u : 6u);
}
inline std::size_t rows_flags_offset(const event_view& ev) {
  return rows_flags_offset(*ev.format, ev.header.type_code);
}

inline void store_le32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
  p[2] = static_cast<std::uint8_t>(v >> 16);
  p[3] = static_cast<std::uint8_t>(v >> 24);
}

// Writes the CRC32 of the event at `p` (its size from the header) after a change to it.
inline void refresh_checksum(std::uint8_t* p) {
  const std::uint32_t size = le32(p + 9);
  store_le32(p + size - 4, crc32({p, size - 4u}));
}

}  // namespace binlogkit::detail
