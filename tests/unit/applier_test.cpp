// The applier's rules driven through a fake connection (tests/support/fake_connection.hpp),
// without a server: commit order, batching and packets, the stop at an error, skipped
// errors, the resume decision. The real-server tests (tests/server) keep checking that a
// real target ends equal to the source.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "binlogkit/events/inputs.hpp"
#include "binlogkit/replay/replay.hpp"
#include "binlogkit/sql/sql.hpp"
#include "replay/dependency_policy.hpp"
#include "replay/job_builder.hpp"
#include "replay/replay_session.hpp"
#include "support/fake_connection.hpp"

namespace {

using namespace binlogkit;
using binlogkit::test::fake_script;

const std::string dir = BINLOGKIT_TESTDATA_DIR "/mariadb-10.11/";

// One transaction as the renderer hands it out: what the applier must record for it.
struct expected_tx {
  std::uint64_t end = 0;
  std::string gtid;
  std::vector<std::string> statements;
  std::vector<std::uint64_t> offsets;
  std::vector<sql_statement_kind> kinds;
};

// The transactions of `files`, rendered for a MariaDB target as the applier renders them.
std::vector<expected_tx> transactions_of(const std::vector<std::string>& files) {
  auto opened = open_inputs(files);
  REQUIRE(opened.ok());
  std::vector<binlog_input> inputs;
  for (const auto& s : opened.sources) inputs.push_back({s.name(), s.data()});
  render_options ro;
  ro.dialect = sql_dialect::mariadb;
  ro.for_client = false;
  transaction_stream stream(std::move(inputs), sql_filter{}, ro);
  std::vector<expected_tx> out;
  for (;;) {
    auto next = stream.next();
    REQUIRE(next);
    if (!*next) break;
    const rendered_transaction& tx = **next;
    expected_tx e{tx.end, tx.gtid.text(), {}, {}, {}};
    for (const auto& st : tx.statements) {
      e.statements.emplace_back(tx.text(st));
      e.offsets.push_back(st.offset);
      e.kinds.push_back(st.kind);
    }
    out.push_back(std::move(e));
  }
  return out;
}

bool is_progress(const std::string& s) { return s.starts_with("UPDATE `binlogkit`.`replay_progress` SET `file`="); }

// The number after `name`= in a progress UPDATE.
std::uint64_t field(const std::string& update, const std::string& name) {
  const auto at = update.find("`" + name + "`=");
  REQUIRE(at != std::string::npos);
  return std::strtoull(update.c_str() + at + name.size() + 3, nullptr, 10);
}

// The packets after the session set-up and the progress row's INSERT (the data).
std::vector<fake_script::packet> data_packets(const fake_script& s) {
  std::vector<fake_script::packet> out;
  bool started = false;
  for (const auto& p : s.packets) {
    if (started) out.push_back(p);
    if (!p.statements.empty() && p.statements[0].starts_with("INSERT INTO `binlogkit`.`replay_progress`")) {
      started = true;
    }
  }
  return out;
}

replay_result run(const std::shared_ptr<fake_script>& script, const std::vector<std::string>& files,
                  replay_options o = {}, std::vector<std::string>* notes = nullptr) {
  if (notes != nullptr) o.on_note = [notes](const std::string& n) { notes->push_back(n); };
  return detail::replay_with(files, o, test::fake_factory(script));
}

// The index of the first statement of kind `k` in tx.
std::size_t first_of(const expected_tx& tx, sql_statement_kind k) {
  const auto it = std::find(tx.kinds.begin(), tx.kinds.end(), k);
  REQUIRE(it != tx.kinds.end());
  return static_cast<std::size_t>(it - tx.kinds.begin());
}

}  // namespace

