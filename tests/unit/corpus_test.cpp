// Corpus walk: every file of the shared corpus (MANIFEST.tsv) read with event_reader and
// verify_bytes, against values that did not come from this library.
//
//  * tests/corpus/expected.tsv: every top-level event header as MariaDB's own reader
//    (`mariadb-binlog --hexdump --force-read`) printed it, kept where positions chain
//    (pos + size == next pos). Files with more than 1000 events keep their first and last
//    200 rows; tests/corpus/files.tsv has every file's event count and an FNV-1a digest
//    over all of its rows, whether the oracle read it to its end, and how.
//  * tests/corpus/damaged.tsv: written by hand from the bytes and the oracle's messages for
//    the files that are damaged or unusual on purpose: the first problem's offset and
//    errc, the events intact before it, and whether the reader itself (`reader`) or only
//    decoding (`decode`, as verify_bytes does it) must find it.
//  * MANIFEST.tsv: flavor, server version, binlog version and checksum setting, read from
//    each file's first event when the corpus was assembled.
// tests/corpus/README.md says how each value was obtained; tests/corpus/make-expected
// regenerates expected.tsv and files.tsv.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "binlogkit/events/format_description.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/core/result.hpp"
#include "binlogkit/tools/verify.hpp"
#include "support/ci.hpp"

using namespace binlogkit;

namespace {

namespace fs = std::filesystem;

// ---- expected values ---------------------------------------------------------------

struct header_row {
  std::uint64_t pos = 0;
  std::uint64_t type = 0, size = 0, log_pos = 0, flags = 0, server_id = 0, timestamp = 0;
  friend bool operator==(const header_row&, const header_row&) = default;
};

std::string describe(const header_row& h) {
  std::ostringstream s;
  s << "pos " << h.pos << " type " << h.type << " size " << h.size << " log_pos " << h.log_pos
    << " flags " << h.flags << " server_id " << h.server_id << " timestamp " << h.timestamp;
  return s.str();
}

// The row as expected.tsv writes it (without the file column), for the digest.
std::string tsv_line(const header_row& h) {
  std::ostringstream s;
  s << h.pos << '\t' << h.type << '\t' << h.size << '\t' << h.log_pos << '\t' << h.flags << '\t'
    << h.server_id << '\t' << h.timestamp << '\n';
  return s.str();
}

std::uint64_t fnv1a64(std::uint64_t h, const std::string& s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}
constexpr std::uint64_t fnv_basis = 0xcbf29ce484222325ull;

struct file_expect {
  std::size_t count = 0;      // events the oracle framed from offset 4 on
  bool complete = false;      // ... up to the end of the file
  std::uint64_t oracle_end = 0;
  std::size_t keep = 0;       // 0: every row stored; else first and last `keep` rows
  std::uint64_t digest = 0;
  std::map<std::size_t, header_row> rows;  // by event index
  std::string notes;
};

struct damage {
  std::string kind;                     // an errc name, or "ok"
  std::vector<std::uint64_t> offsets;   // first problem (all of them when the walk goes on)
  std::size_t intact_before = 0;
  std::string layer;                    // "reader" or "decode"
};

struct manifest_row {
  std::string path, flavor, server_version, binlog_version, checksum;
};

struct corpus_data {
  bool present = false;
  fs::path dir;
  std::vector<manifest_row> manifest;
  std::map<std::string, file_expect> expect;
  std::map<std::string, damage> damaged;
  std::vector<std::string> load_errors;
};

std::vector<std::string> split(const std::string& line, char sep = '\t') {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(line);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  if (!line.empty() && line.back() == sep) out.emplace_back();
  return out;
}

std::vector<std::vector<std::string>> read_tsv(const fs::path& p) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    rows.push_back(split(line));
  }
  return rows;
}

std::uint64_t to_u64(const std::string& s) { return std::stoull(s); }

