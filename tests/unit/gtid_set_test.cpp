// GTID sets and MariaDB GTID positions (binlogkit/events/gtid_set.hpp): the operations
// against a brute-force model (a std::set of (source, number)) over many random small
// sets, parse/print round trips, and the exact errors for bad text.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <tuple>

#include "binlogkit/events/gtid_set.hpp"

using namespace binlogkit;

namespace {

// (flavour 0 MariaDB / 1 MySQL, source index, number)
using model = std::set<std::tuple<int, int, std::uint64_t>>;

// Sources: MariaDB (domain, server) pairs, MySQL (uuid, tag) pairs.
const mariadb_gtid_source maria_src[] = {{0, 1}, {0, 2}, {7, 1}};
mysql_gtid_source mysql_src(int i) {
  mysql_gtid_source s;
  s.uuid.fill(static_cast<std::uint8_t>(0x10 + (i / 2)));
  s.tag = i % 2 == 0 ? "" : "tag_" + std::to_string(i);
  return s;
}
constexpr int sources = 3;
constexpr std::uint64_t max_number = 12;

gtid_set to_set(const model& m) {
  gtid_set s;
  for (auto [f, i, n] : m) {
    if (f == 0) s.add(maria_src[i], {n, n});
    else s.add(mysql_src(i), {n, n});
  }
  return s;
}

model to_model(const gtid_set& s) {
  model m;
  for (int i = 0; i < sources; ++i) {
    for (std::uint64_t n = 0; n <= max_number + 1; ++n) {
      if (s.contains(maria_src[i], n)) m.emplace(0, i, n);
      if (n > 0 && s.contains(mysql_src(i), n)) m.emplace(1, i, n);
    }
  }
  return m;
}

// The invariant of every interval list: sorted, disjoint, not adjacent.
bool canonical(const gtid_set& s) {
  auto ok = [](const gtid_ranges& iv) {
    if (iv.empty()) return false;  // a source without numbers is not kept
    for (std::size_t k = 0; k < iv.size(); ++k) {
      if (iv[k].last < iv[k].first) return false;
      if (k > 0 && iv[k].first <= iv[k - 1].last + 1) return false;
    }
    return true;
  };
  for (const auto& [src, iv] : s.mariadb()) {
    if (!ok(iv)) return false;
  }
  for (const auto& [src, iv] : s.mysql()) {
    if (!ok(iv)) return false;
  }
  return true;
}

model random_model(std::mt19937& rng) {
  model m;
  std::uniform_int_distribution<int> count(0, 14), flav(0, 1), src(0, sources - 1);
  std::uniform_int_distribution<std::uint64_t> num(1, max_number);
  // Runs of numbers, so that intervals form, touch and overlap.
  for (int k = count(rng); k > 0; --k) {
    const int f = flav(rng), i = src(rng);
    std::uint64_t a = num(rng), len = num(rng) % 4;
    for (std::uint64_t n = a; n <= std::min(a + len, max_number); ++n) m.emplace(f, i, n);
  }
  return m;
}

}  // namespace

