// transaction_tracker and classify_statement.
//
// The tracker is fed every event of real binlogs and relay logs, and the offsets where it
// says transactions begin and complete are compared with tests/triage/transactions.tsv,
// which tests/triage/make-oracle derived from what the servers' own tools print for the
// same files (`mariadb-binlog -vv` in testdata/mariadb-10.11/*.vv.txt, `mariadb-binlog`
// on the corpus files, `SHOW RELAYLOG EVENTS` for testdata/relay/) with a transaction
// grammar of its own: GTID + BEGIN ... XID / COMMIT / ROLLBACK / XA PREPARE, standalone
// DDL after a GTID, statements without BEGIN, MySQL 5.0 autocommit statements followed by
// their XID. Small hand-built logs then cover the cases no real file has: events that
// cannot stand where they are, and a receiver restart inside a transaction.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "binlogkit/events/events.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/events/transaction.hpp"
#include "support/binlog_builder.hpp"
#include "triage/oracle.hpp"
#include "support/ci.hpp"

using namespace binlogkit;
using namespace bk_test;

namespace {

struct walked_txn {
  std::string begin_file;
  std::uint64_t begin = 0;
  std::string file;
  std::uint64_t end = 0;
  std::string gtid;
  bool rolled_back = false;
  bool extended = false;
};

struct walk_result {
  std::vector<walked_txn> txns;
  std::vector<error> violations;
  std::uint64_t abandoned = 0;
  std::optional<error> stopped;  // the first reader or decoder error (the walk ends there)
  std::string stopped_file;
};

// Feeds every event of `files` (one relay-log set or one binlog) to one tracker.
walk_result walk(const std::vector<std::pair<std::string, std::vector<std::uint8_t>>>& files) {
  walk_result res;
  transaction_tracker tracker;
  std::string begin_file;
  std::uint64_t begin = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& [name, data] = files[i];
    event_reader reader(as_bytes(data));
    std::optional<std::uint32_t> own_server_id;  // the relay log's own (its first event's)
    for (;;) {
      auto next = reader.next();
      if (!next) {
        res.stopped = next.error();
        res.stopped_file = name;
        return res;
      }
      if (!next->has_value()) break;
      const event_view& ev = **next;
      auto decoded = decode(ev);
      if (!decoded) {
        res.stopped = decoded.error();
        res.stopped_file = name;
        return res;
      }
      if (!own_server_id) own_server_id = ev.header.server_id;
      // The source's real format description (not the file's own, not the receiver's
      // artificial copy with log_pos 0) inside a transaction: the receiver reconnected.
      if (ev.type() == event_type::format_description && ev.header.server_id != *own_server_id &&
          ev.header.log_pos != 0 && (ev.header.flags & flag_artificial) == 0 && tracker.abandon()) {
        ++res.abandoned;
      }
      auto step = tracker.feed(ev, *decoded);
      if (step.violation) res.violations.push_back(*step.violation);
      if (step.begins) {
        begin_file = name;
        begin = ev.offset;
      }
      if (step.completes && step.extends) {
        REQUIRE_FALSE(res.txns.empty());
        res.txns.back().file = name;
        res.txns.back().end = ev.end_offset();
        res.txns.back().extended = true;
      } else if (step.completes) {
        res.txns.push_back({begin_file, begin, name, ev.end_offset(), tracker.gtid().text(), step.rolled_back, false});
      }
    }
  }
  return res;
}

std::string describe(const walked_txn& t) {
  return t.begin_file + ":" + std::to_string(t.begin) + " .. " + t.file + ":" + std::to_string(t.end) + " gtid '" +
         t.gtid + "'" + (t.rolled_back ? " rolled back" : "") + (t.extended ? " extended" : "");
}
std::string describe(const oracle_txn& t) {
  return t.begin_file + ":" + std::to_string(t.begin) + " .. " + t.file + ":" + std::to_string(t.end) + " gtid '" +
         t.gtid + "' " + t.ending;
}

// A tagged GTID as text is "uuid:tag:gno" (the oracle does not decode its varlen body).
bool looks_tagged(const std::string& text) {
  return std::count(text.begin(), text.end(), ':') == 2 && text.size() > 38;
}

