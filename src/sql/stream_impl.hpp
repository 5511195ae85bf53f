// transaction_stream's state, and how its parts fit together.
//
// The walk (stream.cpp) reads the inputs event by event, tracks the format description
// and the transaction grammar, applies the stop points and hands each event of a kept
// transaction to render() (render.cpp: the type switch), which sends it to the part that
// owns it: session_diff (session state), statement_context (INTVAR / RAND / USER_VAR),
// row_statements (BINLOG statements), load_data (LOAD DATA); the transaction's own
// statements (BEGIN, COMMIT, XA, GTIDs) are written by render() itself. All statements
// are recorded through the render_context's statement_list. A transaction larger than
// render_options::stream_threshold is handed out in pieces (pieces.cpp) once reading
// ahead has shown that it completes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "binlogkit/events/compression.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/sql/sql.hpp"
#include "binlogkit/events/transaction.hpp"
#include "filters.hpp"
#include "load_data.hpp"
#include "render_context.hpp"
#include "row_statements.hpp"
#include "session_diff.hpp"
#include "statement_context.hpp"

namespace binlogkit {

struct transaction_stream::impl {
  using out_t = std::optional<rendered_transaction>;
  using released_fn = std::function<void(std::size_t, std::uint64_t, std::uint64_t)>;

  impl(sql_filter f, render_options o)
      : ctx(std::move(f), std::move(o)), session(ctx), context(ctx, session), rows(ctx), loads(ctx, session) {}

  detail::render_context ctx;
  detail::session_diff session;
  detail::statement_context context;
  detail::row_statements rows;
  detail::load_data loads;

  // -- the walk (stream.cpp) ----------------------------------------------------------
  const std::vector<binlog_input>* inputs = nullptr;
  std::optional<event_reader> reader;
  bool seen_format = false;  // this file's format description was read
  bool file_in_use = false;  // its first format description has LOG_EVENT_BINLOG_IN_USE_F
  bytes format_raw{};        // the format description in force, as in the file
  transaction_tracker tracker;

  [[nodiscard]] result<out_t> next_events(transaction_stream& s);
  [[nodiscard]] result<out_t> render_payload(transaction_stream& s, bool in_pieces);
  // The event `ev` of a kept transaction (`completes` it or not): rendered, or its
  // payload opened; a piece or the transaction when one is ready. `finished`: a payload
  // rendered in pieces took the transaction to its end (finish_tx is done).
  [[nodiscard]] result<out_t> kept_event(transaction_stream& s, const event_view& ev, const any_event& d,
                                         bool completes, bool& finished);
  [[nodiscard]] result<out_t> open_payload(transaction_stream& s, const event_view& ev,
                                           const transaction_payload_event& tp, bool completes);
  // No file open: opens the next one; false at the end of the inputs.
  bool open_next_file(transaction_stream& s);
  // The reader stopped at `e`: the torn tail of the last file flagged in use (a note and
  // the end) or the error.
  [[nodiscard]] result<out_t> read_failed(transaction_stream& s, const error& e);
  [[nodiscard]] result<void> file_ended(transaction_stream& s);
  void stop_point_reached(transaction_stream& s, const event_view& ev, detail::stop_point p);
  [[nodiscard]] result<void> format_event(transaction_stream& s, const event_view& ev);

  // -- the transaction being rendered (stream.cpp) ------------------------------------
  bool in_tx = false;
  detail::skip_reason why = detail::skip_reason::none;  // none: it is rendered
  bool streaming = false;        // pieces of this transaction were handed out
  std::uint32_t pieces = 0;
  // A transaction payload whose inner events are being rendered (they may be handed out
  // in pieces too), the payload event and whether it completes the transaction.
  std::optional<payload_reader> payload;
  event_view payload_ev{};
  bool payload_completes = false;
  bool began = false;  // a BEGIN / START TRANSACTION opened it
  bool xa = false;
  // transaction_stream::on_commit_rows (set again by each next(): the stream may move).
  const std::function<bool(const transaction_stream::commit_point&, std::vector<std::uint8_t>&)>* commit_hook =
      nullptr;
  std::vector<std::uint8_t> hook_events;

  [[nodiscard]] bool skipped() const noexcept { return why != detail::skip_reason::none; }
  void begin_tx(const event_view& ev);
  // After the GTID is known (the tracker has read the GTID event).
  void check_gtid_filter();
  [[nodiscard]] out_t finish_tx(const event_view& last);
  void discard_tx();

  // -- large transactions (pieces.cpp) ------------------------------------------------
  [[nodiscard]] std::size_t held_bytes() const;
  // A piece to hand out when the transaction has grown past the threshold (between two
  // events). `completes_known`: the rest is known to complete (an open payload that ends
  // the transaction).
  [[nodiscard]] out_t piece_if_large(bool completes_known, const released_fn& released);

  // -- one event (render.cpp) ---------------------------------------------------------
  struct event_renderer;
  [[nodiscard]] result<void> render(const event_view& ev, const any_event& d, bool inner);
  [[nodiscard]] result<void> query(const event_view& ev, const query_event& q0, bool inner);
  void xid(const event_view& ev, bool inner);
  void mariadb_gtid(const event_view& ev, const mariadb_gtid_event& g);
  void mysql_gtid(const event_view& ev, const gtid_event& g);
  // The caller's row events for a transaction that commits at `ev` (on_commit_rows),
  // after its pending row statements: they go out in the same BINLOG statement.
  void commit_rows(const event_view& ev, bool inner);
};

namespace detail {

// Reads the rest of the transaction `reader` and `tracker` are in, without rendering it,
// as the walk would read it (stop points, decoding, the grammar, payload contents): true
// when it completes and is applied whole. `released` is told each stretch of input
// `file` passed over (16 MiB at a time, and the rest at the end).
[[nodiscard]] bool reads_to_completion(event_reader reader, transaction_tracker tracker, std::size_t file,
                                       bool last_file, const transaction_filter& filter,
                                       const std::function<void(std::size_t, std::uint64_t, std::uint64_t)>& released);

}  // namespace detail

}  // namespace binlogkit
