// core: the CRC32 of a whole file, read through a source (binlogkit::core).
#include <binlogkit/core/crc32.hpp>
#include <binlogkit/core/source.hpp>
#include <binlogkit/version.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto src = binlogkit::source::open(argv[1]);
  if (!src) return 2;
  std::printf("binlogkit %s crc32: %08x\n", binlogkit::version_string,
              static_cast<unsigned>(binlogkit::crc32(src->data())));
  return 0;
}
