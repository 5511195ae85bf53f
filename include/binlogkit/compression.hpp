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
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "binlogkit/bytes.hpp"
#include "binlogkit/event.hpp"
#include "binlogkit/events.hpp"
#include "binlogkit/format_description.hpp"
#include "binlogkit/result.hpp"

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
