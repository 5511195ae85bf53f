// The session state statements of a transaction need, as the difference from what the
// target session already has.
//
// `committed` is what the session was told by the transactions handed out whole; `work`
// is the same while a transaction is rendered (begin() copies it, commit() keeps it, a
// skipped or discarded transaction leaves `committed` as it was). Each function writes,
// through the render_context's statement_list, only the SET / use statements for what
// changed, as mysqlbinlog prints them, and updates `work`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/sql/sql.hpp"
#include "render_context.hpp"

namespace binlogkit::detail {

class session_diff {
 public:
  using state = transaction_stream::session_state;

  explicit session_diff(render_context& ctx) : ctx_(ctx) {}

  void begin() { work_ = committed_; }
  void commit() { committed_ = work_; }
  // A new session: everything is set again.
  void reset() noexcept { committed_ = state{}; }
  // Something else set server_id / gtid_domain_id / GTID_NEXT on the session.
  void reset_gtid() noexcept;

  // A QUERY event's context: `use`, timestamp, pseudo_thread_id, flags2 options,
  // sql_mode, auto_increment_*, character sets, time_zone, lc_time_names,
  // collation_database (and MySQL's own status variables for the MySQL dialect).
  // `in_xa`: the transaction is an XA one (its XA statements keep the default database).
  void statement_header(const event_view& ev, const query_event& q, bool in_xa);
  // The event's character_set_client, collation_connection and collation_server, when
  // they differ from what the session has (or a statement of ours switched them).
  void event_charsets(std::uint64_t at, const query_status& st);
  // Before a statement of ours that carries `name` (a name from the binlog or the
  // command line): switches the client character set to utf8mb4 unless the one in force
  // reads the name as written (sql_quote.hpp). The next event's own character sets are
  // set again after it.
  void client_charset_for(std::uint64_t at, std::string_view name);
  // proven_single_statement of an event's text, read in the client character set in force.
  [[nodiscard]] bool single_in_session(std::string_view text) const;
  // The format description `format_raw` as a BINLOG statement, unless the session has it
  // (sent before a transaction's first event: outside any transaction, since a format
  // description of a freshly started server rolls an open transaction back).
  void send_format_if_needed(std::uint64_t offset, bytes format_raw);
  // MariaDB GTID: SET gtid_domain_id / server_id when they change, then gtid_seq_no.
  void mariadb_gtid(std::uint64_t offset, const mariadb_gtid_event& g);
  // MySQL GTID_NEXT was set to a specific GTID (true) or ANONYMOUS.
  void mysql_gtid_next(bool specific) noexcept { work_.mysql_gtid_next = specific; }

 private:
  // The client character set in force: nullopt when not known (a new session, a
  // collation number this module does not know).
  [[nodiscard]] std::optional<std::string> client_charset() const;
  void default_database(const event_view& ev, const query_event& q, bool in_xa);
  void option_flags(std::uint64_t at, std::uint32_t flags2);
  void mysql_status(std::uint64_t at, const query_status& st);

  render_context& ctx_;
  state committed_;
  state work_;
};

}  // namespace binlogkit::detail
