// list_events FILE: prints "offset type size" for every event of a binlog or relay log.
//
// The smallest use of the reader: open a source, walk it with event_reader, stop at the
// first framing error. A checksum mismatch is reported and the walk goes on, since the
// event's frame is still sound.
#include <binlogkit/events/reader.hpp>
#include <binlogkit/core/source.hpp>

#include <cstdio>

namespace bk = binlogkit;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  auto src = bk::source::open(argv[1]);
  if (!src) {
    std::fprintf(stderr, "%s: %s\n", argv[1], src.error().message().c_str());
    return 2;
  }
  bk::event_reader reader(src->data());
  int rc = 0;
  for (;;) {
    auto next = reader.next();
    if (!next) {
      std::fprintf(stderr, "%s: %s\n", argv[1], next.error().message().c_str());
      rc = 1;
      if (next.error().code == bk::errc::checksum_mismatch) continue;
      break;
    }
    if (!*next) break;  // clean end of the file
    const bk::event_view& ev = **next;
    std::printf("%llu %.*s %u\n", static_cast<unsigned long long>(ev.offset),
                static_cast<int>(bk::type_name(ev.type()).size()), bk::type_name(ev.type()).data(),
                ev.header.event_size);
  }
  return rc;
}
