// triage: a binlog's triage verdict (binlogkit::triage).
#include <binlogkit/core/source.hpp>
#include <binlogkit/triage/triage.hpp>

#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto src = binlogkit::source::open(argv[1]);
  if (!src) return 2;
  std::vector<binlogkit::triage_input> inputs{{argv[1], src->data(), false}};
  const auto report = binlogkit::triage(inputs);
  std::printf("events: %llu, damaged ranges: %zu, last good: %s\n",
              static_cast<unsigned long long>(report.events), report.damage.size(),
              report.last_good ? "yes" : "no");
  return 0;
}
