// Compressed events.
//
// MySQL 8.0.20+ TRANSACTION_PAYLOAD (type 40): a whole transaction's events, zstd
// compressed. payload_reader inflates the payload into memory it owns and frames the inner
// events with the outer format description (inner events carry no checksums).
//
// MariaDB 10.2+ compressed events (QUERY_COMPRESSED 165, *_ROWS_COMPRESSED 166-171): the
// statement text, or the row images, are stored as
//   | 1 header: 0x80 | n (n = bytes of the length, 1-4) | n original length, big-endian |
//   | zlib stream |
//
// Ownership: inflate_mariadb returns the inflated bytes in a vector the caller owns. A
// payload_reader owns its inflated payload; the inner event views it yields point into that
// buffer and are valid while the reader lives (it is move-only, and data() is deleted on an
// rvalue). Errors name the outer event's offset and type: a declared size above
// max_inflated_size is refused before anything is allocated (bad_body), a stream that does
// not inflate to its declared size is decompression_failed, an inner event that does not
// frame is truncated / bad_event_length / unknown_event_type. Threads: a payload_reader is
// used by one thread at a time; the functions keep no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/events/event.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/events/format_description.hpp"
#include "binlogkit/core/result.hpp"

namespace binlogkit {

// Largest inflated size accepted (MySQL's and MariaDB's max_allowed_packet ceiling).
inline constexpr std::uint64_t max_inflated_size = 1ull << 30;

// Inflates a MariaDB compressed block. `offset`/`type` name the event in errors.
[[nodiscard]] result<std::vector<std::uint8_t>> inflate_mariadb(bytes block, std::uint64_t offset,
                                                                int type);

class payload_reader {
 public:
  // Inflates the payload of `ev` (a TRANSACTION_PAYLOAD event, decoded as `payload`).
  [[nodiscard]] static result<payload_reader> open(const event_view& ev,
                                                   const transaction_payload_event& payload);

  // The next inner event (views into this reader's buffer; event_view::offset is the
  // offset inside the inflated payload), nullopt at the end.
  [[nodiscard]] result<std::optional<event_view>> next() noexcept;
  // Back to the first inner event (to walk the payload again without inflating it again).
  void rewind() noexcept { pos_ = 0; }

  std::uint64_t outer_offset() const noexcept { return outer_offset_; }
  bytes data() const& noexcept { return {buffer_.data(), buffer_.size()}; }
  bytes data() const&& = delete;

  payload_reader(payload_reader&&) noexcept = default;
  payload_reader& operator=(payload_reader&&) noexcept = default;
  payload_reader(const payload_reader&) = delete;
  payload_reader& operator=(const payload_reader&) = delete;

 private:
  payload_reader() = default;
  std::vector<std::uint8_t> buffer_;
  format_description format_;
  std::uint64_t outer_offset_ = 0;
  std::uint64_t pos_ = 0;
};

}  // namespace binlogkit
