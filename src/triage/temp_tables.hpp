// Temporary tables in statement-format replication: a session's CREATE TEMPORARY TABLE
// lives on the replica only in its SQL thread, and a server restart loses it, while the
// relay logs go on using it. Triage tracks which are open where the replica stopped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace binlogkit::detail {

struct open_temp_table {
  std::uint32_t thread_id = 0;  // the source session that created it
  std::string name;             // `db`.`table`
  std::string file;             // where its CREATE is
  std::uint64_t offset = 0;
};

// The temporary tables open at a point of a log, from the statements read up to it.
class temp_table_tracker {
 public:
  // A statement (a Query event's text, its default database, its session) read at
  // file:offset: CREATE TEMPORARY TABLE opens one, DROP TEMPORARY TABLE (also the
  // server's "DROP /*!40005 TEMPORARY */ TABLE IF EXISTS" at a session's end) closes.
  void on_statement(std::string_view sql, std::string_view database, std::uint32_t thread_id, std::string_view file,
                    std::uint64_t offset);
  [[nodiscard]] const std::vector<open_temp_table>& open() const noexcept { return open_; }

 private:
  std::vector<open_temp_table> open_;  // at most max_open, oldest first
  static constexpr std::size_t max_open = 256;
};

}  // namespace binlogkit::detail
