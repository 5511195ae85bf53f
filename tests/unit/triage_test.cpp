// triage: damage detection, the last good position and the resume point, salvage.
//
// 1. The fault-injection matrix. Real binlogs and relay logs (MariaDB 10.11 from
//    testdata/, MySQL 5.0-8.0 from the shared corpus) are damaged in memory (the inputs
//    are never written) with single bit flips, dropped and inserted bytes, truncation, a
//    zeroed 4 KiB page, 64 bytes of garbage and a duplicated event, and every report is
//    compared with an answer computed without triage:
//      * the structure of the undamaged file: its event boundaries from an event_reader
//        walk of the pristine bytes (tests/unit/corpus_test.cpp checks those against
//        mariadb-binlog), and where each fault's first modified byte lies among them;
//      * its transactions from tests/triage/transactions.tsv, which tests/triage/make-oracle
//        wrote from mariadb-binlog / SHOW RELAYLOG EVENTS output with a transaction grammar
//        of its own (where each begins and ends, its GTID, its source position).
//    With CRC32 every fault must be found at or before the event that holds it, and the
//    last good position must be the end of the last transaction that ends at or before
//    that event, exactly. Without checksums a changed byte that leaves every length intact
//    cannot be seen; there the one property that must always hold is that no last good
//    position lies past the fault, and an undamaged verdict must say "unverifiable". The
//    detection rate per fault kind is printed, and written to
//    tests/triage/detection-rates.md when BINLOGKIT_WRITE_DETECTION_RATES=1 is set
//    (see tests/triage/README.md).
// 2. Exact answers for the damaged files of the corpus (tests/corpus/damaged.tsv), each
//    derived from the bytes in its comment.
// 3. salvage_copy: the copy ends at the last good position, reads back cleanly, and its
//    first format description no longer says "in use", with its CRC32 still right.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "binlogkit/core/crc32.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/triage/triage.hpp"
#include "support/binlog_builder.hpp"
#include "triage/oracle.hpp"
#include "support/ci.hpp"
#include "support/relay_set.hpp"

using namespace binlogkit;
using namespace bk_test;

namespace {

// ---- inputs ---------------------------------------------------------------------------

struct pristine_event {
  std::uint64_t offset = 0, end = 0;
  std::uint8_t type = 0;
};

struct input_file {
  std::string key;   // the oracle's name ("testdata/...", "corpus/...")
  std::string name;  // the name triage is given (the file's base name)
  std::vector<std::uint8_t> data;
  std::vector<pristine_event> events;  // from an event_reader walk of the undamaged bytes
  bool checksums = false;
};

std::string base_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

input_file load_input(const std::string& key) {
  input_file f;
  f.key = key;
  f.name = base_name(key);
  f.data = read_file(oracle_path(key));
  REQUIRE_MESSAGE(!f.data.empty(), key);
  event_reader r(as_bytes(f.data));
  for (;;) {
    auto next = r.next();
    REQUIRE_MESSAGE(next, key << ": the undamaged file must read cleanly: " << next.error().message());
    if (!next->has_value()) break;
    const event_view& ev = **next;
    if (f.events.empty()) f.checksums = ev.format->has_checksums();
    f.events.push_back({ev.offset, ev.end_offset(), ev.header.type_code});
  }
  REQUIRE_MESSAGE(!f.events.empty(), key);
  REQUIRE(f.events.back().end == f.data.size());
  return f;
}

// A position in a set of files: (index of the file, offset in it).
struct set_pos {
  std::size_t file = 0;
  std::uint64_t offset = 0;
  friend auto operator<=>(const set_pos&, const set_pos&) = default;
};

struct input_set {
  std::string label;
  std::vector<const input_file*> files;
  std::vector<oracle_txn> txns;   // beginning and ending in files of the set, in order
  std::vector<set_pos> txn_begin, txn_end;
  std::vector<oracle_gtid_list> lists;  // MariaDB GTID_LIST events, in order
  std::vector<set_pos> list_pos;
  bool checksums = true;
  bool mariadb = false;

  std::optional<std::size_t> index_of(const std::string& name) const {
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (files[i]->name == name) return i;
    }
    return std::nullopt;
  }
};

input_set make_set(std::string label, std::vector<const input_file*> files) {
  input_set s;
  s.label = std::move(label);
  s.files = std::move(files);
  std::map<std::string, std::size_t> idx;
  for (std::size_t i = 0; i < s.files.size(); ++i) {
    idx[s.files[i]->key] = i;
    s.checksums = s.checksums && s.files[i]->checksums;
  }
  for (const auto& t : oracle_transactions()) {
    auto b = idx.find(t.begin_file);
    auto e = idx.find(t.file);
    if (b == idx.end() || e == idx.end()) continue;
    s.txns.push_back(t);
    s.txn_begin.push_back({b->second, t.begin});
    s.txn_end.push_back({e->second, t.end});
  }
  for (const auto& l : oracle_gtid_lists()) {
    auto i = idx.find(l.file);
    if (i == idx.end()) continue;
    s.lists.push_back(l);
    s.list_pos.push_back({i->second, l.offset});
  }
  for (const auto& t : s.txns) {
    if (t.gtid.find('-') != std::string::npos && t.gtid.find(':') == std::string::npos) s.mariadb = true;
  }
  if (!s.lists.empty()) s.mariadb = true;
  return s;
}

// The transactions in the set in order must be sorted by end (a sanity check of the TSV).
void check_sorted(const input_set& s) {
  for (std::size_t i = 1; i < s.txn_end.size(); ++i) REQUIRE(s.txn_end[i - 1] < s.txn_end[i]);
}

// ---- the expected answer ------------------------------------------------------------

// The last transaction that ends at or before `p`.
std::optional<std::size_t> last_txn_before(const input_set& s, set_pos p) {
  std::optional<std::size_t> last;
  for (std::size_t i = 0; i < s.txns.size(); ++i) {
    if (s.txn_end[i] <= p) last = i;
  }
  return last;
}

// Whether a transaction is open at `p` (begun before it, ending after it).
bool txn_open_at(const input_set& s, set_pos p) {
  for (std::size_t i = 0; i < s.txns.size(); ++i) {
    if (s.txn_begin[i] < p && p < s.txn_end[i]) return true;
  }
  return false;
}

// MariaDB: gtid_slave_pos after transaction k: the first GTID_LIST read before any
// transaction began, then each transaction's GTID, the last per domain, by domain.
// MySQL: the executed set, uuid:a-b intervals, ",\n" between uuids. nullopt when the set
// has tagged GTIDs (not decoded by the oracle).
std::optional<std::string> expected_gtid_state(const input_set& s, std::size_t k) {
  if (s.mariadb) {
    std::map<std::uint32_t, std::string> by_domain;
    auto put = [&](const std::string& g) {
      auto dash = g.find('-');
      if (dash == std::string::npos) return;
      by_domain[static_cast<std::uint32_t>(std::stoul(g.substr(0, dash)))] = g;
    };
    for (std::size_t i = 0; i < s.lists.size(); ++i) {
      const bool before_any = s.txns.empty() || s.list_pos[i] < s.txn_begin[0];
      if (!before_any) continue;
      std::istringstream in(s.lists[i].gtids);
      for (std::string g; std::getline(in, g, ',');) put(g);
    }
    for (std::size_t i = 0; i <= k; ++i) put(s.txns[i].gtid);
    std::string out;
    for (const auto& [d, g] : by_domain) out += (out.empty() ? "" : ",") + g;
    return out;
  }
  std::map<std::string, std::set<std::int64_t>> sets;
  for (std::size_t i = 0; i <= k; ++i) {
    const auto& g = s.txns[i].gtid;
    if (g == "tagged") return std::nullopt;
    if (g.empty() || g == "ANONYMOUS") continue;
    auto colon = g.find(':');
    sets[g.substr(0, colon)].insert(std::stoll(g.substr(colon + 1)));
  }
  std::string out;
  for (const auto& [uuid, gnos] : sets) {
    if (!out.empty()) out += ",\n";
    out += uuid;
    std::int64_t a = 0, b = -1;
    auto flush = [&] {
      if (b < a) return;
      out += ":" + std::to_string(a);
      if (b > a) out += "-" + std::to_string(b);
    };
    for (auto n : gnos) {
      if (b >= a && n == b + 1) {
        b = n;
        continue;
      }
      flush();
      a = b = n;
    }
    flush();
  }
  return out;
}