const corpus_data& corpus() {
  static const corpus_data data = [] {
    corpus_data d;
    d.dir = fs::path(BINLOGKIT_CORPUS_DIR);
    const fs::path ours = fs::path(BINLOGKIT_SOURCE_DIR) / "tests" / "corpus";
    if (!fs::exists(d.dir / "MANIFEST.tsv")) return d;
    d.present = true;

    auto manifest = read_tsv(d.dir / "MANIFEST.tsv");
    std::map<std::string, std::size_t> col;
    for (std::size_t i = 0; i < manifest.at(0).size(); ++i) col[manifest[0][i]] = i;
    auto field = [&](const std::vector<std::string>& r, const char* name) -> std::string {
      auto it = col.find(name);
      if (it == col.end()) {
        d.load_errors.push_back(std::string("MANIFEST.tsv has no column ") + name);
        return {};
      }
      return it->second < r.size() ? r[it->second] : std::string();
    };
    for (std::size_t i = 1; i < manifest.size(); ++i) {
      const auto& r = manifest[i];
      d.manifest.push_back({field(r, "local_path"), field(r, "flavor"), field(r, "server_version"),
                            field(r, "binlog_version"), field(r, "checksum")});
    }

    auto files = read_tsv(ours / "files.tsv");
    // file oracle_rc oracle_events force_read_rc checksum_rc oracle_end complete stored digest notes
    for (std::size_t i = 1; i < files.size(); ++i) {
      const auto& r = files[i];
      if (r.size() < 9) {
        d.load_errors.push_back("files.tsv line " + std::to_string(i + 1) + " has too few columns");
        continue;
      }
      file_expect fe;
      fe.count = to_u64(r[2]);
      fe.oracle_end = to_u64(r[5]);
      fe.complete = r[6] == "yes";
      std::size_t first = 0, last = 0;
      if (r[7] != "all" && std::sscanf(r[7].c_str(), "first %zu + last %zu", &first, &last) == 2 &&
          first == last) {
        fe.keep = first;
      } else if (r[7] != "all") {
        d.load_errors.push_back("files.tsv: unknown stored value '" + r[7] + "'");
      }
      fe.digest = std::stoull(r[8], nullptr, 16);
      fe.notes = r.size() > 9 ? r[9] : std::string();
      d.expect[r[0]] = fe;
    }

    auto rows = read_tsv(ours / "expected.tsv");
    std::map<std::string, std::vector<header_row>> stored;
    for (std::size_t i = 1; i < rows.size(); ++i) {
      const auto& r = rows[i];
      if (r.size() != 8) {
        d.load_errors.push_back("expected.tsv line " + std::to_string(i + 1) + " has " +
                                std::to_string(r.size()) + " columns");
        continue;
      }
      stored[r[0]].push_back({to_u64(r[1]), to_u64(r[2]), to_u64(r[3]), to_u64(r[4]), to_u64(r[5]),
                              to_u64(r[6]), to_u64(r[7])});
    }
    for (auto& [name, list] : stored) {
      auto it = d.expect.find(name);
      if (it == d.expect.end()) {
        d.load_errors.push_back("expected.tsv has rows for " + name + ", files.tsv does not list it");
        continue;
      }
      auto& fe = it->second;
      const std::size_t want = fe.keep == 0 ? fe.count : std::min(fe.count, 2 * fe.keep);
      if (list.size() != want) {
        d.load_errors.push_back("expected.tsv has " + std::to_string(list.size()) + " rows for " +
                                name + ", files.tsv implies " + std::to_string(want));
        continue;
      }
      for (std::size_t k = 0; k < list.size(); ++k) {
        std::size_t index = (fe.keep == 0 || k < fe.keep) ? k : fe.count - (list.size() - k);
        fe.rows[index] = list[k];
      }
    }

    auto dmg = read_tsv(ours / "damaged.tsv");
    // file kind offsets intact_before layer evidence
    for (std::size_t i = 1; i < dmg.size(); ++i) {
      const auto& r = dmg[i];
      if (r.size() < 5) {
        d.load_errors.push_back("damaged.tsv line " + std::to_string(i + 1) + " has too few columns");
        continue;
      }
      damage dm;
      dm.kind = r[1];
      for (const auto& o : split(r[2], ',')) dm.offsets.push_back(to_u64(o));
      dm.intact_before = to_u64(r[3]);
      dm.layer = r[4];
      d.damaged[r[0]] = dm;
    }
    return d;
  }();
  return data;
}

std::vector<std::uint8_t> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ---- the walk ----------------------------------------------------------------------

struct frame {
  bool ok = false;
  header_row header;                // when ok; header.type is the code written in the file
  std::uint8_t canonical_type = 0;  // event_header::type_code
  error err;                        // when not
};