TEST_SUITE("applier") {

TEST_CASE("applier: transactions commit in binlog order, each progress row right before its COMMIT") {
  const std::vector<std::string> files{dir + "minimal.000001"};
  const auto txs = transactions_of(files);
  REQUIRE(txs.size() >= 8);
  auto script = std::make_shared<fake_script>();
  const auto res = run(script, files);
  REQUIRE(res.ok());

  const auto all = script->statements();
  std::vector<std::size_t> updates;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (is_progress(all[i])) updates.push_back(i);
  }
  REQUIRE(updates.size() == txs.size());
  for (std::size_t k = 0; k < txs.size(); ++k) {
    const std::string& u = all[updates[k]];
    CAPTURE(u);
    CHECK(field(u, "transactions") == k + 1);
    CHECK(field(u, "end_pos") == txs[k].end);
    CHECK(u.find("`gtid`='" + txs[k].gtid + "'") != std::string::npos);
    REQUIRE(updates[k] + 1 < all.size());
    CHECK(all[updates[k] + 1] == "COMMIT");
    // The transaction's own statements were sent before its progress row, after the last one's.
    const std::string& last_own = txs[k].statements.back() == "COMMIT" && txs[k].statements.size() > 1
                                      ? txs[k].statements[txs[k].statements.size() - 2]
                                      : txs[k].statements.back();
    const auto from = all.begin() + static_cast<std::ptrdiff_t>(k == 0 ? 0 : updates[k - 1] + 2);
    CHECK(std::find(from, all.begin() + static_cast<std::ptrdiff_t>(updates[k]), last_own) !=
          all.begin() + static_cast<std::ptrdiff_t>(updates[k]));
  }
  CHECK(res.progress.transactions == txs.size());
  CHECK(res.progress.transactions_run == txs.size());
  CHECK(res.progress.position == txs.back().end);
  CHECK(res.progress.file == "minimal.000001");
}

TEST_CASE("applier: the session is set up once, before anything of the binlog") {
  auto script = std::make_shared<fake_script>();
  replay_options o;
  o.disable_log_bin = true;
  REQUIRE(run(script, {dir + "minimal.000001"}, o).ok());
  REQUIRE(!script->packets.empty());
  CHECK(script->packets[0].statements == std::vector<std::string>{"SET @@session.pseudo_slave_mode=1",
                                                                   "SET @@session.completion_type=0",
                                                                   "SET @@session.sql_log_bin=0"});
  const auto setup = detail::session_setup(false, 2);
  CHECK(setup.sql == "SET @@session.pseudo_slave_mode=1\n;\nSET @@session.completion_type=0\n;\n"
                     "SET @@session.innodb_lock_wait_timeout=2");
  CHECK(setup.count == 3);
}

TEST_CASE("applier: transactions without packets of their own share one packet per batch") {
  const std::vector<std::string> files{dir + "minimal.000001"};
  const auto txs = transactions_of(files);
  auto script = std::make_shared<fake_script>();
  REQUIRE(run(script, files).ok());
  const auto data = data_packets(*script);
  // minimal.000001 has no LOAD DATA nor a statement not proven single: one round trip.
  REQUIRE(data.size() == 1);
  CHECK(std::count_if(data[0].statements.begin(), data[0].statements.end(), is_progress) ==
        static_cast<std::ptrdiff_t>(txs.size()));
  CHECK_FALSE(data[0].alone);
}

TEST_CASE("applier: a packet holds its pieces while within the room; a piece alone goes by itself") {
  using detail::piece;
  std::vector<piece> pieces(6);
  const std::string ten(10, 'x');
  for (auto& p : pieces) p.text = ten;
  pieces[1].binlog = true;
  pieces[4].alone = true;
  const auto at = [&](std::size_t k) -> const piece& { return pieces[k]; };
  std::string packet;
  std::vector<char> flags;
  // 10 + 13 = 23 <= 30; a third would make 36.
  CHECK(detail::fill_packet(0, pieces.size(), at, 30, packet, flags) == 2);
  CHECK(packet == ten + "\n;\n" + ten);
  CHECK(flags == std::vector<char>{0, 1});
  CHECK(detail::fill_packet(2, pieces.size(), at, 36, packet, flags) == 4);  // 36 fits exactly
  CHECK(detail::fill_packet(3, pieces.size(), at, 1000, packet, flags) == 4);  // stops before the lone one
  CHECK(detail::fill_packet(4, pieces.size(), at, 1000, packet, flags) == 5);  // the lone one by itself
  CHECK(packet == ten);
  CHECK(detail::fill_packet(5, pieces.size(), at, 3, packet, flags) == 6);     // the first goes, however large
  // The batch bounds: 64 transactions, 4 MiB capped at the packet room.
  CHECK(detail::packet_limits::batch_transactions == 64);
  CHECK(detail::packet_limits{100000}.batch_bytes() == 100000);
  CHECK(detail::packet_limits{64u << 20}.batch_bytes() == (4u << 20));
  CHECK(detail::packet_room_for(256u << 20) == (256u << 20) - 16384);
  CHECK(detail::packet_room_for(65536) == 48 * 1024);
}

