// transaction_stream: the walk over the inputs, and each transaction's beginning and end.
// See stream_impl.hpp for how the parts fit together.
#include <fmt/format.h>

#include <string>
#include <utility>
#include <variant>

#include "binlogkit/core/event_type.hpp"
#include "binlogkit/core/source.hpp"
#include "stream_impl.hpp"

namespace binlogkit {

// ---- the transaction being rendered -------------------------------------------------

void transaction_stream::impl::begin_tx(const event_view& ev) {
  in_tx = true;
  auto& tx = ctx.out.tx;
  tx = ctx.out.fresh();
  tx.file_index = ctx.file;
  tx.start = ev.offset;
  tx.timestamp = ev.header.timestamp;
  ctx.tx_first_offset = ev.offset;
  ctx.tx_first_file = ctx.file;
  ctx.out.body_count = 0;
  streaming = false;
  pieces = 0;
  began = false;
  xa = false;
  context.drop();
  rows.reset();
  loads.reset();
  payload.reset();
  why = ctx.filter.skip_at_start(ctx.file, ev);
  if (!skipped()) {
    session.begin();
    session.send_format_if_needed(ev.offset, format_raw);
  }
}

void transaction_stream::impl::check_gtid_filter() {
  if (skipped()) return;
  if (!ctx.filter.gtid_kept(tracker.gtid())) why = detail::skip_reason::gtid;
}

transaction_stream::impl::out_t transaction_stream::impl::finish_tx(const event_view& last) {
  in_tx = false;
  auto& tx = ctx.out.tx;
  tx.end = last.end_offset();
  tx.file_index = ctx.file;
  tx.gtid = tracker.gtid();
  if (skipped()) {
    ctx.filter.skipped(why, ctx.file, tx.end);
    const auto start = ctx.filter.options().start_position;
    if (why == detail::skip_reason::start && tx.end > start && ctx.tx_first_file == 0) {
      ctx.note(tx.start, fmt::format("--start-position {} is inside the transaction at {}..{}: it is skipped whole",
                                     start, tx.start, tx.end));
    }
    return std::nullopt;
  }
  rows.flush();
  context.drop();
  // Filtered empty (a streamed one has handed out pieces: its COMMIT must follow them).
  if (ctx.out.body_count == 0 && ctx.filter.filters_databases() && !streaming) return std::nullopt;
  session.commit();
  tx.piece = pieces;
  tx.more = false;
  return std::move(tx);
}

void transaction_stream::impl::discard_tx() {
  in_tx = false;
  context.drop();
  rows.reset();
}

// ---- the walk -----------------------------------------------------------------------

bool transaction_stream::impl::open_next_file(transaction_stream& s) {
  if (s.file_ >= s.inputs_.size()) {
    if (in_tx) {
      ctx.note(ctx.tx_first_offset,
               fmt::format("the input ends inside a transaction that starts at {}: it is not applied",
                           ctx.tx_first_offset));
      ctx.notes.back().warning = true;  // a cut at an event boundary looks the same
      discard_tx();
    }
    return false;
  }
  ctx.file = s.file_;
  reader.emplace(s.inputs_[s.file_].data);
  seen_format = false;
  file_in_use = false;
  format_raw = {};
  return true;
}

// The last file, flagged in use, ending inside an event is an unfinished write (a server
// that crashed or still writes), not damage: what is complete before it is all there is,
// and the user is told what was left out. Any other file cut inside an event was cut
// short after it was closed: damage.
result<transaction_stream::impl::out_t> transaction_stream::impl::read_failed(transaction_stream& s, const error& e) {
  if (e.code != errc::truncated || s.file_ + 1 != s.inputs_.size()) return unexpected<error>(e);
  if (!file_in_use) {
    return make_error(errc::truncated, e.offset, e.event_type,
                      "the event runs past the end of the file, which is not flagged in use: a closed binlog "
                      "cut short, or a damaged event length (damage, not an unfinished write)");
  }
  const auto size = s.inputs_[s.file_].data.size();
  std::string left = fmt::format("the last {} bytes (from offset {})", size - e.offset, e.offset);
  if (in_tx) left += fmt::format(", and the transaction that starts at {}", ctx.tx_first_offset);
  ctx.note(e.offset, fmt::format("the file is flagged in use and ends inside the event at {} "
                                 "(an unfinished write, or a server that crashed): {} are not applied",
                                 e.offset, left));
  ctx.notes.back().warning = true;
  if (in_tx) discard_tx();
  reader.reset();
  s.file_ = s.inputs_.size();
  return out_t{};
}

result<void> transaction_stream::impl::file_ended(transaction_stream& s) {
  // --start-position applies to the first file: one past its end names no event of it
  // (a mistyped number), and every transaction of the file would be skipped.
  if (s.file_ == 0 && ctx.filter.options().start_position > s.inputs_[0].data.size()) {
    return make_error(errc::bad_value, s.inputs_[0].data.size(), -1,
                      "the start position lies past the end of the first file: no event of it starts there");
  }
  reader.reset();
  ++s.file_;
  return {};
}

// Stop points: the transaction they fall in is not applied.
void transaction_stream::impl::stop_point_reached(transaction_stream& s, const event_view& ev, detail::stop_point p) {
  if (in_tx && (!skipped() || why == detail::skip_reason::doomed)) {
    const auto& f = ctx.filter.options();
    ctx.note(ev.offset, fmt::format("{} falls inside the transaction that starts at {}: it is not applied",
                                    p == detail::stop_point::position
                                        ? fmt::format("--stop-position {}", *f.stop_position)
                                        : std::string("--stop-datetime"),
                                    ctx.tx_first_offset));
  }
  if (in_tx) discard_tx();
  s.stopped_ = true;
}

result<void> transaction_stream::impl::format_event(transaction_stream& s, const event_view& ev) {
  format_raw = ev.raw;
  ctx.file_checksums = ev.format->has_checksums();
  ctx.source_flavor = ev.format->flavor();
  ctx.source_version = ev.format->version();
  if (!seen_format) {
    seen_format = true;
    file_in_use = (ev.header.flags & flag_binlog_in_use) != 0;
    if (s.on_format) BK_TRY_VOID(s.on_format(s.file_, ev.header.server_id, ev.format->flavor()));
  }
  return {};
}

result<transaction_stream::impl::out_t> transaction_stream::impl::open_payload(transaction_stream& s,
                                                                               const event_view& ev,
                                                                               const transaction_payload_event& tp,
                                                                               bool completes) {
  BK_TRY(auto inner, payload_reader::open(ev, tp));
  payload.emplace(std::move(inner));
  payload_ev = ev;
  payload_completes = completes;
  if (!payload_completes || ctx.opt.stream_threshold == 0) {
    BK_TRY_VOID(render_payload(s, false));
    return out_t{};
  }
  // Rendered in pieces when large: every inner event is checked first, so that none is
  // handed out before a damaged one.
  for (;;) {
    BK_TRY(auto ie, payload->next());
    if (!ie) break;
    BK_TRY_VOID(decode(*ie));
  }
  payload->rewind();
  return render_payload(s, true);
}

result<transaction_stream::impl::out_t> transaction_stream::impl::kept_event(transaction_stream& s,
                                                                             const event_view& ev,
                                                                             const any_event& d, bool completes,
                                                                             bool& finished) {
  if (const auto* tp = std::get_if<transaction_payload_event>(&d)) {
    finished = completes && ctx.opt.stream_threshold != 0;  // rendered in pieces, to its end
    BK_TRY(auto got, open_payload(s, ev, *tp, completes));
    if (finished) return got;
  } else {
    BK_TRY_VOID(render(ev, d, false));
  }
  if (!completes) return piece_if_large(false, s.on_read_ahead);
  return out_t{};
}

result<transaction_stream::impl::out_t> transaction_stream::impl::next_events(transaction_stream& s) {
  if (s.stopped_) return out_t{};
  commit_hook = &s.on_commit_rows;
  if (payload) {
    // A payload handed out in pieces: go on with its inner events.
    BK_TRY(auto piece, render_payload(s, true));
    if (piece) return piece;
  }
  for (;;) {
    if (!reader && !open_next_file(s)) return out_t{};
    auto n = reader->next();
    if (!n) return read_failed(s, n.error());
    if (!n->has_value()) {
      BK_TRY_VOID(file_ended(s));
      continue;
    }
    const event_view& ev = **n;
    const auto t = ev.type();
    if (auto p = ctx.filter.stops_at(ev, s.file_ + 1 == s.inputs_.size()); p != detail::stop_point::none) {
      stop_point_reached(s, ev, p);
      return out_t{};
    }
    auto decoded = decode(ev);
    if (!decoded) return unexpected<error>(decoded.error());
    if (t == event_type::format_description || t == event_type::start_v3) {
      BK_TRY_VOID(format_event(s, ev));
      continue;
    }
    auto step = tracker.feed(ev, *decoded);
    if (step.violation) return unexpected<error>(*step.violation);
    if (step.extends) continue;  // MySQL 5.0: the XID of an autocommit statement already applied
    if (step.begins) {
      if (in_tx) discard_tx();
      begin_tx(ev);
      check_gtid_filter();
    }
    if (!in_tx) continue;  // events outside transactions (checkpoints, GTID lists, …)
    if (!skipped()) {
      bool finished = false;  // a payload rendered in pieces finished it
      BK_TRY(auto got, kept_event(s, ev, *decoded, step.completes, finished));
      if (got) return got;
      if (finished) continue;
    }
    if (step.completes) {
      if (why == detail::skip_reason::doomed) {
        // Reading ahead said it would not complete: the two walks disagree.
        return make_error(errc::unsupported, ev.offset, ev.header.type_code,
                          "internal error: a large transaction read ahead as incomplete completed here");
      }
      if (auto done = finish_tx(ev)) return done;
    }
  }
}

// Renders the open payload's inner events; with `in_pieces`, stops at the first piece to hand
// out (the payload stays open and next() comes back to it), and finishes the transaction
// when the payload completes it.
result<transaction_stream::impl::out_t> transaction_stream::impl::render_payload(transaction_stream& s,
                                                                                 bool in_pieces) {
  for (;;) {
    BK_TRY(auto ie, payload->next());
    if (!ie) break;
    BK_TRY(auto id, decode(*ie));
    BK_TRY_VOID(render(*ie, id, true));
    if (in_pieces) {
      if (auto piece = piece_if_large(true, s.on_read_ahead)) return piece;
    }
  }
  payload.reset();
  if (in_pieces && payload_completes) {
    if (auto done = finish_tx(payload_ev)) return done;
  }
  return out_t{};
}

// ---- transaction_stream -------------------------------------------------------------

transaction_stream::transaction_stream(std::vector<binlog_input> inputs, sql_filter filter, render_options options)
    : impl_(std::make_unique<impl>(std::move(filter), std::move(options))), inputs_(std::move(inputs)) {
  impl_->inputs = &inputs_;
  for (const auto& in : inputs_) total_bytes_ += in.data.size();
}


transaction_stream::~transaction_stream() = default;
transaction_stream::transaction_stream(transaction_stream&& o) noexcept
    : on_format(std::move(o.on_format)),
      impl_(std::move(o.impl_)),
      inputs_(std::move(o.inputs_)),
      total_bytes_(o.total_bytes_),
      file_(o.file_),
      stopped_(o.stopped_) {
  if (impl_) impl_->inputs = &inputs_;
}
transaction_stream& transaction_stream::operator=(transaction_stream&& o) noexcept {
  on_format = std::move(o.on_format);
  impl_ = std::move(o.impl_);
  inputs_ = std::move(o.inputs_);
  total_bytes_ = o.total_bytes_;
  file_ = o.file_;
  stopped_ = o.stopped_;
  if (impl_) impl_->inputs = &inputs_;
  return *this;
}

void transaction_stream::resume_after(std::size_t file_index, std::uint64_t end) {
  impl_->ctx.filter.resume_after(file_index, end);
  // Earlier files hold nothing to apply: transactions never span binlog files.
  if (file_ < file_index && !impl_->reader) {
    file_ = file_index;
    impl_->ctx.file = file_index;
  }
}

void transaction_stream::reset_session() noexcept { impl_->session.reset(); }

void transaction_stream::recycle(rendered_transaction&& spent) noexcept { impl_->ctx.out.recycle(std::move(spent)); }

void transaction_stream::reset_gtid_session() noexcept { impl_->session.reset_gtid(); }

bool transaction_stream::resume_checked() const noexcept { return impl_->ctx.filter.resume_hit(); }

std::vector<stream_note> transaction_stream::take_notes() {
  std::vector<stream_note> out;
  out.swap(impl_->ctx.notes);
  return out;
}

std::uint64_t transaction_stream::position() const noexcept {
  return impl_->reader ? impl_->reader->position() : 0;
}

std::uint64_t transaction_stream::bytes_done() const noexcept {
  std::uint64_t done = 0;
  for (std::size_t i = 0; i < file_ && i < inputs_.size(); ++i) done += inputs_[i].data.size();
  return done + position();
}

// A mapped input that lost pages under us reads as zeros there: nothing read from it can
// be trusted from the first lost byte on (the current file and the one before, which a
// relay log's transaction may have started in).
result<void> transaction_stream::check_not_lost() const {
  for (std::size_t i = file_ > 0 ? file_ - 1 : 0; i <= file_ && i < inputs_.size(); ++i) {
    if (auto lost = bytes_lost_in(inputs_[i].data)) {
      return make_error(errc::io_error, *lost, -1, "the file shrank while it was read (truncated under us)");
    }
  }
  return {};
}

result<std::optional<rendered_transaction>> transaction_stream::next() {
  auto got = next_events();
  BK_TRY_VOID(check_not_lost());
  if (got && *got && !(*got)->more) {
    const rendered_transaction& tx = **got;
    delivered_ = delivered_mark{tx.file_index, tx.end, tx.gtid.text()};
  }
  return got;
}


result<std::optional<rendered_transaction>> transaction_stream::next_events() { return impl_->next_events(*this); }

result<std::optional<rendered_transaction>> transaction_stream::render_payload(bool pieces) {
  return impl_->render_payload(*this, pieces);
}

}  // namespace binlogkit
