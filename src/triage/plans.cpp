#include "triage/plans.hpp"

#include <fmt/format.h>

#include "binlogkit/core/sql_quote.hpp"

namespace binlogkit::detail {

namespace {

// Standard input's name: no source binlog is called that, and no file/position statement is
// written for a binlog read from it.
constexpr std::string_view stdin_name = "-";

// A name from the files (a source binlog) as a string literal that reads the same in
// every client character set and sql_mode (sql_quote.hpp's plain literal: printable
// ASCII, quotes doubled). CHANGE MASTER takes no hex literal, so a name that would need
// one (a byte outside printable ASCII, or a backslash: no server writes such a name) gets
// no plan at all: std::nullopt.
std::optional<std::string> plan_literal(std::string_view s) {
  std::string out;
  if (s.empty() || s == stdin_name || !append_plain_literal(out, s)) return std::nullopt;
  return out;
}

// MariaDB, the GTID state known: the relay logs go (RESET SLAVE), the replica fetches again
// from that state. A replica whose SQL thread holds temporary tables keeps them only
// without RESET SLAVE (it deletes them); CHANGE MASTER without RELAY_LOG_FILE / _POS
// deletes the relay logs as well and keeps the tables.
std::vector<std::string> mariadb_plan_gtid(const std::string& state, bool keep_temp_tables) {
  auto lit = plan_literal(state);
  if (!lit) return {};
  std::vector<std::string> plan{"STOP SLAVE", "RESET SLAVE", fmt::format("SET GLOBAL gtid_slave_pos = {}", *lit),
                                "CHANGE MASTER TO MASTER_USE_GTID = slave_pos", "START SLAVE"};
  if (keep_temp_tables) plan.erase(plan.begin() + 1);
  return plan;
}

// MariaDB, the executed position unknown: the server's own gtid_slave_pos (crash-safe, kept
// by the SQL thread in both replication modes) decides.
std::vector<std::string> mariadb_plan_server_state(bool keep_temp_tables) {
  std::vector<std::string> plan{"STOP SLAVE", "RESET SLAVE", "CHANGE MASTER TO MASTER_USE_GTID = slave_pos",
                                "START SLAVE"};
  if (keep_temp_tables) plan.erase(plan.begin() + 1);
  return plan;
}

// MySQL, the executed set decides: RESET also forgets the retrieved set of the damaged relay
// logs, which auto-positioning would otherwise not fetch again.
std::vector<std::string> mysql_plan_auto_position(bool mysql8) {
  if (mysql8) {
    return {"STOP REPLICA", "RESET REPLICA", "CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 1", "START REPLICA"};
  }
  return {"STOP SLAVE", "RESET SLAVE", "CHANGE MASTER TO MASTER_AUTO_POSITION = 1", "START SLAVE"};
}

// File/position (CHANGE MASTER with a position discards the relay logs); names are quoted
// for every sql_mode and read as utf8mb4.
std::vector<std::string> plan_position_legacy(const resume_point& p, bool mariadb) {
  auto file = plan_literal(p.source.file);
  if (!file) return {};
  return {"SET NAMES utf8mb4", "STOP SLAVE",
          fmt::format("CHANGE MASTER TO MASTER_LOG_FILE = {}, MASTER_LOG_POS = {}{}", *file, p.source.pos,
                      mariadb ? ", MASTER_USE_GTID = no" : ""),
          "START SLAVE"};
}

std::vector<std::string> plan_position_mysql8(const resume_point& p) {
  auto file = plan_literal(p.source.file);
  if (!file) return {};
  return {"SET NAMES utf8mb4", "STOP REPLICA",
          fmt::format("CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 0, SOURCE_LOG_FILE = {}, SOURCE_LOG_POS = {}",
                      *file, p.source.pos),
          "START REPLICA"};
}

}  // namespace

void write_plans(triage_report& rep) {
  const bool mariadb = rep.flavor == flavor::mariadb;
  const bool gtid_files = rep.last_good ? !rep.last_good->gtid_state.empty() : mariadb;
  switch (rep.resume_mode) {
    case resume_mode::none:
      return;
    case resume_mode::server_state:
      if (mariadb) {
        rep.resume_sql = mariadb_plan_server_state(rep.replica_holds_temp_tables);
      } else {
        rep.resume_sql = mysql_plan_auto_position(false);
        rep.resume_sql_mysql = mysql_plan_auto_position(true);
      }
      return;
    case resume_mode::gtid_only:
      if (mariadb) {
        rep.resume_sql = mariadb_plan_gtid(rep.resume->gtid_state, rep.replica_holds_temp_tables);
      } else {
        rep.resume_sql = mysql_plan_auto_position(false);
        rep.resume_sql_mysql = mysql_plan_auto_position(true);
      }
      return;
    case resume_mode::position:
      break;
  }
  rep.resume_sql_position = plan_position_legacy(*rep.resume, mariadb);
  if (rep.resume_sql_position.empty() && rep.resume->source.file == stdin_name) {
    rep.notes.push_back(
        "the binlog was read from standard input, so the name of the source binlog is not known: the "
        "statements that resume by file and position are left out");
  } else if (rep.resume_sql_position.empty()) {
    rep.notes.push_back(fmt::format(
        "the source file name {} cannot be quoted as CHANGE MASTER takes it (not printable ASCII, or a "
        "backslash: no server names a binlog so): no file/position plan",
        string_literal(rep.resume->source.file)));
  }
  if (mariadb && !rep.resume->gtid_state.empty()) {
    rep.resume_sql = mariadb_plan_gtid(rep.resume->gtid_state, rep.replica_holds_temp_tables);
  } else {
    rep.resume_sql = rep.resume_sql_position;
  }
  if (!mariadb) rep.resume_sql_mysql = plan_position_mysql8(*rep.resume);
  if (gtid_files && !rep.resume_sql_position.empty()) {
    // A file/position plan leaves a GTID replica in file/position mode: once caught up, back.
    rep.after_catch_up_sql = mariadb
                                 ? std::vector<std::string>{"STOP SLAVE", "CHANGE MASTER TO MASTER_USE_GTID = slave_pos",
                                                            "START SLAVE"}
                                 : std::vector<std::string>{"STOP SLAVE", "CHANGE MASTER TO MASTER_AUTO_POSITION = 1",
                                                            "START SLAVE"};
    if (!mariadb) {
      rep.after_catch_up_sql_mysql = {"STOP REPLICA", "CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 1",
                                      "START REPLICA"};
    }
  }
}

}  // namespace binlogkit::detail
