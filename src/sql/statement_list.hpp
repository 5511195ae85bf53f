// The transaction being rendered, and the one place its statements are recorded.
//
// Every sql_statement of a rendered_transaction is appended by statement_list::add (the
// other add_* functions and binlog_statement call it): its text goes to the end of
// tx.sql, the statement records where it is, its role and the offset of the event it
// was rendered from. add returns the statement so that the caller can set what only it
// knows (expected_error, single, load). Transactions given back by the caller
// (transaction_stream::recycle) are kept as spares whose buffers fresh() reuses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/sql/sql.hpp"

namespace binlogkit::detail {

class statement_list {
 public:
  explicit statement_list(const render_options& opt) : opt_(opt) {}

  rendered_transaction tx;     // the transaction (or piece) being rendered
  std::size_t body_count = 0;  // body statements of the transaction so far (all pieces)

  // Appends one statement whose text `build(std::string&)` appends to tx.sql.
  template <class F>
  sql_statement& add(statement_role role, std::uint64_t offset, F&& build) {
    const std::size_t b = tx.sql.size();
    build(tx.sql);
    return tx.statements.emplace_back(sql_statement{b, tx.sql.size() - b, role, 0, offset, -1, 0, true, default_kind(role)});
  }
  sql_statement& add_text(statement_role role, std::uint64_t offset, std::string_view text) {
    return add(role, offset, [&](std::string& s) { s.append(text); });
  }
  // A MariaDB-only statement: inside /*M!100001 … */ for the client, so MySQL skips it.
  sql_statement& add_mariadb(statement_role role, std::uint64_t offset, std::string_view text);
  // `raw` (whole events) as one BINLOG statement of `role` and `kind`, or as two
  // user-variable fragments (body statements of kind binlog_fragment) and a BINLOG
  // statement of `role` and `kind` joining them when its base64 is longer than
  // render_options::max_binlog_statement (as mysqlbinlog splits one).
  void binlog_statement(std::uint64_t offset, bytes raw, statement_role role = statement_role::body,
                        sql_statement_kind kind = sql_statement_kind::binlog_rows);

  // An empty transaction, in a spare's buffers when there is one.
  [[nodiscard]] rendered_transaction fresh();
  // Keeps `spent` as a spare unless enough are kept or its buffers are large.
  void recycle(rendered_transaction&& spent) noexcept;

 private:
  static constexpr std::size_t max_spares = 4;
  static constexpr std::size_t max_spare_bytes = 1u << 20;
  const render_options& opt_;
  std::vector<rendered_transaction> spares_;
};

}  // namespace binlogkit::detail
