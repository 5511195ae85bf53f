#include "replay/job_builder.hpp"

#include <algorithm>

#include "replay_session.hpp"

namespace binlogkit::detail {

piece piece_of(const rendered_transaction& tx, const sql_statement& st) noexcept {
  const bool session = st.role == statement_role::session || st.role == statement_role::gtid;
  return {tx.text(st), st.offset, st.expected_error, false, is_binlog_statement(st.kind),
          st.load >= 0 || !st.single, session, st.kind, st.sets};
}

bool has_own_packet_statement(const rendered_transaction& tx) noexcept {
  return std::any_of(tx.statements.begin(), tx.statements.end(),
                     [](const sql_statement& st) { return st.load >= 0 || !st.single; });
}

bool statement_based(const rendered_transaction& tx) noexcept {
  return std::any_of(tx.statements.begin(), tx.statements.end(), [](const sql_statement& st) {
    return st.kind == sql_statement_kind::query || st.kind == sql_statement_kind::load_data;
  });
}

std::size_t packet_room_for(std::uint64_t max_allowed_packet) noexcept {
  return max_allowed_packet > 65536 ? static_cast<std::size_t>(max_allowed_packet) - 16384 : 48 * 1024;
}

setup_packet session_setup(bool disable_log_bin, unsigned lock_wait_timeout) {
  setup_packet s{"SET @@session.pseudo_slave_mode=1\n;\nSET @@session.completion_type=0", 2};
  if (lock_wait_timeout > 0) {
    s.sql += "\n;\nSET @@session.innodb_lock_wait_timeout=" + std::to_string(lock_wait_timeout);
    ++s.count;
  }
  if (disable_log_bin) {
    s.sql += "\n;\nSET @@session.sql_log_bin=0";
    ++s.count;
  }
  return s;
}

void job_builder::own_statements(const rendered_transaction& tx, const std::string& file, const std::string& gtid,
                                 std::uint64_t count, std::vector<std::string>& own, bool& reset_gtid_next) {
  if (tx.commit_rows) {
    own.emplace_back();  // the progress row is in the transaction's BINLOG statement
  } else {
    own.push_back(progress_update(file, tx.end, gtid, count, target_.id_literal));
  }
  if (tx.commit) return;
  if (!target_.mariadb && gtid_next_used_) {
    reset_gtid_next = true;
    own.emplace_back(gtid_next_automatic);
  }
  if (target_.toggle_log_bin) {
    own.emplace_back("SET @@session.sql_log_bin=0");
    own.emplace_back("SET @@session.sql_log_bin=1");
  }
  own.emplace_back("COMMIT");
}

}  // namespace binlogkit::detail
