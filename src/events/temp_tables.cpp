#include "binlogkit/events/temp_tables.hpp"

#include <algorithm>
#include <cctype>

#include "binlogkit/core/text.hpp"

namespace binlogkit {

namespace {

// The statement's first words in lower case, comments of the "/*!NNNNN ... */" kind
// opened (their text kept), other comments and runs of blanks as one space, except inside
// a backquoted name, which is kept byte for byte (lowered); at most `limit` bytes of the
// statement are looked at.
std::string normalised_head(std::string_view sql, std::size_t limit = 512) {
  std::string out;
  sql = sql.substr(0, std::min(limit, sql.size()));
  out.reserve(sql.size());
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '`') {  // a quoted identifier: kept as written (lowered), blanks and "*/" inside it too
      out += c;
      for (++i; i < sql.size(); ++i) {
        const char q = sql[i];
        out += q >= 'A' && q <= 'Z' ? static_cast<char>(q - 'A' + 'a') : q;
        if (q != '`') continue;
        if (i + 1 < sql.size() && sql[i + 1] == '`') out += sql[++i];  // `` stands for one `
        else break;
      }
      continue;
    }
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
    // ASCII only, as the C locale the program runs in would: no locale call per byte.
    if (is_blank(c)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    out += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
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


bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$' || static_cast<unsigned char>(c) >= 0x80;
}


// The next identifier token of `sql` at or after `at` (skipping literals, comments and
// punctuation), unquoted and in lower case; `dotted` says it follows a '.'. False at the end.
bool next_identifier(std::string_view sql, std::size_t& at, std::string& out, bool& dotted) {
  bool saw_dot = false;
  while (at < sql.size()) {
    const char c = sql[at];
    if (c == '\'' || c == '"') {  // a string literal ('' and \' inside it)
      for (++at; at < sql.size(); ++at) {
        if (sql[at] == '\\') ++at;
        else if (sql[at] == c && at + 1 < sql.size() && sql[at + 1] == c) ++at;
        else if (sql[at] == c) break;
      }
      ++at;
      saw_dot = false;
    } else if (c == '/' && at + 1 < sql.size() && sql[at + 1] == '*') {
      if (at + 2 < sql.size() && sql[at + 2] == '!') {  // versioned: its text counts
        at += 3;
        while (at < sql.size() && std::isdigit(static_cast<unsigned char>(sql[at])) != 0) ++at;
      } else {
        const auto end = sql.find("*/", at + 2);
        at = end == std::string_view::npos ? sql.size() : end + 2;
      }
    } else if (c == '#' || (c == '-' && at + 2 < sql.size() && sql[at + 1] == '-' &&
                            std::isspace(static_cast<unsigned char>(sql[at + 2])) != 0)) {
      const auto end = sql.find('\n', at);
      at = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (c == '`') {
      out.clear();
      for (++at; at < sql.size(); ++at) {
        if (sql[at] == '`' && at + 1 < sql.size() && sql[at + 1] == '`') out += '`', ++at;
        else if (sql[at] == '`') break;
        else out += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[at])));
      }
      ++at;
      dotted = saw_dot;
      return true;
    } else if (is_word_char(c)) {
      out.clear();
      while (at < sql.size() && is_word_char(sql[at])) {
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[at++])));
      }
      dotted = saw_dot;
      return true;
    } else {
      saw_dot = c == '.';
      ++at;
    }
  }
  return false;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void split_table_name(const std::string& name, std::string& schema, std::string& table) {
  const auto unquote = [](std::string_view q) {
    std::string out;
    for (std::size_t i = 1; i + 1 < q.size(); ++i) {
      out += q[i];
      if (q[i] == '`') ++i;  // "``" inside stands for one
    }
    return out;
  };
  std::size_t split = 1;
  while (split < name.size() && !(name[split] == '`' && (split + 1 >= name.size() || name[split + 1] != '`'))) {
    split += name[split] == '`' ? 2 : 1;
  }
  schema = unquote(std::string_view(name).substr(0, split + 1));
  table = unquote(std::string_view(name).substr(std::min(name.size(), split + 2)));
}

std::optional<table_drop> parse_table_drop(std::string_view sql, std::string_view database) {
  const std::string s = normalised_head(sql, 4096);
  std::size_t at = s.starts_with(' ') ? 1 : 0;
  if (!skip_word(s, at, "drop ")) return std::nullopt;
  table_drop d;
  d.temporary = skip_word(s, at, "temporary ");
  if (!skip_word(s, at, "table ")) return std::nullopt;
  d.if_exists = skip_word(s, at, "if exists ");
  while (at < s.size()) {
    std::string name = table_name(s, at, database);
    if (name.empty()) break;
    d.names.push_back(std::move(name));
    while (at < s.size() && (s[at] == ' ' || s[at] == ',')) ++at;
  }
  return d;
}

bool statement_names_table(std::string_view sql, std::string_view database, std::string_view schema,
                           std::string_view table) {
  const std::string want_schema = lower(schema), want_table = lower(table);
  const bool default_matches = lower(database) == want_schema;
  std::string token, previous;
  bool dotted = false, previous_dotted = false;
  std::size_t at = 0;
  while (next_identifier(sql, at, token, dotted)) {
    if (dotted && !previous_dotted && previous == want_schema && token == want_table) return true;
    if (!dotted && default_matches && token == want_table) return true;
    previous.swap(token);
    previous_dotted = dotted;
  }
  return false;
}

void temp_table_tracker::on_statement(std::string_view sql, std::string_view database, std::uint32_t thread_id,
                                      std::string_view file, std::uint64_t offset, std::string_view gtid) {
  const std::string s = normalised_head(sql);
  std::size_t at = s.starts_with(' ') ? 1 : 0;
  if (skip_word(s, at, "create ")) {
    const bool replace = skip_word(s, at, "or replace ");
    if (!skip_word(s, at, "temporary table ")) return;
    skip_word(s, at, "if not exists ");
    std::string name = table_name(s, at, database);
    if (name.empty()) return;
    const auto same = std::find_if(open_.begin(), open_.end(), [&](const open_temp_table& t) {
      return t.thread_id == thread_id && t.name == name;
    });
    if (same != open_.end() && !replace) return;  // IF NOT EXISTS on one already open: it stays
    if (same != open_.end()) open_.erase(same);
    else if (open_.size() > max_open) return;  // the list is past its limit: users refuse it
    open_temp_table t{thread_id, std::move(name), {}, {}, std::string(file), offset, std::string(gtid)};
    split_table_name(t.name, t.schema, t.table);
    open_.push_back(std::move(t));
    return;
  }
  auto drop = parse_table_drop(sql, database);
  if (!drop) return;
  for (const auto& name : drop->names) {
    auto it = std::find_if(open_.begin(), open_.end(), [&](const open_temp_table& t) {
      return t.thread_id == thread_id && t.name == name;
    });
    if (it != open_.end()) open_.erase(it);
  }
}

}  // namespace binlogkit
