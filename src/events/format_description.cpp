#include "binlogkit/events/format_description.hpp"

#include <algorithm>
#include <cstring>

namespace binlogkit {

std::string_view to_string(flavor f) noexcept {
  switch (f) {
    case flavor::mysql: return "MySQL";
    case flavor::mariadb: return "MariaDB";
    case flavor::unknown: break;
  }
  return "unknown";
}

version_triple parse_version(std::string_view s) noexcept {
  int parts[3] = {0, 0, 0};
  std::size_t i = 0;
  for (int& part : parts) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') break;
    int v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && v < 100000) v = v * 10 + (s[i++] - '0');
    part = v;
    if (i < s.size() && s[i] == '.') ++i;
    else break;
  }
  return {parts[0], parts[1], parts[2]};
}

bool format_description::writes_checksum_alg(enum flavor f, version_triple v) noexcept {
  // Checksums arrived in MariaDB 5.3.0 and MySQL 5.6.1; from then on the format
  // description carries the algorithm byte and a CRC32 slot, even when checksums are off.
  if (f == flavor::mariadb) return v >= version_triple{5, 3, 0};
  return v >= version_triple{5, 6, 1};
}

namespace {

// Post-header lengths of binlog versions 1 and 3 (MySQL 3.23 – 4.1), by type code.
constexpr std::uint8_t v3_query = 11;   // thread id, exec time, db length, error code
constexpr std::uint8_t v3_load = 18;    // thread id, exec time, skip lines, 2 lengths, fields
constexpr std::uint8_t v3_start = 56;   // binlog version, server version, timestamp
constexpr std::uint8_t v3_rotate = 8;   // position (version 3 only)
constexpr std::uint8_t v3_file_id = 4;  // CREATE_FILE, APPEND_BLOCK, EXEC_LOAD, DELETE_FILE

void set_server_version(std::array<char, 50>& dst, std::uint8_t& len, std::string_view field) {
  auto nul = field.find('\0');
  auto s = field.substr(0, std::min(nul, field.size()));
  if (!s.empty()) std::memcpy(dst.data(), s.data(), s.size());
  len = static_cast<std::uint8_t>(s.size());
}

}  // namespace

format_description format_description::for_binlog_version(int binlog_version) noexcept {
  format_description fd;
  fd.binlog_version_ = static_cast<std::uint16_t>(binlog_version);
  fd.header_length_ = binlog_version == 1 ? 13 : 19;
  fd.type_count_ = 14;  // types 1 .. 14 (everything before FORMAT_DESCRIPTION)
  auto set = [&fd](event_type t, std::uint8_t len) {
    fd.post_header_len_[static_cast<std::size_t>(t) - 1] = len;
  };
  set(event_type::start_v3, v3_start);
  set(event_type::query, v3_query);
  set(event_type::rotate, binlog_version == 1 ? 0 : v3_rotate);
  set(event_type::load, v3_load);
  set(event_type::create_file, v3_file_id);
  set(event_type::append_block, v3_file_id);
  set(event_type::exec_load, v3_file_id);
  set(event_type::delete_file, v3_file_id);
  set(event_type::new_load, v3_load);
  fd.flavor_ = flavor::mysql;
  return fd;
}

