// The parallel applier's reading side: transactions read, rendered, built into jobs
// (job_maker), given their start rules (schedule) and queued; large transactions streamed.
#include <fmt/format.h>

#include <algorithm>

#include "replay/job_maker.hpp"
#include "replay/scheduler.hpp"

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

// Under m_ (reading thread): the start rules of `j`, and what they tell the workers.
void scheduler::schedule(job& j) {
  const std::string text = maker_.decide(j);
  if (!text.empty()) note(text);
  if (!j.alone && j.after_executed != 0) executed_matters_ = true;
}

// Sends the pieces of a large transaction on connection 0 until its last one, which it
// schedules as a job for connection 0 (alone, not retried). False when the replay stops
// (read_failure or failure_ set; the open transaction rolled back).
bool scheduler::stream_large(rendered_transaction&& first, std::optional<replay_failure>& read_failure,
                             const std::function<void()>& tick) {
  {
    // Connection 0 is idle once nothing is scheduled or running.
    sched_lock lk(*this);
    while (!reader_wait_until(lk, reader_wait::idle, std::chrono::milliseconds(500))) {
    }
    if (stop_at_ != no_seq) return false;
  }
  const auto& inputs = *ctx_.inputs;
  transaction_stream& stream = *ctx_.stream;
  rendered_transaction piece = std::move(first);
  for (;;) {
    if (!piece.more) {
      if (!maker_.rows_count_ok(piece)) {
        read_failure = job_maker::rows_count_failure();
        workers_[0]->rollback();
        return false;
      }
      auto jp = maker_.make(std::move(piece));
      sched_lock lk(*this);
      schedule(*jp);
      queued_bytes_ += jp->bytes;
      pending_.push_back(std::move(jp));
      wake();
      return true;
    }
    job part;
    part.tx = std::move(piece);
    part.gtid = part.tx.gtid.text();
    (void)maker_.builder().build(part.tx, {}, part.gtid, 0, part.own, [&](const detail::piece& p, job_builder::part) {
      part.body.push_back(job_piece{p, nullptr});
    });
    auto r = send_pieces(0, part, part.body, part.body.size());
    if (!r.ok) {
      read_failure = failure_of(part, r, failure_message(r.err, r.desync, r.extra));  // pieces of the binlog: never ours
      if (!connection_lost(r.err)) workers_[0]->rollback();
      return false;
    }
    auto next = stream.next();
    if (!next || !*next) {
      replay_failure f;
      f.message = next ? "internal error: the stream ended inside a large transaction it had read ahead as complete"
                       : next.error().message();
      f.file = stream.file_index() < inputs.size() ? inputs[stream.file_index()].name : "";
      if (!next) f.position = next.error().offset;
      read_failure = std::move(f);
      workers_[0]->rollback();
      return false;
    }
    piece = std::move(**next);
    tick();
  }
}

// Reads, renders and schedules the transactions until the input ends, a stop point, or a
// failure (read_failure: of the reading side; the workers' own is failure_).
void scheduler::read_and_schedule(std::optional<replay_failure>& read_failure) {
  const auto& inputs = *ctx_.inputs;
  transaction_stream& stream = *ctx_.stream;
  auto& resume_point = *ctx_.resume_point;
  for (;;) {
    {
      sched_lock lk(*this);
      if (stop_at_ != no_seq) break;
    }
    // Any connection may apply the next transaction: it carries its whole session state.
    stream.reset_session();
    auto next = stream.next();
    if (!next) {
      replay_failure f;
      if (!ctx_.same_server->empty()) {
        f.message = *ctx_.same_server;
      } else {
        f.message = next.error().message();
        f.file = stream.file_index() < inputs.size() ? inputs[stream.file_index()].name : "";
        f.position = next.error().offset;
      }
      read_failure = std::move(f);
      break;
    }
    if (!*next) break;
    if (resume_point && !stream.resume_checked()) {
      replay_failure f;
      f.message = fmt::format("--resume: no transaction ends at the recorded position {}:{}; the files given are "
                              "not the ones the replay recorded",
                              resume_point->first, resume_point->second);
      read_failure = std::move(f);
      break;
    }
    resume_point.reset();
    rendered_transaction& tx = **next;
    if (!opt_.force_same_server && !ctx_.target_uuid.empty() && tx.gtid.k == gtid_ref::kind::mysql &&
        format_uuid(tx.gtid.uuid) == ctx_.target_uuid) {
      replay_failure f;
      f.message = fmt::format("transaction {} was written by the target itself (its server_uuid); "
                              "--force-same-server to replay it anyway",
                              tx.gtid.text());
      read_failure = std::move(f);
      break;
    }
    if (tx.more) {
      // A large transaction: its pieces go out on the first connection as they are read,
      // after every earlier transaction committed; its last piece is scheduled alone.
      if (!stream_large(std::move(tx), read_failure, [this] { tick(); })) break;
      continue;
    }
    if (!maker_.rows_count_ok(tx)) {
      read_failure = job_maker::rows_count_failure();
      break;
    }
    auto jp = maker_.make(std::move(tx));
    {
      sched_lock lk(*this);
      schedule(*jp);
      if (maker_.spares().empty()) maker_.spares().swap(spare_jobs_);
    }
    {
      sched_lock lk(*this);
      if (queued_jobs() >= max_jobs_ || queued_bytes_ >= max_bytes_) {
        while (!reader_wait_until(lk, reader_wait::room, std::chrono::milliseconds(500))) {
          lk.unlock();
          last_report_ = clock_type::now();
          flush_notes();
          report(false);
          lk.lock();
        }
      }
      if (stop_at_ != no_seq) break;
      queued_bytes_ += jp->bytes;
      pending_.push_back(std::move(jp));
      wake();
    }
    tick();
  }
}


}  // namespace binlogkit::detail::parallel
