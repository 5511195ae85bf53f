// Temporary tables in statement-format replication: a session's CREATE TEMPORARY TABLE
// lives on the replica only in its SQL thread (keyed by the source session's
// pseudo_thread_id), and a server restart loses it, while later statements go on using it.
// This is the one copy of the rules that say which are open where: the hazards module
// (hazards.hpp) and triage both use it.
//
// Rules (MariaDB 10.11 and MySQL, statement and mixed format):
//   - CREATE [OR REPLACE] TEMPORARY TABLE [IF NOT EXISTS] name opens one for the session;
//   - DROP [TEMPORARY] TABLE [IF EXISTS] a, b, ... closes those of the session it names
//     (also the server's "DROP /*!40005 TEMPORARY */ TABLE IF EXISTS" at a session's end; a
//     plain DROP TABLE drops a session's temporary table before a permanent one);
//   - a format description whose `created` is not 0 (the source restarted) closes them all
//     (the caller calls close_all()).
// Names are `db`.`table` with the statement's default database when unqualified, compared
// in lower case. A DROP of a table never created closes nothing.
//
// Ownership: the tracker copies what it keeps. Errors: none; a statement it cannot parse is
// not a CREATE or DROP. Threads: one tracker per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace binlogkit {

struct open_temp_table {
  std::uint32_t thread_id = 0;  // the source session that created it (pseudo_thread_id)
  std::string name;             // `db`.`table`, lower case
  std::string schema, table;    // the same, unquoted
  std::string file;             // where its CREATE is
  std::uint64_t offset = 0;
  std::string gtid;             // the CREATE's transaction GTID ("" without GTIDs)
};

// A DROP TABLE statement: the tables it names (as `db`.`table`, lower case, with the default
// database for unqualified names) and whether it may find none of them (IF EXISTS).
struct table_drop {
  bool temporary = false;
  bool if_exists = false;
  std::vector<std::string> names;
};
// std::nullopt when the statement is not a DROP [TEMPORARY] TABLE.
[[nodiscard]] std::optional<table_drop> parse_table_drop(std::string_view sql, std::string_view database);

// `db`.`table` (as parse_table_drop names them) split into its two unquoted parts.
void split_table_name(const std::string& name, std::string& schema, std::string& table);

// Whether the statement's text names the table: an identifier token (backquoted or not)
// equal to `table` used unqualified (or as the first part of a qualified name) while
// `database` (the statement's default database) is `schema`, or the pair schema.table.
// String literals and ordinary comments are skipped; /*!NNNNN ... */ text counts.
// Case-insensitive. Errs on the side of a match (a column of the same name matches).
[[nodiscard]] bool statement_names_table(std::string_view sql, std::string_view database, std::string_view schema,
                                         std::string_view table);

// The temporary tables open at a point of a log, from the statements read up to it.
class temp_table_tracker {
 public:
  // The list grows to max_open + 1 and no further: its users refuse to answer from a list
  // longer than max_open (a log that opens more is hostile or broken; following each would
  // cost time at every statement).
  static constexpr std::size_t max_open = 4096;

  // A statement (a Query event's text, its default database, its session) read at
  // file:offset in the transaction `gtid`: CREATE TEMPORARY TABLE opens one, a DROP
  // closes those it names.
  void on_statement(std::string_view sql, std::string_view database, std::uint32_t thread_id, std::string_view file,
                    std::uint64_t offset, std::string_view gtid = {});
  // The source restarted (a format description with `created` != 0): every session ended.
  void close_all() noexcept { open_.clear(); }
  [[nodiscard]] const std::vector<open_temp_table>& open() const noexcept { return open_; }

 private:
  std::vector<open_temp_table> open_;  // oldest first
};

}  // namespace binlogkit
