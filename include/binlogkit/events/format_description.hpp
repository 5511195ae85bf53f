// The format description: how every later event of a file is laid out.
//
// FORMAT_DESCRIPTION_EVENT (type 15), binlog version 4, body after the 19-byte header:
//   | bytes | field                                                           |
//   |   2   | binlog_version (4)                                              |
//   |  50   | server_version, NUL-padded                                      |
//   |   4   | create_timestamp                                                |
//   |   1   | common header length (19)                                       |
//   |   n   | post-header length of each event type 1..n                      |
//   |   1   | checksum algorithm (0 off, 1 CRC32) — servers >= MySQL 5.6.1 /  |
//   |       |   MariaDB 5.3 only                                              |
//   |   4   | CRC32 of the event (present whenever the algorithm byte is)     |
// Versions 1 and 3 (MySQL 3.23 – 4.1) start with START_EVENT_V3 instead: the same first
// three fields, a 13-byte (v1) or 19-byte (v3) common header, and post-header lengths
// fixed by the version.
//
// Ownership: a format_description owns its few bytes (a value, cheap to copy); the
// event_reader keeps every one of a file alive, and event views point to the one in force.
// Errors: decode returns truncated for an event shorter than its header and
// bad_format_description for fields that cannot be (a header length, a post-header table or
// a checksum byte that does not fit), with the event's offset. Threads: a value; read it from
// any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/core/event_type.hpp"
#include "binlogkit/core/result.hpp"

namespace binlogkit {

enum class flavor : std::uint8_t { unknown = 0, mysql = 1, mariadb = 2 };
enum class checksum_alg : std::uint8_t { off = 0, crc32 = 1, undefined = 255 };

[[nodiscard]] std::string_view to_string(flavor f) noexcept;

struct version_triple {
  int major = 0, minor = 0, patch = 0;
  friend constexpr auto operator<=>(const version_triple&, const version_triple&) = default;
};

// Parses "8.0.40-debug", "10.11.6-MariaDB-log", "5.5.36-MariaDB"... Missing parts are 0.
[[nodiscard]] version_triple parse_version(std::string_view s) noexcept;

inline constexpr std::size_t binlog_magic_size = 4;
inline constexpr std::array<std::uint8_t, 4> binlog_magic{0xfe, 0x62, 0x69, 0x6e};
inline constexpr std::size_t checksum_size = 4;
inline constexpr std::uint16_t flag_binlog_in_use = 0x0001;  // LOG_EVENT_BINLOG_IN_USE_F
inline constexpr std::uint16_t flag_artificial = 0x0020;     // LOG_EVENT_ARTIFICIAL_F
inline constexpr std::uint16_t flag_relay_log = 0x0040;      // LOG_EVENT_RELAY_LOG_F

// Owns its few bytes (the server version is copied, 50 bytes at most) so that the reader
// can keep every format description of a relay log alive while views refer to them.
class format_description {
 public:
  // The fixed layout of binlog versions 1 and 3 (and the short-lived 2, laid out as 3),
  // and the version-4 layout of a given server when no format description has been read.
  [[nodiscard]] static format_description for_binlog_version(int binlog_version) noexcept;

  // Decodes a FORMAT_DESCRIPTION event (header included in `event`) or a START_EVENT_V3.
  [[nodiscard]] static result<format_description> decode(bytes event, std::uint64_t offset,
                                                         int header_length) noexcept;

  std::uint16_t binlog_version() const noexcept { return binlog_version_; }
  std::string_view server_version() const noexcept {
    return {server_version_.data(), server_version_len_};
  }
  version_triple version() const noexcept { return version_; }
  std::uint32_t create_timestamp() const noexcept { return create_timestamp_; }
  std::uint8_t header_length() const noexcept { return header_length_; }
  checksum_alg checksum() const noexcept { return checksum_; }
  enum flavor flavor() const noexcept { return flavor_; }
  // Number of event types with a post-header length (the highest type code it describes).
  std::size_t type_count() const noexcept { return type_count_; }
  // Post-header length of a type, or -1 when this format description does not define it.
  int post_header_length(std::uint8_t type_code) const noexcept {
    if (type_code == 0 || type_code > type_count_) return -1;
    return post_header_len_[type_code - 1u];
  }
  bool defines(std::uint8_t type_code) const noexcept { return post_header_length(type_code) >= 0; }
  // Development trees of MySQL 5.1/5.2 ("5.1.2-a_drop5p…", "5.2.2-a_drop6p13") numbered
  // types 16-22 differently. The reader hands out canonical type codes; this maps the code
  // written in the file to the canonical one (identity for every released server).
  std::uint8_t canonical_type(std::uint8_t wire_code) const noexcept {
    if (!permuted_ || wire_code < 16 || wire_code > 22) return wire_code;
    return old_tree_types[wire_code - 16];
  }
  bool permuted_types() const noexcept { return permuted_; }
  // Whether events after this one end in a 4-byte CRC32.
  bool has_checksums() const noexcept { return checksum_ == checksum_alg::crc32; }
  // The same layout with checksums off (events inside a MySQL transaction payload).
  format_description without_checksums() const noexcept {
    auto copy = *this;
    copy.checksum_ = checksum_alg::off;
    return copy;
  }
  // Whether events are framed and decoded identically under both (everything but the
  // creation time): a relay log repeats its source's format description.
  bool same_layout(const format_description& o) const noexcept {
    return binlog_version_ == o.binlog_version_ && header_length_ == o.header_length_ &&
           checksum_ == o.checksum_ && flavor_ == o.flavor_ && version_ == o.version_ &&
           permuted_ == o.permuted_ && type_count_ == o.type_count_ &&
           server_version() == o.server_version() && post_header_len_ == o.post_header_len_;
  }
  // Whether this server writes the checksum-algorithm byte in its format description.
  static bool writes_checksum_alg(enum flavor f, version_triple v) noexcept;

 private:
  // Old-tree codes 16..22: TABLE_MAP, PRE_GA_WRITE/UPDATE/DELETE_ROWS, XID,
  // BEGIN_LOAD_QUERY, EXECUTE_LOAD_QUERY.
  static constexpr std::array<std::uint8_t, 7> old_tree_types{19, 20, 21, 22, 16, 17, 18};
  std::array<std::uint8_t, 255> post_header_len_{};
  bool permuted_ = false;
  std::array<char, 50> server_version_{};
  std::uint8_t server_version_len_ = 0;
  std::uint16_t binlog_version_ = 4;
  std::uint32_t create_timestamp_ = 0;
  std::uint8_t header_length_ = 19;
  std::uint16_t type_count_ = 0;
  checksum_alg checksum_ = checksum_alg::off;
  enum flavor flavor_ = flavor::unknown;
  version_triple version_{};
};

}  // namespace binlogkit
