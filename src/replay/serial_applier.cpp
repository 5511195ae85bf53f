#include "replay/serial_applier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace binlogkit::detail {

namespace {
double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}
}  // namespace

serial_applier::serial_applier(apply_context& ctx, sql_connection& db, bool progress_rows, replay_result& res)
    : opt_(*ctx.options),
      inputs_(*ctx.inputs),
      names_(*ctx.file_names),
      sources_(*ctx.sources),
      stream_(*ctx.stream),
      db_(db),
      res_(res),
      resume_(*ctx.resume_point),
      same_server_(*ctx.same_server),
      mariadb_(ctx.target_mariadb),
      uuid_(ctx.target_uuid),
      id_(ctx.id),
      room_(ctx.packet_room),
      progress_rows_(progress_rows),
      t0_(ctx.t0),
      transactions_(ctx.transactions),
      jobs_({ctx.target_mariadb, ctx.target_log_bin && !ctx.options->disable_log_bin, ctx.id_literal}),
      limits_{ctx.packet_room},
      slots_(ctx.id, 0) {}


void serial_applier::report(bool finished) {
  res_.progress.transactions = transactions_;
  res_.progress.bytes_done = finished && !res_.failure ? stream_.bytes_total() : stream_.bytes_done();
  res_.progress.bytes_total = stream_.bytes_total();
  res_.progress.elapsed_s = seconds_since(t0_);
  res_.progress.finished = finished && !res_.failure;
  if (opt_.on_progress) opt_.on_progress(res_.progress);
}
void serial_applier::flush_notes() {
  for (auto& n : stream_.take_notes()) {
    auto text = fmt::format("{}:{}: {}", n.file_index < inputs_.size() ? inputs_[n.file_index].name : "?", n.offset,
                            n.text);
    if (n.warning && opt_.on_warning) opt_.on_warning(text);
    else note(text);
  }
}
// Transactions [0, n) of a batch are committed: account for them.
// A piece of a large transaction goes in a batch of its own and commits nothing.
void serial_applier::committed(const batch& b, std::size_t n) {
  if (n == 0 || b.txs[n - 1].partial) return;
  const pending_tx& last = b.txs[n - 1];
  transactions_ = last.count;
  res_.progress.transactions_run += n;
  res_.progress.file = names_[last.tx.file_index];
  res_.progress.position = last.tx.end;
  res_.progress.gtid = last.gtid;
}

// Builds the packet that starts at piece i and sends it. False on failure.
bool serial_applier::send_from(batch& b, std::size_t i) {
  const auto at = [&](std::size_t k) -> const piece& { return b.pieces[k].p; };
  const std::size_t j = fill_packet(i, b.pieces.size(), at, room_, b.packet, b.flag_loss);
  const bool alone = b.pieces[i].p.alone;
  if (alone) db_.serve_load_data(&b.txs[b.pieces[i].tx].tx);
  b.sent_from = i;
  b.sent_to = j;
  b.in_flight = true;
  session::outcome o;
  if (db_.send(b.packet, o, alone)) return true;
  b.in_flight = false;
  const tx_piece& p = b.pieces[i];
  replay_failure f;
  f.message = "the connection to the target was lost (rerun with --resume)";
  f.file = inputs_[b.txs[p.tx].tx.file_index].name;
  f.position = p.p.offset;
  f.gtid = b.txs[p.tx].gtid;
  f.server_errno = o.err;
  f.server_error = o.message;
  res_.failure = std::move(f);
  committed(b, p.tx);
  return false;
}

