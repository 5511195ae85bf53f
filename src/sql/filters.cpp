#include "filters.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>

#include "binlogkit/core/event_type.hpp"
#include "binlogkit/core/text.hpp"

namespace binlogkit {

namespace {

constexpr int no_type = -1;

}  // namespace

result<std::int64_t> parse_local_datetime(std::string_view text) {
  text = trim_blanks(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char sep = ' ';
  std::string t(text);
  int n = 0;
  int got = std::sscanf(t.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &s, &n);
  if (got == 7 && (sep == ' ' || sep == 'T') && static_cast<std::size_t>(n) == t.size()) {
    // full form
  } else {
    h = mi = s = 0;
    n = 0;
    got = std::sscanf(t.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n);
    if (got != 3 || static_cast<std::size_t>(n) != t.size()) {
      return make_error(errc::bad_value, 0, no_type, "datetime is not YYYY-MM-DD[ HH:MM:SS]");
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 || y < 1970) {
    return make_error(errc::bad_value, 0, no_type, "datetime field out of range");
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  tm.tm_isdst = -1;
  std::time_t v = std::mktime(&tm);
  if (v == static_cast<std::time_t>(-1)) return make_error(errc::bad_value, 0, no_type, "datetime cannot be represented");
  return static_cast<std::int64_t>(v);
}

result<std::pair<std::string, std::string>> parse_rewrite_db(std::string_view text) {
  auto p = text.find("->");
  if (p == std::string_view::npos) return make_error(errc::bad_value, 0, no_type, "--rewrite-db wants 'from->to'");
  auto from = trim_blanks(text.substr(0, p)), to = trim_blanks(text.substr(p + 2));
  if (from.empty() || to.empty()) return make_error(errc::bad_value, 0, no_type, "--rewrite-db names are empty");
  if (to.size() > 64 || from.size() > 64) {
    return make_error(errc::bad_value, 0, no_type, "--rewrite-db names are longer than 64 characters");
  }
  return std::pair<std::string, std::string>{std::string(from), std::string(to)};
}


namespace detail {

std::string_view transaction_filter::rewrite(std::string_view db) const noexcept {
  for (const auto& [from, to] : f_.rewrite_db) {
    if (db == from) return to;
  }
  return db;
}

bool transaction_filter::db_kept(std::string_view db) const noexcept {
  if (f_.databases.empty()) return true;
  return std::find(f_.databases.begin(), f_.databases.end(), db) != f_.databases.end();
}

skip_reason transaction_filter::skip_at_start(std::size_t file, const event_view& first) const noexcept {
  if (resume_ && (file < resume_->first || (file == resume_->first && first.offset < resume_->second))) {
    return skip_reason::resume;
  }
  if (file == 0 && first.offset < f_.start_position) return skip_reason::start;
  if (f_.start_datetime && static_cast<std::int64_t>(first.header.timestamp) < *f_.start_datetime) {
    return skip_reason::datetime;
  }
  return skip_reason::none;
}

bool transaction_filter::gtid_kept(const gtid_ref& g) const noexcept {
  bool keep = true;
  if (f_.include_gtids) keep = f_.include_gtids->contains(g);
  if (keep && f_.exclude_gtids) keep = !f_.exclude_gtids->contains(g);
  return keep;
}

stop_point transaction_filter::stops_at(const event_view& ev, bool last_file) const noexcept {
  const auto t = ev.type();
  const bool meta = t == event_type::format_description || t == event_type::start_v3 ||
                    t == event_type::rotate || t == event_type::stop;
  if (last_file && f_.stop_position && ev.offset >= *f_.stop_position) return stop_point::position;
  if (!meta && f_.stop_datetime && static_cast<std::int64_t>(ev.header.timestamp) >= *f_.stop_datetime) {
    return stop_point::datetime;
  }
  return stop_point::none;
}

void transaction_filter::skipped(skip_reason why, std::size_t file, std::uint64_t end) noexcept {
  if (why == skip_reason::resume && resume_ && file == resume_->first && end == resume_->second) resume_hit_ = true;
}

}  // namespace detail

}  // namespace binlogkit
