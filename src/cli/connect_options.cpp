// Connection options as the mysql / mariadb clients take them (see connect_options.hpp).
#include "connect_options.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "binlogkit/replay/option_files.hpp"

namespace bk = binlogkit;

namespace binlogkit_cli {

namespace {

// Overwrites a secret in place, as the clients do: "-pSECRET" reads "-px" in ps (the
// rest of its bytes become NULs, which ps shows as blanks).
void hide(char* secret) {
  if (*secret == '\0') return;
  for (char* c = secret + 1; *c != '\0'; ++c) *c = '\0';
  secret[0] = 'x';
}

constexpr std::string_view long_password = "--password";

// What a settings line or option means for the connection, in the order read.
struct settings_builder {
  bk::connection_options conn;
  std::optional<std::string> password;
  bool prompt = false;
  std::string error;

  void set_password(std::optional<std::string> value) {
    prompt = !value.has_value();
    password = std::move(value);
  }

  static std::optional<bool> boolean(const std::optional<std::string>& v) {
    if (!v) return true;
    std::string s = *v;
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (s == "1" || s == "on" || s == "true") return true;
    if (s == "0" || s == "off" || s == "false") return false;
    return std::nullopt;
  }

  // One option read from `where` (a file); unknown options are left to the programs they
  // are for, as the [client] group is shared.
  void apply(std::string name, const std::optional<std::string>& value, const std::string& where) {
    std::replace(name.begin(), name.end(), '_', '-');
    if (name.starts_with("loose-")) name.erase(0, 6);
    std::optional<bool> negate;
    for (std::string_view p : {"skip-", "disable-"}) {
      if (name.starts_with(p)) name.erase(0, p.size()), negate = true;
    }
    if (name.starts_with("enable-")) name.erase(0, 7);
    if (name == "password") {
      set_password(value);
      return;
    }
    if (name == "ssl" || name == "ssl-verify-server-cert") {
      auto b = boolean(value);
      if (!b) return fail(where, name, "wants 0/1, ON/OFF or TRUE/FALSE");
      const bool on = negate ? !*b : *b;
      (name == "ssl" ? conn.ssl : conn.ssl_verify_server_cert) = on;
      return;
    }
    std::string* text = name == "host"          ? &conn.host
                        : name == "socket"      ? &conn.socket
                        : name == "user"        ? &conn.user
                        : name == "protocol"    ? &conn.protocol
                        : name == "ssl-ca"      ? &conn.ssl_ca
                        : name == "ssl-capath"  ? &conn.ssl_capath
                        : name == "ssl-cert"    ? &conn.ssl_cert
                        : name == "ssl-key"     ? &conn.ssl_key
                        : name == "ssl-cipher"  ? &conn.ssl_cipher
                        : name == "ssl-crl"     ? &conn.ssl_crl
                        : name == "ssl-crlpath" ? &conn.ssl_crlpath
                        : name == "ssl-mode"    ? &conn.ssl_mode
                                                : nullptr;
    if (text != nullptr) {
      if (!value) return fail(where, name, "needs a value");
      *text = *value;
      return;
    }
    if (name == "port" || name == "connect-timeout") {
      unsigned n = 0;
      const std::string v = value.value_or("");
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (v.empty() || ec != std::errc() || end != v.data() + v.size() || (name == "port" && n > 65535)) {
        return fail(where, name, "wants a number");
      }
      (name == "port" ? conn.port : conn.connect_timeout) = n;
    }
  }

  void fail(const std::string& where, const std::string& name, const char* what) {
    if (error.empty()) error = fmt::format("{}: option '{}' {}", where, name, what);
  }
};

void apply_command_line(settings_builder& b, const connect_args& a) {
  bk::connection_options& c = b.conn;
  const std::pair<std::string*, const std::optional<std::string>*> texts[] = {
      {&c.host, &a.host},         {&c.socket, &a.socket},         {&c.user, &a.user},
      {&c.protocol, &a.protocol}, {&c.ssl_ca, &a.ssl_ca},         {&c.ssl_capath, &a.ssl_capath},
      {&c.ssl_cert, &a.ssl_cert}, {&c.ssl_key, &a.ssl_key},       {&c.ssl_cipher, &a.ssl_cipher},
      {&c.ssl_crl, &a.ssl_crl},   {&c.ssl_crlpath, &a.ssl_crlpath}, {&c.ssl_mode, &a.ssl_mode}};
  for (const auto& [to, from] : texts) {
    if (*from) *to = **from;
  }
  if (a.port) b.conn.port = *a.port;
  if (a.ssl) b.conn.ssl = true;
  if (a.skip_ssl) b.conn.ssl = false;
  if (a.ssl_verify_server_cert) b.conn.ssl_verify_server_cert = true;
  if (a.password.value) b.set_password(a.password.value);
  if (a.password.prompt || a.password_prompt) b.set_password(std::nullopt);
}

}  // namespace

command_line_password take_passwords(std::vector<std::string>& args, int argc, char** argv) {
  command_line_password pw;
  std::vector<std::string> kept;
  bool options_end = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view s = argv[i];
    if (options_end || s == "--") {
      options_end = true;
      kept.emplace_back(s);
      continue;
    }
    std::size_t secret_at = 0;
    if (s == "-p" || s == long_password) {
      pw.prompt = true;
      pw.value.reset();
      continue;
    }
    if (s.size() > 2 && s[0] == '-' && s[1] == 'p') secret_at = 2;
    else if (s.starts_with(long_password) && s.size() > long_password.size() && s[long_password.size()] == '=')
      secret_at = long_password.size() + 1;
    if (secret_at == 0) {
      kept.emplace_back(s);
      continue;
    }
    pw.value = std::string(s.substr(secret_at));
    pw.prompt = false;
    hide(argv[i] + secret_at);
  }
  args = std::move(kept);
  return pw;
}

