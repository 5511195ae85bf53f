// The replay's progress row as row events (src/replay/progress_rows.hpp): the events are read
// back with the library's own reader and row decoder, and the transaction stream puts
// them in the transaction's last BINLOG statement.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "binlogkit/events/format_description.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/replay/replay.hpp"
#include "binlogkit/rows/rows.hpp"
#include "binlogkit/sql/sql.hpp"
#include "replay/progress_rows.hpp"
#include "support/binlog_builder.hpp"
#include "triage/oracle.hpp"

using namespace binlogkit;
using namespace bk_test;

namespace {

format_description fde_of(const binlog_builder& b) {
  auto d = b.span().subspan(4);
  auto f = format_description::decode(d.first(detail::le32(d.data() + 9)), 4, 19);
  REQUIRE(f);
  return *f;
}

transaction_stream::commit_point point(const format_description& f, bool checksums) {
  transaction_stream::commit_point cp;
  cp.end = 987654;
  cp.timestamp = 1700000000;
  cp.server_id = 7;
  cp.format = &f;
  cp.checksums = checksums;
  return cp;
}

progress_values sample() {
  progress_values v;
  v.replay_id = "pitr-7";
  v.file = "binlog.000042";
  v.gtid = "0-1-77";
  v.end_pos = 123456789012ull;
  v.transactions = 4242;
  v.updated_us = 1763769600123456;  // 2025-11-22 00:00:00.123456 UTC
  return v;
}

}  // namespace

