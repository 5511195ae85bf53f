#include "binlogkit/events/gtid_set.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iterator>

#include "binlogkit/core/text.hpp"

namespace binlogkit {

namespace {

constexpr int no_type = -1;
constexpr std::uint64_t max_gno = static_cast<std::uint64_t>(INT64_MAX);

unexpected<error> bad(std::string_view detail) { return make_error(errc::bad_value, 0, no_type, detail); }

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    auto p = s.find(sep);
    out.push_back(trim_blanks(s.substr(0, p)));
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 8-4-4-4-12 hex digits.
bool parse_uuid(std::string_view s, uuid_bytes& out) {
  if (s.size() != 36) return false;
  std::size_t n = 0;
  int hi = -1;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash) {
      if (s[i] != '-') return false;
      continue;
    }
    const int d = hex_digit(s[i]);
    if (d < 0) return false;
    if (hi < 0) {
      hi = d;
    } else {
      out[n++] = static_cast<std::uint8_t>(hi * 16 + d);
      hi = -1;
    }
  }
  return true;
}

bool is_tag(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// ---- interval lists (sorted, disjoint, not adjacent) --------------------------------

bool has(const gtid_ranges& iv, std::uint64_t n) noexcept {
  auto it = std::upper_bound(iv.begin(), iv.end(), n, [](std::uint64_t v, const gtid_range& x) { return v < x.first; });
  return it != iv.begin() && std::prev(it)->last >= n;
}

void insert(gtid_ranges& iv, gtid_range x) {
  // The common case: at or just past the end.
  if (iv.empty() || (iv.back().last != UINT64_MAX && x.first > iv.back().last + 1)) {
    iv.push_back(x);
    return;
  }
  if (x.first >= iv.back().first) {
    iv.back().last = std::max(iv.back().last, x.last);
    return;
  }
  // The first interval that can touch x: its last + 1 >= x.first.
  auto lo = std::lower_bound(iv.begin(), iv.end(), x.first,
                             [](const gtid_range& y, std::uint64_t v) { return y.last != UINT64_MAX && y.last + 1 < v; });
  auto hi = lo;
  while (hi != iv.end() && (x.last == UINT64_MAX || hi->first <= x.last + 1)) {
    x.first = std::min(x.first, hi->first);
    x.last = std::max(x.last, hi->last);
    ++hi;
  }
  lo = iv.erase(lo, hi);
  iv.insert(lo, x);
}

void erase(gtid_ranges& iv, gtid_range x) {
  gtid_ranges out;
  out.reserve(iv.size() + 1);
  for (auto y : iv) {
    if (y.last < x.first || y.first > x.last) {
      out.push_back(y);
      continue;
    }
    if (y.first < x.first) out.push_back({y.first, x.first - 1});
    if (y.last > x.last) out.push_back({x.last + 1, y.last});
  }
  iv = std::move(out);
}

// Every number of b is in a.
bool covers(const gtid_ranges& a, const gtid_ranges& b) {
  return std::all_of(b.begin(), b.end(), [&](const gtid_range& y) {
    auto it = std::upper_bound(a.begin(), a.end(), y.first,
                               [](std::uint64_t v, const gtid_range& x) { return v < x.first; });
    return it != a.begin() && std::prev(it)->last >= y.last;
  });
}

void append_intervals(std::string& out, const gtid_ranges& iv) {
  for (auto x : iv) {
    if (x.first == x.last) fmt::format_to(std::back_inserter(out), ":{}", x.first);
    else fmt::format_to(std::back_inserter(out), ":{}-{}", x.first, x.last);
  }
}

template <class Map, class Key>
void add_to(Map& m, const Key& k, gtid_range iv) {
  insert(m[k], iv);
}

template <class Map, class Key>
void remove_from(Map& m, const Key& k, gtid_range iv) {
  auto it = m.find(k);
  if (it == m.end()) return;
  erase(it->second, iv);
  if (it->second.empty()) m.erase(it);
}

// One "uuid:interval:tag:interval..." item.
result<void> parse_mysql_item(std::string_view item, gtid_set& set) {
  auto parts = split(item, ':');
  mysql_gtid_source src;
  if (!parse_uuid(parts[0], src.uuid)) return bad("GTID set: a MySQL GTID starts with a UUID");
  bool any = false;        // an interval of this item
  bool after_tag = false;  // a tag waits for its intervals
  for (std::size_t i = 1; i < parts.size(); ++i) {
    auto p = parts[i];
    if (is_tag(p)) {
      if (after_tag) return bad("GTID set: a tag without intervals after it");
      src.tag = lower(p);
      after_tag = true;
      continue;
    }
    auto dash = p.find('-');
    std::uint64_t a = 0, b = 0;
    if (!parse_u64(p.substr(0, dash), a) || (dash != std::string_view::npos && !parse_u64(p.substr(dash + 1), b))) {
      return bad("GTID set: an interval is N or N-M");
    }
    if (dash == std::string_view::npos) b = a;
    if (a == 0 || b < a || b > max_gno) return bad("GTID set: an interval is empty or starts at 0");
    set.add(src, {a, b});
    any = true;
    after_tag = false;
  }
  if (after_tag) return bad("GTID set: a tag without intervals after it");
  if (!any) return bad("GTID set: a UUID without intervals");
  return {};
}

// "domain-server-seq" or, in a set (not a position), also "domain-server-first-last".
result<void> parse_mariadb_item(std::string_view item, bool ranges, std::uint64_t (&v)[4], std::size_t& n) {
  auto parts = split(item, '-');
  n = parts.size();
  if (n != 3 && !(ranges && n == 4)) {
    return bad(ranges ? "GTID set: a MariaDB GTID is domain-server-seq or domain-server-first-last"
                      : "GTID position: a MariaDB GTID is domain-server-seq");
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!parse_u64(parts[i], v[i])) {
      return bad(ranges ? "GTID set: MariaDB GTID parts are decimal numbers"
                               : "GTID position: MariaDB GTID parts are decimal numbers");
    }
  }
  if (v[0] > UINT32_MAX || v[1] > UINT32_MAX) {
    return bad(ranges ? "GTID set: domain and server ids are 32-bit"
                             : "GTID position: domain and server ids are 32-bit");
  }
  return {};
}

}  // namespace