TEST_CASE("applier: LOAD DATA goes in a packet of its own with its data served") {
  const std::vector<std::string> files{dir + "mixed.000003"};
  auto script = std::make_shared<fake_script>();
  REQUIRE(run(script, files).ok());
  int loads = 0;
  for (const auto& p : script->packets) {
    const bool load = std::any_of(p.statements.begin(), p.statements.end(),
                                  [](const std::string& s) { return s.find("LOCAL INFILE") != std::string::npos; });
    if (!load) continue;
    ++loads;
    CHECK(p.statements.size() == 1);
    CHECK(p.alone);
  }
  CHECK(loads == 1);
  CHECK(script->load_data == std::vector<std::string>{"binlogkit-load-1.dat"});
}

TEST_CASE("applier: an error stops the replay at its statement, every earlier transaction committed") {
  const std::vector<std::string> files{dir + "minimal.000001"};
  const auto txs = transactions_of(files);
  REQUIRE(txs.size() >= 6);  // 0-2: DDL, then row transactions
  const std::size_t bad = first_of(txs[4], sql_statement_kind::binlog_rows);
  auto script = std::make_shared<fake_script>();
  script->failures.push_back({txs[4].statements[bad], 1062, "Duplicate entry '1' for key 'PRIMARY'"});
  const auto res = run(script, files);
  REQUIRE_FALSE(res.ok());
  const auto& f = *res.failure;
  CHECK(f.message == "the target refused a statement");
  CHECK(f.file == dir + "minimal.000001");
  REQUIRE(f.position);
  CHECK(*f.position == txs[4].offsets[bad]);
  CHECK(f.gtid == txs[4].gtid);
  CHECK(f.statement == detail::shorten(txs[4].statements[bad]));
  CHECK(f.server_errno == 1062);
  CHECK(f.server_error == "Duplicate entry '1' for key 'PRIMARY'");
  // Four transactions committed; nothing was sent after the failing packet.
  CHECK(res.progress.transactions == 4);
  CHECK(res.progress.position == txs[3].end);
  CHECK(res.progress.gtid == txs[3].gtid);
  const auto& last = script->packets.back().statements;
  CHECK(std::find(last.begin(), last.end(), txs[4].statements[bad]) != last.end());
  CHECK(f.text().find("at:        " + dir + "minimal.000001:" + std::to_string(txs[4].offsets[bad]) + " (GTID " +
                      txs[4].gtid + ")") != std::string::npos);
}

TEST_CASE("applier: an error listed in skip_errors is reported and the packet goes on after it") {
  const std::vector<std::string> files{dir + "minimal.000001"};
  const auto txs = transactions_of(files);
  const std::size_t bad = first_of(txs[4], sql_statement_kind::binlog_rows);
  auto script = std::make_shared<fake_script>();
  script->failures.push_back({txs[4].statements[bad], 1062, "Duplicate entry"});
  replay_options o;
  o.skip_errors = {1062};
  std::vector<std::string> notes;
  const auto res = run(script, files, o, &notes);
  REQUIRE(res.ok());
  CHECK(res.skipped_errors == 1);
  CHECK(res.progress.transactions == txs.size());
  // The other note: the progress table the fake reports is not ours (UPDATE statements).
  REQUIRE(notes.size() == 2);
  CHECK(notes[0].starts_with("binlogkit.replay_progress is not the table this version creates"));
  CHECK(notes[1].starts_with(dir + "minimal.000001:" + std::to_string(txs[4].offsets[bad]) + " GTID " + txs[4].gtid +
                             ": skipped error 1062 (Duplicate entry): "));
  // The rest of the packet is sent again from the statement after the failing one.
  const auto data = data_packets(*script);
  REQUIRE(data.size() == 2);
  const auto& first = data[0].statements;
  const auto failed = std::find(first.begin(), first.end(), txs[4].statements[bad]);
  REQUIRE(failed != first.end());
  CHECK(data[1].statements == std::vector<std::string>(failed + 1, first.end()));
  CHECK(is_progress(data[1].statements.front()));  // txs[4]'s row: the transaction still commits
  // Our own statements are never skipped.
  auto script2 = std::make_shared<fake_script>();
  script2->failures.push_back({"UPDATE `binlogkit`.`replay_progress`", 1062, "Duplicate entry"});
  const auto res2 = run(script2, files, o);
  REQUIRE_FALSE(res2.ok());
  CHECK(res2.failure->position == txs[0].offsets[0] - 0);  // ours: the transaction's start
  CHECK(res2.progress.transactions == 0);
}