// Walks `names` (oracle names, one set) and compares with the oracle's rows for them.
void check_against_oracle(const std::vector<std::string>& names) {
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> files;
  std::vector<oracle_txn> expected;
  for (const auto& n : names) {
    files.emplace_back(n, read_file(oracle_path(n)));
    REQUIRE_MESSAGE(!files.back().second.empty(), n);
    for (auto& t : oracle_transactions_ending_in(n)) expected.push_back(t);
  }
  REQUIRE_MESSAGE(!expected.empty(), "transactions.tsv has no rows for " << names.front());
  auto got = walk(files);
  INFO("set starting with " << names.front());
  CHECK(got.violations.empty());
  for (const auto& v : got.violations) MESSAGE("violation: " << v.message());
  CHECK(got.txns.size() == expected.size());
  const std::size_t n = std::min(got.txns.size(), expected.size());
  int reported = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& g = got.txns[i];
    const auto& e = expected[i];
    const bool gtid_ok = e.gtid == "tagged" ? looks_tagged(g.gtid) : g.gtid == e.gtid;
    const bool ok = g.begin_file == e.begin_file && g.begin == e.begin && g.file == e.file && g.end == e.end &&
                    gtid_ok && g.rolled_back == (e.ending == "rollback") &&
                    g.extended == (e.ending == "autocommit_xid");
    if (!ok && reported++ < 5) {
      FAIL_CHECK("transaction " << i << ": tracker " << describe(g) << "; oracle " << describe(e));
    }
  }
  CHECK(reported == 0);
}

// ---- hand-built logs ------------------------------------------------------------------

// QUERY body as MySQL 5.1 writes it (13-byte post-header, no status variables).
std::vector<std::uint8_t> query_body(std::string_view sql, std::string_view db = "test") {
  byte_writer w;
  w.u32(1).u32(0).u8(db.size()).u16(0).u16(0).str(db).u8(0).str(sql);
  return w.data();
}
std::vector<std::uint8_t> xid_body(std::uint64_t xid) {
  byte_writer w;
  w.u64(xid);
  return w.data();
}

struct fed {
  std::vector<transaction_tracker::step> steps;
  std::vector<std::uint64_t> offsets;
};

fed feed_all(bk::bytes data) {
  fed out;
  transaction_tracker tracker;
  event_reader reader(data);
  for (;;) {
    auto next = reader.next();
    REQUIRE(next);
    if (!next->has_value()) break;
    auto decoded = decode(**next);
    REQUIRE(decoded);
    out.steps.push_back(tracker.feed(**next, *decoded));
    out.offsets.push_back((*next)->offset);
  }
  return out;
}

}  // namespace

