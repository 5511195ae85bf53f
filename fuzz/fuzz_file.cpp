// fuzz_file: a whole binlog or relay log. The input is walked with event_reader twice
// (strict, then yielding damaged and unknown events), every event is decoded and
// rendered, and verify_bytes checks it once more. Properties checked on every input: the
// strict walk's events lie end to end inside the input, each as long as its header says;
// a file verify_bytes calls intact is one the strict walk reads to its end without an
// error, with the same number of events; find_hazards at the input's end and at the first
// event boundaries either fails or lists hazards opened before the point and needed after.
#include <cstddef>
#include <cstdint>
#include <variant>
#include <vector>

#include "binlogkit/tools/dump.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/events/hazards.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/tools/verify.hpp"
#include "fuzz_check.hpp"

namespace {

struct walk_result {
  std::size_t events = 0;
  bool clean = true;  // read to the end without a reader or decoder error
};

walk_result walk(binlogkit::bytes data, const binlogkit::reader_options& options) {
  binlogkit::event_reader reader(data, options);
  walk_result w;
  std::uint64_t prev_end = 0;
  for (;;) {
    auto next = reader.next();
    if (!next) {
      w.clean = false;
      // After a checksum error or an encrypted event the reader has moved on.
      if (next.error().code == binlogkit::errc::checksum_mismatch || next.error().code == binlogkit::errc::encrypted) continue;
      break;
    }
    if (!*next) break;
    const binlogkit::event_view& ev = **next;
    ++w.events;
    BK_FUZZ_CHECK(ev.offset >= binlogkit::binlog_magic_size);
    BK_FUZZ_CHECK(ev.offset >= prev_end);
    BK_FUZZ_CHECK(ev.raw.size() == ev.header.event_size);
    BK_FUZZ_CHECK(ev.end_offset() <= data.size());
    BK_FUZZ_CHECK(ev.body.data() >= ev.raw.data() && ev.body.data() + ev.body.size() <= ev.raw.data() + ev.raw.size());
    if (w.clean && prev_end != 0) BK_FUZZ_CHECK(ev.offset == prev_end);  // no gap without an error
    prev_end = ev.end_offset();
    auto decoded = binlogkit::decode(ev);
    if (!decoded) {
      w.clean = false;
      continue;
    }
    if (const auto* p = std::get_if<binlogkit::previous_gtids_event>(&*decoded)) {
      (void)binlogkit::for_each_sid(*p, ev.offset, [](const binlogkit::uuid_bytes&, std::string_view, binlogkit::bytes) {});
    } else if (const auto* l = std::get_if<binlogkit::mariadb_gtid_list_event>(&*decoded)) {
      for (std::size_t i = 0; i < l->count; ++i) (void)l->at(i);
    }
    (void)binlogkit::event_to_json(ev, &*decoded, "fuzz");
  }
  return w;
}

// Hazards at a point: each opened before it (the input is one file) and needed at or after it.
void check_hazards(binlogkit::bytes input, std::uint64_t pos) {
  const std::vector<binlogkit::binlog_input> inputs{{"fuzz", input}};
  const auto r = binlogkit::find_hazards(inputs, binlogkit::hazard_point{binlogkit::hazard_position{{}, pos}});
  if (!r.ok()) {
    BK_FUZZ_CHECK(r.hazards.empty());
    return;
  }
  BK_FUZZ_CHECK(r.at.pos == pos);
  for (const auto& h : r.hazards) {
    BK_FUZZ_CHECK(h.opened.pos < pos);
    if (h.needed_by) BK_FUZZ_CHECK(h.needed_by->pos >= pos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const binlogkit::bytes input(data, size);
  const auto strict = walk(input, {});
  binlogkit::reader_options lenient;
  lenient.bad_checksum_is_error = false;
  lenient.allow_unknown_types = true;
  (void)walk(input, lenient);
  check_hazards(input, size);
  {
    binlogkit::event_reader reader(input);
    for (int i = 0; i < 16; ++i) {
      auto next = reader.next();
      if (!next || !*next) break;
      check_hazards(input, (**next).offset);
    }
  }
  const auto report = binlogkit::verify_bytes(input);
  for (const auto& p : report.problems) BK_FUZZ_CHECK(p.offset <= size);
  if (report.intact()) {
    BK_FUZZ_CHECK(strict.clean);
    BK_FUZZ_CHECK(report.events == strict.events);
  }
  return 0;
}
