// verify_file FILE...: checks every event of each file (framing, checksums, bodies) and
// prints "FILE: intact (N events)" or one line per problem. Exit status 1 when any file is
// damaged or unreadable.
#include <binlogkit/core/source.hpp>
#include <binlogkit/tools/verify.hpp>

#include <cstdio>

namespace bk = binlogkit;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE...\n", argv[0]);
    return 2;
  }
  int rc = 0;
  for (int i = 1; i < argc; ++i) {
    auto src = bk::source::open(argv[i]);
    if (!src) {
      std::printf("%s: unreadable: %s\n", argv[i], src.error().message().c_str());
      rc = 1;
      continue;
    }
    auto report = bk::verify_bytes(src->data());
    if (report.intact()) {
      std::printf("%s: intact (%llu events, %llu checksums verified)\n", argv[i],
                  static_cast<unsigned long long>(report.events),
                  static_cast<unsigned long long>(report.checksums_verified));
      continue;
    }
    rc = 1;
    for (const auto& problem : report.problems) {
      std::printf("%s: %s\n", argv[i], problem.message().c_str());
    }
    if (report.encrypted_events > 0) {
      std::printf("%s: %llu encrypted events framed but not checked\n", argv[i],
                  static_cast<unsigned long long>(report.encrypted_events));
    }
  }
  return rc;
}
