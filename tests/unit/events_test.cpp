// Typed event decoders: hand-built bodies with exact field values, one case per layout,
// and the errors that malformed bodies must give. Bodies are laid out as the table beside
// each decoder in src/events/events.cpp says, under the post-header lengths of real servers.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "binlogkit/events/events.hpp"
#include "binlogkit/events/reader.hpp"
#include "support/binlog_builder.hpp"

using namespace binlogkit;
using namespace bk_test;

namespace {

constexpr server mariadb = server::mariadb_10_11;
constexpr server mysql80 = server::mysql_8_0;

// The decoded value: views into `e`, so `e` must outlive it (a temporary is refused).
template <class T>
T decoded_as(hand_event&& e) = delete;
template <class T>
T decoded_as(const hand_event& e) {
  auto r = decode(e.view);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
  REQUIRE(std::holds_alternative<T>(*r));
  return std::get<T>(*r);
}

// The error decode() gives (errc::ok for a value); checks that it names the event's
// offset and type.
errc error_of(const hand_event& e) {
  auto r = decode(e.view);
  if (r.has_value()) return errc::ok;
  CHECK(r.error().offset == e.view.offset);
  CHECK(r.error().event_type == e.view.header.type_code);
  return r.error().code;
}

// QUERY body: | 4 thread | 4 exec | 1 db len | 2 error | 2 vars len | vars | db | NUL | query |
std::vector<std::uint8_t> query_body(bytes vars, std::string_view db, std::string_view query,
                                     std::uint32_t thread = 77, std::uint32_t exec = 3,
                                     std::uint16_t error = 0) {
  byte_writer w;
  w.u32(thread).u32(exec).u8(db.size()).u16(error).u16(vars.size()).raw(vars).cstr(db).str(query);
  return w.data();
}

uuid_bytes uuid_of(std::initializer_list<std::uint8_t> b) {
  uuid_bytes u{};
  std::copy(b.begin(), b.end(), u.begin());
  return u;
}
const uuid_bytes test_sid = uuid_of({0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a,
                                     0xa9, 0x42, 0x95, 0x62});

}  // namespace