TEST_CASE("applier: a lost connection and more results than statements stop the replay") {
  const std::vector<std::string> files{dir + "minimal.000001"};
  const auto txs = transactions_of(files);
  const std::size_t bad = first_of(txs[3], sql_statement_kind::binlog_rows);
  {
    auto script = std::make_shared<fake_script>();
    script->failures.push_back({txs[3].statements[bad], 2013, "Lost connection to server during query"});
    const auto res = run(script, files);
    REQUIRE_FALSE(res.ok());
    CHECK(res.failure->message == "the connection to the target was lost (rerun with --resume)");
    CHECK(res.failure->server_errno == 2013);
    CHECK(res.progress.transactions == 3);
  }
  {
    fake_script::failure extra;
    extra.contains = txs[3].statements[bad];
    extra.extra = true;
    auto script = std::make_shared<fake_script>();
    script->failures.push_back(extra);
    const auto res = run(script, files);
    REQUIRE_FALSE(res.ok());
    CHECK(res.failure->message == detail::extra_results_message());
    CHECK(res.failure->statement == detail::shorten(script->packets.back().statements.back()));
  }
}

TEST_CASE("applier: resume skips what the progress row says is applied and applies the rest") {
  const std::vector<std::string> files{dir + "minimal.000001"};
  const auto txs = transactions_of(files);
  REQUIRE(txs.size() >= 6);
  auto script = std::make_shared<fake_script>();
  script->progress_row = std::vector<std::string>{"minimal.000001", std::to_string(txs[3].end), txs[3].gtid, "4"};
  replay_options o;
  o.resume = true;
  const auto res = run(script, files, o);
  REQUIRE(res.ok());
  const auto all = script->statements();
  std::vector<std::string> updates;
  std::copy_if(all.begin(), all.end(), std::back_inserter(updates), is_progress);
  REQUIRE(updates.size() == txs.size() - 4);
  CHECK(field(updates[0], "transactions") == 5);
  CHECK(field(updates[0], "end_pos") == txs[4].end);
  // Applied: not sent again. Not applied: sent.
  const auto sent = [&](const std::string& s) { return std::find(all.begin(), all.end(), s) != all.end(); };
  CHECK_FALSE(sent(txs[3].statements[first_of(txs[3], sql_statement_kind::binlog_rows)]));
  CHECK(sent(txs[4].statements[first_of(txs[4], sql_statement_kind::binlog_rows)]));
  CHECK(res.progress.transactions == txs.size());
  CHECK(res.progress.transactions_run == txs.size() - 4);
}

TEST_CASE("applier: a recorded position no transaction ends at, or progress without --resume, is refused") {
  const std::vector<std::string> files{dir + "minimal.000001"};
  const auto txs = transactions_of(files);
  {
    auto script = std::make_shared<fake_script>();
    script->progress_row = std::vector<std::string>{"minimal.000001", std::to_string(txs[3].end + 1), "", "4"};
    replay_options o;
    o.resume = true;
    const auto res = run(script, files, o);
    REQUIRE_FALSE(res.ok());
    CHECK(res.failure->message.starts_with("--resume: no transaction ends at the recorded position minimal.000001:" +
                                           std::to_string(txs[3].end + 1)));
    CHECK(std::none_of(script->packets.begin(), script->packets.end(), [](const fake_script::packet& p) {
      return std::any_of(p.statements.begin(), p.statements.end(), is_progress);
    }));
  }
  {
    auto script = std::make_shared<fake_script>();
    script->progress_row = std::vector<std::string>{"minimal.000001", std::to_string(txs[3].end), txs[3].gtid, "4"};
    const auto res = run(script, files);
    REQUIRE_FALSE(res.ok());
    CHECK(res.failure->message.starts_with("replay id 'minimal' has recorded progress (minimal.000001:" +
                                           std::to_string(txs[3].end) + ", 4 transactions"));
    CHECK(data_packets(*script).empty());
  }
}

// The parallel applier on two fake connections: optimistic mode runs the row transactions
// together; commits stay in binlog order.
replay_options parallel_options() {
  replay_options o;
  o.parallel = 2;
  o.mode = replay_options::parallel_mode::optimistic;
  o.batches = replay_options::batch_mode::never;
  return o;
}