// MySQL's "-a_drop5p"/"-a_drop6p" development builds (5.1.1-5.1.5, 5.2.0-5.2.2) numbered
// types 16-22 in another order (MySQL's log_event.cc, event_type_permutation):
// written 16..22 mean TABLE_MAP, PRE_GA_WRITE_ROWS, PRE_GA_UPDATE_ROWS, PRE_GA_DELETE_ROWS,
// XID, BEGIN_LOAD_QUERY, EXECUTE_LOAD_QUERY. event_header::type_code is the released
// numbering; every other server writes it unchanged.
std::uint8_t released_type(std::uint8_t written, bool dev_tree) {
  static constexpr std::uint8_t permutation[7] = {19, 20, 21, 22, 16, 17, 18};
  if (!dev_tree || written < 16 || written > 22) return written;
  return permutation[written - 16];
}

struct walk_result {
  std::vector<frame> frames;  // events and errors, in order
  bool clean_end = false;     // next() said std::nullopt
  bool sticky = true;         // after a final error, the next call repeated it
  std::vector<header_row> events() const {
    std::vector<header_row> v;
    for (const auto& f : frames)
      if (f.ok) v.push_back(f.header);
    return v;
  }
  std::vector<error> errors() const {
    std::vector<error> v;
    for (const auto& f : frames)
      if (!f.ok) v.push_back(f.err);
    return v;
  }
};

bool resumable(errc c) { return c == errc::checksum_mismatch || c == errc::encrypted; }

walk_result walk(event_reader& reader, std::size_t file_size) {
  walk_result w;
  // Each call consumes at least one byte or ends the walk; the bound only guards a bug.
  for (std::size_t guard = 0; guard <= file_size + 1; ++guard) {
    auto r = reader.next();
    if (!r) {
      frame f;
      f.err = r.error();
      w.frames.push_back(f);
      if (resumable(f.err.code)) continue;
      auto again = reader.next();
      w.sticky = !again && again.error().code == f.err.code && again.error().offset == f.err.offset;
      break;
    }
    if (!r->has_value()) {
      w.clean_end = true;
      break;
    }
    const event_view& ev = **r;
    frame f;
    f.ok = true;
    // The type as written in the file (byte 4), which is what the oracle prints.
    const std::uint8_t wire = ev.raw.size() > 4 ? ev.raw[4] : 0;
    f.header = {ev.offset, wire, ev.header.event_size, ev.header.log_pos,
                ev.header.flags, ev.header.server_id, ev.header.timestamp};
    f.canonical_type = ev.header.type_code;
    w.frames.push_back(f);
  }
  return w;
}

std::string describe(const error& e) {
  std::ostringstream s;
  s << to_string(e.code) << " at " << e.offset << " (type " << e.event_type << ": " << e.detail << ")";
  return s.str();
}

std::string list_problems(const std::vector<error>& errs) {
  std::ostringstream s;
  for (std::size_t i = 0; i < errs.size(); ++i) s << (i ? ", " : "") << to_string(errs[i].code) << '@' << errs[i].offset;
  return s.str();
}

// The first difference between the reader's events and the oracle's, or "".
std::string compare_events(const std::vector<header_row>& got, const file_expect& fe, std::size_t n) {
  for (const auto& [index, want] : fe.rows) {
    if (index >= n) break;
    if (index >= got.size()) {
      return "event #" + std::to_string(index) + ": oracle has " + describe(want) +
             ", binlogkit ended after " + std::to_string(got.size()) + " events";
    }
    if (!(got[index] == want)) {
      return "event #" + std::to_string(index) + ": oracle " + describe(want) + " | binlogkit " +
             describe(got[index]);
    }
  }
  return {};
}

std::uint64_t digest_of(const std::vector<header_row>& events) {
  std::uint64_t h = fnv_basis;
  for (const auto& e : events) h = fnv1a64(h, tsv_line(e));
  return h;
}

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Without the corpus: skipped, or failed under CI (support/ci.hpp).
#define CORPUS_OR_SKIP()                                                                     \
  const corpus_data& data = corpus();                                                         \
  if (!data.present) BK_MISSING_INPUT("the corpus at " BINLOGKIT_CORPUS_DIR " (MANIFEST.tsv)")

}  // namespace

