// Blanks around user-given text (binlogkit/core/text.hpp): the exact set, and the parsers
// that trim with it (GTID sets, --rewrite-db, triage's executed GTIDs).
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "binlogkit/core/text.hpp"
#include "binlogkit/events/gtid_set.hpp"
#include "binlogkit/sql/sql.hpp"
#include "binlogkit/triage/triage.hpp"
#include "support/binlog_builder.hpp"

using namespace binlogkit;
using namespace bk_test;
using namespace std::string_view_literals;

TEST_SUITE("text") {
  TEST_CASE("is_blank: space, tab, LF, VT, FF and CR, no other byte") {
    const std::string_view blanks = " \t\n\v\f\r";
    int count = 0;
    for (int b = 0; b < 256; ++b) {
      const char c = static_cast<char>(b);
      const bool expected = blanks.find(c) != std::string_view::npos;
      CAPTURE(b);
      CHECK(is_blank(c) == expected);
      count += is_blank(c) ? 1 : 0;
    }
    CHECK(count == 6);
  }

  TEST_CASE("trim_blanks: each blank goes at both ends, inner text and non-blanks stay") {
    for (char b : " \t\n\v\f\r"sv) {
      CAPTURE(static_cast<int>(b));
      const std::string padded = std::string(2, b) + "a" + b + "b" + std::string(3, b);
      CHECK(trim_blanks(padded) == std::string("a") + b + "b");
    }
    // Not blanks: NUL, no-break space (latin1 A0, UTF-8 C2 A0), NEL (0x85), the
    // separators 0x1C..0x1F, backspace, DEL.
    for (std::string_view kept : {"\0x\0"sv, "\xa0x\xa0"sv, "\xc2\xa0x\xc2\xa0"sv, "\x85x\x85"sv, "\x1cx\x1f"sv,
                                  "\bx\x7f"sv}) {
      CAPTURE(kept);
      CHECK(trim_blanks(kept) == kept);
      CHECK(trim_blanks(std::string(" ") + std::string(kept) + "\r\n") == kept);
    }
    CHECK(trim_blanks(" \t\n\v\f\r ").empty());
    CHECK(trim_blanks("").empty());
    const std::string_view whole = " x ";
    CHECK(trim_blanks(whole).data() == whole.data() + 1);  // a view into the text
  }

  TEST_CASE("parsers trim with it: GTID sets, --rewrite-db, triage's executed GTIDs") {
    const std::string uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    auto plain = gtid_set::parse(uuid + ":1-5,0-1-7");
    REQUIRE(plain);
    auto padded = gtid_set::parse("\v" + uuid + ":1-5\f,\r\n 0-1-7\t");
    REQUIRE(padded);
    CHECK(padded->text() == plain->text());
    CHECK_FALSE(gtid_set::parse("\xa0" + uuid + ":1-5"));
    CHECK_FALSE(gtid_set::parse(std::string(1, '\0') + uuid + ":1-5"));

    auto r = parse_rewrite_db("\va\f->\vb\f");
    REQUIRE(r);
    CHECK(r->first == "a");
    CHECK(r->second == "b");
    auto nbsp = parse_rewrite_db("\xa0->b");
    REQUIRE(nbsp);
    CHECK(nbsp->first == "\xa0");

    // Only blanks and commas: the empty set; a NUL or a no-break space is no set.
    auto empty = parse_mysql_gtid_set(" ,\v\f,\r\n\t");
    REQUIRE(empty);
    CHECK(empty->empty());
    CHECK_FALSE(parse_mysql_gtid_set(std::string(" \0 ", 3)));
    CHECK_FALSE(parse_mysql_gtid_set("\xa0"));
  }

  TEST_CASE("triage: the executed GTIDs are kept without the blanks around them") {
    const auto data = read_file(testdata_path("mariadb-10.11/mixed.000001"));
    REQUIRE(data.size() > 100);
    triage_options o;
    o.executed_gtids = "\v\f 0-1-5\r\n";
    const auto rep = triage({{"mixed.000001", as_bytes(data)}}, o);
    REQUIRE(rep.executed.has_value());
    CHECK(rep.executed->point.gtid_state == "0-1-5");
  }
}
