#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <iterator>
#include <string>
#include <vector>

#include "binlogkit/tools/verify.hpp"
#include "support/damage.hpp"

using namespace binlogkit;
using bk_test::apply_damage;
using bk_test::damage;

namespace {
std::vector<std::uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
std::vector<std::uint8_t> testdata(const std::string& name) {
  return slurp(std::string(BINLOGKIT_TESTDATA_DIR) + "/mariadb-10.11/" + name);
}
// Appends a binlog's events (without its magic) until `out` reaches `size` bytes; each
// copy begins with its own format description, as a relay log does.
void append_copies(std::vector<std::uint8_t>& out, const std::vector<std::uint8_t>& one, std::size_t size) {
  if (out.empty()) out.assign(one.begin(), one.begin() + 4);
  do out.insert(out.end(), one.begin() + 4, one.end());
  while (out.size() < size);
}
// A real binlog's events repeated to a few MiB.
std::vector<std::uint8_t> big_file() {
  auto one = testdata("mixed.000001");
  REQUIRE(one.size() == 11444);
  std::vector<std::uint8_t> out;
  append_copies(out, one, 4u << 20);
  return out;
}

verify_report sequential(const std::vector<std::uint8_t>& data) {
  verify_options o;
  o.threads = 1;
  return verify_bytes({data.data(), data.size()}, o);
}
verify_report parallel(const std::vector<std::uint8_t>& data, unsigned threads, std::uint64_t segment) {
  verify_options o;
  o.threads = threads;
  o.segment_size = segment;
  return verify_bytes({data.data(), data.size()}, o);
}

// Every field of the two reports agrees, problem by problem.
void check_same(const verify_report& a, const verify_report& b) {
  CHECK(a.events == b.events);
  CHECK(a.bytes_checked == b.bytes_checked);
  CHECK(a.checksums_verified == b.checksums_verified);
  CHECK(a.encrypted_events == b.encrypted_events);
  CHECK(a.in_use == b.in_use);
  CHECK(a.has_checksums == b.has_checksums);
  CHECK(a.flavor == b.flavor);
  CHECK(a.server_version == b.server_version);
  REQUIRE(a.problems.size() == b.problems.size());
  for (std::size_t i = 0; i < a.problems.size(); ++i) {
    CAPTURE(i);
    CHECK(a.problems[i].code == b.problems[i].code);
    CHECK(a.problems[i].offset == b.problems[i].offset);
    CHECK(a.problems[i].event_type == b.problems[i].event_type);
    CHECK(a.problems[i].detail == b.problems[i].detail);
  }
}
}  // namespace