void add_connection_options(CLI::App* cmd, connect_args& a) {
  cmd->add_option("-h,--host", a.host, "Server host (as the mysql client: localhost means the Unix socket)");
  cmd->add_option("-P,--port", a.port, "Server TCP port");
  cmd->add_option("-S,--socket", a.socket, "Server Unix socket");
  cmd->add_option("-u,--user", a.user, "User name");
  cmd->add_flag("-p,--password", a.password_prompt,
                "-pPASSWORD or --password=PASSWORD (no space; hidden from ps; a warning, as the clients give); -p "
                "or --password alone asks on the terminal");
  cmd->add_flag("--password-prompt", a.password_prompt, "Ask for the password on the terminal (as -p)");
  cmd->add_option("--protocol", a.protocol, "TCP or SOCKET")->check(CLI::IsMember({"TCP", "SOCKET"}, CLI::ignore_case));
  cmd->add_flag("--ssl", a.ssl, "Require TLS (any certificate unless --ssl-verify-server-cert or --ssl-mode)");
  cmd->add_flag("--skip-ssl", a.skip_ssl, "No TLS");
  cmd->add_option("--ssl-ca", a.ssl_ca, "CA certificate file");
  cmd->add_option("--ssl-capath", a.ssl_capath, "Directory of CA certificates");
  cmd->add_option("--ssl-cert", a.ssl_cert, "Client certificate file");
  cmd->add_option("--ssl-key", a.ssl_key, "Client key file");
  cmd->add_option("--ssl-cipher", a.ssl_cipher, "TLS ciphers allowed");
  cmd->add_option("--ssl-crl", a.ssl_crl, "Certificate revocation list file");
  cmd->add_option("--ssl-crlpath", a.ssl_crlpath, "Directory of certificate revocation lists");
  cmd->add_flag("--ssl-verify-server-cert", a.ssl_verify_server_cert,
                "The server's certificate must verify against the CA and name the host");
  cmd->add_option("--ssl-mode", a.ssl_mode, "DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY")
      ->check(CLI::IsMember({"DISABLED", "PREFERRED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"}, CLI::ignore_case));
  cmd->add_option("--defaults-file", a.defaults_file, "Read only this option file");
  cmd->add_option("--defaults-extra-file", a.defaults_extra_file,
                  "Read this option file after the global ones (before ~/.my.cnf)");
  cmd->add_flag("--no-defaults", a.no_defaults, "Read no option file");
  cmd->add_flag("--print-defaults", a.print_defaults, "Print the options read from option files and exit");
  cmd->add_option("--login-path", a.login_path,
                  "Not supported: MySQL's encrypted .mylogin.cnf is not read by MariaDB Connector/C (use an option "
                  "file and --defaults-extra-file)");
}

resolved_connection resolve_connection(const connect_args& a, const char* program) {
  resolved_connection r;
  if (!a.login_path.empty()) {
    r.error = "--login-path: MySQL's .mylogin.cnf is not read by MariaDB Connector/C; put the options in an option "
              "file and give it with --defaults-extra-file";
    return r;
  }
  bk::option_file_settings fs;
  fs.no_defaults = a.no_defaults;
  fs.defaults_file = a.defaults_file;
  fs.defaults_extra_file = a.defaults_extra_file;
  fs.groups = bk::client_option_groups();
  fs.groups.emplace_back("binlogkit");
  auto files = bk::read_option_files(fs);
  for (const auto& w : files.warnings) fmt::print(stderr, "binlogkit: warning: {}\n", w);
  if (!files.ok()) {
    r.error = files.error;
    return r;
  }
  if (a.print_defaults) {
    std::string line;
    for (const auto& arg : files.args) line += arg.text() + ' ';
    fmt::print("{} would have been started with the following arguments:\n{}\n", program, line);
    r.printed = true;
    return r;
  }
  settings_builder b;
  for (const auto& arg : files.args) b.apply(arg.name, arg.value, arg.file);
  if (!b.error.empty()) {
    r.error = b.error;
    return r;
  }
  apply_command_line(b, a);
  if (a.password.value) {
    fmt::print(stderr, "binlogkit: [Warning] Using a password on the command line interface can be insecure.\n");
  }
  if (b.prompt) {
    auto pw = prompt_password();
    if (!pw) {
      r.error = "-p: no terminal to read the password from (use an option file or MYSQL_PWD)";
      return r;
    }
    b.password = std::move(*pw);
  }
  r.options = std::move(b.conn);
  r.options.password = std::move(b.password);
  r.options.no_defaults = true;  // read above, as the clients read them
  return r;
}

std::optional<std::string> prompt_password() {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY);
  if (fd < 0) return std::nullopt;
  // Echo off (TCSAFLUSH drops what was typed before) first, then the prompt: what is
  // typed once the prompt shows is kept.
  termios old{};
  bool restore = ::tcgetattr(fd, &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  const char prompt[] = "Enter password: ";
  (void)!::write(fd, prompt, sizeof prompt - 1);
  std::string pw;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n' && c != '\r') pw += c;
  if (restore) ::tcsetattr(fd, TCSAFLUSH, &old);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  return pw;
}

}  // namespace binlogkit_cli
