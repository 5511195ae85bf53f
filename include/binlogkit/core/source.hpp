// Sources own the bytes that every view points into.
//
//   mapped  read-only memory map (Boost.Iostreams mapped_file_source): zero copies.
//   pread   the file's bytes read with pread(2) into memory: for files that may still be
//           growing (a live relay log). What is read is the file as it was at open(); one
//           that shrinks while it is read is an error ("the file shrank while it was
//           read", offset: how far the read got), never a shorter snapshot.
//   gzip    a .gz archive inflated into memory (zlib; concatenated members too).
//   stream  standard input ("-"), or a FIFO or character device named as a path, read to
//           its end (a FIFO waits for its writer, as `cat` does).
// gzip and stream sources are held whole in memory, so they are bounded: past
// max_buffered bytes (default_max_buffered, 4 GiB) open() fails with a clear error
// instead of growing without limit. An empty file or stream is an error ("empty file"):
// it holds no binlog, and reading it as one would be an empty success.
//
// A mapped file that shrinks while it is read (truncated under us) would raise SIGBUS on
// the pages past its new end. A process-wide SIGBUS handler, installed by the first
// mapped open, puts zero pages in place of the lost ones and records the first lost
// offset, so the process never dies of it; every consumer must then treat the source as
// unreadable: lost_offset() (and bytes_lost_in()) say where. Faults outside a mapping of
// ours keep the default action.
// Sources are move-only; views from data() are valid while the source lives.
//
// Threads: a source's bytes are read-only: any number of threads may read them at once
// (verify and dump do); release_range may be called from several threads; last_errno() is
// per thread. The SIGBUS handler is process-wide and installed once.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/core/result.hpp"

namespace binlogkit {

enum class source_kind : std::uint8_t { automatic, mapped, pread, gzip, stdin_stream };

class source {
 public:
  static constexpr std::uint64_t default_max_buffered = std::uint64_t{4} << 30;

  // "-" reads standard input; a FIFO or character device is read as a stream; a name
  // ending in ".gz" is inflated; otherwise the file is mapped (automatic) or read as the
  // kind says. Errors (detail says what): io_error (with errno kept in last_errno()) for a
  // path that cannot be opened or read, a directory, an empty file, a stream or archive
  // past max_buffered; bad_body for a corrupt gzip stream and truncated for one that
  // ends early (offset: the compressed byte where it went wrong).
  [[nodiscard]] static result<source> open(const std::string& path, source_kind kind = source_kind::automatic,
                                           std::uint64_t max_buffered = default_max_buffered) noexcept;
  // Wraps bytes the caller already holds (copied, so the source owns them).
  [[nodiscard]] static source from_bytes(std::string name, bytes data);

  source(source&&) noexcept;
  source& operator=(source&&) noexcept;
  source(const source&) = delete;
  source& operator=(const source&) = delete;
  ~source();

  // Hints for a front-to-back scan of a mapped file (no effect on other kinds): read
  // ahead, and let the kernel drop the pages before `offset` from this process's
  // resident set (they stay in the page cache; a later access maps them again, so views
  // stay valid). Keeps resident memory flat on files of any size.
  void advise_sequential() const noexcept;
  void release_before(std::uint64_t offset) const noexcept;
  // The same for the whole pages inside [begin, end): for scans that run over several
  // parts of a file at once. Safe to call from several threads.
  void release_range(std::uint64_t begin, std::uint64_t end) const noexcept;

  bytes data() const& noexcept;
  bytes data() const&& = delete;
  const std::string& name() const noexcept;
  source_kind kind() const noexcept;
  // For a mapped file truncated while it was read: the offset of the first byte whose
  // page was lost (its bytes from there on read as zeros). nullopt while intact.
  [[nodiscard]] std::optional<std::uint64_t> lost_offset() const noexcept;
  // errno of the last failed open on this thread (0 when none).
  static int last_errno() noexcept;

 private:
  struct impl;
  friend std::optional<std::uint64_t> bytes_lost_in(bytes data) noexcept;
  explicit source(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

// For bytes that lie in a mapped source: the offset, within `data`, of the first byte
// lost to a truncation under us (0 when the loss begins before `data`); nullopt when none
// of `data` was lost or `data` is not mapped. For layers that hold views, not sources.
// Cheap while nothing was ever lost (one atomic load).
[[nodiscard]] std::optional<std::uint64_t> bytes_lost_in(bytes data) noexcept;

}  // namespace binlogkit
