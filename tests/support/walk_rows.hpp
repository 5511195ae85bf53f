// Test helper: every rows event of a binlog file with the schema of the table map it
// refers to. Stops at the first framing error (some corpus files end inside an event on
// purpose); rows events whose table map was not seen, or that do not decode, are skipped.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <string>

#include "binlogkit/events/events.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/rows/rows.hpp"
#include "binlogkit/core/source.hpp"

namespace bk_test {

struct rows_visit {
  const binlogkit::event_view& ev;
  const binlogkit::rows_event& rows;
  const binlogkit::table_schema& schema;
};

// Corpus files: CRC mismatches are read through, unknown event types yielded.
inline binlogkit::reader_options lenient_reader() {
  binlogkit::reader_options opt;
  opt.bad_checksum_is_error = false;
  opt.allow_unknown_types = true;
  return opt;
}

// Calls f(rows_visit) for each rows event; false if the file cannot be opened.
template <class F>
bool walk_rows(const std::string& path, F&& f, const binlogkit::reader_options& opt = lenient_reader()) {
  using namespace binlogkit;
  auto src = source::open(path);
  if (!src) return false;
  event_reader rd(src->data(), opt);
  std::map<std::uint64_t, table_schema> maps;
  for (;;) {
    auto next = rd.next();
    if (!next || !*next) break;
    const event_view& ev = **next;
    if (ev.type() == event_type::table_map) {
      auto tm = decode_table_map(ev);
      REQUIRE_MESSAGE(tm.has_value(), path, " table map at ", ev.offset);
      auto s = decode_table_schema(*tm, ev.offset, ev.format->flavor());
      REQUIRE_MESSAGE(s.has_value(), path, " table map at ", ev.offset, ": ", s.error().message());
      maps[tm->table_id] = std::move(*s);
    } else if (is_rows_event(ev.type())) {
      auto r = decode_rows(ev);
      if (!r) continue;
      auto it = maps.find(r->table_id);
      if (it == maps.end()) continue;
      f(rows_visit{ev, *r, it->second});
    }
  }
  return true;
}

}  // namespace bk_test
