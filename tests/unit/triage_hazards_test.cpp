// Triage's hazards at the resume point: the executed point when given, else the last good
// point of a damaged log; the hazards come from find_hazards (hazards.hpp). Positions are
// those of hazards_test.cpp (read from `binlogkit dump` of each file).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "binlogkit/triage/triage.hpp"
#include "support/binlog_builder.hpp"
#include "support/hazard_summary.hpp"
#include "support/named_files.hpp"

namespace bk = binlogkit;

namespace {

using loaded = bk_test::named_file;
using bk_test::corpus_file;
using bk_test::testdata_file;

// The file (its first `size` bytes; 0: all of it) as triage's one input.
std::vector<bk::triage_input> inputs(const loaded& l, std::size_t size = 0) {
  return {{l.name, {l.data.data(), size == 0 ? l.data.size() : size}}};
}

std::string summary(const bk::triage_report& r) { return bk_test::hazard_summary(r.hazards); }

bk::triage_report executed_at(const loaded& l, std::uint64_t pos, std::optional<std::uint64_t> open_temps = {}) {
  bk::triage_options opt;
  opt.executed_position = bk::source_position{l.name, pos};
  opt.replica_open_temp_tables = open_temps;
  return bk::triage(inputs(l), opt);
}

// The executed point given as a position inside a group (taken as given: the relay
// position names it, as the SQL thread records it between a group's statements).
bk::triage_report executed_inside(const loaded& l, std::uint64_t pos) {
  bk::triage_options opt;
  opt.executed_position = bk::source_position{l.name, pos};
  opt.executed_relay_position = bk::source_position{l.name, pos};
  return bk::triage(inputs(l), opt);
}

bool has_note(const bk::triage_report& r, const std::string& part) {
  return std::any_of(r.notes.begin(), r.notes.end(), [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

}  // namespace

TEST_SUITE("triage hazards") {
  TEST_CASE("triage hazards: a temporary table open at the executed point, in text, JSON and the plan") {
    // mixed.000002: session 7 creates logs.tmp_totals at 3094 (0-1-31, ends 3232) and
    // inserts into it at 3274 (0-1-32).
    const auto f = testdata_file("mariadb-10.11/mixed.000002");
    const auto r = executed_at(f, 3232);
    REQUIRE(r.hazards_at.has_value());
    CHECK(r.hazards_at->file == "mixed.000002");
    CHECK(r.hazards_at->pos == 3232);
    CHECK(r.hazards_at->gtid == "0-1-31");
    CHECK(r.hazards_at_origin == "executed point");
    CHECK(summary(r) == "temporary_table logs.tmp_totals 7 3094 -> 3274");
    REQUIRE(r.before_resume.size() == 1);
    CHECK(r.before_resume[0].starts_with(
        "if the replica restarted since it stopped, its temporary table(s) `logs`.`tmp_totals` (session 7, created "
        "at mixed.000002:3094, needed by mixed.000002:3274) are gone"));
    // The note triage always gave comes from the same hazards.
    CHECK(has_note(r, "the replica stopped inside the life of temporary table(s) `logs`.`tmp_totals` (session 7, "
                      "created at mixed.000002 offset 3094)"));
    const auto json = bk::triage_report_json(r);
    CHECK(json.find("\"hazards\": [\n    {\n      \"kind\": \"temporary_table\",\n      \"schema\": \"logs\",\n"
                    "      \"table\": \"tmp_totals\",\n      \"pseudo_thread_id\": 7,\n      \"opened\": {\n"
                    "        \"file\": \"mixed.000002\",\n        \"pos\": 3094,\n        \"gtid\": \"0-1-31\"\n      },\n"
                    "      \"needed_by\": {\n        \"file\": \"mixed.000002\",\n        \"pos\": 3274,\n"
                    "        \"gtid\": \"0-1-32\"\n      },\n      \"advice\": ") != std::string::npos);
    const auto text = bk::triage_report_text(r, inputs(f));
    CHECK(text.find("hazards at the resume point (executed point mixed.000002:3232, after GTID 0-1-31): 1\n"
                    "  temporary_table `logs`.`tmp_totals` opened at mixed.000002:3094 (GTID 0-1-31), session 7, "
                    "needed by mixed.000002:3274: start at or before") != std::string::npos);
    // No damage: no plan is printed, and the exit code stays 0.
    CHECK(r.exit_code() == 0);
  }

  TEST_CASE("triage hazards: a replica that still holds its temporary tables is told not to restart") {
    const auto f = testdata_file("mariadb-10.11/mixed.000002");
    const auto r = executed_at(f, 3232, 1);
    REQUIRE(r.before_resume.size() == 1);
    CHECK(r.before_resume[0] ==
          "do not restart the replica: its SQL thread still holds 1 temporary table(s) (Slave_open_temp_tables), "
          "which the statements after the resume point use: `logs`.`tmp_totals` (session 7, created at "
          "mixed.000002:3094, needed by mixed.000002:3274); a restart (or RESET SLAVE) loses them");
    CHECK(has_note(r, "the replica reports Slave_open_temp_tables = 1: its SQL thread still holds them, do not "
                      "restart it before the resume statements"));
    // 0: the server restarted (or the count was not read): the copy-from-the-source step.
    const auto restarted = executed_at(f, 3232, 0);
    REQUIRE(restarted.before_resume.size() == 1);
    CHECK(restarted.before_resume[0].starts_with("if the replica restarted since it stopped"));
  }

  TEST_CASE("triage hazards: a MariaDB plan keeps the temporary tables the SQL thread holds (no RESET SLAVE)") {
    // RESET SLAVE deletes the replicated temporary tables of a stopped SQL thread (MariaDB's
    // RESET SLAVE documentation); CHANGE MASTER keeps them.
    const auto f = testdata_file("mariadb-10.11/mixed.000002");
    const auto plan_for = [&](std::optional<std::uint64_t> open_temps) {
      bk::triage_options opt;
      opt.executed_position = bk::source_position{f.name, 3232};
      opt.replica_open_temp_tables = open_temps;
      return bk::triage(inputs(f, 3300), opt);
    };
    const auto held = plan_for(1);
    CHECK(held.replica_holds_temp_tables);
    CHECK(held.resume_sql == std::vector<std::string>{"STOP SLAVE", "SET GLOBAL gtid_slave_pos = '0-1-31,2-1-1'",
                                                      "CHANGE MASTER TO MASTER_USE_GTID = slave_pos", "START SLAVE"});
    CHECK(has_note(held, "the replica's SQL thread holds 1 temporary table(s) (Slave_open_temp_tables): the plan "
                         "leaves out RESET SLAVE"));
    for (const auto& open_temps : {std::optional<std::uint64_t>{0}, std::optional<std::uint64_t>{}}) {
      const auto plain = plan_for(open_temps);
      CHECK_FALSE(plain.replica_holds_temp_tables);
      REQUIRE(plain.resume_sql.size() == 5);
      CHECK(plain.resume_sql[1] == "RESET SLAVE");
      CHECK_FALSE(has_note(plain, "leaves out RESET SLAVE"));
    }
  }

  TEST_CASE("triage hazards: none before the CREATE and after the DROP; the note keeps a table dropped unused") {
    const auto f = testdata_file("mariadb-10.11/mixed.000002");
    for (std::uint64_t pos : {3052u, 3899u}) {
      CAPTURE(pos);
      const auto r = executed_at(f, pos);
      REQUIRE(r.hazards_at.has_value());
      CHECK(r.hazards.empty());
      CHECK(r.before_resume.empty());
      CHECK_FALSE(has_note(r, "the replica stopped inside the life of temporary table(s)"));
    }
    // 0-1-33 ends at 3731; the DROP TEMPORARY TABLE (no IF EXISTS) at 3773 needs it.
    const auto r = executed_at(f, 3731);
    CHECK(summary(r) == "temporary_table logs.tmp_totals 7 3094 -> 3773");
  }

  TEST_CASE("triage hazards: an executed point inside a non-transactional group") {
    // 0-1-30 (no FL_TRANSACTIONAL) at 2633: InnoDB INSERT at 2707, MyISAM INSERT at 2854,
    // ROLLBACK at 2977; the executed point at the MyISAM INSERT.
    const auto f = testdata_file("mariadb-10.11/mixed.000002");
    const auto r = executed_inside(f, 2854);
    REQUIRE(r.hazards_at.has_value());
    CHECK(r.hazards_at->pos == 2854);
    CHECK(summary(r) == "non_transactional . 7 2633 -> 2977");
    REQUIRE(r.before_resume.size() == 1);
    CHECK(r.before_resume[0].starts_with("non_transactional (session 7, opened at mixed.000002:2633, needed by "
                                         "mixed.000002:2977): the point is inside the group"));
  }

  TEST_CASE("triage hazards: a prepared XA transaction at the executed point") {
    // mixed.000004: XA_prepare of bk-xa-1 at 688 (0-1-37 ends 731), XA COMMIT at 819.
    const auto f = testdata_file("mariadb-10.11/mixed.000004");
    const auto r = executed_at(f, 731);
    CHECK(summary(r) == "xa_prepared .X'626b2d78612d31',X'',1 7 688 -> 819");
    REQUIRE(r.before_resume.size() == 1);
    CHECK(r.before_resume[0].starts_with("xa_prepared xid X'626b2d78612d31',X'',1 (session 7, opened at "
                                         "mixed.000004:688, needed by mixed.000004:819): XA transaction"));
    CHECK(summary(executed_at(f, 976)).empty());
  }

  TEST_CASE("triage hazards: LOAD DATA open at an executed point, and at the last good point of a torn log") {
    // ver_5_1_17.001: BEGIN at 691; Begin_load_query (file 2) at 1463, Append_block at
    // 132558, Execute_load_query at 150245 (thread 2, test.t3), COMMIT, Stop at 150366. The
    // load is inside a transaction: an executed relay position between its blocks (taken as
    // given) has it half-sent.
    const auto f = corpus_file("hwCloudRDS+mysql-5.6/mysql-test__suite__binlog__std_data__ver_5_1_17.001");
    const auto r = executed_inside(f, 132558);
    REQUIRE(r.hazards_at.has_value());
    CHECK(r.hazards_at->pos == 132558);
    CHECK(summary(r) == "load_data test.t3 2 1463 -> 150245");
    REQUIRE(r.before_resume.size() == 1);
    CHECK(r.before_resume[0].starts_with("load_data `test`.`t3` (session 2, opened at "
                                         "mysql-test__suite__binlog__std_data__ver_5_1_17.001:1463, needed by "
                                         "mysql-test__suite__binlog__std_data__ver_5_1_17.001:150245): start at or before"));
    // Cut inside the Append_block: the last good point (691, before the BEGIN) has no
    // hazard (nothing to read on for).
    const auto in = inputs(f, 140000);
    const auto torn = bk::triage(in);
    REQUIRE(torn.last_good.has_value());
    CHECK(torn.last_good->relay_pos == 691);
    REQUIRE(torn.hazards_at.has_value());
    CHECK(torn.hazards_at_origin == "last good point");
    CHECK(torn.hazards_at->pos == 691);
    CHECK(torn.hazards.empty());
    CHECK_FALSE(has_note(torn, "for hazards stopped early"));
    CHECK(torn.exit_code() == 1);
    const auto text = bk::triage_report_text(torn, in);
    CHECK(text.find("hazards at the resume point (last good point mysql-test__suite__binlog__std_data__ver_5_1_17.001:691): "
                    "none\n") != std::string::npos);
  }

  TEST_CASE("triage hazards: a temporary table at the last good point of a torn log is in the plan") {
    // mixed.000002 cut at 3300, inside 0-1-32 (3232..3395): the last good point is 3232,
    // where tmp_totals is open; its first use (3274) is the event the cut tore.
    const auto f = testdata_file("mariadb-10.11/mixed.000002");
    const auto in = inputs(f, 3300);
    const auto r = bk::triage(in);
    REQUIRE(r.last_good.has_value());
    CHECK(r.last_good->relay_pos == 3232);
    CHECK(r.hazards_at_origin == "last good point");
    CHECK(summary(r) == "temporary_table logs.tmp_totals 7 3094 -> later");
    CHECK(r.exit_code() == 1);
    const auto text = bk::triage_report_text(r, in);
    CHECK(text.find("-- Before the resume statements (hazards at the resume point):\n--   1. if the replica restarted "
                    "since it stopped, its temporary table(s) `logs`.`tmp_totals` (session 7, created at "
                    "mixed.000002:3094, maybe needed past the end of the input) are gone") != std::string::npos);
    CHECK(has_note(r, "reading on from the last good point for hazards stopped early (mixed.000002: "));
    CHECK(text.find("needed by nothing before the input ends: start at or before") != std::string::npos);
  }

  TEST_CASE("triage hazards: an undamaged log without an executed point is not read again") {
    const auto f = testdata_file("mariadb-10.11/mixed.000002");
    const auto r = bk::triage(inputs(f));
    CHECK_FALSE(r.hazards_at.has_value());
    CHECK(r.hazards.empty());
    CHECK(bk::triage_report_json(r).find("\"hazards_at\": null,\n  \"hazards\": [],\n  \"before_resume\": []") !=
          std::string::npos);
  }
}
