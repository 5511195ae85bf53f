#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "binlogkit/events/inputs.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/core/source.hpp"
#include "binlogkit/sql/sql.hpp"

using namespace binlogkit;

namespace {
// A file in the temporary directory, named for this process, removed when it goes out of
// scope (also when a REQUIRE fails): tests never write into the checkout.
struct scratch_file {
  std::string path;
  explicit scratch_file(const std::string& name)
      : path((std::filesystem::temp_directory_path() / ("binlogkit-test-" + std::to_string(::getpid()) + "-" + name))
                 .string()) {}
  scratch_file(const scratch_file&) = delete;
  scratch_file& operator=(const scratch_file&) = delete;
  ~scratch_file() { std::remove(path.c_str()); }
};
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

  TEST_CASE("source: a gzip archive cut short is truncated and one with a flipped byte is corrupt, never bytes") {
    auto bytes_gz = slurp(testdata("mariadb-10.11/mixed.000002.gz"));
    REQUIRE(bytes_gz.size() > 100);
    scratch_file scratch("cut.gz");
    const std::string& path = scratch.path;
    auto open_with = [&](const std::vector<std::uint8_t>& gz) {
      {
        std::ofstream f(path, std::ios::binary);
        f.write(reinterpret_cast<const char*>(gz.data()), static_cast<std::streamsize>(gz.size()));
      }
      auto s = source::open(path);
      std::remove(path.c_str());
      return s;
    };
    auto cut = bytes_gz;
    cut.resize(cut.size() / 2);  // in the middle of the deflate stream
    auto s = open_with(cut);
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().code == errc::truncated);
    CHECK(s.error().detail == "gzip stream is truncated (it ends before its end marker)");
    CHECK(s.error().offset == cut.size());
    auto no_trailer = bytes_gz;
    no_trailer.resize(no_trailer.size() - 4);  // all the data, without the length
    s = open_with(no_trailer);
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().code == errc::truncated);
    auto flipped = bytes_gz;
    flipped[flipped.size() - 6] ^= 0x40;  // the CRC32 of the trailer
    s = open_with(flipped);
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().code == errc::bad_body);
    CHECK(s.error().detail == "gzip stream is corrupt");
    auto twice = bytes_gz;  // concatenated members are one stream, as gzip -d reads them
    twice.insert(twice.end(), bytes_gz.begin(), bytes_gz.end());
    s = open_with(twice);
    REQUIRE(s.has_value());
    CHECK(s->data().size() == 2 * 3942);
  }

  TEST_CASE("source: a stream or archive past max_buffered is an error, not an unbounded buffer") {
    auto s = source::open(testdata("mariadb-10.11/mixed.000002.gz"), source_kind::automatic, 1000);
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().code == errc::io_error);
    CHECK(s.error().detail == "input is larger than the limit for inputs held in memory (standard input, FIFOs, .gz)");
    CHECK(s.error().offset == 1000);
    auto exact = source::open(testdata("mariadb-10.11/mixed.000002.gz"), source_kind::automatic, 3942);
    REQUIRE(exact.has_value());
    CHECK(exact->data().size() == 3942);
  }

  TEST_CASE("source: an empty file is an error, for every kind") {
    scratch_file scratch("empty.000001");
    const std::string& path = scratch.path;
    { std::ofstream f(path, std::ios::binary); }
    for (auto kind : {source_kind::automatic, source_kind::pread}) {
      auto s = source::open(path, kind);
      REQUIRE_FALSE(s.has_value());
      CHECK(s.error().code == errc::io_error);
      CHECK(s.error().detail == "empty file");
    }
    std::remove(path.c_str());
  }

  TEST_CASE("source: a mapped file truncated under us reads as zeros past the cut and says where, no SIGBUS") {
    const auto plain = slurp(testdata("mariadb-10.11/mixed.000001"));
    scratch_file scratch("shrink.000001");
    const std::string& path = scratch.path;
    {
      std::ofstream f(path, std::ios::binary);
      for (int i = 0; i < 8; ++i) f.write(reinterpret_cast<const char*>(plain.data()), static_cast<std::streamsize>(plain.size()));
    }
    auto s = source::open(path);
    REQUIRE(s.has_value());
    REQUIRE(s->kind() == source_kind::mapped);
    CHECK_FALSE(s->lost_offset().has_value());
    CHECK_FALSE(bytes_lost_in(s->data()).has_value());
    REQUIRE(::truncate(path.c_str(), 10000) == 0);
    const bytes d = s->data();
    REQUIRE(d.size() == 8 * plain.size());
    // The last page still in the file reads its bytes, then zeros; the next page is gone.
    CHECK(d[9999] == plain[9999]);
    CHECK(d[10000] == 0);
    std::uint64_t sum = 0;
    for (std::size_t i = 16384; i < d.size(); i += 4096) sum += d[i];  // faults without the handler
    CHECK(sum == 0);
    REQUIRE(s->lost_offset().has_value());
    CHECK(*s->lost_offset() == 10000);
    REQUIRE(bytes_lost_in(d).has_value());
    CHECK(*bytes_lost_in(d) == 16384);
    CHECK(*bytes_lost_in(d.subspan(20000)) == 0);
    CHECK_FALSE(bytes_lost_in(d.first(16384)).has_value());
    std::remove(path.c_str());
  }
}

