// The replay's progress row as row events instead of an UPDATE statement.
//
// The serial applier records where it is in binlogkit.replay_progress inside every
// transaction it applies. As an UPDATE statement that costs the server a parse, an
// optimizer pass, a table open and two time-zone conversions (FROM_UNIXTIME into a
// TIMESTAMP) per transaction: about a third of its work on a sysbench binlog. As a
// TABLE_MAP and an UPDATE_ROWS event appended to the transaction's own BINLOG statement
// (transaction_stream::on_commit_rows) it is applied like the transaction's other rows.
//
// The before image holds the primary key only (as binlog_row_image=MINIMAL writes it): the
// server finds the row by it and keeps the columns the after image leaves out. The events
// describe the table as replay.cpp creates it; progress_columns_match() checks that the
// target's table is that one before the applier uses them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "binlogkit/sql/sql.hpp"

namespace binlogkit {

struct progress_values {
  std::string_view replay_id, file, gtid;
  std::uint64_t end_pos = 0;
  std::uint64_t transactions = 0;
  std::int64_t updated_us = 0;  // microseconds since the epoch (updated_at)
};

// One line per column of the target's progress table, in order: name, type, nullable, key,
// length in bytes and character set; progress_columns_match() takes what it returns.
inline constexpr std::string_view progress_columns_query =
    "SELECT CONCAT_WS('|', COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY, IFNULL(CHARACTER_OCTET_LENGTH, 0), "
    "IFNULL(CHARACTER_SET_NAME, '')) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='binlogkit' AND "
    "TABLE_NAME='replay_progress' ORDER BY ORDINAL_POSITION";
[[nodiscard]] bool progress_columns_match(const std::vector<std::string>& columns);

// Appends the TABLE_MAP and UPDATE_ROWS events (STMT_END_F) that set the row of
// `v.replay_id`, laid out as `cp.format` describes (CRC32 when cp.checksums). False, with
// nothing appended, when the format has no version-4 row events (a 19-byte header and
// 6-byte table ids) or a text value is not plain ASCII within its column's length: the
// caller then writes the row with an UPDATE statement.
[[nodiscard]] bool append_progress_rows(std::vector<std::uint8_t>& out, const transaction_stream::commit_point& cp,
                                        const progress_values& v);

// The same for the transaction that commits at `cp`, as the appliers record it: `file`
// (its input's name), cp's end and GTID, `transactions`, and the time now.
[[nodiscard]] bool append_progress_rows(std::vector<std::uint8_t>& out, const transaction_stream::commit_point& cp,
                                        std::string_view replay_id, std::string_view file,
                                        std::uint64_t transactions);

// The progress row of a parallel replay's connection slot k (1-based): "<id>#k". Replay
// ids hold no '#'.
inline std::string progress_slot_id(std::string_view id, std::size_t k) {
  return std::string(id) + '#' + std::to_string(k);
}
// The ids of every slot a replay may have (1 to max_slots) as SQL literals, ", "
// between them: for IN lists.
inline constexpr std::size_t max_slots = 64;
inline std::string progress_slot_literals(std::string_view id) {
  std::string out;
  for (std::size_t k = 1; k <= max_slots; ++k) {
    if (k > 1) out += ", ";
    append_string_literal(out, progress_slot_id(id, k));
  }
  return out;
}
// Deletes the rows of every slot of replay `id`.
inline std::string progress_slots_delete(std::string_view id) {
  return "DELETE FROM `binlogkit`.`replay_progress` WHERE `replay_id` IN (" + progress_slot_literals(id) + ')';
}

// The table id the events use: far above any id a server hands out.
inline constexpr std::uint64_t progress_table_id = 0xFFFFFFFFFF00ull;

}  // namespace binlogkit
