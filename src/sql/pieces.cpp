// Transactions larger than render_options::stream_threshold, handed out in pieces; and the
// read-ahead that makes sure such a transaction is applied whole before its first piece
// goes. See stream_impl.hpp.
#include <variant>

#include "binlogkit/events/compression.hpp"
#include "binlogkit/core/event_type.hpp"
#include "stream_impl.hpp"

namespace binlogkit {

namespace detail {

namespace {

// Every inner event of a transaction payload decodes.
bool payload_readable(const event_view& ev, const transaction_payload_event& tp) {
  auto inner = payload_reader::open(ev, tp);
  if (!inner) return false;
  for (;;) {
    auto ie = inner->next();
    if (!ie) return false;
    if (!*ie) return true;
    if (!decode(**ie)) return false;
  }
}

}  // namespace

bool reads_to_completion(event_reader r, transaction_tracker t, std::size_t file, bool last_file,
                         const transaction_filter& filter,
                         const std::function<void(std::size_t, std::uint64_t, std::uint64_t)>& released) {
  std::uint64_t mark = r.position();
  auto release = [&](bool all) {
    if (released && (all || r.position() - mark >= (16u << 20))) {
      released(file, mark, r.position());
      mark = r.position();
    }
  };
  for (;;) {
    auto n = r.next();
    if (!n || !n->has_value()) {
      release(true);
      return false;
    }
    const event_view& ev = **n;
    const auto type = ev.type();
    if (filter.stops_at(ev, last_file) != stop_point::none) {
      release(true);
      return false;
    }
    auto d = decode(ev);
    bool ok = d.has_value();
    if (ok && type != event_type::format_description && type != event_type::start_v3) {
      auto step = t.feed(ev, *d);
      if (step.violation || step.begins) ok = false;
      if (ok && !step.extends) {
        if (const auto* tp = std::get_if<transaction_payload_event>(&*d)) ok = payload_readable(ev, *tp);
        if (ok && step.completes) {
          release(true);
          return true;
        }
      }
    }
    if (!ok) {
      release(true);
      return false;
    }
    release(false);
  }
}

}  // namespace detail

std::size_t transaction_stream::impl::held_bytes() const {
  const auto& tx = ctx.out.tx;
  std::size_t n = tx.sql.size() + rows.held_bytes() + context.held_bytes();
  for (const auto& d : tx.load_data) n += d.size();
  return n;
}

transaction_stream::impl::out_t transaction_stream::impl::piece_if_large(bool completes_known,
                                                                         const released_fn& released) {
  const auto threshold = ctx.opt.stream_threshold;
  if (!in_tx || skipped() || threshold == 0 || held_bytes() < threshold) return std::nullopt;
  auto& tx = ctx.out.tx;
  if (!streaming) {
    if (!completes_known && !detail::reads_to_completion(*reader, tracker, ctx.file,
                                                         ctx.file + 1 == inputs->size(), ctx.filter, released)) {
      // Not applied whole: render nothing more; the walk reaches the reason.
      why = detail::skip_reason::doomed;
      tx = rendered_transaction{};
      rows.release();
      context.drop();
      return std::nullopt;
    }
    streaming = true;
  }
  // Pending rows stay for the next piece (a row statement is never split); the
  // statements rendered so far go.
  if (tx.statements.empty()) return std::nullopt;
  rendered_transaction out = std::move(tx);
  tx = ctx.out.fresh();
  tx.file_index = ctx.file;
  tx.start = out.start;
  tx.timestamp = out.timestamp;
  out.file_index = ctx.file;
  out.gtid = tracker.gtid();
  out.end = reader->position();
  out.more = true;
  out.piece = pieces++;
  out.commit.reset();
  return out;
}

}  // namespace binlogkit
