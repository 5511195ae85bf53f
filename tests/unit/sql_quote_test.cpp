// The quoting module (binlogkit/core/sql_quote.hpp): literals that read back the same in every
// client character set, when a name needs the switch to utf8mb4, and the proof that a
// statement's text is one statement.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "binlogkit/core/sql_quote.hpp"

using namespace binlogkit;

namespace {

// The client character sets in which a byte below 0x80 can be a character's second byte.
constexpr std::string_view trail_below_0x80[] = {"big5", "cp932", "gbk", "sjis", "gb18030"};

std::string hex_of(std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out = "X'";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out += digits[u >> 4];
    out += digits[u & 15];
  }
  return out + "'";
}

}  // namespace

TEST_SUITE("sql_quote") {
  TEST_CASE("string literals: every lead byte before a backslash, backquote or quote is written as hex") {
    // 'x<lead><trail>y' would let gbk, sjis or big5 read <lead><trail> as one character and
    // the quote or backslash vanish into it: every byte >= 0x80 sends the string to hex.
    int checked = 0;
    for (int lead = 0x80; lead <= 0xff; ++lead) {
      for (char trail : {'\\', '`', '\''}) {
        const std::string s = std::string("x") + static_cast<char>(lead) + trail + "y";
        const std::string lit = string_literal(s);
        CHECK(lit == hex_of(s));
        CHECK(is_printable_ascii(lit));
        ++checked;
      }
    }
    CHECK(checked == 128 * 3);
    CHECK(string_literal("\xc3\xa9t\xc3\xa9") == "X'C3A974C3A9'");
    CHECK(string_literal("it's") == "'it''s'");
    CHECK(string_literal("*/ -- ;") == "'*/ -- ;'");
  }

  TEST_CASE("plain literals: only printable ASCII without a backslash, else refused") {
    std::string out;
    CHECK(append_plain_literal(out, "/tmp/binlogkit-load-1.dat"));
    CHECK(out == "'/tmp/binlogkit-load-1.dat'");
    out.clear();
    CHECK(append_plain_literal(out, "it's"));
    CHECK(out == "'it''s'");
    out.clear();
    CHECK_FALSE(append_plain_literal(out, "a\\b"));
    CHECK_FALSE(append_plain_literal(out, "a\nb"));
    CHECK_FALSE(append_plain_literal(out, "\xe4\xb8\x81"));
    CHECK(out.empty());
  }

  TEST_CASE("names: a byte >= 0x80 needs a UTF-8 client character set; ASCII needs any but swe7") {
    const std::string hostile = "g\xe4\xb8\x81`;CREATE DATABASE pwned_gbk;SELECT 1 AS x\xe4\xb8\x81";
    for (auto cs : trail_below_0x80) {
      CAPTURE(cs);
      CHECK_FALSE(quoting_safe_in(cs, hostile));
      CHECK_FALSE(is_ascii_transparent_charset(cs));
      CHECK(quoting_safe_in(cs, "a`b;c"));  // ASCII bytes are never a second byte
    }
    for (auto cs : {"euckr", "ujis", "gb2312", "latin1", "binary"}) {
      CAPTURE(cs);
      CHECK_FALSE(quoting_safe_in(std::string_view(cs), hostile));  // not UTF-8: the name would change
      CHECK(quoting_safe_in(std::string_view(cs), "a`b;c"));
      CHECK(is_ascii_transparent_charset(cs));
    }
    for (auto cs : {"utf8mb4", "utf8mb3", "utf8"}) {
      CAPTURE(cs);
      CHECK(quoting_safe_in(std::string_view(cs), hostile));
      CHECK(is_utf8_charset(cs));
    }
    CHECK_FALSE(quoting_safe_in("swe7", "a`b"));
    CHECK_FALSE(quoting_safe_in(std::nullopt, hostile));  // not known: switch first
    CHECK(quoting_safe_in(std::nullopt, "shop"));
    for (auto cs : {"ucs2", "utf16", "utf16le", "utf32"}) CHECK_FALSE(is_ascii_transparent_charset(cs));
    // Every 2-byte sequence with a second byte the lexer looks for, inside a name.
    for (int lead = 0x81; lead <= 0xfe; ++lead) {
      for (char trail : {'\\', '`', '\''}) {
        const std::string name = std::string("a") + static_cast<char>(lead) + trail + "b";
        for (auto cs : trail_below_0x80) CHECK_FALSE(quoting_safe_in(cs, name));
        CHECK(quoting_safe_in("utf8mb4", name));
      }
    }
  }

  TEST_CASE("identifiers: backquotes doubled, every other byte verbatim") {
    CHECK(sql_identifier("a`b") == "`a``b`");
    CHECK(sql_identifier("g\xe4\xb8\x81`;x") == "`g\xe4\xb8\x81``;x`");
  }

  TEST_CASE("proven_single_statement: one closed statement under every sql_mode, or not proven") {
    const std::optional<std::string_view> utf8 = "utf8mb4";
    CHECK(proven_single_statement("INSERT INTO t VALUES (1)", utf8));
    CHECK(proven_single_statement("SELECT ';', \";\", `;`", utf8));
    CHECK(proven_single_statement("SELECT 1 /* ; */ + 2", utf8));
    CHECK(proven_single_statement("SELECT 1 -- ; comment", utf8));
    CHECK(proven_single_statement("SELECT 1 # ; comment\n+ 2", utf8));
    CHECK(proven_single_statement("SELECT 'it''s'", utf8));
    CHECK(proven_single_statement("/*!40101 SET @a=1 */", utf8));
    CHECK(proven_single_statement("SELECT 'caf\xc3\xa9'", utf8));
    CHECK(proven_single_statement("SELECT 'caf\xe9'", std::optional<std::string_view>("latin1")));
    CHECK(proven_single_statement("", utf8));

    CHECK_FALSE(proven_single_statement("INSERT INTO t VALUES (1); DROP DATABASE victim", utf8));
    CHECK_FALSE(proven_single_statement("SELECT 1;", utf8));
    CHECK_FALSE(proven_single_statement("CREATE PROCEDURE p() BEGIN SELECT 1; END", utf8));
    CHECK_FALSE(proven_single_statement("SELECT 'open", utf8));
    CHECK_FALSE(proven_single_statement("SELECT `open", utf8));
    CHECK_FALSE(proven_single_statement("SELECT 1 /* open", utf8));
    CHECK_FALSE(proven_single_statement("/*!40101 SET @a=1", utf8));
    // A backslash escapes or not (NO_BACKSLASH_ESCAPES): 'a\' ends there in one reading.
    CHECK_FALSE(proven_single_statement("SELECT 'a\\';DROP DATABASE victim;#'", utf8));
    CHECK_FALSE(proven_single_statement("SELECT 'a\\'", utf8));
    // " is a string (backslash escapes) or a name (ANSI_QUOTES: it does not).
    CHECK_FALSE(proven_single_statement("SELECT \"a\\\";DROP DATABASE victim;#\"", utf8));
    CHECK(proven_single_statement("SELECT 'a\\\\'", utf8));  // 'a\\' closed either way
    // A version comment the server skips ends at the first */, quoted or not.
    CHECK_FALSE(proven_single_statement("/*!99999 'a*/' */", utf8));
    CHECK_FALSE(proven_single_statement("/*!50001 /* x */ */", utf8));
    CHECK_FALSE(proven_single_statement("/*+ NO_ICP(t) */ SELECT 1", utf8));
    CHECK_FALSE(proven_single_statement("SELECT 1 # x\n;DROP DATABASE victim", utf8));
    // Bytes >= 0x80 where a second byte can be a quote: not proven (nor when not known).
    for (auto cs : trail_below_0x80) {
      CHECK_FALSE(proven_single_statement("SELECT '\x81\\'", std::optional<std::string_view>(cs)));
      CHECK_FALSE(proven_single_statement("SELECT 'ok\x81'", std::optional<std::string_view>(cs)));
      CHECK(proven_single_statement("SELECT 'ok'", std::optional<std::string_view>(cs)));
    }
    CHECK_FALSE(proven_single_statement("SELECT '\xc3\xa9'", std::nullopt));
    CHECK(proven_single_statement("SELECT 1", std::nullopt));
  }
}
