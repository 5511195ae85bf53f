#include "statement_list.hpp"

#include "binlogkit/core/encoding.hpp"

namespace binlogkit::detail {

sql_statement& statement_list::add_mariadb(statement_role role, std::uint64_t offset, std::string_view text) {
  if (!opt_.for_client) return add_text(role, offset, text);
  return add(role, offset, [&](std::string& s) {
    s += "/*M!100001 ";
    s.append(text);
    s += "*/";
  });
}

void statement_list::binlog_statement(std::uint64_t offset, bytes raw, statement_role role,
                                      sql_statement_kind kind) {
  const std::size_t b64 = (raw.size() + 2) / 3 * 4;
  if (b64 > opt_.max_binlog_statement) {
    // Two one-shot user variables, as mysqlbinlog splits a statement too large for one
    // packet: each half must fit max_allowed_packet, the BINLOG statement joins them.
    const std::size_t half = (raw.size() / 2) / 3 * 3;
    add(statement_role::body, offset, [&](std::string& s) {
      s += "SET @binlog_fragment_0='";
      append_base64(s, raw.subspan(0, half), opt_.base64_wrap);
      s += '\'';
    }).kind = sql_statement_kind::binlog_fragment;
    add(statement_role::body, offset, [&](std::string& s) {
      s += "SET @binlog_fragment_1='";
      append_base64(s, raw.subspan(half), opt_.base64_wrap);
      s += '\'';
    }).kind = sql_statement_kind::binlog_fragment;
    add_text(role, offset, "BINLOG @binlog_fragment_0, @binlog_fragment_1").kind = kind;
    return;
  }
  add(role, offset, [&](std::string& s) {
    s.reserve(s.size() + b64 + 16);
    s += opt_.base64_wrap > 0 ? "BINLOG '\n" : "BINLOG '";
    append_base64(s, raw, opt_.base64_wrap);
    if (opt_.base64_wrap > 0 && s.back() != '\n') s += '\n';
    s += '\'';
  }).kind = kind;
}

rendered_transaction statement_list::fresh() {
  rendered_transaction t;
  if (!spares_.empty()) {
    t.sql = std::move(spares_.back().sql);
    t.statements = std::move(spares_.back().statements);
    spares_.pop_back();
    t.sql.clear();
    t.statements.clear();
  }
  return t;
}

void statement_list::recycle(rendered_transaction&& spent) noexcept {
  if (spares_.size() >= max_spares || spent.sql.capacity() > max_spare_bytes ||
      spent.statements.capacity() * sizeof(sql_statement) > max_spare_bytes) {
    return;
  }
  try {
    spares_.push_back(std::move(spent));
  } catch (...) {
    // no room for it: it is freed instead
  }
}

}  // namespace binlogkit::detail
