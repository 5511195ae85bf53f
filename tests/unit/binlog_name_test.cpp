// Binlog file names NAME.NNNNNN (binlogkit/core/binlog_name.hpp): parsing, the next and
// previous name as a server gives them, their order, index-file lines, hostile names.
#include <doctest/doctest.h>

#include <string>

#include "binlogkit/core/binlog_name.hpp"

using namespace binlogkit;

TEST_SUITE("binlog_name") {
  TEST_CASE("parse: base, number and width; anything else is no binlog name") {
    auto n = parse_binlog_name("mysql-bin.000012");
    REQUIRE(n);
    CHECK(n->base == "mysql-bin");
    CHECK(n->number == 12);
    CHECK(n->width == 6);
    auto dir = parse_binlog_name("/var/lib/mysql/relay.bin.1000000");
    REQUIRE(dir);
    CHECK(dir->base == "/var/lib/mysql/relay.bin");
    CHECK(dir->number == 1000000);
    CHECK(dir->width == 7);
    auto top = parse_binlog_name("b.18446744073709551615");
    REQUIRE(top);
    CHECK(top->number == UINT64_MAX);
    auto bare = parse_binlog_name(".000001");
    REQUIRE(bare);
    CHECK(bare->base.empty());
    for (const char* bad : {"binlog", "binlog.", "binlog.00a1", "binlog.000001.gz", "binlog.-1", "binlog.+1",
                            "binlog. 1", "b.18446744073709551616", "b.99999999999999999999999", "", "."}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_binlog_name(bad));
      CHECK_FALSE(is_binlog_name(bad));
    }
  }

  TEST_CASE("next and previous: as servers number them, 999999 -> 1000000") {
    CHECK(next_binlog_name("binlog.000009") == "binlog.000010");
    CHECK(next_binlog_name("binlog.999999") == "binlog.1000000");
    CHECK(next_binlog_name("binlog.1000000") == "binlog.1000001");
    CHECK(next_binlog_name("b.1") == "b.2");          // not a server's name: its width kept
    CHECK(next_binlog_name("b.0000099") == "b.0000100");
    CHECK(previous_binlog_name("binlog.000010") == "binlog.000009");
    CHECK(previous_binlog_name("binlog.1000000") == "binlog.999999");
    CHECK(previous_binlog_name("binlog.000001") == "binlog.000000");
    CHECK_FALSE(previous_binlog_name("binlog.000000"));
    CHECK_FALSE(next_binlog_name("b.18446744073709551615"));
    CHECK_FALSE(next_binlog_name("binlog"));
    CHECK_FALSE(next_binlog_name("binlog.12x"));
    CHECK_FALSE(previous_binlog_name("binlog."));
  }

  TEST_CASE("compare: one base by number, anything else as strings") {
    CHECK(compare_binlog_names("binlog.000009", "binlog.000010") < 0);
    CHECK(compare_binlog_names("binlog.000010", "binlog.000009") > 0);
    CHECK(compare_binlog_names("binlog.999999", "binlog.1000000") < 0);
    CHECK(compare_binlog_names("binlog.000010", "binlog.000010") == 0);
    CHECK(compare_binlog_names("d/binlog.000010", "binlog.000009") > 0);  // only the last component is a name
    CHECK(compare_binlog_names("binlog.10", "binlog.000010") > 0);         // same number: as strings
    CHECK(compare_binlog_names("a.000002", "b.000001") < 0);               // other bases: as strings
    CHECK(compare_binlog_names("binlog", "binlog.000001") < 0);
    CHECK(compare_binlog_names("binlog.x", "binlog.000001") > 0);
  }

  TEST_CASE("index lines: the name without the line's trailing CR and blanks") {
    CHECK(index_file_line("./binlog.000001\r") == "./binlog.000001");
    CHECK(index_file_line("./binlog.000002  \t") == "./binlog.000002");
    CHECK(index_file_line(" \r").empty());
    CHECK(index_file_line("") == "");
    CHECK(index_file_line(" lead.000001") == " lead.000001");  // leading blanks belong to the name
  }
}
