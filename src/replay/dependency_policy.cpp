#include "replay/dependency_policy.hpp"

#include <algorithm>

#include "binlogkit/events/events.hpp"

namespace binlogkit::detail {

std::string dependency_policy::why_alone(const rendered_transaction& tx, bool statement_based, bool streamed) const {
  const gtid_ref& g = tx.gtid;
  std::string why;  // empty: may run in parallel
  if (streamed) {
    why = "a large transaction, sent in pieces as it is read";
  } else if (!tx.commit) {
    why = "it commits on its own (DDL, non-transactional table, XA or ROLLBACK)";
  } else if (g.k == gtid_ref::kind::mariadb) {
    if ((g.mariadb_flags & mariadb_gtid_event::fl_ddl) != 0) why = "DDL";
    else if ((g.mariadb_flags & mariadb_gtid_event::fl_transactional) == 0)
      why = "not transactional (FL_TRANSACTIONAL unset)";
    else if (optimistic_ && (g.mariadb_flags & mariadb_gtid_event::fl_allow_parallel) == 0)
      why = "FL_ALLOW_PARALLEL unset";
  } else if (g.k == gtid_ref::kind::mysql || g.k == gtid_ref::kind::mysql_anonymous) {
    if (!optimistic_ && g.sequence_number <= 0) why = "no logical clock in its GTID event";
  } else if (!optimistic_) {
    why = "no GTID event (no group commit or logical clock information)";
  }
  if (optimistic_ && why.empty() && statement_based) {
    why = "statement-based (optimistic mode runs only row events together)";
  }
  return why;
}

start_rule dependency_policy::decide(std::uint64_t seq, const rendered_transaction& tx, bool statement_based,
                                     bool streamed) {
  start_rule r;
  r.why = why_alone(tx, statement_based, streamed);
  if (!r.why.empty()) {
    r.alone = true;
    r.after_committed = seq - 1;
    barrier_ = seq;
    group_commit_id_.reset();
    return r;
  }
  if (optimistic_) {
    r.after_committed = barrier_;
    return r;
  }
  if (tx.gtid.k == gtid_ref::kind::mariadb) mariadb_group(seq, tx.gtid, statement_based, r);
  else mysql_clock(seq, tx, statement_based, r);
  return r;
}

// A group: consecutive transactions with one commit_id. A transaction committed alone
// (no commit_id) is a group of one.
void dependency_policy::mariadb_group(std::uint64_t seq, const gtid_ref& g, bool statement_based, start_rule& r) {
  const bool same = g.commit_id && group_commit_id_ && *g.commit_id == *group_commit_id_ && !statement_based &&
                    !group_statement_;
  if (!same) {
    group_after_executed_ = seq - 1;
    // A statement-based transaction reads without locking (INSERT ... SELECT, UPDATE
    // with a subquery can): it starts after every earlier one committed.
    group_after_committed_ = statement_based ? seq - 1 : barrier_;
    group_statement_ = statement_based;
  }
  group_commit_id_ = g.commit_id;
  if (!g.commit_id) group_commit_id_.reset();
  r.after_executed = group_after_executed_;
  r.after_committed = std::max(group_after_committed_, barrier_);
}

// MySQL logical clock: every transaction of this file with sequence_number <=
// last_committed must have committed. Sequence numbers start again in each file.
void dependency_policy::mysql_clock(std::uint64_t seq, const rendered_transaction& tx, bool statement_based,
                                    start_rule& r) {
  const gtid_ref& g = tx.gtid;
  if (tx.file_index != mysql_file_) {
    mysql_file_ = tx.file_index;
    mysql_clock_.clear();
    barrier_ = std::max(barrier_, seq - 1);
  }
  std::uint64_t dep = barrier_;
  for (auto it = mysql_clock_.rbegin(); it != mysql_clock_.rend(); ++it) {
    if (it->first <= g.last_committed) {
      dep = std::max(dep, it->second);
      break;
    }
  }
  if (statement_based) dep = seq - 1;
  r.after_committed = dep;
  mysql_clock_.emplace_back(g.sequence_number, seq);
  while (mysql_clock_.size() > 4096) mysql_clock_.pop_front();
}

}  // namespace binlogkit::detail
