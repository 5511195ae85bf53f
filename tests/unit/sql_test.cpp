// SQL rendering: quoting, GTID sets, filters, and the statements a transaction renders to,
// compared with exact expected text. Transactions are hand-built MariaDB 10.11 / MySQL 8.0
// binlogs (support/binlog_builder.hpp), including hostile names and values.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "binlogkit/core/crc32.hpp"
#include "binlogkit/sql/sql.hpp"
#include "support/binlog_builder.hpp"

using namespace binlogkit;
using namespace bk_test;

namespace {

// | 4 thread | 4 exec | 1 db len | 2 error | 2 vars len | vars | db | NUL | query |
std::vector<std::uint8_t> query_body(std::string_view db, std::string_view query, bytes vars = {},
                                     std::uint32_t thread = 5, std::uint16_t error = 0) {
  byte_writer w;
  w.u32(thread).u32(0).u8(db.size()).u16(error).u16(vars.size()).raw(vars).cstr(db).str(query);
  return w.data();
}

// Status variables as MariaDB 10.11 writes them for a utf8mb4 session.
std::vector<std::uint8_t> status_vars(std::uint32_t flags2 = 0x01000000, std::uint64_t sql_mode = 1411383296,
                                      std::uint16_t charset = 45) {
  byte_writer w;
  w.u8(0).u32(flags2);                              // Q_FLAGS2_CODE
  w.u8(1).u64(sql_mode);                            // Q_SQL_MODE_CODE
  w.u8(4).u16(charset).u16(charset).u16(8);         // Q_CHARSET_CODE
  return w.data();
}

// MariaDB GTID: | 8 seq_no | 4 domain | 1 flags2 | 6 unused |
std::vector<std::uint8_t> mariadb_gtid_body(std::uint64_t seq, std::uint32_t domain, std::uint8_t flags2) {
  byte_writer w;
  w.u64(seq).u32(domain).u8(flags2).zeros(6);
  return w.data();
}
std::vector<std::uint8_t> xid_body(std::uint64_t xid) {
  byte_writer w;
  w.u64(xid);
  return w.data();
}
// USER_VAR: | 4 name len | name | 1 null | 1 type | 4 charset | 4 len | value | 1 flags |
std::vector<std::uint8_t> user_var_body(std::string_view name, std::uint8_t type, std::uint32_t charset,
                                        bytes value, std::uint8_t flags = 0) {
  byte_writer w;
  w.u32(name.size()).str(name).u8(0).u8(type).u32(charset).u32(value.size()).raw(value).u8(flags);
  return w.data();
}
// A standalone MariaDB GTID `seq` and a Query event in `db` with client collation `charset`.
void add_standalone(binlog_builder& b, std::uint64_t seq, std::string_view db, std::string_view query,
                    std::uint16_t charset) {
  b.add(event_type::mariadb_gtid, mariadb_gtid_body(seq, 0, mariadb_gtid_event::fl_standalone));
  b.add(event_type::query, query_body(db, query, status_vars(0x01000000, 0, charset)));
}
// EXECUTE_LOAD_QUERY of `q` in database d: the post-header adds | 4 file_id | 4 fn_pos_start |
// 4 fn_pos_end | 1 dup |, the file name running from " INFILE" to the end of "INTO".
std::vector<std::uint8_t> execute_load_body(std::uint32_t file_id, std::string_view q, std::uint8_t dup) {
  const auto start = q.find("INFILE") - 1, end = q.find("INTO") + 4;
  byte_writer w;
  auto vars = status_vars();
  w.u32(5).u32(0).u8(1).u16(0).u16(vars.size()).u32(file_id).u32(start).u32(end).u8(dup).raw(vars).cstr("d").str(q);
  return w.data();
}
// TABLE_MAP (one INT column): | 6 table id | 2 flags | db | table | 1 col | type 3 | meta 0 | null bitmap |
std::vector<std::uint8_t> table_map_body(std::uint64_t id, std::string_view db, std::string_view table) {
  byte_writer w;
  w.u48(id).u16(1).u8(db.size()).cstr(db).u8(table.size()).cstr(table).packed(1).u8(3).packed(0).u8(1);
  return w.data();
}
// WRITE_ROWS v1 of one INT: | 6 table id | 2 flags | 1 cols | bitmap | null bitmap | value |
std::vector<std::uint8_t> write_rows_body(std::uint64_t id, std::int32_t value, bool end = true,
                                          std::uint16_t more_flags = 0) {
  byte_writer w;
  w.u48(id).u16(static_cast<std::uint16_t>((end ? 1 : 0) | more_flags)).packed(1).u8(1).u8(0).u32(static_cast<std::uint32_t>(value));
  return w.data();
}

// What the recycle test compares of a rendered transaction.
struct tx_copy {
  std::string sql;
  std::vector<std::string> statements;
  std::vector<std::uint64_t> offsets;
  std::size_t file_index = 0;
  std::uint64_t start = 0, end = 0;
  std::string gtid;
  std::optional<std::size_t> commit;
  bool more = false;
  std::uint32_t piece = 0;
  std::size_t load_blocks = 0;
  bool operator==(const tx_copy&) const = default;
};

std::vector<std::string> texts(const rendered_transaction& tx) {
  std::vector<std::string> out;
  for (const auto& s : tx.statements) out.emplace_back(tx.text(s));
  return out;
}

using commit_rows_hook = std::function<bool(const transaction_stream::commit_point&, std::vector<std::uint8_t>&)>;
std::vector<rendered_transaction> render_all(const binlog_builder& b, sql_filter f = {}, render_options o = {},
                                             std::vector<stream_note>* notes = nullptr,
                                             const commit_rows_hook& on_commit = {}) {
  o.dialect = o.dialect == sql_dialect::automatic ? sql_dialect::mariadb : o.dialect;
  transaction_stream s({{"b.000001", b.span()}}, std::move(f), o);
  s.on_commit_rows = on_commit;
  std::vector<rendered_transaction> out;
  for (;;) {
    auto n = s.next();
    if (!n) FAIL_CHECK(n.error().message());
    REQUIRE(n);
    if (!*n) break;
    out.push_back(std::move(**n));
  }
  if (notes != nullptr) *notes = s.take_notes();
  return out;
}

std::string b64(bytes b) {
  std::string s;
  append_base64(s, b);
  return s;
}

// The bytes of the event at `offset` in a builder's file.
bytes event_at(const binlog_builder& b, std::uint64_t offset) {
  auto d = b.span().subspan(offset);
  return d.first(detail::le32(d.data() + 9));
}
// Events one after the other, `ends` of them (by position) with STMT_END_F cleared and
// their checksum made again, as a merged row statement has them.
std::vector<std::uint8_t> joined(const binlog_builder& b, std::initializer_list<std::uint64_t> offsets,
                                 std::initializer_list<std::uint64_t> cleared = {}) {
  std::vector<std::uint8_t> out;
  for (auto at : offsets) {
    auto e = event_at(b, at);
    const std::size_t from = out.size();
    out.insert(out.end(), e.begin(), e.end());
    if (std::find(cleared.begin(), cleared.end(), at) != cleared.end()) {
      std::uint8_t* p = out.data() + from;
      p[19 + 6] = static_cast<std::uint8_t>(p[19 + 6] & ~1u);
      const std::uint32_t crc = crc32({p, e.size() - 4});
      for (int i = 0; i < 4; ++i) p[e.size() - 4 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
    }
  }
  return out;
}
std::vector<std::uint8_t> unbase64(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+' ? 62 : c == '/' ? 63 : -1;
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
    }
  }
  return out;
}

struct tz_utc {
  std::string old;
  bool had = false;
  tz_utc() {
    if (const char* t = std::getenv("TZ")) {
      old = t;
      had = true;
    }
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  ~tz_utc() {
    if (had) ::setenv("TZ", old.c_str(), 1);
    else ::unsetenv("TZ");
    ::tzset();
  }
};

}  // namespace

