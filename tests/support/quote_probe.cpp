// Prints what binlogkit's quoting (sql_quote.hpp) writes for a byte string given in hex,
// for tests/server/quoting_e2e.sh to send to a real server:
//   quote_probe select HEX                 SELECT HEX(<string literal>);
//   quote_probe create CHARSET HEX         CREATE DATABASE <identifier>;
//   quote_probe drop CHARSET HEX           DROP DATABASE <identifier>;
// CHARSET is the client character set in force; when the name is not read as written
// there (quoting_safe_in), the switch to utf8mb4 comes first, for the mariadb client
// (utf8_client_command) and for the server (utf8_client_statement), as `sql` writes it.
#include <cstdio>
#include <string>
#include <string_view>

#include "binlogkit/core/sql_quote.hpp"

namespace {

bool unhex(std::string_view hex, std::string& out) {
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return false;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nib(hex[i]), lo = nib(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
  }
  return true;
}

int usage() {
  std::fputs("usage: quote_probe select HEX | create CHARSET HEX | drop CHARSET HEX\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string_view cmd = argv[1];
  std::string bytes, sql;
  if (cmd == "select" && argc == 3) {
    if (!unhex(argv[2], bytes)) return usage();
    sql = "SELECT HEX(" + binlogkit::string_literal(bytes) + ");\n";
  } else if ((cmd == "create" || cmd == "drop") && argc == 4) {
    if (!unhex(argv[3], bytes)) return usage();
    if (!binlogkit::quoting_safe_in(std::string_view(argv[2]), bytes)) {
      sql += binlogkit::utf8_client_command;
      sql += '\n';
      sql += binlogkit::utf8_client_statement;
      sql += ";\n";
    }
    sql += cmd == "create" ? "CREATE DATABASE " : "DROP DATABASE ";
    sql += binlogkit::sql_identifier(bytes);
    sql += ";\n";
  } else {
    return usage();
  }
  std::fwrite(sql.data(), 1, sql.size(), stdout);
  return 0;
}
