// The connection options of every command that connects to a server, spelled as the
// mysql / mariadb clients spell them: -h/--host, -P/--port, -S/--socket, -u/--user,
// -p[PASSWORD] / --password[=PASSWORD], --protocol, --ssl*, --defaults-file,
// --defaults-extra-file, --no-defaults, --print-defaults. Option files are read as the
// `mariadb` client reads them (option_files.hpp); the command line wins over them.
//
// Passwords never reach CLI11: take_passwords() pulls -pSECRET / --password=SECRET out of
// the arguments before parsing (CLI11 would read -pSECRET as -p with a value "SECRET" on
// another option's terms, and echo it in errors), overwrites the secret in argv so that
// `ps` and /proc/PID/cmdline show "x" instead, and remembers it for the command.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "binlogkit/replay/connection.hpp"

namespace binlogkit_cli {

// What take_passwords() found on the command line.
struct command_line_password {
  std::optional<std::string> value;  // -pSECRET / --password=SECRET (the last one wins)
  bool prompt = false;               // -p / --password without a value (last one wins)
  bool given() const noexcept { return value.has_value() || prompt; }
};

// Removes every password argument from `args` (program name excluded, stops at "--") and
// overwrites its secret in `argv`. `args[i]` must be argv[i + 1].
[[nodiscard]] command_line_password take_passwords(std::vector<std::string>& args, int argc, char** argv);

struct connect_args {
  std::optional<std::string> host, socket, user, protocol;
  std::optional<unsigned> port;
  std::optional<std::string> ssl_ca, ssl_capath, ssl_cert, ssl_key, ssl_cipher, ssl_crl, ssl_crlpath, ssl_mode;
  bool ssl = false, skip_ssl = false, ssl_verify_server_cert = false;
  std::string defaults_file, defaults_extra_file, login_path;
  bool no_defaults = false, print_defaults = false, password_prompt = false;
  command_line_password password;  // set by the caller from take_passwords()
};

// Registers the options on `cmd` (which must have no -h of its own: -h is the host).
void add_connection_options(CLI::App* cmd, connect_args& a);

// The connection the options and option files name. On success `error` is empty; on
// failure it names the option or file (never a password) and the exit code is 2.
// With --print-defaults the options read from files are printed on stdout and `printed`
// is set: the command ends there with exit 0.
struct resolved_connection {
  binlogkit::connection_options options;
  std::string error;
  bool printed = false;
};
[[nodiscard]] resolved_connection resolve_connection(const connect_args& a, const char* program);

// Reads a password from the terminal with echo off; nullopt without a terminal.
[[nodiscard]] std::optional<std::string> prompt_password();

}  // namespace binlogkit_cli