// The `transactions` values of the progress UPDATEs, in the order they ran.
std::vector<std::uint64_t> progress_counts(const fake_script& s) {
  std::vector<std::uint64_t> out;
  for (const auto& st : s.executed) {
    if (is_progress(st)) out.push_back(field(st, "transactions"));
  }
  return out;
}

std::string joined(const std::vector<std::uint64_t>& v) {
  std::string out;
  for (auto x : v) out += std::to_string(x) + " ";
  return out;
}

std::vector<std::uint64_t> one_to(std::size_t n) {
  std::vector<std::uint64_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = i + 1;
  return v;
}

// `tx`'s row events succeed, but only after 30 ms: later transactions run meanwhile.
fake_script::failure slow(const expected_tx& tx) {
  fake_script::failure f;
  f.contains = tx.statements[first_of(tx, sql_statement_kind::binlog_rows)];
  f.delay_ms = 30;
  return f;
}

TEST_CASE("applier: parallel connections commit in binlog order") {
  const std::vector<std::string> files{dir + "minimal.000001"};
  const auto txs = transactions_of(files);
  auto script = std::make_shared<fake_script>();
  // Transaction 5 is slow: 6 and later run beside it, and wait for its commit.
  script->failures.push_back(slow(txs[4]));
  const auto res = run(script, files, parallel_options());
  REQUIRE(res.ok());
  CHECK(joined(progress_counts(*script)) == joined(one_to(txs.size())));
  CHECK(res.progress.transactions == txs.size());
  CHECK(res.progress.position == txs.back().end);
  CHECK(res.retries == 0);
  // Both worker connections applied something (the first connection opened is replay()'s).
  std::vector<unsigned> used;
  for (const auto& p : data_packets(*script)) {
    if (std::find(used.begin(), used.end(), p.connection) == used.end()) used.push_back(p.connection);
  }
  CHECK(used.size() >= 2);
}

TEST_CASE("applier: a deadlock or a lock wait timeout rolls the transaction back and runs it again, once") {
  const std::vector<std::string> files{dir + "minimal.000001"};
  const auto txs = transactions_of(files);
  const std::pair<unsigned, const char*> conflicts[] = {
      {1213, "Deadlock found when trying to get lock; try restarting transaction"},
      {1205, "Lock wait timeout exceeded; try restarting transaction"},
  };
  for (const auto& [err, message] : conflicts) {
    CAPTURE(err);
    const std::string victim = txs[6].statements[first_of(txs[6], sql_statement_kind::binlog_rows)];
    auto script = std::make_shared<fake_script>();
    script->failures.push_back({victim, err, message});
    const auto res = run(script, files, parallel_options());
    REQUIRE(res.ok());
    CHECK(res.retries == 1);
    const auto all = script->statements();
    CHECK(std::count(all.begin(), all.end(), victim) == 2);
    CHECK(std::count(all.begin(), all.end(), std::string("ROLLBACK")) >= 1);
    CHECK(joined(progress_counts(*script)) == joined(one_to(txs.size())));
    CHECK(res.progress.transactions == txs.size());
  }
}

TEST_CASE("applier: an error of the next to commit stops the parallel replay with every earlier one committed") {
  const std::vector<std::string> files{dir + "minimal.000001"};
  const auto txs = transactions_of(files);
  const std::size_t bad = first_of(txs[6], sql_statement_kind::binlog_rows);
  auto script = std::make_shared<fake_script>();
  // Every time: run early it may only be a conflict; as the next to commit it is not.
  fake_script::failure dup;
  dup.contains = txs[6].statements[bad];
  dup.err = 1062;
  dup.message = "Duplicate entry '7' for key 'PRIMARY'";
  dup.times = 100;
  script->failures.push_back(dup);
  const auto res = run(script, files, parallel_options());
  REQUIRE_FALSE(res.ok());
  CHECK(res.failure->message == "the target refused a statement");
  CHECK(res.failure->server_errno == 1062);
  REQUIRE(res.failure->position);
  CHECK(*res.failure->position == txs[6].offsets[bad]);
  CHECK(res.failure->gtid == txs[6].gtid);
  CHECK(res.progress.transactions == 6);
  CHECK(res.progress.gtid == txs[5].gtid);
  CHECK(joined(progress_counts(*script)) == joined(one_to(6)));
}

