// events: counts the events of a binlog (binlogkit::events).
#include <binlogkit/events/reader.hpp>
#include <binlogkit/core/source.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto src = binlogkit::source::open(argv[1]);
  if (!src) return 2;
  binlogkit::event_reader reader(src->data());
  unsigned long events = 0;
  for (auto next = reader.next(); next && *next; next = reader.next()) ++events;
  std::printf("events: %lu\n", events);
  return 0;
}
