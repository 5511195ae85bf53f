// One event of a kept transaction, rendered: the type switch, and the transaction's own
// statements (BEGIN, COMMIT, XA, GTIDs). See stream_impl.hpp.
#include <fmt/format.h>

#include <iterator>
#include <string>
#include <variant>

#include "binlogkit/events/compression.hpp"
#include "binlogkit/core/sql_quote.hpp"
#include "stream_impl.hpp"

namespace binlogkit {

namespace {

std::string_view inflate_view(const std::vector<std::uint8_t>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

void append_xid(std::string& s, std::int32_t format_id, std::string_view gtrid, std::string_view bqual) {
  append_hex_literal(s, {reinterpret_cast<const std::uint8_t*>(gtrid.data()), gtrid.size()});
  s += ',';
  append_hex_literal(s, {reinterpret_cast<const std::uint8_t*>(bqual.data()), bqual.size()});
  fmt::format_to(std::back_inserter(s), ",{}", format_id);
}

// A transaction-control statement's role, and what it says about the transaction.
struct control_role {
  bool control = true;
  statement_role role = statement_role::body;
  bool begins = false;  // BEGIN / START TRANSACTION
  bool xa = false;
};

control_role role_of(statement_kind kind) {
  switch (kind) {
    case statement_kind::begin: return {true, statement_role::begin, true, false};
    case statement_kind::xa_start: return {true, statement_role::begin, false, true};
    case statement_kind::commit: return {true, statement_role::commit, false, false};
    case statement_kind::rollback: return {true, statement_role::end, false, false};
    case statement_kind::xa_end: return {true, statement_role::body, false, true};
    case statement_kind::xa_prepare: return {true, statement_role::end, false, true};
    case statement_kind::xa_commit:
    case statement_kind::xa_rollback: return {true, statement_role::body, false, true};
    case statement_kind::savepoint:
    case statement_kind::rollback_to_savepoint: return {true, statement_role::body, false, false};
    default: return {false, statement_role::body, false, false};
  }
}

}  // namespace

// The type switch: each event type to the part that renders it; types that change
// nothing on the target (rotate, checkpoints, GTID lists, …) render nothing.
struct transaction_stream::impl::event_renderer {
  impl& m;
  const event_view& ev;
  bool inner;