// ---- faults -------------------------------------------------------------------------

enum class fault_kind { bit_flip, drop, insert, truncation, zero_page, garbage, duplicate };
// Reported by kind, truncations split by where the cut is (index 7: at an event boundary;
// one between two transactions is no damage and is judged, but not counted in the rates).
constexpr const char* kind_names[] = {"bit flips", "dropped bytes", "inserted bytes", "cuts inside an event",
                                      "zeroed 4 KiB pages", "64-byte garbage blocks", "duplicated events",
                                      "cuts between events of a transaction"};
constexpr int cut_at_boundary = 7;

struct fault {
  fault_kind kind{};
  std::size_t file = 0;                // index in the set
  std::vector<std::uint8_t> damaged;   // that file's bytes after the fault
  std::uint64_t mod_begin = 0, mod_end = 0;  // the changed bytes, in damaged-file offsets
  std::string what;
};

// Deterministic pseudo-random numbers (splitmix64).
struct prng {
  std::uint64_t s;
  explicit prng(std::uint64_t seed) : s(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
};
std::uint64_t seed_of(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// The events a file's structured faults are applied to: all of them in small files,
// an even sample (with the first and last few) in large ones.
std::vector<std::size_t> sampled_events(const input_file& f, std::size_t max_events) {
  std::vector<std::size_t> v;
  const std::size_t n = f.events.size();
  if (n <= max_events) {
    for (std::size_t i = 0; i < n; ++i) v.push_back(i);
    return v;
  }
  std::set<std::size_t> pick;
  for (std::size_t i = 0; i < 4 && i < n; ++i) {
    pick.insert(i);
    pick.insert(n - 1 - i);
  }
  for (std::size_t i = 0; pick.size() < max_events && i < max_events; ++i) pick.insert(i * n / max_events);
  return {pick.begin(), pick.end()};
}

// The FDE's LOG_EVENT_BINLOG_IN_USE_F bit lies outside its CRC32 on purpose (servers
// clear it on close): flipping it is not damage, so the flip sample avoids it.
bool in_use_bit(const input_file& f, std::uint64_t offset, int bit) {
  for (const auto& e : f.events) {
    if (e.type == static_cast<std::uint8_t>(event_type::format_description) && offset == e.offset + 17 && bit == 0) {
      return true;
    }
    if (e.offset > offset) break;
  }
  return false;
}

fault flip(const input_file& f, std::size_t file, std::uint64_t at, int bit) {
  if (in_use_bit(f, at, bit)) bit = 1;
  fault x{fault_kind::bit_flip, file, f.data, at, at + 1, ""};
  x.damaged[at] = static_cast<std::uint8_t>(x.damaged[at] ^ (1u << bit));
  x.what = "flip bit " + std::to_string(bit) + " of byte " + std::to_string(at);
  return x;
}
fault drop(const input_file& f, std::size_t file, std::uint64_t at, std::uint64_t n) {
  n = std::min<std::uint64_t>(n, f.data.size() - at);
  fault x{fault_kind::drop, file, f.data, at, at + 1, ""};
  const auto from = x.damaged.begin() + static_cast<std::ptrdiff_t>(at);
  x.damaged.erase(from, from + static_cast<std::ptrdiff_t>(n));
  x.mod_end = std::min<std::uint64_t>(at + 1, x.damaged.size());
  x.what = "drop " + std::to_string(n) + " bytes at " + std::to_string(at);
  return x;
}
fault insert(const input_file& f, std::size_t file, std::uint64_t at, std::uint64_t n, prng& rng) {
  fault x{fault_kind::insert, file, f.data, at, at + n, ""};
  std::vector<std::uint8_t> extra;
  for (std::uint64_t i = 0; i < n; ++i) extra.push_back(static_cast<std::uint8_t>(rng.next()));
  x.damaged.insert(x.damaged.begin() + static_cast<std::ptrdiff_t>(at), extra.begin(), extra.end());
  x.what = "insert " + std::to_string(n) + " bytes at " + std::to_string(at);
  return x;
}
fault truncate(const input_file& f, std::size_t file, std::uint64_t at) {
  fault x{fault_kind::truncation, file, {f.data.begin(), f.data.begin() + static_cast<std::ptrdiff_t>(at)}, at, at, ""};
  x.what = "truncate at " + std::to_string(at);
  return x;
}
fault zero_page(const input_file& f, std::size_t file, std::uint64_t at) {
  const std::uint64_t end = std::min<std::uint64_t>(at + 4096, f.data.size());
  fault x{fault_kind::zero_page, file, f.data, at, end, ""};
  const auto from = x.damaged.begin() + static_cast<std::ptrdiff_t>(at);
  std::fill(from, from + static_cast<std::ptrdiff_t>(end - at), 0);
  x.what = "zero [" + std::to_string(at) + ", " + std::to_string(end) + ")";
  return x;
}
fault garbage(const input_file& f, std::size_t file, std::uint64_t at, prng& rng) {
  const std::uint64_t end = std::min<std::uint64_t>(at + 64, f.data.size());
  fault x{fault_kind::garbage, file, f.data, at, end, ""};
  for (auto i = at; i < end; ++i) x.damaged[i] = static_cast<std::uint8_t>(rng.next());
  x.what = "garbage over [" + std::to_string(at) + ", " + std::to_string(end) + ")";
  return x;
}
fault duplicate(const input_file& f, std::size_t file, const pristine_event& e) {
  fault x{fault_kind::duplicate, file, f.data, e.end, e.end + (e.end - e.offset), ""};
  std::vector<std::uint8_t> copy(f.data.begin() + static_cast<std::ptrdiff_t>(e.offset),
                                 f.data.begin() + static_cast<std::ptrdiff_t>(e.end));
  x.damaged.insert(x.damaged.begin() + static_cast<std::ptrdiff_t>(e.end), copy.begin(), copy.end());
  x.what = "duplicate the event at " + std::to_string(e.offset) + " (" + std::to_string(e.end - e.offset) + " bytes)";
  return x;
}

struct fault_budget {
  std::size_t max_events = 200;   // structured faults on at most this many events per file
  std::size_t random_flips = 200;
  std::size_t random_drops = 20, random_inserts = 20;
  std::size_t garbage_blocks = 10;
  std::size_t max_truncations = 400;
};

// Every fault of one file, passed one at a time to `run` (the damaged copies are large).
template <class F>
void for_each_fault(const input_file& f, std::size_t file, const fault_budget& b, F&& run) {
  prng rng(seed_of(f.key));
  const auto sample = sampled_events(f, b.max_events);
  const std::uint64_t size = f.data.size();

  // Bit flips: every byte of every format description (one bit each, varying: it says
  // how every later event is framed and whether it is checksummed); every header
  // byte of the sampled events, a byte in the middle of the body, the checksum bytes;
  // then random positions.
  for (std::uint64_t i = 0; i < binlog_magic_size; ++i) run(flip(f, file, i, static_cast<int>(i * 3 % 8)));
  for (const auto& e : f.events) {
    if (e.type != static_cast<std::uint8_t>(event_type::format_description)) continue;
    for (std::uint64_t i = e.offset; i < e.end; ++i) run(flip(f, file, i, static_cast<int>((i * 5) % 8)));
    // The checksum-algorithm byte 1 (CRC32) turned into 0 (OFF).
    if (f.checksums) run(flip(f, file, e.end - 5, 0));
  }
  for (std::size_t k : sample) {
    const auto& e = f.events[k];
    const std::uint64_t len = e.end - e.offset;
    for (std::uint64_t i = 0; i < 19 && i < len; ++i) {
      run(flip(f, file, e.offset + i, static_cast<int>((i * 3 + k) % 8)));
    }
    if (len > 19 + 8) run(flip(f, file, e.offset + 19 + (len - 19) / 2, static_cast<int>(k % 8)));
    if (f.checksums && len >= 23) {
      for (std::uint64_t i = len - 4; i < len; ++i) run(flip(f, file, e.offset + i, static_cast<int>((i + k) % 8)));
    }
  }
  for (std::size_t i = 0; i < b.random_flips; ++i) {
    run(flip(f, file, rng.below(size), static_cast<int>(rng.below(8))));
  }

  // Dropped and inserted bytes: at the start of sampled events, in their size field, in
  // the middle of their body; then random positions.
  std::vector<std::uint64_t> at;
  for (std::size_t j = 0; j < sample.size(); j += 2) {
    const auto& e = f.events[sample[j]];
    at.push_back(e.offset);
    at.push_back(e.offset + 9);
    at.push_back(e.offset + (e.end - e.offset) / 2);
  }
  for (std::size_t i = 0; i < b.random_drops; ++i) at.push_back(4 + rng.below(size - 4));
  for (auto p : at) {
    if (p >= size) continue;
    run(drop(f, file, p, 1));
    run(drop(f, file, p, 7));
  }
  at.resize(at.size() - b.random_drops);
  for (std::size_t i = 0; i < b.random_inserts; ++i) at.push_back(4 + rng.below(size - 4));
  for (auto p : at) {
    if (p >= size) continue;
    run(insert(f, file, p, 1, rng));
    run(insert(f, file, p, 5, rng));
  }

  // Truncation at every event boundary after the first event and in the middle of every
  // event (a sample in large files).
  const auto cuts = sampled_events(f, b.max_truncations / 2);
  for (std::size_t k : cuts) {
    const auto& e = f.events[k];
    if (k > 0) run(truncate(f, file, e.offset));
    run(truncate(f, file, e.offset + (e.end - e.offset) / 2));
  }

  // Zeroed 4 KiB pages at page-aligned offsets (a few), and at the middle of small files.
  std::vector<std::uint64_t> pages;
  const std::uint64_t page_count = (size + 4095) / 4096;
  for (std::uint64_t i = 0; i < 4 && i < page_count; ++i) pages.push_back((i * page_count / 4) * 4096);
  if (size < 8192) pages.push_back(size / 2);
  for (auto p : pages) {
    if (p < size) run(zero_page(f, file, p));
  }

  for (std::size_t i = 0; i < b.garbage_blocks; ++i) run(garbage(f, file, 4 + rng.below(size - 4), rng));

  for (std::size_t j = 0; j < sample.size(); j += 2) run(duplicate(f, file, f.events[sample[j]]));
}

// ---- running and judging --------------------------------------------------------------

std::string describe(const std::optional<resume_point>& p) {
  if (!p) return "none";
  return p->relay_file + ":" + std::to_string(p->relay_pos) + " (source " + p->source.file + ":" +
         std::to_string(p->source.pos) + ", gtid '" + p->gtid + "')";
}
std::string describe(const triage_report& r) {
  std::ostringstream s;
  s << "exit " << r.exit_code() << ", damage [";
  for (std::size_t i = 0; i < r.damage.size() && i < 4; ++i) {
    const auto& d = r.damage[i];
    s << (i ? "; " : "") << d.file << ":" << d.offset << "+" << d.length << " " << to_string(d.code)
      << (d.tail ? " tail" : "");
  }
  if (r.damage.size() > 4) s << "; ... " << r.damage.size() << " ranges";
  s << "], last_good " << describe(r.last_good) << ", intact after " << r.intact_after_damage_count
    << (r.unverifiable ? ", unverifiable" : "");
  return s.str();
}

// Failures grouped by input, fault kind and property; each group keeps its count and
// the example with the smallest damaged input.
struct failure_log {
  struct group {
    std::size_t count = 0;
    std::size_t example_size = SIZE_MAX;
    std::string example;
  };
  std::map<std::string, group> groups;

  bool all = [] {
    const char* env = std::getenv("BINLOGKIT_TRIAGE_ALL_FAILURES");
    return env != nullptr && std::string(env) == "1";
  }();

  void add(const std::string& key, std::size_t size, const std::string& example) {
    if (all) MESSAGE(key << ": " << example);
    auto& g = groups[key];
    ++g.count;
    if (size < g.example_size) {
      g.example_size = size;
      g.example = example;
    }
  }
  void report() const {
    for (const auto& [key, g] : groups) {
      FAIL_CHECK(key << ": " << g.count << " case(s); e.g. " << g.example);
    }
  }
};

struct rates {
  std::map<std::string, std::map<int, std::pair<std::size_t, std::size_t>>> by_input;  // detected, total
};

struct judge {
  const input_set& set;
  failure_log& log;
  rates* detection = nullptr;
  std::size_t cases = 0;
  int kind = 0;  // of the case being judged (kind_names)

  void fail(const fault& f, const std::string& property, const triage_report& r, const std::string& expected) {
    std::ostringstream ex;
    ex << set.files[f.file]->name << ": " << f.what << ": expected " << expected << "; got " << describe(r);
    log.add(set.label + " | " + kind_names[kind] + " | " + property, f.damaged.size(), ex.str());
  }

  void run(const fault& f) {
    ++cases;
    const input_file& file = *set.files[f.file];
    // The inputs: the set with the damaged file in place; a truncated file ends the set.
    std::vector<triage_input> in;
    const std::size_t count = f.kind == fault_kind::truncation ? f.file + 1 : set.files.size();
    for (std::size_t i = 0; i < count; ++i) {
      in.push_back({set.files[i]->name, i == f.file ? as_bytes(f.damaged) : as_bytes(set.files[i]->data)});
    }
    const triage_report r = triage(in);

    // Where the fault is, in the undamaged file's structure: the first byte that differs
    // and the event holding it (the cut itself for a cut at an event boundary).
    const auto& pristine = file.data;
    std::uint64_t first = f.mod_begin;
    if (f.kind != fault_kind::truncation) {
      first = 0;
      while (first < pristine.size() && first < f.damaged.size() && pristine[first] == f.damaged[first]) ++first;
    }
    if (first >= pristine.size() && f.kind != fault_kind::truncation && f.damaged.size() == pristine.size()) return;
    std::uint64_t fault_offset = pristine.size();
    bool at_boundary = first >= pristine.size();
    if (first < binlog_magic_size) {
      fault_offset = 0;
    } else {
      for (const auto& e : file.events) {
        if (e.offset == first) at_boundary = true;
        if (e.offset <= first && first < e.end) {
          fault_offset = e.offset;
          break;
        }
      }
    }
    if (f.kind == fault_kind::truncation && at_boundary) fault_offset = first;
    kind = f.kind == fault_kind::truncation && at_boundary ? cut_at_boundary : static_cast<int>(f.kind);
    const set_pos fault_pos{f.file, fault_offset};
    const auto expected = last_txn_before(set, fault_pos);
    const bool clean_cut = f.kind == fault_kind::truncation && at_boundary && !txn_open_at(set, fault_pos);

    auto pos_of = [&](const std::string& name, std::uint64_t off) -> std::optional<set_pos> {
      auto i = set.index_of(name);
      if (!i) return std::nullopt;
      return set_pos{*i, off};
    };
    std::string expected_text = "last_good ";
    if (expected) {
      expected_text += set.files[set.txn_end[*expected].file]->name + ":" + std::to_string(set.txns[*expected].end);
    } else {
      expected_text += "none";
    }

    const bool detected = !r.damage.empty();
    if (detection != nullptr && !clean_cut) {
      auto& c = detection->by_input[set.label][kind];
      c.second += 1;
      c.first += detected ? 1 : 0;
    }

    // The one property that holds for every input: no last good position past the fault.
    if (detected && r.last_good) {
      auto p = pos_of(r.last_good->relay_file, r.last_good->relay_pos);
      if (!p || fault_pos < *p) fail(f, "last_good past the fault", r, expected_text);
    }
    if (!detected && !clean_cut && !set.checksums && !r.unverifiable) {
      fail(f, "undetected and not unverifiable", r, "damage or unverifiable");
    }

    if (clean_cut) {
      // The file ends between transactions: nothing is damaged.
      if (detected || r.exit_code() != 0) fail(f, "clean cut reported as damage", r, "exit 0, " + expected_text);
      if (!same_point(r.last_good, expected)) fail(f, "clean cut: wrong last_good", r, expected_text);
      return;
    }
    // Without checksums only faults found at or before their event are judged further.
    if (!detected) {
      if (set.checksums) fail(f, "undetected", r, "damage at or before offset " + std::to_string(fault_offset));
      return;
    }
    const auto first_damage = pos_of(r.damage.front().file, r.damage.front().offset);
    const bool on_time = first_damage && *first_damage <= fault_pos;
    if (!on_time) {
      if (set.checksums) {
        fail(f, "damage found after the event holding the fault", r,
             "damage at or before offset " + std::to_string(fault_offset));
      }
      return;
    }

    // Without checksums the event just before a broken chain cannot be confirmed (its own
    // size may be what broke), so triage may resume one transaction earlier: an earlier
    // last good position is accepted there, never a later one.
    bool conservative = false;
    if (!set.checksums && !same_point(r.last_good, expected)) {
      const bool earlier = !r.last_good || (expected && pos_of(r.last_good->relay_file, r.last_good->relay_pos) &&
                                            *pos_of(r.last_good->relay_file, r.last_good->relay_pos) <
                                                set_pos{set.txn_end[*expected].file, set.txns[*expected].end});
      conservative = earlier;
    }
    if (!same_point(r.last_good, expected) && !conservative) fail(f, "wrong last_good", r, expected_text);
    else if (expected && !conservative) check_point(f, r, *expected, expected_text);
    int want_exit = expected && !(conservative && !r.last_good) ? 1 : 3;
    // A damaged relay-log set with no executed position given: the plan lets the server
    // resume from its own executed state where the logs carry GTIDs (MariaDB always; MySQL
    // with a GTID set at the last good point), and there is no plan without them.
    if (r.relay) want_exit = r.flavor == flavor::mariadb || (r.last_good && !r.last_good->gtid_state.empty()) ? 1 : 3;
    if (r.exit_code() != want_exit && !(r.exit_code() == 2 && r.unreadable)) {
      fail(f, "wrong exit code", r, "exit " + std::to_string(want_exit) + ", " + expected_text);
    }
    if (f.kind == fault_kind::truncation) {
      const auto& d = r.damage.back();
      if (!d.tail || d.code != errc::truncated || d.file != file.name || d.offset + d.length != f.damaged.size()) {
        fail(f, "torn tail not reported as a truncated tail", r, "last damage truncated, tail, ending at the cut");
      }
    }
    // Nothing counted intact after the damage may hold a changed byte.
    for (const auto& t : r.intact_after_damage) {
      const bool starts_here = t.file == file.name, ends_here = t.end_file == file.name;
      const std::uint64_t b = starts_here ? t.begin : 0;
      const std::uint64_t e = ends_here ? t.end : f.damaged.size();
      if (!starts_here && !ends_here) continue;
      if (f.kind != fault_kind::truncation && b < f.mod_end && f.mod_begin < e) {
        fail(f, "intact transaction overlaps a changed byte", r,
             "no intact transaction over [" + std::to_string(f.mod_begin) + ", " + std::to_string(f.mod_end) + ")");
        break;
      }
    }
  }

  bool same_point(const std::optional<resume_point>& got, const std::optional<std::size_t>& want) const {
    if (!got || !want) return !got && !want;
    return got->relay_file == set.files[set.txn_end[*want].file]->name && got->relay_pos == set.txns[*want].end;
  }

  // The rest of the resume point: GTID, source position, GTID state.
  void check_point(const fault& f, const triage_report& r, std::size_t k, const std::string& expected_text) {
    const auto& p = *r.last_good;
    const auto& t = set.txns[k];
    const bool relay = t.source_file != t.file;
    const std::string src_file = relay ? t.source_file : base_name(t.file);
    const bool gtid_ok = t.gtid == "tagged" ? !p.gtid.empty() : p.gtid == t.gtid;
    if (!gtid_ok || p.source.pos != t.source_pos || p.source.file != src_file) {
      fail(f, "wrong GTID or source position of last_good", r,
           expected_text + " (source " + src_file + ":" + std::to_string(t.source_pos) + ", gtid '" + t.gtid + "')");
    }
    if (auto state = expected_gtid_state(set, k); state && p.gtid_state != *state) {
      fail(f, "wrong gtid_state", r, "gtid_state '" + *state + "' but got '" + p.gtid_state + "'");
    }
  }
};

// ---- the inputs of the matrix ---------------------------------------------------------

const std::vector<input_file>& all_files() {
  static const std::vector<input_file> files = [] {
    std::vector<std::string> keys;
    for (int i = 1; i <= 5; ++i) keys.push_back("testdata/mariadb-10.11/mixed.00000" + std::to_string(i));
    keys.push_back("testdata/mariadb-10.11/compressed.000001");
    keys.push_back("testdata/mariadb-10.11/minimal.000001");
    keys.push_back("testdata/mariadb-10.11/nochecksum.000001");
    keys.push_back("corpus/blackbeam+rust_mysql_common/test-data__binlogs__json.binlog.000001");
    keys.push_back("corpus/rust-us+mysql-cdc-rs/tests__events__5.7__30_write_rows_v2__log.bin");
    keys.push_back("corpus/stoneatom+stonedb/mysql-test__std_data__binlog_transaction.000001");
    keys.push_back("corpus/osheroff+mysql-binlog-connector-java/src__test__resources__mysql-bin.sakila");
    keys.push_back("corpus/blackbeam+rust_mysql_common/test-data__binlogs__rpl_unfiltered_hidden_gcol.000001");
    keys.push_back("corpus/stoneatom+stonedb/mysql-test__std_data__bug33029-slave-relay-bin.000001");
    auto index = read_text(testdata_path("relay/mariadb-10.11/relay-bin.index"));
    // The relay-log set is the matrix's only relay input with CRC32: under CI its absence
    // fails rather than shrinking the matrix.
    if (index.empty()) {
      if (in_ci()) FAIL("missing test input under CI: testdata/relay/mariadb-10.11/relay-bin.index");
      MESSAGE("testdata/relay/mariadb-10.11 is absent: the fault matrix runs without the relay-log set");
    }
    std::istringstream lines(index);
    for (std::string l; std::getline(lines, l);) {
      if (!l.empty()) keys.push_back("testdata/relay/mariadb-10.11/" + l);
    }
    std::vector<input_file> v;
    for (const auto& k : keys) v.push_back(load_input(k));
    return v;
  }();
  return files;
}

const input_file* file_named(const std::string& key) {
  for (const auto& f : all_files()) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

std::vector<input_set> matrix_sets(bool with_checksums) {
  std::vector<input_set> sets;
  auto one = [&](const std::string& key) {
    if (const auto* f = file_named(key)) sets.push_back(make_set(f->name, {f}));
  };
  if (with_checksums) {
    std::vector<const input_file*> mixed;
    for (int i = 1; i <= 5; ++i) mixed.push_back(file_named("testdata/mariadb-10.11/mixed.00000" + std::to_string(i)));
    sets.push_back(make_set("mixed.000001-5 (set)", mixed));
    for (int i = 1; i <= 5; ++i) one("testdata/mariadb-10.11/mixed.00000" + std::to_string(i));
    one("testdata/mariadb-10.11/compressed.000001");
    one("testdata/mariadb-10.11/minimal.000001");
    one("corpus/blackbeam+rust_mysql_common/test-data__binlogs__json.binlog.000001");
    one("corpus/rust-us+mysql-cdc-rs/tests__events__5.7__30_write_rows_v2__log.bin");
    one("corpus/blackbeam+rust_mysql_common/test-data__binlogs__rpl_unfiltered_hidden_gcol.000001");
    std::vector<const input_file*> relay;
    for (const auto& f : all_files()) {
      if (f.key.rfind("testdata/relay/", 0) == 0) relay.push_back(&f);
    }
    if (!relay.empty()) sets.push_back(make_set("relay-bin.000001-13 (MariaDB relay-log set)", relay));
  } else {
    one("testdata/mariadb-10.11/nochecksum.000001");
    one("corpus/stoneatom+stonedb/mysql-test__std_data__binlog_transaction.000001");
    one("corpus/osheroff+mysql-binlog-connector-java/src__test__resources__mysql-bin.sakila");
    one("corpus/stoneatom+stonedb/mysql-test__std_data__bug33029-slave-relay-bin.000001");
  }
  return sets;
}

fault_budget budget_for(const input_set& s) {
  fault_budget b;
  std::size_t bytes = 0;
  for (const auto* f : s.files) bytes += f->data.size();
  if (bytes > 256 * 1024) {  // sakila: 1.4 MB, 1462 events
    b.max_events = 24;
    b.random_flips = 60;
    b.random_drops = b.random_inserts = 6;
    b.garbage_blocks = 4;
    b.max_truncations = 60;
  } else if (s.files.size() > 1) {  // a set: the faults of each file, with the others intact
    b.max_events = 60;
    b.random_flips = 60;
  }
  return b;
}

rates& detection_rates() {
  static rates r;
  return r;
}

void run_matrix(bool with_checksums) {
  auto sets = matrix_sets(with_checksums);
  REQUIRE_FALSE(sets.empty());
  failure_log log;
  std::size_t total = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& s : sets) {
    check_sorted(s);
    REQUIRE_MESSAGE(s.checksums == with_checksums, s.label);
    judge j{s, log, with_checksums ? nullptr : &detection_rates()};
    const auto b = budget_for(s);
    for (std::size_t i = 0; i < s.files.size(); ++i) {
      for_each_fault(*s.files[i], i, b, [&](const fault& f) { j.run(f); });
    }
    total += j.cases;
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  MESSAGE(total << " damaged inputs triaged in " << ms << " ms");
  log.report();
  CHECK(log.groups.empty());
}

// ---- exact answers ------------------------------------------------------------------

triage_report triage_one(const std::string& corpus_rel, std::vector<std::uint8_t>& storage) {
  storage = read_file(corpus_path(corpus_rel));
  REQUIRE_MESSAGE(!storage.empty(), corpus_rel);
  return triage({{base_name(corpus_rel), as_bytes(storage)}});
}

void check_single_damage(const triage_report& r, const std::string& file, std::uint64_t offset,
                         std::uint64_t length, errc code, bool tail) {
  INFO(describe(r));
  REQUIRE(r.damage.size() == 1);
  const auto& d = r.damage.front();
  CHECK(d.file == file);
  CHECK(d.offset == offset);
  CHECK(d.length == length);
  CHECK(d.code == code);
  CHECK(d.tail == tail);
}

// A file's first format description: offset 4, its size, its flags.
struct fde_view {
  std::uint32_t size = 0;
  std::uint16_t flags = 0;
};
fde_view first_fde(const std::vector<std::uint8_t>& data) {
  REQUIRE(data.size() >= 4 + 19);
  return {static_cast<std::uint32_t>(data[13] | data[14] << 8 | data[15] << 16 | data[16] << 24),
          static_cast<std::uint16_t>(data[21] | data[22] << 8)};
}

// Reads every event; returns the error, if any, and the end of the last event.
std::pair<std::optional<error>, std::uint64_t> read_all(bytes data) {
  event_reader r(data);
  std::uint64_t end = 4;
  for (;;) {
    auto next = r.next();
    if (!next) return {next.error(), end};
    if (!next->has_value()) return {std::nullopt, end};
    end = (*next)->end_offset();
  }
}

// tests/triage/detection-rates.md as the run of the matrix without checksums writes it.
std::string detection_rates_markdown(const std::map<int, std::pair<std::size_t, std::size_t>>& sum) {
  std::ostringstream out;
  out << "# Damage detection without checksums\n\n"
      << "Written by the test case \"triage: fault matrix, inputs without checksums\" of\n"
      << "`tests/unit/triage_test.cpp` when run with `BINLOGKIT_WRITE_DETECTION_RATES=1`\n"
      << "(see README.md); without it the test compares its run with this file and fails on\n"
      << "any difference. Each cell: damaged copies in which triage reported damage / all\n"
      << "damaged copies of that kind. A fault it did not report must leave the report\n"
      << "\"unverifiable\" (with CRC32 the test requires every fault to be found). Cuts at\n"
      << "an event boundary between two transactions are not damage and are not counted.\n\n";
  out << "| input |";
  for (const auto& [k, c] : sum) out << ' ' << kind_names[k] << " |";
  out << "\n|---|";
  for (std::size_t i = 0; i < sum.size(); ++i) out << "---|";
  out << '\n';
  auto row = [&](const std::string& label, const std::map<int, std::pair<std::size_t, std::size_t>>& kinds) {
    out << "| " << label << " |";
    for (const auto& [k, total] : sum) {
      auto it = kinds.find(k);
      if (it == kinds.end()) out << " |";
      else out << ' ' << it->second.first << '/' << it->second.second << " |";
    }
    out << '\n';
  };
  for (const auto& [input, kinds] : detection_rates().by_input) row(input, kinds);
  row("**all**", sum);
  return out.str();
}

// The cells of that table: (input, fault kind) -> (found, all).
std::map<std::pair<std::string, std::string>, std::pair<std::size_t, std::size_t>> parse_rate_cells(
    const std::string& md) {
  std::map<std::pair<std::string, std::string>, std::pair<std::size_t, std::size_t>> cells;
  std::vector<std::string> kinds;
  std::istringstream lines(md);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("| ", 0) != 0) continue;
    std::vector<std::string> col;
    std::istringstream parts(line.substr(1));
    for (std::string c; std::getline(parts, c, '|');) {
      const auto b = c.find_first_not_of(' '), e = c.find_last_not_of(' ');
      col.push_back(b == std::string::npos ? std::string() : c.substr(b, e - b + 1));
    }
    if (col.empty()) continue;
    if (col[0] == "input") {
      kinds.assign(col.begin() + 1, col.end());
      continue;
    }
    for (std::size_t i = 1; i < col.size() && i - 1 < kinds.size(); ++i) {
      const auto slash = col[i].find('/');
      if (slash == std::string::npos) continue;
      cells[{col[0], kinds[i - 1]}] = {std::stoull(col[i].substr(0, slash)), std::stoull(col[i].substr(slash + 1))};
    }
  }
  return cells;
}

}  // namespace

