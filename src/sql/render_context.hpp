// What every part of the renderer reads and writes besides its own state: the options,
// the filters, where the walk is (input, its format, the transaction's first event), the
// transaction being rendered (statement_list) and the notes for the user. One per
// transaction_stream; the parts (session_diff, statement_context, row_statements,
// load_data) each hold a reference to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "binlogkit/events/format_description.hpp"
#include "binlogkit/sql/sql.hpp"
#include "filters.hpp"
#include "statement_list.hpp"

namespace binlogkit::detail {

struct render_context {
  render_context(sql_filter f, render_options o) : filter(std::move(f)), opt(std::move(o)), out(opt) {}
  render_context(const render_context&) = delete;
  render_context& operator=(const render_context&) = delete;

  transaction_filter filter;
  render_options opt;
  statement_list out;  // refers to opt

  std::size_t file = 0;         // the input being read
  bool file_checksums = false;  // it promises CRC32s (also for events inside a payload)
  flavor source_flavor = flavor::unknown;
  version_triple source_version{};
  std::uint64_t tx_first_offset = 0;  // the current transaction's first event
  std::size_t tx_first_file = 0;

  std::vector<stream_note> notes;

  // The dialect statements are written in: the option, or the binlog's writer.
  [[nodiscard]] sql_dialect dialect() const noexcept {
    if (opt.dialect != sql_dialect::automatic) return opt.dialect;
    return source_flavor == flavor::mariadb ? sql_dialect::mariadb : sql_dialect::mysql;
  }
  void note(std::uint64_t offset, std::string text) { notes.push_back({file, offset, std::move(text)}); }
};

}  // namespace binlogkit::detail