TEST_SUITE("verify") {
  TEST_CASE("verify: an intact file read in parallel segments gives the one-thread report") {
    const auto data = big_file();
    const auto one = sequential(data);
    CHECK(one.intact());
    CHECK(one.segments == 1);
    CHECK(one.bytes_checked == data.size());
    CHECK(one.checksums_verified == one.events);
    // mixed.000001 holds 102 events (mariadb-binlog's `# at` lines), the format
    // description included, and 11440 bytes after the magic: 367 copies reach 4 MiB.
    CHECK(data.size() == 4 + 367 * 11440);
    CHECK(one.events == 367 * 102);
    for (unsigned threads : {2u, 3u}) {
      CAPTURE(threads);
      const auto par = parallel(data, threads, 64u << 10);
      check_same(one, par);
      CHECK(par.segments > 32);  // each segment was handed over, not re-read
    }
  }

  TEST_CASE("verify: damage anywhere gives the one-thread report in parallel") {
    const auto clean = big_file();
    const auto starts =
        bk_test::event_starts_from_listing(std::string(BINLOGKIT_TESTDATA_DIR) + "/mariadb-10.11/mixed.000001.vv.txt");
    REQUIRE(starts.size() == 102);
    const std::uint64_t segment = 64u << 10;
    // Places near segment starts (where parallel readers begin) and in between.
    std::vector<std::size_t> places;
    for (std::size_t s = segment; s + 64 < clean.size(); s += 7 * segment + 4099) {
      places.push_back(s);
      places.push_back(s + 1);
      places.push_back(s + 300);
    }
    int damaged_cases = 0;
    for (std::size_t at : places) {
      for (auto kind : {damage::bit_flip, damage::dropped_byte, damage::zeroed_page, damage::torn_tail,
                        damage::inserted_block}) {
        CAPTURE(at);
        CAPTURE(static_cast<int>(kind));
        auto data = clean;
        apply_damage(data, kind, at);
        const auto one = sequential(data);
        if (!one.intact()) ++damaged_cases;
        // The first problem: the event holding the damage, by mariadb-binlog's offsets.
        const auto want = bk_test::expected_first_problem(kind, at, starts, 11444);
        REQUIRE_FALSE(one.problems.empty());
        CHECK(one.problems.front().offset == want.offset);
        if (want.code != errc::ok) CHECK(one.problems.front().code == want.code);
        check_same(one, parallel(data, 2, segment));
        check_same(one, parallel(data, 3, segment));
      }
    }
    CHECK(damaged_cases == static_cast<int>(places.size()) * 5);
  }

  TEST_CASE("verify: a format change between segments (checksums off) is read as one reader would") {
    // Copies of a checksummed binlog, then of one without checksums, then checksummed
    // again: parallel readers start under the first layout, so the reader before the
    // change must go on through it.
    std::vector<std::uint8_t> data;
    append_copies(data, testdata("mixed.000001"), 1u << 20);
    append_copies(data, testdata("nochecksum.000001"), 2u << 20);
    append_copies(data, testdata("mixed.000001"), 3u << 20);
    const auto one = sequential(data);
    CHECK(one.intact());
    CHECK(one.bytes_checked == data.size());
    CHECK(one.checksums_verified < one.events);
    const auto par = parallel(data, 2, 64u << 10);
    check_same(one, par);
    CHECK(par.segments > 1);
    CHECK(par.segments < one.events);

    auto damaged = data;
    damaged[(3u << 19) + 17] ^= 0x04;  // inside the stretch without checksums
    damaged[(5u << 19) + 17] ^= 0x04;  // inside the second checksummed stretch
    check_same(sequential(damaged), parallel(damaged, 2, 64u << 10));
  }

  TEST_CASE("verify: a checksummed format of another layout between segments is read as one reader would") {
    // A MySQL 8.0 binlog's copies between MariaDB ones: its events carry valid CRC32s, so
    // a parallel reader may start among them, but under the wrong (MariaDB) layout; the
    // reader before must not hand over to it.
    const auto mysql = slurp(std::string(BINLOGKIT_CORPUS_DIR) +
                             "/rust-us+mysql-cdc-rs/tests__events__8.0__02_query_bigger__binlog.000733");
    REQUIRE(mysql.size() == 7843);
    std::vector<std::uint8_t> data;
    append_copies(data, testdata("mixed.000001"), 1u << 20);
    append_copies(data, mysql, 2u << 20);
    append_copies(data, testdata("mixed.000001"), 3u << 20);
    const auto one = sequential(data);
    CHECK(one.bytes_checked == data.size());
    const auto par = parallel(data, 2, 64u << 10);
    check_same(one, par);
    // 64 KiB segments: 16 start in the first MariaDB MiB (the first at 0), 16 in the
    // MySQL stretch, 16 in the last MariaDB MiB. The 16 among MySQL events are read but
    // not trusted (handing over to them gives 48).
    CHECK(par.segments == 32);
  }

  TEST_CASE("verify: an encrypted stretch stays with the reader that saw encryption start") {
    // After MariaDB's START_ENCRYPTION every event is ciphertext framed by its length,
    // even the plain copies that follow here: a reader starting among those must not
    // be trusted.
    std::vector<std::uint8_t> data;
    append_copies(data, testdata("mixed.000001"), 1u << 20);
    append_copies(data, testdata("encrypted.000001"), (1u << 20) + 1);
    append_copies(data, testdata("mixed.000001"), 3u << 20);
    const auto one = sequential(data);
    REQUIRE(one.problems.size() == 1);
    CHECK(one.problems[0].code == errc::encrypted);
    CHECK(one.encrypted_events > 0);
    CHECK(one.bytes_checked == data.size());
    check_same(one, parallel(data, 2, 64u << 10));
  }

  TEST_CASE("verify: progress adds up to the bytes read and release covers them") {
    const auto data = big_file();
    verify_options o;
    o.threads = 2;
    o.segment_size = 256u << 10;
    o.progress_interval = 1u << 20;
    std::vector<std::uint64_t> seen;
    o.progress = [&](std::uint64_t done) { seen.push_back(done); };
    std::mutex m;
    std::uint64_t released = 0;
    o.release = [&](std::uint64_t b, std::uint64_t e) {
      std::lock_guard<std::mutex> lock(m);
      CHECK(b <= e);
      CHECK(e <= data.size());
      released += e - b;
    };
    const auto r = verify_bytes({data.data(), data.size()}, o);
    CHECK(r.intact());
    REQUIRE(seen.size() >= 3);
    CHECK(std::is_sorted(seen.begin(), seen.end()));
    CHECK(seen.back() == data.size());
    CHECK(released >= data.size() - 4);
  }
}
