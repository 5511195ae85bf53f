// LOAD DATA: the file blocks a binlog carries (BEGIN_LOAD_QUERY, APPEND_BLOCK,
// DELETE_FILE) and the EXECUTE_LOAD_QUERY that loads them, rendered as LOAD DATA LOCAL
// INFILE of a file named render_options::load_prefix + n + ".dat" (n counts the stream's
// LOAD DATA statements from 1) whose bytes the transaction carries
// (rendered_transaction::load_data / load_names). MySQL 4.x/5.0 LOAD events cannot be
// replayed: they are errors naming the event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "binlogkit/events/events.hpp"
#include "binlogkit/core/result.hpp"
#include "render_context.hpp"
#include "session_diff.hpp"

namespace binlogkit::detail {

class load_data {
 public:
  load_data(render_context& ctx, const session_diff& session) : ctx_(ctx), session_(session) {}

  // A file block event (`ev`'s type says which).
  [[nodiscard]] result<void> block(const event_view& ev, const file_block_event& f);
  // EXECUTE_LOAD_QUERY: the LOAD DATA statement, with its data taken from the blocks.
  [[nodiscard]] result<void> statement(const event_view& ev, const query_event& q);
  // A new transaction: blocks of an earlier one are forgotten.
  void reset() { blocks_.clear(); }

 private:
  render_context& ctx_;
  const session_diff& session_;
  std::unordered_map<std::uint32_t, std::vector<std::uint8_t>> blocks_;  // file id -> data
  std::size_t count_ = 0;
};

}  // namespace binlogkit::detail
