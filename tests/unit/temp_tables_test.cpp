// Triage's tracking of temporary tables in statement-format relay logs: which are open
// where the replica stopped (only its SQL thread holds them; a restart loses them).
#include <doctest/doctest.h>

#include <string>

#include "triage/temp_tables.hpp"

using binlogkit::detail::temp_table_tracker;

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
}
