// Source coordinates during a triage scan: after each event, the source binlog (by name)
// and the position in it that the event reaches. In a binlog they are the file's own name
// and the event's end; in a relay log the source's events carry them (log_pos), and a
// rotate from the source names the next source binlog. Names are kept once each, and a
// point refers to one by index, so that a scan over millions of events copies no text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "binlogkit/events/events.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/triage/triage.hpp"

namespace binlogkit::detail {

// The last component of a path.
[[nodiscard]] std::string base_name(std::string_view path);

// One switch of source binlog seen in a relay log: the file and position left (the end of
// the last source event before the rotate) and the file entered.
struct source_rotate {
  std::string from_file;
  std::uint64_t from_pos = 0;
  std::string to_file;
};

class source_coordinates {
 public:
  // Moves past `ev` (decoded as `d`) of `in`. `relay`: the files are a relay log whose own
  // events carry `relay_server_id`. Returns the switch recorded when `ev` is a source's
  // rotate that leaves a source binlog with events read in it; nullptr otherwise. The
  // pointer is valid until the next call.
  const source_rotate* advance(const triage_input& in, const event_view& ev, const any_event& d, bool relay,
                               std::uint32_t relay_server_id);

  // The coordinates now; file() is 0 (the empty name) until an event names one.
  [[nodiscard]] std::uint32_t file() const noexcept { return file_; }
  [[nodiscard]] std::uint64_t pos() const noexcept { return pos_; }
  [[nodiscard]] source_position here() const { return at(file_, pos_); }
  // A point kept as (file index, position) with its name.
  [[nodiscard]] source_position at(std::uint32_t file, std::uint64_t pos) const { return {names_[file], pos}; }
  // log_pos of the previous source event in a relay log (0: none since the last rotate).
  [[nodiscard]] std::uint64_t last_log_pos() const noexcept { return last_log_pos_; }
  [[nodiscard]] const std::vector<source_rotate>& rotates() const noexcept { return rotates_; }

 private:
  std::uint32_t index_of(std::string_view name);

  std::vector<std::string> names_{std::string()};
  std::uint32_t file_ = 0;
  std::uint64_t pos_ = 0;
  const triage_input* input_ = nullptr;  // the binlog file_ names (binlogs, not relay logs)
  std::uint64_t last_log_pos_ = 0;
  std::vector<source_rotate> rotates_;
};

}  // namespace binlogkit::detail
