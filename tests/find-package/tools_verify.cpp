// tools: verifies a binlog (binlogkit::tools).
#include <binlogkit/core/source.hpp>
#include <binlogkit/tools/verify.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto src = binlogkit::source::open(argv[1]);
  if (!src) return 2;
  auto report = binlogkit::verify_bytes(src->data());
  std::printf("%s, %llu events\n", report.intact() ? "intact" : "damaged",
              static_cast<unsigned long long>(report.events));
  return report.intact() ? 0 : 1;
}
