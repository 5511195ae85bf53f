// Rendering events for people (mysqlbinlog-style headers) and for programs (JSON Lines).
//
// dump_file writes every event of a source to a FILE*; the event_to_* functions render one
// event_view (and its decoded form, when the caller has it) into a new string: nothing they
// return refers to the source. Times in the text headers are local times of TZ, as
// mysqlbinlog prints them.
// Errors: dump_file prints what can be read, a damaged event with its checksum marked bad,
// and returns the first error (offset, event type) after it.
// Threads: on a large file dump_file renders segments on worker threads of its own
// (dump_options::threads) and writes them to `out` in file order, the same bytes as one
// thread writes; nothing else may write to `out` meanwhile. The progress callback is called
// from those threads.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "binlogkit/events/event.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/core/result.hpp"
#include "binlogkit/rows/rows.hpp"
#include "binlogkit/core/source.hpp"

namespace binlogkit {

struct dump_options {
  bool json = false;
  std::uint64_t start_position = 0;            // first event at or after this offset
  std::optional<std::uint64_t> stop_position;  // no event that starts at or after it
  bool verify_checksums = true;
  bool allow_unknown_types = false;
  // Row events: 0 headers only; 1 rows as mysqlbinlog -v "###" lines (JSON: "rows");
  // 2 adds the -vv type comments.
  int verbosity = 0;
  // Large files (without start/stop positions) are rendered on this many threads, in
  // segments that begin at transaction boundaries, and written in file order: the output
  // is the same. 0 is one per core (at most 8), 1 only the calling thread.
  unsigned threads = 0;
  std::uint64_t segment_size = 8ull << 20;
  // Events that start inside one of these [begin, end) ranges are not printed (a filter
  // that leaves whole transactions out); sorted, not overlapping.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> skip_ranges;
  // Called with the bytes read since the last call (every few MiB, and at the end), from
  // the rendering threads: for a progress display. May be empty.
  std::function<void(std::uint64_t bytes)> progress;
};

// Writes every event of `src` to `out`. A damaged event is printed (checksum "bad") and
// reading goes on where its frame allows; the first error is returned after what could be
// printed was printed.
[[nodiscard]] result<void> dump_file(std::FILE* out, const source& src, const dump_options& options);

// One event as a JSON object (one line, no newline). `file` names the file in the output.
[[nodiscard]] std::string event_to_json(const event_view& ev, const any_event* decoded,
                                        std::string_view file);
// One event as mysqlbinlog-style text ("# at POS" block).
[[nodiscard]] std::string event_to_text(const event_view& ev, const any_event* decoded);
void append_event_text(std::string& out, const event_view& ev, const any_event* decoded);

// One row value as `dump --json -v` writes it: integers, YEAR, BIT and (without their
// names) ENUM/SET as numbers; FLOAT/DOUBLE as numbers; DECIMAL, temporal values, named
// ENUM/SET members and MySQL JSON as text; character strings as text (latin1 converted
// to UTF-8); binary strings (charset binary, or bytes that are not UTF-8), GEOMETRY and
// VECTOR as {"base64": ...}, BINARY(N) with its trailing zero bytes.
[[nodiscard]] std::string value_to_json(const value& v);

}  // namespace binlogkit
