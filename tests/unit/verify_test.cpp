#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "binlogkit/verify.hpp"

using namespace binlogkit;

namespace {
std::vector<std::uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
// A file over the size where verify checks checksums on a second thread: a real binlog's
// events repeated (each copy begins with its own format description, as a relay log does).
std::vector<std::uint8_t> big_file() {
  auto one = slurp(std::string(BINLOGKIT_TESTDATA_DIR) + "/mariadb-10.11/mixed.000001");
  REQUIRE(one.size() == 11444);
  std::vector<std::uint8_t> out(one.begin(), one.begin() + 4);
  while (out.size() < (10u << 20)) out.insert(out.end(), one.begin() + 4, one.end());
  return out;
}
}  // namespace

TEST_SUITE("verify") {
  TEST_CASE("verify: checksums checked on a second thread give the same report as on one") {
    auto data = big_file();
    // Damage two events far apart: a body byte (checksum only) and another one.
    data[data.size() / 3] ^= 0x10;
    data[2 * data.size() / 3] ^= 0x01;
    verify_options one_thread;
    one_thread.parallel_checksums = false;
    verify_options two_threads;
    two_threads.parallel_checksums = true;
    const auto a = verify_bytes({data.data(), data.size()}, one_thread);
    const auto b = verify_bytes({data.data(), data.size()}, two_threads);
    CHECK(a.events == b.events);
    CHECK(a.checksums_verified == b.checksums_verified);
    CHECK(a.bytes_checked == b.bytes_checked);
    REQUIRE(a.problems.size() == 2);
    REQUIRE(b.problems.size() == a.problems.size());
    for (std::size_t i = 0; i < a.problems.size(); ++i) {
      CHECK(a.problems[i].code == errc::checksum_mismatch);
      CHECK(b.problems[i].code == a.problems[i].code);
      CHECK(b.problems[i].offset == a.problems[i].offset);
      CHECK(b.problems[i].event_type == a.problems[i].event_type);
    }
    // Each damaged event starts at or before its flipped byte and ends after it.
    CHECK(a.problems[0].offset <= data.size() / 3);
    CHECK(a.problems[1].offset <= 2 * data.size() / 3);
  }

  TEST_CASE("verify: an intact large file verifies every checksum on two threads") {
    auto data = big_file();
    const auto r = verify_bytes({data.data(), data.size()});
    CHECK(r.intact());
    CHECK(r.checksums_verified == r.events);
    CHECK(r.bytes_checked == data.size());
  }
}
