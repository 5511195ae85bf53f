// The job builder's rules on hand-built transactions: which statements go in a packet of
// their own, which transactions count as statement-based, where our statements go.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "binlogkit/sql/sql.hpp"
#include "replay/job_builder.hpp"

namespace {

using binlogkit::rendered_transaction;
using binlogkit::sql_statement;
using binlogkit::sql_statement_kind;
using binlogkit::statement_role;

// Appends a statement of `kind` with `text` to tx.
sql_statement& add(rendered_transaction& tx, std::string_view text, sql_statement_kind kind,
                   statement_role role = statement_role::body) {
  sql_statement st;
  st.begin = tx.sql.size();
  st.size = text.size();
  st.role = role;
  st.kind = kind;
  st.offset = 100 + tx.statements.size();
  tx.sql.append(text);
  tx.statements.push_back(st);
  return tx.statements.back();
}

// BEGIN, one statement of the body, COMMIT.
rendered_transaction around(std::string_view text, sql_statement_kind kind) {
  rendered_transaction tx;
  add(tx, "BEGIN", sql_statement_kind::begin, statement_role::begin);
  add(tx, text, kind);
  tx.commit = tx.statements.size();
  add(tx, "COMMIT", sql_statement_kind::commit, statement_role::commit);
  return tx;
}

}  // namespace

TEST_SUITE("applier") {

TEST_CASE("job builder: LOAD DATA and statements not proven single go alone; BINLOG is flagged") {
  using binlogkit::detail::has_own_packet_statement;
  using binlogkit::detail::piece_of;

  auto rows = around("BINLOG 'AAAA'", sql_statement_kind::binlog_rows);
  CHECK_FALSE(has_own_packet_statement(rows));
  CHECK_FALSE(piece_of(rows, rows.statements[1]).alone);
  CHECK(piece_of(rows, rows.statements[1]).binlog);

  auto load = around("LOAD DATA LOCAL INFILE 'binlogkit-load-1.dat' INTO TABLE t", sql_statement_kind::load_data);
  load.statements[1].load = 0;
  CHECK(has_own_packet_statement(load));
  CHECK(piece_of(load, load.statements[1]).alone);
  CHECK_FALSE(piece_of(load, load.statements[0]).alone);

  auto unproven = around("INSERT INTO t VALUES ('\\\\'); DROP TABLE u", sql_statement_kind::query);
  unproven.statements[1].single = false;
  CHECK(has_own_packet_statement(unproven));
  CHECK(piece_of(unproven, unproven.statements[1]).alone);
  CHECK_FALSE(piece_of(unproven, unproven.statements[2]).alone);
}

TEST_CASE("job builder: a transaction of the source's SQL text is statement-based, one of BINLOG rows is not") {
  using binlogkit::detail::statement_based;
  CHECK(statement_based(around("INSERT INTO t VALUES (1)", sql_statement_kind::query)));
  CHECK(statement_based(around("LOAD DATA LOCAL INFILE 'f' INTO TABLE t", sql_statement_kind::load_data)));
  CHECK_FALSE(statement_based(around("BINLOG 'AAAA'", sql_statement_kind::binlog_rows)));
  auto ours_only = around("SET @@session.sql_mode=0", sql_statement_kind::session_set);
  CHECK_FALSE(statement_based(ours_only));
}

TEST_CASE("job builder: the progress row goes right before the transaction's COMMIT, in its commit part") {
  binlogkit::detail::job_builder jobs({true, false, "'r'"});
  auto tx = around("BINLOG 'AAAA'", sql_statement_kind::binlog_rows);
  tx.end = 4242;
  std::vector<std::string> own;
  std::vector<std::string> sent;
  std::vector<binlogkit::detail::job_builder::part> parts;
  const bool reset = jobs.build(tx, "b.000001", "0-1-7", 9, own, [&](const binlogkit::detail::piece& p, auto part) {
    sent.emplace_back(p.text);
    parts.push_back(part);
  });
  CHECK_FALSE(reset);
  REQUIRE(sent.size() == 4);
  CHECK(sent[0] == "BEGIN");
  CHECK(sent[1] == "BINLOG 'AAAA'");
  CHECK(sent[2].starts_with("UPDATE `binlogkit`.`replay_progress` SET `file`='b.000001', `end_pos`=4242"));
  CHECK(sent[3] == "COMMIT");
  using part = binlogkit::detail::job_builder::part;
  CHECK(parts == std::vector<part>{part::body, part::body, part::commit, part::commit});
}

}  // TEST_SUITE