TEST_SUITE("progress_rows") {
  TEST_CASE("the progress row's events read back: the table, the key before, five columns after") {
    for (bool checksums : {true, false}) {
      CAPTURE(checksums);
      binlog_builder b(server::mariadb_10_11, checksums);
      const auto f = fde_of(b);
      std::vector<std::uint8_t> events;
      REQUIRE(append_progress_rows(events, point(f, checksums), sample()));
      const auto first = b.add_raw(events);

      event_reader rd(b.span());  // CRC32s checked
      std::optional<table_schema> schema;
      int rows_seen = 0;
      for (;;) {
        auto n = rd.next();
        REQUIRE(n);
        if (!*n) break;
        const event_view& ev = **n;
        if (ev.offset < first) continue;
        CHECK(ev.header.timestamp == 1700000000u);
        CHECK(ev.header.server_id == 7u);
        CHECK(ev.header.log_pos == 987654u);
        if (ev.type() == event_type::table_map) {
          auto tm = decode_table_map(ev);
          REQUIRE(tm);
          CHECK(tm->table_id == progress_table_id);
          CHECK(tm->database == "binlogkit");
          CHECK(tm->table == "replay_progress");
          auto s = decode_table_schema(*tm, ev.offset, ev.format->flavor());
          REQUIRE(s);
          REQUIRE(s->columns.size() == 6);
          const column_type want[] = {column_type::varchar, column_type::varchar, column_type::longlong,
                                      column_type::varchar, column_type::longlong, column_type::timestamp2};
          for (std::size_t i = 0; i < 6; ++i) {
            CAPTURE(i);
            CHECK(s->columns[i].type == want[i]);
            CHECK_FALSE(s->columns[i].nullable);
          }
          CHECK(s->columns[0].length == 256);
          CHECK(s->columns[1].length == 2048);
          CHECK(s->columns[3].length == 512);
          CHECK(s->columns[5].scale == 6);
          schema = std::move(*s);
        } else {
          REQUIRE(ev.type() == event_type::update_rows_v1);
          REQUIRE(schema);
          auto r = decode_rows(ev);
          REQUIRE(r);
          CHECK(r->table_id == progress_table_id);
          CHECK(r->flags == rows_event::stmt_end_f);
          row_reader rr(*r, *schema, ev.offset);
          auto row = rr.next();
          REQUIRE(row);
          REQUIRE(*row);
          const row_change& c = **row;
          REQUIRE(c.before);
          REQUIRE(c.after);
          // Before: the key only.
          CHECK(c.before->at(0)->text() == "pitr-7");
          for (std::size_t i = 1; i < 6; ++i) CHECK_FALSE(c.before->present(i));
          // After: everything but the key.
          CHECK_FALSE(c.after->present(0));
          CHECK(c.after->at(1)->text() == "binlog.000042");
          CHECK(c.after->at(2)->as_uint64() == 123456789012ull);
          CHECK(c.after->at(3)->text() == "0-1-77");
          CHECK(c.after->at(4)->as_uint64() == 4242u);
          const auto t = c.after->at(5)->as_temporal();
          CHECK(t.epoch_seconds == 1763769600);
          CHECK(t.microsecond == 123456u);
          auto more = rr.next();
          REQUIRE(more);
          CHECK_FALSE(*more);  // one row
          ++rows_seen;
        }
      }
      CHECK(rows_seen == 1);
    }
  }

  TEST_CASE("the position a transaction records is its end as mariadb-binlog shows it, not its start") {
    // mixed.000001..5 (MariaDB 10.11): every transaction the stream renders, and the
    // commit point its progress row events are written for, against transactions.tsv
    // (derived from mariadb-binlog -vv): start = its first event, end = the end of its
    // last one. A resume continues at `end`; recording `start` applies it twice.
    std::vector<std::vector<std::uint8_t>> data;
    std::vector<binlog_input> inputs;
    std::vector<oracle_txn> want;
    for (int i = 1; i <= 5; ++i) {
      const std::string key = "testdata/mariadb-10.11/mixed.00000" + std::to_string(i);
      data.push_back(read_file(oracle_path(key)));
      REQUIRE_MESSAGE(!data.back().empty(), key);
      for (const auto& t : oracle_transactions_ending_in(key)) want.push_back(t);
    }
    for (int i = 0; i < 5; ++i) inputs.push_back({"mixed.00000" + std::to_string(i + 1), as_bytes(data[static_cast<std::size_t>(i)])});
    REQUIRE(want.size() == 47);
    render_options o;
    o.dialect = sql_dialect::mariadb;
    transaction_stream s(inputs, {}, o);
    std::vector<transaction_stream::commit_point> points;
    s.on_commit_rows = [&](const transaction_stream::commit_point& cp, std::vector<std::uint8_t>&) {
      points.push_back(cp);
      points.back().format = nullptr;  // valid during the call only
      return false;
    };
    std::size_t k = 0, committed = 0;
    for (;; ++k) {
      auto n = s.next();
      REQUIRE_MESSAGE(n, n.error().message());
      if (!*n) break;
      const rendered_transaction& tx = **n;
      REQUIRE(k < want.size());
      CAPTURE(k);
      CHECK("testdata/mariadb-10.11/" + inputs[tx.file_index].name == want[k].file);
      CHECK(tx.start == want[k].begin);
      CHECK(tx.end == want[k].end);
      CHECK(tx.gtid.text() == want[k].gtid);
      if (tx.commit) {
        REQUIRE(committed < points.size());
        CHECK(points[committed].file_index == tx.file_index);
        CHECK(points[committed].end == want[k].end);
        CHECK(points[committed].gtid.text() == want[k].gtid);
        ++committed;
      }
    }
    CHECK(k == want.size());
    CHECK(committed == points.size());
    CHECK(committed > 20);
  }

  TEST_CASE("no events where the row cannot be written exactly: the caller uses an UPDATE") {
    binlog_builder b(server::mariadb_10_11);
    const auto f = fde_of(b);
    std::vector<std::uint8_t> events;
    auto v = sample();
    const std::string long_id(65, 'x');
    v.replay_id = long_id;
    CHECK_FALSE(append_progress_rows(events, point(f, true), v));
    v = sample();
    v.file = "bin\xc3\xa9.000001";  // not ASCII
    CHECK_FALSE(append_progress_rows(events, point(f, true), v));
    v = sample();
    const std::string long_gtid(129, '1');
    v.gtid = long_gtid;
    CHECK_FALSE(append_progress_rows(events, point(f, true), v));
    // A format without version-4 row events (binlog version 3: MySQL 4.0 and 4.1).
    const auto v3 = format_description::for_binlog_version(3);
    CHECK_FALSE(append_progress_rows(events, point(v3, false), sample()));
    CHECK(events.empty());
    // The longest values that fit.
    v = sample();
    const std::string id64(64, 'i'), file512(512, 'f'), gtid128(128, 'g');
    v.replay_id = id64;
    v.file = file512;
    v.gtid = gtid128;
    CHECK(append_progress_rows(events, point(f, true), v));
  }

  TEST_CASE("the target's table must be the one replay creates") {
    std::vector<std::string> cols = {
        "replay_id|varchar(64)|NO|PRI|256|utf8mb4", "file|varchar(512)|NO||2048|utf8mb4",
        "end_pos|bigint(20) unsigned|NO||0|",       "gtid|varchar(128)|NO||512|utf8mb4",
        "transactions|bigint(20) unsigned|NO||0|",  "updated_at|timestamp(6)|NO||0|",
    };
    CHECK(progress_columns_match(cols));
    auto c = cols;
    c[3] = "gtid|varchar(128)|NO||384|utf8mb3";
    CHECK_FALSE(progress_columns_match(c));
    c = cols;
    c.push_back("note|text|YES||65535|utf8mb4");
    CHECK_FALSE(progress_columns_match(c));
    c = cols;
    c[5] = "updated_at|datetime(6)|NO||0|";
    CHECK_FALSE(progress_columns_match(c));
    c.assign(cols.begin(), cols.end() - 1);
    CHECK_FALSE(progress_columns_match(c));
  }
}

