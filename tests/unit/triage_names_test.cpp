// Names read from the files (source binlog names, tables) on the lines of triage's text
// report: escaped as dump escapes them, so that none starts a line of its own, and none
// ends the "--" comment of a plan line (the text plan may be piped into a client).
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "binlogkit/triage/triage.hpp"

using namespace binlogkit;

TEST_SUITE("triage names") {
  TEST_CASE("text report: hostile source and table names stay on their line") {
    triage_report r;
    r.flavor = flavor::mariadb;
    r.relay = true;
    damage_range d;
    d.file = "relay.000002";
    d.offset = 400;
    d.length = 10;
    d.code = errc::truncated;
    d.detail = "cut";
    r.damage.push_back(d);
    resume_point p;
    p.relay_file = "relay.000001";
    p.relay_pos = 256;
    p.source = {"bin\nDROP DATABASE a;.000001", 1234};
    r.last_good = p;
    r.resume = p;
    r.resume_mode = resume_mode::position;
    r.resume_sql = {"STOP SLAVE", "START SLAVE"};
    r.check_tables = {"`db`.`t\nDROP TABLE x; -- `", "`db`.`back\\slash\x01`"};
    r.notes = {"transaction at relay.000002:400 touches `db`.`t\rSELECT 1`"};
    const std::string text = triage_report_text(r, {});
    REQUIRE_FALSE(text.empty());
    std::istringstream lines(text);
    std::string line;
    int seen = 0;
    while (std::getline(lines, line)) {
      CAPTURE(line);
      CHECK_FALSE(line.starts_with("DROP"));
      CHECK(line.find('\r') == std::string::npos);
      CHECK(line.find('\x01') == std::string::npos);
      if (line.starts_with("last good position: ")) {
        CHECK(line == "last good position: relay.000001 at 256 = source bin\\nDROP DATABASE a;.000001:1234");
        ++seen;
      }
      if (line.starts_with("-- and tables compare equal")) {
        CHECK(line.ends_with("first `db`.`t\\nDROP TABLE x; -- `, `db`.`back\\\\slash\\x01`."));
        ++seen;
      }
      if (line.starts_with("note: ")) {
        CHECK(line == "note: transaction at relay.000002:400 touches `db`.`t\\rSELECT 1`");
        ++seen;
      }
    }
    CHECK(seen == 3);
  }
}