TEST_CASE("applier: an error while an earlier transaction is uncommitted runs it again as the next to commit") {
  const std::vector<std::string> files{dir + "minimal.000001"};
  const auto txs = transactions_of(files);
  auto script = std::make_shared<fake_script>();
  // Transaction 6 is slow: 7 runs beside it and fails once; run early, its error may come
  // from running early (not a failure of the replay): it is rolled back and runs again.
  script->failures.push_back(slow(txs[5]));
  const std::string victim = txs[6].statements[first_of(txs[6], sql_statement_kind::binlog_rows)];
  script->failures.push_back({victim, 1062, "Duplicate entry '7' for key 'PRIMARY'"});
  const auto res = run(script, files, parallel_options());
  REQUIRE(res.ok());
  CHECK(res.retries == 1);
  const auto all = script->statements();
  CHECK(std::count(all.begin(), all.end(), victim) == 2);
  CHECK(std::count(all.begin(), all.end(), std::string("ROLLBACK")) == 1);
  CHECK(std::count(script->executed.begin(), script->executed.end(), victim) == 1);
  CHECK(joined(progress_counts(*script)) == joined(one_to(txs.size())));
  CHECK(res.progress.transactions == txs.size());
}

// Every transaction in batches of one connection (--parallel-batches on).
replay_options batch_options() {
  replay_options o = parallel_options();
  o.batches = replay_options::batch_mode::always;
  return o;
}

TEST_CASE("applier: a lock error in a batch runs it again from the failing transaction, not before") {
  const std::vector<std::string> files{dir + "minimal.000001"};
  const auto txs = transactions_of(files);
  const std::string before = txs[3].statements[first_of(txs[3], sql_statement_kind::binlog_rows)];
  const std::string victim = txs[4].statements[first_of(txs[4], sql_statement_kind::binlog_rows)];
  auto script = std::make_shared<fake_script>();
  script->failures.push_back({victim, 1213, "Deadlock found when trying to get lock; try restarting transaction"});
  const auto res = run(script, files, batch_options());
  REQUIRE(res.ok());
  CHECK(res.retries == 1);
  const auto all = script->statements();
  CHECK(std::count(all.begin(), all.end(), victim) == 2);
  // Transaction 4 committed in the failed packet: never sent again (applied twice).
  CHECK(std::count(all.begin(), all.end(), before) == 1);
  CHECK(std::count(script->executed.begin(), script->executed.end(), before) == 1);
  CHECK(joined(progress_counts(*script)) == joined(one_to(txs.size())));
  CHECK(res.progress.transactions == txs.size());
  CHECK(res.progress.position == txs.back().end);
}

TEST_CASE("applier: any other error in a batch stops the replay there, every earlier transaction committed") {
  const std::vector<std::string> files{dir + "minimal.000001"};
  const auto txs = transactions_of(files);
  const std::size_t bad = first_of(txs[4], sql_statement_kind::binlog_rows);
  auto script = std::make_shared<fake_script>();
  script->failures.push_back({txs[4].statements[bad], 1062, "Duplicate entry '5' for key 'PRIMARY'"});
  const auto res = run(script, files, batch_options());
  REQUIRE_FALSE(res.ok());
  CHECK(res.retries == 0);
  CHECK(res.failure->message == "the target refused a statement");
  CHECK(res.failure->server_errno == 1062);
  REQUIRE(res.failure->position);
  CHECK(*res.failure->position == txs[4].offsets[bad]);
  CHECK(res.failure->gtid == txs[4].gtid);
  CHECK(res.progress.transactions == 4);
  CHECK(res.progress.gtid == txs[3].gtid);
  CHECK(joined(progress_counts(*script)) == joined(one_to(4)));
  // Nothing after the failing transaction ran.
  for (std::size_t k = 5; k < txs.size(); ++k) {
    const std::string later = txs[k].statements[first_of(txs[k], sql_statement_kind::binlog_rows)];
    CHECK(std::count(script->executed.begin(), script->executed.end(), later) == 0);
  }
}

