// GTID sets and positions of both servers: the one module that parses, prints and
// compares them (filters, triage, replay and the CLI all use it).
//
//   MariaDB  a GTID is "domain-server-seq". A set names GTIDs one by one ("0-1-5") or as
//            ranges of one domain and server ("0-1-10-20": seq 10 to 20, both included).
//            A position (@@gtid_slave_pos, @@gtid_binlog_pos) is another thing: per domain
//            the last GTID applied ("0-1-20,1-2-7"), see mariadb_gtid_position.
//   MySQL    "uuid:interval[:interval...]" items, an interval "n" or "n-m" (1 <= n <= m <
//            2^63); a tag (8.3+: a letter or '_', then letters, digits, '_', up to 32
//            characters, case-insensitive) applies to the intervals after it:
//            "uuid:1-5:tag:1-3". UUIDs are 8-4-4-4-12 hex digits, case-insensitive.
// Items are separated by commas; blanks and newlines around items and parts are allowed
// (servers print "uuid:1-5,\nuuid2:1-3").
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "binlogkit/events/events.hpp"
#include "binlogkit/core/result.hpp"
#include "binlogkit/events/transaction.hpp"

namespace binlogkit {

// Closed interval of sequence numbers.
struct gtid_range {
  std::uint64_t first = 0, last = 0;
  friend bool operator==(const gtid_range&, const gtid_range&) = default;
};
// Sorted by first, disjoint and never adjacent (1-5 and 6-7 are one interval 1-7).
using gtid_ranges = std::vector<gtid_range>;

// Whose sequence numbers an interval list holds.
struct mariadb_gtid_source {
  std::uint32_t domain = 0, server = 0;
  friend auto operator<=>(const mariadb_gtid_source&, const mariadb_gtid_source&) = default;
};
struct mysql_gtid_source {
  uuid_bytes uuid{};
  std::string tag;  // lower case; empty: untagged
  friend auto operator<=>(const mysql_gtid_source&, const mysql_gtid_source&) = default;
};

class gtid_set {
 public:
  gtid_set() = default;
  // Copies and moves drop the add() cache (it points into the source's map).
  gtid_set(const gtid_set& o) : mariadb_(o.mariadb_), mysql_(o.mysql_) {}
  gtid_set(gtid_set&& o) noexcept : mariadb_(std::move(o.mariadb_)), mysql_(std::move(o.mysql_)) { o.drop_cache(); }
  gtid_set& operator=(const gtid_set& o) {
    if (this != &o) { mariadb_ = o.mariadb_; mysql_ = o.mysql_; drop_cache(); }
    return *this;
  }
  gtid_set& operator=(gtid_set&& o) noexcept {
    if (this != &o) { mariadb_ = std::move(o.mariadb_); mysql_ = std::move(o.mysql_); drop_cache(); o.drop_cache(); }
    return *this;
  }
  ~gtid_set() = default;

  // Either flavour, or both mixed. Errors (errc::bad_value, offset 0) say what is wrong:
  // "GTID set is empty", "GTID set: a MySQL GTID starts with a UUID", "GTID set: an
  // interval is N or N-M", "GTID set: an interval is empty or starts at 0", "GTID set: a
  // UUID without intervals", "GTID set: a tag without intervals after it", "GTID set: a
  // MariaDB GTID is domain-server-seq or domain-server-first-last", "GTID set: MariaDB GTID
  // parts are decimal numbers", "GTID set: domain and server ids are 32-bit", "GTID set: a
  // range ends before it starts".
  [[nodiscard]] static result<gtid_set> parse(std::string_view text);

  // MariaDB items first ("d-s-n" or "d-s-a-b", by domain and server, joined by ","), then
  // MySQL items as the server prints gtid_executed (one "uuid:intervals:tag:intervals" per
  // UUID, untagged first, tags in order, joined by `mysql_separator`); "" when empty.
  // parse(text()) gives the set back.
  [[nodiscard]] std::string text(std::string_view mysql_separator = ",\n") const;

  [[nodiscard]] bool contains(const gtid_ref& g) const;  // none / anonymous: false
  [[nodiscard]] bool contains(const mariadb_gtid_source& s, std::uint64_t seq) const noexcept;
  [[nodiscard]] bool contains(const mysql_gtid_source& s, std::uint64_t gno) const noexcept;
  // Every GTID of `other` is in this set.
  [[nodiscard]] bool contains(const gtid_set& other) const;
  [[nodiscard]] bool empty() const noexcept { return mariadb_.empty() && mysql_.empty(); }

  // A transaction's GTID (none / anonymous: nothing); false when it was in the set
  // already. Adding the next number of the source added to last is O(1): transactions of
  // one source come in order.
  bool add(const gtid_ref& g);
  void add(const mariadb_gtid_source& s, gtid_range iv);
  void add(const mysql_gtid_source& s, gtid_range iv);
  void remove(const mysql_gtid_source& s, gtid_range iv);
  void remove(const mariadb_gtid_source& s, gtid_range iv);

  gtid_set& unite(const gtid_set& other);
  gtid_set& subtract(const gtid_set& other);
  [[nodiscard]] friend gtid_set operator|(gtid_set a, const gtid_set& b) { return std::move(a.unite(b)); }
  [[nodiscard]] friend gtid_set operator-(gtid_set a, const gtid_set& b) { return std::move(a.subtract(b)); }
  // The part of this set whose sources (MariaDB domain and server, MySQL uuid and tag)
  // `other` also names.
  [[nodiscard]] gtid_set only_sources_of(const gtid_set& other) const;

  [[nodiscard]] const std::map<mariadb_gtid_source, gtid_ranges>& mariadb() const noexcept { return mariadb_; }
  [[nodiscard]] const std::map<mysql_gtid_source, gtid_ranges>& mysql() const noexcept { return mysql_; }

  friend bool operator==(const gtid_set& a, const gtid_set& b) noexcept {
    return a.mariadb_ == b.mariadb_ && a.mysql_ == b.mysql_;
  }

 private:
  void drop_cache() noexcept { hot_key_ = nullptr; hot_ = nullptr; }
  std::map<mariadb_gtid_source, gtid_ranges> mariadb_;
  std::map<mysql_gtid_source, gtid_ranges> mysql_;
  // The list add(gtid_ref) extended last (map nodes are stable; reset on erase).
  const mysql_gtid_source* hot_key_ = nullptr;
  gtid_ranges* hot_ = nullptr;
};

// A MariaDB GTID position: per domain the last GTID ("0-1-20,1-2-7", the form of
// @@gtid_slave_pos). Later items of a domain replace earlier ones, as the server reads it.
class mariadb_gtid_position {
 public:
  // "" is the empty position. Errors: "GTID position: a MariaDB GTID is
  // domain-server-seq", "GTID position: MariaDB GTID parts are decimal numbers", "GTID
  // position: domain and server ids are 32-bit".
  [[nodiscard]] static result<mariadb_gtid_position> parse(std::string_view text);
  [[nodiscard]] std::string text() const;  // "d-s-n" by domain, joined by ","

  void set(const mariadb_gtid& g) { domains_[g.domain_id] = g; }
  void erase(std::uint32_t domain) { domains_.erase(domain); }
  [[nodiscard]] const mariadb_gtid* find(std::uint32_t domain) const noexcept;
  [[nodiscard]] const std::map<std::uint32_t, mariadb_gtid>& domains() const noexcept { return domains_; }
  [[nodiscard]] bool empty() const noexcept { return domains_.empty(); }

 private:
  std::map<std::uint32_t, mariadb_gtid> domains_;
};

}  // namespace binlogkit
