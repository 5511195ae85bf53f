// Sources own the bytes that every view points into.
//
//   mapped  read-only memory map (Boost.Iostreams mapped_file_source): zero copies.
//   pread   the file's bytes read with pread(2) into memory: for files that may still be
//           growing or be truncated under us (a live relay log), where a mapping would
//           raise SIGBUS. What is read is the file as it was at open().
//   gzip    a .gz archive inflated into memory (Boost.Iostreams gzip filter).
//   stdin   standard input read to its end.
// Sources are move-only; views from data() are valid while the source lives.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "binlogkit/bytes.hpp"
#include "binlogkit/result.hpp"

namespace binlogkit {

enum class source_kind : std::uint8_t { automatic, mapped, pread, gzip, stdin_stream };

class source {
 public:
  // "-" reads standard input; a name ending in ".gz" is inflated; otherwise the file is
  // mapped (automatic) or read as the kind says. Errors: io_error (with errno kept in
  // last_errno()), bad_body for a corrupt gzip stream.
  [[nodiscard]] static result<source> open(const std::string& path,
                                           source_kind kind = source_kind::automatic) noexcept;
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
  // errno of the last failed open on this thread (0 when none).
  static int last_errno() noexcept;

 private:
  struct impl;
  explicit source(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

}  // namespace binlogkit