TEST_SUITE("transaction") {
  TEST_CASE("classify_statement: the first words, case-insensitive, after blanks and comments") {
    struct row {
      const char* sql;
      statement_kind kind;
    };
    const row rows[] = {
        {"BEGIN", statement_kind::begin},
        {"begin", statement_kind::begin},
        {"  \n\tBEGIN", statement_kind::begin},
        {"/* a comment */ BEGIN", statement_kind::begin},
        {"START TRANSACTION", statement_kind::begin},
        {"start   transaction with consistent snapshot", statement_kind::begin},
        {"COMMIT", statement_kind::commit},
        {"commit work", statement_kind::commit},
        {"ROLLBACK", statement_kind::rollback},
        {"ROLLBACK TO mixed_cases", statement_kind::rollback_to_savepoint},
        {"rollback to savepoint s1", statement_kind::rollback_to_savepoint},
        {"SAVEPOINT s1", statement_kind::savepoint},
        {"SavePoint mixed_cases", statement_kind::savepoint},
        {"XA START X'626b2d78612d31',X'',1", statement_kind::xa_start},
        {"XA BEGIN 'x'", statement_kind::xa_start},
        {"xa  end 'x'", statement_kind::xa_end},
        {"XA PREPARE X'626b2d78612d31',X'',1", statement_kind::xa_prepare},
        {"XA COMMIT X'626b2d78612d31',X'',1", statement_kind::xa_commit},
        {"XA COMMIT 'x' ONE PHASE", statement_kind::xa_commit},
        {"XA ROLLBACK 'x'", statement_kind::xa_rollback},
        // Words that only start like a keyword, and statements that merely contain one.
        {"BEGINNING", statement_kind::other},
        {"COMMITTED", statement_kind::other},
        {"BEGIN_x", statement_kind::other},
        {"insert into t values ('BEGIN')", statement_kind::other},
        {"CREATE PROCEDURE p() BEGIN SELECT 1; END", statement_kind::other},
        {"XA", statement_kind::other},
        {"XAPREPARE 'x'", statement_kind::other},
        {"", statement_kind::other},
        {"   ", statement_kind::other},
        {"/* unterminated comment BEGIN", statement_kind::other},
    };
    for (const auto& r : rows) {
      INFO("'" << r.sql << "'");
      CHECK(static_cast<int>(classify_statement(r.sql)) == static_cast<int>(r.kind));
    }
  }

  TEST_CASE("classify_statement: a version comment /*!...*/ is statement text, not a comment") {
    // mysqlbinlog writes /*!40019 ...*/ executable comments: servers run their content.
    CHECK(classify_statement("/*!40101 SET NAMES utf8 */") == statement_kind::other);
  }

  TEST_CASE("tracker: MariaDB 10.11 binlogs (mixed.000001-5): every transaction as mariadb-binlog -vv shows it") {
    // mixed.000001: standalone DDL groups (GTID ... ddl + Query), row transactions ending
    // in Xid, a MyISAM group ending in a COMMIT query, CREATE ... SELECT (a DDL GTID that
    // is not standalone), SAVEPOINT / ROLLBACK TO inside a transaction, domain 2.
    // mixed.000002: Intvar / Rand / User_var inside groups, a group ending in ROLLBACK.
    // mixed.000003: LOAD DATA (Begin_load_query, Append_block, Execute_load_query, Xid).
    // mixed.000004: XA PREPARE groups ending in an XA_PREPARE event, XA COMMIT / XA
    // ROLLBACK as standalone groups.
    // mixed.000005: one transaction of several rows events.
    for (int i = 1; i <= 5; ++i) {
      check_against_oracle({"testdata/mariadb-10.11/mixed.00000" + std::to_string(i)});
    }
  }

  TEST_CASE("tracker: MariaDB compressed, minimal-image and checksum-less binlogs") {
    check_against_oracle({"testdata/mariadb-10.11/compressed.000001"});
    check_against_oracle({"testdata/mariadb-10.11/minimal.000001"});
    check_against_oracle({"testdata/mariadb-10.11/nochecksum.000001"});
  }

  TEST_CASE("tracker: MariaDB 11.8 binlog of another domain and server") {
    check_against_oracle(
        {"corpus/mariadb-operator+mariadb-poc/mariadb-binlog__binlogs__domain_id_0__mariadb-repl-bin.000009"});
  }

  TEST_CASE("tracker: a MariaDB relay-log set, transactions spanning relay logs") {
    // relay-bin.000002 .. 000004 carry one transaction (0-1-7) across two rotations by
    // size, relay-bin.000008/000009 another (0-1-17); the copies of the source's format
    // description in the files rotated by size have log_pos 0 and abandon nothing.
    const std::string dir = "testdata/relay/mariadb-10.11/";
    auto index = read_text(testdata_path("relay/mariadb-10.11/relay-bin.index"));
    if (index.empty()) BK_MISSING_INPUT("testdata/relay/mariadb-10.11/relay-bin.index");
    std::vector<std::string> names;
    std::istringstream lines(index);
    for (std::string l; std::getline(lines, l);) {
      if (!l.empty()) names.push_back(dir + l);
    }
    check_against_oracle(names);
  }

  TEST_CASE("tracker: MySQL 5.0 binlog: BEGIN ... XID, BEGIN ... ROLLBACK, BEGIN ... COMMIT, DDL alone") {
    check_against_oracle({"corpus/stoneatom+stonedb/mysql-test__std_data__binlog_transaction.000001"});
  }

  TEST_CASE("tracker: MySQL 5.6 / 5.7 GTID and anonymous GTID groups; 9.6 tagged GTIDs") {
    check_against_oracle({"corpus/stoneatom+stonedb/mysql-test__std_data__binlog_transaction_with_GTID.000001"});
    check_against_oracle(
        {"corpus/stoneatom+stonedb/mysql-test__std_data__binlog_transaction_with_anonymous_GTID.000001"});
    check_against_oracle({"corpus/rust-us+mysql-cdc-rs/tests__events__5.7__30_write_rows_v2__log.bin"});
    check_against_oracle(
        {"corpus/blackbeam+rust_mysql_common/test-data__binlogs__binlog_transaction_with_GTID_TAG.000001"});
  }

  TEST_CASE("tracker: MySQL 8.0: partial JSON updates inside BEGIN ... XID; a TRANSACTION_PAYLOAD group") {
    check_against_oracle({"corpus/blackbeam+rust_mysql_common/test-data__binlogs__json.binlog.000001"});
    check_against_oracle({"corpus/blackbeam+rust_mysql_common/test-data__binlogs__transaction_compression.000001"});
  }

  TEST_CASE("tracker: MySQL 5.5 row-format binlog (sakila)") {
    check_against_oracle({"corpus/osheroff+mysql-binlog-connector-java/src__test__resources__mysql-bin.sakila"});
  }

  TEST_CASE("tracker: relay logs: MySQL 8.0.17, 5.1 with SAVEPOINT, 5.0 with a receiver's format descriptions") {
    check_against_oracle({"corpus/blackbeam+rust_mysql_common/test-data__binlogs__rpl_unfiltered_hidden_gcol.000001"});
    check_against_oracle({"corpus/stoneatom+stonedb/mysql-test__std_data__binlog_savepoint.000001"});
    check_against_oracle({"corpus/stoneatom+stonedb/mysql-test__std_data__bug33029-slave-relay-bin.000001"});
  }

  TEST_CASE("tracker: MySQL 5.0 relay log: autocommit statements without BEGIN end at their XID") {
    // corrupt-relay-bin.000624 logs InnoDB autocommit statements as INTVAR, Query, XID with
    // no BEGIN (e.g. 3961 .. 4291), MyISAM ones as INTVAR, Query; the oracle's rows stop
    // at 91117, before the damaged Query at 91204 (tests/corpus/damaged.tsv), where the
    // decoder stops this walk.
    const std::string name = "corpus/stoneatom+stonedb/mysql-test__std_data__corrupt-relay-bin.000624";
    check_against_oracle({name});
    auto got = walk({{name, read_file(oracle_path(name))}});
    REQUIRE(got.stopped.has_value());
    CHECK(got.stopped->offset == 91204);
    CHECK(got.stopped->code == errc::bad_body);
    std::size_t extended = 0;
    for (const auto& t : got.txns) extended += t.extended ? 1u : 0u;
    std::size_t expected = 0;
    for (const auto& t : oracle_transactions_ending_in(name)) expected += t.ending == "autocommit_xid" ? 1u : 0u;
    CHECK(expected == 12);
    CHECK(extended == expected);
  }

  TEST_CASE("tracker: an XID after a statement without BEGIN extends it; a second XID is a violation") {
    binlog_builder b(server::mysql_5_1, false);
    auto begin = b.add(event_type::query, query_body("insert into t values (1)"));
    auto xid = b.add(event_type::xid, xid_body(7));
    auto xid2 = b.add(event_type::xid, xid_body(8));
    auto f = feed_all(b.span());
    REQUIRE(f.steps.size() == 4);
    CHECK(f.offsets[1] == begin);
    CHECK(f.steps[1].begins);
    CHECK(f.steps[1].completes);
    CHECK_FALSE(f.steps[1].extends);
    CHECK(f.offsets[2] == xid);
    CHECK(f.steps[2].completes);
    CHECK(f.steps[2].extends);
    CHECK_FALSE(f.steps[2].violation.has_value());
    CHECK(f.offsets[3] == xid2);
    REQUIRE(f.steps[3].violation.has_value());
    CHECK(f.steps[3].violation->offset == xid2);
  }

  TEST_CASE("tracker: rows events without BEGIN end at the one with STMT_END_F, and the next TABLE_MAP begins anew") {
    // MySQL 5.1 row format on a non-transactional table writes TABLE_MAP + rows events with
    // no BEGIN around them (transactions.tsv's ending "rows_stmt_end"). Two statements:
    // one of two WRITE_ROWS events (the second with STMT_END_F), one of a single event.
    // TABLE_MAP v4 body: | table id (6) | flags (2) | db | table | columns | types |
    // metadata | nullable |; WRITE_ROWS v1: | table id (6) | flags (2) | width | columns
    // present | per row: null bitmap, values |.
    auto table_map = [](std::uint64_t id) {
      byte_writer w;
      w.u48(id).u16(1).u8(4).str("test").u8(0).u8(1).str("t").u8(0).packed(1).u8(3).packed(0).u8(1);
      return w.data();
    };
    auto write_rows = [](std::uint64_t id, std::uint16_t flags, std::uint32_t v) {
      byte_writer w;
      w.u48(id).u16(flags).packed(1).u8(0x01).u8(0x00).u32(v);
      return w.data();
    };
    constexpr std::uint16_t stmt_end = 1;
    binlog_builder b(server::mysql_5_1, false);
    const auto tm1 = b.add(event_type::table_map, table_map(17));
    const auto w1 = b.add(event_type::write_rows_v1, write_rows(17, 0, 1));
    const auto w2 = b.add(event_type::write_rows_v1, write_rows(17, stmt_end, 2));
    const auto tm2 = b.add(event_type::table_map, table_map(17));
    const auto w3 = b.add(event_type::write_rows_v1, write_rows(17, stmt_end, 3));
    auto f = feed_all(b.span());
    REQUIRE(f.steps.size() == 6);
    REQUIRE(f.offsets == std::vector<std::uint64_t>{4, tm1, w1, w2, tm2, w3});
    for (const auto& st : f.steps) CHECK_FALSE(st.violation.has_value());
    CHECK(f.steps[1].begins);
    CHECK_FALSE(f.steps[1].completes);
    CHECK_FALSE(f.steps[2].begins);
    CHECK_FALSE(f.steps[2].completes);
    CHECK(f.steps[3].completes);
    CHECK_FALSE(f.steps[3].extends);
    CHECK(f.steps[4].begins);
    CHECK_FALSE(f.steps[4].completes);
    CHECK(f.steps[5].completes);
  }

  TEST_CASE("tracker: COMMIT or XID outside a transaction and BEGIN inside one are violations") {
    binlog_builder b(server::mysql_5_1, false);
    auto commit = b.add(event_type::query, query_body("COMMIT"));
    b.add(event_type::query, query_body("BEGIN"));
    auto begin2 = b.add(event_type::query, query_body("BEGIN"));
    auto f = feed_all(b.span());
    REQUIRE(f.steps.size() == 4);
    REQUIRE(f.steps[1].violation.has_value());
    CHECK(f.steps[1].violation->offset == commit);
    CHECK_FALSE(f.steps[2].violation.has_value());
    CHECK(f.steps[2].begins);
    REQUIRE(f.steps[3].violation.has_value());
    CHECK(f.steps[3].violation->offset == begin2);

    binlog_builder x(server::mysql_5_1, false);
    auto lone_xid = x.add(event_type::xid, xid_body(1));
    auto g = feed_all(x.span());
    REQUIRE(g.steps.size() == 2);
    REQUIRE(g.steps[1].violation.has_value());
    CHECK(g.steps[1].violation->offset == lone_xid);
  }

  TEST_CASE("tracker: BEGIN ... ROLLBACK completes rolled back; ROLLBACK TO SAVEPOINT does not complete") {
    binlog_builder b(server::mysql_5_1, false);
    b.add(event_type::query, query_body("BEGIN"));
    b.add(event_type::query, query_body("SAVEPOINT s"));
    b.add(event_type::query, query_body("ROLLBACK TO s"));
    b.add(event_type::query, query_body("ROLLBACK"));
    auto f = feed_all(b.span());
    REQUIRE(f.steps.size() == 5);
    CHECK(f.steps[1].begins);
    CHECK_FALSE(f.steps[2].completes);
    CHECK_FALSE(f.steps[3].completes);
    CHECK(f.steps[4].completes);
    CHECK(f.steps[4].rolled_back);
  }

  TEST_CASE("tracker: format descriptions never end a transaction; abandon() drops an open one") {
    // A relay log: the replica's format description, BEGIN + a statement from the source,
    // the receiver's artificial copy of the source's format description, the source's real
    // one: the tracker keeps the transaction open through both (only the caller knows who
    // wrote them); abandon() then drops it, and a new BEGIN is no violation.
    binlog_builder b(server::mysql_5_1, false, header_spec{.server_id = 2});
    b.add(event_type::query, query_body("BEGIN"), {.server_id = 1, .log_pos = 200});
    b.add(event_type::query, query_body("insert into t values (1)"), {.server_id = 1, .log_pos = 300});
    b.add_raw(make_fde(server::mysql_5_1, false, {.server_id = 1, .flags = flag_artificial, .log_pos = 0}));
    b.add_raw(make_fde(server::mysql_5_1, false, {.server_id = 1, .log_pos = 98}));
    b.add(event_type::query, query_body("BEGIN"), {.server_id = 1, .log_pos = 200});
    b.add(event_type::query, query_body("COMMIT"), {.server_id = 1, .log_pos = 250});

    transaction_tracker tracker;
    event_reader reader(b.span());
    std::vector<transaction_tracker::step> steps;
    for (;;) {
      auto next = reader.next();
      REQUIRE(next);
      if (!next->has_value()) break;
      auto decoded = decode(**next);
      REQUIRE(decoded);
      if (steps.size() == 5) {  // before the second BEGIN
        CHECK(tracker.in_transaction());
        CHECK(tracker.abandon());
        CHECK_FALSE(tracker.in_transaction());
        CHECK_FALSE(tracker.abandon());
      }
      steps.push_back(tracker.feed(**next, *decoded));
    }
    REQUIRE(steps.size() == 7);
    CHECK(steps[1].begins);
    for (int i = 2; i <= 4; ++i) {
      CHECK_FALSE(steps[i].completes);
      CHECK_FALSE(steps[i].violation.has_value());
    }
    CHECK(steps[5].begins);
    CHECK_FALSE(steps[5].violation.has_value());
    CHECK(steps[6].completes);
  }

}
