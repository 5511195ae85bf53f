// Hazards at the start and stop points of a filtered read (bound_hazards.hpp): the points
// found as transaction_stream finds them, and hazard_line keeping names from the binlog on
// one line. mixed.000002 (MariaDB 10.11): session 7 creates logs.tmp_totals at 3094 in
// 0-1-31 (ends at 3232); 0-1-32 (3232..3468) uses it at 3274; 0-1-34 drops it (ends 3899).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "binlogkit/sql/bound_hazards.hpp"
#include "support/binlog_builder.hpp"

namespace bk = binlogkit;

namespace {

struct loaded {
  std::string name;
  std::vector<std::uint8_t> data;
  [[nodiscard]] std::vector<bk::binlog_input> inputs() const { return {{name, {data.data(), data.size()}}}; }
};

loaded mixed2() {
  loaded l{"mixed.000002", bk_test::read_file(bk_test::testdata_path("mariadb-10.11/mixed.000002"))};
  REQUIRE(!l.data.empty());
  return l;
}

// "kind schema.table opened -> needed|later" per hazard of a report.
std::string summary(const std::optional<bk::hazard_report>& r) {
  if (!r) return "no report";
  std::string out = "at " + std::to_string(r->at.pos) + ":";
  for (const auto& h : r->hazards) {
    out += " " + std::string(bk::to_string(h.kind)) + " " + h.schema + "." + h.table + " " +
           std::to_string(h.opened.pos) + " -> " + (h.needed_by ? std::to_string(h.needed_by->pos) : "later");
  }
  return out;
}

bk::bound_hazards find(const loaded& l, const bk::sql_filter& f,
                       std::optional<std::pair<std::size_t, std::uint64_t>> resume = std::nullopt) {
  auto r = bk::find_bound_hazards(l.inputs(), f, resume);
  REQUIRE_MESSAGE(r.ok(), r.failure);
  return r;
}

}  // namespace