// ---- gtid_set --------------------------------------------------------------------------

result<gtid_set> gtid_set::parse(std::string_view text) {
  gtid_set set;
  for (auto item : split(text, ',')) {
    if (item.empty()) continue;
    if (item.find(':') != std::string_view::npos) {
      if (auto r = parse_mysql_item(item, set); !r) return unexpected(r.error());
      continue;
    }
    std::uint64_t v[4] = {};
    std::size_t n = 0;
    if (auto r = parse_mariadb_item(item, true, v, n); !r) return unexpected(r.error());
    const gtid_range iv{v[2], n == 4 ? v[3] : v[2]};
    if (iv.last < iv.first) return bad("GTID set: a range ends before it starts");
    set.add(mariadb_gtid_source{static_cast<std::uint32_t>(v[0]), static_cast<std::uint32_t>(v[1])}, iv);
  }
  if (set.empty()) return bad("GTID set is empty");
  return set;
}

std::string gtid_set::text(std::string_view mysql_separator) const {
  std::string out;
  for (const auto& [src, iv] : mariadb_) {
    for (auto x : iv) {
      if (!out.empty()) out += ',';
      if (x.first == x.last) fmt::format_to(std::back_inserter(out), "{}-{}-{}", src.domain, src.server, x.first);
      else fmt::format_to(std::back_inserter(out), "{}-{}-{}-{}", src.domain, src.server, x.first, x.last);
    }
  }
  const bool mariadb_items = !out.empty();
  const uuid_bytes* last_uuid = nullptr;
  for (const auto& [src, iv] : mysql_) {
    if (last_uuid == nullptr || *last_uuid != src.uuid) {
      if (last_uuid != nullptr) out += mysql_separator;
      else if (mariadb_items) out += ',';
      out += format_uuid(src.uuid);
    }
    last_uuid = &src.uuid;
    if (!src.tag.empty()) fmt::format_to(std::back_inserter(out), ":{}", src.tag);
    append_intervals(out, iv);
  }
  return out;
}

bool gtid_set::contains(const mariadb_gtid_source& s, std::uint64_t seq) const noexcept {
  auto it = mariadb_.find(s);
  return it != mariadb_.end() && has(it->second, seq);
}

bool gtid_set::contains(const mysql_gtid_source& s, std::uint64_t gno) const noexcept {
  auto it = mysql_.find(s);
  return it != mysql_.end() && has(it->second, gno);
}

bool gtid_set::contains(const gtid_ref& g) const {
  switch (g.k) {
    case gtid_ref::kind::mariadb: return contains(mariadb_gtid_source{g.domain_id, g.server_id}, g.seq_no);
    case gtid_ref::kind::mysql: {
      if (g.gno <= 0) return false;
      // A tag compares case-insensitively; tags from the decoder may carry upper case.
      return contains(mysql_gtid_source{g.uuid, lower(g.tag)}, static_cast<std::uint64_t>(g.gno));
    }
    default: return false;
  }
}

