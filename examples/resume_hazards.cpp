// resume_hazards FILE POINT: is it safe to start replaying FILE at POINT (an offset, or a
// GTID set: just after its last transaction in the file)? Prints one line per hazard: its
// kind, where it opened and which later event needs it.
// Exit status: 0 safe, 1 hazards, 2 bad arguments, an unreadable file or a point not in it.
#include <binlogkit/core/source.hpp>
#include <binlogkit/events/hazards.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace bk = binlogkit;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: resume_hazards FILE POINT\n");
    return 2;
  }
  auto point = bk::parse_hazard_point(argv[2]);
  auto src = bk::source::open(argv[1]);
  if (!point || !src) {
    std::fprintf(stderr, "%s\n", (!point ? point.error() : src.error()).message().c_str());
    return 2;
  }
  const std::vector<bk::binlog_input> inputs{{argv[1], src->data()}};
  const auto report = bk::find_hazards(inputs, *point);
  if (!report.ok()) {
    std::fprintf(stderr, "%s\n", report.failure.c_str());
    return 2;
  }
  for (const auto& h : report.hazards) {
    const std::string needed = h.needed_by ? std::to_string(h.needed_by->pos) : std::string("later");
    std::printf("%.*s %s.%s opened %llu needed %s\n", static_cast<int>(bk::to_string(h.kind).size()),
                bk::to_string(h.kind).data(), h.schema.c_str(), h.table.c_str(),
                static_cast<unsigned long long>(h.opened.pos), needed.c_str());
  }
  return report.hazards.empty() ? 0 : 1;
}
