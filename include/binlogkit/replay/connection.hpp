// How binlogkit connects to a server (MariaDB Connector/C): the settings a connecting
// command takes, spelled as the mysql / mariadb clients spell them, and the one place
// they are turned into Connector/C options.
//
// Ownership: connection_options is a plain value; a connection_handle owns its MYSQL handle
// and closes it when destroyed. Errors come back as text (empty: success);
// apply_connection_options's never holds the password. Threads: a handle is used by one
// thread at a time, as Connector/C requires.
#pragma once

#include <memory>
#include <optional>
#include <string>

struct st_mysql;  // MYSQL of Connector/C

namespace binlogkit {

struct connection_options {
  std::string host;           // empty: from the option file, else localhost (socket)
  unsigned port = 0;          // 0: from the option file, else 3306
  std::string socket;
  std::string user;           // empty: from the option file, else the login name
  std::optional<std::string> password;  // absent: the option file's, else MYSQL_PWD
  std::string defaults_file;  // Connector/C reads [client] here instead of the default files
  bool no_defaults = false;   // Connector/C reads no option file at all
  // TCP or SOCKET (case-insensitive); empty: Connector/C's choice (a socket for localhost).
  std::string protocol;
  std::string ssl_ca, ssl_capath, ssl_cert, ssl_key, ssl_cipher, ssl_crl, ssl_crlpath;
  // DISABLED, PREFERRED (TLS when a CA / certificate is given), REQUIRED (encrypted, any
  // certificate), VERIFY_CA / VERIFY_IDENTITY (the server's certificate must verify).
  std::string ssl_mode;
  // The clients' --ssl / --skip-ssl (true: REQUIRED unless ssl_mode says otherwise) and
  // --ssl-verify-server-cert (true: VERIFY_IDENTITY unless ssl_mode says otherwise).
  std::optional<bool> ssl, ssl_verify_server_cert;
  unsigned connect_timeout = 10;
};

// The TLS mode the options amount to: ssl_mode if given, else from ssl /
// ssl_verify_server_cert, else PREFERRED. Upper case.
[[nodiscard]] std::string effective_ssl_mode(const connection_options& c);

// Sets `c` on a handle from mysql_init() (option files, timeout, protocol, TLS); the
// caller then calls mysql_real_connect with c's host, user, password, port and socket.
// Empty on success, else the message (it never contains the password).
[[nodiscard]] std::string apply_connection_options(st_mysql* m, const connection_options& c);

struct connection_closer {
  void operator()(st_mysql* m) const noexcept;
};
using connection_handle = std::unique_ptr<st_mysql, connection_closer>;

// Opens a plain connection (utf8mb4, no multi-statements) for a command that reads from a
// server. On failure the handle is null and `error` says why.
struct opened_connection {
  connection_handle handle;
  std::string error;
};
[[nodiscard]] opened_connection open_connection(const connection_options& c);

}  // namespace binlogkit
