// Turning what a user names (an index file, a directory, files) into the ordered list of
// binlog or relay-log files to read.
#pragma once

#include <string>
#include <vector>

#include "binlogkit/result.hpp"

namespace binlogkit {

// Each argument may be:
//   - an index file (binlog.index, relay-bin.index): its lines name the files, relative to
//     the index's directory when not absolute;
//   - a directory: every file in it named NAME.NNNNNN (digits), in numeric order;
//   - a file, taken as is.
// Errors: io_error (detail names what failed) for a missing path or an empty directory.
[[nodiscard]] result<std::vector<std::string>> expand_inputs(const std::vector<std::string>& args);

// True when the first bytes of the file are the binlog magic (an index file is text).
[[nodiscard]] bool looks_like_binlog(const std::string& path);

}  // namespace binlogkit
