#include "binlogkit/replay/replica_probe.hpp"

#include "binlogkit/replay/connection.hpp"
#include "binlogkit/rows/row_text.hpp"

#include <mysql.h>

#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

namespace binlogkit {

namespace {


// The first row of a statement's result by column name; empty map for no row.
std::optional<std::map<std::string, std::string>> first_row(MYSQL* m, const char* stmt, std::string& error) {
  if (mysql_query(m, stmt) != 0) {
    error = fmt::format("{}: {} ({})", stmt, mysql_error(m), mysql_errno(m));
    return std::nullopt;
  }
  std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> res(mysql_store_result(m), &mysql_free_result);
  std::map<std::string, std::string> out;
  if (!res) return out;
  MYSQL_ROW row = mysql_fetch_row(res.get());
  if (row == nullptr) return out;
  const unsigned n = mysql_num_fields(res.get());
  const MYSQL_FIELD* fields = mysql_fetch_fields(res.get());
  const unsigned long* lengths = mysql_fetch_lengths(res.get());
  for (unsigned i = 0; i < n; ++i) {
    out[fields[i].name] = row[i] == nullptr ? std::string() : std::string(row[i], lengths[i]);
  }
  return out;
}

// The values of `column` in every row of a statement's result.
std::optional<std::vector<std::string>> column_values(MYSQL* m, const char* stmt, const char* column,
                                                      std::string& error) {
  if (mysql_query(m, stmt) != 0) {
    error = fmt::format("{}: {} ({})", stmt, mysql_error(m), mysql_errno(m));
    return std::nullopt;
  }
  std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> res(mysql_store_result(m), &mysql_free_result);
  std::vector<std::string> out;
  if (!res) return out;
  const unsigned n = mysql_num_fields(res.get());
  const MYSQL_FIELD* fields = mysql_fetch_fields(res.get());
  unsigned at = n;
  for (unsigned i = 0; i < n; ++i) {
    if (std::string_view(fields[i].name) == column) at = i;
  }
  while (MYSQL_ROW row = mysql_fetch_row(res.get())) {
    const unsigned long* lengths = mysql_fetch_lengths(res.get());
    if (at < n && row[at] != nullptr) out.emplace_back(row[at], lengths[at]);
  }
  return out;
}

// The value of the first of `names` present (MySQL 8.0.22 renamed Master to Source).
std::string pick(const std::map<std::string, std::string>& row, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    auto it = row.find(n);
    if (it != row.end()) return it->second;
  }
  return {};
}

// The server id and type of the first event of the binlog/relay log at `path` (the
// common header after the 4-byte magic: timestamp 4, type 1, server id 4 bytes, little
// endian); an error text when the file cannot be read that far or is not a binlog.
struct first_event {
  std::uint32_t server_id = 0;
  std::uint8_t type = 0;
  std::uint64_t size = 0;  // of the file
  std::string error;
};

first_event read_first_event(const std::string& path) {
  first_event e;
  std::error_code ec;
  e.size = std::filesystem::file_size(path, ec);
  std::ifstream f(path, std::ios::binary);
  unsigned char b[13] = {};
  if (ec || !f || !f.read(reinterpret_cast<char*>(b), sizeof b)) {
    e.error = fmt::format("{} cannot be read here", path);
    return e;
  }
  if (b[0] != 0xfe || b[1] != 'b' || b[2] != 'i' || b[3] != 'n') {
    e.error = fmt::format("{} is not a binlog or relay log (no magic number)", path);
    return e;
  }
  e.type = b[8];
  e.server_id = static_cast<std::uint32_t>(b[9]) | static_cast<std::uint32_t>(b[10]) << 8 |
                static_cast<std::uint32_t>(b[11]) << 16 | static_cast<std::uint32_t>(b[12]) << 24;
  return e;
}

// The current relay log found here against what the server says of it: written by its
// server id, and as long as its relay position. Empty when it matches.
std::string check_current_relay_log(const replica_status& s, const std::string& path) {
  constexpr std::uint8_t format_description_type = 15;
  const auto e = read_first_event(path);
  if (!e.error.empty()) return e.error + ": it cannot be checked to be this replica's relay log";
  // MariaDB writes the replica's own server id there (checked on 10.11); MySQL's is not
  // checked here, so only MariaDB replicas are held to it.
  if (s.mariadb && e.type == format_description_type && e.server_id != s.server_id) {
    return fmt::format("{} begins with a format description of server id {}, the replica is server id {}: these "
                       "are not this replica's relay logs (is the server on another host?)",
                       path, e.server_id, s.server_id);
  }
  if (e.size < s.relay_executed.pos) {
    return fmt::format("{} is {} bytes long, the replica reports Relay_Log_Pos {} in it: these are not this "
                       "replica's relay logs (is the server on another host?)",
                       path, e.size, s.relay_executed.pos);
  }
  return {};
}

std::uint64_t number(const std::string& v) {
  std::uint64_t x = 0;
  std::from_chars(v.data(), v.data() + v.size(), x);
  return x;
}

}  // namespace