TEST_SUITE("replay ids") {
  TEST_CASE("the default id is the first file's name without its number; '#' becomes '_'") {
    CHECK(default_replay_id("/x/binlog.000042") == "binlog");
    CHECK(default_replay_id("relay-bin.000007") == "relay-bin");
    CHECK(default_replay_id("/x/my#log.000001") == "my_log");
    CHECK(default_replay_id("/x/plain") == "plain");
    CHECK(default_replay_id(".000001") == "replay");
    CHECK(default_replay_id(std::string(80, 'a') + ".000001") == std::string(64, 'a'));
  }

  TEST_CASE("a parallel replay's connection slots: ID#K, all 64 deleted together") {
    CHECK(progress_slot_id("pitr", 1) == "pitr#1");
    CHECK(progress_slot_id("pitr", 64) == "pitr#64");
    const std::string del = progress_slots_delete("it's");
    CHECK(del.starts_with("DELETE FROM `binlogkit`.`replay_progress` WHERE `replay_id` IN ('it''s#1', 'it''s#2', "));
    CHECK(del.ends_with(", 'it''s#64')"));
    CHECK(del.find("#65") == std::string::npos);
  }

  TEST_CASE("an id with '#' or over 64 characters is refused before anything connects") {
    const std::string file = std::string(BINLOGKIT_TESTDATA_DIR) + "/mariadb-10.11/mixed.000001";
    replay_options o;
    o.connection.host = "127.0.0.1";
    o.connection.port = 1;  // nothing listens there: a connection attempt would fail otherwise
    o.connection.no_defaults = true;
    o.replay_id = "a#b";
    auto r = replay({file}, o);
    REQUIRE(r.failure);
    CHECK(r.failure->message == "--replay-id may not contain '#' (it names the rows of a parallel replay's connections)");
    o.replay_id = std::string(65, 'x');
    r = replay({file}, o);
    REQUIRE(r.failure);
    CHECK(r.failure->message == "--replay-id is longer than 64 characters");
  }
}