// Reads the results of the packet in flight_, then sends and reads the rest of the
// batch. False on failure (res_.failure set).
bool serial_applier::complete(batch& b) {
  while (b.in_flight) {
    const std::size_t i = b.sent_from, j = b.sent_to, count = j - i;
    const bool alone = b.pieces[i].p.alone;
    auto o = db_.read(count, b.flag_loss, alone);
    b.in_flight = false;
    std::size_t next = j;
    if (o.desync || o.extra) {
      // Extra results: the packet's last statement is the one known to have run as more.
      const tx_piece& tp = b.pieces[o.extra ? j - 1 : std::min(i + o.done, b.pieces.size() - 1)];
      const piece& p = tp.p;
      committed(b, tp.tx);
      replay_failure f;
      f.message = o.extra ? extra_results_message()
                          : fmt::format("the target answered {} of the {} statements of a packet and then "
                                        "reported no more results; the session cannot be trusted",
                                        o.done, count);
      f.file = inputs_[b.txs[tp.tx].tx.file_index].name;
      f.position = p.ours ? b.txs[tp.tx].tx.start : p.offset;
      f.gtid = b.txs[tp.tx].gtid;
      f.statement = shorten(p.text);
      res_.failure = std::move(f);
      return false;
    }
    if (o.err != 0) {
      const std::size_t bad = std::min(i + o.done, b.pieces.size() - 1);
      const tx_piece& tp = b.pieces[bad];
      const piece& p = tp.p;
      const pending_tx& ptx = b.txs[tp.tx];
      const bool expected = !p.ours && p.expected_error != 0 && p.expected_error == o.err;
      const bool skippable = !p.ours && std::find(opt_.skip_errors.begin(), opt_.skip_errors.end(),
                                                  o.err) != opt_.skip_errors.end();
      if (connection_lost(o.err) || !(expected || skippable)) {
        committed(b, tp.tx);
        replay_failure f;
        f.message = connection_lost(o.err) ? "the connection to the target was lost (rerun with --resume)"
                                           : "the target refused a statement";
        f.file = inputs_[ptx.tx.file_index].name;
        f.position = p.ours ? ptx.tx.start : p.offset;
        f.gtid = ptx.gtid;
        f.statement = shorten(p.text);
        f.server_errno = o.err;
        f.server_error = o.message;
        res_.failure = std::move(f);
        return false;
      }
      if (!expected) {
        ++res_.skipped_errors;
        note(fmt::format("{}:{}{}: skipped error {} ({}): {}", inputs_[ptx.tx.file_index].name, p.offset,
                         ptx.gtid.empty() ? "" : " GTID " + ptx.gtid, o.err, o.message, shorten(p.text, 160)));
      }
      next = bad + 1;
    }
    if (next < b.pieces.size() && !send_from(b, next)) return false;
  }
  committed(b, b.txs.size());
  b.clear();
  db_.serve_load_data(nullptr);
  return true;
}

// Sends `b` (which becomes the batch in flight_); special batches are read at once.
bool serial_applier::launch(batch& b) {
  if (b.pieces.empty()) {
    committed(b, b.txs.size());
    b.clear();
    return true;
  }
  if (!send_from(b, 0)) return false;
  if (b.special) return complete(b);
  return true;
}

// Queues a transaction's statements, with the progress row before its COMMIT (atomic
// with it) or after its last statement (statements that commit on their own).
void serial_applier::enqueue(batch& bt, rendered_transaction&& tx_in, std::uint64_t count) {
  const bool partial = tx_in.more;
  bt.txs.push_back(pending_tx{std::move(tx_in), {}, {}, count, partial});
  pending_tx& q = bt.txs.back();
  const std::size_t qi = bt.txs.size() - 1;
  q.gtid = q.tx.gtid.text();
  q.own.reserve(6);  // the pieces point into them: no reallocation afterwards
  const bool reset = jobs_.build(q.tx, names_[q.tx.file_index], q.gtid, q.count, q.own,
                                [&](const piece& p, job_builder::part) {
                                  bt.special = bt.special || p.alone;
                                  bt.pieces.push_back({p, qi});
                                  bt.bytes += p.text.size() + 3;
                                });
  if (reset) stream_.reset_gtid_session();
}

// The next transaction's progress count: those committed, in flight_ and queued.
std::uint64_t serial_applier::next_count() const {
  return transactions_ + flight_.txs.size() + filling_.txs.size() + 1;
}

