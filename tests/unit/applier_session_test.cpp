// The parallel applier's session state through a fake connection
// (tests/support/fake_connection.hpp): a worker leaves out a session statement its
// connection already has, decided by the variables the renderer recorded for it
// (sql_statement::sets), never by the statement's text.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "binlogkit/events/inputs.hpp"
#include "binlogkit/sql/sql.hpp"
#include "replay/job.hpp"
#include "replay/worker.hpp"
#include "support/fake_connection.hpp"

namespace {

using namespace binlogkit;
using binlogkit::detail::parallel::job;
using binlogkit::detail::parallel::job_piece;
using binlogkit::detail::parallel::worker;
using binlogkit::test::fake_script;

constexpr std::uint32_t bit(session_var v) { return session_bit(v); }

job_piece session_piece(std::string_view text, std::uint32_t sets,
                        sql_statement_kind kind = sql_statement_kind::session_set) {
  job_piece p;
  p.text = text;
  p.session = true;
  p.kind = kind;
  p.sets = sets;
  return p;
}

job_piece statement(std::string_view text) {
  job_piece p;
  p.text = text;
  return p;
}

// A worker on a fake connection, and the statements it sent per send().
struct fixture {
  std::shared_ptr<fake_script> script = std::make_shared<fake_script>();
  std::vector<unsigned> skip_errors;
  worker wk{std::make_unique<test::fake_connection>(script, nullptr), 1u << 20, skip_errors};
  job j;

  std::vector<std::string> send(const std::vector<job_piece>& pieces) {
    const std::size_t before = script->statements().size();
    const auto r = wk.send(j, pieces, pieces.size());
    REQUIRE(r.ok);
    const auto all = script->statements();
    return {all.begin() + static_cast<std::ptrdiff_t>(before), all.end()};
  }
};

const std::string flags_full = "SET @@session.foreign_key_checks=1, @@session.unique_checks=1";
const std::string unique_off = "SET @@session.unique_checks=0";
const std::uint32_t flag_vars = bit(session_var::foreign_key_checks) | bit(session_var::unique_checks);

}  // namespace

