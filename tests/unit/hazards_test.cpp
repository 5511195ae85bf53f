// The hazards module: what from before a point is still needed after it. Corpus and testdata
// files give the expected hazards at transaction boundaries (positions read from `binlogkit
// dump` of each file); small fixtures built from the documented event layouts cover the
// malformed and restart cases.
#include <doctest/doctest.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "binlogkit/events/hazards.hpp"
#include "binlogkit/events/reader.hpp"
#include "support/binlog_builder.hpp"
#include "support/hazard_summary.hpp"
#include "support/named_files.hpp"

namespace bk = binlogkit;
using bk_test::byte_writer;

namespace {

using loaded = bk_test::named_file;
using bk_test::corpus_file;
using bk_test::testdata_file;

bk::hazard_report at(const loaded& l, const std::string& point) {
  auto p = bk::parse_hazard_point(point);
  REQUIRE(p.has_value());
  return bk::find_hazards({{l.name, {l.data.data(), l.data.size()}}}, *p);
}

// bk_test::hazard_summary of the hazards found (the report must be a success).
std::string summary(const bk::hazard_report& r) {
  REQUIRE_MESSAGE(r.ok(), r.failure);
  return bk_test::hazard_summary(r.hazards);
}

// QUERY body: | 4 thread | 4 exec | 1 db len | 2 error | 2 vars len | vars | db | NUL | query |
std::vector<std::uint8_t> query(std::uint32_t thread, std::string_view db, std::string_view sql,
                                std::uint16_t error_code = 0) {
  byte_writer w;
  w.u32(thread).u32(0).u8(db.size()).u16(error_code).u16(0).cstr(db).str(sql);
  return w.data();
}

// BEGIN_LOAD_QUERY / APPEND_BLOCK body: | 4 file_id | block |
std::vector<std::uint8_t> block(std::uint32_t file_id, std::string_view data) {
  byte_writer w;
  w.u32(file_id).str(data);
  return w.data();
}

// A MySQL 5.1 binlog (no checksums, no GTIDs) of hand-built events.
struct fixture {
  bk_test::binlog_builder b{bk_test::server::mysql_5_1, false};
  std::uint64_t q(std::uint32_t thread, std::string_view db, std::string_view sql, std::uint16_t error_code = 0) {
    return b.add(bk::event_type::query, bk_test::as_bytes(query(thread, db, sql, error_code)));
  }
  // XID body: | 8 xid |
  std::uint64_t xid(std::uint64_t id) {
    byte_writer w;
    w.u64(id);
    return b.add(bk::event_type::xid, bk_test::as_bytes(w.data()));
  }
  // A format description of a server that started (`created` != 0) or rotated (0).
  std::uint64_t fde(std::uint32_t created) {
    bk_test::header_spec h;
    h.timestamp = created;
    const auto size = bk_test::make_fde(bk_test::server::mysql_5_1, false, h).size();
    h.log_pos = static_cast<std::uint32_t>(b.data().size() + size);
    return b.add_raw(bk_test::as_bytes(bk_test::make_fde(bk_test::server::mysql_5_1, false, h)));
  }
  std::uint64_t end() const { return b.data().size(); }
  loaded file() const { return {"fixture.000001", b.data()}; }
};

}  // namespace