TEST_CASE("applier: a batch that fails at a transaction's COMMIT stops there, that one not committed") {
  const std::vector<std::string> files{dir + "minimal.000001"};
  const auto txs = transactions_of(files);
  REQUIRE(txs.size() > 5);
  // A clean run says how many statements holding "COMMIT" ran before transaction 5's COMMIT.
  auto clean = std::make_shared<fake_script>();
  REQUIRE(run(clean, files, batch_options()).ok());
  const auto& ran = clean->executed;
  const auto u = std::find_if(ran.begin(), ran.end(),
                              [](const std::string& s) { return is_progress(s) && field(s, "transactions") == 5; });
  REQUIRE(u != ran.end());
  REQUIRE(u + 1 != ran.end());
  REQUIRE(*(u + 1) == "COMMIT");
  const auto before = std::count_if(ran.begin(), u + 1,
                                    [](const std::string& s) { return s.find("COMMIT") != std::string::npos; });
  auto script = std::make_shared<fake_script>();
  fake_script::failure f{"COMMIT", 1180, "Got error 1 during COMMIT"};
  f.skip = static_cast<int>(before);
  script->failures.push_back(f);
  const auto res = run(script, files, batch_options());
  REQUIRE_FALSE(res.ok());
  CHECK(res.retries == 0);
  CHECK(res.failure->server_errno == 1180);
  CHECK(res.failure->gtid == txs[4].gtid);
  // Its statements all succeeded but its COMMIT did not: the progress stays at transaction 4.
  CHECK(res.progress.transactions == 4);
  CHECK(res.progress.gtid == txs[3].gtid);
  CHECK(res.progress.position == txs[3].end);
}

const std::vector<std::string> our_progress_table = {
    "replay_id|varchar(64)|NO|PRI|256|utf8mb4", "file|varchar(512)|NO||2048|utf8mb4",
    "end_pos|bigint(20) unsigned|NO||0|",       "gtid|varchar(128)|NO||512|utf8mb4",
    "transactions|bigint(20) unsigned|NO||0|",  "updated_at|timestamp(6)|NO||0|",
};

TEST_CASE("applier: on our progress table the row goes in the transaction's BINLOG, UPDATEs only around DDL") {
  const std::vector<std::string> files{dir + "minimal.000001"};
  const auto txs = transactions_of(files);
  for (unsigned parallel : {1u, 2u}) {
    CAPTURE(parallel);
    auto script = std::make_shared<fake_script>();
    script->progress_columns = our_progress_table;
    replay_options o = parallel == 1 ? replay_options{} : parallel_options();
    const auto res = run(script, files, o);
    REQUIRE(res.ok());
    CHECK(res.progress.transactions == txs.size());
    CHECK(res.progress.position == txs.back().end);
    // The three DDL transactions (no COMMIT of their own) still get an UPDATE; the row
    // transactions carry theirs in their BINLOG statement.
    std::vector<std::uint64_t> counts = progress_counts(*script);
    if (parallel == 2) {
      // The fold into the replay's row at the end: one more UPDATE, with the last count.
      REQUIRE(!counts.empty());
      CHECK(counts.back() == txs.size());
      counts.pop_back();
    }
    CHECK(joined(counts) == "1 2 3 ");
    // Each row transaction's BINLOG differs from the binlog's own (its row events added).
    const auto all = script->statements();
    const std::string plain = txs[5].statements[first_of(txs[5], sql_statement_kind::binlog_rows)];
    CHECK(std::find(all.begin(), all.end(), plain) == all.end());
  }
}

TEST_CASE("applier: statements carry their kind; the builder adds our statements around a DDL") {
  const auto txs = transactions_of({dir + "minimal.000001"});
  bool ddl = false;
  for (const auto& tx : txs) {
    for (std::size_t k = 0; k < tx.statements.size(); ++k) {
      const auto& s = tx.statements[k];
      if (s.starts_with("BINLOG '")) CHECK((tx.kinds[k] == sql_statement_kind::binlog_rows ||
                                            tx.kinds[k] == sql_statement_kind::format_description));
      if (s == "COMMIT") CHECK(tx.kinds[k] == sql_statement_kind::commit);
      if (s.starts_with("use ")) CHECK(tx.kinds[k] == sql_statement_kind::use_database);
      if (s.starts_with("SET @@session.gtid_seq_no=")) CHECK(tx.kinds[k] == sql_statement_kind::gtid);
      if (s.starts_with("CREATE TABLE")) {
        CHECK(tx.kinds[k] == sql_statement_kind::query);
        ddl = true;
      }
    }
  }
  CHECK(ddl);
  // A DDL on a binlogging target: sql_log_bin=0 around the progress row, then COMMIT.
  auto script = std::make_shared<fake_script>();
  script->log_bin = "1";
  REQUIRE(run(script, {dir + "minimal.000001"}).ok());
  const auto all = script->statements();
  const auto create =
      std::find_if(all.begin(), all.end(), [](const std::string& s) { return s.starts_with("CREATE TABLE"); });
  REQUIRE(all.end() - create >= 5);
  CHECK(create[1] == "SET @@session.sql_log_bin=0");
  CHECK(is_progress(create[2]));
  CHECK(create[3] == "COMMIT");
  CHECK(create[4] == "SET @@session.sql_log_bin=1");
}

}  // TEST_SUITE

