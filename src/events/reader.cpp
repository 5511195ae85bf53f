#include "binlogkit/events/reader.hpp"

#include <algorithm>
#include <cstring>

#include "binlogkit/core/crc32.hpp"

namespace binlogkit {

namespace {
error err(errc code, std::uint64_t offset, int type, std::string_view detail) {
  return error{code, offset, static_cast<std::int16_t>(type), detail};
}
constexpr std::uint16_t flag_ignorable = 0x0080;  // LOG_EVENT_IGNORABLE_F
constexpr std::size_t v1_header_length = 13;
constexpr std::size_t v3_start_event_size = 19 + 56;
}  // namespace

std::string_view to_string(checksum_status s) noexcept {
  switch (s) {
    case checksum_status::ok: return "ok";
    case checksum_status::bad: return "bad";
    case checksum_status::none: break;
  }
  return "none";
}

bytes event_view::post_header() const noexcept {
  int len = format->post_header_length(header.type_code);
  if (len <= 0) return {};
  return body.first(std::min(body.size(), static_cast<std::size_t>(len)));
}

bytes event_view::payload() const noexcept {
  int len = format->post_header_length(header.type_code);
  if (len <= 0) return body;
  return body.subspan(std::min(body.size(), static_cast<std::size_t>(len)));
}

std::uint64_t event_view::end_log_pos() const noexcept {
  if (format->binlog_version() >= 4 || header.log_pos == 0) return header.log_pos;
  return std::uint64_t{header.log_pos} + header.event_size;
}

void event_reader::seek(std::uint64_t offset) noexcept {
  if (!started_) {
    started_ = true;  // the caller takes responsibility for where events start
  }
  pos_ = offset;
  sticky_.reset();
}

read_status event_reader::fail(error e) noexcept {
  sticky_ = e;
  last_error_ = e;
  return read_status::error;
}

result<std::optional<event_view>> event_reader::next() noexcept {
  event_view ev;
  switch (read(ev)) {
    case read_status::event: return std::optional<event_view>{ev};
    case read_status::end: return std::optional<event_view>{};
    case read_status::error: break;
  }
  return unexpected<error>(last_error_);
}

read_status event_reader::start() noexcept {
  started_ = true;
  if (data_.size() < binlog_magic_size) {
    if (std::equal(data_.begin(), data_.end(), binlog_magic.begin())) {
      return fail(err(errc::truncated, 0, -1, "file ends inside the 4-byte magic"));
    }
    return fail(err(errc::bad_magic, 0, -1, "not a binlog: too short for the magic"));
  }
  if (!std::equal(binlog_magic.begin(), binlog_magic.end(), data_.begin())) {
    return fail(err(errc::bad_magic, 0, -1, "not a binlog: the file does not start with fe 62 69 6e"));
  }
  pos_ = binlog_magic_size;
  return read_status::event;
}

// MariaDB encrypted events keep only their length in plain text, where the header has it
// (offset 9); every other byte is ciphertext.
read_status event_reader::read_encrypted(std::uint64_t offset) noexcept {
  const std::size_t avail = data_.size() - pos_;
  const std::uint8_t* p = data_.data() + pos_;
  if (avail < 13) return fail(err(errc::truncated, offset, -1, "file ends inside an encrypted event's length"));
  std::uint32_t size = detail::le32(p + 9);
  if (size < format()->header_length()) {
    return fail(err(errc::bad_event_length, offset, -1, "encrypted event shorter than a header"));
  }
  if (size > avail) return fail(err(errc::truncated, offset, -1, "file ends inside an encrypted event"));
  pos_ += size;
  last_error_ = err(errc::encrypted, offset, -1, "event is encrypted (MariaDB binlog encryption); no key given");
  return read_status::error;
}

// A format description (or version 1/3 start event): decoded, kept, and put in force.
read_status event_reader::read_format_description(event_view& ev, std::size_t header_length) noexcept {
  auto decoded = format_description::decode(ev.raw, ev.offset, static_cast<int>(header_length));
  if (!decoded) return fail(decoded.error());
  formats_.push_back(*decoded);
  const format_description* fd = &formats_.back();
  const bool has_crc_slot = fd->binlog_version() >= 4 &&
                            format_description::writes_checksum_alg(fd->flavor(), fd->version());
  ev.format = fd;
  ev.body = ev.raw.subspan(header_length, ev.raw.size() - header_length - (has_crc_slot ? checksum_size : 0));
  pos_ += ev.header.event_size;
  // Servers checksum their format description even with checksums off (the slot then
  // holds a real CRC32, or zeros from old writers): a flipped algorithm byte must not
  // switch checking off unseen.
  const bool verify = fd->has_checksums() ||
                      (has_crc_slot && detail::le32(ev.raw.data() + ev.raw.size() - checksum_size) != 0);
  if (!verify) return read_status::event;
  ev.stored_checksum = detail::le32(ev.raw.data() + ev.raw.size() - checksum_size);
  if (!options_.verify_checksums) return read_status::event;
  auto covered = ev.raw.first(ev.raw.size() - checksum_size);
  std::uint32_t computed = 0;
  if ((ev.header.flags & flag_binlog_in_use) != 0) {
    // The server checksums its format description before it sets the in-use flag (and
    // clears the flag in place at close), so the CRC covers the flag cleared.
    constexpr std::size_t flags_at = 17;
    const std::uint8_t cleared[2] = {static_cast<std::uint8_t>(covered[flags_at] & ~flag_binlog_in_use),
                                     covered[flags_at + 1]};
    computed = crc32(covered.first(flags_at));
    computed = crc32(bytes(cleared, 2), computed);
    computed = crc32(covered.subspan(flags_at + 2), computed);
  } else {
    computed = crc32(covered);
  }
  ev.checksum = computed == ev.stored_checksum ? checksum_status::ok : checksum_status::bad;
  if (ev.checksum == checksum_status::bad && options_.bad_checksum_is_error) {
    last_error_ = err(errc::checksum_mismatch, ev.offset, ev.header.type_code,
                      "CRC32 stored in the event does not match its bytes");
    return read_status::error;
  }
  return read_status::event;
}

read_status event_reader::read(event_view& ev) noexcept {
  if (sticky_) [[unlikely]] {
    last_error_ = *sticky_;
    return read_status::error;
  }
  if (!started_) [[unlikely]] {
    if (start() == read_status::error) return read_status::error;
  }
  if (pos_ >= data_.size()) return read_status::end;

  const std::uint64_t offset = pos_;
  const auto* fd = format();
  if (encrypted_) [[unlikely]] return read_encrypted(offset);
  const std::size_t avail = data_.size() - pos_;
  const std::uint8_t* p = data_.data() + pos_;

  // Version 1 has a 13-byte header; everything else at least 19 bytes. Before the first
  // format description, the first event tells which.
  std::size_t header_length = fd != nullptr ? fd->header_length() : 19;
  if (fd == nullptr && avail >= v1_header_length && p[4] == static_cast<std::uint8_t>(event_type::start_v3) &&
      detail::le32(p + 9) < v3_start_event_size) {
    header_length = v1_header_length;
  }
  if (avail < header_length) [[unlikely]] {
    return fail(err(errc::truncated, offset, avail > 4 ? p[4] : -1, "file ends inside an event header"));
  }

  event_header& h = ev.header;
  h.timestamp = detail::le32(p);
  h.type_code = fd != nullptr ? fd->canonical_type(p[4]) : p[4];
  h.server_id = detail::le32(p + 5);
  h.event_size = detail::le32(p + 9);
  if (header_length >= 19) {
    h.log_pos = detail::le32(p + 13);
    h.flags = detail::le16(p + 17);
  } else {
    h.log_pos = 0;
    h.flags = 0;
  }
  const int type = h.type_code;

  if (fd == nullptr) {
    if (h.type_code != static_cast<std::uint8_t>(event_type::format_description) &&
        h.type_code != static_cast<std::uint8_t>(event_type::start_v3)) {
      return fail(err(errc::no_format_description, offset, type,
                      "first event is neither a format description nor a start event"));
    }
  }

  const bool is_fde = h.type_code == static_cast<std::uint8_t>(event_type::format_description) ||
                      (fd == nullptr && h.type_code == static_cast<std::uint8_t>(event_type::start_v3));
  const bool checksummed_now = fd != nullptr && fd->has_checksums() && !is_fde;
  const std::size_t min_size = header_length + (checksummed_now ? checksum_size : 0);
  if (h.event_size < min_size) [[unlikely]] {
    return fail(err(errc::bad_event_length, offset, type, "event size is smaller than its header"));
  }
  const bool known = is_known_type(h.type_code) && (fd == nullptr || fd->defines(h.type_code) ||
                                                    h.type_code == static_cast<std::uint8_t>(event_type::format_description));
  if (h.event_size > avail) [[unlikely]] {
    // A plausible header whose event runs past the end is an unfinished write.
    if (known) return fail(err(errc::truncated, offset, type, "file ends inside an event"));
    return fail(err(errc::bad_event_length, offset, type, "event size points past the end of the file"));
  }
  if (!known && !options_.allow_unknown_types && (h.flags & flag_ignorable) == 0) [[unlikely]] {
    return fail(err(errc::unknown_event_type, offset, type, "unknown event type"));
  }

  ev.offset = offset;
  ev.raw = bytes(p, h.event_size);
  ev.checksum = checksum_status::none;
  ev.stored_checksum = 0;
  if (is_fde) [[unlikely]] return read_format_description(ev, header_length);

  ev.format = fd;
  ev.body = bytes(p + header_length, h.event_size - header_length - (checksummed_now ? checksum_size : 0));
  pos_ += h.event_size;

  if (checksummed_now) {
    // The CRC first: it streams through the event, so the stored value at its end is then
    // in cache (reading it first waits for memory before the stream starts).
    const bool check = options_.verify_checksums && !options_.checksum_format_descriptions_only;
    __builtin_prefetch(p + h.event_size + 1024);  // ahead of the stream, for the events after
    const std::uint32_t computed = check ? crc32(bytes(p, h.event_size - checksum_size)) : 0;
    ev.stored_checksum = detail::le32(p + h.event_size - checksum_size);
    if (check) {
      ev.checksum = computed == ev.stored_checksum ? checksum_status::ok : checksum_status::bad;
      if (ev.checksum == checksum_status::bad && options_.bad_checksum_is_error) [[unlikely]] {
        last_error_ = err(errc::checksum_mismatch, offset, type, "CRC32 stored in the event does not match its bytes");
        return read_status::error;
      }
    }
  }
  if (h.type_code == static_cast<std::uint8_t>(event_type::start_encryption) &&
      fd->flavor() == flavor::mariadb) [[unlikely]] {
    encrypted_ = true;
  }
  return read_status::event;
}

}  // namespace binlogkit
