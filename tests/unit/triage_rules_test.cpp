// Triage rules that no input of the fault matrix reaches, each checked through the report
// (damage ranges, the last good point, the resume point, the plan and the notes), never
// through triage's internals:
//  * a binlog event whose log_pos is not its end, in a file without checksums;
//  * a relay log whose source log_pos goes backwards (a repeated block of events whose
//    CRC32s are all valid);
//  * an executed position past the last good one: the GTID state of the last good point
//    no longer describes what the replica applied;
//  * MariaDB --executed-gtids equal to, one behind and one past the last good state.
// Expected values: transactions.tsv (from mariadb-binlog and SHOW RELAYLOG EVENTS) and
// testdata/relay/mariadb-10.11/README's positions.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "binlogkit/events/reader.hpp"
#include "binlogkit/triage/triage.hpp"
#include "support/binlog_builder.hpp"
#include "support/relay_set.hpp"
#include "triage/oracle.hpp"

using namespace binlogkit;
using namespace bk_test;

namespace {

bool has_note_with(const triage_report& r, const std::string& text) {
  for (const auto& n : r.notes) {
    if (n.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + ";\n";
  return s;
}

struct framed {
  std::uint64_t offset = 0, end = 0;
};

// The events of an undamaged file, as the reader frames them.
std::vector<framed> events_of(const std::vector<std::uint8_t>& data) {
  std::vector<framed> out;
  event_reader r(as_bytes(data));
  for (;;) {
    auto next = r.next();
    REQUIRE(next);
    if (!next->has_value()) break;
    out.push_back({(*next)->offset, (*next)->end_offset()});
  }
  return out;
}

void set_le32(std::vector<std::uint8_t>& d, std::uint64_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) d[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}

}  // namespace

TEST_SUITE("triage rules") {
  TEST_CASE("triage: a binlog event's log_pos one past or one short of its end is damage, without checksums") {
    // nochecksum.000001 (MariaDB 10.11, binlog_checksum=NONE): transactions.tsv has 0-1-3
    // ending at 1387 and 0-1-4 over [1387, 2272). The event after 0-1-4's GTID gets a
    // log_pos of its end + 1, then - 1: nothing but log_pos can tell, so the damage is
    // that event, the last good point the end of 0-1-3.
    const std::string key = "testdata/mariadb-10.11/nochecksum.000001";
    const auto pristine = read_file(oracle_path(key));
    REQUIRE(pristine.size() == 2675);
    std::uint64_t txn_begin = 0, txn_end = 0, prev_end = 0;
    for (const auto& t : oracle_transactions_ending_in(key)) {
      if (t.gtid == "0-1-3") prev_end = t.end;
      if (t.gtid == "0-1-4") txn_begin = t.begin, txn_end = t.end;
    }
    REQUIRE(prev_end == 1387);
    REQUIRE(txn_begin == 1387);
    REQUIRE(txn_end == 2272);
    const auto evs = events_of(pristine);
    const framed* target = nullptr;
    for (const auto& e : evs) {
      if (e.offset > txn_begin && e.end < txn_end) {
        target = &e;
        break;
      }
    }
    REQUIRE(target != nullptr);
    for (int delta : {+1, -1}) {
      CAPTURE(delta);
      auto copy = pristine;
      set_le32(copy, target->offset + 13, static_cast<std::uint32_t>(static_cast<std::int64_t>(target->end) + delta));
      const auto r = triage({{"nochecksum.000001", as_bytes(copy)}});
      REQUIRE_FALSE(r.damage.empty());
      const auto& d = r.damage.front();
      CHECK(d.file == "nochecksum.000001");
      CHECK(d.offset == target->offset);
      CHECK(d.length == target->end - target->offset);
      CHECK(d.code == errc::bad_log_pos);
      CHECK(d.detail == "log_pos does not equal the event's end offset");
      REQUIRE(r.last_good.has_value());
      CHECK(r.last_good->relay_pos == 1387);
      CHECK(r.last_good->gtid == "0-1-3");
      CHECK(r.exit_code() == 1);
    }
  }

  TEST_CASE("triage: a relay log repeating a block of events (CRC32s valid) breaks the source log_pos chain") {
    // relay-bin.000013: 0-1-22 over [838, 1113), its source position binlog.000005:817
    // (transactions.tsv). A copy of those events inserted at 1113, every CRC32 intact,
    // reads as a second 0-1-22 whose source log_pos goes back to where 0-1-21 ended: the
    // first copied event is the damage, the last good point stays the original 0-1-22.
    RELAY_SET_OR_SKIP();
    REQUIRE(set.names.back() == "relay-bin.000013");
    auto& f13 = set.data.back();
    REQUIRE(f13.size() == 1136);
    const auto clean = triage(set.inputs());
    REQUIRE(clean.damage.empty());
    check_relay_end_point(clean.last_good);

    std::vector<std::uint8_t> block(f13.begin() + 838, f13.begin() + 1113);
    f13.insert(f13.begin() + 1113, block.begin(), block.end());
    const auto r = triage(set.inputs());
    INFO(joined(r.notes));
    REQUIRE_FALSE(r.damage.empty());
    const auto& d = r.damage.front();
    CHECK(d.file == "relay-bin.000013");
    CHECK(d.offset == 1113);
    CHECK(d.code == errc::bad_log_pos);
    CHECK(d.detail == "source log_pos goes backwards or overlaps the previous event");
    check_relay_end_point(r.last_good);  // the original 0-1-22
    CHECK(r.exit_code() == 1);
  }

  TEST_CASE("triage: an executed position past the last good one drops the last good GTID state from the plan") {
    // relay-bin.000013 cut at 750, inside the DROP TABLE of 0-1-21 (source End_log_pos
    // 542): the last good point is 0-1-20. A replica that executed up to binlog.000005:542
    // applied 0-1-21; resuming from gtid_slave_pos 0-1-20 would apply it again, so the
    // plan is the executed position's, with no GTID state.
    RELAY_SET_OR_SKIP();
    set.data.back().resize(750);
    triage_options opt;
    opt.executed_position = source_position{"binlog.000005", 542};
    const auto r = triage(set.inputs(), opt);
    INFO(joined(r.notes));
    REQUIRE(r.last_good.has_value());
    CHECK(r.last_good->gtid == "0-1-20");
    CHECK(r.last_good->gtid_state == "0-1-20");
    REQUIRE(r.resume.has_value());
    CHECK(r.resume->source.file == "binlog.000005");
    CHECK(r.resume->source.pos == 542);
    CHECK(r.resume->gtid_state.empty());
    const std::vector<std::string> plan{
        "SET NAMES utf8mb4", "STOP SLAVE",
        "CHANGE MASTER TO MASTER_LOG_FILE = 'binlog.000005', MASTER_LOG_POS = 542, MASTER_USE_GTID = no",
        "START SLAVE"};
    CHECK(r.resume_sql_position == plan);
    CHECK(r.resume_sql == plan);
    CHECK(joined(r.resume_sql).find("gtid_slave_pos") == std::string::npos);
    CHECK(has_note_with(r, "the replica's executed point (position binlog.000005:542, from --executed-position) is "
                           "past the last good point binlog.000004:933 (GTID 0-1-20)"));
    CHECK(has_note_with(r, "the replica applied transaction 0-1-21 from damaged events"));
  }

  TEST_CASE("triage: MariaDB --executed-gtids equal to, one behind and one past the last good state") {
    // The same cut (last good state 0-1-20).
    RELAY_SET_OR_SKIP();
    set.data.back().resize(750);
    const auto in = set.inputs();
    triage_options opt;

    opt.executed_gtids = "0-1-20";  // equal: the plan is the last good point's
    auto same = triage(in, opt);
    REQUIRE(same.resume.has_value());
    CHECK(same.resume->gtid_state == "0-1-20");
    CHECK(same.resume_sql_position.size() == 4);
    CHECK(joined(same.resume_sql).find("SET GLOBAL gtid_slave_pos = '0-1-20'") != std::string::npos);
    CHECK_FALSE(has_note_with(same, "the replica's executed GTIDs"));

    opt.executed_gtids = "0-1-21";  // one past: it applied 0-1-21, which the relay log lost
    auto ahead = triage(in, opt);
    INFO(joined(ahead.notes));
    REQUIRE(ahead.resume.has_value());
    CHECK(ahead.resume->gtid_state == "0-1-21");
    CHECK(ahead.resume_sql_position.empty());
    CHECK(joined(ahead.resume_sql).find("SET GLOBAL gtid_slave_pos = '0-1-21'") != std::string::npos);
    CHECK(joined(ahead.resume_sql).find("MASTER_LOG_FILE") == std::string::npos);
    CHECK(has_note_with(ahead, "the replica's executed point (GTIDs 0-1-21, from --executed-gtids) is past the "
                               "last good point binlog.000004:933 (GTID 0-1-20)"));

    opt.executed_gtids = "0-1-19";  // one behind: resume from what it executed
    auto behind = triage(in, opt);
    REQUIRE(behind.resume.has_value());
    CHECK(behind.resume->gtid_state == "0-1-19");
    // The position of 0-1-19's end, found in the files: a file/position plan is there too.
    REQUIRE(behind.resume_sql_position.size() == 4);
    CHECK(behind.resume_sql_position[2] ==
          "CHANGE MASTER TO MASTER_LOG_FILE = 'binlog.000004', MASTER_LOG_POS = 652, MASTER_USE_GTID = no");
    CHECK(joined(behind.resume_sql).find("SET GLOBAL gtid_slave_pos = '0-1-19'") != std::string::npos);
    CHECK(has_note_with(behind, "the replica's executed point (position binlog.000004:652, from --executed-gtids) "
                                "is before the last good point binlog.000004:933 (GTID 0-1-20)"));

    opt.executed_gtids = "5-1-100";  // another domain only: nothing of domain 0 executed
    auto other = triage(in, opt);
    INFO(joined(other.notes));
    REQUIRE(other.resume.has_value());
    // Behind in domain 0: the plan is the replica's own state, never the last good 0-1-20
    // (which would skip 0-1-1 … 0-1-20 on a replica that executed none of them).
    CHECK(other.resume->gtid_state == "5-1-100");
    CHECK(other.resume_sql_position.empty());
    CHECK(joined(other.resume_sql).find("SET GLOBAL gtid_slave_pos = '5-1-100'") != std::string::npos);
    CHECK(joined(other.resume_sql).find("0-1-20") == std::string::npos);
    CHECK(has_note_with(other, "the replica's executed point (GTIDs 5-1-100, from --executed-gtids) is before the "
                               "last good point binlog.000004:933 (GTID 0-1-20)"));
  }
}
