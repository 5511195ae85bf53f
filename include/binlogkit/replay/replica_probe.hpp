// What a running replica says about its own position, read over one connection with
// statements that change nothing (SHOW SLAVE/REPLICA STATUS, SELECT @@...): for
// `triage --replica`, which then knows the executed position without an info file.
//
// Errors: std::nullopt with `error` set when the server cannot be reached or refuses a
// statement. Threads: one connection per call, opened and closed there; no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "binlogkit/replay/connection.hpp"
#include "binlogkit/triage/triage.hpp"

namespace binlogkit {

struct replica_status {
  std::string server_version;
  bool mariadb = false;
  bool configured = false;  // SHOW SLAVE STATUS returned a row
  bool io_running = false, sql_running = false;
  source_position executed;       // Relay_Master_Log_File : Exec_Master_Log_Pos
  source_position relay_executed;  // Relay_Log_File : Relay_Log_Pos
  source_position read;            // Master_Log_File : Read_Master_Log_Pos
  std::string executed_gtids;      // MariaDB @@gtid_slave_pos, MySQL @@gtid_executed
  std::string using_gtid;          // MariaDB Using_Gtid, MySQL Auto_Position
  std::string relay_log_index;     // @@relay_log_index as the server reports it
  std::string relay_log_basename;  // @@relay_log_basename (NULL reads as empty)
  std::string datadir;             // @@datadir
  std::uint32_t server_id = 0;     // @@server_id; 0: not known
  // Slave_open_temp_tables (MySQL 8.0.26+: Replica_open_temp_tables) from SHOW GLOBAL
  // STATUS: the temporary tables the SQL thread holds; std::nullopt when not reported.
  std::optional<std::uint64_t> open_temp_tables;
  // MariaDB multi-source: the named connections (SHOW ALL SLAVES STATUS), besides the
  // default one the fields above describe. Their domains are in executed_gtids too.
  std::vector<std::string> named_connections;
};

// A note for a replica with named connections (empty when it has none): the plan's SET
// GLOBAL gtid_slave_pos sets their domains as well, to the value read when triage ran.
[[nodiscard]] std::string named_connections_note(const replica_status& s);

// Where the replica keeps its relay-log index, from what it reports: @@relay_log_index,
// else @@relay_log_basename + ".index"; a relative name is taken relative to @@datadir
// (as the server resolves it). Empty when the server reports none of them. `from` names
// the variables the path came from, for messages.
[[nodiscard]] std::string relay_log_index_path(const replica_status& s, std::string& from);

// Whether the relay logs listed in the index at `index_path` (their names as read from
// it) are this replica's: its current relay log (Relay_Log_File, a name without
// directory) must be among them; when `server_id` is known, that file here must also
// be at least Relay_Log_Pos bytes long and, on MariaDB, begin with a format description
// written by this server id (a MariaDB relay log starts with the replica's own). A copy of another
// replica's files at the same path, or a server on another host, fails here. Empty when
// they are; else why not.
[[nodiscard]] std::string check_relay_logs_match(const replica_status& s, const std::vector<std::string>& listed);

// Connects and reads; std::nullopt with `error` set when the server cannot be reached or
// answers a statement with an error.
[[nodiscard]] std::optional<replica_status> read_replica_status(const connection_options& c, std::string& error);

// The options triage takes from it (also the open temporary table count). A running SQL thread moves its position while triage
// reads the files: the position is then left unknown (triage says so and prints the plan
// that lets the server decide) and `replica_sql_running` is set.
void apply_replica_status(const replica_status& s, triage_options& opt);

}  // namespace binlogkit