TEST_SUITE("sql") {
  // ---- quoting --------------------------------------------------------------------

  TEST_CASE("identifiers: backquotes doubled, everything else verbatim") {
    CHECK(sql_identifier("t") == "`t`");
    CHECK(sql_identifier("a`b") == "`a``b`");
    CHECK(sql_identifier("``") == "``````");
    CHECK(sql_identifier("x'; DROP TABLE y; --") == "`x'; DROP TABLE y; --`");
    CHECK(sql_identifier(std::string_view("a\0b", 3)) == std::string("`a\0b`", 5));
    CHECK(sql_identifier("") == "``");
  }

  TEST_CASE("string literals: quotes doubled; backslashes and control bytes as hex under every sql_mode") {
    CHECK(string_literal("") == "''");
    CHECK(string_literal("abc") == "'abc'");
    CHECK(string_literal("it's") == "'it''s'");
    CHECK(string_literal("''") == "''''''");
    CHECK(string_literal("a\\b") == "X'615C62'");
    CHECK(string_literal("a\nb") == "X'610A62'");
    CHECK(string_literal(std::string_view("\0", 1)) == "X'00'");
    CHECK(string_literal("\x7f") == "X'7F'");
    // Every byte below 0x20 goes as hex, up to 0x1f; 0x20 (space) is plain.
    CHECK(string_literal("a\x1f") == "X'611F'");
    CHECK(string_literal("\x01") == "X'01'");
    CHECK(string_literal("a b") == "'a b'");
    CHECK(string_literal("\xc3\xa9t\xc3\xa9") == "X'C3A974C3A9'");  // no byte >= 0x80 between quotes
    CHECK(string_literal("x'); DROP TABLE t; --") == "'x''); DROP TABLE t; --'");
  }

  TEST_CASE("hex and base64 literals") {
    std::string s;
    append_hex_literal(s, {});
    CHECK(s == "X''");
    s.clear();
    const std::uint8_t bytes_[] = {0x00, 0xab, 0xff};
    append_hex_literal(s, bytes_);
    CHECK(s == "X'00ABFF'");
    CHECK(b64(as_bytes("")) == "");
    CHECK(b64(as_bytes("f")) == "Zg==");
    CHECK(b64(as_bytes("fo")) == "Zm8=");
    CHECK(b64(as_bytes("foo")) == "Zm9v");
    CHECK(b64(as_bytes("foob")) == "Zm9vYg==");
    CHECK(b64(as_bytes("fooba")) == "Zm9vYmE=");
    CHECK(b64(as_bytes("foobar")) == "Zm9vYmFy");
    s.clear();
    append_base64(s, as_bytes("foobarfoobar"), 8);
    CHECK(s == "Zm9vYmFy\nZm9vYmFy\n");
    s.clear();
    append_base64(s, as_bytes("foobarfoo"), 8);
    CHECK(s == "Zm9vYmFy\nZm9v");
  }

  TEST_CASE("base64: the 12-bit table path agrees with the character path on every 12-bit half") {
    // Triples whose high 12 bits are k and low 12 bits 4095 - k: every pair of the table
    // is used in both halves. A line width past the end takes the character-at-a-time path.
    std::vector<std::uint8_t> data;
    for (std::uint32_t k = 0; k < 4096; ++k) {
      const std::uint32_t v = (k << 12) | (4095 - k);
      data.push_back(static_cast<std::uint8_t>(v >> 16));
      data.push_back(static_cast<std::uint8_t>(v >> 8));
      data.push_back(static_cast<std::uint8_t>(v));
    }
    for (std::size_t cut : {data.size(), data.size() - 1, data.size() - 2}) {
      const bytes b{data.data(), cut};
      std::string fast, slow;
      append_base64(fast, b);
      append_base64(slow, b, 1u << 20);
      CHECK(fast.size() == (cut + 2) / 3 * 4);
      CHECK(fast == slow);
    }
    std::string s;
    const std::uint8_t all_ones[] = {0xff, 0xff, 0xff, 0x00, 0x00, 0x00};
    append_base64(s, all_ones);
    CHECK(s == "////AAAA");
  }

  TEST_CASE("collations: MariaDB 10.11 numbers, UCA 14.0.0 numbers computed, MySQL 0900, unknown") {
    auto c = collation_by_id(33);
    REQUIRE(c);
    CHECK(c->charset == "utf8mb3");
    CHECK(c->collation == "utf8mb3_general_ci");
    CHECK(collation_by_id(63)->collation == "binary");
    CHECK(collation_by_id(45)->collation == "utf8mb4_general_ci");
    CHECK(collation_by_id(1070)->collation == "utf8mb4_nopad_bin");
    CHECK(collation_by_id(2304)->collation == "utf8mb4_uca1400_ai_ci");
    CHECK(collation_by_id(2048 + 8 + 7)->collation == "utf8mb3_uca1400_icelandic_nopad_as_cs");
    CHECK(collation_by_id(3072 + 24 * 8 + 3)->collation == "utf32_uca1400_croatian_as_cs");
    CHECK(collation_by_id(255)->collation == "utf8mb4_0900_ai_ci");
    auto mysql = collation_by_id(300);
    REQUIRE(mysql);
    CHECK(mysql->charset == "utf8mb4");
    CHECK(mysql->collation.empty());
    CHECK_FALSE(collation_by_id(0));
    CHECK_FALSE(collation_by_id(17));
    CHECK_FALSE(collation_by_id(2048 + 21 * 8));  // a tailoring number MariaDB leaves unused
    CHECK_FALSE(collation_by_id(9999));
  }

  // ---- filters ----------------------------------------------------------------------

  TEST_CASE("gtid_set: MariaDB GTIDs and ranges") {
    auto s = gtid_set::parse("0-1-5, 0-1-10-20,3-7-1");
    REQUIRE(s);
    gtid_ref g;
    g.k = gtid_ref::kind::mariadb;
    g.domain_id = 0;
    g.server_id = 1;
    for (std::uint64_t seq : {5, 10, 15, 20}) {
      g.seq_no = seq;
      CHECK(s->contains(g));
    }
    for (std::uint64_t seq : {4, 6, 9, 21}) {
      g.seq_no = seq;
      CHECK_FALSE(s->contains(g));
    }
    g.server_id = 2;
    g.seq_no = 5;
    CHECK_FALSE(s->contains(g));
    g.domain_id = 3;
    g.server_id = 7;
    g.seq_no = 1;
    CHECK(s->contains(g));
    CHECK_FALSE(s->contains(gtid_ref{}));
  }

  TEST_CASE("gtid_set: MySQL UUID sets with intervals and tags") {
    auto s = gtid_set::parse("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:9:Tag_A:2-3");
    REQUIRE(s);
    gtid_ref g;
    g.k = gtid_ref::kind::mysql;
    const std::uint8_t u[] = {0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1,
                              0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62};
    std::copy(std::begin(u), std::end(u), g.uuid.begin());
    for (std::int64_t n : {1, 3, 5, 9}) {
      g.gno = n;
      CHECK(s->contains(g));
    }
    g.gno = 6;
    CHECK_FALSE(s->contains(g));
    g.gno = 2;
    g.tag = "tag_a";
    CHECK(s->contains(g));
    g.gno = 9;
    CHECK_FALSE(s->contains(g));  // 9 is untagged in the set
    g.tag = "other";
    g.gno = 2;
    CHECK_FALSE(s->contains(g));
  }

  TEST_CASE("gtid_set: malformed sets are errors") {
    for (const char* bad : {"", "0-1", "0-1-2-3-4", "a-b-c", "0-1-9-3", "nope:1", "3E11FA47-71CA-11E1-9E33-C80AA9429562",
                            "3E11FA47-71CA-11E1-9E33-C80AA9429562:0", "3E11FA47-71CA-11E1-9E33-C80AA9429562:5-2",
                            "99999999999-1-1"}) {
      INFO(bad);
      CHECK_FALSE(gtid_set::parse(bad));
    }
  }

  TEST_CASE("parse_rewrite_db and parse_local_datetime") {
    auto r = parse_rewrite_db(" a -> b`c ");
    REQUIRE(r);
    CHECK(r->first == "a");
    CHECK(r->second == "b`c");
    CHECK_FALSE(parse_rewrite_db("a>b"));
    CHECK_FALSE(parse_rewrite_db("->b"));
    tz_utc utc;
    CHECK(parse_local_datetime("2023-11-14 22:13:20").value() == 1700000000);
    CHECK(parse_local_datetime("2023-11-14T22:13:20").value() == 1700000000);
    CHECK(parse_local_datetime("2023-11-14").value() == 1699920000);
    CHECK_FALSE(parse_local_datetime("2023-11-14 25:00:00"));
    CHECK_FALSE(parse_local_datetime("yesterday"));
    CHECK_FALSE(parse_local_datetime("2023-11-14 22:13:20 extra"));
  }

  // ---- rendering --------------------------------------------------------------------

  TEST_CASE("render: a DDL group with a hostile database name, session state in full") {
    binlog_builder b(server::mariadb_10_11);
    const auto fde_at = std::uint64_t{4};
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(7, 0, mariadb_gtid_event::fl_standalone | mariadb_gtid_event::fl_ddl));
    auto vars = status_vars();
    b.add(event_type::query, query_body("d`b'; --", "CREATE TABLE t (a INT)", vars));
    auto txs = render_all(b);
    REQUIRE(txs.size() == 1);
    const std::vector<std::string> want = {
        "BINLOG '" + b64(event_at(b, fde_at)) + "'",
        "SET @@session.gtid_domain_id=0",
        "SET @@session.server_id=1",
        "SET @@session.gtid_seq_no=7",
        "use `d``b'; --`",
        "SET TIMESTAMP=1700000000",
        "SET @@session.pseudo_thread_id=5",
        "SET @@session.foreign_key_checks=1, @@session.sql_auto_is_null=0, @@session.unique_checks=1, "
        "@@session.autocommit=1, @@session.check_constraint_checks=1, @@session.sql_if_exists=0, "
        "@@session.explicit_defaults_for_timestamp=1, @@session.system_versioning_insert_history=0",
        "SET @@session.sql_mode=1411383296",
        "SET @@session.auto_increment_increment=1, @@session.auto_increment_offset=1",
        "SET @@session.character_set_client=45,@@session.collation_connection=45,@@session.collation_server=8",
        "SET @@session.lc_time_names=0",
        "SET @@session.collation_database=DEFAULT",
        "CREATE TABLE t (a INT)",
    };
    CHECK(texts(txs[0]) == want);
    CHECK_FALSE(txs[0].commit);  // DDL commits on its own
    CHECK(txs[0].statements.back().role == statement_role::body);
    CHECK(txs[0].gtid.text() == "0-1-7");
  }

  TEST_CASE("render: only what changed is set again; a transaction's COMMIT is marked") {
    binlog_builder b(server::mariadb_10_11);
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(1, 0, mariadb_gtid_event::fl_standalone));
    b.add(event_type::query, query_body("shop", "CREATE TABLE t (a INT)", status_vars()));
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(2, 0, mariadb_gtid_event::fl_transactional));
    // A user variable with a hostile name and every special byte in its value.
    const std::string value = std::string("a'b\\c\"d\n\r\t", 10) + std::string(1, '\0') + "\x1a;--";
    b.add(event_type::user_var, user_var_body("x`y", 0, 45, as_bytes(value)));
    b.add(event_type::intvar, [] {
      byte_writer w;
      w.u8(2).u64(18446744073709551615ull);
      return w.data();
    }());
    // foreign_key_checks off (bit 26) and sql_mode 0 from here on.
    b.add(event_type::query, query_body("shop", "INSERT INTO t VALUES (@`x``y`)", status_vars(0x05000000, 0), 5),
          header_spec{1700000001});
    b.add(event_type::xid, xid_body(9));
    auto txs = render_all(b);
    REQUIRE(txs.size() == 2);
    const std::vector<std::string> want = {
        "SET @@session.gtid_seq_no=2",
        "START TRANSACTION",
        "SET TIMESTAMP=1700000001",
        "SET @@session.foreign_key_checks=0",
        "SET @@session.sql_mode=0",
        "SET @`x``y`:=_utf8mb4 X'6127625C6322640A0D09001A3B2D2D' COLLATE `utf8mb4_general_ci`",
        "SET INSERT_ID=18446744073709551615",
        "INSERT INTO t VALUES (@`x``y`)",
        "COMMIT",
    };
    auto got = texts(txs[1]);
    CHECK(got == want);
    REQUIRE(txs[1].commit);
    CHECK(*txs[1].commit == want.size() - 1);
    CHECK(txs[1].statements[1].role == statement_role::begin);
    CHECK(txs[1].statements.back().role == statement_role::commit);
  }

  TEST_CASE("render: user variables of every type, with their exact values") {
    binlog_builder b(server::mariadb_10_11);
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(1, 0, mariadb_gtid_event::fl_standalone));
    auto le = [](std::uint64_t v) {
      byte_writer w;
      w.u64(v);
      return w.data();
    };
    double d = 0.1;
    std::uint64_t bits;
    std::memcpy(&bits, &d, 8);
    b.add(event_type::user_var, user_var_body("r", 1, 63, le(bits)));
    b.add(event_type::user_var, user_var_body("i", 2, 63, le(static_cast<std::uint64_t>(-42))));
    b.add(event_type::user_var, user_var_body("u", 2, 63, le(18446744073709551615ull), 1));
    // DECIMAL(5,2) 123.45: | precision | scale | binary |
    const std::uint8_t dec[] = {5, 2, 0x80, 0x7b, 0x2d};
    b.add(event_type::user_var, user_var_body("d", 4, 63, dec));
    b.add(event_type::user_var, user_var_body("b", 0, 63, as_bytes("\xff")));
    b.add(event_type::user_var, [] {
      byte_writer w;
      w.u32(1).str("n").u8(1);
      return w.data();
    }());
    b.add(event_type::query, query_body("", "DO @r, @i, @u, @d, @b, @n", status_vars()));
    auto txs = render_all(b);
    REQUIRE(txs.size() == 1);
    auto t = texts(txs[0]);
    std::vector<std::string> sets;
    for (const auto& s : t) {
      if (s.starts_with("SET @`")) sets.push_back(s);
    }
    const std::vector<std::string> want = {
        "SET @`r`:=0.1e0",                    // a DOUBLE, not a DECIMAL literal
        "SET @`i`:=-42",
        "SET @`u`:=18446744073709551615",
        "SET @`d`:=123.45",
        "SET @`b`:=_binary X'FF' COLLATE `binary`",
        "SET @`n`:=NULL",
    };
    CHECK(sets == want);
    CHECK(t.back() == "DO @r, @i, @u, @d, @b, @n");
  }

  TEST_CASE("render: row events as one BINLOG statement of their raw bytes; format description first") {
    binlog_builder b(server::mariadb_10_11);
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(3, 0, mariadb_gtid_event::fl_transactional));
    auto tm1 = b.add(event_type::table_map, table_map_body(42, "we`ird", "t;'x"));
    auto wr1 = b.add(event_type::write_rows_v1, write_rows_body(42, 7));
    auto tm2 = b.add(event_type::table_map, table_map_body(43, "other", "u"));
    auto wr2 = b.add(event_type::write_rows_v1, write_rows_body(43, 8));
    b.add(event_type::xid, xid_body(1));
    auto txs = render_all(b);
    REQUIRE(txs.size() == 1);
    // The two row statements are one: both maps first, STMT_END_F on the last rows event.
    const auto rows = joined(b, {tm1, tm2, wr1, wr2}, {wr1});
    const std::vector<std::string> want = {
        "BINLOG '" + b64(event_at(b, 4)) + "'",
        "SET @@session.gtid_domain_id=0",
        "SET @@session.server_id=1",
        "SET @@session.gtid_seq_no=3",
        "START TRANSACTION",
        "BINLOG '" + b64({rows.data(), rows.size()}) + "'",
        "COMMIT",
    };
    CHECK(texts(txs[0]) == want);

    SUBCASE("one BINLOG statement per row statement without batching") {
      render_options o;
      o.batch_binlog = false;
      auto t2 = render_all(b, {}, o);
      REQUIRE(t2.size() == 1);
      auto t = texts(t2[0]);
      REQUIRE(t.size() == 8);
      const auto first = joined(b, {tm1, wr1});
      CHECK(t[5] == "BINLOG '" + b64({first.data(), first.size()}) + "'");
      const auto second = joined(b, {tm2, wr2});
      CHECK(t[6] == "BINLOG '" + b64({second.data(), second.size()}) + "'");
    }

    SUBCASE("--database keeps the matching table's events only") {
      sql_filter f;
      f.databases = {"other"};
      auto t2 = render_all(b, f);
      REQUIRE(t2.size() == 1);
      std::vector<std::uint8_t> kept;
      for (auto at : {tm2, wr2}) {
        auto e = event_at(b, at);
        kept.insert(kept.end(), e.begin(), e.end());
      }
      CHECK(texts(t2[0])[5] == "BINLOG '" + b64({kept.data(), kept.size()}) + "'");
    }

    SUBCASE("--rewrite-db rewrites the table map (new length, size and checksum)") {
      sql_filter f;
      f.rewrite_db = {{"other", "renamed_db"}};
      auto t2 = render_all(b, f);
      REQUIRE(t2.size() == 1);
      // The table map the server would have written for the new name.
      binlog_builder expect(server::mariadb_10_11);
      auto at = expect.add(event_type::table_map, table_map_body(43, "renamed_db", "u"),
                           header_spec{default_timestamp, 1, 0, static_cast<std::uint32_t>(tm2 + event_at(b, tm2).size())});
      auto rows2 = joined(b, {tm1});
      auto e = event_at(expect, at);
      rows2.insert(rows2.end(), e.begin(), e.end());
      const auto tail = joined(b, {wr1, wr2}, {wr1});
      rows2.insert(rows2.end(), tail.begin(), tail.end());
      CHECK(texts(t2[0])[5] == "BINLOG '" + b64({rows2.data(), rows2.size()}) + "'");
    }
  }

  TEST_CASE("render: the row statements of a BINLOG statement are one, unless their flags or maps differ") {
    binlog_builder b(server::mariadb_10_11);
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(4, 0, mariadb_gtid_event::fl_transactional));
    constexpr std::uint16_t no_fk = 2;  // NO_FOREIGN_KEY_CHECKS_F
    // 1: t
    const auto m1 = b.add(event_type::table_map, table_map_body(42, "a", "t"));
    const auto r1 = b.add(event_type::write_rows_v1, write_rows_body(42, 1));
    // 2: u and t again (the same map: mapped once)
    const auto m2 = b.add(event_type::table_map, table_map_body(43, "b", "u"));
    const auto m2t = b.add(event_type::table_map, table_map_body(42, "a", "t"));
    const auto r2a = b.add(event_type::write_rows_v1, write_rows_body(43, 2, false));
    const auto r2b = b.add(event_type::write_rows_v1, write_rows_body(42, 3));
    // 3 and 4: other flags: a statement of their own, joined with each other
    const auto m3 = b.add(event_type::table_map, table_map_body(42, "a", "t"));
    const auto r3 = b.add(event_type::write_rows_v1, write_rows_body(42, 4, true, no_fk));
    const auto m4 = b.add(event_type::table_map, table_map_body(42, "a", "t"));
    const auto r4 = b.add(event_type::write_rows_v1, write_rows_body(42, 5, true, no_fk));
    // 5: table id 42 for another table (as after a table was renamed): not joined
    const auto m5 = b.add(event_type::table_map, table_map_body(42, "a", "t_new"));
    const auto r5 = b.add(event_type::write_rows_v1, write_rows_body(42, 6));
    b.add(event_type::xid, xid_body(1));
    (void)m2t;
    (void)m4;

    auto txs = render_all(b);
    REQUIRE(txs.size() == 1);
    auto t = texts(txs[0]);
    REQUIRE(t.size() == 7);
    auto want = joined(b, {m1, m2, r1, r2a, r2b}, {r1});
    const auto g2 = joined(b, {m3, r3, r4}, {r3});
    const auto g3 = joined(b, {m5, r5});
    want.insert(want.end(), g2.begin(), g2.end());
    want.insert(want.end(), g3.begin(), g3.end());
    CHECK(t[5] == "BINLOG '" + b64({want.data(), want.size()}) + "'");
    // Every checksum of what goes out is valid.
    const auto raw = unbase64(std::string_view(t[5]).substr(8));
    std::size_t n = 0;
    for (std::size_t at = 0; at < raw.size(); ++n) {
      const std::uint32_t size = detail::le32(raw.data() + at + 9);
      REQUIRE(at + size <= raw.size());
      CHECK(crc32({raw.data() + at, size - 4}) == detail::le32(raw.data() + at + size - 4));
      at += size;
    }
    CHECK(n == 10);

    SUBCASE("without batching, each statement as it was") {
      render_options o;
      o.batch_binlog = false;
      auto t2 = texts(render_all(b, {}, o).at(0));
      REQUIRE(t2.size() == 11);
      const auto s2 = joined(b, {m2, m2t, r2a, r2b});
      CHECK(t2[6] == "BINLOG '" + b64({s2.data(), s2.size()}) + "'");
    }
  }

  TEST_CASE("render: on_commit_rows adds the caller's row events before the COMMIT, in the last BINLOG statement") {
    binlog_builder b(server::mariadb_10_11);
    const auto g1 = b.add(event_type::mariadb_gtid, mariadb_gtid_body(3, 0, mariadb_gtid_event::fl_transactional));
    const auto tm = b.add(event_type::table_map, table_map_body(42, "a", "t"));
    const auto wr = b.add(event_type::write_rows_v1, write_rows_body(42, 7));
    const auto x1 = b.add(event_type::xid, xid_body(1), header_spec{default_timestamp + 5, 9});
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(4, 0, mariadb_gtid_event::fl_transactional));
    b.add(event_type::query, query_body("a", "INSERT INTO t VALUES (8)", status_vars()));
    const auto c2 = b.add(event_type::query, query_body("a", "COMMIT", status_vars()));
    // The caller's events: a map and rows of its own table (taken from another file).
    binlog_builder own(server::mariadb_10_11);
    const auto otm = own.add(event_type::table_map, table_map_body(99, "own", "progress"));
    const auto owr = own.add(event_type::write_rows_v1, write_rows_body(99, 1));
    const auto extra = joined(own, {otm, owr});
    (void)g1;

    std::vector<transaction_stream::commit_point> seen;  // `format` is only valid during the call
    std::vector<int> header_lengths;
    auto run = [&](sql_filter f, bool add) {
      return render_all(b, std::move(f), {}, nullptr,
                        [&](const transaction_stream::commit_point& cp, std::vector<std::uint8_t>& out) {
                          seen.push_back(cp);
                          header_lengths.push_back(cp.format != nullptr ? cp.format->header_length() : -1);
                          if (add) out.insert(out.end(), extra.begin(), extra.end());
                          return add;
                        });
    };

    auto txs = run({}, true);
    REQUIRE(txs.size() == 2);
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].file_index == 0);
    CHECK(seen[0].end == txs[0].end);
    CHECK(seen[0].end == x1 + event_at(b, x1).size());
    CHECK(seen[0].gtid.text() == "0-1-3");
    CHECK(seen[0].timestamp == default_timestamp + 5);
    CHECK(seen[0].server_id == 9u);
    CHECK(seen[0].checksums);
    CHECK(header_lengths == std::vector<int>{19, 19});
    CHECK(seen[1].end == c2 + event_at(b, c2).size());
    CHECK(seen[1].gtid.text() == "0-1-4");

    // Rows: one row statement with the transaction's (maps first, STMT_END_F on the last).
    CHECK(txs[0].commit_rows);
    auto t = texts(txs[0]);
    REQUIRE(t.size() == 7);
    auto want = joined(b, {tm});
    want.insert(want.end(), extra.begin(), extra.begin() + static_cast<std::ptrdiff_t>(event_at(own, otm).size()));
    const auto rows1 = joined(b, {wr}, {wr});
    want.insert(want.end(), rows1.begin(), rows1.end());
    want.insert(want.end(), extra.begin() + static_cast<std::ptrdiff_t>(event_at(own, otm).size()), extra.end());
    CHECK(t[5] == "BINLOG '" + b64({want.data(), want.size()}) + "'");
    CHECK(t[6] == "COMMIT");
    REQUIRE(txs[0].commit);
    CHECK(*txs[0].commit == 6);
    // Statements: a BINLOG statement of their own after the last one, then the COMMIT
    // (with the session state its event carries).
    CHECK(txs[1].commit_rows);
    t = texts(txs[1]);
    const auto ins = std::find(t.begin(), t.end(), "INSERT INTO t VALUES (8)");
    REQUIRE(ins != t.end());
    REQUIRE(ins + 2 < t.end());
    CHECK(ins[1] == "BINLOG '" + b64({extra.data(), extra.size()}) + "'");
    for (auto it = ins + 2; it + 1 < t.end(); ++it) CHECK(it->starts_with("SET TIMESTAMP="));
    CHECK(t.back() == "COMMIT");
    CHECK(*txs[1].commit == t.size() - 1);

    SUBCASE("the caller adds nothing: the transactions as without it") {
      seen.clear();
      auto plain = run({}, false);
      auto ref = render_all(b);
      REQUIRE(plain.size() == 2);
      CHECK(seen.size() == 2);
      for (std::size_t i = 0; i < 2; ++i) {
        CHECK_FALSE(plain[i].commit_rows);
        CHECK(texts(plain[i]) == texts(ref[i]));
      }
    }
    SUBCASE("a transaction the database filter empties is not asked about, and still dropped") {
      seen.clear();
      sql_filter f;
      f.databases = {"other"};
      auto none = run(f, true);
      CHECK(none.empty());
      CHECK(seen.empty());
    }
  }

  TEST_CASE("render: --database drops the statement that ended a row statement: the last kept one ends it") {
    binlog_builder b(server::mariadb_10_11);
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(3, 0, mariadb_gtid_event::fl_transactional));
    auto tm1 = b.add(event_type::table_map, table_map_body(42, "keep", "t"));
    auto tm2 = b.add(event_type::table_map, table_map_body(43, "drop", "u"));
    auto wr1 = b.add(event_type::write_rows_v1, write_rows_body(42, 7, false));
    b.add(event_type::write_rows_v1, write_rows_body(43, 8, true));
    b.add(event_type::xid, xid_body(1));
    sql_filter f;
    f.databases = {"keep"};
    auto txs = render_all(b, f);
    REQUIRE(txs.size() == 1);
    (void)tm2;
    binlog_builder expect(server::mariadb_10_11);
    auto ended = expect.add(event_type::write_rows_v1, write_rows_body(42, 7, true),
                            header_spec{default_timestamp, 1, 0, static_cast<std::uint32_t>(wr1 + event_at(b, wr1).size())});
    std::vector<std::uint8_t> rows;
    auto t = event_at(b, tm1);
    rows.insert(rows.end(), t.begin(), t.end());
    auto e = event_at(expect, ended);
    rows.insert(rows.end(), e.begin(), e.end());
    CHECK(texts(txs[0])[5] == "BINLOG '" + b64({rows.data(), rows.size()}) + "'");
  }

  TEST_CASE("render: statements of other databases are dropped with their INTVAR; empty transactions go") {
    binlog_builder b(server::mariadb_10_11);
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(1, 0, mariadb_gtid_event::fl_transactional));
    b.add(event_type::intvar, [] {
      byte_writer w;
      w.u8(2).u64(5);
      return w.data();
    }());
    b.add(event_type::query, query_body("a", "INSERT INTO t VALUES (NULL)", status_vars()));
    b.add(event_type::xid, xid_body(1));
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(2, 0, mariadb_gtid_event::fl_standalone));
    b.add(event_type::query, query_body("b", "CREATE TABLE x (a INT)", status_vars()));
    sql_filter f;
    f.databases = {"b"};
    auto txs = render_all(b, f);
    REQUIRE(txs.size() == 1);
    CHECK(txs[0].gtid.text() == "0-1-2");
    CHECK(texts(txs[0]).back() == "CREATE TABLE x (a INT)");
    f.rewrite_db = {{"a", "b"}, {"b", "c"}};
    auto rw = render_all(b, f);
    REQUIRE(rw.size() == 1);
    CHECK(rw[0].gtid.text() == "0-1-1");
    auto t = texts(rw[0]);
    CHECK(std::find(t.begin(), t.end(), "use `b`") != t.end());
    CHECK(std::find(t.begin(), t.end(), "SET INSERT_ID=5") != t.end());
  }

  TEST_CASE("render: GTID filters and stop points take whole transactions") {
    binlog_builder b(server::mariadb_10_11);
    std::vector<std::uint64_t> at;
    for (std::uint64_t i = 1; i <= 4; ++i) {
      at.push_back(b.add(event_type::mariadb_gtid, mariadb_gtid_body(i, 0, mariadb_gtid_event::fl_transactional),
                         header_spec{static_cast<std::uint32_t>(1700000000 + 10 * i)}));
      b.add(event_type::query, query_body("d", fmt::format("INSERT INTO t VALUES ({})", i), status_vars()),
            header_spec{static_cast<std::uint32_t>(1700000000 + 10 * i)});
      b.add(event_type::xid, xid_body(i), header_spec{static_cast<std::uint32_t>(1700000001 + 10 * i)});
    }
    auto gtids = [](const std::vector<rendered_transaction>& v) {
      std::vector<std::string> out;
      for (const auto& t : v) out.push_back(t.gtid.text());
      return out;
    };
    sql_filter f;
    f.exclude_gtids = gtid_set::parse("0-1-2").value();
    CHECK(gtids(render_all(b, f)) == std::vector<std::string>{"0-1-1", "0-1-3", "0-1-4"});
    f = {};
    f.include_gtids = gtid_set::parse("0-1-2-3").value();
    CHECK(gtids(render_all(b, f)) == std::vector<std::string>{"0-1-2", "0-1-3"});
    f = {};
    f.start_position = at[1];
    CHECK(gtids(render_all(b, f)) == std::vector<std::string>{"0-1-2", "0-1-3", "0-1-4"});
    f = {};
    // mysqlbinlog's --stop-position: the first event at or past it is not read. At the
    // third transaction's first event that is a clean stop between transactions (no note).
    f.stop_position = at[2];
    std::vector<stream_note> notes;
    CHECK(gtids(render_all(b, f, {}, &notes)) == std::vector<std::string>{"0-1-1", "0-1-2"});
    CHECK(notes.empty());
    // A stop position inside the third transaction stops before it, and says so.
    f.stop_position = at[2] + 50;
    CHECK(gtids(render_all(b, f, {}, &notes)) == std::vector<std::string>{"0-1-1", "0-1-2"});
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].text.find("inside the transaction") != std::string::npos);
    // The XID of transaction 2 is one second after its GTID: a stop time there cuts it.
    f = {};
    f.stop_datetime = 1700000021;
    CHECK(gtids(render_all(b, f, {}, &notes)) == std::vector<std::string>{"0-1-1"});
    f = {};
    f.start_datetime = 1700000030;
    CHECK(gtids(render_all(b, f)) == std::vector<std::string>{"0-1-3", "0-1-4"});
  }

  TEST_CASE("render: a start position past the end of the first file is an error, not a skipped file") {
    binlog_builder a(server::mariadb_10_11), b(server::mariadb_10_11);
    for (auto* f : {&a, &b}) {
      f->add(event_type::mariadb_gtid, mariadb_gtid_body(1, 0, mariadb_gtid_event::fl_transactional));
      f->add(event_type::query, query_body("d", "INSERT INTO t VALUES (1)", status_vars()));
      f->add(event_type::xid, xid_body(1));
    }
    sql_filter f;
    f.start_position = a.span().size() * 10;  // a digit too many
    transaction_stream s({{"a.000001", a.span()}, {"a.000002", b.span()}}, f, {});
    auto n = s.next();
    REQUIRE_FALSE(n);
    CHECK(n.error().code == errc::bad_value);
    CHECK(n.error().offset == a.span().size());
    CHECK(std::string(n.error().detail).find("past the end of the first file") != std::string::npos);
    // At the very end of the first file: nothing of it, the second file whole.
    f.start_position = a.span().size();
    transaction_stream e({{"a.000001", a.span()}, {"a.000002", b.span()}}, f, {});
    auto first = e.next();
    REQUIRE(first);
    REQUIRE(*first);
    CHECK((*first)->file_index == 1);
  }

  TEST_CASE("render: resume skips through the recorded end and checks it is a boundary") {
    binlog_builder b(server::mariadb_10_11);
    std::uint64_t end2 = 0;
    for (std::uint64_t i = 1; i <= 3; ++i) {
      b.add(event_type::mariadb_gtid, mariadb_gtid_body(i, 0, mariadb_gtid_event::fl_transactional));
      b.add(event_type::query, query_body("d", "INSERT INTO t VALUES (1)", status_vars()));
      auto x = b.add(event_type::xid, xid_body(i));
      if (i == 2) end2 = x + event_at(b, x).size();
    }
    transaction_stream s({{"b.000001", b.span()}}, {}, {});
    s.resume_after(0, end2);
    auto n = s.next();
    REQUIRE(n);
    REQUIRE(*n);
    CHECK((*n)->gtid.text() == "0-1-3");
    CHECK(s.resume_checked());
    transaction_stream s2({{"b.000001", b.span()}}, {}, {});
    s2.resume_after(0, end2 - 1);
    auto n2 = s2.next();
    REQUIRE(n2);
    CHECK_FALSE(s2.resume_checked());
  }

  TEST_CASE("render: MySQL GTIDs set GTID_NEXT for MySQL targets only") {
    binlog_builder b(server::mysql_8_0);
    // GTID: | 1 flags | 16 sid | 8 gno | 1 lt type | 8 last committed | 8 sequence number |
    byte_writer g;
    g.u8(1).raw({0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62})
        .u64(23).u8(2).u64(0).u64(1);
    b.add(event_type::gtid, g);
    b.add(event_type::query, query_body("d", "CREATE TABLE t (a INT)", status_vars()));
    render_options o;
    o.dialect = sql_dialect::mysql;
    auto my = render_all(b, {}, o);
    REQUIRE(my.size() == 1);
    auto t = texts(my[0]);
    CHECK(std::find(t.begin(), t.end(), "SET @@SESSION.GTID_NEXT='3e11fa47-71ca-11e1-9e33-c80aa9429562:23'") != t.end());
    o.dialect = sql_dialect::mariadb;
    auto ma = render_all(b, {}, o);
    REQUIRE(ma.size() == 1);
    for (const auto& s : texts(ma[0])) CHECK(s.find("GTID_NEXT") == std::string::npos);
  }

  TEST_CASE("render: a large MySQL transaction payload is handed out in pieces from inside the payload") {
    binlog_builder b(server::mysql_8_0);
    byte_writer g;
    g.u8(1).raw({0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62})
        .u64(24).u8(2).u64(0).u64(1);
    const auto gtid_at = b.add(event_type::gtid, g);
    std::vector<std::uint8_t> payload;
    auto append = [&](const std::vector<std::uint8_t>& e) { payload.insert(payload.end(), e.begin(), e.end()); };
    append(make_event(event_type::query, query_body("d", "BEGIN", status_vars()), false));
    std::vector<std::string> want;
    for (int i = 0; i < 120; ++i) {
      want.push_back(fmt::format("INSERT INTO t VALUES ({})", i));
      append(make_event(event_type::query, query_body("d", want.back(), status_vars()), false));
    }
    append(make_event(event_type::xid, xid_body(3), false));
    byte_writer p, size_v, comp_v, usize_v;
    size_v.packed(payload.size());
    comp_v.packed(255);
    usize_v.packed(payload.size());
    p.packed(1).packed(size_v.size()).raw(size_v).packed(2).packed(comp_v.size()).raw(comp_v);
    p.packed(3).packed(usize_v.size()).raw(usize_v).packed(0).raw(bytes(payload.data(), payload.size()));
    const auto payload_at = b.add(event_type::transaction_payload, p);
    const std::uint64_t end = payload_at + event_at(b, payload_at).size();
    render_options o;
    o.dialect = sql_dialect::mysql;
    o.stream_threshold = 700;
    auto txs = render_all(b, {}, o);
    REQUIRE(txs.size() > 3);
    std::vector<std::string> got;
    for (std::size_t k = 0; k < txs.size(); ++k) {
      CAPTURE(k);
      CHECK(txs[k].piece == k);
      CHECK(txs[k].more == (k + 1 < txs.size()));
      CHECK(txs[k].start == gtid_at);
      CHECK(txs[k].gtid.text() == "3e11fa47-71ca-11e1-9e33-c80aa9429562:24");
      for (const auto& t : texts(txs[k])) {
        if (t.starts_with("INSERT")) got.push_back(t);
      }
    }
    CHECK(got == want);
    CHECK(txs.back().end == end);
    REQUIRE(txs.back().commit);
    CHECK(texts(txs.back()).back() == "COMMIT");
    // Unbounded: one transaction with the same statements.
    o.stream_threshold = 0;
    auto whole = render_all(b, {}, o);
    REQUIRE(whole.size() == 1);
    std::vector<std::string> all;
    for (const auto& t : txs) {
      auto v = texts(t);
      all.insert(all.end(), v.begin(), v.end());
    }
    CHECK(all == texts(whole[0]));
  }

  TEST_CASE("render: MySQL transaction payload: inner row events get the checksum the format promises") {
    binlog_builder b(server::mysql_8_0);
    byte_writer g;
    g.u8(1).raw({0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62})
        .u64(24).u8(2).u64(0).u64(1);
    b.add(event_type::gtid, g);
    // Inner events: no checksums.
    auto begin = make_event(event_type::query, query_body("d", "BEGIN", status_vars()), false);
    auto tm = make_event(event_type::table_map, table_map_body(70, "d", "t"), false);
    byte_writer wr;  // WRITE_ROWS v2: | 6 id | 2 flags | 2 extra len (2) | cols | bitmap | row |
    wr.u48(70).u16(1).u16(2).packed(1).u8(1).u8(0).u32(5);
    auto rows = make_event(event_type::write_rows_v2, wr, false);
    auto xid = make_event(event_type::xid, xid_body(3), false);
    std::vector<std::uint8_t> payload;
    for (const auto* e : {&begin, &tm, &rows, &xid}) payload.insert(payload.end(), e->begin(), e->end());
    byte_writer p;  // | 1 size: packed | 2 compression: 255 none | 3 uncompressed size | 0 | payload |
    byte_writer size_v, comp_v, usize_v;
    size_v.packed(payload.size());
    comp_v.packed(255);
    usize_v.packed(payload.size());
    p.packed(1).packed(size_v.size()).raw(size_v).packed(2).packed(comp_v.size()).raw(comp_v);
    p.packed(3).packed(usize_v.size()).raw(usize_v).packed(0).raw(bytes(payload.data(), payload.size()));
    b.add(event_type::transaction_payload, p);
    render_options o;
    o.dialect = sql_dialect::mysql;
    auto txs = render_all(b, {}, o);
    REQUIRE(txs.size() == 1);
    auto with_crc = [](std::vector<std::uint8_t> e) {
      const auto size = static_cast<std::uint32_t>(e.size() + 4);
      for (int i = 0; i < 4; ++i) e[9 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(size >> (8 * i));
      const auto c = crc32(bytes(e.data(), e.size()));
      for (int i = 0; i < 4; ++i) e.push_back(static_cast<std::uint8_t>(c >> (8 * i)));
      return e;
    };
    std::vector<std::uint8_t> want_rows;
    for (const auto* e : {&tm, &rows}) {
      auto c = with_crc(*e);
      want_rows.insert(want_rows.end(), c.begin(), c.end());
    }
    auto t = texts(txs[0]);
    CHECK(t[1] == "SET @@SESSION.GTID_NEXT='3e11fa47-71ca-11e1-9e33-c80aa9429562:24'");
    CHECK(std::find(t.begin(), t.end(), "BEGIN") != t.end());
    CHECK(std::find(t.begin(), t.end(), "BINLOG '" + b64({want_rows.data(), want_rows.size()}) + "'") != t.end());
    CHECK(t.back() == "COMMIT");
    REQUIRE(txs[0].commit);
    CHECK(*txs[0].commit == t.size() - 1);
  }

  TEST_CASE("render: LOAD DATA from BEGIN_LOAD_QUERY / APPEND_BLOCK / EXECUTE_LOAD_QUERY") {
    binlog_builder b(server::mariadb_10_11);
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(1, 0, mariadb_gtid_event::fl_transactional));
    byte_writer blq;
    blq.u32(7).str("1\tx\n");
    b.add(event_type::begin_load_query, blq);
    byte_writer ab;
    ab.u32(7).str("2\ty\n");
    b.add(event_type::append_block, ab);
    const std::string q = "LOAD DATA INFILE '/tmp/in.txt' REPLACE INTO TABLE `t` FIELDS TERMINATED BY '\\t'";
    b.add(event_type::execute_load_query, execute_load_body(7, q, 2));
    b.add(event_type::xid, xid_body(1));
    render_options o;
    o.load_prefix = "/tmp/x/load-";
    auto txs = render_all(b, {}, o);
    REQUIRE(txs.size() == 1);
    auto t = texts(txs[0]);
    CHECK(std::find(t.begin(), t.end(),
                    "LOAD DATA LOCAL INFILE '/tmp/x/load-1.dat' REPLACE INTO TABLE `t` FIELDS TERMINATED BY '\\t'") !=
          t.end());
    REQUIRE(txs[0].load_data.size() == 1);
    CHECK(as_string({txs[0].load_data[0].data(), txs[0].load_data[0].size()}) == "1\tx\n2\ty\n");
    CHECK(txs[0].load_names[0] == "/tmp/x/load-1.dat");
  }

  TEST_CASE("text: a statement holding the delimiter gets another one") {
    binlog_builder b(server::mariadb_10_11);
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(1, 0, mariadb_gtid_event::fl_standalone));
    b.add(event_type::query,
          query_body("d", "CREATE PROCEDURE p() BEGIN SELECT 1 /*!*/; SELECT 2; END", status_vars()));
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(2, 0, mariadb_gtid_event::fl_standalone));
    b.add(event_type::query, query_body("d", "DROP TABLE t -- gone", status_vars()));
    render_options o;
    o.for_client = true;
    transaction_stream s({{"b.000001", b.span()}}, {}, o);
    char* buf = nullptr;
    std::size_t len = 0;
    std::FILE* f = ::open_memstream(&buf, &len);
    REQUIRE(f != nullptr);
    auto r = write_sql_text(f, s, {}, {});
    std::fclose(f);
    std::string out(buf, len);
    std::free(buf);
    REQUIRE(r);
    CHECK(out.find("DELIMITER /*!*//*1*/;\nCREATE PROCEDURE p() BEGIN SELECT 1 /*!*/; SELECT 2; END/*!*//*1*/;\n") !=
          std::string::npos);
    CHECK(out.find("DELIMITER /*!*/;\n/*M!100001 SET @@session.gtid_seq_no=2*//*!*/;\n") != std::string::npos);
    CHECK(out.find("DROP TABLE t -- gone\n/*!*/;\n") != std::string::npos);
    CHECK(out.find("/*!\\C utf8mb4 *//*!*/;\n") != std::string::npos);
    CHECK(out.starts_with("/*!40019 SET @@session.max_delayed_threads=0*/;\n"));
    CHECK(out.ends_with("/*!50530 SET @@SESSION.PSEUDO_SLAVE_MODE=0*/;\n"));
  }

  TEST_CASE("render: damage is an error, not SQL") {
    binlog_builder b(server::mariadb_10_11);
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(1, 0, mariadb_gtid_event::fl_transactional));
    auto at = b.add(event_type::query, query_body("d", "INSERT INTO t VALUES (1)", status_vars()));
    b.add(event_type::xid, xid_body(1));
    b.data()[at + 30] ^= 0x01;  // the checksum no longer matches
    transaction_stream s({{"b.000001", b.span()}}, {}, {});
    auto n = s.next();
    REQUIRE_FALSE(n);
    CHECK(n.error().code == errc::checksum_mismatch);
    CHECK(n.error().offset == at);
  }

  TEST_CASE("render: a large transaction is handed out in pieces; a long row statement continues with its maps") {
    // One statement of 300 rows events on two tables (STMT_END_F on the last only), then
    // 40 statement events, then a small transaction.
    binlog_builder b(server::mariadb_10_11);
    const auto gtid1 = b.add(event_type::mariadb_gtid, mariadb_gtid_body(1, 0, mariadb_gtid_event::fl_transactional));
    const auto tm1 = b.add(event_type::table_map, table_map_body(42, "a", "t"));
    const auto tm2 = b.add(event_type::table_map, table_map_body(43, "b", "u"));
    std::vector<std::uint64_t> rows_at;
    for (int i = 0; i < 300; ++i) {
      rows_at.push_back(b.add(event_type::write_rows_v1, write_rows_body(i % 2 == 0 ? 42 : 43, i, i == 299)));
    }
    for (int i = 0; i < 40; ++i) {
      b.add(event_type::query, query_body("d", fmt::format("INSERT INTO t VALUES ({})", i), status_vars()));
    }
    const auto xid1 = b.add(event_type::xid, xid_body(1));
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(2, 0, mariadb_gtid_event::fl_transactional));
    b.add(event_type::query, query_body("d", "INSERT INTO t VALUES (1000)", status_vars()));
    b.add(event_type::xid, xid_body(2));
    const std::uint64_t end1 = xid1 + event_at(b, xid1).size();

    render_options small;
    small.stream_threshold = 2048;
    auto whole = render_all(b, {}, render_options{});
    auto pieces = render_all(b, {}, small);
    REQUIRE(whole.size() == 2);
    CHECK_FALSE(whole[0].more);
    REQUIRE(pieces.size() > 4);
    // Every piece but the last of the first transaction: more, no COMMIT, the
    // transaction's GTID and start; the last: the COMMIT and the end.
    std::size_t last = 0;
    while (pieces[last].more) ++last;
    CHECK(last + 2 == pieces.size());
    for (std::size_t k = 0; k <= last; ++k) {
      CAPTURE(k);
      CHECK(pieces[k].piece == k);
      CHECK(pieces[k].gtid.text() == "0-1-1");
      CHECK(pieces[k].start == gtid1);
      CHECK(pieces[k].more == (k < last));
      CHECK(pieces[k].commit.has_value() == (k == last));
      if (k < last) CHECK(pieces[k].sql.size() < 2048 + 1500);  // the threshold, plus a rows batch of half of it
    }
    CHECK(pieces[last].end == end1);
    CHECK(texts(pieces[last]).back() == "COMMIT");
    CHECK(pieces.back().gtid.text() == "0-1-2");
    CHECK_FALSE(pieces.back().more);
    CHECK(texts(pieces.back()) == texts(whole[1]));

    // The statements that are not BINLOG are the same, in the same order.
    std::vector<std::string> plain_whole, plain_pieces;
    std::vector<std::string> binlogs;
    for (const auto& t : texts(whole[0])) {
      if (!t.starts_with("BINLOG '")) plain_whole.push_back(t);
    }
    for (std::size_t k = 0; k <= last; ++k) {
      for (const auto& t : texts(pieces[k])) {
        if (t.starts_with("BINLOG '")) binlogs.push_back(t.substr(8, t.size() - 9));
        else plain_pieces.push_back(t);
      }
    }
    CHECK(plain_pieces == plain_whole);
    // The rows: several BINLOG statements (the first is the format description), each
    // mapping both tables first and ending with STMT_END_F, the rows events in order with
    // their bodies unchanged, every checksum valid.
    REQUIRE(binlogs.size() > 3);
    const auto map1 = event_at(b, tm1), map2 = event_at(b, tm2);
    std::size_t next_row = 0;
    for (std::size_t k = 1; k < binlogs.size(); ++k) {
      CAPTURE(k);
      auto raw = unbase64(binlogs[k]);
      std::vector<std::vector<std::uint8_t>> events;
      for (std::size_t at = 0; at + 19 <= raw.size();) {
        const std::uint32_t n = detail::le32(raw.data() + at + 9);
        REQUIRE(n >= 19 + 4);
        REQUIRE(at + n <= raw.size());
        events.emplace_back(raw.begin() + static_cast<std::ptrdiff_t>(at), raw.begin() + static_cast<std::ptrdiff_t>(at + n));
        at += n;
      }
      REQUIRE(events.size() >= 3);
      CHECK(std::equal(events[0].begin(), events[0].end(), map1.begin(), map1.end()));
      CHECK(std::equal(events[1].begin(), events[1].end(), map2.begin(), map2.end()));
      for (std::size_t e = 2; e < events.size(); ++e) {
        const auto& ev = events[e];
        CHECK(crc32({ev.data(), ev.size() - 4}) == detail::le32(ev.data() + ev.size() - 4));
        const bool end_flag = (ev[19 + 6] & 1) != 0;
        CHECK(end_flag == (e + 1 == events.size()));
        REQUIRE(next_row < rows_at.size());
        const auto want = event_at(b, rows_at[next_row++]);
        REQUIRE(want.size() == ev.size());
        // Same bytes but for the flags and the checksum.
        CHECK(std::equal(ev.begin(), ev.begin() + 25, want.begin()));
        CHECK(std::equal(ev.begin() + 27, ev.end() - 4, want.begin() + 27));
      }
    }
    CHECK(next_row == rows_at.size());

    SUBCASE("a stop point inside it: not one piece, and the note") {
      sql_filter f;
      f.stop_position = rows_at[250];
      std::vector<stream_note> notes;
      auto t = render_all(b, f, small, &notes);
      CHECK(t.empty());
      REQUIRE(notes.size() == 1);
      CHECK(notes[0].text.find("inside the transaction that starts at " + std::to_string(gtid1)) != std::string::npos);
    }
    SUBCASE("a stop point exactly at its XID: the XID is not read, so not one piece") {
      // --stop-position reads no event at or past it: the read-ahead must not count the
      // XID there as the transaction's end.
      sql_filter f;
      f.stop_position = xid1;
      std::vector<stream_note> notes;
      auto t = render_all(b, f, small, &notes);
      CHECK(t.empty());
      REQUIRE(notes.size() == 1);
      CHECK(notes[0].text.find("inside the transaction that starts at " + std::to_string(gtid1)) != std::string::npos);
    }
    SUBCASE("the file, flagged in use, cut inside it: not one piece, and the warning") {
      b.data().resize(rows_at[280] + 7);
      b.data()[4 + 17] |= flag_binlog_in_use;  // the format description's flags (not in its CRC)
      std::vector<stream_note> notes;
      auto t = render_all(b, {}, small, &notes);
      CHECK(t.empty());
      REQUIRE(notes.size() == 1);
      CHECK(notes[0].offset == rows_at[280]);
      CHECK(notes[0].warning);
      CHECK(notes[0].text == fmt::format("the file is flagged in use and ends inside the event at {} (an unfinished "
                                         "write, or a server that crashed): the last 7 bytes (from offset {}), and "
                                         "the transaction that starts at {} are not applied",
                                         rows_at[280], rows_at[280], gtid1));
    }
    SUBCASE("the closed file cut inside it: not one piece, and an error") {
      b.data().resize(rows_at[280] + 7);
      transaction_stream st({{"b.000001", b.span()}}, {}, small);
      auto n = st.next();
      REQUIRE_FALSE(n);
      CHECK(n.error().code == errc::truncated);
      CHECK(n.error().offset == rows_at[280]);
      CHECK_FALSE(st.last_delivered().has_value());
    }
    SUBCASE("damage after the first piece's end: the error comes before any piece") {
      b.data()[xid1 - 20] ^= 0x10;  // in the last statement event before the XID
      transaction_stream st({{"b.000001", b.span()}}, {}, small);
      std::vector<std::uint64_t> offsets;
      auto n = st.next();
      REQUIRE_FALSE(n);
      CHECK(n.error().code == errc::checksum_mismatch);
    }
    SUBCASE("read ahead releases what it passed over") {
      transaction_stream st({{"b.000001", b.span()}}, {}, small);
      std::uint64_t from = 0, to = 0;
      st.on_read_ahead = [&](std::size_t file, std::uint64_t begin, std::uint64_t end) {
        CHECK(file == 0);
        if (from == 0) from = begin;
        to = std::max(to, end);
      };
      auto n = st.next();
      REQUIRE(n);
      REQUIRE(*n);
      CHECK((*n)->more);
      CHECK(from > gtid1);
      CHECK(to == end1);
    }
  }

  TEST_CASE("render: the last file cut inside an event: a warning when it is flagged in use, else damage") {
    binlog_builder b(server::mariadb_10_11);
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(1, 0, mariadb_gtid_event::fl_standalone));
    auto q = b.add(event_type::query, query_body("d", "CREATE TABLE t (a INT)", status_vars()));
    auto cut = b.add(event_type::mariadb_gtid, mariadb_gtid_body(2, 0, mariadb_gtid_event::fl_standalone));
    b.data().resize(cut + 10);
    {
      // Closed (no LOG_EVENT_BINLOG_IN_USE_F): cut short after it was closed.
      transaction_stream s({{"b.000001", b.span()}}, {}, {});
      auto n = s.next();
      REQUIRE(n);
      REQUIRE(*n);
      auto n2 = s.next();
      REQUIRE_FALSE(n2);
      CHECK(n2.error().code == errc::truncated);
      CHECK(n2.error().offset == cut);
      REQUIRE(s.last_delivered().has_value());
      CHECK(s.last_delivered()->end == q + event_at(b, q).size());
      CHECK(s.last_delivered()->gtid == "0-1-1");
      // The length field of an event in the middle set to 0xFFFFFFFF reads the same way.
      auto ffff = b.data();
      for (int i = 0; i < 4; ++i) ffff[q + 9 + static_cast<std::size_t>(i)] = 0xff;
      transaction_stream s2({{"b.000001", bytes(ffff.data(), ffff.size())}}, {}, {});
      auto m = s2.next();
      REQUIRE_FALSE(m);
      CHECK(m.error().code == errc::truncated);
      CHECK(m.error().offset == q);
    }
    b.data()[4 + 17] |= flag_binlog_in_use;
    std::vector<stream_note> notes;
    auto txs = render_all(b, {}, {}, &notes);
    REQUIRE(txs.size() == 1);
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].offset == cut);
    CHECK(notes[0].warning);
    // Not the last file: damage.
    transaction_stream s({{"b.000001", b.span()}, {"b.000002", b.span()}}, {}, {});
    auto n = s.next();
    REQUIRE(n);
    auto n2 = s.next();
    CHECK_FALSE(n2);
  }

  TEST_CASE("render: transactions given back with recycle() are rendered into again, with equal results") {
    // Every transaction of the mixed test binlogs (row, statement, LOAD DATA, DDL), whole
    // and in pieces of about 700 bytes; each one handed back once it was copied.
    std::vector<std::vector<std::uint8_t>> files;
    for (const char* name : {"mixed.000001", "mixed.000002", "mixed.000003", "mixed.000004", "mixed.000005"}) {
      files.push_back(read_file(std::string(BINLOGKIT_TESTDATA_DIR) + "/mariadb-10.11/" + name));
      REQUIRE_FALSE(files.back().empty());
    }
    auto run = [&](bool recycle, std::size_t threshold, std::size_t& reused) {
      std::vector<binlog_input> inputs;
      for (const auto& f : files) inputs.push_back({"mixed", bytes(f.data(), f.size())});
      render_options o;
      o.dialect = sql_dialect::mariadb;
      o.stream_threshold = threshold;
      transaction_stream s(std::move(inputs), {}, o);
      std::vector<tx_copy> out;
      const char* last_buffer = nullptr;
      for (;;) {
        auto n = s.next();
        if (!n) FAIL_CHECK(n.error().message());
        REQUIRE(n);
        if (!*n) break;
        rendered_transaction& tx = **n;
        if (tx.sql.data() == last_buffer) ++reused;
        tx_copy c{tx.sql, texts(tx), {}, tx.file_index, tx.start, tx.end, tx.gtid.text(), tx.commit, tx.more, tx.piece,
               tx.load_data.size()};
        for (const auto& st : tx.statements) c.offsets.push_back(st.offset);
        out.push_back(std::move(c));
        if (recycle && tx.sql.capacity() > 15) {
          last_buffer = tx.sql.data();
          s.recycle(std::move(tx));
        }
      }
      return out;
    };
    for (std::size_t threshold : {std::size_t{0}, std::size_t{700}}) {
      CAPTURE(threshold);
      std::size_t reused_plain = 0, reused = 0;
      const auto plain = run(false, threshold, reused_plain);
      const auto again = run(true, threshold, reused);
      REQUIRE(plain.size() > 20);
      CHECK(reused_plain == 0);
      CHECK(reused > plain.size() / 2);  // most were rendered into the one given back before
      REQUIRE(again.size() == plain.size());
      for (std::size_t k = 0; k < plain.size(); ++k) {
        CAPTURE(k);
        CHECK(again[k] == plain[k]);
      }
    }
  }

  // ---- client character set of our own statements -----------------------------------

  TEST_CASE("render: a UTF-8 name after a gbk statement is written in utf8mb4, then the event's own charset") {
    // The issue's reproduction: the name is UTF-8 (丁 is E4 B8 81); read in gbk, 81 60 is one
    // character and the doubled backquote closes the name before ;CREATE DATABASE pwned_gbk.
    const std::string name = "g\xe4\xb8\x81`;CREATE DATABASE pwned_gbk;SELECT 1 AS x\xe4\xb8\x81";
    binlog_builder b(server::mariadb_10_11);
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(1, 0, mariadb_gtid_event::fl_standalone));
    b.add(event_type::query, query_body("", "CREATE DATABASE `g\xb6\xa1``", status_vars(0x01000000, 1411383296, 28)));
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(2, 0, mariadb_gtid_event::fl_standalone));
    b.add(event_type::query, query_body(name, "CREATE TABLE t1 (id INT PRIMARY KEY)", status_vars()));
    for (bool client : {false, true}) {
      CAPTURE(client);
      render_options o;
      o.for_client = client;
      auto txs = render_all(b, {}, o);
      REQUIRE(txs.size() == 2);
      std::vector<std::string> want = {"SET @@session.gtid_seq_no=2"};
      if (client) want.emplace_back("/*!\\C utf8mb4 */");
      want.emplace_back("SET @@session.character_set_client=utf8mb4");
      want.push_back("use `g\xe4\xb8\x81``;CREATE DATABASE pwned_gbk;SELECT 1 AS x\xe4\xb8\x81`");
      want.emplace_back("SET TIMESTAMP=1700000000");
      if (client) want.emplace_back("/*!\\C utf8mb4 */");
      want.emplace_back("SET @@session.character_set_client=45,@@session.collation_connection=45,"
                        "@@session.collation_server=8");
      want.emplace_back("CREATE TABLE t1 (id INT PRIMARY KEY)");
      auto got = texts(txs[1]);
      if (client) {
        for (auto& t : got) {
          if (t.starts_with("/*M!100001 ")) t = t.substr(11, t.size() - 13);
        }
      }
      CHECK(got == want);
      // The first statement (gbk, no default database): its text has bytes >= 0x80 in gbk.
      CHECK_FALSE(txs[0].statements.back().single);
      CHECK(txs[1].statements.back().single);
    }
  }

  TEST_CASE("render: every lead byte with a second byte of \\ ` ' in a name, after big5, cp932, gbk, sjis") {
    // Collations big5_chinese_ci 1, sjis_japanese_ci 13, gbk_chinese_ci 28, cp932_japanese_ci 95.
    for (std::uint16_t cs : {std::uint16_t{1}, std::uint16_t{13}, std::uint16_t{28}, std::uint16_t{95}}) {
      CAPTURE(cs);
      binlog_builder b(server::mariadb_10_11);
      std::uint64_t seq = 0;
      std::vector<std::string> names;
      for (int lead = 0x81; lead <= 0xfe; ++lead) {
        for (char trail : {'\\', '`', '\''}) {
          names.push_back(std::string("a") + static_cast<char>(lead) + trail + "`;DROP DATABASE victim;#");
          b.add(event_type::mariadb_gtid, mariadb_gtid_body(++seq, 0, mariadb_gtid_event::fl_standalone));
          b.add(event_type::query, query_body("", "DO 1", status_vars(0x01000000, 1411383296, cs)));
          b.add(event_type::mariadb_gtid, mariadb_gtid_body(++seq, 0, mariadb_gtid_event::fl_standalone));
          b.add(event_type::query, query_body(names.back(), "DO 2", status_vars(0x01000000, 1411383296, cs)));
        }
      }
      auto txs = render_all(b);
      REQUIRE(txs.size() == names.size() * 2);
      for (std::size_t k = 0; k < names.size(); ++k) {
        auto t = texts(txs[2 * k + 1]);
        const auto use = std::find(t.begin(), t.end(), "use " + sql_identifier(names[k]));
        REQUIRE(use != t.end());
        REQUIRE(use != t.begin());
        CHECK(*(use - 1) == "SET @@session.character_set_client=utf8mb4");
        const std::string own = fmt::format(
            "SET @@session.character_set_client={0},@@session.collation_connection={0},@@session.collation_server=8", cs);
        const auto back = std::find(use, t.end(), own);
        CHECK(back != t.end());
        CHECK(t.back() == "DO 2");
        CHECK(std::find(back, t.end(), "DO 2") != t.end());
      }
    }
  }

  TEST_CASE("render: a user variable's UTF-8 name in a gbk statement goes in utf8mb4, the statement in gbk") {
    binlog_builder b(server::mariadb_10_11);
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(1, 0, mariadb_gtid_event::fl_transactional));
    b.add(event_type::user_var, user_var_body("v\xe4\xb8\x81`", 0, 28, as_bytes("\xb6\xa1")));
    b.add(event_type::query, query_body("d", "INSERT INTO t VALUES (@`v\xb6\xa1```)", status_vars(0x01000000, 0, 28)));
    b.add(event_type::xid, xid_body(1));
    auto txs = render_all(b);
    REQUIRE(txs.size() == 1);
    auto t = texts(txs[0]);
    const auto var = std::find(t.begin(), t.end(), "SET @`v\xe4\xb8\x81```:=_gbk X'B6A1' COLLATE `gbk_chinese_ci`");
    REQUIRE(var != t.end());
    CHECK(*(var - 1) == "SET @@session.character_set_client=utf8mb4");
    CHECK(*(var + 1) == "SET @@session.character_set_client=28,@@session.collation_connection=28,"
                        "@@session.collation_server=8");
    CHECK(*(var + 2) == "INSERT INTO t VALUES (@`v\xb6\xa1```)");
  }

  TEST_CASE("render: a --rewrite-db name with bytes >= 0x80 goes in utf8mb4 after a sjis statement") {
    binlog_builder b(server::mariadb_10_11);
    add_standalone(b, 1, "a", "DO 1", 13);
    add_standalone(b, 2, "b", "DO 2", 13);
    sql_filter f;
    f.rewrite_db.emplace_back("b", "r\xe4\xb8\x81`;DROP DATABASE victim;#");
    auto txs = render_all(b, f);
    REQUIRE(txs.size() == 2);
    const std::vector<std::string> want = {
        "SET @@session.gtid_seq_no=2", "SET @@session.character_set_client=utf8mb4",
        "use `r\xe4\xb8\x81``;DROP DATABASE victim;#`", "SET TIMESTAMP=1700000000",
        "SET @@session.character_set_client=13,@@session.collation_connection=13,@@session.collation_server=8",
        "DO 2"};
    CHECK(texts(txs[1]) == want);
  }

  TEST_CASE("render: ASCII names need no switch in any charset but swe7; output as before") {
    binlog_builder b(server::mariadb_10_11);
    add_standalone(b, 1, "a", "DO 1", 28);
    add_standalone(b, 2, "b`;x", "DO 2", 28);
    add_standalone(b, 3, "c", "DO 3", 10);  // swe7_swedish_ci
    add_standalone(b, 4, "d", "DO 4", 10);
    auto txs = render_all(b);
    REQUIRE(txs.size() == 4);
    for (std::size_t k = 0; k < 3; ++k) {
      for (const auto& t : texts(txs[k])) CHECK(t != "SET @@session.character_set_client=utf8mb4");
    }
    const std::vector<std::string> want = {"SET @@session.gtid_seq_no=4", "SET @@session.character_set_client=utf8mb4",
                                           "use `d`", "SET TIMESTAMP=1700000000",
                                           "SET @@session.character_set_client=10,@@session.collation_connection=10,"
                                           "@@session.collation_server=8",
                                           "DO 4"};
    CHECK(texts(txs[3]) == want);
  }

  TEST_CASE("render: a LOAD DATA file prefix that is not plain ASCII is an error, not SQL") {
    binlog_builder b(server::mariadb_10_11);
    b.add(event_type::mariadb_gtid, mariadb_gtid_body(1, 0, mariadb_gtid_event::fl_standalone));
    byte_writer blk;
    blk.u32(1).str("1\n");
    b.add(event_type::begin_load_query, blk);
    const auto at = b.add(event_type::execute_load_query, execute_load_body(1, "LOAD DATA INFILE 'f' INTO TABLE t", 0));
    render_options o;
    o.dialect = sql_dialect::mariadb;
    o.load_prefix = "/tmp/x'\\y-";
    transaction_stream s({{"b.000001", b.span()}}, {}, o);
    auto n = s.next();
    REQUIRE_FALSE(n);
    CHECK(n.error().offset == at);
    CHECK(std::string(n.error().detail) ==
          "the LOAD DATA file name prefix must be printable ASCII without quotes or backslashes");
  }

  TEST_CASE("render: every statement of the MariaDB test binlogs is proven single (they share packets)") {
    std::size_t statements = 0;
    std::vector<std::string> unproven;
    for (auto name : {"mariadb-10.11/mixed.000001", "mariadb-10.11/mixed.000002", "mariadb-10.11/minimal.000001"}) {
      const auto data = read_file(testdata_path(name));
      REQUIRE_FALSE(data.empty());
      transaction_stream s({{name, as_bytes(data)}}, {}, {});
      for (;;) {
        auto n = s.next();
        REQUIRE(n);
        if (!*n) break;
        for (const auto& st : (*n)->statements) {
          ++statements;
          if (!st.single) unproven.emplace_back((*n)->text(st));
        }
      }
    }
    CHECK(statements == 247);
    CHECK(unproven == std::vector<std::string>{});
  }
}