result<format_description> format_description::decode(bytes event, std::uint64_t offset,
                                                       int header_length) noexcept {
  constexpr int fde = static_cast<int>(event_type::format_description);
  if (event.size() < static_cast<std::size_t>(header_length)) {
    return make_error(errc::truncated, offset, fde, "format description shorter than its header");
  }
  const auto type = event[4];
  cursor c(event.subspan(static_cast<std::size_t>(header_length)));
  format_description fd;
  fd.binlog_version_ = c.u16();
  set_server_version(fd.server_version_, fd.server_version_len_, c.str(50));
  fd.create_timestamp_ = c.u32();
  if (!c.ok()) {
    return make_error(errc::bad_format_description, offset, type,
                      "format description body shorter than 56 bytes");
  }
  fd.version_ = parse_version(fd.server_version());
  fd.flavor_ = fd.server_version().find("MariaDB") != std::string_view::npos ? flavor::mariadb
                                                                             : flavor::mysql;

  if (type == static_cast<std::uint8_t>(event_type::start_v3)) {
    if (fd.binlog_version_ != 1 && fd.binlog_version_ != 2 && fd.binlog_version_ != 3) {
      return make_error(errc::bad_format_description, offset, type,
                        "start event names a binlog version other than 1, 2 or 3");
    }
    auto v = for_binlog_version(fd.binlog_version_ == 1 ? 1 : 3);
    v.binlog_version_ = fd.binlog_version_;
    v.server_version_ = fd.server_version_;
    v.server_version_len_ = fd.server_version_len_;
    v.create_timestamp_ = fd.create_timestamp_;
    v.version_ = fd.version_;
    return v;
  }

  if (fd.binlog_version_ != 4) {
    return make_error(errc::bad_format_description, offset, type,
                      "format description names a binlog version other than 4");
  }
  fd.header_length_ = c.u8();
  if (!c.ok()) {
    return make_error(errc::bad_format_description, offset, type,
                      "format description ends before the header length");
  }
  // MySQL, MariaDB and Percona write 19; only Google's 5.1 patches (group ids) wrote
  // longer headers (23, 27), and their version string says so. Any other length means
  // the description itself is damaged: every later event would be misread.
  if (fd.header_length_ < 19 ||
      (fd.header_length_ != 19 && fd.server_version().find("google") == std::string_view::npos)) {
    return make_error(errc::bad_format_description, offset, type,
                      "format description declares a common header length no server of its kind writes");
  }
  std::size_t n = c.remaining();
  // Every server lists its own post-header length as 57 + the number of types it lists:
  // a check of the layout that does not trust the version string. Where it holds for
  // exactly one reading (with or without the 5-byte checksum trailer), that reading must
  // agree with what the version says.
  const auto rest = c.rest();
  auto describes_itself = [&rest](std::size_t types) {
    return types >= 15 && types <= rest.size() && rest[14] == 57 + types;
  };
  const bool fits_with_trailer = n >= 5 && describes_itself(n - 5);
  const bool fits_without = describes_itself(n);
  const bool version_says_trailer = writes_checksum_alg(fd.flavor_, fd.version_);
  if (!fits_with_trailer && !fits_without) {
    return make_error(errc::bad_format_description, offset, type,
                      "format description's post-header lengths do not describe itself (57 + types)");
  }
  if (fits_with_trailer != fits_without && fits_with_trailer != version_says_trailer) {
    return make_error(errc::bad_format_description, offset, type,
                      "format description's server version disagrees with its own layout");
  }
  if (version_says_trailer) {
    if (n < 1 + checksum_size) {
      return make_error(errc::bad_format_description, offset, type,
                        "format description has no room for its checksum algorithm");
    }
    n -= 1 + checksum_size;
    auto alg = event[event.size() - checksum_size - 1];
    if (alg != 0 && alg != 1) {
      return make_error(errc::bad_format_description, offset, type,
                        "format description names an unknown checksum algorithm");
    }
    fd.checksum_ = static_cast<checksum_alg>(alg);
  }
  if (n > fd.post_header_len_.size()) {
    return make_error(errc::bad_format_description, offset, type,
                      "format description lists more than 255 event types");
  }
  auto lens = c.take(n);
  std::copy(lens.begin(), lens.end(), fd.post_header_len_.begin());
  fd.type_count_ = static_cast<std::uint16_t>(n);
  // MySQL 5.1.1 – 5.2.2 "a_drop5p"/"a_drop6p" development trees wrote 22 types with
  // 16-22 in another order; their post-header lengths are stored in that order too.
  auto sv = fd.server_version();
  if (n == 22 && sv.size() >= 13 && sv.substr(0, 2) == "5." && sv[3] == '.' &&
      sv.substr(6, 6) == "a_drop" &&
      ((sv[2] == '1' && sv[4] >= '1' && sv[4] <= '5' && sv[12] == '5') ||
       (sv[2] == '1' && sv[4] == '4' && sv[12] == '6') ||
       (sv[2] == '2' && sv[4] >= '0' && sv[4] <= '2' && sv[12] == '6'))) {
    fd.permuted_ = true;
    std::array<std::uint8_t, 7> wire{};
    std::copy(fd.post_header_len_.begin() + 15, fd.post_header_len_.begin() + 22, wire.begin());
    for (std::size_t i = 0; i < wire.size(); ++i) fd.post_header_len_[old_tree_types[i] - 1u] = wire[i];
  }
  // Post-header lengths the decoders rely on can only take the values servers have
  // written (0 where a server predates the type); anything else is a damaged description.
  struct allowed_lengths {
    std::uint8_t type;
    std::uint8_t a, b;  // the non-zero values seen from any server (b = a when one)
    bool zero_ok;
  };
  static constexpr allowed_lengths known[] = {
      {2, 13, 13, false},  {4, 8, 8, false},    {19, 6, 8, true},   {23, 6, 8, true},
      {24, 6, 8, true},    {25, 6, 8, true},    {26, 2, 2, true},   {30, 10, 10, true},
      {31, 10, 10, true},  {32, 10, 10, true},  {33, 25, 42, true}, {34, 25, 42, true},
      {161, 4, 4, true},   {162, 19, 19, true}, {163, 4, 4, true},  {165, 13, 13, true},
      {166, 8, 8, true},   {167, 8, 8, true},   {168, 8, 8, true},  {169, 10, 10, true},
      {170, 10, 10, true}, {171, 10, 10, true},
  };
  for (const auto& k : known) {
    if (k.type > n) continue;
    const auto v = fd.post_header_len_[k.type - 1u];
    if (v == k.a || v == k.b || (v == 0 && k.zero_ok)) continue;
    return make_error(errc::bad_format_description, offset, type,
                      "format description lists a post-header length no server writes");
  }
  // A format description that does not describe itself cannot be the server's.
  if (n < static_cast<std::size_t>(fde)) {
    return make_error(errc::bad_format_description, offset, type,
                      "format description lists fewer than 15 event types");
  }
  return fd;
}

}  // namespace binlogkit