TEST_SUITE("hazards") {
  TEST_CASE("hazards: LOAD DATA of ver_5_1_17 is open from its first block to its execute") {
    // Begin_load_query (file 2) at 1463, Append_block at 132558, Execute_load_query at 150245
    // (thread 2, db test, INTO TABLE t3), Stop at 150366.
    const auto f = corpus_file("hwCloudRDS+mysql-5.6/mysql-test__suite__binlog__std_data__ver_5_1_17.001");
    CHECK(summary(at(f, "1463")).empty());
    CHECK(summary(at(f, "132558")) == "load_data test.t3 2 1463 -> 150245");
    CHECK(summary(at(f, "150245")) == "load_data test.t3 2 1463 -> 150245");
    CHECK(summary(at(f, "150366")).empty());
    CHECK(summary(at(f, "1342")).empty());  // before the statement that precedes the load
  }

  TEST_CASE("hazards: LOAD DATA of ver_5_1-wl2325_s and of a MySQL 5.7 GTID log") {
    const auto s = corpus_file("stoneatom+stonedb/mysql-test__suite__binlog__std_data__ver_5_1-wl2325_s.001");
    CHECK(summary(at(s, "874")).empty());
    CHECK(summary(at(s, "131969")) == "load_data test.t3 2 874 -> 149656");
    CHECK(summary(at(s, "149777")).empty());
    // GTID, BEGIN, Begin_load_query (file 1) at 304, Execute_load_query at 339, Xid at 592.
    const auto m = corpus_file("rust-us+mysql-cdc-rs/tests__events__5.7__17_18_load__log.bin");
    const auto r = at(m, "339");
    CHECK(summary(r) == "load_data default.boxercrab 23 304 -> 339");
    REQUIRE(r.hazards.size() == 1);
    CHECK(r.hazards[0].opened.gtid == r.hazards[0].needed_by->gtid);
    CHECK(!r.hazards[0].opened.gtid.empty());
    CHECK(summary(at(m, "304")).empty());
    CHECK(summary(at(m, "592")).empty());  // inside the transaction, after the execute: ends in Xid
  }

  TEST_CASE("hazards: the wl2325 row log and the bug33029 relay log have none at their boundaries") {
    const auto r = corpus_file("stoneatom+stonedb/mysql-test__suite__binlog__std_data__ver_5_1-wl2325_r.001");
    for (const char* p : {"102", "216", "330", "686", "705"}) CHECK(summary(at(r, p)).empty());
    const auto relay = corpus_file("stoneatom+stonedb/mysql-test__std_data__bug33029-slave-relay-bin.000001");
    for (const char* p : {"142", "236", "1468", "3514"}) CHECK(summary(at(relay, p)).empty());
  }

  TEST_CASE("hazards: a temporary table of mixed.000002 from its CREATE to its DROP") {
    // Session 7: CREATE TEMPORARY TABLE tmp_totals at 3094 (0-1-31, ends 3232), INSERT into it
    // at 3274 (0-1-32), read at 3542 (0-1-33, ends 3731), DROP TEMPORARY TABLE (no IF
    // EXISTS) at 3773 (0-1-34, ends 3899).
    const auto f = testdata_file("mariadb-10.11/mixed.000002");
    CHECK(summary(at(f, "3052")).empty());
    const auto r = at(f, "3232");
    CHECK(summary(r) == "temporary_table logs.tmp_totals 7 3094 -> 3274");
    REQUIRE(r.hazards.size() == 1);
    CHECK(r.hazards[0].opened.gtid == "0-1-31");
    CHECK(r.hazards[0].needed_by->gtid == "0-1-32");
    CHECK(r.hazards[0].advice ==
          "start at or before mixed.000002:3094 (its CREATE) or recreate `logs`.`tmp_totals` in session 7 first: a "
          "replica restarted since the point, or a replay starting at it, lacks the table (error 1146)");
    CHECK(r.at.file == "mixed.000002");
    CHECK(r.at.pos == 3232);
    CHECK(r.gtid_state == "0-1-31,2-1-1");
    CHECK(summary(at(f, "3731")) == "temporary_table logs.tmp_totals 7 3094 -> 3773");
    CHECK(summary(at(f, "3899")).empty());
    // A GTID set point: just after 0-1-31.
    const auto g = at(f, "0-1-31");
    CHECK(g.at.pos == 3232);
    CHECK(summary(g) == "temporary_table logs.tmp_totals 7 3094 -> 3274");
  }

  TEST_CASE("hazards: inside a MariaDB group without FL_TRANSACTIONAL that is rolled back") {
    // 0-1-30 (flags2 8: no FL_TRANSACTIONAL) at 2633: INSERT (InnoDB) at 2707, INSERT into the
    // MyISAM audit table at 2854, ROLLBACK at 2977.
    const auto f = testdata_file("mariadb-10.11/mixed.000002");
    CHECK(summary(at(f, "2854")) == "non_transactional . 7 2633 -> 2977");
    CHECK(summary(at(f, "2977")) == "non_transactional . 7 2633 -> 2977");
    CHECK(summary(at(f, "2675")).empty());  // after the GTID only: nothing changed yet
    CHECK(summary(at(f, "3052")).empty());  // after the group: complete
    // 0-1-33 (flags2 8) at 3468 ends in an Xid at 3700: only its GTID flags say it is not
    // transactional (it reads the temporary table, open here too).
    const auto r = at(f, "3700");
    CHECK(summary(r) == "temporary_table logs.tmp_totals 7 3094 -> 3773; non_transactional . 7 3468 -> 3700");
    REQUIRE(r.hazards.size() == 2);
    CHECK(r.hazards[1].advice ==
          "the point is inside the group that starts at mixed.000002:3468, which changed non-transactional tables (its "
          "GTID lacks FL_TRANSACTIONAL): resuming here loses the group's transactional changes before the point, "
          "resuming at its start applies its non-transactional changes twice; check the tables it changed by hand");
    // 0-1-32 at 3232 ends in a COMMIT query at 3395.
    CHECK(summary(at(f, "3395")) == "temporary_table logs.tmp_totals 7 3094 -> 3542; non_transactional . 7 3232 -> 3395");
  }

  TEST_CASE("hazards: groups without GTIDs: the end or an error code decides") {
    fixture fx;
    const auto g1 = fx.q(1, "db", "BEGIN");
    fx.q(1, "db", "INSERT INTO myisam_t VALUES (1)");
    const auto p1 = fx.end();
    const auto c1 = fx.q(1, "db", "COMMIT");
    const auto g2 = fx.q(1, "db", "BEGIN");
    fx.q(1, "db", "INSERT INTO mixed VALUES (1)");
    const auto p2 = fx.end();
    const auto r2 = fx.q(1, "db", "ROLLBACK");
    fx.q(1, "db", "BEGIN");
    fx.q(1, "db", "INSERT INTO innodb_t VALUES (1)");
    const auto p3 = fx.end();
    fx.xid(7);
    const auto g4 = fx.q(1, "db", "BEGIN");
    const auto e4 = fx.q(1, "db", "INSERT INTO t SELECT * FROM u", 1062);
    const auto p4 = fx.end();
    const auto x4 = fx.xid(8);
    const auto l = fx.file();
    const auto n = [](auto a, auto b) { return "non_transactional . 1 " + std::to_string(a) + " -> " + std::to_string(b); };
    CHECK(summary(at(l, std::to_string(p1))) == n(g1, c1));
    const auto rolled = at(l, std::to_string(p2));
    CHECK(summary(rolled) == n(g2, r2));
    REQUIRE(rolled.hazards.size() == 1);
    CHECK(rolled.hazards[0].advice.find("which ends in ROLLBACK with statements in it") != std::string::npos);
    CHECK(summary(at(l, std::to_string(p3))).empty());
    const auto r = at(l, std::to_string(p4));
    CHECK(summary(r) == n(g4, x4));
    REQUIRE(r.hazards.size() == 1);
    CHECK(r.hazards[0].advice.find("which holds a statement that ended with error 1062 on the source at fixture.000001:" +
                                   std::to_string(e4) + ":") != std::string::npos);
  }

  TEST_CASE("hazards: temporary table rules on a built log") {
    fixture fx;
    const auto create = fx.q(12, "app", "CREATE TEMPORARY TABLE scratch (a INT)");
    fx.q(12, "app", "DROP TABLE IF EXISTS never_created");  // closes nothing, no crash
    fx.q(13, "app", "DROP TEMPORARY TABLE never_created");
    const auto p1 = fx.end();
    fx.q(13, "app", "INSERT INTO scratch VALUES (1)");             // another session: not a use
    fx.q(12, "app", "INSERT INTO t VALUES ('scratch', \"scratch\") /* scratch */ -- scratch\n");  // not a use
    fx.q(12, "other", "INSERT INTO t SELECT scratch FROM dual");  // unqualified in another db: not a use
    const auto use = fx.q(12, "other", "INSERT INTO app.t SELECT a FROM `app`.`scratch`");
    const auto p2 = fx.end();
    fx.q(12, "app", "DROP /*!40005 TEMPORARY */ TABLE IF EXISTS `scratch`");
    const auto p3 = fx.end();
    const auto l = fx.file();
    CHECK(summary(at(l, std::to_string(p1))) ==
          "temporary_table app.scratch 12 " + std::to_string(create) + " -> " + std::to_string(use));
    // Closed after the point by DROP ... IF EXISTS with no use in between: not a hazard.
    CHECK(summary(at(l, std::to_string(p2))).empty());
    CHECK(summary(at(l, std::to_string(p3))).empty());
  }

  TEST_CASE("hazards: a restart format description closes temporary tables; a rotate one does not") {
    fixture fx;
    fx.q(5, "db", "CREATE TEMPORARY TABLE t1 (a INT)");
    const auto p1 = fx.end();
    fx.fde(0);  // created 0: not a restart
    const auto p2 = fx.end();
    fx.fde(1700000100);  // the source restarted
    const auto p3 = fx.end();
    fx.q(5, "db", "INSERT INTO t1 VALUES (1)");
    const auto l = fx.file();
    // Open at p1 and p2; the restart after them ends the session: nothing after needs it.
    CHECK(summary(at(l, std::to_string(p1))).empty());
    CHECK(summary(at(l, std::to_string(p2))).empty());
    CHECK(summary(at(l, std::to_string(p3))).empty());
    // Without the restart, the table is open and "may be needed later" past the input's end.
    fixture fy;
    const auto c2 = fy.q(5, "db", "CREATE TEMPORARY TABLE t1 (a INT)");
    fy.fde(0);
    const auto q2 = fy.end();
    const auto r = at(fy.file(), std::to_string(q2));
    CHECK(summary(r) == "temporary_table db.t1 5 " + std::to_string(c2) + " -> later");
  }

  TEST_CASE("hazards: an Append_block for an unknown file id is an error with file and offset") {
    fixture fx;
    fx.q(3, "db", "SELECT 1");
    const auto bad = fx.b.add(bk::event_type::append_block, bk_test::as_bytes(block(9, "x,y\n")));
    const auto r = at(fx.file(), std::to_string(fx.end()));
    CHECK(!r.ok());
    CHECK(r.hazards.empty());
    CHECK(r.failure == "fixture.000001: bad_body at offset " + std::to_string(bad) +
                           " (Append_block event, type 9): Append_block for a file id no Begin_load_query or "
                           "Create_file opened");
  }

  TEST_CASE("hazards: a prepared XA transaction is open until its XA COMMIT") {
    fixture fx;
    fx.q(4, "db", "XA START 'trx1'");
    fx.q(4, "db", "INSERT INTO t VALUES (1)");
    fx.q(4, "db", "XA END 'trx1'");
    const auto prepare = fx.q(4, "db", "XA PREPARE 'trx1'");
    const auto p = fx.end();
    fx.q(9, "db", "INSERT INTO u VALUES (2)");
    const auto commit = fx.q(4, "db", "XA COMMIT X'74727831',X'',1");
    const auto r = at(fx.file(), std::to_string(p));
    CHECK(summary(r) == "xa_prepared .X'74727831',X'',1 4 " + std::to_string(prepare) + " -> " + std::to_string(commit));
    CHECK(summary(at(fx.file(), std::to_string(fx.end()))).empty());
  }

  TEST_CASE("hazards: MariaDB XA of mixed.000004 is open from its XA_prepare to its XA COMMIT / ROLLBACK") {
    // 0-1-37: XA_prepare at 688 (bk-xa-1, ends 731); 0-1-38 at 731: XA COMMIT query at 819.
    // 0-1-39: XA_prepare at 1275 (bk-xa-2, bqual branch, format 7, ends 1324); 0-1-40 at 1324:
    // XA ROLLBACK at 1379 (ends 1493).
    const auto f = testdata_file("mariadb-10.11/mixed.000004");
    CHECK(summary(at(f, "688")).empty());
    CHECK(summary(at(f, "731")) == "xa_prepared .X'626b2d78612d31',X'',1 7 688 -> 819");
    CHECK(summary(at(f, "819")) == "xa_prepared .X'626b2d78612d31',X'',1 7 688 -> 819");
    CHECK(summary(at(f, "976")).empty());
    CHECK(summary(at(f, "1324")) == "xa_prepared .X'626b2d78612d32',X'6272616e6368',7 7 1275 -> 1379");
    CHECK(summary(at(f, "1493")).empty());
  }

  TEST_CASE("hazards: hazard_tracker fed event by event lists what is open after each") {
    const auto f = testdata_file("mariadb-10.11/mixed.000002");
    bk::event_reader reader(bk::bytes{f.data.data(), f.data.size()});
    bk::hazard_tracker t;
    t.begin_file("mixed.000002");
    std::string seen;
    for (;;) {
      auto ev = reader.next();
      REQUIRE(ev.has_value());
      if (!*ev) break;
      auto d = bk::decode(**ev);
      REQUIRE(d.has_value());
      REQUIRE(t.feed(**ev, *d).has_value());
      const auto open = t.open_at();
      const auto end = (*ev)->end_offset();
      if (end == 3052 || end == 3232 || end == 3731 || end == 3899) {
        seen += std::to_string(end) + ":" + std::to_string(open.size()) + " ";
        if (end == 3232) {
          REQUIRE(open.size() == 1);
          CHECK(open[0].kind == bk::hazard_kind::temporary_table);
          CHECK(open[0].opened == bk::hazard_place{"mixed.000002", 3094, "0-1-31"});
          CHECK(!open[0].needed_by);
        }
      }
    }
    CHECK(seen == "3052:0 3232:1 3731:1 3899:0 ");
  }

  TEST_CASE("hazards: points not in the input are errors") {
    const auto f = testdata_file("mariadb-10.11/mixed.000002");
    CHECK(at(f, "3300").failure == "mixed.000002: offset 3300 is not where an event starts");
    CHECK(at(f, "99999").failure == "mixed.000002: offset 99999 is past the end of the file");
    CHECK(at(f, "0-1-999").failure == "no transaction of the GTID set 0-1-999 is in the input");
    CHECK(at(f, "other.000001:4").failure == "other.000001: not one of the inputs");
    CHECK(!bk::parse_hazard_point("mixed.000002:").has_value());
  }
}

