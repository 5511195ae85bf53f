// The rows a replay's transactions record their position in, written as row events in
// each transaction's own BINLOG statement (progress_rows.hpp), and the check that the
// count the events recorded is the one the applier gives the transaction.
//
//   serial applier     one row: the replay id's
//   parallel applier   one per connection, "<id>#K": the seq-th transaction of the run
//                      writes slot (seq - 1) mod N + 1, so that no two transactions running
//                      at once write the same row (one row for all would serialize them on
//                      its lock)
//
// Private to the replay layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "binlogkit/sql/sql.hpp"
#include "progress_rows.hpp"

namespace binlogkit::detail {

class progress_slots {
 public:
  progress_slots() = default;
  // `connections` 0: the replay id's own row; N: the N slot rows.
  progress_slots(const std::string& id, std::size_t connections) {
    if (connections == 0) ids_.push_back(id);
    for (std::size_t k = 1; k <= connections; ++k) ids_.push_back(progress_slot_id(id, k));
  }

  // Appends the row events of the `seq`-th transaction of the run (1-based), which
  // commits at `cp` in input `file` and whose progress count is `count`. False, nothing
  // appended, when they cannot be written (progress_rows.hpp): the caller writes an UPDATE.
  [[nodiscard]] bool append(std::vector<std::uint8_t>& out, const transaction_stream::commit_point& cp,
                            std::uint64_t seq, const std::string& file, std::uint64_t count) {
    if (ids_.empty() || !append_progress_rows(out, cp, ids_[(seq - 1) % ids_.size()], file, count)) return false;
    last_ = count;
    return true;
  }
  // Whether the row events of `tx` (if it has them) recorded `count`.
  [[nodiscard]] bool recorded(const rendered_transaction& tx, std::uint64_t count) const {
    return !tx.commit_rows || last_ == count;
  }

 private:
  std::vector<std::string> ids_;
  std::uint64_t last_ = 0;  // the count the last row events recorded
};

}  // namespace binlogkit::detail
