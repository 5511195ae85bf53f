// The parallel applier's reading side (transaction_reader): transactions read, rendered,
// built into jobs (job_maker), given their start rules (schedule) and queued; large
// transactions streamed on the first connection.
#include <fmt/format.h>

#include <algorithm>

#include "replay/scheduler.hpp"
#include "replay/transaction_reader.hpp"

namespace binlogkit::detail::parallel {

// Under m_ (reading thread): the start rules of `j`, and what they tell the workers.
void scheduler::schedule(job& j) {
  const std::string text = maker_.decide(j);
  if (!text.empty()) note(text);
  if (!j.alone && j.after_executed != 0) executed_matters_ = true;
}

// Sends the pieces of a large transaction on connection 0 until its last one, which it
// schedules as a job for connection 0 (alone, not retried). False when the replay stops
// (read_failure or s_.failure_ set; the open transaction rolled back).
bool transaction_reader::stream_large(rendered_transaction&& first, std::optional<replay_failure>& read_failure) {
  {
    // Connection 0 is idle once nothing is scheduled or running.
    scheduler::sched_lock lk(s_);
    while (!s_.reader_wait_until(lk, scheduler::reader_wait::idle, std::chrono::milliseconds(500))) {
    }
    if (s_.stop_at_ != no_seq) return false;
  }
  const auto& inputs = *s_.ctx_.inputs;
  transaction_stream& stream = *s_.ctx_.stream;
  rendered_transaction piece = std::move(first);
  for (;;) {
    if (!piece.more) {
      if (!s_.maker_.rows_count_ok(piece)) {
        read_failure = job_maker::rows_count_failure();
        s_.workers_[0]->rollback();
        return false;
      }
      auto jp = s_.maker_.make(std::move(piece));
      scheduler::sched_lock lk(s_);
      s_.schedule(*jp);
      s_.queue_.bytes += jp->bytes;
      s_.queue_.pending.push_back(std::move(jp));
      s_.wake();
      return true;
    }
    job part;
    part.tx = std::move(piece);
    part.gtid = part.tx.gtid.text();
    job_builder& builder = s_.maker_.builder();
    (void)builder.build(part.tx, {}, part.gtid, 0, part.own, [&](const detail::piece& p, job_builder::part) {
      part.body.push_back(job_piece{p, nullptr});
    });
    auto r = s_.send_pieces(0, part, part.body, part.body.size());
    if (!r.ok) {
      // Pieces of the binlog: never ours.
      read_failure = s_.failure_of(part, r, failure_message(r.err, r.desync, r.extra));
      if (!connection_lost(r.err)) s_.workers_[0]->rollback();
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
      s_.workers_[0]->rollback();
      return false;
    }
    piece = std::move(**next);
    tick();
  }
}

// Reads, renders and schedules the transactions until the input ends, a stop point, or a
// failure (read_failure: of the reading side; the workers' own is s_.failure_).
void transaction_reader::read(std::optional<replay_failure>& read_failure) {
  const auto& inputs = *s_.ctx_.inputs;
  transaction_stream& stream = *s_.ctx_.stream;
  auto& resume_point = *s_.ctx_.resume_point;
  for (;;) {
    {
      scheduler::sched_lock lk(s_);
      if (s_.stop_at_ != no_seq) break;
    }
    // Any connection may apply the next transaction: it carries its whole session state.
    stream.reset_session();
    auto next = stream.next();
    if (!next) {
      replay_failure f;
      if (!s_.ctx_.same_server->empty()) {
        f.message = *s_.ctx_.same_server;
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
    if (!s_.opt_.force_same_server && !s_.ctx_.target_uuid.empty() && tx.gtid.k == gtid_ref::kind::mysql &&
        format_uuid(tx.gtid.uuid) == s_.ctx_.target_uuid) {
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
      if (!stream_large(std::move(tx), read_failure)) break;
      continue;
    }
    if (!s_.maker_.rows_count_ok(tx)) {
      read_failure = job_maker::rows_count_failure();
      break;
    }
    auto jp = s_.maker_.make(std::move(tx));
    {
      scheduler::sched_lock lk(s_);
      s_.schedule(*jp);
      if (s_.maker_.spares().empty()) s_.maker_.spares().swap(s_.queue_.spare_jobs);
    }
    {
      scheduler::sched_lock lk(s_);
      if (s_.queued_jobs() >= s_.max_jobs_ || s_.queue_.bytes >= s_.max_bytes_) {
        while (!s_.reader_wait_until(lk, scheduler::reader_wait::room, std::chrono::milliseconds(500))) {
          lk.unlock();
          last_report_ = clock_type::now();
          s_.flush_notes();
          s_.report(false);
          lk.lock();
        }
      }
      if (s_.stop_at_ != no_seq) break;
      s_.queue_.bytes += jp->bytes;
      s_.queue_.pending.push_back(std::move(jp));
      s_.wake();
    }
    tick();
  }
}

// Twice a second while reading: notes, progress, and the pages read so far released.
void transaction_reader::tick() {
  if (clock_type::now() - last_report_ < std::chrono::milliseconds(500)) return;
  last_report_ = clock_type::now();
  s_.flush_notes();
  const auto fi = s_.ctx_.stream->file_index();
  if (fi < s_.ctx_.sources->size()) (*s_.ctx_.sources)[fi].release_before(s_.ctx_.stream->position());
  s_.report(false);
}

}  // namespace binlogkit::detail::parallel
