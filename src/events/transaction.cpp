#include "binlogkit/events/transaction.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "binlogkit/core/overloaded.hpp"

namespace binlogkit {

namespace {

using detail::overloaded;

// Skips blanks and /* ... */ comments (mysqlbinlog and servers add version comments).
std::string_view skip_blanks(std::string_view s) {
  for (;;) {
    std::size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    s.remove_prefix(i);
    if (s.size() >= 2 && s[0] == '/' && s[1] == '*' && (s.size() < 3 || s[2] != '!')) {
      auto end = s.find("*/", 2);
      if (end == std::string_view::npos) return {};
      s.remove_prefix(end + 2);
      continue;
    }
    return s;
  }
}

// Case-insensitive match of a word sequence at the start of s ("XA START" matches
// "xa  start 'x'"), requiring a word boundary after it.
bool starts_with_words(std::string_view s, std::string_view words) {
  std::size_t i = 0;
  for (std::size_t w = 0; w < words.size(); ++w) {
    if (words[w] == ' ') {
      if (i >= s.size() || !std::isspace(static_cast<unsigned char>(s[i]))) return false;
      while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      continue;
    }
    if (i >= s.size() || std::toupper(static_cast<unsigned char>(s[i])) != words[w]) return false;
    ++i;
  }
  return i == s.size() || !(std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_');
}

bool is_context_event(event_type t) {
  return t == event_type::intvar || t == event_type::rand || t == event_type::user_var;
}

}  // namespace

std::string gtid_ref::text() const {
  switch (k) {
    case kind::mysql:
      if (!tag.empty()) return fmt::format("{}:{}:{}", format_uuid(uuid), tag, gno);
      return fmt::format("{}:{}", format_uuid(uuid), gno);
    case kind::mysql_anonymous: return "ANONYMOUS";
    case kind::mariadb: return fmt::format("{}-{}-{}", domain_id, server_id, seq_no);
    case kind::none: break;
  }
  return {};
}

statement_kind classify_statement(std::string_view sql) noexcept {
  auto s = skip_blanks(sql);
  if (starts_with_words(s, "BEGIN")) return statement_kind::begin;
  if (starts_with_words(s, "START TRANSACTION")) return statement_kind::begin;
  if (starts_with_words(s, "COMMIT")) return statement_kind::commit;
  if (starts_with_words(s, "ROLLBACK TO")) return statement_kind::rollback_to_savepoint;
  if (starts_with_words(s, "ROLLBACK")) return statement_kind::rollback;
  if (starts_with_words(s, "SAVEPOINT")) return statement_kind::savepoint;
  if (starts_with_words(s, "XA START") || starts_with_words(s, "XA BEGIN")) return statement_kind::xa_start;
  if (starts_with_words(s, "XA END")) return statement_kind::xa_end;
  if (starts_with_words(s, "XA PREPARE")) return statement_kind::xa_prepare;
  if (starts_with_words(s, "XA COMMIT")) return statement_kind::xa_commit;
  if (starts_with_words(s, "XA ROLLBACK")) return statement_kind::xa_rollback;
  return statement_kind::other;
}

bool transaction_tracker::abandon() noexcept {
  if (state_ == state::outside) return false;
  state_ = state::outside;
  tables_.clear();
  loose_statement_ = false;
  return true;
}

transaction_tracker::step transaction_tracker::open(step s) noexcept {
  s.begins = true;
  tables_.clear();
  return s;
}

transaction_tracker::step transaction_tracker::feed(const event_view& ev,
                                                    const any_event& decoded) noexcept {
  step s;
  auto violation = [&](errc code, std::string_view what) {
    s.violation = error{code, ev.offset, static_cast<std::int16_t>(ev.header.type_code), what};
    return s;
  };
  auto complete = [&] {
    s.completes = true;
    state_ = state::outside;
    rows_without_begin_ = false;
    tables_.clear();
  };
  const auto t = ev.type();

  // Format descriptions are outside the grammar; whether one means the receiver restarted
  // (abandon()) only the caller can tell, knowing which server wrote it.
  if (t == event_type::format_description || t == event_type::start_v3) return s;

  // MySQL 5.0 logged an autocommit statement on a transactional table without BEGIN and
  // followed it with its XID: the XID belongs to the statement's transaction.
  const bool loose = loose_statement_;
  loose_statement_ = false;
  if (loose && t == event_type::xid && state_ == state::outside) {
    s.completes = true;
    s.extends = true;
    return s;
  }

  return std::visit(
      overloaded{
          [&](const gtid_event& g) -> step {
            if (state_ != state::outside) return violation(errc::bad_body, "GTID event inside an open transaction");
            gtid_ = {};
            gtid_.k = g.anonymous ? gtid_ref::kind::mysql_anonymous : gtid_ref::kind::mysql;
            gtid_.uuid = g.sid;
            gtid_.tag.assign(g.tag);
            gtid_.gno = g.gno;
            gtid_.last_committed = g.last_committed;
            gtid_.sequence_number = g.sequence_number;
            state_ = state::after_gtid;
            return open(s);
          },
          [&](const mariadb_gtid_event& g) -> step {
            if (state_ != state::outside) return violation(errc::bad_body, "GTID event inside an open transaction");
            gtid_ = {};
            gtid_.k = gtid_ref::kind::mariadb;
            gtid_.domain_id = g.domain_id;
            gtid_.server_id = g.server_id;
            gtid_.seq_no = g.seq_no;
            gtid_.mariadb_flags = g.flags2;
            gtid_.commit_id = g.commit_id;
            state_ = (g.flags2 & mariadb_gtid_event::fl_standalone) ? state::after_gtid : state::inside;
            return open(s);
          },
          [&](const query_event& q) -> step {
            if (q.compressed) {
              // Statement text is compressed: only its position in the grammar is known.
              if (state_ == state::outside) { s = open(s); complete(); }
              else if (state_ == state::after_gtid) complete();
              return s;
            }
            auto kind = classify_statement(q.query);
            switch (state_) {
              case state::outside:
                gtid_ = {};
                if (kind == statement_kind::begin || kind == statement_kind::xa_start) {
                  state_ = state::inside;
                  return open(s);
                }
                if (kind == statement_kind::commit || kind == statement_kind::rollback) {
                  return violation(errc::bad_body, "COMMIT or ROLLBACK outside a transaction");
                }
                s = open(s);
                complete();
                loose_statement_ = true;
                return s;
              case state::after_gtid:
                if (kind == statement_kind::begin || kind == statement_kind::xa_start) {
                  state_ = state::inside;
                  return s;
                }
                complete();
                loose_statement_ = gtid_.k == gtid_ref::kind::none;  // opened by INTVAR & co.
                return s;
              case state::inside:
                if (kind == statement_kind::commit || kind == statement_kind::xa_prepare) {
                  complete();
                } else if (kind == statement_kind::rollback) {
                  s.rolled_back = true;
                  complete();
                } else if (kind == statement_kind::begin) {
                  return violation(errc::bad_body, "BEGIN inside an open transaction");
                }
                return s;
            }
            return s;
          },
          [&](const xid_event&) -> step {
            if (state_ != state::inside) return violation(errc::bad_body, "XID outside a transaction");
            complete();
            return s;
          },
          [&](const xa_prepare_event&) -> step {
            if (state_ != state::inside) return violation(errc::bad_body, "XA_PREPARE outside a transaction");
            complete();
            return s;
          },
          [&](const table_map_event& tm) -> step {
            if (state_ == state::after_gtid) state_ = state::inside;
            if (state_ == state::outside) {
              // Row events without BEGIN (non-transactional tables on old servers).
              gtid_ = {};
              state_ = state::inside;
              rows_without_begin_ = true;
              s = open(s);
            }
            if (std::find(tables_.begin(), tables_.end(), tm.table_id) == tables_.end()) tables_.push_back(tm.table_id);
            return s;
          },
          [&](const rows_event& r) -> step {
            if (state_ != state::inside) return violation(errc::missing_table_map, "rows event outside a transaction");
            if (std::find(tables_.begin(), tables_.end(), r.table_id) == tables_.end()) {
              return violation(errc::missing_table_map, "rows event for a table id with no TABLE_MAP before it");
            }
            if (r.flags & rows_event::stmt_end_f) {
              tables_.clear();
              if (rows_without_begin_) complete();
            }
            return s;
          },
          [&](const transaction_payload_event&) -> step {
            // MySQL 8.0.20+: the whole transaction body (ending in its XID) is compressed.
            if (state_ != state::after_gtid) return violation(errc::bad_body, "transaction payload without its GTID");
            complete();
            return s;
          },
          [&](const auto&) -> step {
            if (is_context_event(t)) {
              if (state_ == state::outside) {
                gtid_ = {};
                state_ = state::after_gtid;  // the statement they belong to completes it
                return open(s);
              }
            }
            return s;
          },
      },
      decoded);
}

}  // namespace binlogkit
