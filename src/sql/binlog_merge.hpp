// Joining the row statements of one BINLOG statement (render_options::batch_binlog).
#pragma once

#include <cstdint>
#include <vector>

#include "binlogkit/events/format_description.hpp"

namespace binlogkit::detail {

// Joins the consecutive row statements of one BINLOG statement into one row statement:
// their table maps first (each table id once), then every rows event in order with
// STMT_END_F on the last one only. The server then opens and locks the tables once
// instead of once per statement; each row is still applied by itself, in the same order.
// A statement stays on its own when its rows events carry other flags than the group's
// (MySQL applies NO_FOREIGN_KEY_CHECKS_F / RELAXED_UNIQUE_CHECKS_F at a statement's first
// rows event only) or when it maps a table id the group maps with other bytes. The
// server skips rows events whose table id no map of the statement opened, without an
// error, which is why the maps must all come before the first rows event.
// `raw` holds whole statements (maps, then rows events, STMT_END_F on the last), all laid
// out as `f` describes; anything else (other event types, a map after rows inside a
// statement, an unfinished statement) leaves it untouched and returns false. True: `raw`
// was rewritten (fewer STMT_END_F flags, checksums written again).
bool merge_row_statements(std::vector<std::uint8_t>& raw, const format_description& f);

}  // namespace binlogkit::detail
