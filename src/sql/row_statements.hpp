// The row events of a transaction as BINLOG statements.
//
// TABLE_MAP and rows events are copied, as in the file, into one buffer that becomes one
// BINLOG statement (render_options::batch_binlog: several row statements, joined by
// merge_row_statements) when flush() is called or the buffer reaches batch_limit(). On
// the way: --database drops the maps and rows of tables it leaves out (ending a statement
// on its last kept rows event), --rewrite-db renames the database in the maps, MariaDB's
// compressed rows events go inflated, events of a transaction payload get the CRC32 the
// file promises, and a row statement too long for one BINLOG statement is continued in
// the next with its table maps again (the server forgets maps at the end of each one).
// Every change to an event's bytes writes its checksum again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "binlogkit/events/events.hpp"
#include "binlogkit/events/format_description.hpp"
#include "binlogkit/core/result.hpp"
#include "render_context.hpp"

namespace binlogkit::detail {

class row_statements {
 public:
  explicit row_statements(render_context& ctx) : ctx_(ctx) {}

  // `inner`: the event is one of a transaction payload's (no checksum of its own).
  [[nodiscard]] result<void> table_map(const event_view& ev, const table_map_event& tm, bool inner);
  // Errors: a compressed rows event that does not inflate, or inflates past 4 GiB.
  [[nodiscard]] result<void> rows(const event_view& ev, const rows_event& r, bool inner);
  // The pending row statements as one BINLOG statement (an unfinished one is dropped).
  void flush();

  // Whole row statements are pending (a transaction with them is not empty).
  [[nodiscard]] bool has_statements() const noexcept { return stmt_begin_ != 0; }
  // `events` (whole, laid out as `ev`'s format describes) after the pending statements,
  // in the same BINLOG statement; an unfinished statement is dropped.
  void append_commit_rows(const event_view& ev, const std::vector<std::uint8_t>& events);

  // A new transaction: nothing pending, no table known.
  void reset();
  // As reset(), and the buffer's memory is given back.
  void release();
  [[nodiscard]] std::size_t held_bytes() const noexcept { return raw_.size(); }

 private:
  void note_format(const event_view& ev);
  std::size_t append_raw(const event_view& ev, bool inner);
  void fix_checksum(std::size_t at, bool has_checksum);
  void rename_database(const event_view& ev, const table_map_event& tm, std::size_t at, std::string_view db,
                       bool inner);
  [[nodiscard]] result<void> append_inflated(const event_view& ev, const rows_event& r);
  [[nodiscard]] std::size_t batch_limit() const;
  void continue_statement(const event_view& ev, bool inner);

  render_context& ctx_;
  std::vector<std::uint8_t> raw_;  // the events of the BINLOG statement being built
  std::uint64_t offset_ = 0;        // offset of the first event in raw_
  std::size_t stmt_begin_ = 0;      // where the current row statement starts in raw_
  std::size_t last_rows_at_ = SIZE_MAX;  // last included rows event of the current statement
  std::vector<std::pair<std::size_t, std::size_t>> stmt_maps_;  // its table maps in raw_ (at, size)
  bool last_rows_ended_ = false;
  // The format of the events in raw_, when they all share one (see merge_row_statements).
  std::optional<format_description> format_;
  bool one_format_ = true;
  std::unordered_map<std::uint64_t, bool> tables_;  // table id -> kept by the database filter
};

}  // namespace binlogkit::detail
