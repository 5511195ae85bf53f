// The filters of `sql`, `replay` and `dump` as options, turned into the library's
// sql_filter (sql.hpp): one set of names and one parser for all three.
#pragma once

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "binlogkit/sql/sql.hpp"

namespace binlogkit_cli {

namespace bk = binlogkit;

// Filter options shared by `sql`, `replay` and `dump`, as mysqlbinlog names them.
struct filter_args {
  std::uint64_t start_position = 0;
  std::optional<std::uint64_t> stop_position;
  std::string start_datetime, stop_datetime;
  std::string include_gtids, exclude_gtids;
  std::vector<std::string> databases;
  std::vector<std::string> rewrite_db;
  bool skip_gtids = false;

  // `dump` takes the range, time, GTID and database filters, not the rewriting ones.
  void add_to(CLI::App* cmd, bool rewriting = true) {
    cmd->add_option("--start-position,-j", start_position,
                    "First file: skip transactions that start before this offset");
    cmd->add_option("--stop-position", stop_position,
                    "Last file: stop before the first transaction with an event at or after this offset");
    cmd->add_option("--start-datetime", start_datetime,
                    "Skip transactions older than 'YYYY-MM-DD HH:MM:SS' (local time of TZ, like mysqlbinlog)");
    cmd->add_option("--stop-datetime", stop_datetime,
                    "Stop before the first transaction with an event at or after 'YYYY-MM-DD HH:MM:SS' "
                    "(local time of TZ)");
    cmd->add_option("--include-gtids", include_gtids,
                    "Only these GTIDs: MariaDB 'D-S-N[,D-S-FIRST-LAST…]', MySQL 'UUID:1-5[:TAG:1-3],…'");
    cmd->add_option("--exclude-gtids", exclude_gtids, "Not these GTIDs (same forms as --include-gtids)");
    cmd->add_option("--database,-d", databases,
                    "Only this database (repeatable): row events by their table's database, statements by "
                    "their default database, as mysqlbinlog --database")
        ->allow_extra_args(false);
    if (!rewriting) return;
    cmd->add_option("--rewrite-db", rewrite_db,
                    "'FROM->TO' (repeatable): default database of statements and database of row events")
        ->allow_extra_args(false);
    cmd->add_flag("--skip-gtids", skip_gtids, "Do not set the source's GTIDs (gtid_seq_no / GTID_NEXT)");
  }

  // Empty on success, else the message.
  std::string to_filter(bk::sql_filter& f) const {
    f.start_position = start_position;
    f.stop_position = stop_position;
    if (!start_datetime.empty()) {
      auto t = bk::parse_local_datetime(start_datetime);
      if (!t) return fmt::format("--start-datetime '{}': {}", start_datetime, t.error().detail);
      f.start_datetime = *t;
    }
    if (!stop_datetime.empty()) {
      auto t = bk::parse_local_datetime(stop_datetime);
      if (!t) return fmt::format("--stop-datetime '{}': {}", stop_datetime, t.error().detail);
      f.stop_datetime = *t;
    }
    if (!include_gtids.empty()) {
      auto s = bk::gtid_set::parse(include_gtids);
      if (!s) return fmt::format("--include-gtids '{}': {}", include_gtids, s.error().detail);
      f.include_gtids = std::move(*s);
    }
    if (!exclude_gtids.empty()) {
      auto s = bk::gtid_set::parse(exclude_gtids);
      if (!s) return fmt::format("--exclude-gtids '{}': {}", exclude_gtids, s.error().detail);
      f.exclude_gtids = std::move(*s);
    }
    f.databases = databases;
    for (const auto& r : rewrite_db) {
      auto p = bk::parse_rewrite_db(r);
      if (!p) return fmt::format("--rewrite-db '{}': {}", r, p.error().detail);
      f.rewrite_db.push_back(std::move(*p));
    }
    return {};
  }
};

}  // namespace binlogkit_cli
