// The GTID state a triage scan keeps: what the files' transactions executed so far, a MySQL
// GTID set or a MariaDB position, started from the file's own summary event and grown by
// each complete transaction before the first damage. The last add can be taken back once
// (the scan resumes one transaction earlier when the event that closed it is suspect).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "binlogkit/events/events.hpp"
#include "binlogkit/events/gtid_set.hpp"
#include "binlogkit/events/transaction.hpp"

namespace binlogkit::detail {

struct gtid_state {
  gtid_set mysql;
  mariadb_gtid_position mariadb;

  // Adds one transaction's GTID (none: no change); remembers how to undo it.
  void add(const gtid_ref& g);
  // Takes back the last add() (once; a second call does nothing).
  void undo();
  // The state before the first transaction, from a summary event: MariaDB's GTID_LIST or
  // MySQL's PREVIOUS_GTIDS (read at `offset`). Other events change nothing. Intervals a
  // hostile event sets below 1 keep their valid part.
  void start_from(const any_event& d, std::uint64_t offset);
  [[nodiscard]] std::string text(flavor f) const { return f == flavor::mariadb ? mariadb.text() : mysql.text(); }

 private:
  // What the last add() changed: the domain's previous GTID, or the MySQL number added.
  struct undo_record {
    enum class kind : std::uint8_t { none, mysql, mariadb } k = kind::none;
    std::optional<mariadb_gtid> previous;
    std::uint32_t domain = 0;
    mysql_gtid_source key;
    std::uint64_t gno = 0;
  } undo_;
};

}  // namespace binlogkit::detail