namespace {

// A MySQL 8.0 GTID event body: | 1 flags | 16 uuid | 8 gno | 1 lt type (2) | 8 last | 8 seq |
std::vector<std::uint8_t> mysql_gtid(std::uint64_t gno) {
  byte_writer g;
  g.u8(1).raw({0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62})
      .u64(gno).u8(2).u64(0).u64(1);
  return g.data();
}

// TRANSACTION_PAYLOAD body with compression 255 (none): | 1 size | 2 type | 3 size | 0 | events |
std::vector<std::uint8_t> payload_of(const std::vector<std::vector<std::uint8_t>>& events) {
  std::vector<std::uint8_t> payload;
  for (const auto& e : events) payload.insert(payload.end(), e.begin(), e.end());
  byte_writer p, size_v, comp_v, usize_v;
  size_v.packed(payload.size());
  comp_v.packed(255);
  usize_v.packed(payload.size());
  p.packed(1).packed(size_v.size()).raw(size_v).packed(2).packed(comp_v.size()).raw(comp_v);
  p.packed(3).packed(usize_v.size()).raw(usize_v).packed(0).raw(bk::bytes(payload.data(), payload.size()));
  return p.data();
}

// A MariaDB QUERY_COMPRESSED body: the QUERY layout with the statement stored as
// | 0x80 | n | n bytes original length, big-endian | zlib stream |  (here n = 4).
std::vector<std::uint8_t> compressed_query(std::uint32_t thread, std::string_view db, std::string_view sql) {
  uLongf size = compressBound(static_cast<uLong>(sql.size()));
  std::vector<std::uint8_t> z(size);
  REQUIRE(compress(z.data(), &size, reinterpret_cast<const Bytef*>(sql.data()), static_cast<uLong>(sql.size())) == Z_OK);
  byte_writer w;
  w.u32(thread).u32(0).u8(db.size()).u16(0).u16(0).cstr(db).u8(0x84);
  for (int i = 3; i >= 0; --i) w.u8(static_cast<std::uint8_t>(sql.size() >> (8 * i)));
  w.raw(bk::bytes(z.data(), size));
  return w.data();
}

}  // namespace