TEST_SUITE("bound_hazards") {
  TEST_CASE("bound_hazards: start points of mixed.000002") {
    const auto l = mixed2();
    bk::sql_filter f;
    CHECK(summary(find(l, f).start) == "no report");  // no start rule: nothing checked
    f.start_position = 3232;
    CHECK(summary(find(l, f).start) == "at 3232: temporary_table logs.tmp_totals 3094 -> 3274");
    f.start_position = 3100;  // inside 0-1-31: the stream skips it whole
    CHECK(summary(find(l, f).start) == "at 3232: temporary_table logs.tmp_totals 3094 -> 3274");
    f.start_position = 3052;
    CHECK(summary(find(l, f).start) == "at 3052:");
    f.start_position = 3899;  // only the closing Rotate follows: no transaction to start at
    CHECK(summary(find(l, f).start) == "no report");
    f.start_position = 0;
    CHECK(summary(find(l, f, std::pair<std::size_t, std::uint64_t>{0, 3232}).start) ==
          "at 3232: temporary_table logs.tmp_totals 3094 -> 3274");
    auto set = bk::gtid_set::parse("0-1-32");
    REQUIRE(set.has_value());
    f.include_gtids = *set;
    CHECK(summary(find(l, f).start) == "at 3232: temporary_table logs.tmp_totals 3094 -> 3274");
  }

  TEST_CASE("bound_hazards: stop points of mixed.000002") {
    const auto l = mixed2();
    bk::sql_filter f;
    f.stop_position = 3300;  // inside 0-1-32: the point is its start
    const auto r = find(l, f);
    CHECK(summary(r.start) == "no report");
    CHECK(summary(r.stop) == "at 3232: temporary_table logs.tmp_totals 3094 -> later");
    f.stop_position = 3468;
    CHECK(summary(find(l, f).stop) == "at 3468: temporary_table logs.tmp_totals 3094 -> later");
    f.stop_position = 3899;
    CHECK(summary(find(l, f).stop) == "at 3899:");
    f.stop_position = 99999;  // the input ends first
    CHECK(summary(find(l, f).stop) == "no report");
    f.stop_position = 3232;
    f.start_position = 3468;  // the read stops before it starts: nothing to report at the start
    CHECK(summary(find(l, f).start) == "no report");
  }

  TEST_CASE("bound_hazards: datetimes of mixed.000002") {
    // Its format description and Gtid_list are at 1700000060, its Binlog_checkpoint (354)
    // at 1795273118, every transaction (the first at 393) at 1700000120.
    const auto l = mixed2();
    bk::sql_filter f;
    f.start_datetime = 1700000120;
    CHECK(summary(find(l, f).start) == "at 393:");
    f.start_datetime = 1700000121;  // no transaction is kept
    CHECK(summary(find(l, f).start) == "no report");
    f.start_datetime.reset();
    // The stream stops at the first event at or after the time but a format description,
    // rotate or stop: the Binlog_checkpoint at 354.
    f.stop_datetime = 1700000120;
    CHECK(summary(find(l, f).stop) == "at 354:");
    f.stop_datetime = 1795273119;  // later than every event
    CHECK(summary(find(l, f).stop) == "no report");
  }

  TEST_CASE("bound_hazards: damage before the start point is a failure with the offset") {
    auto l = mixed2();
    l.data[3100] ^= 0xff;  // inside the CREATE at 3094: its CRC no longer matches
    bk::sql_filter f;
    f.start_position = 3232;
    const auto r = bk::find_bound_hazards(l.inputs(), f, std::nullopt);
    CHECK(!r.ok());
    CHECK(r.failure.find("mixed.000002: ") == 0);
    CHECK(r.failure.find("3094") != std::string::npos);
    CHECK(!r.start.has_value());
  }

  TEST_CASE("bound_hazards: hostile names from the binlog stay on one line") {
    // A MySQL 5.1 log whose Query events name the database "d;--" and create temporary
    // table `t``;x`. (The temporary table rules compare names lowered, with white space
    // and comments folded, so no newline reaches a hazard from there; the hand-built
    // hazard below checks the escaping of every field.)
    bk_test::binlog_builder b{bk_test::server::mysql_5_1, false};
    const std::string db = "d;--";
    const auto query = [&](std::string_view sql) {
      bk_test::byte_writer w;
      w.u32(5).u32(0).u8(static_cast<std::uint8_t>(db.size())).u16(0).u16(0).cstr(db).str(sql);
      return b.add(bk::event_type::query, bk_test::as_bytes(w.data()));
    };
    const auto create = query("CREATE TEMPORARY TABLE `t``;x` (a INT)");
    const auto point = b.data().size();
    const auto use = query("INSERT INTO `t``;x` VALUES (1)");
    const loaded l{"hostile.000001", b.data()};
    bk::sql_filter f;
    f.start_position = point;
    const auto r = find(l, f);
    REQUIRE(r.start.has_value());
    REQUIRE(r.start->hazards.size() == 1);
    const auto& h = r.start->hazards[0];
    CHECK(h.schema == db);
    CHECK(h.table == "t`;x");
    REQUIRE(h.needed_by.has_value());
    CHECK(h.needed_by->pos == use);
    const auto line = bk::hazard_line(h);
    CHECK(line.rfind("temporary_table `d;--`.`t``;x` opened at hostile.000001:" +
                         std::to_string(create) + ", thread 5, needed by hostile.000001:" + std::to_string(use) +
                         ": start at or before hostile.000001:" + std::to_string(create) + " (its CREATE) or recreate ",
                     0) == 0);
    for (unsigned char c : line) CHECK(c >= 0x20);  // the advice names them too

    // Every field of a hazard, built by hand: a newline, a carriage return, an escape.
    bk::hazard x;
    x.schema = "s\r\n";
    x.table = "t\n\x1b";
    x.opened = {"f\n.000001", 4, "0-1-\n"};
    x.needed_by = bk::hazard_place{"f\n.000001", 9, ""};
    x.advice = "a\nb";
    CHECK(bk::hazard_line(x) ==
          "temporary_table `s\\r\\n`.`t\\n\\x1b` opened at f\\n.000001:4 GTID 0-1-\\n, thread 0, needed by "
          "f\\n.000001:9: a\\nb");
  }
}
