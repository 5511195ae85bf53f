// The reading side's own state of the parallel applier (job_maker.hpp).
#include <fmt/format.h>

#include "replay/job_maker.hpp"

namespace binlogkit::detail::parallel {

job_maker::job_maker(apply_context& ctx)
    : ctx_(ctx),
      jobs_({ctx.target_mariadb, ctx.target_log_bin && !ctx.options->disable_log_bin, ctx.id_literal}),
      policy_(ctx.options->mode == replay_options::parallel_mode::optimistic) {}

void job_maker::use_slots(std::size_t n) {
  slots_ = progress_slots(ctx_.id, n);
  ctx_.stream->on_commit_rows = [this](const transaction_stream::commit_point& cp, std::vector<std::uint8_t>& out) {
    const std::uint64_t count = ctx_.transactions + next_seq_;  // make()'s count for it
    return slots_.append(out, cp, next_seq_, (*ctx_.file_names)[cp.file_index], count);
  };
}

std::unique_ptr<job> job_maker::make(rendered_transaction&& tx_in) {
  std::unique_ptr<job> jp;
  if (spares_.empty()) {
    jp = std::make_unique<job>();
  } else {
    // A committed one: its transaction's buffers go back to the stream, its lists are
    // emptied (their memory kept), the rest starts afresh.
    jp = std::move(spares_.back());
    spares_.pop_back();
    ctx_.stream->recycle(std::move(jp->tx));
    job fresh;
    fresh.own = std::move(jp->own);
    fresh.body = std::move(jp->body);
    fresh.commit = std::move(jp->commit);
    fresh.gtid = std::move(jp->gtid);
    fresh.own.clear();
    fresh.body.clear();
    fresh.commit.clear();
    fresh.gtid.clear();
    *jp = std::move(fresh);
  }
  job& j = *jp;
  j.seq = next_seq_++;
  j.tx = std::move(tx_in);
  j.count = ctx_.transactions + j.seq;
  const rendered_transaction& tx = j.tx;
  j.gtid = tx.gtid.text();

  j.own.reserve(6);  // the pieces point into them: no reallocation afterwards
  j.body.reserve(tx.statements.size());
  j.commit.reserve(4);
  j.pinned = statement_based(tx);
  if (tx.piece > 0) {
    j.streamed = true;
    j.pinned = true;
  }
  const auto add = [&](const piece& p, job_builder::part to) {
    (to == job_builder::part::body ? j.body : j.commit).push_back(job_piece{p, p.ours ? nullptr : &j});
    if (!p.ours) j.bytes += p.text.size() + 3;
  };
  (void)jobs_.build(tx, (*ctx_.file_names)[tx.file_index], j.gtid, j.count, j.own, add);
  return jp;
}

std::string job_maker::decide(job& j) {
  const start_rule r = policy_.decide(j.seq, j.tx, j.pinned, j.streamed);
  j.after_committed = r.after_committed;
  j.after_executed = r.after_executed;
  const auto& inputs = *ctx_.inputs;
  const bool verbose = ctx_.options->verbose;
  std::string note;
  if (r.alone) {
    j.alone = true;
    ++serial_count_;
    if (verbose && !serial_stretch_) {
      note = fmt::format("{}:{}: applying serially from here: {}", inputs[j.tx.file_index].name, j.tx.start, r.why);
    }
    serial_stretch_ = true;
    return note;
  }
  if (verbose && serial_stretch_) {
    note = fmt::format("{}:{}: applying in parallel again", inputs[j.tx.file_index].name, j.tx.start);
  }
  serial_stretch_ = false;
  return note;
}

replay_failure job_maker::rows_count_failure() {
  replay_failure f;
  f.message = "internal error: the progress count of the row events and of the transaction differ";
  return f;
}

}  // namespace binlogkit::detail::parallel
