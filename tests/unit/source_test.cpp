#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "binlogkit/reader.hpp"
#include "binlogkit/source.hpp"

using namespace binlogkit;

namespace {
std::string testdata(const std::string& name) { return std::string(BINLOGKIT_TESTDATA_DIR) + "/" + name; }
std::vector<std::uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
std::size_t count_events(bytes data) {
  event_reader r(data);
  std::size_t n = 0;
  for (auto e = r.next(); e && *e; e = r.next()) ++n;
  return n;
}
}  // namespace

TEST_SUITE("source") {
  TEST_CASE("source: a mapped file, a pread snapshot and a gzip archive hold the same bytes") {
    const auto plain = slurp(testdata("mariadb-10.11/mixed.000002"));
    REQUIRE(plain.size() == 3942);
    auto mapped = source::open(testdata("mariadb-10.11/mixed.000002"));
    auto snap = source::open(testdata("mariadb-10.11/mixed.000002"), source_kind::pread);
    auto gz = source::open(testdata("mariadb-10.11/mixed.000002.gz"));
    REQUIRE(mapped.has_value());
    REQUIRE(snap.has_value());
    REQUIRE(gz.has_value());
    CHECK(mapped->kind() == source_kind::mapped);
    CHECK(snap->kind() == source_kind::pread);
    CHECK(gz->kind() == source_kind::gzip);
    for (const source* s : {&*mapped, &*snap, &*gz}) {
      REQUIRE(s->data().size() == plain.size());
      CHECK(std::equal(plain.begin(), plain.end(), s->data().begin()));
    }
    CHECK(count_events(gz->data()) == count_events(mapped->data()));
  }

  TEST_CASE("source: a missing file is an io_error with errno kept") {
    auto s = source::open(testdata("no-such-file.000001"));
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().code == errc::io_error);
    CHECK(source::last_errno() == ENOENT);
  }

  TEST_CASE("source: a directory is not a regular file") {
    auto s = source::open(testdata("mariadb-10.11"));
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().code == errc::io_error);
    CHECK(source::last_errno() == EISDIR);
  }

  TEST_CASE("source: a corrupt gzip archive is bad_body, not a crash") {
    auto bytes_gz = slurp(testdata("mariadb-10.11/mixed.000002.gz"));
    REQUIRE(bytes_gz.size() > 100);
    bytes_gz.resize(bytes_gz.size() / 2);  // cut in the middle of the deflate stream
    const std::string path = std::string(BINLOGKIT_SOURCE_DIR) + "/build-test-cut.gz";
    {
      std::ofstream f(path, std::ios::binary);
      f.write(reinterpret_cast<const char*>(bytes_gz.data()), static_cast<std::streamsize>(bytes_gz.size()));
    }
    auto s = source::open(path);
    std::remove(path.c_str());
    if (s.has_value()) {
      // Boost may hand back what inflated before the cut: the reader must then stop cleanly.
      event_reader r(s->data());
      auto e = r.next();
      for (; e && *e; e = r.next()) {
      }
      CHECK_FALSE(e.has_value());
    } else {
      CHECK(s.error().code == errc::bad_body);
    }
  }

  TEST_CASE("source: an empty file maps to no bytes and reads as truncated magic") {
    const std::string path = std::string(BINLOGKIT_SOURCE_DIR) + "/build-test-empty.000001";
    { std::ofstream f(path, std::ios::binary); }
    auto s = source::open(path);
    std::remove(path.c_str());
    REQUIRE(s.has_value());
    CHECK(s->data().empty());
    event_reader r(s->data());
    auto e = r.next();
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().code == errc::truncated);
  }
}