TEST_SUITE("hazards") {
  TEST_CASE("hazards: a statement inside a MySQL transaction payload uses a temporary table") {
    bk_test::binlog_builder b{bk_test::server::mysql_8_0, false};
    const auto create = b.add(bk::event_type::query, bk_test::as_bytes(query(5, "db", "CREATE TEMPORARY TABLE t1 (a INT)")));
    const auto p1 = b.data().size();
    b.add(bk::event_type::gtid, bk_test::as_bytes(mysql_gtid(24)));
    byte_writer x;
    x.u64(3);
    const auto use = b.add(bk::event_type::transaction_payload, bk_test::as_bytes(payload_of({
        bk_test::make_event(bk::event_type::query, bk_test::as_bytes(query(5, "db", "BEGIN")), false),
        bk_test::make_event(bk::event_type::query, bk_test::as_bytes(query(5, "db", "INSERT INTO t2 SELECT a FROM t1")), false),
        bk_test::make_event(bk::event_type::xid, bk_test::as_bytes(x.data()), false)})));
    const auto p2 = b.data().size();
    b.add(bk::event_type::query, bk_test::as_bytes(query(5, "db", "DROP /*!40005 TEMPORARY */ TABLE IF EXISTS `t1`")));
    const loaded l{"payload.000001", b.data()};
    // The payload's INSERT needs t1 before the session's closing DROP ... IF EXISTS.
    CHECK(summary(at(l, std::to_string(p1))) ==
          "temporary_table db.t1 5 " + std::to_string(create) + " -> " + std::to_string(use));
    CHECK(summary(at(l, std::to_string(p2))).empty());
  }

  TEST_CASE("hazards: MariaDB compressed statements are read inflated") {
    bk_test::binlog_builder b{bk_test::server::mariadb_10_11, false};
    const auto create = b.add(bk::event_type::query_compressed,
                              bk_test::as_bytes(compressed_query(7, "app", "CREATE TEMPORARY TABLE scratch (a INT)")));
    const auto p1 = b.data().size();
    const auto use = b.add(bk::event_type::query_compressed,
                           bk_test::as_bytes(compressed_query(7, "app", "UPDATE t JOIN scratch USING (a) SET t.b = 1")));
    b.add(bk::event_type::query, bk_test::as_bytes(query(7, "app", "DROP /*!40005 TEMPORARY */ TABLE IF EXISTS `scratch`")));
    const loaded l{"compressed.000001", b.data()};
    CHECK(summary(at(l, std::to_string(p1))) ==
          "temporary_table app.scratch 7 " + std::to_string(create) + " -> " + std::to_string(use));
  }

  TEST_CASE("hazards: more temporary tables open at once than can be followed is an error, not a cut list") {
    fixture fx;
    for (int i = 0; i < 4096; ++i) fx.q(5, "db", "CREATE TEMPORARY TABLE t" + std::to_string(i) + " (a INT)");
    const auto full = fx.end();
    const auto r = at(fx.file(), std::to_string(full));
    REQUIRE_MESSAGE(r.ok(), r.failure);
    CHECK(r.hazards.size() == 4096);
    const auto over = fx.q(5, "db", "CREATE TEMPORARY TABLE t4096 (a INT)");
    const auto r2 = at(fx.file(), std::to_string(fx.end()));
    CHECK(r2.hazards.empty());
    CHECK(r2.failure == "fixture.000001: bad_body at offset " + std::to_string(over) +
                            " (Query event, type 2): more than 4096 temporary tables open at once: too many to follow");
  }
}


