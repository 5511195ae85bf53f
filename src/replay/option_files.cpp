// Option files as the MySQL/MariaDB clients read them (see option_files.hpp).
#include "binlogkit/replay/option_files.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>

namespace binlogkit {

namespace {

constexpr unsigned max_include_depth = 10;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Cuts a `#` comment that is not inside quotes.
std::string_view cut_comment(std::string_view s) {
  char quote = 0;
  bool escaped = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if ((c == '\'' || c == '"') && !escaped) {
      if (quote == 0) quote = c;
      else if (quote == c) quote = 0;
    } else if (quote == 0 && c == '#') {
      return s.substr(0, i);
    }
    escaped = quote != 0 && c == '\\' && !escaped;
  }
  return s;
}

// Removes matching quotes and resolves the escapes of a value.
std::string unquote(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
  }
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '\\' || i + 1 == v.size()) {
      out += v[i];
      continue;
    }
    const char c = v[++i];
    switch (c) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 's': out += ' '; break;
      case '"': case '\'': case '\\': out += c; break;
      default: out += '\\'; out += c; break;
    }
  }
  return out;
}

class reader {
 public:
  reader(const option_file_settings& s, option_files_result& r) : settings_(s), r_(r) {}

  // Reads one file; `required`: a missing file is an error, not a skip.
  bool read(const std::string& path, bool required, unsigned depth) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      if (required) r_.error = "could not open the required option file " + path;
      return !required;
    }
    if ((st.st_mode & S_IWOTH) != 0) {
      r_.warnings.push_back("world-writable option file '" + path + "' is ignored");
      return true;
    }
    std::ifstream in(path);
    if (!in) {
      if (required) r_.error = "could not open the required option file " + path;
      return !required;
    }
    r_.files.push_back(path);
    std::string line;
    bool in_group = false, wanted = false;
    for (unsigned number = 1; std::getline(in, line); ++number) {
      if (!read_line(path, number, line, depth, in_group, wanted)) return false;
    }
    return true;
  }

 private:
  bool fail(const std::string& path, unsigned number, const std::string& what) {
    r_.error = path + ":" + std::to_string(number) + ": " + what;
    return false;
  }

  bool read_line(const std::string& path, unsigned number, const std::string& raw, unsigned depth,
                 bool& in_group, bool& wanted) {
    std::string_view s = trim(raw);
    if (s.empty() || s.front() == '#' || s.front() == ';') return true;
    if (s.front() == '!') return directive(path, number, s, depth);
    if (s.front() == '[') {
      const auto close = s.find(']');
      if (close == std::string_view::npos) return fail(path, number, "a group name without ']'");
      const std::string group(trim(s.substr(1, close - 1)));
      in_group = true;
      wanted = std::find(settings_.groups.begin(), settings_.groups.end(), group) != settings_.groups.end();
      return true;
    }
    if (!in_group) return fail(path, number, "an option before any [group]");
    if (!wanted) return true;
    s = trim(cut_comment(s));
    if (s.empty()) return true;
    option_arg a;
    a.file = path;
    const auto eq = s.find('=');
    a.name = std::string(trim(s.substr(0, eq)));
    if (eq != std::string_view::npos) a.value = unquote(trim(s.substr(eq + 1)));
    r_.args.push_back(std::move(a));
    return true;
  }

  bool directive(const std::string& path, unsigned number, std::string_view s, unsigned depth) {
    const auto space = s.find_first_of(" \t");
    if (space == std::string_view::npos) return true;
    const std::string_view word = s.substr(1, space - 1);
    const std::string target(trim(s.substr(space)));
    if (depth >= max_include_depth) return fail(path, number, "!include nested too deeply");
    if (word == "include") return read(target, false, depth + 1);
    if (word != "includedir") return true;
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(target, ec)) {
      if (entry.path().extension() == ".cnf") names.push_back(entry.path().string());
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      if (!read(n, false, depth + 1)) return false;
    }
    return true;
  }

  const option_file_settings& settings_;
  option_files_result& r_;
};

std::string env_or(const std::optional<std::string>& given, const char* name) {
  if (given) return *given;
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

}  // namespace

std::vector<std::string> client_option_groups() {
  return {"mysql", "mariadb-client", "client", "client-server", "client-mariadb"};
}

option_files_result read_option_files(const option_file_settings& settings) {
  option_files_result r;
  if (settings.no_defaults) return r;
  reader rd(settings, r);
  if (!settings.defaults_file.empty()) {
    rd.read(settings.defaults_file, true, 0);
    return r;
  }
  if (!rd.read("/etc/my.cnf", false, 0) || !rd.read("/etc/mysql/my.cnf", false, 0)) return r;
  std::string home_dir = env_or(settings.mariadb_home, "MARIADB_HOME");
  if (home_dir.empty() && !settings.mariadb_home) home_dir = env_or(std::nullopt, "MYSQL_HOME");
  if (!home_dir.empty() && !rd.read(home_dir + "/my.cnf", false, 0)) return r;
  if (!settings.defaults_extra_file.empty() && !rd.read(settings.defaults_extra_file, true, 0)) return r;
  const std::string home = env_or(settings.home, "HOME");
  if (!home.empty()) rd.read(home + "/.my.cnf", false, 0);
  return r;
}

}  // namespace binlogkit