std::optional<replica_status> read_replica_status(const connection_options& c, std::string& error) {
  auto opened = open_connection(c);
  if (!opened.handle) {
    error = fmt::format("cannot connect to the replica: {}", opened.error);
    return std::nullopt;
  }
  st_mysql* const m = opened.handle.get();
  replica_status s;
  s.server_version = mysql_get_server_info(m);
  s.mariadb = s.server_version.find("MariaDB") != std::string::npos;
  auto st = first_row(m, s.mariadb ? "SHOW SLAVE STATUS" : "SHOW REPLICA STATUS", error);
  if (!st && !s.mariadb) st = first_row(m, "SHOW SLAVE STATUS", error);  // before MySQL 8.0.22
  if (!st) return std::nullopt;
  s.configured = !st->empty();
  if (s.mariadb) {
    auto names = column_values(m, "SHOW ALL SLAVES STATUS", "Connection_name", error);
    if (!names) return std::nullopt;
    for (auto& n : *names) {
      if (!n.empty()) s.named_connections.push_back(std::move(n));
    }
  }
  s.io_running = pick(*st, {"Slave_IO_Running", "Replica_IO_Running"}) == "Yes";
  s.sql_running = pick(*st, {"Slave_SQL_Running", "Replica_SQL_Running"}) == "Yes";
  s.executed = {pick(*st, {"Relay_Master_Log_File", "Relay_Source_Log_File"}),
                number(pick(*st, {"Exec_Master_Log_Pos", "Exec_Source_Log_Pos"}))};
  s.relay_executed = {pick(*st, {"Relay_Log_File"}), number(pick(*st, {"Relay_Log_Pos"}))};
  s.read = {pick(*st, {"Master_Log_File", "Source_Log_File"}),
            number(pick(*st, {"Read_Master_Log_Pos", "Read_Source_Log_Pos"}))};
  s.using_gtid = pick(*st, {"Using_Gtid", "Auto_Position"});
  auto g = first_row(m,
                     s.mariadb ? "SELECT @@GLOBAL.gtid_slave_pos AS g, @@GLOBAL.relay_log_index AS i, "
                                 "@@GLOBAL.relay_log_basename AS b, @@GLOBAL.datadir AS d, @@GLOBAL.server_id AS s"
                               : "SELECT @@GLOBAL.gtid_executed AS g, @@GLOBAL.relay_log_index AS i, "
                                 "@@GLOBAL.relay_log_basename AS b, @@GLOBAL.datadir AS d, @@GLOBAL.server_id AS s",
                     error);
  if (!g) return std::nullopt;
  s.executed_gtids = pick(*g, {"g"});
  s.relay_log_index = pick(*g, {"i"});
  s.relay_log_basename = pick(*g, {"b"});
  s.datadir = pick(*g, {"d"});
  s.server_id = static_cast<std::uint32_t>(number(pick(*g, {"s"})));
  auto temps = column_values(m,
                             "SHOW GLOBAL STATUS WHERE Variable_name IN ('Slave_open_temp_tables', "
                             "'Replica_open_temp_tables')",
                             "Value", error);
  if (!temps) return std::nullopt;
  if (!temps->empty()) s.open_temp_tables = number(temps->front());
  return s;
}

std::string relay_log_index_path(const replica_status& s, std::string& from) {
  std::filesystem::path p;
  if (!s.relay_log_index.empty()) {
    p = s.relay_log_index;
    from = "@@relay_log_index";
  } else if (!s.relay_log_basename.empty()) {
    p = s.relay_log_basename + ".index";
    from = "@@relay_log_basename";
  } else {
    from.clear();
    return {};
  }
  if (p.is_relative() && !s.datadir.empty()) {
    p = std::filesystem::path(s.datadir) / p;
    from += " and @@datadir";
  }
  return p.lexically_normal().string();
}

std::string check_relay_logs_match(const replica_status& s, const std::vector<std::string>& listed) {
  const std::string& current = s.relay_executed.file;
  if (current.empty()) return {};  // the server names none: nothing to compare
  const std::string want = std::filesystem::path(current).filename().string();
  for (const auto& f : listed) {
    if (std::filesystem::path(f).filename().string() == want) {
      return s.server_id == 0 ? std::string() : check_current_relay_log(s, f);
    }
  }
  return fmt::format("the replica's current relay log {} (Relay_Log_File) is not among the {} file(s) the index "
                     "here lists: these are not this replica's relay logs (is the server on another host?)",
                     want, listed.size());
}

std::string named_connections_note(const replica_status& s) {
  if (s.named_connections.empty()) return {};
  std::string names;
  for (const auto& n : s.named_connections) names += (names.empty() ? "'" : ", '") + one_line(n) + "'";
  return fmt::format(
      "the replica also replicates over named connection(s) {}: @@gtid_slave_pos holds their domains too, and "
      "SET GLOBAL gtid_slave_pos sets them as well, to the value read when triage ran. Stop every connection "
      "(STOP ALL SLAVES), run triage --replica again and follow that plan, or the other connections re-apply what "
      "they applied since",
      names);
}

void apply_replica_status(const replica_status& s, triage_options& opt) {
  opt.executed_origin = s.mariadb ? "the replica (SHOW SLAVE STATUS, @@gtid_slave_pos)"
                                  : "the replica (SHOW REPLICA STATUS, @@gtid_executed)";
  if (!s.configured) return;
  opt.replica_open_temp_tables = s.open_temp_tables;
  if (!s.read.file.empty()) opt.read_position = s.read;
  if (s.sql_running) {
    opt.replica_sql_running = true;
    return;
  }
  if (!s.executed.file.empty()) opt.executed_position = s.executed;
  if (!s.relay_executed.file.empty()) opt.executed_relay_position = s.relay_executed;
  if (!s.executed_gtids.empty()) opt.executed_gtids = s.executed_gtids;
}

}  // namespace binlogkit