namespace {

// A MySQL 8.0 log that starts with the XID of a transaction begun in a log not given, then
// a transaction, a CREATE TEMPORARY TABLE, the point, [a COMMIT out of place,] and a
// transaction that uses the table.
struct started_inside_log {
  std::vector<std::uint8_t> data;
  std::uint64_t tail = 0, create = 0, point = 0, stray = 0, use = 0;
};
started_inside_log started_inside_set(bool stray) {
  bk_test::binlog_builder b{bk_test::server::mysql_8_0, false};
  const bk_test::header_spec h{};
  byte_writer x;
  x.u64(3);
  started_inside_log out;
  out.tail = b.add(bk::event_type::xid, bk_test::as_bytes(x.data()), h);
  b.add(bk::event_type::gtid, bk_test::as_bytes(mysql_gtid(24)), h);
  b.add(bk::event_type::query, bk_test::as_bytes(query(5, "db", "BEGIN")), h);
  b.add(bk::event_type::query, bk_test::as_bytes(query(5, "db", "INSERT INTO u VALUES (1)")), h);
  b.add(bk::event_type::xid, bk_test::as_bytes(x.data()), h);
  out.create = b.add(bk::event_type::query, bk_test::as_bytes(query(5, "db", "CREATE TEMPORARY TABLE t1 (a INT)")), h);
  out.point = b.data().size();
  // Once the grammar is in step, a COMMIT out of place is damage again (after the point:
  // the reading on stops there with a warning).
  if (stray) out.stray = b.add(bk::event_type::query, bk_test::as_bytes(query(5, "db", "COMMIT")), h);
  b.add(bk::event_type::gtid, bk_test::as_bytes(mysql_gtid(25)), h);
  b.add(bk::event_type::query, bk_test::as_bytes(query(5, "db", "BEGIN")), h);
  out.use = b.add(bk::event_type::query, bk_test::as_bytes(query(5, "db", "INSERT INTO u SELECT a FROM t1")), h);
  b.add(bk::event_type::xid, bk_test::as_bytes(x.data()), h);
  out.data = b.data();
  return out;
}

}  // namespace

