// Connection settings to Connector/C options (see connection.hpp).
#include "binlogkit/replay/connection.hpp"

#include <mysql.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace binlogkit {

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  return s;
}

void set_if(MYSQL* m, mysql_option o, const std::string& v) {
  if (!v.empty()) mysql_options(m, o, v.c_str());
}

std::string apply_tls(MYSQL* m, const connection_options& c) {
  const std::string mode = effective_ssl_mode(c);
  if (mode == "DISABLED") return {};
  if (mode != "PREFERRED" && mode != "REQUIRED" && mode != "VERIFY_CA" && mode != "VERIFY_IDENTITY") {
    return fmt::format("unknown TLS mode '{}' (DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY)", mode);
  }
  set_if(m, MYSQL_OPT_SSL_CA, c.ssl_ca);
  set_if(m, MYSQL_OPT_SSL_CAPATH, c.ssl_capath);
  set_if(m, MYSQL_OPT_SSL_CERT, c.ssl_cert);
  set_if(m, MYSQL_OPT_SSL_KEY, c.ssl_key);
  set_if(m, MYSQL_OPT_SSL_CIPHER, c.ssl_cipher);
  set_if(m, MYSQL_OPT_SSL_CRL, c.ssl_crl);
  set_if(m, MYSQL_OPT_SSL_CRLPATH, c.ssl_crlpath);
  my_bool yes = 1, no = 0;
  if (mode != "PREFERRED") {
    mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &yes);
    mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, mode == "REQUIRED" ? &no : &yes);
  }
  return {};
}

}  // namespace

std::string effective_ssl_mode(const connection_options& c) {
  if (!c.ssl_mode.empty()) return upper(c.ssl_mode);
  if (c.ssl_verify_server_cert.value_or(false)) return "VERIFY_IDENTITY";
  if (c.ssl) return *c.ssl ? "REQUIRED" : "DISABLED";
  return "PREFERRED";
}

std::string apply_connection_options(MYSQL* m, const connection_options& c) {
  if (!c.no_defaults) {
    if (!c.defaults_file.empty()) mysql_options(m, MYSQL_READ_DEFAULT_FILE, c.defaults_file.c_str());
    mysql_options(m, MYSQL_READ_DEFAULT_GROUP, "client");
  }
  unsigned timeout = c.connect_timeout;
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  if (!c.protocol.empty()) {
    const std::string p = upper(c.protocol);
    unsigned proto = p == "TCP" ? MYSQL_PROTOCOL_TCP : p == "SOCKET" ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_DEFAULT;
    if (proto == MYSQL_PROTOCOL_DEFAULT) return fmt::format("unknown protocol '{}' (TCP or SOCKET)", c.protocol);
    mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
  }
  return apply_tls(m, c);
}

void connection_closer::operator()(MYSQL* m) const noexcept { mysql_close(m); }

opened_connection open_connection(const connection_options& c) {
  opened_connection out;
  MYSQL* m = mysql_init(nullptr);
  if (m == nullptr) {
    out.error = "mysql_init failed (out of memory)";
    return out;
  }
  connection_handle h(m);
  if (auto err = apply_connection_options(m, c); !err.empty()) {
    out.error = err;
    return out;
  }
  mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  const char* password = c.password ? c.password->c_str() : nullptr;
  if (mysql_real_connect(m, c.host.empty() ? nullptr : c.host.c_str(), c.user.empty() ? nullptr : c.user.c_str(),
                         password, nullptr, c.port, c.socket.empty() ? nullptr : c.socket.c_str(), 0) == nullptr) {
    out.error = fmt::format("cannot connect: {} ({})", mysql_error(m), mysql_errno(m));
    return out;
  }
  out.handle = std::move(h);
  return out;
}

}  // namespace binlogkit