// The count a transaction's progress row records (the row events said it already).
std::optional<std::uint64_t> serial_applier::count_for(const rendered_transaction& tx) const {
  const std::uint64_t n = next_count();
  if (!slots_.recorded(tx, n)) return std::nullopt;
  return n;
}
bool serial_applier::finish_all() {
  if (flight_.in_flight && !complete(flight_)) return false;
  flight_.clear();
  if (!filling_.txs.empty()) {
    std::swap(flight_, filling_);
    if (!launch(flight_) || (flight_.in_flight && !complete(flight_))) return false;
    flight_.clear();
  }
  return true;
}

void serial_applier::run() {
  // The progress row's events go in each transaction's own BINLOG statement.
  if (progress_rows_) {
    stream_.on_commit_rows = [&](const transaction_stream::commit_point& cp, std::vector<std::uint8_t>& out) {
      const std::uint64_t count = next_count();
      return slots_.append(out, cp, 1, names_[cp.file_index], count);
    };
  }
  for (;;) {
    auto next = stream_.next();
    flush_notes();
    if (!next) {
      if (!finish_all()) {
        report(true);
        return;
      }
      if (!same_server_.empty()) return fail(same_server_);
      const auto& e = next.error();
      replay_failure f;
      f.message = e.message();
      f.file = stream_.file_index() < inputs_.size() ? inputs_[stream_.file_index()].name : "";
      f.position = e.offset;
      res_.failure = std::move(f);
      report(true);
      return;
    }
    if (!*next) break;
    if (resume_ && !stream_.resume_checked()) {
      return fail(fmt::format("--resume: no transaction ends at the recorded position {}:{}; the files given are "
                              "not the ones the replay recorded",
                              resume_->first, resume_->second));
    }
    resume_.reset();
    rendered_transaction& tx = **next;
    if (!opt_.force_same_server && !uuid_.empty() && tx.gtid.k == gtid_ref::kind::mysql &&
        format_uuid(tx.gtid.uuid) == uuid_) {
      if (!finish_all()) {
        report(true);
        return;
      }
      return fail(fmt::format("transaction {} was written by the target itself (its server_uuid); "
                              "--force-same-server to replay it anyway",
                              tx.gtid.text()));
    }
    const bool special = has_own_packet_statement(tx);
    if (special || tx.more) {
      // Everything before it is applied first; then it goes by itself (a piece of a large
      // transaction too: it is sent before the next piece is rendered).
      if (!finish_all()) {
        report(true);
        return;
      }
      const auto count = count_for(tx);
      if (!count) return fail("internal error: the progress count of the row events and of the batch differ");
      enqueue(filling_, std::move(tx), *count);
      if (!finish_all()) {
        report(true);
        return;
      }
    } else {
      const auto count = count_for(tx);
      if (!count) return fail("internal error: the progress count of the row events and of the batch differ");
      enqueue(filling_, std::move(tx), *count);
      if (filling_.txs.size() >= packet_limits::batch_transactions || filling_.bytes >= limits_.batch_bytes()) {
        // The batch in flight_ is read while this one was being rendered; this one goes.
        if (flight_.in_flight && !complete(flight_)) {
          report(true);
          return;
        }
        flight_.clear();
        std::swap(flight_, filling_);
        if (!launch(flight_)) {
          report(true);
          return;
        }
      }
    }
    if (clock_type::now() - last_report_ >= std::chrono::milliseconds(500)) {
      last_report_ = clock_type::now();
      const auto fi = stream_.file_index();
      if (fi < sources_.size()) sources_[fi].release_before(stream_.position());
      report(false);
    }
  }
  if (!finish_all()) {
    report(true);
    return;
  }
  if (resume_ && !stream_.resume_checked()) {
    return fail(fmt::format("--resume: no transaction ends at the recorded position {}:{}", resume_->first,
                            resume_->second));
  }
  if (!mariadb_ && jobs_.gtid_next_used()) (void)db_.run(std::string(gtid_next_automatic), 1);
  res_.stopped_at_stop_point = stream_.stopped();
  report(true);
  return;
}

}  // namespace binlogkit::detail