TEST_SUITE("hazards") {
  TEST_CASE("hazards: an input that starts inside a transaction (relay logs purged) is read from its next start") {
    for (const bool stray : {false, true}) {
      CAPTURE(stray);
      const auto set = started_inside_set(stray);
      const auto r = at(loaded{"relay-bin.000007", set.data}, std::to_string(set.point));
      CHECK(r.started_inside == "relay-bin.000007:" + std::to_string(set.tail));
      if (!stray) {
        CHECK(summary(r) == "temporary_table db.t1 5 " + std::to_string(set.create) + " -> " + std::to_string(set.use));
        CHECK(r.read_on_warning.empty());
      } else {
        CHECK(summary(r) == "temporary_table db.t1 5 " + std::to_string(set.create) + " -> later");
        CHECK(r.read_on_warning == "relay-bin.000007: bad_body at offset " + std::to_string(set.stray) +
                                       " (Query event, type 2): COMMIT or ROLLBACK outside a transaction");
      }
    }
  }


}

TEST_SUITE("hazards") {
  TEST_CASE("hazards: a backquoted temporary table name is kept as written, blanks and comment marks in it") {
    for (const std::string name : {"t\n*/ x", "a  b", "/*!50000 c*/", "t``q"}) {
      CAPTURE(name);
      fixture fx;
      const auto create = fx.q(6, "db", "CREATE TEMPORARY TABLE `" + name + "` (a INT)");
      const auto p = fx.end();
      const auto use = fx.q(6, "db", "INSERT INTO u SELECT a FROM `" + name + "`");
      fx.q(6, "db", "DROP /*!40005 TEMPORARY */ TABLE IF EXISTS `" + name + "`");
      const auto r = at(fx.file(), std::to_string(p));
      std::string unquoted;  // the name as the server knows it: `` is one `
      for (std::size_t i = 0; i < name.size(); ++i) unquoted += name[i], i += name.compare(i, 2, "``") == 0 ? 1 : 0;
      CHECK(summary(r) == "temporary_table db." + unquoted + " 6 " + std::to_string(create) + " -> " + std::to_string(use));
    }
  }
}

