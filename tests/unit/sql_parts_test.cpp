// The parts of the SQL renderer (src/sql/) checked on their own: where statements are
// recorded (statement_list) and the filter decisions (transaction_filter). The renderer
// as a whole is checked in sql_test.cpp.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "binlogkit/sql/sql.hpp"
#include "sql/filters.hpp"
#include "sql/statement_list.hpp"

namespace bk = binlogkit;

namespace {

bk::bytes text_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

std::vector<std::string> texts(const bk::rendered_transaction& tx) {
  std::vector<std::string> out;
  for (const auto& s : tx.statements) out.emplace_back(tx.text(s));
  return out;
}

bk::event_view event_at(std::uint64_t offset, bk::event_type t, std::uint32_t timestamp) {
  bk::event_view ev;
  ev.offset = offset;
  ev.header.type_code = static_cast<std::uint8_t>(t);
  ev.header.timestamp = timestamp;
  return ev;
}

bk::gtid_ref mariadb_gtid(std::uint32_t domain, std::uint32_t server, std::uint64_t seq) {
  bk::gtid_ref g;
  g.k = bk::gtid_ref::kind::mariadb;
  g.domain_id = domain;
  g.server_id = server;
  g.seq_no = seq;
  return g;
}

}  // namespace

TEST_SUITE("sql parts") {
  TEST_CASE("statement_list: a BINLOG statement past max_binlog_statement goes as two fragments") {
    bk::render_options opt;
    // "abcdefghi" is 12 characters of base64: one statement at 12, fragments at 11.
    opt.max_binlog_statement = 12;
    bk::detail::statement_list one(opt);
    one.binlog_statement(120, text_bytes("abcdefghi"));
    CHECK(texts(one.tx) == std::vector<std::string>{"BINLOG 'YWJjZGVmZ2hp'"});

    opt.max_binlog_statement = 11;
    bk::detail::statement_list two(opt);
    two.binlog_statement(120, text_bytes("abcdefghi"));
    // Halves cut at a multiple of 3 bytes, so that each is base64 of its own.
    CHECK(texts(two.tx) == std::vector<std::string>{"SET @binlog_fragment_0='YWJj'",
                                                    "SET @binlog_fragment_1='ZGVmZ2hp'",
                                                    "BINLOG @binlog_fragment_0, @binlog_fragment_1"});
    REQUIRE(two.tx.statements.size() == 3);
    for (const auto& s : two.tx.statements) {
      CHECK(s.role == bk::statement_role::body);
      CHECK(s.offset == 120);
      CHECK(s.single);
      CHECK(s.load == -1);
    }
    CHECK(two.tx.sql.size() == two.tx.statements.back().begin + two.tx.statements.back().size);
    // A format description goes as session set-up: the statement that applies it says so.
    bk::detail::statement_list fd(opt);
    fd.binlog_statement(4, text_bytes("abcdefghi"), bk::statement_role::session);
    REQUIRE(fd.tx.statements.size() == 3);
    CHECK(fd.tx.statements[0].role == bk::statement_role::body);
    CHECK(fd.tx.statements[1].role == bk::statement_role::body);
    CHECK(fd.tx.statements[2].role == bk::statement_role::session);
  }

  TEST_CASE("statement_list: MariaDB-only statements are wrapped for the client only") {
    bk::render_options opt;
    bk::detail::statement_list plain(opt);
    plain.add_mariadb(bk::statement_role::gtid, 7, "SET @@session.gtid_seq_no=5");
    CHECK(texts(plain.tx) == std::vector<std::string>{"SET @@session.gtid_seq_no=5"});
    opt.for_client = true;
    bk::detail::statement_list client(opt);
    auto& s = client.add_mariadb(bk::statement_role::gtid, 7, "SET @@session.gtid_seq_no=5");
    CHECK(s.role == bk::statement_role::gtid);
    CHECK(s.offset == 7);
    CHECK(texts(client.tx) == std::vector<std::string>{"/*M!100001 SET @@session.gtid_seq_no=5*/"});
  }

  TEST_CASE("transaction_filter: --rewrite-db, --database and the GTID sets") {
    bk::sql_filter f;
    f.rewrite_db = {{"a", "b"}, {"c", "d"}};
    f.databases = {"b", "x"};
    f.include_gtids = *bk::gtid_set::parse("0-1-1-10");
    f.exclude_gtids = *bk::gtid_set::parse("0-1-5");
    bk::detail::transaction_filter tf(f);
    CHECK(tf.rewrite("a") == "b");
    CHECK(tf.rewrite("c") == "d");
    CHECK(tf.rewrite("b") == "b");
    CHECK(tf.db_kept("b"));
    CHECK(tf.db_kept("x"));
    CHECK_FALSE(tf.db_kept("a"));
    CHECK_FALSE(tf.db_kept(""));
    CHECK(tf.filters_databases());
    CHECK(tf.gtid_kept(mariadb_gtid(0, 1, 1)));
    CHECK(tf.gtid_kept(mariadb_gtid(0, 1, 10)));
    CHECK_FALSE(tf.gtid_kept(mariadb_gtid(0, 1, 5)));   // excluded
    CHECK_FALSE(tf.gtid_kept(mariadb_gtid(0, 1, 11)));  // not included
    CHECK_FALSE(tf.gtid_kept(mariadb_gtid(0, 2, 3)));
    CHECK_FALSE(tf.gtid_kept(bk::gtid_ref{}));  // no GTID: not in an include set
    bk::detail::transaction_filter none(bk::sql_filter{});
    CHECK(none.db_kept("anything"));
    CHECK_FALSE(none.filters_databases());
    CHECK(none.gtid_kept(bk::gtid_ref{}));
  }

  TEST_CASE("transaction_filter: start and stop points, resume first") {
    bk::sql_filter f;
    f.start_position = 500;
    f.stop_position = 900;
    f.start_datetime = 1000;
    f.stop_datetime = 2000;
    bk::detail::transaction_filter tf(f);
    using bk::detail::skip_reason;
    using bk::detail::stop_point;
    const auto q = bk::event_type::query;
    CHECK(tf.skip_at_start(0, event_at(499, q, 1500)) == skip_reason::start);
    CHECK(tf.skip_at_start(0, event_at(500, q, 1500)) == skip_reason::none);
    CHECK(tf.skip_at_start(1, event_at(4, q, 1500)) == skip_reason::none);  // first file only
    CHECK(tf.skip_at_start(1, event_at(4, q, 999)) == skip_reason::datetime);
    // The stop position applies to the last file, at or after it; the stop datetime to any
    // event but a format description, rotate or stop.
    CHECK(tf.stops_at(event_at(899, q, 1500), true) == stop_point::none);
    CHECK(tf.stops_at(event_at(900, q, 1500), true) == stop_point::position);
    CHECK(tf.stops_at(event_at(900, q, 1500), false) == stop_point::none);
    CHECK(tf.stops_at(event_at(4, q, 2000), false) == stop_point::datetime);
    CHECK(tf.stops_at(event_at(4, q, 1999), false) == stop_point::none);
    CHECK(tf.stops_at(event_at(4, bk::event_type::rotate, 2000), false) == stop_point::none);
    CHECK(tf.stops_at(event_at(4, bk::event_type::format_description, 2000), false) == stop_point::none);
    CHECK(tf.stops_at(event_at(950, q, 2500), true) == stop_point::position);  // both: position named
    // Resume: earlier files, and this file before the end, whatever the other filters say.
    tf.resume_after(1, 300);
    CHECK(tf.skip_at_start(0, event_at(600, q, 1500)) == skip_reason::resume);
    CHECK(tf.skip_at_start(0, event_at(499, q, 999)) == skip_reason::resume);  // before start and datetime
    CHECK(tf.skip_at_start(1, event_at(299, q, 1500)) == skip_reason::resume);
    CHECK(tf.skip_at_start(1, event_at(300, q, 999)) == skip_reason::datetime);
    CHECK_FALSE(tf.resume_hit());
    tf.skipped(skip_reason::resume, 1, 299);
    CHECK_FALSE(tf.resume_hit());
    tf.skipped(skip_reason::start, 1, 300);
    CHECK_FALSE(tf.resume_hit());
    tf.skipped(skip_reason::resume, 1, 300);
    CHECK(tf.resume_hit());
  }
}
