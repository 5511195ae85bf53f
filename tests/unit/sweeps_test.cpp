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
