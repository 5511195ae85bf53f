// Names from a binlog in dump's `#` lines: a newline or other control byte is escaped, so
// that a crafted name cannot end the comment and have its next line run when the dump is
// piped into a client.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "binlogkit/tools/dump.hpp"
#include "binlogkit/rows/row_text.hpp"
#include "binlogkit/core/source.hpp"
#include "support/binlog_builder.hpp"

using namespace binlogkit;
using namespace bk_test;

TEST_SUITE("row_text") {
  TEST_CASE("comment text: backslash, newline, carriage return, tab and other control bytes are escaped") {
    std::string out;
    append_one_line(out, std::string("a\\b\nc\rd\te\x01" "f\x7fg\xc3\xa9", 15), true);
    CHECK(out == "a\\\\b\\nc\\rd\\te\\x01f\\x7fg\xc3\xa9");
  }

  TEST_CASE("comment text: UTF-8 C1 controls are escaped, other characters from U+0080 kept") {
    // U+009B (C2 9B) is CSI to a terminal: "\xc2\x9b" "31m" would colour, "2J" clear.
    std::string out;
    append_one_line(out, "t\xc2\x9b" "2J\xc2\x80\xc2\x9f|\xc2\xa0\xc2\xbf\xc3\xa9\xc2", false);
    CHECK(out == "t\\xc2\\x9b2J\\xc2\\x80\\xc2\\x9f|\xc2\xa0\xc2\xbf\xc3\xa9\xc2");
    CHECK(one_line("a\xc2\x85" "b") == "a\\xc2\\x85b");
    CHECK(quote_identifier("t\xc2\x9b" "31m") == "`t\\xc2\\x9b31m`");
    CHECK(quote_identifier("caf\xc3\xa9") == "`caf\xc3\xa9`");
  }

  TEST_CASE("dump: a newline in a QUERY event's database name stays inside its # line") {
    binlog_builder b(server::mariadb_10_11);
    // QUERY post-header: thread_id 4, exec_time 4, db length 1, error code 2, status vars
    // length 2; then the database, a NUL and the statement.
    const std::string db = "a\nDROP DATABASE victim; -- ";
    std::vector<std::uint8_t> body(13, 0);
    body[8] = static_cast<std::uint8_t>(db.size());
    body.insert(body.end(), db.begin(), db.end());
    body.push_back(0);
    const std::string q = "CREATE TABLE t (i INT)";
    body.insert(body.end(), q.begin(), q.end());
    b.add(event_type::query, bytes(body.data(), body.size()));
    std::string path = "/tmp/bk-row-text-XXXXXX";
    const int fd = ::mkstemp(path.data());
    REQUIRE(fd >= 0);
    ::close(fd);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data().data()), static_cast<std::streamsize>(b.data().size()));
    auto src = source::open(path);
    REQUIRE(src.has_value());
    char* buf = nullptr;
    std::size_t len = 0;
    std::FILE* out = ::open_memstream(&buf, &len);
    auto r = dump_file(out, *src, dump_options{});
    std::fclose(out);
    std::string text(buf, len);
    std::free(buf);
    std::remove(path.c_str());
    REQUIRE(r.has_value());
    CHECK(text.find("\tdatabase=a\\nDROP DATABASE victim; -- \n") != std::string::npos);
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) CHECK(line.rfind("DROP", 0) != 0);
  }
}