namespace {

// A log whose format description at offset 4 has `created` != 0 (its writer started),
// written by `writer`; then, for a relay log, the source's Rotate (server 1); then `sql`
// by session 5 of server 1. Returns the log and the statement's offset.
std::pair<std::vector<std::uint8_t>, std::uint64_t> started_log(std::uint32_t writer, bool relay, std::string_view sql) {
  bk_test::header_spec fde;
  fde.server_id = writer;
  fde.timestamp = 1700000500;
  bk_test::binlog_builder b{bk_test::server::mysql_5_1, false, fde};
  const bk_test::header_spec source{};  // server 1
  if (relay) {
    byte_writer r;  // ROTATE body: | 8 position | next file name |
    r.u64(4).str("binlog.000002");
    b.add(bk::event_type::rotate, bk_test::as_bytes(r.data()), source);
  }
  const auto at = b.add(bk::event_type::query, bk_test::as_bytes(query(5, "db", sql)), source);
  return {b.data(), at};
}

}  // namespace

TEST_SUITE("hazards") {
  TEST_CASE("hazards: a relay log written after the replica restarted keeps the source's temporary tables open") {
    const auto [a, create] = started_log(2, true, "CREATE TEMPORARY TABLE t1 (a INT)");
    const auto [b, use] = started_log(2, true, "INSERT INTO u SELECT a FROM t1");
    const std::string point = "relay-bin.000001:" + std::to_string(a.size());
    const auto r = bk::find_hazards({{"relay-bin.000001", {a.data(), a.size()}}, {"relay-bin.000002", {b.data(), b.size()}}},
                                    *bk::parse_hazard_point(point));
    // The replica's restart lost the table; the source's session goes on using it.
    REQUIRE(r.hazards.size() == 1);
    CHECK(summary(r) == "temporary_table db.t1 5 " + std::to_string(create) + " -> " + std::to_string(use));
    CHECK(r.hazards[0].needed_by->file == "relay-bin.000002");
    // A binlog of a source that restarted: its sessions ended, nothing needs t1 any more.
    const auto [c, create2] = started_log(1, false, "CREATE TEMPORARY TABLE t1 (a INT)");
    const auto [d, use2] = started_log(1, false, "INSERT INTO u SELECT a FROM t1");
    const auto r2 = bk::find_hazards({{"binlog.000001", {c.data(), c.size()}}, {"binlog.000002", {d.data(), d.size()}}},
                                     *bk::parse_hazard_point("binlog.000001:" + std::to_string(c.size())));
    CHECK(summary(r2).empty());
    (void)create2, (void)use2;
  }
}
