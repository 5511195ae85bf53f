// MySQL/MariaDB option files (my.cnf), read as the `mariadb` / `mysql` clients read them,
// so that a connecting command finds the same host, user and password a DBA's client does.
//
// Files, in this order (later values win, the command line wins over all):
//   --no-defaults              none
//   --defaults-file=F          F only (it must be readable)
//   otherwise                  /etc/my.cnf, /etc/mysql/my.cnf, $MARIADB_HOME/my.cnf (else
//                              $MYSQL_HOME/my.cnf), --defaults-extra-file (must be
//                              readable), ~/.my.cnf
// Syntax (each line): `[group]`; `key`, `key = value`; `#` or `;` at the start of a line and
// `#` outside quotes later in it start comments; a value in matching single or double quotes
// loses them; `\n \t \r \b \s \\ \" \'` are escapes in values; `!include FILE` and
// `!includedir DIR` (its *.cnf files in name order). A world-writable file is ignored with a
// warning, as the server's own reader does. An option before any group is an error.
//
// Ownership: the result owns its text. Errors: read_option_files never throws; the result's
// `error` names FILE:LINE and what is wrong, never a value (a password is not repeated);
// warnings list what was skipped. Threads: it reads the environment (HOME, MARIADB_HOME,
// MYSQL_HOME) unless the settings give them, and keeps no state.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace binlogkit {

struct option_file_settings {
  bool no_defaults = false;
  std::string defaults_file;        // read only this file
  std::string defaults_extra_file;  // read this one after the global files, before ~/.my.cnf
  // Groups whose options are taken, e.g. client, client-server, client-mariadb, mysql,
  // mariadb-client (what the `mariadb` client reads).
  std::vector<std::string> groups;
  // Where ~/.my.cnf and $MARIADB_HOME come from (empty: the process environment's HOME,
  // MARIADB_HOME and MYSQL_HOME).
  std::optional<std::string> home, mariadb_home;
};

// One option as the client would see it on its command line: "--name" or "--name=value".
struct option_arg {
  std::string name;                  // as written in the file (may start with loose-)
  std::optional<std::string> value;  // absent: `key` without '='
  std::string file;                  // where it was read

  [[nodiscard]] std::string text() const { return "--" + name + (value ? "=" + *value : std::string()); }
};

struct option_files_result {
  std::vector<option_arg> args;       // in the order read: a later one overrides an earlier one
  std::vector<std::string> files;     // the files that were read
  std::vector<std::string> warnings;  // e.g. a world-writable file that was skipped
  std::string error;                  // empty on success: "FILE:LINE: what", never a value
  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

// Reads the option files `settings` names. Never throws.
[[nodiscard]] option_files_result read_option_files(const option_file_settings& settings);

// The groups the `mariadb` client of MariaDB 10.11 reads: mysql, mariadb-client, client,
// client-server, client-mariadb.
[[nodiscard]] std::vector<std::string> client_option_groups();

}  // namespace binlogkit
