// fuzz_file: a whole binlog or relay log. The input is walked with event_reader twice
// (strict, then yielding damaged and unknown events), every event is decoded and
// rendered, and verify_bytes checks it once more.
#include <cstddef>
#include <cstdint>
#include <variant>

#include "binlogkit/dump.hpp"
#include "binlogkit/events.hpp"
#include "binlogkit/reader.hpp"
#include "binlogkit/verify.hpp"

namespace {

void walk(binlogkit::bytes data, const binlogkit::reader_options& options) {
  binlogkit::event_reader reader(data, options);
  for (;;) {
    auto next = reader.next();
    if (!next) {
      // After a checksum error or an encrypted event the reader has moved on.
      if (next.error().code == binlogkit::errc::checksum_mismatch || next.error().code == binlogkit::errc::encrypted) continue;
      break;
    }
    if (!*next) break;
    const binlogkit::event_view& ev = **next;
    auto decoded = binlogkit::decode(ev);
    if (!decoded) continue;
    if (const auto* p = std::get_if<binlogkit::previous_gtids_event>(&*decoded)) {
      (void)binlogkit::for_each_sid(*p, ev.offset, [](const binlogkit::uuid_bytes&, std::string_view, binlogkit::bytes) {});
    } else if (const auto* l = std::get_if<binlogkit::mariadb_gtid_list_event>(&*decoded)) {
      for (std::size_t i = 0; i < l->count; ++i) (void)l->at(i);
    }
    (void)binlogkit::event_to_json(ev, &*decoded, "fuzz");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const binlogkit::bytes input(data, size);
  walk(input, {});
  binlogkit::reader_options lenient;
  lenient.bad_checksum_is_error = false;
  lenient.allow_unknown_types = true;
  walk(input, lenient);
  (void)binlogkit::verify_bytes(input);
  return 0;
}