  result<void> operator()(const query_event& q) const { return m.query(ev, q, inner); }
  result<void> operator()(const xid_event&) const {
    m.xid(ev, inner);
    return {};
  }
  result<void> operator()(const xa_prepare_event& x) const {
    m.rows.flush();
    m.ctx.out.add(statement_role::end, ev.offset, [&](std::string& s) {
      s += x.one_phase ? "XA COMMIT " : "XA PREPARE ";
      append_xid(s, x.format_id, x.gtrid, x.bqual);
      if (x.one_phase) s += " ONE PHASE";
    });
    return {};
  }
  result<void> operator()(const intvar_event& i) const {
    m.context.intvar(ev.offset, i);
    return {};
  }
  result<void> operator()(const rand_event& r) const {
    m.context.rand(ev.offset, r);
    return {};
  }
  result<void> operator()(const user_var_event& u) const { return m.context.user_var(ev, u); }
  result<void> operator()(const table_map_event& tm) const { return m.rows.table_map(ev, tm, inner); }
  result<void> operator()(const rows_event& r) const { return m.rows.rows(ev, r, inner); }
  result<void> operator()(const file_block_event& f) const { return m.loads.block(ev, f); }
  result<void> operator()(const load_event&) const {
    return make_error(errc::unsupported, ev.offset, ev.header.type_code,
                      "LOAD / CREATE_FILE (MySQL 4.x/5.0 LOAD DATA) cannot be replayed");
  }
  result<void> operator()(const mariadb_gtid_event& g) const {
    m.mariadb_gtid(ev, g);
    return {};
  }
  result<void> operator()(const gtid_event& g) const {
    m.mysql_gtid(ev, g);
    return {};
  }
  result<void> operator()(const incident_event&) const {
    return make_error(errc::unsupported, ev.offset, ev.header.type_code,
                      "INCIDENT: the source lost events here; what follows cannot be applied consistently");
  }
  result<void> operator()(const start_encryption_event&) const {
    return make_error(errc::encrypted, ev.offset, ev.header.type_code,
                      "the rest of the binlog is encrypted and cannot be replayed");
  }
  template <class T>
  result<void> operator()(const T&) const {
    return {};
  }
};

result<void> transaction_stream::impl::render(const event_view& ev, const any_event& d, bool inner) {
  return std::visit(event_renderer{*this, ev, inner}, d);
}

result<void> transaction_stream::impl::query(const event_view& ev, const query_event& q0, bool inner) {
  query_event q = q0;
  std::vector<std::uint8_t> inflated;
  if (q.compressed) {
    BK_TRY(inflated, inflate_mariadb({reinterpret_cast<const std::uint8_t*>(q.query.data()), q.query.size()},
                                     ev.offset, ev.header.type_code));
    q.query = inflate_view(inflated);
  }
  const auto kind = classify_statement(q.query);
  if (kind == statement_kind::commit && began && !xa) commit_rows(ev, inner);
  rows.flush();
  const control_role c = role_of(kind);
  if (c.begins) began = true;
  if (c.xa) xa = true;
  if (!c.control && !ctx.filter.db_kept(ctx.filter.rewrite(q.database))) {
    context.drop();  // filtered out with its INTVAR / RAND / USER_VAR
    return {};
  }
  session.statement_header(ev, q, xa);
  context.flush();
  session.event_charsets(ev.offset, q.status());  // again, if a user variable's name switched them
  if (ev.type() == event_type::execute_load_query) return loads.statement(ev, q);
  auto& st = ctx.out.add_text(c.role, ev.offset, q.query);
  st.expected_error = q.error_code;
  st.single = session.single_in_session(q.query);
  if (c.role == statement_role::commit && began && !xa) ctx.out.tx.commit = ctx.out.tx.statements.size() - 1;
  if (c.role == statement_role::body) ++ctx.out.body_count;
  return {};
}

void transaction_stream::impl::xid(const event_view& ev, bool inner) {
  if (!xa) commit_rows(ev, inner);
  rows.flush();
  ctx.out.add_text(statement_role::commit, ev.offset, "COMMIT");
  if (!xa) ctx.out.tx.commit = ctx.out.tx.statements.size() - 1;
}

void transaction_stream::impl::mariadb_gtid(const event_view& ev, const mariadb_gtid_event& g) {
  if (ctx.dialect() == sql_dialect::mariadb && ctx.opt.mariadb_gtids) session.mariadb_gtid(ev.offset, g);
  if (g.flags2 & mariadb_gtid_event::fl_prepared_xa) {
    xa = true;
    ctx.out.add(statement_role::begin, ev.offset, [&](std::string& s) {
      s += "XA START ";
      append_xid(s, static_cast<std::int32_t>(g.xa_format_id.value_or(0)), g.xa_gtrid, g.xa_bqual);
    });
  } else if (!(g.flags2 & mariadb_gtid_event::fl_standalone)) {
    began = true;
    ctx.out.add_text(statement_role::begin, ev.offset, "START TRANSACTION");
  }
}

void transaction_stream::impl::mysql_gtid(const event_view& ev, const gtid_event& g) {
  if (ctx.dialect() != sql_dialect::mysql || !ctx.opt.mysql_gtids) return;
  auto& out = ctx.out;
  if (g.original_commit_timestamp) {
    out.add(statement_role::gtid, ev.offset, [&](std::string& s) {
      fmt::format_to(std::back_inserter(s), "/*!80001 SET @@session.original_commit_timestamp={}*/",
                     *g.original_commit_timestamp);
    }).sets = session_bit(session_var::original_commit_timestamp);
  }
  if (g.original_server_version) {
    out.add(statement_role::gtid, ev.offset, [&](std::string& s) {
      fmt::format_to(std::back_inserter(s), "/*!80014 SET @@session.original_server_version={}*/",
                     *g.original_server_version);
    }).sets = session_bit(session_var::original_server_version);
  }
  if (g.immediate_server_version) {
    out.add(statement_role::gtid, ev.offset, [&](std::string& s) {
      fmt::format_to(std::back_inserter(s), "/*!80014 SET @@session.immediate_server_version={}*/",
                     *g.immediate_server_version);
    }).sets = session_bit(session_var::immediate_server_version);
  }
  auto& next = out.add(statement_role::gtid, ev.offset, [&](std::string& s) {
    s += "SET @@SESSION.GTID_NEXT=";
    if (g.anonymous) s += "'ANONYMOUS'";
    else append_string_literal(s, tracker.gtid().text());
  });
  next.kind = sql_statement_kind::gtid_next;
  next.sets = session_bit(session_var::gtid_next);
  session.mysql_gtid_next(!g.anonymous);
}

void transaction_stream::impl::commit_rows(const event_view& ev, bool inner) {
  if (commit_hook == nullptr || !*commit_hook) return;
  // A transaction the database filter emptied is dropped whole at its end: keep it so.
  if (ctx.out.body_count == 0 && !rows.has_statements() && ctx.filter.filters_databases()) return;
  const event_view& last = inner ? payload_ev : ev;
  transaction_stream::commit_point cp;
  cp.file_index = ctx.file;
  cp.end = last.end_offset();
  cp.gtid = tracker.gtid();
  cp.timestamp = ev.header.timestamp;
  cp.server_id = ev.header.server_id;
  cp.format = ev.format;
  cp.checksums = inner ? ctx.file_checksums : ev.format->has_checksums();
  hook_events.clear();
  if (!(*commit_hook)(cp, hook_events) || hook_events.empty()) return;
  rows.append_commit_rows(ev, hook_events);
  ctx.out.tx.commit_rows = true;
}

}  // namespace binlogkit