TEST_SUITE("events") {
  // ---- statements ---------------------------------------------------------------------

  TEST_CASE("query: post-header, database and text, with no status variables") {
    hand_event e(mariadb, event_type::query, query_body({}, "shop", "CREATE TABLE t (a INT)", 9, 2, 1050));
    auto q = decoded_as<query_event>(e);
    CHECK(q.thread_id == 9);
    CHECK(q.exec_time == 2);
    CHECK(q.error_code == 1050);
    CHECK(q.database == "shop");
    CHECK(q.query == "CREATE TABLE t (a INT)");
    CHECK(q.status_vars.empty());
    CHECK_FALSE(q.compressed);
    CHECK_FALSE(q.status().flags2.has_value());
  }

  TEST_CASE("query: every status variable code decodes to its field") {
    byte_writer v;
    v.u8(0).u32(0x4000);                               // Q_FLAGS2_CODE
    v.u8(1).u64(0x0000000080200000ull);                // Q_SQL_MODE_CODE
    v.u8(3).u16(5).u16(2);                             // Q_AUTO_INCREMENT
    v.u8(4).u16(33).u16(45).u16(8);                    // Q_CHARSET_CODE
    v.u8(5).u8(6).str("+02:00");                       // Q_TIME_ZONE_CODE
    v.u8(6).u8(3).str("std");                          // Q_CATALOG_NZ_CODE
    v.u8(7).u16(2);                                    // Q_LC_TIME_NAMES_CODE
    v.u8(8).u16(224);                                  // Q_CHARSET_DATABASE_CODE
    v.u8(9).u64(0x5);                                  // Q_TABLE_MAP_FOR_UPDATE_CODE
    v.u8(10).u32(1234);                                // Q_MASTER_DATA_WRITTEN_CODE
    v.u8(11).u8(4).str("root").u8(9).str("localhost"); // Q_INVOKER
    v.u8(12).u8(2).cstr("db1").cstr("db2");            // Q_UPDATED_DB_NAMES
    v.u8(13).u24(999999);                              // Q_MICROSECONDS
    v.u8(14).u64(1);                                   // Q_COMMIT_TS (skipped)
    v.u8(15).u64(2);                                   // Q_COMMIT_TS2 (skipped)
    v.u8(16).u8(1);                                    // Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP
    v.u8(17).u64(0x1122334455667788ull);               // Q_DDL_LOGGED_WITH_XID
    v.u8(18).u16(255);                                 // Q_DEFAULT_COLLATION_FOR_UTF8MB4
    v.u8(19).u8(1);                                    // Q_SQL_REQUIRE_PRIMARY_KEY
    v.u8(20).u8(1);                                    // Q_DEFAULT_TABLE_ENCRYPTION
    auto body = query_body(v, "db1", "DROP TABLE t");
    hand_event e(mysql80, event_type::query, body);
    auto s = decoded_as<query_event>(e).status();
    CHECK(s.flags2 == 0x4000u);
    CHECK(s.sql_mode == 0x0000000080200000ull);
    CHECK(s.auto_increment_increment == 5);
    CHECK(s.auto_increment_offset == 2);
    CHECK(s.charset_client == 33);
    CHECK(s.collation_connection == 45);
    CHECK(s.collation_server == 8);
    CHECK(s.time_zone == "+02:00");
    CHECK(s.catalog == "std");
    CHECK(s.lc_time_names == 2);
    CHECK(s.collation_database == 224);
    CHECK(s.table_map_for_update == 5u);
    CHECK(s.master_data_written == 1234u);
    CHECK(s.invoker_user == "root");
    CHECK(s.invoker_host == "localhost");
    CHECK(s.updated_db_count == 2);
    CHECK(s.updated_dbs[0] == "db1");
    CHECK(s.updated_dbs[1] == "db2");
    CHECK(s.microseconds == 999999u);
    CHECK(s.explicit_defaults_ts == 1);
    CHECK(s.ddl_xid == 0x1122334455667788ull);
    CHECK(s.default_collation_utf8mb4 == 255);
    CHECK(s.sql_require_primary_key == 1);
    CHECK(s.default_table_encryption == 1);
    CHECK_FALSE(s.unknown_code.has_value());
  }

  TEST_CASE("query: MariaDB status variables 128-131 (hrnow, xid, gtid flags3, charset collations)") {
    byte_writer v;
    v.u8(128).u24(123456);                   // Q_HRNOW
    v.u8(129).u64(42);                       // Q_XID
    v.u8(130).u8(0x03);                      // Q_GTID_FLAGS3
    v.u8(131).u8(2).u16(8).u16(47).u16(33).u16(192);  // Q_CHARACTER_SET_COLLATIONS
    hand_event e(mariadb, event_type::query, query_body(v, "", "COMMIT"));
    auto s = decoded_as<query_event>(e).status();
    CHECK(s.microseconds == 123456u);
    CHECK(s.ddl_xid == 42u);
    CHECK(s.gtid_flags3 == 3);
    REQUIRE(s.character_set_collations.size() == 8);
    CHECK(s.character_set_collations[0] == 8);
    CHECK(s.character_set_collations[6] == 192);
  }

  TEST_CASE("query: the 5.0.0-5.0.3 catalog code 2 has a length, the name and a NUL") {
    byte_writer v;
    v.u8(2).u8(3).cstr("std").u8(0).u32(7);
    auto s = decode_query_status(v, 100, 2);
    REQUIRE(s.has_value());
    CHECK(s->catalog == "std");
    CHECK(s->flags2 == 7u);
  }

  TEST_CASE("query: an unknown status code stops the walk and is remembered") {
    byte_writer v;
    v.u8(0).u32(1).u8(99).u32(0xdeadbeef);
    auto s = decode_query_status(v, 0, 2);
    REQUIRE(s.has_value());
    CHECK(s->flags2 == 1u);
    CHECK(s->unknown_code == 99);
  }

  TEST_CASE("query: updated-databases count 254 means too many to list; 17 is bad_body") {
    byte_writer many;
    many.u8(12).u8(254);
    auto s = decode_query_status(many, 0, 2);
    REQUIRE(s.has_value());
    CHECK(s->updated_db_count == 254);
    CHECK(s->updated_dbs[0].empty());
    byte_writer bad;
    bad.u8(12).u8(17);
    for (int i = 0; i < 17; ++i) bad.cstr("d");
    auto r = decode_query_status(bad, 55, 2);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::bad_body);
    CHECK(r.error().offset == 55);
  }

  TEST_CASE("query: a status variable that runs past its block is bad_body") {
    byte_writer v;
    v.u8(1).u32(0);  // sql_mode needs 8 bytes
    CHECK(error_of(hand_event(mariadb, event_type::query, query_body(v, "db", "SELECT 1"))) == errc::bad_body);
    byte_writer tz;
    tz.u8(5).u8(10).str("UTC");
    CHECK(error_of(hand_event(mariadb, event_type::query, query_body(tz, "db", "SELECT 1"))) == errc::bad_body);
  }

  TEST_CASE("query: a status-variable length past the event, or a database without its NUL, is bad_body") {
    byte_writer w;
    w.u32(1).u32(0).u8(2).u16(0).u16(500).str("db");
    CHECK(error_of(hand_event(mariadb, event_type::query, w)) == errc::bad_body);
    byte_writer nonul;
    nonul.u32(1).u32(0).u8(2).u16(0).u16(0).str("dbX").str("SELECT 1");
    CHECK(error_of(hand_event(mariadb, event_type::query, nonul)) == errc::bad_body);
  }

  TEST_CASE("query: a body shorter than the 13-byte post-header is bad_post_header") {
    byte_writer w;
    w.u32(1).u32(0).u8(0).u16(0);
    CHECK(error_of(hand_event(mariadb, event_type::query, w)) == errc::bad_post_header);
  }

  TEST_CASE("query: MariaDB QUERY_COMPRESSED keeps the compressed bytes and says so") {
    hand_event e(mariadb, event_type::query_compressed, query_body({}, "db1", std::string("\x80\x00\x10x\x9c", 5)));
    auto q = decoded_as<query_event>(e);
    CHECK(q.compressed);
    CHECK(q.query.size() == 5);
  }

  TEST_CASE("query: EXECUTE_LOAD_QUERY adds file id, file-name positions and duplicate handling") {
    byte_writer w;
    w.u32(5).u32(0).u8(4).u16(0).u16(0).u32(17).u32(10).u32(25).u8(1).cstr("test").str("LOAD DATA INFILE 'x.txt' INTO TABLE t");
    hand_event e(mysql80, event_type::execute_load_query, w);
    auto q = decoded_as<query_event>(e);
    CHECK(q.thread_id == 5);
    CHECK(q.database == "test");
    CHECK(q.file_id == 17);
    CHECK(q.fn_pos_start == 10);
    CHECK(q.fn_pos_end == 25);
    CHECK(q.dup_handling == 1);
    CHECK(q.query == "LOAD DATA INFILE 'x.txt' INTO TABLE t");
  }

  TEST_CASE("rotate: position and next file name") {
    byte_writer w;
    w.u64(4).str("mysql-bin.000002");
    hand_event e(mysql80, event_type::rotate, w);
    auto r = decoded_as<rotate_event>(e);
    CHECK(r.position == 4);
    CHECK(r.next_file == "mysql-bin.000002");
  }

  TEST_CASE("rotate: empty file name is bad_body") {
    byte_writer w;
    w.u64(4);
    CHECK(error_of(hand_event(mysql80, event_type::rotate, w)) == errc::bad_body);
  }

  TEST_CASE("rotate: a file name with a NUL byte is bad_body") {
    byte_writer w;
    w.u64(4).cstr("bin.000002");
    CHECK(error_of(hand_event(mariadb, event_type::rotate, w)) == errc::bad_body);
  }

  TEST_CASE("rotate: a body shorter than the 8-byte position is bad_post_header") {
    byte_writer w;
    w.u32(4);
    CHECK(error_of(hand_event(mariadb, event_type::rotate, w)) == errc::bad_post_header);
  }

  TEST_CASE("rotate: binlog version 1 has no position, only the name") {
    auto v1 = format_description::for_binlog_version(1);
    hand_event e(v1, event_type::rotate, as_bytes(std::string_view("bin.002")));
    auto r = decoded_as<rotate_event>(e);
    CHECK(r.position == 0);
    CHECK(r.next_file == "bin.002");
  }

  TEST_CASE("intvar: LAST_INSERT_ID and INSERT_ID with their values; type 3 is bad_body") {
    byte_writer a, b, c, s;
    a.u8(1).u64(0xffffffffffffffffull);
    b.u8(2).u64(5);
    c.u8(3).u64(5);
    s.u8(2).u32(5);
    hand_event e1(mariadb, event_type::intvar, a);
    auto x = decoded_as<intvar_event>(e1);
    CHECK(x.kind == 1);
    CHECK(x.value == 0xffffffffffffffffull);
    hand_event e2(mariadb, event_type::intvar, b);
    auto y = decoded_as<intvar_event>(e2);
    CHECK(y.kind == 2);
    CHECK(y.value == 5);
    CHECK(error_of(hand_event(mariadb, event_type::intvar, c)) == errc::bad_body);
    CHECK(error_of(hand_event(mariadb, event_type::intvar, s)) == errc::bad_body);
  }

  TEST_CASE("rand: two 8-byte seeds; 15 bytes is bad_body") {
    byte_writer w;
    w.u64(0x0102030405060708ull).u64(42);
    hand_event e(mysql80, event_type::rand, w);
    auto r = decoded_as<rand_event>(e);
    CHECK(r.seed1 == 0x0102030405060708ull);
    CHECK(r.seed2 == 42);
    CHECK(error_of(hand_event(mysql80, event_type::rand, w.span().first(15))) == errc::bad_body);
  }

  TEST_CASE("user_var: NULL has a name and nothing else") {
    byte_writer w;
    w.u32(1).str("a").u8(1);
    hand_event e(mariadb, event_type::user_var, w);
    auto u = decoded_as<user_var_event>(e);
    CHECK(u.name == "a");
    CHECK(u.is_null);
    CHECK(u.value.empty());
  }

  TEST_CASE("user_var: a string with its charset, an unsigned integer with its flags byte") {
    byte_writer s;
    s.u32(3).str("abc").u8(0).u8(0).u32(33).u32(5).str("hello");
    hand_event e1(mariadb, event_type::user_var, s);
    auto a = decoded_as<user_var_event>(e1);
    CHECK(a.name == "abc");
    CHECK_FALSE(a.is_null);
    CHECK(a.value_type == 0);
    CHECK(a.charset == 33);
    CHECK(as_string(a.value) == "hello");
    CHECK(a.flags == 0);
    byte_writer i;
    i.u32(1).str("n").u8(0).u8(2).u32(63).u32(8).u64(0xffffffffffffffffull).u8(1);
    hand_event e2(mysql80, event_type::user_var, i);
    auto b = decoded_as<user_var_event>(e2);
    CHECK(b.value_type == 2);
    CHECK(b.value.size() == 8);
    CHECK(b.flags == 1);
  }

  TEST_CASE("user_var: value types 3 (ROW) and 5 are bad_body; a value past the event is bad_body") {
    for (std::uint64_t type : {3u, 5u}) {
      byte_writer w;
      w.u32(1).str("v").u8(0).u8(type).u32(63).u32(1).u8(7);
      CHECK(error_of(hand_event(mysql80, event_type::user_var, w)) == errc::bad_body);
    }
    byte_writer past;
    past.u32(1).str("v").u8(0).u8(0).u32(63).u32(100).str("short");
    CHECK(error_of(hand_event(mysql80, event_type::user_var, past)) == errc::bad_body);
    byte_writer name;
    name.u32(50).str("v");
    CHECK(error_of(hand_event(mysql80, event_type::user_var, name)) == errc::bad_body);
  }

  TEST_CASE("xid: the 8-byte transaction id; 7 bytes is bad_body") {
    byte_writer w;
    w.u64(0x00000000deadbeefull);
    hand_event e(mariadb, event_type::xid, w);
    CHECK(decoded_as<xid_event>(e).xid == 0xdeadbeefull);
    CHECK(error_of(hand_event(mariadb, event_type::xid, w.span().first(7))) == errc::bad_body);
  }

  TEST_CASE("incident: number and length-prefixed message; a message past the event is bad_body") {
    byte_writer w;
    w.u16(1).u8(11).str("LOST_EVENTS");
    hand_event e(mysql80, event_type::incident, w);
    auto i = decoded_as<incident_event>(e);
    CHECK(i.incident == 1);
    CHECK(i.message == "LOST_EVENTS");
    byte_writer past;
    past.u16(1).u8(20).str("short");
    CHECK(error_of(hand_event(mysql80, event_type::incident, past)) == errc::bad_body);
  }

  TEST_CASE("incident: a number other than LOST_EVENTS (1) is bad_body") {
    // The corpus's bug40482 file holds such an event (number 0x4200) on purpose.
    byte_writer w;
    w.u16(0x4200).u8(0);
    CHECK(error_of(hand_event(mysql80, event_type::incident, w)) == errc::bad_body);
  }

  // MySQL's Incident_event reads the message length byte unconditionally (0 for none).
  TEST_CASE("incident: a body without its message length byte is bad_body") {
    byte_writer w;
    w.u16(1);
    CHECK(error_of(hand_event(mysql80, event_type::incident, w)) == errc::bad_body);
  }

  TEST_CASE("heartbeat v1: the body is the file name, the position is log_pos") {
    header_spec h;
    h.log_pos = 12345;
    hand_event e(mysql80, event_type::heartbeat, as_bytes(std::string_view("binlog.000007")), h);
    auto hb = decoded_as<heartbeat_event>(e);
    CHECK(hb.log_file == "binlog.000007");
    CHECK(hb.position == 12345);
  }

  TEST_CASE("heartbeat v2: file name and packed position fields up to the end mark") {
    byte_writer pos;
    pos.packed(0x123456789ull);
    byte_writer w;
    w.u8(1).packed(13).str("binlog.000007").u8(2).packed(pos.size()).raw(pos).u8(0);
    hand_event e(mysql80, event_type::heartbeat_v2, w);
    auto hb = decoded_as<heartbeat_event>(e);
    CHECK(hb.log_file == "binlog.000007");
    CHECK(hb.position == 0x123456789ull);
    byte_writer past;
    past.u8(1).packed(30).str("binlog");
    CHECK(error_of(hand_event(mysql80, event_type::heartbeat_v2, past)) == errc::bad_body);
  }

  TEST_CASE("rows_query: the length byte is skipped, the query is the rest (even past 255 bytes)") {
    std::string q(300, 'x');
    byte_writer w;
    w.u8(44).str(q);  // 300 & 0xff
    hand_event e(mysql80, event_type::rows_query, w);
    CHECK(decoded_as<rows_query_event>(e).query == q);
    CHECK(error_of(hand_event(mysql80, event_type::rows_query, bytes{})) == errc::bad_body);
  }

  TEST_CASE("annotate_rows: the body is the statement") {
    hand_event e(mariadb, event_type::annotate_rows,
                                                        as_bytes(std::string_view("INSERT INTO t VALUES (1)")));
    auto a = decoded_as<annotate_rows_event>(e);
    CHECK(a.query == "INSERT INTO t VALUES (1)");
  }

  TEST_CASE("stop and ignorable events decode to their empty types; an unknown type to unknown_event") {
    CHECK(std::holds_alternative<stop_event>(*decode(hand_event(mariadb, event_type::stop, bytes{}).view)));
    CHECK(std::holds_alternative<ignorable_event>(*decode(hand_event(mysql80, event_type::ignorable, bytes{}).view)));
    hand_event u(mariadb, static_cast<std::uint8_t>(99), as_bytes(std::string_view("??")));
    auto r = decode(u.view);
    REQUIRE(r.has_value());
    REQUIRE(std::holds_alternative<unknown_event>(*r));
    CHECK(std::get<unknown_event>(*r).body.size() == 2);
  }

  // ---- LOAD DATA ----------------------------------------------------------------------

  TEST_CASE("load: LOAD (6) has single-character terminators") {
    byte_writer w;
    w.u32(3).u32(1).u32(2).u8(1).u8(4).u32(2);        // thread, exec, skip, table len, db len, fields
    w.str("\t").str("\"").str("\n").str(">").str("\\").u8(0x02).u8(0x1f);
    w.u8(1).u8(2).cstr("a").cstr("bc").cstr("t").cstr("test").str("/tmp/data.txt");
    hand_event e(mariadb, event_type::load, w);
    auto l = decoded_as<load_event>(e);
    CHECK(l.thread_id == 3);
    CHECK(l.exec_time == 1);
    CHECK(l.skip_lines == 2);
    CHECK(l.num_fields == 2);
    CHECK(l.field_term == "\t");
    CHECK(l.enclosed == "\"");
    CHECK(l.line_term == "\n");
    CHECK(l.line_start == ">");
    CHECK(l.escaped == "\\");
    CHECK(l.opt_flags == 0x02);
    CHECK(l.empty_flags == 0x1f);
    CHECK(l.field_lens.size() == 2);
    CHECK(as_string(l.field_names) == std::string("a\0bc\0", 5));
    CHECK(l.table == "t");
    CHECK(l.database == "test");
    CHECK(l.file_name == "/tmp/data.txt");
  }

  TEST_CASE("load: NEW_LOAD (12) has length-prefixed terminators") {
    byte_writer w;
    w.u32(3).u32(0).u32(0).u8(2).u8(2).u32(0);
    w.u8(2).str(",;").u8(0).u8(1).str("\n").u8(0).u8(1).str("\\").u8(0);
    w.cstr("t1").cstr("db").str("data.csv");
    hand_event e(mariadb, event_type::new_load, w);
    auto l = decoded_as<load_event>(e);
    CHECK(l.field_term == ",;");
    CHECK(l.enclosed.empty());
    CHECK(l.line_term == "\n");
    CHECK(l.escaped == "\\");
    CHECK(l.table == "t1");
    CHECK(l.database == "db");
    CHECK(l.file_name == "data.csv");
  }

  TEST_CASE("load: CREATE_FILE (8) carries a file id, a NUL-terminated name and the first block") {
    byte_writer w;
    w.u32(3).u32(0).u32(0).u8(1).u8(2).u32(0).u32(9);  // LOAD post-header, then file id
    w.u8(1).str(",").u8(0).u8(1).str("\n").u8(0).u8(0).u8(0);
    w.cstr("t").cstr("db").cstr("f.txt").str("1,2\n3,4\n");
    const auto v3 = format_description::for_binlog_version(3);
    hand_event e(v3, event_type::create_file, w);
    auto l = decoded_as<load_event>(e);
    CHECK(l.file_id == 9);
    CHECK(l.file_name == "f.txt");
    CHECK(as_string(l.block) == "1,2\n3,4\n");
    byte_writer nonul;
    nonul.u32(3).u32(0).u32(0).u8(1).u8(2).u32(0).u32(9);
    nonul.u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).cstr("t").cstr("db").str("f.txt");
    CHECK(error_of(hand_event(v3, event_type::create_file, nonul)) == errc::bad_body);
  }

  TEST_CASE("load: a field list longer than the event is bad_body") {
    byte_writer w;
    w.u32(3).u32(0).u32(0).u8(1).u8(2).u32(1000);
    w.u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(1);
    CHECK(error_of(hand_event(mariadb, event_type::new_load, w)) == errc::bad_body);
  }

  TEST_CASE("file blocks: APPEND_BLOCK, BEGIN_LOAD_QUERY, EXEC_LOAD and DELETE_FILE") {
    byte_writer data;
    data.u32(12).str("a,b\n");
    for (auto t : {event_type::append_block, event_type::begin_load_query}) {
      hand_event e1(mysql80, t, data);
      auto b = decoded_as<file_block_event>(e1);
      CHECK(b.file_id == 12);
      CHECK(as_string(b.block) == "a,b\n");
    }
    byte_writer id;
    id.u32(12);
    for (auto t : {event_type::exec_load, event_type::delete_file}) {
      hand_event e2(server::mysql_5_1, t, id);
      auto b = decoded_as<file_block_event>(e2);
      CHECK(b.file_id == 12);
      CHECK(b.block.empty());
    }
    CHECK(error_of(hand_event(mysql80, event_type::append_block, id.span().first(3))) == errc::bad_post_header);
  }

  // ---- rows ---------------------------------------------------------------------------

  TEST_CASE("table_map: ids, names, types, metadata, null bitmap and optional metadata") {
    byte_writer w;
    w.u48(0x0000123456789aull).u16(1).u8(4).cstr("shop").u8(9).cstr("customers");
    w.packed(3).raw({3, 15, 246}).packed(3).raw({0x2c, 0x01, 0x0a}).u8(0b110);
    w.raw({1, 1, 0x80});  // optional metadata TLV: signedness
    hand_event e(mysql80, event_type::table_map, w);
    auto t = decoded_as<table_map_event>(e);
    CHECK(t.table_id == 0x123456789aull);
    CHECK(t.flags == 1);
    CHECK(t.database == "shop");
    CHECK(t.table == "customers");
    CHECK(t.column_count == 3);
    CHECK(as_string(t.column_types) == std::string("\x03\x0f\xf6", 3));
    CHECK(as_string(t.metadata) == std::string("\x2c\x01\x0a", 3));
    CHECK(as_string(t.null_bitmap) == std::string("\x06", 1));
    CHECK(t.optional_metadata.size() == 3);
  }

  TEST_CASE("table_map: a 6-byte post-header has a 4-byte table id") {
    std::vector<std::uint8_t> lens(mysql_5_1_post_headers, mysql_5_1_post_headers + sizeof mysql_5_1_post_headers);
    lens[18] = 6;  // TABLE_MAP
    auto fde = make_fde("5.1.10-beta", as_bytes(lens), std::nullopt);
    auto fd = format_description::decode(as_bytes(fde), 4, 19);
    REQUIRE(fd.has_value());
    byte_writer w;
    w.u32(77).u16(0).u8(1).cstr("d").u8(1).cstr("t").packed(1).u8(3).packed(0).u8(0);
    hand_event e(*fd, event_type::table_map, w);
    auto t = decoded_as<table_map_event>(e);
    CHECK(t.table_id == 77);
    CHECK(t.database == "d");
  }

  TEST_CASE("table_map: zero columns, or more columns than bytes, is bad_body") {
    byte_writer zero;
    zero.u48(1).u16(0).u8(1).cstr("d").u8(1).cstr("t").packed(0);
    CHECK(error_of(hand_event(mysql80, event_type::table_map, zero)) == errc::bad_body);
    byte_writer many;
    many.u48(1).u16(0).u8(1).cstr("d").u8(1).cstr("t").packed(200).raw({3, 3});
    CHECK(error_of(hand_event(mysql80, event_type::table_map, many)) == errc::bad_body);
    byte_writer name;
    name.u48(1).u16(0).u8(10).str("d");
    CHECK(error_of(hand_event(mysql80, event_type::table_map, name)) == errc::bad_body);
  }

  TEST_CASE("rows v1: table id, flags, column bitmap, row images") {
    byte_writer w;
    w.u48(18).u16(rows_event::stmt_end_f).packed(3).u8(0b111).raw({0xf8, 1, 0, 0, 0});
    hand_event e(mariadb, event_type::write_rows_v1, w);
    auto r = decoded_as<rows_event>(e);
    CHECK(r.type == event_type::write_rows_v1);
    CHECK(r.table_id == 18);
    CHECK(r.flags == rows_event::stmt_end_f);
    CHECK(r.column_count == 3);
    CHECK(r.columns_before.size() == 1);
    CHECK(r.columns_after.empty());
    CHECK(r.rows.size() == 5);
    CHECK(r.extra_data.empty());
    CHECK_FALSE(r.compressed);
  }

  TEST_CASE("rows v2: extra data (its length counts itself), two bitmaps for an update") {
    byte_writer w;
    w.u48(108).u16(1).u16(2 + 5).raw({0, 3, 'a', 'b', 'c'}).packed(10).u16(0x03ff).u16(0x0201).raw({9, 9});
    hand_event e(mysql80, event_type::update_rows_v2, w);
    auto r = decoded_as<rows_event>(e);
    CHECK(r.table_id == 108);
    CHECK(r.extra_data.size() == 5);
    CHECK(r.extra_data[2] == 'a');
    CHECK(r.column_count == 10);
    CHECK(r.columns_before.size() == 2);
    CHECK(r.columns_after.size() == 2);
    CHECK(r.columns_after[1] == 0x02);
    CHECK(r.rows.size() == 2);
  }

  TEST_CASE("rows v2: an extra-data length below 2 is bad_post_header; zero columns is bad_body") {
    byte_writer small;
    small.u48(1).u16(0).u16(1).packed(1).u8(1);
    CHECK(error_of(hand_event(mysql80, event_type::write_rows_v2, small)) == errc::bad_post_header);
    byte_writer past;
    past.u48(1).u16(0).u16(40).raw({1, 2});
    CHECK(error_of(hand_event(mysql80, event_type::write_rows_v2, past)) == errc::bad_post_header);
    byte_writer zero;
    zero.u48(1).u16(0).u16(2).packed(0);
    CHECK(error_of(hand_event(mysql80, event_type::delete_rows_v2, zero)) == errc::bad_body);
    byte_writer bitmap;
    bitmap.u48(1).u16(0).u16(2).packed(100).u8(0xff);
    CHECK(error_of(hand_event(mysql80, event_type::delete_rows_v2, bitmap)) == errc::bad_body);
  }

  TEST_CASE("rows: MariaDB compressed v1 rows keep their compressed images and say so") {
    byte_writer w;
    w.u48(18).u16(1).packed(2).u8(3).u8(3).raw({0x80, 0x10, 0x78});
    hand_event e(mariadb, event_type::update_rows_compressed_v1, w);
    auto r = decoded_as<rows_event>(e);
    CHECK(r.compressed);
    CHECK(r.columns_after.size() == 1);
    CHECK(r.rows.size() == 3);
  }

  // ---- GTIDs --------------------------------------------------------------------------

  TEST_CASE("gtid: the MySQL 5.6 layout is flags, SID and GNO only") {
    byte_writer w;
    w.u8(1).raw(bytes(test_sid.data(), 16)).u64(23);
    hand_event e(server::mysql_5_6, event_type::gtid, w);
    auto g = decoded_as<gtid_event>(e);
    CHECK(g.flags == 1);
    CHECK(g.sid == test_sid);
    CHECK(g.gno == 23);
    CHECK_FALSE(g.has_logical_clock);
    CHECK_FALSE(g.immediate_commit_timestamp.has_value());
    CHECK_FALSE(g.anonymous);
    CHECK(format_uuid(g.sid) == "3e11fa47-71ca-11e1-9e33-c80aa9429562");
  }

  TEST_CASE("gtid: the MySQL 5.7 layout adds the logical clock; a clock type other than 2 is bad_body") {
    byte_writer w;
    w.u8(0).raw(bytes(test_sid.data(), 16)).u64(5).u8(2).u64(3).u64(4);
    hand_event e(server::mysql_5_7, event_type::anonymous_gtid, w);
    auto g = decoded_as<gtid_event>(e);
    CHECK(g.anonymous);
    CHECK(g.has_logical_clock);
    CHECK(g.last_committed == 3);
    CHECK(g.sequence_number == 4);
    byte_writer bad;
    bad.u8(0).raw(bytes(test_sid.data(), 16)).u64(5).u8(1).u64(3).u64(4);
    CHECK(error_of(hand_event(server::mysql_5_7, event_type::gtid, bad)) == errc::bad_body);
  }

  TEST_CASE("gtid: the MySQL 8.0 layout with both commit timestamps, length and both server versions") {
    byte_writer w;
    w.u8(0).raw(bytes(test_sid.data(), 16)).u64(100).u8(2).u64(7).u64(8);
    w.u56(1700000000123456ull | (1ull << 55)).u56(1690000000000001ull);
    w.packed(70000);
    w.u32(80040u | (1u << 31)).u32(50730);
    hand_event e(mysql80, event_type::gtid, w);
    auto g = decoded_as<gtid_event>(e);
    CHECK(g.gno == 100);
    CHECK(g.immediate_commit_timestamp == 1700000000123456ull);
    CHECK(g.original_commit_timestamp == 1690000000000001ull);
    CHECK(g.transaction_length == 70000u);
    CHECK(g.immediate_server_version == 80040u);
    CHECK(g.original_server_version == 50730u);
    CHECK_FALSE(g.commit_group_ticket.has_value());
  }

  TEST_CASE("gtid: without the 'original' bits the originals equal the immediates; 8.0.33 adds a ticket") {
    byte_writer w;
    w.u8(0).raw(bytes(test_sid.data(), 16)).u64(1).u8(2).u64(0).u64(1);
    w.u56(1700000000000000ull).packed(300).u32(80033).u64((1ull << 63) | 9);
    hand_event e(mysql80, event_type::gtid, w);
    auto g = decoded_as<gtid_event>(e);
    CHECK(g.original_commit_timestamp == 1700000000000000ull);
    CHECK(g.original_server_version == 80033u);
    CHECK(g.commit_group_ticket == 9u);
  }

  TEST_CASE("gtid: a body shorter than 25 bytes, or cut inside the clock, is bad_body") {
    byte_writer w;
    w.u8(0).raw(bytes(test_sid.data(), 16)).u64(1).u8(2).u64(0).u64(1);
    CHECK(error_of(hand_event(mysql80, event_type::gtid, w.span().first(24))) == errc::bad_body);
    CHECK(error_of(hand_event(mysql80, event_type::gtid, w.span().first(30))) == errc::bad_body);
  }

  TEST_CASE("gtid: a commit group ticket cut short is bad_body") {
    // 1-7 bytes after the server versions are a ticket cut short, not an older layout.
    byte_writer w;
    w.u8(0).raw(bytes(test_sid.data(), 16)).u64(1).u8(2).u64(0).u64(1);
    w.u56(1700000000000000ull).packed(300).u32(80033).u64((1ull << 63) | 9);
    CHECK(error_of(hand_event(mysql80, event_type::gtid, w.span().first(w.size() - 1))) == errc::bad_body);
  }

  TEST_CASE("gtid_tagged: serialized fields with a tag") {
    byte_writer fields;
    fields.varlen(0).varlen(1);                              // flags
    fields.varlen(1);                                        // uuid
    for (auto b : test_sid) fields.varlen(b);
    fields.varlen(2).varlen_signed(42);                      // gno
    fields.varlen(3).varlen(5).str("mytag");                 // tag
    fields.varlen(4).varlen_signed(10).varlen(5).varlen_signed(11);
    fields.varlen(6).varlen(1770368687207196ull).varlen(8).varlen(296);
    fields.varlen(9).varlen(90600);
    // | version | message size (the whole body) | last non-ignorable field | fields |
    std::size_t header = 3;
    std::size_t total = header + fields.size();
    byte_writer w;
    w.varlen(1).varlen(total).varlen(8).raw(fields);
    REQUIRE(w.size() == total);
    hand_event e(server::mysql_9_6, event_type::gtid_tagged, w);
    auto g = decoded_as<gtid_event>(e);
    CHECK(g.flags == 1);
    CHECK(g.sid == test_sid);
    CHECK(g.gno == 42);
    CHECK(g.tag == "mytag");
    CHECK(g.has_logical_clock);
    CHECK(g.last_committed == 10);
    CHECK(g.sequence_number == 11);
    CHECK(g.immediate_commit_timestamp == 1770368687207196ull);
    CHECK(g.original_commit_timestamp == 1770368687207196ull);
    CHECK(g.transaction_length == 296u);
    CHECK(g.immediate_server_version == 90600u);
    CHECK(g.original_server_version == 90600u);
  }

  TEST_CASE("gtid_tagged: an unknown field id, a missing UUID or a size past the event is bad_body") {
    auto build = [](const byte_writer& fields) {
      byte_writer w;
      w.varlen(1).varlen(3 + fields.size()).varlen(8).raw(fields);
      return w;
    };
    byte_writer unknown;
    unknown.varlen(1);
    for (auto b : test_sid) unknown.varlen(b);
    unknown.varlen(40).varlen(1);
    CHECK(error_of(hand_event(server::mysql_9_6, event_type::gtid_tagged, build(unknown))) == errc::bad_body);
    byte_writer no_uuid;
    no_uuid.varlen(2).varlen_signed(1);
    CHECK(error_of(hand_event(server::mysql_9_6, event_type::gtid_tagged, build(no_uuid))) == errc::bad_body);
    byte_writer big;
    big.varlen(1).varlen(500).varlen(8);
    CHECK(error_of(hand_event(server::mysql_9_6, event_type::gtid_tagged, big)) == errc::bad_body);
  }

  TEST_CASE("gtid_tagged: the 9.6 server's event decodes to mytag:3") {
    auto data = read_file(corpus_path("blackbeam+rust_mysql_common/test-data__binlogs__binlog_transaction_with_GTID_TAG.000001"));
    REQUIRE_FALSE(data.empty());
    event_reader reader(as_bytes(data));
    std::optional<gtid_event> g;
    for (auto next = reader.next(); next && *next; next = reader.next()) {
      if ((*next)->type() == event_type::gtid_tagged) {
        auto r = decode_gtid(**next);
        REQUIRE(r.has_value());
        g = *r;
        break;
      }
    }
    REQUIRE(g.has_value());
    CHECK(format_uuid(g->sid) == "55778904-0299-11f1-b1b8-4ef0c4956feb");
    CHECK(g->tag == "mytag");
    CHECK(g->gno == 3);
    CHECK(g->last_committed == 0);
    CHECK(g->sequence_number == 1);
    CHECK(g->immediate_commit_timestamp == 1770368687207196ull);
    CHECK(g->transaction_length == 296u);
  }

  TEST_CASE("varlen: MySQL's serialization integers round-trip at every width") {
    for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 16383ull, 16384ull, (1ull << 35) + 7, (1ull << 56) - 1,
                            1ull << 56, 0xffffffffffffffffull}) {
      byte_writer w;
      w.varlen(v);
      cursor c(w.span());
      CHECK(detail::read_varlen(c) == v);
      CHECK(c.ok());
      CHECK(c.empty());
    }
    for (std::int64_t v : std::initializer_list<std::int64_t>{0, -1, 1, -64, 64, INT64_MIN, INT64_MAX}) {
      byte_writer w;
      w.varlen_signed(v);
      cursor c(w.span());
      CHECK(detail::read_varlen_signed(c) == v);
    }
  }

  TEST_CASE("previous_gtids: SIDs and intervals, untagged") {
    uuid_bytes other = test_sid;
    other[15] = 0x63;
    byte_writer w;
    w.u64(2).raw(bytes(test_sid.data(), 16)).u64(2).u64(1).u64(10).u64(20).u64(31);
    w.raw(bytes(other.data(), 16)).u64(1).u64(1).u64(2);
    hand_event e(mysql80, event_type::previous_gtids, w);
    auto p = decoded_as<previous_gtids_event>(e);
    CHECK(p.sid_count == 2);
    CHECK_FALSE(p.tagged);
    std::vector<std::pair<std::string, std::size_t>> seen;
    auto r = for_each_sid(p, 4, [&](const uuid_bytes& sid, std::string_view tag, bytes intervals) {
      CHECK(tag.empty());
      seen.emplace_back(format_uuid(sid), intervals.size() / 16);
    });
    REQUIRE(r.has_value());
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].first == "3e11fa47-71ca-11e1-9e33-c80aa9429562");
    CHECK(seen[0].second == 2);
    CHECK(seen[1].second == 1);
  }

  TEST_CASE("previous_gtids: the tagged format (8.3+) carries a tag per SID") {
    byte_writer w;
    w.u8(1).u48(2).u8(1);
    w.raw(bytes(test_sid.data(), 16)).varlen(0).u64(1).u64(1).u64(14);
    w.raw(bytes(test_sid.data(), 16)).varlen(5).str("mytag").u64(1).u64(1).u64(3);
    hand_event e(server::mysql_9_6, event_type::previous_gtids, w);
    auto p = decoded_as<previous_gtids_event>(e);
    CHECK(p.tagged);
    CHECK(p.sid_count == 2);
    std::vector<std::string> tags;
    auto r = for_each_sid(p, 4, [&](const uuid_bytes&, std::string_view tag, bytes intervals) {
      tags.emplace_back(tag);
      CHECK(intervals.size() == 16);
    });
    REQUIRE(r.has_value());
    CHECK(tags == std::vector<std::string>{"", "mytag"});
  }

  TEST_CASE("previous_gtids: a SID or interval count past the event is bad_body") {
    byte_writer sids;
    sids.u64(5).raw(bytes(test_sid.data(), 16)).u64(0);
    CHECK(error_of(hand_event(mysql80, event_type::previous_gtids, sids)) == errc::bad_body);
    byte_writer intervals;
    intervals.u64(1).raw(bytes(test_sid.data(), 16)).u64(3).u64(1).u64(2);
    CHECK(error_of(hand_event(mysql80, event_type::previous_gtids, intervals)) == errc::bad_body);
    CHECK(error_of(hand_event(mysql80, event_type::previous_gtids, sids.span().first(7))) == errc::bad_body);
  }

  TEST_CASE("previous_gtids: a tagged body cut inside its intervals is bad_body") {
    // Tagged bodies are walked at decode time like untagged ones, not only by for_each_sid.
    byte_writer w;
    w.u8(1).u48(1).u8(1).raw(bytes(test_sid.data(), 16)).varlen(5).str("mytag").u64(2).u64(1).u64(3).u64(5).u64(9);
    CHECK(error_of(hand_event(server::mysql_9_6, event_type::previous_gtids, w.span().first(w.size() - 8))) == errc::bad_body);
  }

  TEST_CASE("mariadb gtid: a standalone event padded to 19 bytes; the server id comes from the header") {
    byte_writer w;
    w.u64(37).u32(0).u8(mariadb_gtid_event::fl_standalone | mariadb_gtid_event::fl_ddl).zeros(6);
    header_spec h;
    h.server_id = 1;
    hand_event e(mariadb, event_type::mariadb_gtid, w, h);
    auto g = decoded_as<mariadb_gtid_event>(e);
    CHECK(g.seq_no == 37);
    CHECK(g.domain_id == 0);
    CHECK(g.server_id == 1);
    CHECK(g.flags2 == 33);
    CHECK_FALSE(g.commit_id.has_value());
    CHECK_FALSE(g.xa_format_id.has_value());
    CHECK(g.flags_extra == 0);
  }

  TEST_CASE("mariadb gtid: group commit id") {
    byte_writer w;
    w.u64(5).u32(2).u8(mariadb_gtid_event::fl_group_commit_id | mariadb_gtid_event::fl_transactional).u64(0x1234);
    header_spec h;
    h.server_id = 7;
    hand_event e(mariadb, event_type::mariadb_gtid, w, h);
    auto g = decoded_as<mariadb_gtid_event>(e);
    CHECK(g.domain_id == 2);
    CHECK(g.server_id == 7);
    CHECK(g.commit_id == 0x1234u);
  }

  TEST_CASE("mariadb gtid: XA identifiers follow flags2, then flags_extra with engines and alter seq") {
    byte_writer w;
    w.u64(9).u32(0).u8(mariadb_gtid_event::fl_prepared_xa).u32(7).u8(3).u8(2).str("abc").str("xy");
    w.u8(1 | 4).u8(2).u64(8);
    hand_event e(mariadb, event_type::mariadb_gtid, w);
    auto g = decoded_as<mariadb_gtid_event>(e);
    CHECK(g.xa_format_id == 7u);
    CHECK(g.xa_gtrid == "abc");
    CHECK(g.xa_bqual == "xy");
    CHECK(g.flags_extra == 5);
    CHECK(g.extra_engines == 2);
    CHECK(g.start_alter_seq_no == 8u);
  }

  TEST_CASE("mariadb gtid: XA lengths over 64, or identifiers past the event, are bad_body") {
    byte_writer big;
    big.u64(9).u32(0).u8(mariadb_gtid_event::fl_completed_xa).u32(1).u8(65).u8(0).zeros(65);
    CHECK(error_of(hand_event(mariadb, event_type::mariadb_gtid, big)) == errc::bad_body);
    byte_writer past;
    past.u64(9).u32(0).u8(mariadb_gtid_event::fl_completed_xa).u32(1).u8(10).u8(0).str("abc");
    CHECK(error_of(hand_event(mariadb, event_type::mariadb_gtid, past)) == errc::bad_body);
    byte_writer commit;
    commit.u64(9).u32(0).u8(mariadb_gtid_event::fl_group_commit_id).u32(1);
    CHECK(error_of(hand_event(mariadb, event_type::mariadb_gtid, commit)) == errc::bad_body);
  }

  TEST_CASE("mariadb gtid: a body shorter than the 19-byte post-header is bad_body") {
    // MariaDB's Gtid_log_event refuses event_len < header + GTID_HEADER_LEN (19).
    byte_writer w;
    w.u64(37).u32(0).u8(0);
    CHECK(error_of(hand_event(mariadb, event_type::mariadb_gtid, w)) == errc::bad_body);
  }

  TEST_CASE("mariadb gtid list: count, flags in the top 4 bits, and entries") {
    byte_writer w;
    w.u32(2 | (1u << 28)).u32(0).u32(1).u64(23).u32(2).u32(1).u64(1);
    hand_event e(mariadb, event_type::mariadb_gtid_list, w);
    auto l = decoded_as<mariadb_gtid_list_event>(e);
    CHECK(l.count == 2);
    CHECK(l.flags == 1);
    CHECK(l.at(0).domain_id == 0);
    CHECK(l.at(0).seq_no == 23);
    CHECK(l.at(1).domain_id == 2);
    CHECK(l.at(1).server_id == 1);
    CHECK(l.at(1).seq_no == 1);
    byte_writer past;
    past.u32(3).u32(0).u32(1).u64(23);
    CHECK(error_of(hand_event(mariadb, event_type::mariadb_gtid_list, past)) == errc::bad_body);
  }

  TEST_CASE("binlog checkpoint: a length-prefixed file name; a length past the event is bad_body") {
    byte_writer w;
    w.u32(12).str("mixed.000001");
    hand_event e(mariadb, event_type::binlog_checkpoint, w);
    CHECK(decoded_as<binlog_checkpoint_event>(e).file == "mixed.000001");
    byte_writer past;
    past.u32(13).str("mixed.000001");
    CHECK(error_of(hand_event(mariadb, event_type::binlog_checkpoint, past)) == errc::bad_body);
  }

  TEST_CASE("start encryption: scheme, key version and a 12-byte nonce") {
    byte_writer w;
    w.u8(1).u32(3).raw({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    hand_event e(mariadb, event_type::start_encryption, w);
    auto s = decoded_as<start_encryption_event>(e);
    CHECK(s.scheme == 1);
    CHECK(s.key_version == 3);
    REQUIRE(s.nonce.size() == 12);
    CHECK(s.nonce[11] == 11);
    CHECK(error_of(hand_event(mariadb, event_type::start_encryption, w.span().first(16))) == errc::bad_body);
  }

  // ---- transactions -------------------------------------------------------------------

  TEST_CASE("xa_prepare: one-phase flag, format id, gtrid and bqual") {
    byte_writer w;
    w.u8(1).u32(static_cast<std::uint32_t>(-1)).u32(3).u32(2).str("g01").str("b1");
    hand_event e(mysql80, event_type::xa_prepare, w);
    auto x = decoded_as<xa_prepare_event>(e);
    CHECK(x.one_phase);
    CHECK(x.format_id == -1);
    CHECK(x.gtrid == "g01");
    CHECK(x.bqual == "b1");
    byte_writer big;
    big.u8(0).u32(1).u32(65).u32(0).zeros(65);
    CHECK(error_of(hand_event(mysql80, event_type::xa_prepare, big)) == errc::bad_body);
    byte_writer past;
    past.u8(0).u32(1).u32(8).u32(0).str("g");
    CHECK(error_of(hand_event(mysql80, event_type::xa_prepare, past)) == errc::bad_body);
  }

  TEST_CASE("transaction_payload: header fields up to the end mark, then the payload") {
    byte_writer size, comp, unc;
    size.packed(5);
    comp.packed(0);
    unc.packed(1000);
    byte_writer w;
    w.packed(1).packed(size.size()).raw(size).packed(2).packed(comp.size()).raw(comp);
    w.packed(3).packed(unc.size()).raw(unc).packed(0).raw({0x28, 0xb5, 0x2f, 0xfd, 0x00});
    hand_event e(mysql80, event_type::transaction_payload, w);
    auto p = decoded_as<transaction_payload_event>(e);
    CHECK(p.payload_size == 5);
    CHECK(p.compression == 0);
    CHECK(p.uncompressed_size == 1000);
    CHECK(p.payload.size() == 5);
    CHECK(p.payload[0] == 0x28);
  }

  TEST_CASE("transaction_payload: a size that does not match the payload, or an unknown compression, is bad_body") {
    byte_writer six, seven;
    six.packed(6);
    seven.packed(7);
    byte_writer w;
    w.packed(1).packed(1).raw(six).packed(0).raw({1, 2, 3, 4, 5});
    CHECK(error_of(hand_event(mysql80, event_type::transaction_payload, w)) == errc::bad_body);
    byte_writer c;
    c.packed(1).packed(1).packed(1).packed(2).packed(1).raw(seven).packed(0).u8(0);
    CHECK(error_of(hand_event(mysql80, event_type::transaction_payload, c)) == errc::bad_body);
    byte_writer none;
    none.packed(0).u8(0);
    CHECK(error_of(hand_event(mysql80, event_type::transaction_payload, none)) == errc::bad_body);
  }

  TEST_CASE("transaction_context: server uuid, thread, snapshot version and set counts") {
    byte_writer w;
    w.u8(36).u32(12).u8(1).u32(3).u32(2).u32(1);
    w.str("3e11fa47-71ca-11e1-9e33-c80aa9429562").raw({1, 2, 3});
    w.u16(2).str("k1").u16(3).str("k22").u16(1).str("r");
    hand_event e(mysql80, event_type::transaction_context, w);
    auto t = decoded_as<transaction_context_event>(e);
    CHECK(t.server_uuid == "3e11fa47-71ca-11e1-9e33-c80aa9429562");
    CHECK(t.thread_id == 12);
    CHECK(t.gtid_specified);
    CHECK(t.snapshot_version.size() == 3);
    CHECK(t.write_set_count == 2);
    CHECK(t.read_set_count == 1);
    CHECK(error_of(hand_event(mysql80, event_type::transaction_context, w.span().first(w.size() - 1))) == errc::bad_body);
  }

  TEST_CASE("view_change: view id (NUL-padded to 40), sequence number, certification count") {
    byte_writer w;
    std::string id = "15940000000000000:1";
    w.str(id).zeros(40 - id.size()).u64(99).u32(0);
    hand_event e(mysql80, event_type::view_change, w);
    auto v = decoded_as<view_change_event>(e);
    CHECK(v.view_id == id);
    CHECK(v.seq_number == 99);
    CHECK(v.cert_info_count == 0);
    CHECK(error_of(hand_event(mysql80, event_type::view_change, w.span().first(51))) == errc::bad_body);
  }

  TEST_CASE("decode: the format description event hands out the reader's format") {
    auto data = binlog_builder(mariadb).data();
    event_reader reader(as_bytes(data));
    auto next = reader.next();
    REQUIRE(next);
    REQUIRE(*next);
    auto r = decode(**next);
    REQUIRE(r.has_value());
    REQUIRE(std::holds_alternative<format_description_event>(*r));
    CHECK(std::get<format_description_event>(*r).format == reader.format());
  }
}
