// Hazards at the start and stop points of a filtered read (sql_filter, or a replay's
// resume point): what from before the start is still needed after it, and what is open
// where the read stops. The rules are the hazard module's (hazards.hpp); this file only
// finds the points the way transaction_stream does and runs one hazard_tracker over the
// input once for both.
//
//   start  the first transaction the start rules keep: the first one of the first input
//          that begins at or after start_position, the first after the resume point, the
//          first whose first event's timestamp is at or after start_datetime, the first
//          whose GTID include_gtids holds (whichever comes last). Not checked when no start
//          rule is set (the read starts at the beginning of the input). The hazards are
//          those open there and still needed after it (hazard_tracker::followed(): the
//          input is read on until each has its needed_by or is closed without use).
//   stop   where the read stops: the start of the transaction holding the first event of
//          the last input at or after stop_position, or the first event (not a format
//          description, rotate or stop) whose timestamp is at or after stop_datetime.
//          Not checked when no stop rule is set or the input ends first. The hazards are
//          those open there (open_at(): needed_by empty, nothing is read after it).
//
// Errors: a damaged event before a point is a failure with the file and offset (no
// report); damage after it ends the read early (read_on_warning of the start report).
// Threads: pure function of its arguments; the result owns its text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "binlogkit/core/binlog_input.hpp"
#include "binlogkit/events/hazards.hpp"
#include "binlogkit/sql/sql.hpp"

namespace binlogkit {

struct bound_hazards {
  std::optional<hazard_report> start;  // a start rule was set and the input reaches it
  std::optional<hazard_report> stop;   // a stop rule was set and the input reaches it
  std::string failure;                 // "FILE: ... offset N ..."; both reports empty then
  [[nodiscard]] bool ok() const noexcept { return failure.empty(); }
};

// `resume`: input index and the end offset of the last transaction already applied.
[[nodiscard]] bound_hazards find_bound_hazards(const std::vector<binlog_input>& inputs, const sql_filter& filter,
                                               std::optional<std::pair<std::size_t, std::uint64_t>> resume);

// Whether a hazard at a start point makes starting there wrong: a temporary table or a
// LOAD DATA file that an event after the point needs. XA prepared transactions and
// non-transactional groups are for the DBA to check (the target may hold them already).
[[nodiscard]] bool hazard_blocks_start(const hazard& h) noexcept;

// One line, whatever the bytes of the names and the file names from the input:
// "temporary_table `db`.`t` opened at FILE:POS GTID G, thread N, needed by FILE:POS: advice"
// (names through quote_identifier, the rest through append_one_line: no newline, no
// control byte; "may be needed later (not looked for, or the input ends first)" when
// needed_by is empty).
[[nodiscard]] std::string hazard_line(const hazard& h);

}  // namespace binlogkit
