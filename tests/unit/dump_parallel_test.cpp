// dump_file on several threads writes exactly what one thread writes: same text, same
// JSON, same first error, for intact and damaged files.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "binlogkit/tools/dump.hpp"
#include "binlogkit/core/source.hpp"
#include "support/damage.hpp"

using namespace binlogkit;
using bk_test::apply_damage;
using bk_test::damage;

namespace {
std::vector<std::uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
// mixed.000001's events (GTIDs, table maps, rows of many types, statements) repeated
// to 2 MiB: each copy begins with its own format description, as a relay log does.
std::vector<std::uint8_t> big_file() {
  auto one = slurp(std::string(BINLOGKIT_TESTDATA_DIR) + "/mariadb-10.11/mixed.000001");
  REQUIRE(one.size() == 11444);
  std::vector<std::uint8_t> out(one.begin(), one.begin() + 4);
  while (out.size() < (2u << 20)) out.insert(out.end(), one.begin() + 4, one.end());
  return out;
}

struct dumped {
  std::string text;
  result<void> status;
};
dumped run(const std::vector<std::uint8_t>& data, dump_options o) {
  auto src = source::from_bytes("big.000001", {data.data(), data.size()});
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* out = ::open_memstream(&buf, &len);
  REQUIRE(out != nullptr);
  dumped d{{}, dump_file(out, src, o)};
  std::fclose(out);
  d.text.assign(buf, len);
  std::free(buf);
  return d;
}

void check_same_output(const std::vector<std::uint8_t>& data, dump_options o) {
  o.threads = 1;
  const auto one = run(data, o);
  REQUIRE(!one.text.empty());
  for (unsigned threads : {2u, 3u}) {
    CAPTURE(threads);
    o.threads = threads;
    o.segment_size = 64u << 10;
    const auto par = run(data, o);
    CHECK(par.text.size() == one.text.size());
    CHECK(par.text == one.text);
    CHECK(par.status.has_value() == one.status.has_value());
    if (!one.status && !par.status) {
      CHECK(par.status.error().code == one.status.error().code);
      CHECK(par.status.error().offset == one.status.error().offset);
    }
  }
}
}  // namespace

TEST_SUITE("dump") {
  TEST_CASE("dump: text -vv and JSON -v on several threads equal one thread's") {
    const auto data = big_file();
    dump_options o;
    o.verbosity = 2;
    check_same_output(data, o);
    o.json = true;
    o.verbosity = 1;
    check_same_output(data, o);
    // The text has one "# at" block per event: 102 per copy of mixed.000001
    // (mariadb-binlog's count), 184 copies.
    o = {};
    o.threads = 2;
    o.segment_size = 64u << 10;
    const auto par = run(data, o);
    std::size_t blocks = 0;
    for (std::size_t at = par.text.find("# at "); at != std::string::npos; at = par.text.find("# at ", at + 1)) {
      if (at == 0 || par.text[at - 1] == '\n') ++blocks;
    }
    CHECK(data.size() == 4 + 184 * 11440);
    CHECK(blocks == 184 * 102);
  }

  TEST_CASE("dump: damaged files on several threads print what one thread prints") {
    const auto clean = big_file();
    const auto starts =
        bk_test::event_starts_from_listing(std::string(BINLOGKIT_TESTDATA_DIR) + "/mariadb-10.11/mixed.000001.vv.txt");
    REQUIRE(starts.size() == 102);
    for (std::size_t at : {std::size_t{65536}, std::size_t{65536 * 7 + 300}, clean.size() / 2, clean.size() - 5000}) {
      for (auto kind : {damage::bit_flip, damage::dropped_byte, damage::torn_tail}) {
        CAPTURE(at);
        CAPTURE(static_cast<int>(kind));
        auto data = clean;
        apply_damage(data, kind, at);
        dump_options o;
        o.verbosity = 2;
        check_same_output(data, o);
        // The first damage the dump shows (an event printed with its CRC32 "(BAD)", or the
        // error it stops at) is the event holding the change, by mariadb-binlog's offsets.
        o.threads = 1;
        const auto one = run(data, o);
        const auto want = bk_test::expected_first_problem(kind, at, starts, 11444);
        std::optional<std::uint64_t> shown;
        if (const auto bad = one.text.find(" (BAD)"); bad != std::string::npos) {
          const auto block = one.text.rfind("# at ", bad);
          REQUIRE(block != std::string::npos);
          shown = std::stoull(one.text.substr(block + 5));
        }
        if (!one.status) {
          if (!shown || one.status.error().offset < *shown) shown = one.status.error().offset;
          // A damaged event is printed and reading goes on: only a torn tail is an error
          // of a kind the damage fixes (the others are the decoders' on shifted bytes).
          if (kind == damage::torn_tail) CHECK(one.status.error().code == errc::truncated);
        }
        REQUIRE(shown.has_value());
        CHECK(*shown == want.offset);
      }
    }
  }
}

TEST_SUITE("dump") {
  TEST_CASE("dump: a MariaDB DATETIME(N)/TIME(N) of the pre-10.3 format is an error, not a wrong value") {
    // The server logs them as DATETIME/TIME with no precision (testdata README): the
    // first row's d6 column (8 bytes of the older packed format) is not YYYYMMDDHHMMSS.
    const auto data = slurp(std::string(BINLOGKIT_TESTDATA_DIR) + "/mariadb-10.11/oldtemporal.000001");
    REQUIRE(data.size() == 1311);
    dump_options o;
    o.verbosity = 1;
    const auto d = run(data, o);
    REQUIRE_FALSE(d.status.has_value());
    CHECK(d.status.error().code == errc::bad_value);
    CHECK(d.status.error().offset == 933);
    CHECK(d.status.error().event_type == 23);  // Write_rows_v1
    // No value of the DATETIME(6) column is printed (the INSERT's @2 would be it).
    CHECK(d.text.find("###   @2=") == std::string::npos);
    CHECK(d.text.find("###   @1=1") != std::string::npos);
  }
}
