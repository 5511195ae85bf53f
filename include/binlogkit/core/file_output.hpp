// Writing a file that is either whole or absent, never torn.
//
// Threads: no shared state (the temporary name comes from mkstemp); calls for different
// paths are independent.
#pragma once

#include <string>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/core/result.hpp"

namespace binlogkit {

// Writes `data` as a new file at `path`: into a temporary file beside it (same
// directory, so same file system: ".NAME.XXXXXX"), fsync'd, then linked to `path` and
// the directory fsync'd. link(2) never replaces, so `path` must not exist, and a reader
// of `path` sees nothing or the whole file: a full disk (ENOSPC), a quota or a kill
// leaves no partial `path`. The temporary file is removed on failure (a kill -9 can
// leave it; its name starts with a dot and the target's name).
// Errors: io_error, detail naming the step ("already exists", "cannot create a
// temporary file", "write failed", "fsync failed", …); `saved_errno` gets its errno.
[[nodiscard]] result<void> write_new_file(const std::string& path, bytes data, int& saved_errno) noexcept;

}  // namespace binlogkit