bool gtid_set::contains(const gtid_set& other) const {
  for (const auto& [src, iv] : other.mariadb_) {
    auto it = mariadb_.find(src);
    if (it == mariadb_.end() || !covers(it->second, iv)) return false;
  }
  for (const auto& [src, iv] : other.mysql_) {
    auto it = mysql_.find(src);
    if (it == mysql_.end() || !covers(it->second, iv)) return false;
  }
  return true;
}

bool gtid_set::add(const gtid_ref& g) {
  if (g.k == gtid_ref::kind::mariadb) {
    const mariadb_gtid_source src{g.domain_id, g.server_id};
    if (contains(src, g.seq_no)) return false;
    add(src, {g.seq_no, g.seq_no});
    return true;
  }
  if (g.k != gtid_ref::kind::mysql || g.gno <= 0) return false;
  const auto gno = static_cast<std::uint64_t>(g.gno);
  if (hot_ == nullptr || hot_key_->uuid != g.uuid || hot_key_->tag.size() != g.tag.size() ||
      hot_key_->tag != lower(g.tag)) {
    auto it = mysql_.try_emplace(mysql_gtid_source{g.uuid, lower(g.tag)}).first;
    hot_key_ = &it->first;
    hot_ = &it->second;
  }
  if (!hot_->empty() && gno == hot_->back().last + 1) {
    hot_->back().last = gno;  // the next number of the source
    return true;
  }
  if (has(*hot_, gno)) return false;
  insert(*hot_, {gno, gno});
  return true;
}

void gtid_set::add(const mariadb_gtid_source& s, gtid_range iv) { add_to(mariadb_, s, iv); }
void gtid_set::add(const mysql_gtid_source& s, gtid_range iv) { add_to(mysql_, s, iv); }

void gtid_set::remove(const mariadb_gtid_source& s, gtid_range iv) { remove_from(mariadb_, s, iv); }
void gtid_set::remove(const mysql_gtid_source& s, gtid_range iv) {
  drop_cache();
  remove_from(mysql_, s, iv);
}

gtid_set& gtid_set::unite(const gtid_set& other) {
  if (&other == this) return *this;
  for (const auto& [src, iv] : other.mariadb_) {
    for (auto x : iv) add(src, x);
  }
  for (const auto& [src, iv] : other.mysql_) {
    for (auto x : iv) add(src, x);
  }
  return *this;
}

gtid_set& gtid_set::subtract(const gtid_set& other) {
  if (&other == this) {
    *this = gtid_set{};
    return *this;
  }
  for (const auto& [src, iv] : other.mariadb_) {
    for (auto x : iv) remove(src, x);
  }
  for (const auto& [src, iv] : other.mysql_) {
    for (auto x : iv) remove(src, x);
  }
  return *this;
}

gtid_set gtid_set::only_sources_of(const gtid_set& other) const {
  gtid_set out;
  for (const auto& [src, iv] : mariadb_) {
    if (other.mariadb_.count(src) != 0) out.mariadb_.emplace(src, iv);
  }
  for (const auto& [src, iv] : mysql_) {
    if (other.mysql_.count(src) != 0) out.mysql_.emplace(src, iv);
  }
  return out;
}

// ---- mariadb_gtid_position -------------------------------------------------------------

result<mariadb_gtid_position> mariadb_gtid_position::parse(std::string_view text) {
  mariadb_gtid_position pos;
  for (auto item : split(text, ',')) {
    if (item.empty()) continue;
    std::uint64_t v[4] = {};
    std::size_t n = 0;
    if (auto r = parse_mariadb_item(item, false, v, n); !r) return unexpected(r.error());
    pos.set(mariadb_gtid{static_cast<std::uint32_t>(v[0]), static_cast<std::uint32_t>(v[1]), v[2]});
  }
  return pos;
}

std::string mariadb_gtid_position::text() const {
  std::string out;
  for (const auto& [d, g] : domains_) {
    if (!out.empty()) out += ',';
    fmt::format_to(std::back_inserter(out), "{}-{}-{}", g.domain_id, g.server_id, g.seq_no);
  }
  return out;
}

const mariadb_gtid* mariadb_gtid_position::find(std::uint32_t domain) const noexcept {
  auto it = domains_.find(domain);
  return it == domains_.end() ? nullptr : &it->second;
}

}  // namespace binlogkit
