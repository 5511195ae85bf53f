// The reading side's own state in the parallel applier (private to the replay layer; the
// reading thread only): jobs built from rendered transactions (job_builder), their
// sequence numbers, their start rules (dependency_policy), the progress slots, and the
// committed jobs it reuses.
//
// The progress row's events (apply_context::progress_rows) go in each transaction's own
// BINLOG statement, as the serial applier sends them, but into the row of a slot of its
// own (progress_slot_id): transaction seq writes slot (seq - 1) % N + 1. One row for all
// would make every transaction wait for the lock of the one before it. Transactions start
// in binlog order and at most N are started and uncommitted, so seq and seq + N never hold
// a slot's lock together (were they to, the later would only wait for the earlier's
// commit). The count the last events recorded must be make()'s for the same transaction
// (rows_count_ok).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "replay/dependency_policy.hpp"
#include "replay/job.hpp"
#include "replay/job_builder.hpp"
#include "replay/progress_slots.hpp"
#include "replay_session.hpp"

namespace binlogkit::detail::parallel {

class job_maker {
 public:
  explicit job_maker(apply_context& ctx);

  // Before the run: the progress rows in `n` slots, written by the stream's commit hook
  // (apply_context::progress_rows only). The hook points into this object.
  void use_slots(std::size_t n);
  // The next transaction as a job: sequence number, its pieces and our statements, its
  // memory taken from spares() when there is one.
  std::unique_ptr<job> make(rendered_transaction&& tx);
  // Sets the start rules of `j` (after_committed, after_executed, alone). Returns the
  // verbose note when a stretch of transactions applied alone starts or ends, else "".
  std::string decide(job& j);
  // Whether the progress count the stream's commit hook wrote for `tx` is the one make()
  // gives it next.
  [[nodiscard]] bool rows_count_ok(const rendered_transaction& tx) const {
    return slots_.recorded(tx, ctx_.transactions + next_seq_);
  }
  static replay_failure rows_count_failure();

  [[nodiscard]] job_builder& builder() { return jobs_; }
  // Committed jobs handed over by the scheduler (in bulk, under its lock), used by make().
  [[nodiscard]] std::vector<std::unique_ptr<job>>& spares() { return spares_; }
  // Transactions applied alone so far.
  [[nodiscard]] std::uint64_t serial_count() const { return serial_count_; }

 private:
  apply_context& ctx_;
  job_builder jobs_;
  progress_slots slots_;
  dependency_policy policy_;
  std::uint64_t next_seq_ = 1;
  std::vector<std::unique_ptr<job>> spares_;
  bool serial_stretch_ = false;
  std::uint64_t serial_count_ = 0;
};

}  // namespace binlogkit::detail::parallel
