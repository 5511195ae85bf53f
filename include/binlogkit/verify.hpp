// verify: checks every event of a file (header, length chain, checksum, body decode) and
// lists each problem with its offset, event type and what is wrong.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "binlogkit/bytes.hpp"
#include "binlogkit/format_description.hpp"
#include "binlogkit/result.hpp"

namespace binlogkit {

struct verify_options {
  bool allow_unknown_types = false;
  // Called as the scan passes each `progress_interval` bytes (and at the end) with the
  // offset reached: for progress display and for source::release_before.
  std::function<void(std::uint64_t offset)> progress;
  std::uint64_t progress_interval = 16ull << 20;
  // Check CRC32s on a second thread while this one frames and decodes (files over a few
  // MiB). The report is the same either way.
  bool parallel_checksums = true;
};

struct verify_report {
  std::uint64_t events = 0;
  std::uint64_t bytes_checked = 0;     // up to the end of the last intact frame
  std::uint64_t checksums_verified = 0;
  std::uint64_t encrypted_events = 0;  // framed but not decrypted (no key)
  std::vector<error> problems;         // in file order; framing errors end the walk
  bool in_use = false;                 // first format description has LOG_EVENT_BINLOG_IN_USE_F
  bool has_checksums = false;          // the file's format description says CRC32
  enum flavor flavor = flavor::unknown;
  std::string server_version;
  [[nodiscard]] bool intact() const noexcept { return problems.empty(); }
  // A file that could not be read as a binlog at all (bad magic).
  [[nodiscard]] bool unreadable() const noexcept {
    return !problems.empty() && problems.front().code == errc::bad_magic;
  }
};

[[nodiscard]] verify_report verify_bytes(bytes data, const verify_options& options = {}) noexcept;

}  // namespace binlogkit
