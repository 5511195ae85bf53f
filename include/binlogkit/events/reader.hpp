// event_reader: frames the events of one binlog or relay-log file held in memory.
//
// It checks the magic, reads every format description (relay logs carry several: the
// replica's own and the source's) and frames each event with the header length and
// checksum setting in force, verifying CRC32 by default. It yields event views into the
// caller's bytes; nothing is copied per event and nothing is allocated but one small
// record per format description.
//
// Ownership: the reader holds a view of `data`: the bytes must outlive it and every
// event_view it yields, and since an event_view's `format` points into the reader, the
// reader must outlive the views whose format is used. Errors: after a framing error
// (truncated, bad length, unknown type) the reader stops and every later call returns the
// same error; after a checksum mismatch it has moved past the event and may go on.
// Threads: a reader is used by one thread at a time; several readers may read the same
// bytes at once (verify and dump do, one per segment).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/events/event.hpp"
#include "binlogkit/events/format_description.hpp"
#include "binlogkit/core/result.hpp"

namespace binlogkit {

struct reader_options {
  // Compute each event's CRC32 when the format description says the file has them.
  bool verify_checksums = true;
  // With verify_checksums: check only format descriptions here and leave the other
  // events' CRC32 to the caller (event_view::stored_checksum is set; checksum stays
  // none). verify uses this to check checksums on a second core.
  bool checksum_format_descriptions_only = false;
  // When true a failing checksum is an error; when false the event is yielded with
  // checksum == checksum_status::bad (dump uses this to show the event anyway).
  bool bad_checksum_is_error = true;
  // Yield events whose type code is unknown (as views with no typed decoding) instead of
  // failing. Unknown events flagged LOG_EVENT_IGNORABLE_F are always yielded.
  bool allow_unknown_types = false;
};

// What event_reader::read found.
enum class read_status : std::uint8_t { event, end, error };

class event_reader {
 public:
  explicit event_reader(bytes data, reader_options options = {}) noexcept
      : data_(data), options_(options) {}

  // A reader that starts at `offset` with `format` already in force (for probing and
  // re-synchronising in the middle of a file whose format description was read before).
  event_reader(bytes data, const format_description& format, std::uint64_t offset,
               reader_options options = {})
      : data_(data), options_(options), pos_(offset), started_(true) {
    formats_.push_back(format);
  }

  // The next event; std::nullopt at a clean end of the data. After a framing error
  // (truncated, bad length, unknown type) every later call returns the same error; after
  // a checksum error the reader has moved past the event and may go on.
  [[nodiscard]] result<std::optional<event_view>> next() noexcept;
  // The same without the wrapping, for tight loops: fills `out` and says whether it holds
  // an event, the data ended cleanly, or last_error() says what went wrong.
  [[nodiscard]] read_status read(event_view& out) noexcept;
  const error& last_error() const noexcept { return last_error_; }

  // Offset of the next event to read (4 before the first).
  std::uint64_t position() const noexcept { return started_ ? pos_ : binlog_magic_size; }
  // Moves to an offset, e.g. to re-synchronise after damage; clears a framing error.
  void seek(std::uint64_t offset) noexcept;
  // The format description in force, or nullptr before the first one.
  const format_description* format() const noexcept {
    return formats_.empty() ? nullptr : &formats_.back();
  }
  // Every format description seen so far (relay logs hold several), oldest first.
  const std::deque<format_description>& formats() const noexcept { return formats_; }
  // True once a MariaDB START_ENCRYPTION event has been read: later events are encrypted.
  bool encrypted() const noexcept { return encrypted_; }
  bytes data() const noexcept { return data_; }

 private:
  read_status fail(error e) noexcept;
  read_status start() noexcept;
  read_status read_encrypted(std::uint64_t offset) noexcept;
  read_status read_format_description(event_view& ev, std::size_t header_length) noexcept;
  read_status check(event_view& ev, bool is_fde) noexcept;

  bytes data_;
  reader_options options_;
  std::uint64_t pos_ = 0;
  bool started_ = false;
  bool encrypted_ = false;
  std::optional<error> sticky_;
  error last_error_{};
  std::deque<format_description> formats_;  // stable addresses: views point at them
};

}  // namespace binlogkit
