// verify: checks every event of a file (header, length chain, checksum, body decode) and
// lists each problem with its offset, event type and what is wrong.
//
// Large files are checked in parallel: the file is cut into segments, each segment starts
// at an offset where a valid event begins (checked by CRC32 and a chain of events), and
// each is read by its own reader on its own core. A segment is trusted only when the
// reader of the segment before it ends exactly where it starts, with the same format in
// force; otherwise that reader simply goes on. The report is therefore always the one a
// single front-to-back reader gives.
//
// Ownership: the report owns its problems (an error's detail is static text). Errors:
// verify_bytes never throws; problems are listed in file order, and a framing error ends the
// walk. Threads: with threads != 1 it reads segments on worker threads of its own (`data`
// must not change meanwhile); the callbacks below say from which thread they are called.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/events/format_description.hpp"
#include "binlogkit/core/result.hpp"

namespace binlogkit {

struct verify_options {
  bool allow_unknown_types = false;
  // Called as the scan goes with the number of bytes checked so far, from one thread at a
  // time (but not always the caller's).
  std::function<void(std::uint64_t bytes_done)> progress;
  std::uint64_t progress_interval = 16ull << 20;
  // Called with each range of the file the scan has left behind, from whichever thread
  // scanned it (so it must be thread-safe): to drop those pages (source::release_range).
  std::function<void(std::uint64_t begin, std::uint64_t end)> release;
  // Threads to check with: 0 is one per core (at most 8), 1 only the calling thread.
  unsigned threads = 0;
  // Unit of parallel work; files smaller than two segments are read by one thread.
  std::uint64_t segment_size = 32ull << 20;
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
  unsigned segments = 1;               // segments read in parallel and trusted
  [[nodiscard]] bool intact() const noexcept { return problems.empty(); }
  // A file that could not be read as a binlog at all (bad magic).
  [[nodiscard]] bool unreadable() const noexcept {
    return !problems.empty() && problems.front().code == errc::bad_magic;
  }
};

[[nodiscard]] verify_report verify_bytes(bytes data, const verify_options& options = {}) noexcept;

}  // namespace binlogkit