TEST_SUITE("corpus") {
  TEST_CASE("corpus: expected.tsv, files.tsv and damaged.tsv cover the MANIFEST") {
    CORPUS_OR_SKIP();
    for (const auto& e : data.load_errors) CHECK_MESSAGE(false, e);
    CHECK(data.manifest.size() > 100);
    for (const auto& m : data.manifest) {
      INFO("file: ", m.path);
      auto it = data.expect.find(m.path);
      CHECK_MESSAGE(it != data.expect.end(), m.path, " has no row in tests/corpus/files.tsv");
      CHECK_MESSAGE(fs::exists(data.dir / m.path), m.path, " is listed in MANIFEST.tsv but missing");
      if (it == data.expect.end()) continue;
      const auto d = data.damaged.find(m.path);
      const bool framing_damage =
          d != data.damaged.end() && d->second.layer == "reader" && d->second.kind != "ok";
      // A file the reader must read cleanly is one the oracle read to its end.
      if (!framing_damage) CHECK_MESSAGE(it->second.complete, m.path, ": ", it->second.notes);
    }
    for (const auto& [name, dm] : data.damaged) {
      INFO("damaged.tsv: ", name);
      CHECK(data.expect.count(name) == 1);
      CHECK(!dm.offsets.empty());
      CHECK((dm.layer == "reader" || dm.layer == "decode"));
    }
  }

  TEST_CASE("corpus: event_reader frames every file as mariadb-binlog does") {
    CORPUS_OR_SKIP();
    for (const auto& m : data.manifest) {
      auto fe_it = data.expect.find(m.path);
      if (fe_it == data.expect.end()) continue;  // reported by the coverage case
      const file_expect& fe = fe_it->second;
      const auto dm_it = data.damaged.find(m.path);
      const damage* dm = dm_it == data.damaged.end() ? nullptr : &dm_it->second;
      const auto bytes_vec = read_file(data.dir / m.path);
      INFO("file: ", m.path, " (", bytes_vec.size(), " bytes)");
      event_reader reader(bytes(bytes_vec.data(), bytes_vec.size()));
      const walk_result w = walk(reader, bytes_vec.size());
      const auto events = w.events();
      const auto errors = w.errors();
      {
        // The type code the reader hands out: the file's, renumbered for development trees.
        const bool dev_tree = m.server_version.find("-a_drop") != std::string::npos;
        std::string wrong;
        for (std::size_t i = 0; i < w.frames.size() && wrong.empty(); ++i) {
          const frame& f = w.frames[i];
          if (f.ok && f.canonical_type != released_type(static_cast<std::uint8_t>(f.header.type), dev_tree)) {
            wrong = "event at " + std::to_string(f.header.pos) + ": written type " +
                    std::to_string(f.header.type) + ", event_header::type_code " +
                    std::to_string(f.canonical_type) + ", expected " +
                    std::to_string(released_type(static_cast<std::uint8_t>(f.header.type), dev_tree));
          }
        }
        CHECK_MESSAGE(wrong.empty(), m.path, ": ", wrong);
      }

      if (dm == nullptr || dm->kind == "ok" || dm->layer == "decode") {
        // Read cleanly to the end, every event as the oracle framed it.
        CHECK_MESSAGE(errors.empty(), m.path, ": first error ",
                      errors.empty() ? std::string() : describe(errors.front()), " after ",
                      std::count_if(w.frames.begin(),
                                    std::find_if(w.frames.begin(), w.frames.end(),
                                                 [](const frame& f) { return !f.ok; }),
                                    [](const frame& f) { return f.ok; }),
                      " events");
        CHECK_MESSAGE(w.clean_end, m.path, ": the reader did not end cleanly");
        const std::string diff = compare_events(events, fe, fe.count);
        CHECK_MESSAGE(diff.empty(), m.path, ": ", diff);
        CHECK_MESSAGE(events.size() == fe.count, m.path, ": binlogkit read ", events.size(),
                      " events, the oracle ", fe.count);
        if (events.size() == fe.count && diff.empty()) {
          CHECK_MESSAGE(hex(digest_of(events)) == hex(fe.digest), m.path,
                        ": the digest over all events differs (an event between the stored rows)");
        }
        if (dm != nullptr && dm->kind == "ok") {
          CHECK_MESSAGE(events.size() == dm->intact_before, m.path, ": damaged.tsv expects ",
                        dm->intact_before, " events");
          const std::uint64_t end = events.empty() ? 4 : events.back().pos + events.back().size;
          CHECK_MESSAGE(end == dm->offsets.front(), m.path, ": last event ends at ", end);
        }
        continue;
      }

      // Damage the reader itself must find.
      std::size_t before = 0;
      while (before < w.frames.size() && w.frames[before].ok) ++before;
      const std::string diff = compare_events(events, fe, std::min(before, dm->intact_before));
      CHECK_MESSAGE(diff.empty(), m.path, ": before the damage, ", diff);
      CHECK_MESSAGE(before == dm->intact_before, m.path, ": binlogkit read ", before,
                    " intact events before its first error, damaged.tsv says ", dm->intact_before);
      CHECK_MESSAGE(!errors.empty(), m.path, ": binlogkit found no problem; expected ", dm->kind,
                    " at ", dm->offsets.front());
      if (errors.empty()) continue;
      const error& first = errors.front();
      CHECK_MESSAGE(std::string(to_string(first.code)) == dm->kind, m.path, ": first error is ",
                    describe(first), ", expected ", dm->kind, " at ", dm->offsets.front());
      CHECK_MESSAGE(first.offset == dm->offsets.front(), m.path, ": first error is ", describe(first),
                    ", expected ", dm->kind, " at ", dm->offsets.front());

      std::vector<error> want;
      for (auto o : dm->offsets) {
        error e;
        e.offset = o;
        e.code = first.code;  // the kind is checked above; here the places
        want.push_back(e);
      }
      if (resumable(first.code)) {
        // The reader steps over the event and goes on to a clean end.
        CHECK_MESSAGE(list_problems(errors) == list_problems(want), m.path, ": errors ",
                      list_problems(errors), ", expected at ", list_problems(want));
        CHECK_MESSAGE(w.clean_end, m.path, ": the reader did not end cleanly after ",
                      describe(errors.back()));
        // Every other event the oracle framed is yielded as it printed it.
        std::vector<header_row> rest;
        for (const auto& [index, row] : fe.rows)
          if (std::find(dm->offsets.begin(), dm->offsets.end(), row.pos) == dm->offsets.end())
            rest.push_back(row);
        std::string mismatch;
        for (std::size_t i = 0; i < std::max(rest.size(), events.size()) && mismatch.empty(); ++i) {
          if (i >= rest.size()) mismatch = "binlogkit yields extra event " + describe(events[i]);
          else if (i >= events.size()) mismatch = "binlogkit misses " + describe(rest[i]);
          else if (!(rest[i] == events[i]))
            mismatch = "oracle " + describe(rest[i]) + " | binlogkit " + describe(events[i]);
        }
        CHECK_MESSAGE(mismatch.empty(), m.path, ": ", mismatch);
      } else {
        CHECK_MESSAGE(errors.size() == 1, m.path, ": errors ", list_problems(errors));
        CHECK_MESSAGE(w.sticky, m.path, ": a framing error is not repeated by the next call");
      }
    }
  }

  TEST_CASE("corpus: verify_bytes gives the same verdict") {
    CORPUS_OR_SKIP();
    for (const auto& m : data.manifest) {
      auto fe_it = data.expect.find(m.path);
      if (fe_it == data.expect.end()) continue;
      const file_expect& fe = fe_it->second;
      const auto dm_it = data.damaged.find(m.path);
      const damage* dm = dm_it == data.damaged.end() ? nullptr : &dm_it->second;
      const auto bytes_vec = read_file(data.dir / m.path);
      INFO("file: ", m.path);
      const verify_report rep = verify_bytes(bytes(bytes_vec.data(), bytes_vec.size()));

      if (dm == nullptr || dm->kind == "ok") {
        CHECK_MESSAGE(rep.intact(), m.path, ": verify finds ", list_problems(rep.problems),
                      rep.problems.empty() ? std::string() : " — first: " + describe(rep.problems.front()));
        CHECK_MESSAGE(rep.events == fe.count, m.path, ": verify counts ", rep.events, " events, the oracle ",
                      fe.count);
        CHECK_MESSAGE(rep.bytes_checked == bytes_vec.size(), m.path, ": verify checked ",
                      rep.bytes_checked, " of ", bytes_vec.size(), " bytes");
        continue;
      }
      // Each problem once, in file order; encrypted events are one problem where the
      // ciphertext starts (encrypted_events counts them).
      std::string want;
      const std::size_t listed = dm->kind == "encrypted" ? 1 : dm->offsets.size();
      for (std::size_t i = 0; i < listed; ++i)
        want += (i ? ", " : "") + dm->kind + "@" + std::to_string(dm->offsets[i]);
      if (dm->kind == "encrypted") {
        CHECK_MESSAGE(rep.encrypted_events == dm->offsets.size(), m.path, ": verify counts ",
                      rep.encrypted_events, " encrypted events, the oracle frames ", dm->offsets.size());
      }
      CHECK_MESSAGE(list_problems(rep.problems) == want, m.path, ": verify finds [",
                    list_problems(rep.problems), "], expected [", want, "]",
                    rep.problems.empty() ? std::string() : " — first: " + describe(rep.problems.front()));
      if (dm->layer == "decode") {
        CHECK_MESSAGE(rep.events == fe.count, m.path, ": verify counts ", rep.events, " events, the oracle ",
                      fe.count);
        CHECK_MESSAGE(rep.bytes_checked == bytes_vec.size(), m.path, ": verify checked ",
                      rep.bytes_checked, " of ", bytes_vec.size(), " bytes");
      } else if (dm->kind == "checksum_mismatch" || dm->kind == "encrypted") {
        // Frames whose bytes cannot be trusted are still frames: the walk goes to the end.
        // (expected.tsv holds the events the oracle could print: for an encrypted file the
        // ones before the ciphertext, which damaged.tsv lists.)
        const std::size_t frames = fe.count + (dm->kind == "encrypted" ? dm->offsets.size() : 0);
        CHECK_MESSAGE(rep.events == frames, m.path, ": verify counts ", rep.events, " events, expected ",
                      frames);
        CHECK_MESSAGE(rep.bytes_checked == bytes_vec.size(), m.path, ": verify checked ",
                      rep.bytes_checked, " of ", bytes_vec.size(), " bytes");
      } else {
        CHECK_MESSAGE(rep.events == dm->intact_before, m.path, ": verify counts ", rep.events,
                      " intact events, expected ", dm->intact_before);
        if (dm->intact_before > 0) {
          CHECK_MESSAGE(rep.bytes_checked == dm->offsets.front(), m.path, ": verify checked ",
                        rep.bytes_checked, " bytes, the damage starts at ", dm->offsets.front());
        }
      }
      if (dm->kind == "bad_magic") CHECK_MESSAGE(rep.unreadable(), m.path, ": not reported unreadable");
    }
  }

  TEST_CASE("corpus: the first format description gives the MANIFEST's flavor and version") {
    CORPUS_OR_SKIP();
    for (const auto& m : data.manifest) {
      const auto bytes_vec = read_file(data.dir / m.path);
      INFO("file: ", m.path);
      event_reader reader(bytes(bytes_vec.data(), bytes_vec.size()));
      (void)walk(reader, bytes_vec.size());
      const verify_report rep = verify_bytes(bytes(bytes_vec.data(), bytes_vec.size()));
      if (m.flavor.empty()) {
        // No format description could be read (not a binlog, none first, cut inside it).
        CHECK_MESSAGE(reader.formats().empty(), m.path, ": binlogkit read a format description");
        CHECK_MESSAGE(rep.flavor == flavor::unknown, m.path, ": verify reports flavor ",
                      to_string(rep.flavor));
        continue;
      }
      CHECK_MESSAGE(!reader.formats().empty(), m.path, ": no format description read");
      if (reader.formats().empty()) continue;
      const format_description& fd = reader.formats().front();
      CHECK_MESSAGE(std::string(to_string(fd.flavor())) == m.flavor, m.path, ": flavor ",
                    to_string(fd.flavor()), ", MANIFEST ", m.flavor);
      CHECK_MESSAGE(std::string(fd.server_version()) == m.server_version, m.path, ": server version '",
                    fd.server_version(), "', MANIFEST '", m.server_version, "'");
      CHECK_MESSAGE(std::to_string(fd.binlog_version()) == m.binlog_version, m.path, ": binlog version ",
                    fd.binlog_version(), ", MANIFEST ", m.binlog_version);
      const bool crc = m.checksum.rfind("CRC32", 0) == 0;
      CHECK_MESSAGE(fd.has_checksums() == crc, m.path, ": has_checksums ", fd.has_checksums(),
                    ", MANIFEST checksum ", m.checksum);
      CHECK_MESSAGE(std::string(to_string(rep.flavor)) == m.flavor, m.path, ": verify flavor ",
                    to_string(rep.flavor));
      CHECK_MESSAGE(rep.server_version == m.server_version, m.path, ": verify server version '",
                    rep.server_version, "'");
      CHECK_MESSAGE(rep.has_checksums == crc, m.path, ": verify has_checksums ", rep.has_checksums);
    }
  }
}
