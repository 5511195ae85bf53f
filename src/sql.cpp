// The GTID sets of sql_filter (sql.hpp): parsing and membership. The rest of the sql
// layer lives in src/sql/: collations, filters, session_diff, statement_context,
// row_statements, binlog_merge, load_data, render, pieces, stream, writer.
#include "binlogkit/sql.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace binlogkit {

// ---- GTID sets ----------------------------------------------------------------------

namespace {

constexpr int no_type = -1;

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    auto p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return out;
}

bool parse_uuid(std::string_view s, uuid_bytes& out) {
  std::string hex;
  for (char c : s) {
    if (c == '-') continue;
    hex += c;
  }
  if (hex.size() != 32 || s.size() != 36) return false;
  for (std::size_t i = 0; i < 16; ++i) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

bool is_tag(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

}  // namespace

result<gtid_set> gtid_set::parse(std::string_view text) {
  gtid_set set;
  for (auto item : split(text, ',')) {
    item = trim(item);
    if (item.empty()) continue;
    if (item.find(':') != std::string_view::npos) {
      auto parts = split(item, ':');
      mysql_range r;
      if (!parse_uuid(trim(parts[0]), r.uuid)) {
        return make_error(errc::bad_value, 0, no_type, "GTID set: a MySQL GTID starts with a UUID");
      }
      std::string tag;
      bool any = false;
      for (std::size_t i = 1; i < parts.size(); ++i) {
        auto p = trim(parts[i]);
        if (is_tag(p)) {
          tag = std::string(p);
          for (auto& c : tag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          continue;
        }
        auto dash = p.find('-');
        std::uint64_t a = 0, b = 0;
        if (!parse_u64(p.substr(0, dash), a) ||
            (dash != std::string_view::npos && !parse_u64(p.substr(dash + 1), b))) {
          return make_error(errc::bad_value, 0, no_type, "GTID set: an interval is N or N-M");
        }
        if (dash == std::string_view::npos) b = a;
        if (a == 0 || b < a || b > static_cast<std::uint64_t>(INT64_MAX)) {
          return make_error(errc::bad_value, 0, no_type, "GTID set: an interval is empty or starts at 0");
        }
        r.tag = tag;
        r.first = static_cast<std::int64_t>(a);
        r.last = static_cast<std::int64_t>(b);
        set.mysql_.push_back(r);
        any = true;
      }
      if (!any) return make_error(errc::bad_value, 0, no_type, "GTID set: a UUID without intervals");
      continue;
    }
    auto parts = split(item, '-');
    if (parts.size() != 3 && parts.size() != 4) {
      return make_error(errc::bad_value, 0, no_type,
                        "GTID set: a MariaDB GTID is domain-server-seq or domain-server-first-last");
    }
    std::uint64_t v[4] = {};
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (!parse_u64(trim(parts[i]), v[i])) {
        return make_error(errc::bad_value, 0, no_type, "GTID set: MariaDB GTID parts are decimal numbers");
      }
    }
    if (v[0] > UINT32_MAX || v[1] > UINT32_MAX) {
      return make_error(errc::bad_value, 0, no_type, "GTID set: domain and server ids are 32-bit");
    }
    mariadb_range r{static_cast<std::uint32_t>(v[0]), static_cast<std::uint32_t>(v[1]), v[2],
                    parts.size() == 4 ? v[3] : v[2]};
    if (r.last < r.first) return make_error(errc::bad_value, 0, no_type, "GTID set: a range ends before it starts");
    set.mariadb_.push_back(r);
  }
  if (set.empty()) return make_error(errc::bad_value, 0, no_type, "GTID set is empty");
  return set;
}

bool gtid_set::contains(const gtid_ref& g) const noexcept {
  switch (g.k) {
    case gtid_ref::kind::mariadb:
      return std::any_of(mariadb_.begin(), mariadb_.end(), [&](const mariadb_range& r) {
        return r.domain == g.domain_id && r.server == g.server_id && g.seq_no >= r.first && g.seq_no <= r.last;
      });
    case gtid_ref::kind::mysql:
      return std::any_of(mysql_.begin(), mysql_.end(), [&](const mysql_range& r) {
        if (r.uuid != g.uuid || g.gno < r.first || g.gno > r.last) return false;
        if (r.tag.size() != g.tag.size()) return false;
        for (std::size_t i = 0; i < r.tag.size(); ++i) {
          if (r.tag[i] != std::tolower(static_cast<unsigned char>(g.tag[i]))) return false;
        }
        return true;
      });
    default: return false;
  }
}

}  // namespace binlogkit
