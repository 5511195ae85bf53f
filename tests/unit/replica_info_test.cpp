// The replica's position files (relay-log.info, master.info), MySQL GTID sets, and how
// triage cross-checks them. Expected values: the files a real MariaDB 10.11 replica wrote
// next to what its SHOW SLAVE STATUS said (testdata/relay/mariadb-10.11/expected.json), the
// file layouts as the MySQL and MariaDB manuals describe them, and SHOW RELAYLOG EVENTS.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "binlogkit/events/inputs.hpp"
#include "binlogkit/triage/triage.hpp"
#include "support/binlog_builder.hpp"
#include "triage/damaged_rows.hpp"
#include "support/ci.hpp"

using namespace binlogkit;
using namespace bk_test;

namespace {

const std::string relay_dir = "relay/mariadb-10.11/";

// The relay-log set in index order, with the buffers that hold it.
struct relay_set {
  std::vector<std::vector<std::uint8_t>> data;
  std::vector<triage_input> inputs;
};
relay_set load_relay_set() {
  relay_set s;
  const auto index = read_text(testdata_path(relay_dir + "relay-bin.index"));
  std::vector<std::string> names;
  std::string line;
  for (char c : index) {
    if (c == '\n') {
      if (!line.empty()) names.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  for (const auto& n : names) s.data.push_back(read_file(testdata_path(relay_dir + n)));
  for (std::size_t i = 0; i < names.size(); ++i) s.inputs.push_back({names[i], as_bytes(s.data[i])});
  return s;
}

std::string base_name_of(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

bool has_note_with(const triage_report& r, const std::string& text) {
  for (const auto& n : r.notes) {
    if (n.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_SUITE("replica_info") {
  TEST_CASE("relay-log.info: MariaDB 10.11's file gives what SHOW SLAVE STATUS said") {
    // expected.json: Relay_Log_File relay-bin.000013, Relay_Log_Pos 1113,
    // Relay_Master_Log_File binlog.000005, Exec_Master_Log_Pos 817; MASTER_DELAY 0.
    const auto text = read_text(testdata_path(relay_dir + "relay-log.info"));
    REQUIRE(!text.empty());
    auto r = parse_relay_log_info(text);
    REQUIRE(r.has_value());
    CHECK(r->relay_file == "relay-bin.000013");
    CHECK(r->relay_pos == 1113);
    CHECK(r->source_file == "binlog.000005");
    CHECK(r->source_pos == 817);
    REQUIRE(r->sql_delay.has_value());
    CHECK(*r->sql_delay == 0);
  }

  TEST_CASE("master.info: MariaDB 10.11's file gives the IO thread's position and connection") {
    // expected.json: Master_Log_File binlog.000005, Read_Master_Log_Pos 817,
    // Using_Gtid Slave_Pos (using_gtid=2); the pair's source listens on 127.0.0.1:33061 as bk.
    const auto text = read_text(testdata_path(relay_dir + "master.info"));
    REQUIRE(!text.empty());
    auto m = parse_master_info(text);
    REQUIRE(m.has_value());
    CHECK(m->source_file == "binlog.000005");
    CHECK(m->read_pos == 817);
    CHECK(m->host == "127.0.0.1");
    CHECK(m->user == "bk");
    REQUIRE(m->port.has_value());
    CHECK(*m->port == 33061);
    REQUIRE(m->using_gtid.has_value());
    CHECK(*m->using_gtid == 2);
  }

  TEST_CASE("relay-log.info: MySQL 5.6-8.0 layout with a line count, workers, id and channel") {
    // Lines: count, relay log, relay pos, source binlog, source pos, delay, workers, id, channel.
    auto r = parse_relay_log_info("9\n./replica-relay-bin.000004\n725\nsource-bin.000002\n4589\n30\n4\n1\n\n");
    REQUIRE(r.has_value());
    CHECK(r->relay_file == "./replica-relay-bin.000004");
    CHECK(r->relay_pos == 725);
    CHECK(r->source_file == "source-bin.000002");
    CHECK(r->source_pos == 4589);
    REQUIRE(r->sql_delay.has_value());
    CHECK(*r->sql_delay == 30);
  }

  TEST_CASE("relay-log.info: MySQL 5.5 layout without a line count; CRLF line ends") {
    auto r = parse_relay_log_info("./mysqld-relay-bin.000002\n253\nmysql-bin.000001\n107\n");
    REQUIRE(r.has_value());
    CHECK(r->relay_file == "./mysqld-relay-bin.000002");
    CHECK(r->relay_pos == 253);
    CHECK(r->source_file == "mysql-bin.000001");
    CHECK(r->source_pos == 107);
    CHECK_FALSE(r->sql_delay.has_value());
    auto crlf = parse_relay_log_info("5\r\nrelay.000007\r\n4\r\nbin.000003\r\n120\r\n0\r\n");
    REQUIRE(crlf.has_value());
    CHECK(crlf->relay_file == "relay.000007");
    CHECK(crlf->source_pos == 120);
  }

  TEST_CASE("relay-log.info: missing lines, non-numbers and small line counts are bad bodies") {
    for (const char* text : {"", "5\nrelay.000001\n4\n", "relay.000001\n4x\nbin.000001\n4\n",
                             "5\nrelay.000001\n4\nbin.000001\n-1\n0\n", "3\nrelay.000001\n4\nbin.000001\n4\n",
                             "5\n\n4\nbin.000001\n4\n0\n"}) {
      CAPTURE(text);
      auto r = parse_relay_log_info(text);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == errc::bad_body);
    }
  }

  TEST_CASE("master.info: MySQL layout and the pre-4.1 one without a line count") {
    auto m = parse_master_info("31\nsource-bin.000009\n154\n10.0.0.5\nrepl\nsecret\n3307\n60\n0\n");
    REQUIRE(m.has_value());
    CHECK(m->source_file == "source-bin.000009");
    CHECK(m->read_pos == 154);
    CHECK(m->host == "10.0.0.5");
    CHECK(m->user == "repl");
    CHECK(*m->port == 3307);
    CHECK_FALSE(m->using_gtid.has_value());
    auto old = parse_master_info("bin.000002\n79\nhost\nu\np\n3306\n60\n");
    REQUIRE(old.has_value());
    CHECK(old->source_file == "bin.000002");
    CHECK(old->read_pos == 79);
    CHECK(*old->port == 3306);
    CHECK_FALSE(parse_master_info("33\nbin.000001\n").has_value());
    CHECK_FALSE(parse_master_info("33\nbin.000001\nx12\n").has_value());
  }

  TEST_CASE("MySQL GTID sets: intervals merged per uuid and tag, case folded, blanks allowed") {
    auto s = parse_mysql_gtid_set(
        "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:7,\n 3e11fa47-71ca-11e1-9e33-c80aa9429562:6:9-10,"
        "4e11fa47-71ca-11e1-9e33-c80aa9429562:Tag_1:1-3:5:plain:2");
    REQUIRE(s.has_value());
    using iv = std::vector<std::pair<std::int64_t, std::int64_t>>;
    const std::string a = "3e11fa47-71ca-11e1-9e33-c80aa9429562", b = "4e11fa47-71ca-11e1-9e33-c80aa9429562";
    CHECK(s->size() == 3);
    CHECK(s->at({a, ""}) == iv{{1, 7}, {9, 10}});
    CHECK(s->at({b, "tag_1"}) == iv{{1, 3}, {5, 5}});
    CHECK(s->at({b, "plain"}) == iv{{2, 2}});
    REQUIRE(parse_mysql_gtid_set("").has_value());
    CHECK(parse_mysql_gtid_set("")->empty());
    for (const char* bad : {"3e11fa47-71ca-11e1-9e33-c80aa9429562", "3e11fa47-71ca-11e1-9e33-c80aa942956:1",
                            "3e11fa47-71ca-11e1-9e33-c80aa9429562:0", "3e11fa47-71ca-11e1-9e33-c80aa9429562:5-3",
                            "3e11fa47-71ca-11e1-9e33-c80aa9429562:tag", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1:t-x:2",
                            "0-1-22"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_mysql_gtid_set(bad).has_value());
    }
  }

  TEST_CASE("triage: relay-log.info's executed position is cross-checked as --executed-position") {
    auto set = load_relay_set();
    REQUIRE(set.inputs.size() == 13);
    auto info = parse_relay_log_info(read_text(testdata_path(relay_dir + "relay-log.info")));
    REQUIRE(info.has_value());
    triage_options opt;
    opt.executed_position = source_position{info->source_file, info->source_pos};
    opt.executed_relay_position = source_position{info->relay_file, info->relay_pos};
    auto r = triage(set.inputs, opt);
    REQUIRE(r.resume.has_value());
    // Executed = last good (binlog.000005:817): the plan is the last good point's.
    CHECK(r.resume->source.file == "binlog.000005");
    CHECK(r.resume->source.pos == 817);
    CHECK(r.resume->gtid_state == "0-1-22");
    CHECK(has_note_with(r, "the SQL thread had executed up to relay-bin.000013:1113 in the relay logs (source binlog.000005:817)"));
    CHECK_FALSE(has_note_with(r, "is before the last good position"));

    // A relay-log.info that lags (written every sync_relay_log_info events): the end of
    // 0-1-17 at binlog.000003:4065 (README: Xid at relay-bin.000009:710, log_pos 4065).
    auto lag = parse_relay_log_info("5\nrelay-bin.000009\n741\nbinlog.000003\n4065\n0\n");
    REQUIRE(lag.has_value());
    opt.executed_position = source_position{lag->source_file, lag->source_pos};
    opt.executed_relay_position = source_position{lag->relay_file, lag->relay_pos};
    r = triage(set.inputs, opt);
    REQUIRE(r.resume.has_value());
    CHECK(r.resume->source.file == "binlog.000003");
    CHECK(r.resume->source.pos == 4065);
    // One point, complete: the relay position, GTID and GTID state of that transaction end.
    CHECK(r.resume->relay_file == "relay-bin.000009");
    CHECK(r.resume->relay_pos == 741);
    CHECK(r.resume->gtid == "0-1-17");
    CHECK(r.resume->gtid_state == "0-1-17");
    REQUIRE(r.executed.has_value());
    CHECK(r.executed->origin == "--executed-position");
    CHECK(r.executed->point.gtid_state == "0-1-17");
    CHECK(has_note_with(r, "the replica's executed point (position binlog.000003:4065, from --executed-position) is "
                           "before the last good point binlog.000005:817 (GTID 0-1-22)"));
    CHECK(has_note_with(r, "relay-log.info is written every sync_relay_log_info transactions"));
    CHECK(r.resume_sql == std::vector<std::string>{"STOP SLAVE", "RESET SLAVE", "SET GLOBAL gtid_slave_pos = '0-1-17'",
                                                    "CHANGE MASTER TO MASTER_USE_GTID = slave_pos", "START SLAVE"});
    CHECK(r.resume_sql_position ==
          std::vector<std::string>{"SET NAMES utf8mb4", "STOP SLAVE",
                                   "CHANGE MASTER TO MASTER_LOG_FILE = 'binlog.000003', MASTER_LOG_POS = 4065, MASTER_USE_GTID = no",
                                   "START SLAVE"});
    CHECK(r.after_catch_up_sql ==
          std::vector<std::string>{"STOP SLAVE", "CHANGE MASTER TO MASTER_USE_GTID = slave_pos", "START SLAVE"});
  }

  TEST_CASE("triage: an executed position shown right after the source's rotate means the old file") {
    // After the SQL thread applies the source's Rotate, MariaDB shows (and relay-log.info
    // keeps) the new binlog's name with the old binlog's position: seen on a real replica
    // as binlog.000005:1658 where the last applied transaction ended at binlog.000004:1658.
    // Here the source rotated from binlog.000003 to binlog.000004 after 0-1-18, whose
    // Query ends at log_pos 4270 (relay-bin.000009 at 783, README/events.txt).
    auto set = load_relay_set();
    REQUIRE(set.inputs.size() == 13);
    triage_options opt;
    opt.executed_position = source_position{"binlog.000004", 4270};
    auto r = triage(set.inputs, opt);
    REQUIRE(r.resume.has_value());
    CHECK(r.resume->source.file == "binlog.000003");
    CHECK(r.resume->source.pos == 4270);
    CHECK(has_note_with(r, "read as binlog.000003:4270"));
    CHECK(has_note_with(r, "executed point (position binlog.000003:4270, from --executed-position) is before the last good point binlog.000005:817"));
    // The transaction that ends there, found through the rotate: 0-1-18.
    CHECK(r.resume->gtid == "0-1-18");
    CHECK(r.resume->gtid_state == "0-1-18");
    CHECK(r.resume->relay_pos == 946);  // the Query at 783 ends there
    // The same position in the new file's own coordinates is taken as it is.
    opt.executed_position = source_position{"binlog.000004", 383};
    r = triage(set.inputs, opt);
    REQUIRE(r.resume.has_value());
    CHECK(r.resume->source.file == "binlog.000004");
    CHECK(r.resume->source.pos == 383);
    CHECK_FALSE(has_note_with(r, "read as"));
  }

  TEST_CASE("triage: relay-log.info's relay position wins over its source position at the last good point") {
    // A damaged copy: the last good point is relay-bin.000011:1229 (binlog.000004:933);
    // a relay-log.info naming that relay position with a source position past it must
    // not move the resume point past what the replica applied.
    auto set = load_relay_set();
    REQUIRE(set.inputs.size() == 13);
    auto clean = triage(set.inputs);
    REQUIRE(clean.last_good.has_value());
    std::vector<std::vector<std::uint8_t>> copies;
    for (const auto& in : set.inputs) copies.emplace_back(in.data.begin(), in.data.end());
    auto& f12 = copies[11];
    f12[f12.size() / 2] ^= 0xff;
    std::vector<triage_input> inputs;
    for (std::size_t i = 0; i < copies.size(); ++i) inputs.push_back({set.inputs[i].name, {copies[i].data(), copies[i].size()}});
    auto damaged = triage(inputs);
    REQUIRE(damaged.last_good.has_value());
    CHECK(base_name_of(damaged.last_good->relay_file) == "relay-bin.000011");
    CHECK(damaged.last_good->relay_pos == 1229);
    CHECK(damaged.last_good->source.file == "binlog.000004");
    CHECK(damaged.last_good->source.pos == 933);
    triage_options opt;
    opt.executed_relay_position = source_position{"./relay-bin.000011", 1229};
    opt.executed_position = source_position{"binlog.000005", 1658};
    auto r = triage(inputs, opt);
    REQUIRE(r.resume.has_value());
    CHECK(r.resume->source.file == "binlog.000004");
    CHECK(r.resume->source.pos == 933);
    CHECK(has_note_with(r, "using the relay position"));
    CHECK_FALSE(has_note_with(r, "is past the last good position"));
  }

  TEST_CASE("triage: an executed position past the last good one only by bookkeeping events") {
    // relay-bin.000013 cut at 750, inside the DROP TABLE of 0-1-21 (Query at 717, source
    // End_log_pos 542; its GTID event at 675 starts at binlog.000005:379, after two
    // Binlog_checkpoint events and a Gtid_list, README/events.txt).
    auto set = load_relay_set();
    REQUIRE(set.inputs.size() == 13);
    set.inputs.back().data = set.inputs.back().data.subspan(0, 750);
    auto torn = triage(set.inputs);
    REQUIRE(torn.last_good.has_value());
    CHECK(torn.last_good->gtid == "0-1-20");
    REQUIRE(torn.source_at_damage.has_value());
    CHECK(torn.source_at_damage->file == "binlog.000005");
    CHECK(torn.source_at_damage->pos == 379);
    const auto text = triage_report_json(torn);
    CHECK(text.find("\"source_at_damage\": {\n    \"file\": \"binlog.000005\",\n    \"pos\": 379\n  }") != std::string::npos);
    triage_options opt;
    // The SQL thread applied the checkpoints: past the last good point, not into 0-1-21.
    opt.executed_position = source_position{"binlog.000005", 379};
    auto r = triage(set.inputs, opt);
    REQUIRE(r.resume.has_value());
    CHECK(r.resume->source.file == "binlog.000005");
    CHECK(r.resume->source.pos == 379);
    CHECK(has_note_with(r, "only by events that belong to no transaction"));
    CHECK_FALSE(has_note_with(r, "applied events at or after the damage"));
    // Only the source's Rotate applied: the new binlog's first position.
    opt.executed_position = source_position{"binlog.000005", 4};
    r = triage(set.inputs, opt);
    REQUIRE(r.resume.has_value());
    CHECK(r.resume->source.file == "binlog.000005");
    CHECK(r.resume->source.pos == 4);
    CHECK(has_note_with(r, "only by events that belong to no transaction (binlog checkpoints, rotates, GTID lists): "
                           "nothing at or after the damage (from binlog.000005:379) was applied"));
    CHECK_FALSE(has_note_with(r, "applied events at or after the damage"));
    CHECK_FALSE(r.executed_past_damage);
    // Past the start of 0-1-21: it applied what the relay log has lost.
    opt.executed_position = source_position{"binlog.000005", 542};
    r = triage(set.inputs, opt);
    REQUIRE(r.resume.has_value());
    CHECK(r.resume->source.pos == 542);
    CHECK(has_note_with(r, "applied events at or after the damage"));
    CHECK_FALSE(has_note_with(r, "only by events that belong to no transaction"));
  }

  TEST_CASE("triage: master.info's read position against a relay log cut inside a transaction") {
    auto set = load_relay_set();
    REQUIRE(set.inputs.size() == 13);
    auto m = parse_master_info(read_text(testdata_path(relay_dir + "master.info")));
    REQUIRE(m.has_value());
    triage_options opt;
    opt.read_position = source_position{m->source_file, m->read_pos};
    // Whole set: the relay logs reach what the receiver recorded, nothing to say.
    auto whole = triage(set.inputs, opt);
    REQUIRE(whole.source_end.has_value());
    CHECK(whole.source_end->file == "binlog.000005");
    CHECK(whole.source_end->pos == 817);
    CHECK_FALSE(has_note_with(whole, "the receiver had read up to"));
    // relay-bin.000013 cut at 1050, inside the Write_rows at 1033-1082: SHOW RELAYLOG
    // EVENTS lists the Table_map before it at 974 with End_log_pos 737.
    set.inputs.back().data = set.inputs.back().data.subspan(0, 1050);
    auto torn = triage(set.inputs, opt);
    REQUIRE(torn.source_end.has_value());
    CHECK(torn.source_end->file == "binlog.000005");
    CHECK(torn.source_end->pos == 737);
    CHECK(has_note_with(torn, "the receiver had read up to binlog.000005:817 from the source, but the relay logs end at binlog.000005:737"));
  }

  TEST_CASE("triage: a MySQL executed GTID set behind, equal to or past the last good set") {
    // binlog_transaction_with_GTID.000001: an empty Previous_gtids (n_sids 0 at offset 139)
    // and transactions 006c2cf2-b1ea-11e4-9057-8c705a3d3e78:1..3, the last ending at 766
    // (tests/triage/transactions.tsv, from mariadb-binlog's positions).
    auto data = read_file(corpus_path("stoneatom+stonedb/mysql-test__std_data__binlog_transaction_with_GTID.000001"));
    if (data.empty()) BK_MISSING_INPUT("stoneatom+stonedb/mysql-test__std_data__binlog_transaction_with_GTID.000001");
    std::vector<triage_input> in{{"binlog_transaction_with_GTID.000001", as_bytes(data)}};
    const std::string u = "006c2cf2-b1ea-11e4-9057-8c705a3d3e78";
    auto plain = triage(in);
    REQUIRE(plain.last_good.has_value());
    CHECK(plain.last_good->gtid_state == u + ":1-3");
    CHECK(plain.last_good->relay_pos == 766);

    triage_options opt;
    opt.executed_gtids = u + ":1-3, 11111111-2222-3333-4444-555555555555:1-100";  // replica's own: ignored
    auto same = triage(in, opt);
    REQUIRE(same.resume.has_value());
    CHECK(same.resume->gtid_state == u + ":1-3");
    CHECK(same.resume_mode == resume_mode::position);
    CHECK(same.resume_sql_position ==
          std::vector<std::string>{"SET NAMES utf8mb4", "STOP SLAVE",
                                   "CHANGE MASTER TO MASTER_LOG_FILE = 'binlog_transaction_with_GTID.000001', MASTER_LOG_POS = 766",
                                   "START SLAVE"});
    // A file/position plan on a GTID replica: back to auto-positioning once caught up.
    CHECK(same.after_catch_up_sql == std::vector<std::string>{"STOP SLAVE", "CHANGE MASTER TO MASTER_AUTO_POSITION = 1", "START SLAVE"});

    opt.executed_gtids = u + ":1-2";
    auto behind = triage(in, opt);
    REQUIRE(behind.resume.has_value());
    CHECK(behind.resume->gtid_state == u + ":1-2");
    CHECK(behind.resume->source.file.empty());
    CHECK(behind.resume_mode == resume_mode::gtid_only);
    CHECK(behind.resume_sql_position.empty());
    // RESET also drops the retrieved set of the relay logs, which auto-positioning would not fetch again.
    CHECK(behind.resume_sql ==
          std::vector<std::string>{"STOP SLAVE", "RESET SLAVE", "CHANGE MASTER TO MASTER_AUTO_POSITION = 1", "START SLAVE"});
    CHECK(behind.resume_sql_mysql == std::vector<std::string>{"STOP REPLICA", "RESET REPLICA",
                                                              "CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 1",
                                                              "START REPLICA"});
    CHECK(has_note_with(behind, "executed point (GTIDs " + u + ":1-2, from --executed-gtids) is before the last good point"));

    opt.executed_gtids = u + ":1-4";
    auto ahead = triage(in, opt);
    CHECK(has_note_with(ahead, "executed point (GTIDs " + u + ":1-4, from --executed-gtids) is past the last good point"));
    CHECK(has_note_with(ahead, "check the data the damaged events touched"));

    opt.executed_gtids = "not a set";
    auto bad = triage(in, opt);
    CHECK(has_note_with(bad, "is not a MySQL GTID set: ignored"));
    CHECK_FALSE(bad.executed.has_value());
    CHECK(bad.resume_sql_position.empty());  // clean, nothing given: no plan
  }
}

namespace {

// The testdata relay-log set with one byte of relay-bin.000013 inverted (README/events.txt:
// 0-1-21 is the Query at 717-838, source end binlog.000005:542; 0-1-22 maps app.accounts at
// 974 and writes it at 1033-1082, source end 817 at 1113).
struct damaged_relay_set {
  relay_set set = load_relay_set();
  std::vector<std::uint8_t> copy;
  explicit damaged_relay_set(std::size_t offset) {
    copy.assign(set.inputs.back().data.begin(), set.inputs.back().data.end());
    copy[offset] ^= 0xff;
    set.inputs.back().data = {copy.data(), copy.size()};
  }
};

// The resume point, every part of it, as one text: a mismatch shows the whole point.
std::string point_text(const std::optional<resume_point>& p) {
  if (!p) return "none";
  return p->relay_file + ":" + std::to_string(p->relay_pos) + " = " + p->source.file + ":" +
         std::to_string(p->source.pos) + " gtid " + p->gtid + " state " + p->gtid_state;
}

}  // namespace

TEST_SUITE("triage") {
  TEST_CASE("triage: a relay-log set whose head was purged starts with the source's rotate: intact") {
    // relay_log_purge=ON leaves the oldest relay log starting with the source's own Rotate
    // (log_pos: the end of the binlog it closes, e.g. 16646 in relay-bin.000005), not the
    // receiver's artificial one: a relay log, not damage.
    auto set = load_relay_set();
    REQUIRE(set.inputs.size() == 13);
    for (std::size_t first : {4u, 9u, 11u}) {
      CAPTURE(set.inputs[first].name);
      std::vector<triage_input> in(set.inputs.begin() + static_cast<std::ptrdiff_t>(first), set.inputs.end());
      const auto r = triage(in);
      CHECK(r.relay);
      CHECK(r.damage.empty());
      CHECK(r.exit_code() == 0);
      CHECK(point_text(r.last_good) == "relay-bin.000013:1113 = binlog.000005:817 gtid 0-1-22 state 0-1-22");
    }
  }

  TEST_CASE("triage: without the executed position a damaged relay-log set gets the server's own state") {
    damaged_relay_set d(1050);  // inside 0-1-22's Write_rows
    const auto r = triage(d.set.inputs);
    REQUIRE(r.last_good.has_value());
    CHECK(r.last_good->relay_file == "relay-bin.000013");
    CHECK(r.last_good->relay_pos == 838);
    CHECK(r.last_good->gtid == "0-1-21");
    CHECK_FALSE(r.executed.has_value());
    CHECK_FALSE(r.resume.has_value());  // never the last good received point as a guess
    CHECK(r.resume_mode == resume_mode::server_state);
    CHECK(r.exit_code() == 1);
    REQUIRE_FALSE(r.notes.empty());
    CHECK(r.notes.front().starts_with("the replica's executed position is unknown"));
    CHECK(r.resume_sql ==
          std::vector<std::string>{"STOP SLAVE", "RESET SLAVE", "CHANGE MASTER TO MASTER_USE_GTID = slave_pos", "START SLAVE"});
    CHECK(r.resume_sql_position.empty());
    CHECK(r.learn_executed_sql == std::vector<std::string>{"SHOW SLAVE STATUS", "SELECT @@GLOBAL.gtid_slave_pos"});
    REQUIRE(r.damaged_transactions.size() == 1);
    const auto& t = r.damaged_transactions.front();
    CHECK(t.file == "relay-bin.000013");
    CHECK(t.offset == 1033);
    CHECK(t.gtid == "0-1-22");
    CHECK(t.after_gtid == "0-1-21");
    CHECK(t.tables == std::vector<std::string>{"`app`.`accounts`"});
    CHECK_FALSE(t.applied);
    // JSON: three distinct points; resume carries only its mode.
    const auto json = triage_report_json(r);
    CHECK(json.find("\"executed\": null") != std::string::npos);
    CHECK(json.find("\"resume\": {\n    \"mode\": \"server_state\"\n  }") != std::string::npos);
  }

  TEST_CASE("triage: MariaDB executed GTIDs equal to, one ahead of and behind the last good point") {
    damaged_relay_set d(1050);
    triage_options opt;
    // Equal: the last good point, complete.
    opt.executed_gtids = "0-1-21";
    auto same = triage(d.set.inputs, opt);
    CHECK(same.resume_mode == resume_mode::position);
    CHECK(point_text(same.resume) == "relay-bin.000013:838 = binlog.000005:542 gtid 0-1-21 state 0-1-21");
    CHECK_FALSE(has_note_with(same, "is past the last good point"));
    CHECK_FALSE(same.damaged_transactions.front().applied);
    CHECK(same.check_tables.empty());

    // Compared by GTID (two domains: no single transaction end stands for the state; domain
    // 5 is not in these files and is not compared): equal is the last good point, with the
    // replica's whole state kept for the plan.
    opt.executed_gtids = "0-1-21,5-9-100";
    auto same2 = triage(d.set.inputs, opt);
    REQUIRE(same2.resume.has_value());
    CHECK(same2.resume_mode == resume_mode::position);
    CHECK(same2.resume->relay_pos == 838);
    CHECK(same2.resume->source.pos == 542);
    CHECK_FALSE(has_note_with(same2, "is past the last good point"));
    opt.executed_gtids = "0-1-22,5-9-100";
    auto ahead2 = triage(d.set.inputs, opt);
    REQUIRE(ahead2.resume.has_value());
    CHECK(ahead2.resume_mode == resume_mode::gtid_only);
    CHECK(ahead2.resume->gtid_state == "0-1-22,5-9-100");
    CHECK(ahead2.damaged_transactions.front().applied);
    opt.executed_gtids = "0-1-20,5-9-100";
    auto behind2 = triage(d.set.inputs, opt);
    REQUIRE(behind2.resume.has_value());
    CHECK(behind2.resume_mode == resume_mode::gtid_only);
    CHECK(behind2.resume->gtid_state == "0-1-20,5-9-100");
    CHECK(has_note_with(behind2, "executed point (GTIDs 0-1-20,5-9-100, from --executed-gtids) is before"));

    // One ahead: it applied 0-1-22, the damaged transaction. Resume after it (nothing
    // twice) and name it with its table.
    opt.executed_gtids = "0-1-22";
    auto ahead = triage(d.set.inputs, opt);
    REQUIRE(ahead.resume.has_value());
    CHECK(ahead.resume_mode == resume_mode::gtid_only);
    CHECK(ahead.resume->source.file.empty());
    CHECK(ahead.resume->gtid_state == "0-1-22");
    CHECK(ahead.resume_sql == std::vector<std::string>{"STOP SLAVE", "RESET SLAVE", "SET GLOBAL gtid_slave_pos = '0-1-22'",
                                                        "CHANGE MASTER TO MASTER_USE_GTID = slave_pos", "START SLAVE"});
    CHECK(has_note_with(ahead, "executed point (GTIDs 0-1-22, from --executed-gtids) is past the last good point"));
    CHECK(ahead.damaged_transactions.front().applied);
    CHECK(has_note_with(ahead, "the replica applied transaction 0-1-22 from damaged events (relay-bin.000013 offset "
                               "1033), tables `app`.`accounts`"));
    CHECK(ahead.check_tables == std::vector<std::string>{"`app`.`accounts`"});

    // Behind: the point where 0-1-19 ended (relay-bin.000011 at 948, binlog.000004:652).
    opt.executed_gtids = "0-1-19";
    auto behind = triage(d.set.inputs, opt);
    CHECK(behind.resume_mode == resume_mode::position);
    CHECK(point_text(behind.resume) == "relay-bin.000011:948 = binlog.000004:652 gtid 0-1-19 state 0-1-19");
    CHECK(behind.resume_sql == std::vector<std::string>{"STOP SLAVE", "RESET SLAVE", "SET GLOBAL gtid_slave_pos = '0-1-19'",
                                                         "CHANGE MASTER TO MASTER_USE_GTID = slave_pos", "START SLAVE"});
    CHECK(behind.resume_sql_position[2] ==
          "CHANGE MASTER TO MASTER_LOG_FILE = 'binlog.000004', MASTER_LOG_POS = 652, MASTER_USE_GTID = no");
    CHECK(has_note_with(behind, "executed point (position binlog.000004:652, from --executed-gtids) is before the last good point "
                                "binlog.000005:542 (GTID 0-1-21)"));
    CHECK_FALSE(behind.damaged_transactions.front().applied);
  }

  TEST_CASE("triage: the executed relay position wins over a source position recorded beside it") {
    // After CHANGE MASTER TO MASTER_USE_GTID = no, RELAY_LOG_FILE = ..., RELAY_LOG_POS = ...
    // MariaDB records the receiver's read position (here the end, binlog.000005:817) as the
    // SQL thread's source position until the next source rotate; its relay position
    // (relay-bin.000011 at 948, the end of 0-1-19) is where it reads. Trusting the source
    // position would resume past 0-1-20..0-1-22, which it never executed.
    damaged_relay_set d(1050);
    triage_options opt;
    opt.executed_position = source_position{"binlog.000005", 817};
    opt.executed_relay_position = source_position{"/var/lib/mysql/relay-bin.000011", 948};
    opt.executed_origin = "relay-log.info";
    const auto r = triage(d.set.inputs, opt);
    REQUIRE(r.executed.has_value());
    CHECK(r.executed->point.source == source_position{"binlog.000004", 652});
    CHECK(r.resume_mode == resume_mode::position);
    CHECK(point_text(r.resume) == "relay-bin.000011:948 = binlog.000004:652 gtid 0-1-19 state 0-1-19");
    CHECK_FALSE(r.damaged_transactions.front().applied);
    CHECK(has_note_with(r, "the executed relay position /var/lib/mysql/relay-bin.000011:948 ends a transaction at "
                           "source binlog.000004:652, not at the source position recorded with it "
                           "(binlog.000005:817;"));
    CHECK(has_note_with(r, "the SQL thread had executed up to /var/lib/mysql/relay-bin.000011:948 in the relay logs "
                           "(source binlog.000004:652)"));
    // Consistent positions: no note, the same point.
    opt.executed_position = source_position{"binlog.000004", 652};
    const auto same = triage(d.set.inputs, opt);
    CHECK(point_text(same.resume) == "relay-bin.000011:948 = binlog.000004:652 gtid 0-1-19 state 0-1-19");
    CHECK_FALSE(has_note_with(same, "ends a transaction at source"));
  }

  TEST_CASE("triage: the rows of an applied damaged transaction, as dump -v prints them") {
    damaged_relay_set d(1050);  // a byte of 0-1-22's Write_rows (relay-bin.000013 at 1033)
    triage_options opt;
    opt.executed_gtids = "0-1-22";
    const auto r = triage(d.set.inputs, opt);
    REQUIRE(r.damaged_transactions.size() == 1);
    const auto& t = r.damaged_transactions.front();
    REQUIRE(t.applied);
    CHECK(t.begin_file == "relay-bin.000013");
    CHECK(t.begin == 838);  // 0-1-22's GTID event, where 0-1-21 ended
    REQUIRE(t.rows.size() == 1);
    CHECK(t.rows[0].file == "relay-bin.000013");
    CHECK(t.rows[0].event_offset == 1033);
    CHECK(t.rows[0].from_damaged_event);
    // The same lines `dump -v` prints for the intact event.
    CHECK(t.rows[0].text == "### INSERT INTO `app`.`accounts`\n### SET\n###   @1=7\n###   @2='grace'\n###   @3=3.00\n"
                            "###   @4=NULL");
    CHECK(t.rows_more == 0);
    CHECK(t.rows_note.empty());
    const auto text = triage_report_text(r, d.set.inputs);
    CHECK(text.find("rows the replica applied in transaction 0-1-22 (re-sync these rows, or the tables):\n"
                    "# relay-bin.000013 offset 1033 (the damaged event, decoded without its checksum: values may be "
                    "wrong)\n### INSERT INTO `app`.`accounts`\n") != std::string::npos);
    const auto json = triage_report_json(r);
    CHECK(json.find("\"from_damaged_event\": true") != std::string::npos);
    CHECK(json.find("\"doubt\": \"the damaged event, decoded without its checksum\"") != std::string::npos);
    CHECK(json.find("\"more\": 0") != std::string::npos);

    // Not applied: no rows read.
    opt.executed_gtids = "0-1-21";
    const auto same = triage(d.set.inputs, opt);
    CHECK(same.damaged_transactions.front().rows.empty());
    CHECK(triage_report_json(same).find("\"rows\"") == std::string::npos);
  }

  TEST_CASE("triage: C1 controls in applied rows are escaped, other text kept") {
    // U+009B (C2 9B) is CSI to xterm: "\xc2\x9b" + "31m" would colour the report.
    CHECK(escape_c1_controls("@2='a\xc2\x9b" "31mred\xc2\x80\xc2\x9f'") ==
          "@2='a\\xc2\\x9b31mred\\xc2\\x80\\xc2\\x9f'");
    // Not C1: U+00A0 (C2 A0), multibyte text whose later bytes are 0x80..0x9f, a lone C2.
    CHECK(escape_c1_controls("\xc2\xa0 \xe6\x97\xa5 \xc3\xa9 \xc2") == "\xc2\xa0 \xe6\x97\xa5 \xc3\xa9 \xc2");
    CHECK(escape_c1_controls("").empty());
  }

  TEST_CASE("triage: a source's fake Gtid_list repeated by a reconnect is not damage") {
    // testdata/relay-reconnect: two reconnects at binlog.000003:5054 left two artificial
    // Gtid_list events with log_pos 5054 (relay-bin.000002 at 734 and 793).
    std::vector<std::vector<std::uint8_t>> data;
    std::vector<triage_input> inputs;
    for (const char* n : {"relay-bin.000001", "relay-bin.000002"}) {
      data.push_back(read_file(testdata_path(std::string("relay-reconnect/") + n)));
    }
    inputs.push_back({"relay-bin.000001", as_bytes(data[0])});
    inputs.push_back({"relay-bin.000002", as_bytes(data[1])});
    const auto r = triage(inputs, triage_options{});
    CHECK(r.relay);
    CHECK(r.events == 11);
    CHECK(r.damage.empty());
    CHECK(r.exit_code() == 0);
    REQUIRE(r.source_end.has_value());
    CHECK(*r.source_end == source_position{"binlog.000003", 5054});
  }

  TEST_CASE("triage: rows decoded through a damaged table map are marked, not shown as intact") {
    // A byte of 0-1-22's Table_map (relay-bin.000013 at 974): the column types the intact
    // Write_rows after it (at 1033) is decoded with are the damaged bytes'. Its values are
    // as untrustworthy as the damaged event's own.
    damaged_relay_set d(1022);  // VARCHAR(128) of @2 becomes VARCHAR(127): decodes, from damaged bytes
    triage_options opt;
    opt.executed_gtids = "0-1-22";
    const auto r = triage(d.set.inputs, opt);
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage.front().offset == 974);
    REQUIRE(r.damaged_transactions.size() == 1);
    const auto& t = r.damaged_transactions.front();
    REQUIRE(t.applied);
    REQUIRE_FALSE(t.rows.empty());
    for (const auto& row : t.rows) {
      CHECK(row.event_offset == 1033);
      CHECK(row.from_damaged_event);
    }
    const auto text = triage_report_text(r, d.set.inputs);
    CHECK(text.find("# relay-bin.000013 offset 1033 (decoded with the damaged table map at offset 974: values may "
                    "be wrong)\n") != std::string::npos);
    CHECK(triage_report_json(r).find("\"doubt\": \"decoded with the damaged table map at offset 974\"") !=
          std::string::npos);
  }

  TEST_CASE("triage: an executed position past the damage resumes there and names what was applied") {
    damaged_relay_set d(780);  // inside 0-1-21's Query (a statement: no table map)
    triage_options opt;
    opt.executed_position = source_position{"binlog.000005", 817};  // the end of 0-1-22
    const auto r = triage(d.set.inputs, opt);
    REQUIRE(r.last_good.has_value());
    CHECK(r.last_good->gtid == "0-1-20");
    CHECK(r.resume_mode == resume_mode::position);
    CHECK(point_text(r.resume) == "relay-bin.000013:1113 = binlog.000005:817 gtid 0-1-22 state 0-1-22");
    CHECK(r.executed_past_damage);
    REQUIRE(r.damaged_transactions.size() == 1);
    CHECK(r.damaged_transactions.front().gtid == "0-1-21");
    CHECK(r.damaged_transactions.front().applied);
    CHECK(has_note_with(r, "the replica applied transaction 0-1-21 from damaged events (relay-bin.000013 offset 717) "
                           "(tables unknown"));

    // Before the last good point: resume there, not at the last good received point.
    opt.executed_position = source_position{"binlog.000004", 652};
    const auto before = triage(d.set.inputs, opt);
    REQUIRE(before.resume.has_value());
    CHECK(before.resume->source.pos == 652);
    CHECK(before.resume->gtid_state == "0-1-19");
    CHECK_FALSE(before.damaged_transactions.front().applied);
  }
}

TEST_SUITE("triage") {
  TEST_CASE("triage: plan names are quoted by doubling quotes; one that needs more gets no position plan") {
    damaged_relay_set d(1050);
    triage_options opt;
    opt.executed_position = source_position{"bin'log.000004", 652};
    auto r = triage(d.set.inputs, opt);
    REQUIRE(r.resume.has_value());
    CHECK(r.resume->source.file == "bin'log.000004");
    REQUIRE(r.resume_sql_position.size() == 4);
    CHECK(r.resume_sql_position[0] == "SET NAMES utf8mb4");
    // Right with and without NO_BACKSLASH_ESCAPES: no backslash escape anywhere.
    CHECK(r.resume_sql_position[2] ==
          "CHANGE MASTER TO MASTER_LOG_FILE = 'bin''log.000004', MASTER_LOG_POS = 652, MASTER_USE_GTID = no");
    opt.executed_position = source_position{"bin\\'log.000004", 652};
    r = triage(d.set.inputs, opt);
    CHECK(r.resume_sql_position.empty());
    CHECK(r.resume_sql.empty());  // no GTID state known for that point either
    CHECK(has_note_with(r, "cannot be quoted as CHANGE MASTER takes it"));
  }

  TEST_CASE("triage: a relay log the index lists but that is missing is lost, not unreadable") {
    auto set = load_relay_set();
    REQUIRE(set.inputs.size() == 13);
    set.inputs[9].data = {};
    set.inputs[9].missing = true;  // relay-bin.000010: binlog.000003's end, 0-1-18 is in 000009
    const auto r = triage(set.inputs);
    REQUIRE_FALSE(r.damage.empty());
    CHECK(r.damage.front().file == "relay-bin.000010");
    CHECK(r.damage.front().code == errc::io_error);
    REQUIRE(r.last_good.has_value());
    CHECK(r.last_good->relay_file == "relay-bin.000009");
    CHECK(r.last_good->gtid == "0-1-18");
    CHECK(r.resume_mode == resume_mode::server_state);
    CHECK(r.exit_code() == 1);
    CHECK_FALSE(r.unreadable);
  }
}

TEST_SUITE("triage") {
  TEST_CASE("triage: a replica whose SQL thread runs gives no position; the report says so first") {
    damaged_relay_set d(1050);
    triage_options opt;
    opt.replica_sql_running = true;
    opt.executed_origin = "the replica (SHOW SLAVE STATUS, @@gtid_slave_pos)";
    const auto r = triage(d.set.inputs, opt);
    CHECK_FALSE(r.executed.has_value());
    CHECK(r.resume_mode == resume_mode::server_state);
    REQUIRE(r.notes.size() >= 2);
    CHECK(r.notes[0].starts_with("the replica's SQL thread is running"));
    CHECK(r.notes[1].starts_with("the replica's executed position is unknown (--replica: its SQL thread is running, "
                                 "no position was taken): "));
  }
}

TEST_SUITE("triage") {
  TEST_CASE("triage: info files of a reset replica name no binlog: ignored, never printed as ':4'") {
    damaged_relay_set d(1050);
    triage_options opt;
    opt.executed_position = source_position{"", 4};
    opt.executed_relay_position = source_position{"./relay-bin.000001", 4};
    opt.read_position = source_position{"", 4};
    const auto r = triage(d.set.inputs, opt);
    CHECK_FALSE(r.executed.has_value());
    CHECK(r.resume_mode == resume_mode::server_state);
    CHECK(has_note_with(r, "the executed position names no source binlog (:4; a replica reset or never started): ignored"));
    CHECK(has_note_with(r, "master.info names no source binlog"));
    CHECK(has_note_with(r, "the SQL thread had executed up to ./relay-bin.000001:4 in the relay logs"));
    CHECK_FALSE(has_note_with(r, "(source :"));
    CHECK_FALSE(has_note_with(r, "up to :4"));
  }
}

TEST_SUITE("replica_info") {
  TEST_CASE("inputs: an index that lost a relay log keeps it in the list; one naming other things is a file") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("bk-index-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const auto one = testdata_path(relay_dir + "relay-bin.000001");
    fs::copy_file(one, dir / "relay-bin.000001");
    fs::copy_file(one, dir / "relay-bin.000003");
    {
      std::ofstream idx(dir / "relay-bin.index");
      idx << "./relay-bin.000001\n./relay-bin.000002\n./relay-bin.000003\n";
      std::ofstream other(dir / "notes.index");
      other << "./relay-bin.000001\n./readme\n";
    }
    auto files = expand_inputs({(dir / "relay-bin.index").string()});
    REQUIRE(files.has_value());
    CHECK(*files == std::vector<std::string>{(dir / "relay-bin.000001").string(), (dir / "relay-bin.000002").string(),
                                             (dir / "relay-bin.000003").string()});
    // A missing line that names no log: not an index, read as a file (and reported as not a binlog).
    auto other = expand_inputs({(dir / "notes.index").string()});
    REQUIRE(other.has_value());
    CHECK(*other == std::vector<std::string>{(dir / "notes.index").string()});
    fs::remove_all(dir);
  }
}
