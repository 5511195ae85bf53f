// Triage's tracking of temporary tables in statement-format relay logs: which are open
// where the replica stopped (only its SQL thread holds them; a restart loses them).
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "binlogkit/triage/triage.hpp"
#include "support/binlog_builder.hpp"
#include "binlogkit/events/temp_tables.hpp"

using binlogkit::temp_table_tracker;

namespace {
std::string names(const temp_table_tracker& t) {
  std::string out;
  for (const auto& x : t.open()) out += (out.empty() ? "" : " ") + std::to_string(x.thread_id) + ":" + x.name;
  return out;
}
}  // namespace

TEST_SUITE("temp_tables") {
  TEST_CASE("temp tables: CREATE opens one per session, DROP closes it") {
    temp_table_tracker t;
    t.on_statement("CREATE TEMPORARY TABLE app.scratch (id INT NOT NULL PRIMARY KEY, v INT NOT NULL)", "app", 7,
                   "relay-bin.000051", 1200);
    t.on_statement("create temporary table if not exists `Sc``x` (a int)", "App", 8, "relay-bin.000051", 1300);
    CHECK(names(t) == "7:`app`.`scratch` 8:`app`.`sc``x`");
    REQUIRE(t.open().size() == 2);
    CHECK(t.open()[0].file == "relay-bin.000051");
    CHECK(t.open()[0].offset == 1200);
    // Another session's DROP of the same name closes nothing.
    t.on_statement("DROP TEMPORARY TABLE app.scratch", "app", 9, "relay-bin.000051", 1400);
    CHECK(names(t) == "7:`app`.`scratch` 8:`app`.`sc``x`");
    t.on_statement("DROP TEMPORARY TABLE `app`.`scratch`", "app", 7, "relay-bin.000051", 1500);
    CHECK(names(t) == "8:`app`.`sc``x`");
    // The server's own drop at a session's end.
    t.on_statement("DROP /*!40005 TEMPORARY */ TABLE IF EXISTS `sc``x`", "app", 8, "relay-bin.000052", 300);
    CHECK(names(t).empty());
  }

  TEST_CASE("temp tables: other statements and permanent tables are not tracked") {
    temp_table_tracker t;
    t.on_statement("CREATE TABLE app.t (a INT)", "app", 1, "f", 4);
    t.on_statement("INSERT INTO app.scratch VALUES (1)", "app", 1, "f", 8);
    t.on_statement("/* a comment */ CREATE TEMPORARY TABLE x (a INT)", "db", 1, "f", 12);
    CHECK(names(t).empty());  // a leading ordinary comment: not recognised (the server logs none)
    t.on_statement("  CREATE\n TEMPORARY\tTABLE db2.y(a INT)", "db", 2, "f", 16);
    CHECK(names(t) == "2:`db2`.`y`");
    t.on_statement("DROP TEMPORARY TABLE IF EXISTS db2.z, db2.y", "db", 2, "f", 20);
    CHECK(names(t).empty());
  }

  TEST_CASE("temp tables: triage notes the tables open at the executed point, none after the DROP") {
    // mixed.000002 (MariaDB 10.11, statement format): 0-1-30 ends at 3052; session 7
    // creates tmp_totals in 0-1-31 (ends 3232), reads it in 0-1-33 (ends 3731) and drops it
    // in 0-1-34 (ends 3899).
    const auto data = bk_test::read_file(bk_test::testdata_path("mariadb-10.11/mixed.000002"));
    REQUIRE(!data.empty());
    const std::vector<binlogkit::triage_input> in{{"mixed.000002", {data.data(), data.size()}}};
    const auto notes_at = [&](std::uint64_t pos, const std::string& gtid) {
      binlogkit::triage_options opt;
      opt.executed_position = binlogkit::source_position{"mixed.000002", pos};
      const auto r = binlogkit::triage(in, opt);
      REQUIRE(r.executed.has_value());
      CHECK(r.executed->point.gtid == gtid);
      std::vector<std::string> found;
      for (const auto& n : r.notes) {
        if (n.starts_with("the replica stopped inside the life of temporary table(s)")) found.push_back(n);
      }
      return found;
    };
    const std::string note =
        "the replica stopped inside the life of temporary table(s) `logs`.`tmp_totals` (session 7, created at "
        "mixed.000002 offset 3094): only its SQL thread holds them";
    for (const auto& [pos, gtid] : {std::pair<std::uint64_t, std::string>{3232, "0-1-31"}, {3731, "0-1-33"}}) {
      CAPTURE(pos);
      const auto inside = notes_at(pos, gtid);
      REQUIRE(inside.size() == 1);
      CHECK(inside[0].starts_with(note));
    }
    CHECK(notes_at(3052, "0-1-30").empty());  // before the CREATE
    CHECK(notes_at(3899, "0-1-34").empty());  // after the DROP
  }
}
