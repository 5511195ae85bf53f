// When a transaction may start in a parallel replay, from the binlog's dependency
// information (the table in binlogkit/replay/replay.hpp):
//
//   MariaDB GTID   a group (consecutive transactions with one commit_id) starts once every
//                  earlier transaction has executed; needs FL_TRANSACTIONAL, not FL_DDL
//   MySQL GTID     once every transaction of its file with sequence_number <= its
//                  last_committed has committed
//   neither        alone: after every earlier transaction committed, before any later starts
//
// Optimistic mode lets every row-based transactional transaction start at once (conflicts
// are found and retried by the scheduler). Fed the transactions in binlog order, from the
// reading thread only. Private to the replay layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "binlogkit/sql/sql.hpp"

namespace binlogkit::detail {

struct start_rule {
  bool alone = false;               // applied alone (why says why)
  std::string why;
  std::uint64_t after_committed = 0;  // starts once every seq <= this committed
  std::uint64_t after_executed = 0;   // ... and every seq <= this executed
};

class dependency_policy {
 public:
  explicit dependency_policy(bool optimistic) : optimistic_(optimistic) {}

  // The rule for transaction `seq` (1-based, in binlog order). `statement_based`: it holds
  // statements of the source's text; `streamed`: the last piece of a large transaction.
  [[nodiscard]] start_rule decide(std::uint64_t seq, const rendered_transaction& tx, bool statement_based,
                                  bool streamed);

 private:
  [[nodiscard]] std::string why_alone(const rendered_transaction& tx, bool statement_based, bool streamed) const;
  void mariadb_group(std::uint64_t seq, const gtid_ref& g, bool statement_based, start_rule& r);
  void mysql_clock(std::uint64_t seq, const rendered_transaction& tx, bool statement_based, start_rule& r);

  bool optimistic_;
  std::uint64_t barrier_ = 0;  // last transaction applied alone
  std::optional<std::uint64_t> group_commit_id_;
  std::uint64_t group_after_executed_ = 0, group_after_committed_ = 0;
  bool group_statement_ = false;
  std::size_t mysql_file_ = std::numeric_limits<std::size_t>::max();
  std::deque<std::pair<std::int64_t, std::uint64_t>> mysql_clock_;  // (sequence_number, seq)
};

}  // namespace binlogkit::detail
