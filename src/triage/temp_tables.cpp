#include "temp_tables.hpp"

#include <algorithm>
#include <cctype>

namespace binlogkit::detail {

namespace {

// The statement's first words in lower case, comments of the "/*!NNNNN ... */" kind
// opened (their text kept), other comments and runs of blanks as one space; at most
// `limit` bytes of the statement are looked at.
std::string normalised_head(std::string_view sql, std::size_t limit = 512) {
  std::string out;
  sql = sql.substr(0, std::min(limit, sql.size()));
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '/' && i + 2 < sql.size() && sql[i + 1] == '*' && sql[i + 2] == '!') {
      i += 2;  // "/*!" then the version digits
      while (i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1])) != 0) ++i;
      if (out.empty() || out.back() != ' ') out += ' ';
      continue;
    }
    if (c == '*' && i + 1 < sql.size() && sql[i + 1] == '/') {
      ++i;
      if (out.empty() || out.back() != ' ') out += ' ';
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// One table name of a normalised statement at `at` ("db.t", "`db`.`t`", "t"), as
// `db`.`t` with the default database; `at` moves past it. Empty when there is none.
std::string table_name(const std::string& s, std::size_t& at, std::string_view database) {
  while (at < s.size() && s[at] == ' ') ++at;
  std::string parts[2];
  int n = 0;
  while (at < s.size() && n < 2) {
    std::string part;
    if (s[at] == '`') {
      for (++at; at < s.size(); ++at) {
        if (s[at] == '`' && at + 1 < s.size() && s[at + 1] == '`') part += '`', ++at;
        else if (s[at] == '`') break;
        else part += s[at];
      }
      ++at;
    } else {
      while (at < s.size() && s[at] != '.' && s[at] != ' ' && s[at] != ',' && s[at] != '(' && s[at] != ';') {
        part += s[at++];
      }
    }
    parts[n++] = std::move(part);
    if (at < s.size() && s[at] == '.') ++at;
    else break;
  }
  if (n == 0 || parts[n - 1].empty()) return {};
  auto quote = [](std::string_view x) {
    std::string q = "`";
    for (char c : x) q += c == '`' ? std::string("``") : std::string(1, c);
    return q + "`";
  };
  // Names are compared in lower case (the head is lowered): enough to pair a CREATE with
  // its DROP in one session.
  return n == 2 ? quote(parts[0]) + "." + quote(parts[1]) : quote(normalised_head(database)) + "." + quote(parts[0]);
}

bool skip_word(const std::string& s, std::size_t& at, std::string_view word) {
  if (s.compare(at, word.size(), word) != 0) return false;
  at += word.size();
  while (at < s.size() && s[at] == ' ') ++at;
  return true;
}

}  // namespace

void temp_table_tracker::on_statement(std::string_view sql, std::string_view database, std::uint32_t thread_id,
                                      std::string_view file, std::uint64_t offset) {
  const std::string s = normalised_head(sql);
  std::size_t at = s.starts_with(' ') ? 1 : 0;
  if (skip_word(s, at, "create temporary table ")) {
    skip_word(s, at, "if not exists ");
    std::string name = table_name(s, at, database);
    if (name.empty() || open_.size() >= max_open) return;
    open_.push_back({thread_id, std::move(name), std::string(file), offset});
    return;
  }
  if (!skip_word(s, at, "drop temporary table ") && !skip_word(s, at, "drop  temporary table ")) return;
  skip_word(s, at, "if exists ");
  while (at < s.size()) {
    const std::string name = table_name(s, at, database);
    if (name.empty()) break;
    auto it = std::find_if(open_.begin(), open_.end(), [&](const open_temp_table& t) {
      return t.thread_id == thread_id && t.name == name;
    });
    if (it != open_.end()) open_.erase(it);
    while (at < s.size() && (s[at] == ' ' || s[at] == ',')) ++at;
  }
}

}  // namespace binlogkit::detail