TEST_SUITE("inputs") {
  TEST_CASE("inputs: a FIFO is passed through unopened, a text file is not a binlog, a missing path is named") {
    const std::string dir = std::string(BINLOGKIT_SOURCE_DIR);
    const std::string fifo = dir + "/build-test.fifo";
    std::remove(fifo.c_str());
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    std::string failed;
    auto files = expand_inputs({fifo}, &failed);  // would wait for a writer if it opened it
    std::remove(fifo.c_str());
    REQUIRE(files.has_value());
    CHECK(*files == std::vector<std::string>{fifo});
    CHECK(failed.empty());

    const std::string missing = dir + "/no-such-dir/binlog.000001";
    files = expand_inputs({testdata("mariadb-10.11/mixed.000001"), missing}, &failed);
    REQUIRE_FALSE(files.has_value());
    CHECK(failed == missing);
    CHECK(input_error_text(failed, files.error()) == missing + ": no such file or directory");

    auto text = open_input(testdata("mariadb-10.11/README.md"));
    REQUIRE_FALSE(text.has_value());
    CHECK(text.error().code == errc::bad_magic);
    CHECK(input_error_text("README.md", text.error()) ==
          "README.md: not a binlog: it does not start with the magic fe 62 69 6e");

    auto set = open_inputs({testdata("mariadb-10.11/mixed.index")});
    REQUIRE(set.ok());
    CHECK(set.sources.size() == 5);
  }
}

TEST_SUITE("source") {
  TEST_CASE("source: a transaction stream over a mapped file that lost pages hands out nothing more") {
    const auto plain = slurp(testdata("mariadb-10.11/mixed.000001"));
    REQUIRE(plain.size() > 2 * 4096);  // a third page, partly filled
    scratch_file scratch("lost.000001");
    const std::string& path = scratch.path;
    {
      std::ofstream f(path, std::ios::binary);
      f.write(reinterpret_cast<const char*>(plain.data()), static_cast<std::streamsize>(plain.size()));
    }
    auto s = source::open(path);
    REQUIRE(s.has_value());
    transaction_stream intact({{path, s->data()}}, {}, {});
    auto first = intact.next();
    REQUIRE(first);
    REQUIRE(first->has_value());  // the first transaction lies in the first page
    REQUIRE(::truncate(path.c_str(), 4096) == 0);
    volatile std::uint8_t touch = s->data()[8192];  // the page is gone: the handler maps zeros
    CHECK(touch == 0);
    transaction_stream stream({{path, s->data()}}, {}, {});
    auto n = stream.next();
    std::remove(path.c_str());
    REQUIRE_FALSE(n);
    CHECK(n.error().code == errc::io_error);
    CHECK(n.error().offset == 8192);
    CHECK(n.error().detail == "the file shrank while it was read (truncated under us)");
  }
}