TEST_SUITE("gtid_set") {
  TEST_CASE("union, subtract, contains and text agree with a brute-force model") {
    std::mt19937 rng(20261207);
    for (int round = 0; round < 3000; ++round) {
      const model ma = random_model(rng), mb = random_model(rng);
      const gtid_set a = to_set(ma), b = to_set(mb);
      CAPTURE(a.text(","));
      CAPTURE(b.text(","));
      REQUIRE(canonical(a));
      CHECK(a.empty() == ma.empty());
      CHECK(to_model(a) == ma);

      model mu = ma, md;
      mu.insert(mb.begin(), mb.end());
      for (const auto& x : ma) {
        if (mb.count(x) == 0) md.insert(x);
      }
      const gtid_set u = a | b, d = a - b;
      CHECK(to_model(u) == mu);
      CHECK(to_model(d) == md);
      CHECK(canonical(u));
      CHECK(canonical(d));
      const bool subset = std::includes(ma.begin(), ma.end(), mb.begin(), mb.end());
      CHECK(a.contains(b) == subset);
      CHECK(u == to_set(mu));  // one canonical form, however it was built
      CHECK(u.contains(a));
      CHECK(u.contains(b));

      // Only the sources of b.
      model mo;
      for (const auto& x : ma) {
        for (const auto& y : mb) {
          if (std::get<0>(x) == std::get<0>(y) && std::get<1>(x) == std::get<1>(y)) mo.insert(x);
        }
      }
      CHECK(to_model(a.only_sources_of(b)) == mo);

      // Round trip through the text, both separators.
      if (!a.empty()) {
        auto back = gtid_set::parse(a.text());
        REQUIRE(back);
        CHECK(*back == a);
        auto back1 = gtid_set::parse(a.text(","));
        REQUIRE(back1);
        CHECK(*back1 == a);
      }
    }
  }

  TEST_CASE("add of a transaction's GTID: in order, out of order, again") {
    gtid_set s;
    gtid_ref g;
    g.k = gtid_ref::kind::mysql;
    g.uuid.fill(0xab);
    g.tag = "Tag_A";
    for (std::int64_t n : {1, 2, 3, 7, 5, 6, 4}) {
      g.gno = n;
      CHECK(s.add(g));
    }
    g.gno = 3;
    CHECK_FALSE(s.add(g));
    g.tag = "";
    g.gno = 9;
    CHECK(s.add(g));
    CHECK(s.text() == "abababab-abab-abab-abab-abababababab:9:tag_a:1-7");
    gtid_ref m;
    m.k = gtid_ref::kind::mariadb;
    m.domain_id = 1;
    m.server_id = 2;
    m.seq_no = 30;
    CHECK(s.add(m));
    CHECK_FALSE(s.add(m));
    CHECK(s.text(",") == "1-2-30,abababab-abab-abab-abab-abababababab:9:tag_a:1-7");
    g.gno = 0;
    CHECK_FALSE(s.add(g));  // MySQL numbers start at 1
    CHECK_FALSE(s.add(gtid_ref{}));
  }

  TEST_CASE("parse and print: MariaDB ranges, MySQL tags and case, blanks") {
    auto s = gtid_set::parse(" 0-1-10-20 ,0-1-21, 3-7-1,\n3E11FA47-71CA-11E1-9E33-C80AA9429562:5:1-4:TAG:3 ,");
    REQUIRE(s);
    CHECK(s->text() == "0-1-10-21,3-7-1,3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:tag:3");
    auto two = gtid_set::parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1,4e11fa47-71ca-11e1-9e33-c80aa9429562:2-3");
    REQUIRE(two);
    CHECK(two->text() == "3e11fa47-71ca-11e1-9e33-c80aa9429562:1,\n4e11fa47-71ca-11e1-9e33-c80aa9429562:2-3");
    auto big = gtid_set::parse("4294967295-4294967295-18446744073709551615");
    REQUIRE(big);
    CHECK(big->text() == "4294967295-4294967295-18446744073709551615");
    auto top = gtid_set::parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:9223372036854775807");
    CHECK(top);
  }

  TEST_CASE("malformed sets: the exact error") {
    const std::pair<const char*, std::string_view> cases[] = {
        {"", "GTID set is empty"},
        {" , ", "GTID set is empty"},
        {"0-1", "GTID set: a MariaDB GTID is domain-server-seq or domain-server-first-last"},
        {"0-1-2-3-4", "GTID set: a MariaDB GTID is domain-server-seq or domain-server-first-last"},
        {"a-b-c", "GTID set: MariaDB GTID parts are decimal numbers"},
        {"0--1-2", "GTID set: MariaDB GTID parts are decimal numbers"},
        {"0-1-18446744073709551616", "GTID set: MariaDB GTID parts are decimal numbers"},
        {"4294967296-1-1", "GTID set: domain and server ids are 32-bit"},
        {"0-1-9-3", "GTID set: a range ends before it starts"},
        {"nope:1", "GTID set: a MySQL GTID starts with a UUID"},
        {"3e11fa4771ca-11e1-9e33-c80aa9429562-:1", "GTID set: a MySQL GTID starts with a UUID"},
        {"3e11fa47-71ca-11e1-9e33-c80aa942956g:1", "GTID set: a MySQL GTID starts with a UUID"},
        {"3e11fa47-71ca-11e1-9e33-c80aa9429562:", "GTID set: an interval is N or N-M"},
        {"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-", "GTID set: an interval is N or N-M"},
        {"3e11fa47-71ca-11e1-9e33-c80aa9429562:t-x:1", "GTID set: an interval is N or N-M"},
        {"3e11fa47-71ca-11e1-9e33-c80aa9429562:0", "GTID set: an interval is empty or starts at 0"},
        {"3e11fa47-71ca-11e1-9e33-c80aa9429562:5-2", "GTID set: an interval is empty or starts at 0"},
        {"3e11fa47-71ca-11e1-9e33-c80aa9429562:9223372036854775808", "GTID set: an interval is empty or starts at 0"},
        {"3e11fa47-71ca-11e1-9e33-c80aa9429562:tag", "GTID set: a tag without intervals after it"},
        {"3e11fa47-71ca-11e1-9e33-c80aa9429562:1:tag", "GTID set: a tag without intervals after it"},
        {"3e11fa47-71ca-11e1-9e33-c80aa9429562:a:b:1", "GTID set: a tag without intervals after it"},
        {"3e11fa47-71ca-11e1-9e33-c80aa9429562:a23456789012345678901234567890123:1",
         "GTID set: an interval is N or N-M"},
    };
    for (const auto& [text, message] : cases) {
      CAPTURE(text);
      auto s = gtid_set::parse(text);
      REQUIRE_FALSE(s);
      CHECK(s.error().code == errc::bad_value);
      CHECK(s.error().detail == message);
    }
  }

  TEST_CASE("MariaDB positions: last GTID per domain, later items win, exact errors") {
    auto p = mariadb_gtid_position::parse(" 1-2-7,\n0-1-20 , 1-3-9,");
    REQUIRE(p);
    CHECK(p->text() == "0-1-20,1-3-9");
    REQUIRE(p->find(1) != nullptr);
    CHECK(p->find(1)->server_id == 3);
    CHECK(p->find(2) == nullptr);
    auto empty = mariadb_gtid_position::parse("");
    REQUIRE(empty);
    CHECK(empty->empty());
    const std::pair<const char*, std::string_view> cases[] = {
        {"0-1-2-3", "GTID position: a MariaDB GTID is domain-server-seq"},
        {"0-1", "GTID position: a MariaDB GTID is domain-server-seq"},
        {"3e11fa47-71ca-11e1-9e33-c80aa9429562:1", "GTID position: a MariaDB GTID is domain-server-seq"},
        {"0-x-2", "GTID position: MariaDB GTID parts are decimal numbers"},
        {"0-4294967296-2", "GTID position: domain and server ids are 32-bit"},
    };
    for (const auto& [text, message] : cases) {
      CAPTURE(text);
      auto q = mariadb_gtid_position::parse(text);
      REQUIRE_FALSE(q);
      CHECK(q.error().detail == message);
    }
  }
}