namespace {
binlogkit::rendered_transaction mariadb_tx(std::optional<std::uint64_t> commit_id, std::uint8_t flags) {
  binlogkit::rendered_transaction tx;
  tx.gtid.k = binlogkit::gtid_ref::kind::mariadb;
  tx.gtid.commit_id = commit_id;
  tx.gtid.mariadb_flags = flags;
  tx.commit = 0;
  return tx;
}
binlogkit::rendered_transaction mysql_tx(std::size_t file, std::int64_t last_committed, std::int64_t sequence_number) {
  binlogkit::rendered_transaction tx;
  tx.file_index = file;
  tx.gtid.k = binlogkit::gtid_ref::kind::mysql;
  tx.gtid.last_committed = last_committed;
  tx.gtid.sequence_number = sequence_number;
  tx.commit = 0;
  return tx;
}
}  // namespace

TEST_SUITE("applier") {

TEST_CASE("dependency policy: MariaDB groups start once every earlier one executed; DDL goes alone") {
  using binlogkit::mariadb_gtid_event;
  constexpr std::uint8_t trx = mariadb_gtid_event::fl_transactional | mariadb_gtid_event::fl_allow_parallel;
  binlogkit::detail::dependency_policy p(false);
  auto r1 = p.decide(1, mariadb_tx(7, trx), false, false);
  auto r2 = p.decide(2, mariadb_tx(7, trx), false, false);  // same group as 1
  auto r3 = p.decide(3, mariadb_tx(9, trx), false, false);  // next group: after 1 and 2 executed
  CHECK_FALSE(r1.alone);
  CHECK(r1.after_executed == 0);
  CHECK(r2.after_executed == 0);
  CHECK(r3.after_executed == 2);
  CHECK(r3.after_committed == 0);
  auto r4 = p.decide(4, mariadb_tx(9, trx | mariadb_gtid_event::fl_ddl), false, false);
  CHECK(r4.alone);
  CHECK(r4.why == "DDL");
  CHECK(r4.after_committed == 3);
  auto r5 = p.decide(5, mariadb_tx(11, trx), false, false);  // after the barrier of 4
  CHECK(r5.after_committed == 4);
  CHECK(r5.after_executed == 4);
  auto r6 = p.decide(6, mariadb_tx(11, trx), true, false);  // statement-based: a group of its own, after all committed
  CHECK(r6.after_committed == 5);
  auto r7 = p.decide(7, mariadb_tx(std::nullopt, mariadb_gtid_event::fl_allow_parallel), false, false);
  CHECK(r7.alone);
  CHECK(r7.why == "not transactional (FL_TRANSACTIONAL unset)");
}

TEST_CASE("dependency policy: MySQL logical clock, and optimistic mode") {
  binlogkit::detail::dependency_policy p(false);
  CHECK(p.decide(1, mysql_tx(0, 0, 1), false, false).after_committed == 0);
  CHECK(p.decide(2, mysql_tx(0, 0, 2), false, false).after_committed == 0);  // both after sequence 0
  CHECK(p.decide(3, mysql_tx(0, 2, 3), false, false).after_committed == 2);  // after sequence 2: seq 2
  CHECK(p.decide(4, mysql_tx(1, 0, 1), false, false).after_committed == 3);  // a new file: after all of the last
  const auto no_clock = p.decide(5, mysql_tx(1, 0, 0), false, false);
  CHECK(no_clock.alone);
  CHECK(no_clock.why == "no logical clock in its GTID event");

  binlogkit::detail::dependency_policy o(true);
  CHECK(o.decide(1, mysql_tx(0, 0, 0), false, false).after_committed == 0);  // no clock needed
  const auto stmt = o.decide(2, mysql_tx(0, 0, 0), true, false);
  CHECK(stmt.alone);
  CHECK(stmt.after_committed == 1);
  CHECK(o.decide(3, mysql_tx(0, 0, 0), false, false).after_committed == 2);  // after the barrier
}

}  // TEST_SUITE