TEST_SUITE("applier") {

TEST_CASE("applier session: a statement the connection has is left out; a changed one is sent") {
  fixture f;
  const std::string ts = "SET TIMESTAMP=1700000000";
  const std::string use = "use `shop`";
  const std::vector<job_piece> tx{session_piece(use, bit(session_var::database), sql_statement_kind::use_database),
                                  session_piece(ts, bit(session_var::timestamp)), statement("INSERT 1")};
  CHECK(f.send(tx) == std::vector<std::string>{use, ts, "INSERT 1"});
  CHECK(f.send(tx) == std::vector<std::string>{"INSERT 1"});
  const std::string ts2 = "SET TIMESTAMP=1700000001";
  const std::vector<job_piece> later{session_piece(ts2, bit(session_var::timestamp)), statement("INSERT 2")};
  CHECK(f.send(later) == std::vector<std::string>{ts2, "INSERT 2"});
  // After a rollback the session state is not known: everything is set again.
  f.wk.rollback();
  CHECK(f.send(tx) == std::vector<std::string>{use, ts, "INSERT 1"});
}

TEST_CASE("applier session: a statement setting some of another's variables makes it needed again") {
  // The renderer sets every option flag in one SET as a transaction starts and only the
  // changed ones later: the full SET of the next transaction must go out again, although
  // its text and its first variable are those of the one sent before.
  fixture f;
  const std::vector<job_piece> tx1{session_piece(flags_full, flag_vars), statement("INSERT 1"),
                                   session_piece(unique_off, bit(session_var::unique_checks)),
                                   statement("INSERT 2")};
  CHECK(f.send(tx1) == std::vector<std::string>{flags_full, "INSERT 1", unique_off, "INSERT 2"});
  const std::vector<job_piece> tx2{session_piece(flags_full, flag_vars), statement("INSERT 3")};
  CHECK(f.send(tx2) == std::vector<std::string>{flags_full, "INSERT 3"});
  CHECK(f.send(tx2) == std::vector<std::string>{"INSERT 3"});

  // The client character set switched to utf8mb4 for a name, then the event's own again.
  const std::string charsets = "SET @@session.character_set_client=33,@@session.collation_connection=33,"
                               "@@session.collation_server=8";
  const std::uint32_t cs_vars = bit(session_var::character_set_client) | bit(session_var::collation_connection) |
                                bit(session_var::collation_server);
  const std::string utf8 = "SET @@session.character_set_client=utf8mb4";
  const std::vector<job_piece> tx3{session_piece(charsets, cs_vars), statement("INSERT 4"),
                                   session_piece(utf8, bit(session_var::character_set_client)),
                                   statement("INSERT 5"), session_piece(charsets, cs_vars), statement("INSERT 6")};
  CHECK(f.send(tx3) ==
        std::vector<std::string>{charsets, "INSERT 4", utf8, "INSERT 5", charsets, "INSERT 6"});
}

TEST_CASE("applier session: the GTID of each transaction is set for it, also when its number repeats") {
  // 0-1-5 and then 1-1-5: same gtid_seq_no text, another domain. The server uses
  // gtid_seq_no for one transaction: left out, the second would get a number of its own.
  fixture f;
  const std::string d0 = "SET @@session.gtid_domain_id=0", d1 = "SET @@session.gtid_domain_id=1";
  const std::string s1 = "SET @@session.server_id=1", seq = "SET @@session.gtid_seq_no=5";
  auto gtid = [](const std::string& text, session_var v) { return session_piece(text, bit(v), sql_statement_kind::gtid); };
  CHECK(f.send({gtid(d0, session_var::gtid_domain_id), gtid(s1, session_var::server_id),
                gtid(seq, session_var::gtid_seq_no), statement("INSERT 1")}) ==
        std::vector<std::string>{d0, s1, seq, "INSERT 1"});
  CHECK(f.send({gtid(d1, session_var::gtid_domain_id), gtid(s1, session_var::server_id),
                gtid(seq, session_var::gtid_seq_no), statement("INSERT 2")}) ==
        std::vector<std::string>{d1, seq, "INSERT 2"});
  const std::string next = "SET @@SESSION.GTID_NEXT='ANONYMOUS'";
  const auto anonymous = session_piece(next, bit(session_var::gtid_next), sql_statement_kind::gtid_next);
  CHECK(f.send({anonymous, statement("INSERT 3")}) == std::vector<std::string>{next, "INSERT 3"});
  CHECK(f.send({anonymous, statement("INSERT 4")}) == std::vector<std::string>{next, "INSERT 4"});
}

TEST_CASE("applier session: a session statement whose variables are not known is sent and forgets the rest") {
  fixture f;
  const std::string ts = "SET TIMESTAMP=1700000000";
  const std::vector<job_piece> tx{session_piece(ts, bit(session_var::timestamp)), statement("INSERT 1")};
  CHECK(f.send(tx) == std::vector<std::string>{ts, "INSERT 1"});
  const std::string unknown = "SET @@session.something=1";
  CHECK(f.send({session_piece(unknown, 0), session_piece(unknown, 0)}) == std::vector<std::string>{unknown, unknown});
  CHECK(f.send(tx) == std::vector<std::string>{ts, "INSERT 1"});
}

TEST_CASE("applier session: the renderer records the variables of every session and GTID statement") {
  const std::string dir = BINLOGKIT_TESTDATA_DIR "/mariadb-10.11/";
  for (const auto dialect : {sql_dialect::mariadb, sql_dialect::mysql}) {
    auto opened = open_inputs({dir + "minimal.000001"});
    REQUIRE(opened.ok());
    std::vector<binlog_input> inputs;
    for (const auto& s : opened.sources) inputs.push_back({s.name(), s.data()});
    render_options ro;
    ro.dialect = dialect;
    ro.for_client = false;
    transaction_stream stream(std::move(inputs), sql_filter{}, ro);
    std::size_t session_statements = 0;
    std::uint32_t seen = 0;
    for (;;) {
      stream.reset_session();  // as the parallel applier renders: each transaction sets all
      auto next = stream.next();
      REQUIRE(next);
      if (!*next) break;
      const rendered_transaction& tx = **next;
      for (const auto& st : tx.statements) {
        const std::string text(tx.text(st));
        CAPTURE(text);
        const bool session = st.role == statement_role::session || st.role == statement_role::gtid;
        CHECK((st.sets != 0) == session);
        if (!session) continue;
        ++session_statements;
        seen |= st.sets;
        if (text.starts_with("SET TIMESTAMP=")) CHECK(st.sets == bit(session_var::timestamp));
        if (text.starts_with("use ")) CHECK(st.sets == bit(session_var::database));
        if (text.starts_with("SET @@session.gtid_seq_no=")) CHECK(st.sets == bit(session_var::gtid_seq_no));
        if (text.starts_with("SET @@SESSION.GTID_NEXT=")) CHECK(st.sets == bit(session_var::gtid_next));
        if (text.starts_with("SET @@session.sql_mode=")) CHECK(st.sets == bit(session_var::sql_mode));
        if (st.kind == sql_statement_kind::format_description) {
          CHECK(st.sets == bit(session_var::format_description));
        }
        if (text.starts_with("SET @@session.foreign_key_checks=")) {
          CHECK((st.sets & bit(session_var::foreign_key_checks)) != 0);
          CHECK((st.sets & bit(session_var::autocommit)) != 0);
        }
      }
    }
    CHECK(session_statements > 20);
    CHECK((seen & bit(session_var::character_set_client)) != 0);
    CHECK((seen & bit(session_var::pseudo_thread_id)) != 0);
  }
}

}  // TEST_SUITE
