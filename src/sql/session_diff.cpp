#include "session_diff.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <utility>

#include "binlogkit/core/sql_quote.hpp"

namespace binlogkit::detail {

namespace {

constexpr std::uint16_t thread_specific_f = 0x4;  // LOG_EVENT_THREAD_SPECIFIC_F
constexpr std::uint16_t suppress_use_f = 0x8;     // LOG_EVENT_SUPPRESS_USE_F

// flags2 bits (the server's thd->options) and the session variables they stand for.
struct option_flag {
  std::uint32_t bit;
  bool inverted;         // the variable is ON when the bit is clear
  const char* name;
  session_var var;
  version_triple since;  // MariaDB version that writes the bit ({0,0,0}: every server)
};
constexpr option_flag base_flags[] = {
    {1u << 26, true, "foreign_key_checks", session_var::foreign_key_checks, {}},
    {1u << 14, false, "sql_auto_is_null", session_var::sql_auto_is_null, {}},
    {1u << 27, true, "unique_checks", session_var::unique_checks, {}},
    {1u << 19, true, "autocommit", session_var::autocommit, {}},
};
constexpr option_flag mariadb_flags[] = {
    {1u << 15, true, "check_constraint_checks", session_var::check_constraint_checks, {10, 2, 1}},
    {1u << 28, false, "sql_if_exists", session_var::sql_if_exists, {10, 5, 2}},
    {1u << 24, false, "explicit_defaults_for_timestamp", session_var::explicit_defaults_for_timestamp, {10, 10, 1}},
    {1u << 30, false, "system_versioning_insert_history", session_var::system_versioning_insert_history, {10, 11, 0}},
};

bool is_xa_keyword(std::string_view q) {
  auto k = classify_statement(q);
  return k == statement_kind::xa_start || k == statement_kind::xa_end || k == statement_kind::xa_prepare ||
         k == statement_kind::xa_commit || k == statement_kind::xa_rollback;
}

}  // namespace

void session_diff::reset_gtid() noexcept {
  committed_.gtid_domain.reset();
  committed_.gtid_server.reset();
  committed_.mysql_gtid_next = false;
}

void session_diff::default_database(const event_view& ev, const query_event& q, bool in_xa) {
  if (ev.header.flags & suppress_use_f) {
    if (!(in_xa && is_xa_keyword(q.query))) work_.db = std::string();
    return;
  }
  auto db = ctx_.filter.rewrite(q.database);
  if (work_.db && *work_.db == db) return;
  if (!db.empty()) {
    client_charset_for(ev.offset, db);
    auto& st = ctx_.out.add(statement_role::session, ev.offset, [&](std::string& s) {
      s += "use ";
      append_identifier(s, db);
    });
    st.kind = sql_statement_kind::use_database;
    st.sets = session_bit(session_var::database);
  }
  work_.db = std::string(db);
}

void session_diff::option_flags(std::uint64_t at, std::uint32_t flags2) {
  const std::uint32_t changed = work_.flags2 ? (*work_.flags2 ^ flags2) : ~0u;
  std::string sets, mdb;
  std::uint32_t sets_vars = 0, mdb_vars = 0;
  auto put = [&](std::string& out, std::uint32_t& vars, const option_flag& f) {
    if (!(changed & f.bit)) return;
    vars |= session_bit(f.var);
    if (!out.empty()) out += ", ";
    bool on = ((flags2 & f.bit) != 0) != f.inverted;
    fmt::format_to(std::back_inserter(out), "@@session.{}={}", f.name, on ? 1 : 0);
  };
  for (const auto& f : base_flags) put(sets, sets_vars, f);
  if (ctx_.dialect() == sql_dialect::mariadb && ctx_.source_flavor == flavor::mariadb) {
    for (const auto& f : mariadb_flags) {
      if (ctx_.source_version < f.since) continue;
      if (ctx_.opt.for_client) put(mdb, mdb_vars, f);
      else put(sets, sets_vars, f);
    }
  }
  if (!sets.empty()) {
    ctx_.out.add(statement_role::session, at, [&](std::string& s) { s += "SET " + sets; }).sets = sets_vars;
  }
  if (!mdb.empty()) ctx_.out.add_mariadb(statement_role::session, at, "SET " + mdb).sets = mdb_vars;
  work_.flags2 = flags2;
}

void session_diff::statement_header(const event_view& ev, const query_event& q, bool in_xa) {
  const query_status st = q.status();
  const std::uint64_t at = ev.offset;
  auto& out = ctx_.out;
  default_database(ev, q, in_xa);
  out.add(statement_role::session, at, [&](std::string& s) {
    fmt::format_to(std::back_inserter(s), "SET TIMESTAMP={}", ev.header.timestamp);
    if (st.microseconds && *st.microseconds > 0 && *st.microseconds <= 999999) {
      fmt::format_to(std::back_inserter(s), ".{:06d}", *st.microseconds);
    }
  }).sets = session_bit(session_var::timestamp);
  if (!work_.thread_id || ((ev.header.flags & thread_specific_f) && *work_.thread_id != q.thread_id)) {
    out.add(statement_role::session, at, [&](std::string& s) {
      fmt::format_to(std::back_inserter(s), "SET @@session.pseudo_thread_id={}", q.thread_id);
    }).sets = session_bit(session_var::pseudo_thread_id);
    work_.thread_id = q.thread_id;
  }
  if (st.flags2) option_flags(at, *st.flags2);
  if (st.sql_mode && (!work_.sql_mode || *work_.sql_mode != *st.sql_mode)) {
    out.add(statement_role::session, at, [&](std::string& s) {
      fmt::format_to(std::back_inserter(s), "SET @@session.sql_mode={}", *st.sql_mode);
    }).sets = session_bit(session_var::sql_mode);
    work_.sql_mode = st.sql_mode;
  }
  std::pair<std::uint16_t, std::uint16_t> ai{st.auto_increment_increment.value_or(1),
                                             st.auto_increment_offset.value_or(1)};
  if (!work_.auto_increment || *work_.auto_increment != ai) {
    out.add(statement_role::session, at, [&](std::string& s) {
      fmt::format_to(std::back_inserter(s),
                     "SET @@session.auto_increment_increment={}, @@session.auto_increment_offset={}",
                     ai.first, ai.second);
    }).sets = session_bit(session_var::auto_increment_increment) |
              session_bit(session_var::auto_increment_offset);
    work_.auto_increment = ai;
  }
  event_charsets(at, st);
  if (st.time_zone && work_.time_zone != *st.time_zone) {
    out.add(statement_role::session, at, [&](std::string& s) {
      s += "SET @@session.time_zone=";
      append_string_literal(s, *st.time_zone);
    }).sets = session_bit(session_var::time_zone);
    work_.time_zone = std::string(*st.time_zone);
  }
  const std::uint16_t lc = st.lc_time_names.value_or(0);
  if (!work_.lc_time_names || *work_.lc_time_names != lc) {
    out.add(statement_role::session, at, [&](std::string& s) {
      fmt::format_to(std::back_inserter(s), "SET @@session.lc_time_names={}", lc);
    }).sets = session_bit(session_var::lc_time_names);
    work_.lc_time_names = lc;
  }
  const std::uint16_t cdb = st.collation_database.value_or(0);
  if (!work_.collation_database || *work_.collation_database != cdb) {
    out.add(statement_role::session, at, [&](std::string& s) {
      if (cdb == 0) s += "SET @@session.collation_database=DEFAULT";
      else fmt::format_to(std::back_inserter(s), "SET @@session.collation_database={}", cdb);
    }).sets = session_bit(session_var::collation_database);
    work_.collation_database = cdb;
  }
  if (ctx_.dialect() == sql_dialect::mysql) mysql_status(at, st);
  if (!st.character_set_collations.empty()) {
    ctx_.note(at, "the statement's character_set_collations (MariaDB 11.2+) is not set on the target");
  }
}

// MySQL 5.6+/8.0 status variables, as MySQL's mysqlbinlog sets them (inside a
// versioned comment for those that older servers do not have), each when it changed.
void session_diff::mysql_status(std::uint64_t at, const query_status& st) {
  auto set = [&](auto& have, const auto& want, std::string_view version, std::string_view name, session_var var,
                 bool as_bool) {
    if (!want || have == want) return;
    ctx_.out.add(statement_role::session, at, [&](std::string& s) {
      if (!version.empty()) fmt::format_to(std::back_inserter(s), "/*!{} ", version);
      fmt::format_to(std::back_inserter(s), "SET @@session.{}={}", name,
                     as_bool ? (*want ? 1u : 0u) : unsigned{*want});
      if (!version.empty()) s += "*/";
    }).sets = session_bit(var);
    have = want;
  };
  set(work_.explicit_defaults_ts, st.explicit_defaults_ts, "", "explicit_defaults_for_timestamp",
      session_var::explicit_defaults_for_timestamp, true);
  set(work_.default_collation_utf8mb4, st.default_collation_utf8mb4, "80011", "default_collation_for_utf8mb4",
      session_var::default_collation_for_utf8mb4, false);
  set(work_.sql_require_primary_key, st.sql_require_primary_key, "80013", "sql_require_primary_key",
      session_var::sql_require_primary_key, false);
  set(work_.default_table_encryption, st.default_table_encryption, "80016", "default_table_encryption",
      session_var::default_table_encryption, false);
}

void session_diff::event_charsets(std::uint64_t at, const query_status& st) {
  if (!st.charset_client) return;
  std::array<std::uint16_t, 3> cs{*st.charset_client, st.collation_connection.value_or(0),
                                  st.collation_server.value_or(0)};
  if (work_.charsets && *work_.charsets == cs && !work_.client_utf8) return;
  auto info = collation_by_id(cs[0]);
  if (ctx_.opt.for_client && info) {
    // The client parses what follows in this character set (mysqlbinlog's \C).
    ctx_.out.add(statement_role::session, at, [&](std::string& s) {
      s += "/*!\\C ";
      s += info->charset;
      s += " */";
    });
  }
  ctx_.out.add(statement_role::session, at, [&](std::string& s) {
    fmt::format_to(std::back_inserter(s),
                   "SET @@session.character_set_client={},@@session.collation_connection={},"
                   "@@session.collation_server={}",
                   cs[0], cs[1], cs[2]);
  }).sets = session_bit(session_var::character_set_client) | session_bit(session_var::collation_connection) |
            session_bit(session_var::collation_server);
  work_.charsets = cs;
  work_.client_utf8 = false;
}

std::optional<std::string> session_diff::client_charset() const {
  if (work_.client_utf8) return std::string("utf8mb4");
  if (!work_.charsets) return std::nullopt;
  auto info = collation_by_id((*work_.charsets)[0]);
  if (!info) return std::nullopt;
  return info->charset;
}

void session_diff::client_charset_for(std::uint64_t at, std::string_view name) {
  const auto cs = client_charset();
  if (quoting_safe_in(cs ? std::optional<std::string_view>(*cs) : std::nullopt, name)) return;
  if (ctx_.opt.for_client) ctx_.out.add_text(statement_role::session, at, utf8_client_command);
  ctx_.out.add_text(statement_role::session, at, utf8_client_statement).sets =
      session_bit(session_var::character_set_client);
  work_.client_utf8 = true;
}

bool session_diff::single_in_session(std::string_view text) const {
  const auto cs = client_charset();
  return proven_single_statement(text, cs ? std::optional<std::string_view>(*cs) : std::nullopt);
}

void session_diff::send_format_if_needed(std::uint64_t offset, bytes format_raw) {
  if (format_raw.empty()) return;
  if (work_.format.size() == format_raw.size() &&
      std::equal(format_raw.begin(), format_raw.end(), work_.format.begin())) {
    return;
  }
  work_.format.assign(format_raw.begin(), format_raw.end());
  ctx_.out.binlog_statement(offset, format_raw, statement_role::session,
                            sql_statement_kind::format_description);
  ctx_.out.tx.statements.back().sets = session_bit(session_var::format_description);
}

void session_diff::mariadb_gtid(std::uint64_t offset, const mariadb_gtid_event& g) {
  auto& out = ctx_.out;
  if (!work_.gtid_domain || *work_.gtid_domain != g.domain_id) {
    out.add_mariadb(statement_role::gtid, offset, fmt::format("SET @@session.gtid_domain_id={}", g.domain_id))
        .sets = session_bit(session_var::gtid_domain_id);
    work_.gtid_domain = g.domain_id;
  }
  if (!work_.gtid_server || *work_.gtid_server != g.server_id) {
    out.add_mariadb(statement_role::gtid, offset, fmt::format("SET @@session.server_id={}", g.server_id))
        .sets = session_bit(session_var::server_id);
    work_.gtid_server = g.server_id;
  }
  out.add_mariadb(statement_role::gtid, offset, fmt::format("SET @@session.gtid_seq_no={}", g.seq_no)).sets =
      session_bit(session_var::gtid_seq_no);
}

}  // namespace binlogkit::detail