TEST_SUITE("triage") {
  TEST_CASE("triage: every undamaged input is clean, its last good position its last transaction") {
    for (bool crc : {true, false}) {
      for (const auto& s : matrix_sets(crc)) {
        INFO(s.label);
        std::vector<triage_input> in;
        for (const auto* f : s.files) in.push_back({f->name, as_bytes(f->data)});
        const auto r = triage(in);
        CHECK_MESSAGE(r.damage.empty(), describe(r));
        CHECK(r.exit_code() == 0);
        CHECK(r.checksums == s.checksums);
        CHECK(r.unverifiable == !s.checksums);
        CHECK(r.transactions_before_damage == s.txns.size());
        REQUIRE_FALSE(s.txns.empty());
        REQUIRE(r.last_good.has_value());
        CHECK(r.last_good->relay_file == s.files[s.txn_end.back().file]->name);
        CHECK(r.last_good->relay_pos == s.txns.back().end);
        CHECK(r.last_good->source.pos == s.txns.back().source_pos);
        if (auto state = expected_gtid_state(s, s.txns.size() - 1)) CHECK(r.last_good->gtid_state == *state);
      }
    }
  }

  TEST_CASE("triage: the MariaDB relay-log set resumes where SHOW SLAVE STATUS says") {
    // testdata/relay/mariadb-10.11/expected.json: Relay_Log_File relay-bin.000013,
    // Relay_Log_Pos 1113, Exec_Master_Log_Pos binlog.000005:817, Gtid_Slave_Pos 0-1-22.
    std::vector<triage_input> in;
    for (const auto& f : all_files()) {
      if (f.key.rfind("testdata/relay/", 0) == 0) in.push_back({f.name, as_bytes(f.data)});
    }
    if (in.empty()) BK_MISSING_INPUT("testdata/relay/mariadb-10.11/relay-bin.index");
    const auto r = triage(in);
    CHECK(r.relay);
    CHECK_MESSAGE(r.damage.empty(), describe(r));
    CHECK(r.abandoned_partial_transactions == 0);
    check_relay_end_point(r.last_good);
    CHECK(r.last_good->gtid_state == "0-1-22");
  }

  TEST_CASE("triage: fault matrix, inputs with CRC32: found at or before the fault, exact last good position") {
    run_matrix(true);
  }

  TEST_CASE("triage: fault matrix, inputs without checksums: never a last good position past the fault") {
    run_matrix(false);
    // Detection rates per fault kind (printed; written with BINLOGKIT_WRITE_DETECTION_RATES=1).
    std::map<int, std::pair<std::size_t, std::size_t>> sum;
    for (const auto& [input, kinds] : detection_rates().by_input) {
      for (const auto& [k, c] : kinds) {
        sum[k].first += c.first;
        sum[k].second += c.second;
      }
    }
    std::ostringstream text;
    text << "damage reported without checksums:";
    for (const auto& [k, c] : sum) text << "\n  all inputs, " << kind_names[k] << ": " << c.first << "/" << c.second;
    for (const auto& [input, kinds] : detection_rates().by_input) {
      for (const auto& [k, c] : kinds) {
        text << "\n  " << input << ", " << kind_names[k] << ": " << c.first << "/" << c.second;
      }
    }
    MESSAGE(text.str());
    // The rates are part of the contract: the file is what this run wrote, and any
    // difference fails (a drop is a regression; after an improvement, rewrite it with
    // BINLOGKIT_WRITE_DETECTION_RATES=1 and commit it).
    const std::string table = detection_rates_markdown(sum);
    const std::string path = oracle_dir() + "/detection-rates.md";
    const char* env = std::getenv("BINLOGKIT_WRITE_DETECTION_RATES");
    if (env != nullptr && std::string(env) == "1") {
      std::ofstream(path) << table;
      MESSAGE("wrote " << path);
    }
    const std::string recorded = read_text(path);
    REQUIRE_MESSAGE(!recorded.empty(), path << " is missing");
    const auto want = parse_rate_cells(recorded), got = parse_rate_cells(table);
    REQUIRE(!want.empty());
    for (const auto& [cell, found] : want) {
      auto it = got.find(cell);
      if (it == got.end()) {
        FAIL_CHECK("detection rate of " << cell.first << ", " << cell.second << " is recorded but no longer measured");
      } else if (it->second != found) {
        FAIL_CHECK("detection rate of " << cell.first << ", " << cell.second << ": recorded " << found.first << "/"
                                        << found.second << ", now " << it->second.first << "/" << it->second.second
                                        << std::string(it->second.first * found.second < found.first * it->second.second
                                                           ? " (a drop)"
                                                           : ""));
      }
    }
    for (const auto& [cell, found] : got) {
      if (!want.count(cell)) FAIL_CHECK("detection rate of " << cell.first << ", " << cell.second << " is not recorded");
    }
    CHECK_MESSAGE(table == recorded, path << " differs from this run's table:\n" << table);
  }

  // ---- the damaged files of the corpus (tests/corpus/damaged.tsv) ----------------------

  TEST_CASE("triage: binlog_truncated_prev_gtid_event: a torn header after the format description") {
    // 129 bytes (MySQL 5.7.2, CRC32): FORMAT_DESCRIPTION at 4, size 116 (bytes 13-16:
    // 74 00 00 00), CRC32 verifies, ends at 120; the 9 bytes left (79797651 23 01000000)
    // are the timestamp, type 0x23 PREVIOUS_GTIDS and server id of a header cut short of
    // its 19 bytes. No transaction: a torn tail [120, 129) and no resume point (exit 3).
    std::vector<std::uint8_t> data;
    const auto r = triage_one("stoneatom+stonedb/mysql-test__std_data__binlog_truncated_prev_gtid_event.000001", data);
    REQUIRE(data.size() == 129);
    check_single_damage(r, "mysql-test__std_data__binlog_truncated_prev_gtid_event.000001", 120, 9, errc::truncated,
                        true);
    CHECK(r.checksums);
    CHECK_FALSE(r.unverifiable);
    CHECK_FALSE(r.last_good.has_value());
    CHECK(r.transactions_before_damage == 0);
    CHECK(r.exit_code() == 3);
  }

  TEST_CASE("triage: bug11747416_32228_binlog: a rows event longer than the file") {
    // 8192 bytes (MySQL 5.5.17, no checksums): FORMAT_DESCRIPTION 4-107; QUERY 107-207
    // "create table t (a text) engine=innodb" (a statement without BEGIN: a transaction
    // of its own); QUERY 207-275 "BEGIN"; TABLE_MAP 275-316; at 316 WRITE_ROWS_v1 (type
    // 0x17) with size 1f 00 01 00 = 65567 where 8192 - 316 = 7876 bytes are left. The
    // file ends inside that event: a torn tail [316, 8192); the open transaction (BEGIN at
    // 207) is lost, so the last good position is 207, after the CREATE TABLE.
    std::vector<std::uint8_t> data;
    const auto r =
        triage_one("facebookarchive+webscalesql-5.6/mysql-test__std_data__bug11747416_32228_binlog.000001", data);
    REQUIRE(data.size() == 8192);
    const std::string name = "mysql-test__std_data__bug11747416_32228_binlog.000001";
    check_single_damage(r, name, 316, 7876, errc::truncated, true);
    CHECK_FALSE(r.checksums);
    CHECK(r.unverifiable);
    REQUIRE(r.last_good.has_value());
    CHECK(r.last_good->relay_file == name);
    CHECK(r.last_good->relay_pos == 207);
    CHECK(r.last_good->source.file == name);
    CHECK(r.last_good->source.pos == 207);
    CHECK(r.last_good->gtid.empty());
    CHECK(r.transactions_before_damage == 1);
    CHECK(r.intact_after_damage_count == 0);
    CHECK(r.exit_code() == 1);
  }

  TEST_CASE("triage: mysql-relay-bin.unfinished: a relay log with only its header events is not damaged") {
    // 253 bytes (MySQL 5.5.33, no checksums): the replica's FORMAT_DESCRIPTION 4-107,
    // the receiver's ROTATE 107-150 (to mysql-bin.000002, flags 0x20 artificial, log_pos
    // 0), the source's FORMAT_DESCRIPTION 150-253 = the file's size. Nothing is cut and
    // nothing is damaged; no transaction, so no resume point; unverifiable (no checksums).
    std::vector<std::uint8_t> data;
    const auto r = triage_one("ikarishinjieva+mysql_binlog_utils/test__mysql-relay-bin.unfinished", data);
    REQUIRE(data.size() == 253);
    CHECK_MESSAGE(r.damage.empty(), describe(r));
    CHECK(r.relay);
    CHECK_FALSE(r.checksums);
    CHECK(r.unverifiable);
    CHECK_FALSE(r.last_good.has_value());
    CHECK(r.exit_code() == 0);
  }

  TEST_CASE("triage: corrupt-relay-bin.000624: a query event with a foreign body, resume at the XID before it") {
    // 91418 bytes (MySQL 5.0.46 relay log, no checksums; the replica is server 20162).
    //  * 98: the receiver's ROTATE (server 20160, log_pos 0): 28 83 03 00 00 00 00 00 =
    //    position 230184 in mysql-bin.010260.
    //  * 91090: XID (type 0x10, server 10909), size 1b = 27, log_pos 2a e6 04 00 = 321066:
    //    ends BEGIN (90715) ... XID at 91117, source position mysql-bin.010260:321066.
    //  * 91117: QUERY "BEGIN" (size 0x3b = 59), 91176: INTVAR (0x1c = 28), 91204: QUERY,
    //    size ab = 171, whose body is the middle of another statement's text
    //    ("...0A7ECD15B5312A76C0D3FE', '2007-10-17 00:31:12')"): db_len 0x43 = 67 and
    //    status_vars_len 0x4235 = 16949 point far past its 171 bytes, bad_body.
    //  * 91375: the replica's own ROTATE (server 20162, 0x2b = 43 bytes, to
    //    relay-bin.000625) ends at 91418, the file's size.
    // So: one damaged range [91204, 91375), the open transaction BEGIN 91117 + INTVAR is
    // lost, the last good position is relay 91117 = source mysql-bin.010260:321066, no
    // transaction after the damage.
    std::vector<std::uint8_t> data;
    const auto r = triage_one("stoneatom+stonedb/mysql-test__std_data__corrupt-relay-bin.000624", data);
    REQUIRE(data.size() == 91418);
    const std::string name = "mysql-test__std_data__corrupt-relay-bin.000624";
    check_single_damage(r, name, 91204, 171, errc::bad_body, false);
    CHECK(r.relay);
    CHECK(r.unverifiable);
    REQUIRE(r.last_good.has_value());
    CHECK(r.last_good->relay_file == name);
    CHECK(r.last_good->relay_pos == 91117);
    CHECK(r.last_good->source.file == "mysql-bin.010260");
    CHECK(r.last_good->source.pos == 321066);
    CHECK(r.last_good->gtid.empty());
    CHECK(r.last_good->gtid_state.empty());
    CHECK(r.intact_after_damage_count == 0);
    // Every transaction before the damage, as the oracle counts them from mariadb-binlog.
    CHECK(r.transactions_before_damage == oracle_transactions_ending_in("corpus/stoneatom+stonedb/" + name).size());
    // A relay log without GTIDs and no executed position given: the last good received
    // point is no resume point (the SQL thread may be behind it) and no plan can let the
    // server decide: exit 3, with the reason first and what to run to learn the position.
    CHECK(r.exit_code() == 3);
    CHECK_FALSE(r.resume.has_value());
    CHECK(r.resume_mode == resume_mode::none);
    CHECK(r.resume_sql.empty());
    REQUIRE_FALSE(r.notes.empty());
    CHECK(r.notes.front().starts_with("the replica's executed position is unknown"));
    CHECK(std::any_of(r.notes.begin(), r.notes.end(), [](const std::string& n) {
      return n.starts_with("these relay logs carry no GTIDs: no plan can let the server decide");
    }));
    CHECK(r.learn_executed_sql == std::vector<std::string>{"SHOW REPLICA STATUS", "SELECT @@GLOBAL.gtid_executed"});
    // Told where the SQL thread stood (at the last good point): the file/position plan.
    triage_options opt;
    opt.executed_position = source_position{"mysql-bin.010260", 321066};
    const auto told = triage({{name, as_bytes(data)}}, opt);
    CHECK(told.exit_code() == 1);
    CHECK(told.resume_mode == resume_mode::position);
    CHECK(told.resume_sql_position ==
          std::vector<std::string>{"SET NAMES utf8mb4", "STOP SLAVE",
                                   "CHANGE MASTER TO MASTER_LOG_FILE = 'mysql-bin.010260', MASTER_LOG_POS = 321066",
                                   "START SLAVE"});
    CHECK(told.after_catch_up_sql.empty());  // no GTIDs: no auto-positioning to go back to
  }

  TEST_CASE("triage: a source binlog name that no quoting keeps intact gets no file/position statements") {
    // corrupt-relay-bin.000624 (no checksums) with its receiver's ROTATE (at 98) naming
    // another source binlog of the same length, "mysql-bin.010260" -> the bytes below. In
    // CHANGE MASTER TO only a quoted string is taken: with a backslash before the quote,
    // NO_BACKSLASH_ESCAPES (or a gbk/big5/sjis client, where 0xbf 0x5c is one character)
    // ends the string at that quote and what follows it runs as written.
    std::vector<std::uint8_t> data;
    triage_report ok = triage_one("stoneatom+stonedb/mysql-test__std_data__corrupt-relay-bin.000624", data);
    CHECK(ok.exit_code() == 3);  // executed position unknown, no GTIDs: no plan at all
    const std::string plain = "mysql-bin.010260";
    const std::string evil = "\xbf'\\,\"e\"#abc.0260";  // 16 bytes, as the name it replaces
    REQUIRE(evil.size() == plain.size());
    auto at = std::search(data.begin(), data.end(), plain.begin(), plain.end());
    REQUIRE(at != data.end());
    std::copy(evil.begin(), evil.end(), at);
    // The replica's executed position names the same file (relay-log.info would).
    triage_options opt;
    opt.executed_position = source_position{evil, 321066};
    const auto r = triage({{"corrupt-relay-bin.000624", as_bytes(data)}}, opt);
    INFO(describe(r));
    REQUIRE(r.resume.has_value());
    CHECK(r.resume->source.file == evil);
    CHECK(r.resume->source.pos == 321066);
    CHECK(r.exit_code() == 1);
    CHECK(r.resume_sql.empty());
    CHECK(r.resume_sql_position.empty());
    CHECK(r.resume_sql_mysql.empty());
    CHECK(std::any_of(r.notes.begin(), r.notes.end(), [](const std::string& n) {
      return n.find("cannot be quoted as CHANGE MASTER takes it") != std::string::npos &&
             n.find("no file/position plan") != std::string::npos;
    }));
    const std::string text = triage_report_text(r, {{"corrupt-relay-bin.000624", as_bytes(data)}});
    CHECK(text.find("CHANGE MASTER TO") == std::string::npos);
    CHECK(text.find("CHANGE REPLICATION SOURCE") == std::string::npos);
    CHECK(text.find("no resume statements (see the notes)") != std::string::npos);
    CHECK(text.find("no resume point can be trusted") == std::string::npos);
  }

  TEST_CASE("triage: a binlog read as NAME.gz resumes at NAME; one read from standard input by GTID only") {
    // mixed.000001 (MariaDB 10.11, CRC32) with a byte in its middle changed: the source
    // coordinates of a binlog are its own name, which for a compressed copy is the name
    // without .gz, and for standard input is not known (no MASTER_LOG_FILE = '-').
    auto data = read_file(testdata_path("mariadb-10.11/mixed.000001"));
    REQUIRE(data.size() > 100);
    data[data.size() / 2] ^= 0xff;
    const auto gz = triage({{"mixed.000001.gz", as_bytes(data)}});
    INFO(describe(gz));
    REQUIRE(gz.resume.has_value());
    CHECK(gz.resume->source.file == "mixed.000001");
    std::string plan;
    for (const auto& q : gz.resume_sql_position) plan += q + ";";
    CHECK_MESSAGE(plan.find("MASTER_LOG_FILE = 'mixed.000001', MASTER_LOG_POS = ") != std::string::npos, plan);

    const auto in = triage({{"-", as_bytes(data)}});
    REQUIRE(in.resume.has_value());
    CHECK(in.resume->source.pos == gz.resume->source.pos);
    CHECK(in.resume_sql_position.empty());
    CHECK(in.resume_sql_mysql.empty());
    std::string all;
    for (const auto& q : in.resume_sql) all += q + ";";
    CHECK_MESSAGE(all.find("MASTER_LOG_FILE") == std::string::npos, all);
    CHECK_MESSAGE(all.find("SET GLOBAL gtid_slave_pos = '") != std::string::npos, all);
    CHECK(std::any_of(in.notes.begin(), in.notes.end(), [](const std::string& n) {
      return n.find("read from standard input") != std::string::npos;
    }));
  }

  TEST_CASE("triage: mdev-39404: a MariaDB GTID event whose CRC32 fails") {
    // 657 bytes (MariaDB 10.6, CRC32): FORMAT_DESCRIPTION 4-256 verifies (cb5fac99); at
    // 256 a GTID (0xa2) of size 0x191 = 401 ending at 657 = the file's size, stored CRC32
    // 00000000 where its first 397 bytes give 04e0a427 (and log_pos 0x2ed = 749, not 657).
    // The one damaged range is that event; nothing precedes it: no resume point.
    std::vector<std::uint8_t> data;
    const auto r = triage_one("debian+mariadb-test-data/mysql-test__std_data__mdev-39404-binlog.000001", data);
    REQUIRE(data.size() == 657);
    check_single_damage(r, "mysql-test__std_data__mdev-39404-binlog.000001", 256, 401, errc::checksum_mismatch, false);
    CHECK(r.checksums);
    CHECK_FALSE(r.last_good.has_value());
    CHECK(r.exit_code() == 3);
  }

  TEST_CASE("triage: trunc_binlog: the file ends after BEGIN and an insert, without COMMIT") {
    // 174 bytes (MySQL 4.0.23, binlog v3, no checksums): START_V3 4-79, QUERY 79-119
    // "BEGIN", QUERY 119-174 "insert t1 values (1)". No event is cut, but the transaction
    // is: its COMMIT was never written (an unfinished write). The open transaction is a
    // torn tail ending at 174; nothing completed before it: no resume point (exit 3).
    std::vector<std::uint8_t> data;
    const auto r = triage_one("stoneatom+stonedb/mysql-test__std_data__trunc_binlog.000001", data);
    REQUIRE(data.size() == 174);
    INFO(describe(r));
    REQUIRE(r.damage.size() == 1);
    const auto& d = r.damage.front();
    CHECK(d.tail);
    CHECK(d.code == errc::truncated);
    CHECK(d.offset >= 79);
    CHECK(d.offset <= 174);
    CHECK(d.offset + d.length == 174);
    CHECK_FALSE(r.last_good.has_value());
    CHECK(r.exit_code() == 3);
  }

  TEST_CASE("triage: only-header-mysql-bin: a new binlog's header events are clean") {
    // 231 bytes (MySQL 5.6.17, CRC32): FORMAT_DESCRIPTION 4-120 and PREVIOUS_GTIDS
    // 120-231 = the file's size, both CRC32s verify. Nothing damaged, no transaction.
    std::vector<std::uint8_t> data;
    const auto r = triage_one("ikarishinjieva+mysql_binlog_utils/test__only-header-mysql-bin", data);
    REQUIRE(data.size() == 231);
    CHECK_MESSAGE(r.damage.empty(), describe(r));
    CHECK(r.checksums);
    CHECK_FALSE(r.unverifiable);
    CHECK_FALSE(r.last_good.has_value());
    CHECK(r.exit_code() == 0);
  }

  // ---- salvage_copy -------------------------------------------------------------------

  TEST_CASE("salvage_copy: a damaged MySQL 8.0 binlog still marked in use, cut at its last good transaction") {
    // json.binlog.000001 (CRC32) has LOG_EVENT_BINLOG_IN_USE_F (flags 01 00 at byte 21).
    // A flip in the UPDATE_ROWS event at 2612-3496 damages the transaction 2389-3527
    // (transactions.tsv): the last good position is 2389.
    auto data = read_file(corpus_path("blackbeam+rust_mysql_common/test-data__binlogs__json.binlog.000001"));
    REQUIRE(data.size() == 4011);
    REQUIRE((first_fde(data).flags & flag_binlog_in_use) != 0);
    auto damaged = data;
    damaged[3000] ^= 0x10;
    const auto r = triage({{"json.binlog.000001", as_bytes(damaged)}});
    REQUIRE(r.last_good.has_value());
    CHECK(r.last_good->relay_pos == 2389);
    const auto before = damaged;
    auto copy = salvage_copy(as_bytes(damaged), r.last_good->relay_pos);
    REQUIRE(copy);
    CHECK(damaged == before);  // the input is not modified
    REQUIRE(copy->size() == 2389);
    // The same bytes but the in-use flag.
    CHECK((first_fde(*copy).flags & flag_binlog_in_use) == 0);
    for (std::size_t i = 0; i < copy->size(); ++i) {
      if (i == 21) continue;
      if ((*copy)[i] != damaged[i]) FAIL_CHECK("byte " << i << " changed");
    }
    // The format description's CRC32 (computed by the server with the flag cleared).
    const auto fde = first_fde(*copy);
    const bytes fde_bytes(copy->data() + 4, fde.size);
    const std::uint32_t stored = detail::le32(fde_bytes.data() + fde.size - 4);
    CHECK(crc32(fde_bytes.first(fde.size - 4)) == stored);
    // It reads back cleanly to its end, and triage finds it clean and complete.
    auto [err, end] = read_all(as_bytes(*copy));
    CHECK_MESSAGE(!err, (err ? err->message() : ""));
    CHECK(end == 2389);
    const auto again = triage({{"json.binlog.000001", as_bytes(*copy)}});
    CHECK_MESSAGE(again.damage.empty(), describe(again));
    CHECK(again.exit_code() == 0);
    REQUIRE(again.last_good.has_value());
    CHECK(again.last_good->relay_pos == 2389);
  }

  TEST_CASE("salvage_copy: a torn MySQL 5.5 binlog (no checksums) cut at 207") {
    auto data =
        read_file(corpus_path("facebookarchive+webscalesql-5.6/mysql-test__std_data__bug11747416_32228_binlog.000001"));
    REQUIRE((first_fde(data).flags & flag_binlog_in_use) != 0);
    auto copy = salvage_copy(as_bytes(data), 207);
    REQUIRE(copy);
    REQUIRE(copy->size() == 207);
    CHECK((first_fde(*copy).flags & flag_binlog_in_use) == 0);
    CHECK(std::equal(copy->begin() + 23, copy->end(), data.begin() + 23));
    auto [err, end] = read_all(as_bytes(*copy));
    CHECK_MESSAGE(!err, (err ? err->message() : ""));
    CHECK(end == 207);
  }

  TEST_CASE("salvage_copy: a MariaDB binlog torn in the middle of a transaction; a closed binlog keeps its flags") {
    const auto* f = file_named("testdata/mariadb-10.11/mixed.000001");
    REQUIRE(f != nullptr);
    REQUIRE((first_fde(f->data).flags & flag_binlog_in_use) == 0);
    // Cut inside the UPDATE_ROWS of 0-1-13 (7247-8397): 0-1-12 ends at 6943.
    std::vector<std::uint8_t> torn(f->data.begin(), f->data.begin() + 7500);
    const auto r = triage({{"mixed.000001", as_bytes(torn)}});
    REQUIRE(r.last_good.has_value());
    CHECK(r.last_good->relay_pos == 6943);
    auto copy = salvage_copy(as_bytes(torn), r.last_good->relay_pos);
    REQUIRE(copy);
    CHECK(*copy == std::vector<std::uint8_t>(f->data.begin(), f->data.begin() + 6943));
    auto [err, end] = read_all(as_bytes(*copy));
    CHECK_MESSAGE(!err, (err ? err->message() : ""));
    CHECK(end == 6943);
  }

  TEST_CASE("salvage_copy: an end outside the file, or before the first event, is an error") {
    const auto* f = file_named("testdata/mariadb-10.11/mixed.000002");
    REQUIRE(f != nullptr);
    CHECK_FALSE(salvage_copy(as_bytes(f->data), f->data.size() + 1));
    CHECK_FALSE(salvage_copy(as_bytes(f->data), 3));
    auto whole = salvage_copy(as_bytes(f->data), f->data.size());
    REQUIRE(whole);
    CHECK(*whole == f->data);
  }
}
