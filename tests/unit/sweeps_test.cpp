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
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "binlogkit/tools/dump.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/rows/rows.hpp"
#include "binlogkit/core/source.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/tools/verify.hpp"
#include "support/walk_rows.hpp"
#include "support/binlog_builder.hpp"

using namespace binlogkit;
using bk_test::walk_rows;
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
    // MySQL 5.1 and 5.0, before checksums: rows v1, LOAD DATA; a 5.0 relay log
    {"stoneatom+stonedb/mysql-test__suite__binlog__std_data__write-full-row.binlog", true},
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

// Every flip of a format description, judged by verify_bytes over the whole file: caught
// when the problems it reports differ from those of the intact file (none, or for the
// encrypted file the one problem that names where encryption starts).
struct fde_flip {
  std::size_t byte;
  int bit;
  bool caught;
};
bool same_problems(const verify_report& a, const verify_report& b) {
  if (a.problems.size() != b.problems.size() || a.events != b.events) return false;
  for (std::size_t i = 0; i < a.problems.size(); ++i) {
    if (a.problems[i].code != b.problems[i].code || a.problems[i].offset != b.problems[i].offset) return false;
  }
  return true;
}
std::vector<fde_flip> sweep_format_description(const ref_file& f, const ref_event& ev) {
  std::vector<fde_flip> out;
  const auto baseline = verify_bytes(as_bytes(f.data));
  std::vector<std::uint8_t> copy = f.data;
  for (std::size_t i = 0; i < ev.end - ev.offset; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      copy[ev.offset + i] ^= static_cast<std::uint8_t>(1u << bit);
      exact_copy flipped(as_bytes(copy));
      out.push_back({i, bit, !same_problems(verify_bytes(flipped.span()), baseline)});
      copy[ev.offset + i] ^= static_cast<std::uint8_t>(1u << bit);
    }
  }
  return out;
}

// ---- (c) decoder prefixes -----------------------------------------------------------

// Length of the packed integer that starts with `first`.
std::size_t packed_size(std::uint8_t first) {
  return first < 251 ? 1 : first == 252 ? 3 : first == 253 ? 4 : 9;
}
std::uint64_t packed_at(bytes b, std::size_t p) {
  cursor c(b.subspan(std::min(p, b.size())));
  return c.packed();
}

// What decode() must give for an event whose body is cut to n bytes: an error code, or
// std::nullopt for a value. Worked out from the full body by this file's own reading of
// the wire layout, not by the decoder under test.
using prefix_rule = std::function<std::optional<errc>(std::size_t n)>;

prefix_rule rule_for(const event_view& ev, const any_event& full) {
  const auto body = ev.body;
  const std::size_t size = body.size();
  const int phl_signed = ev.format->post_header_length(ev.header.type_code);
  const std::size_t phl = phl_signed > 0 ? static_cast<std::size_t>(phl_signed) : 0;
  // A value from `from` bytes on; below, bad_post_header inside the post-header and
  // bad_body after it.
  auto value_from = [](std::size_t from, std::size_t post_header) -> prefix_rule {
    return [=](std::size_t n) -> std::optional<errc> {
      if (n < post_header) return errc::bad_post_header;
      if (n < from) return errc::bad_body;
      return std::nullopt;
    };
  };
  switch (ev.type()) {
    case event_type::query:
    case event_type::execute_load_query:
    case event_type::query_compressed: {
      // | post-header | status vars | db | NUL | query text (the rest) |
      const auto& q = std::get<query_event>(full);
      return value_from(phl + q.status_vars.size() + q.database.size() + 1, phl);
    }
    case event_type::rotate:  // | post-header | file name (at least one byte) |
      return value_from(phl + 1, phl);
    case event_type::user_var: {
      // The trailing flags byte (5.6+) is optional: the body without it is whole.
      const auto& u = std::get<user_var_event>(full);
      const std::size_t without_flags = 4 + u.name.size() + 1 + (u.is_null ? 0 : 9 + u.value.size());
      return [=](std::size_t n) -> std::optional<errc> {
        if (n == without_flags && without_flags < size) return std::nullopt;
        return errc::bad_body;
      };
    }
    case event_type::rows_query:  // | 1 length (ignored) | query (the rest) |
      return value_from(1, 0);
    case event_type::annotate_rows:  // the body is the statement
    case event_type::stop:
    case event_type::ignorable:
    case event_type::heartbeat:
      return [](std::size_t) { return std::optional<errc>(); };
    case event_type::append_block:
    case event_type::exec_load:
    case event_type::delete_file:
    case event_type::begin_load_query:  // | 4 file id | block (the rest) |
      return value_from(4, 4);
    case event_type::load:
    case event_type::new_load:
    case event_type::create_file: {
      // LOAD: the file name is the rest; CREATE_FILE: file name, NUL, block (the rest).
      const auto& l = std::get<load_event>(full);
      const bool create = ev.type() == event_type::create_file;
      const std::size_t fields = 18 + (create && ev.format->binlog_version() != 1 ? 4 : 0);
      const std::size_t from = create ? size - l.block.size() : size - l.file_name.size();
      return value_from(from, std::max(fields, phl));
    }
    case event_type::table_map: {
      // | post-header | db len, db, NUL | table len, table, NUL | packed n | n types |
      // | packed meta len | meta | null bitmap | optional metadata (the rest) |
      std::size_t p = phl;
      p += 1 + body[p] + 1;
      p += 1 + body[p] + 1;
      const auto columns = packed_at(body, p);
      const std::size_t types_end = p + packed_size(body[p]) + columns;
      std::size_t bitmap_end = types_end;
      if (types_end < size) {
        bitmap_end = types_end + packed_size(body[types_end]) + packed_at(body, types_end) + (columns + 7) / 8;
      }
      // MySQL's own decoder accepts a table map that ends after its column types (the
      // 5.1 pre-GA layout): so does ours.
      return [=](std::size_t n) -> std::optional<errc> {
        if (n < phl) return errc::bad_post_header;
        if (n == types_end || n >= bitmap_end) return std::nullopt;
        return errc::bad_body;
      };
    }
    case event_type::view_change:  // | 40 view id | 8 seq | 4 count | entries (not read) |
      return value_from(52, 0);
    case event_type::mariadb_gtid_list: {
      // | 4 count and flags | count x 16 |; after an empty list MariaDB 10.11 writes two
      // more bytes, which neither the server nor the decoder reads.
      const auto& l = std::get<mariadb_gtid_list_event>(full);
      return value_from(4 + std::size_t{l.count} * 16, 0);
    }
    case event_type::gtid:
    case event_type::anonymous_gtid: {
      // Layouts grow by whole fields (5.6: 25 bytes; 5.7: +17; 8.0.1: +7 or 14; 8.0.2:
      // packed length; 8.0.14: +4 or 8): a body that stops between fields is a whole
      // event of an older layout, as MySQL reads it.
      std::set<std::size_t> ends{25};
      std::size_t p = 25;
      if (size > p) ends.insert(p += 17);
      if (size > p) ends.insert(p += (body[p + 6] & 0x80) ? 14 : 7);
      if (size > p) ends.insert(p += packed_size(body[p]));
      if (size > p) ends.insert(p += (body[p + 3] & 0x80) ? 8 : 4);
      return [ends](std::size_t n) -> std::optional<errc> {
        if (ends.count(n) != 0) return std::nullopt;
        return errc::bad_body;
      };
    }
    case event_type::mariadb_gtid: {
      // | 8 seq | 4 domain | 1 flags2 | [8 commit id] | [XA: 4, 1, 1, data] | zero padding
      // to the 19-byte post-header, or | flags_extra | [1 engines] | [8 alter seq] |
      const auto& g = std::get<mariadb_gtid_event>(full);
      std::size_t core = 13 + (g.commit_id ? 8 : 0);
      if (g.xa_format_id) core += 6 + g.xa_gtrid.size() + g.xa_bqual.size();
      return [=](std::size_t n) -> std::optional<errc> {
        if (n < std::max<std::size_t>(core, 19)) return errc::bad_body;
        if (n == core) return std::nullopt;
        const auto fe = body[core];
        const std::size_t need = 1 + ((fe & 1) ? 1 : 0) + ((fe & 12) ? 8 : 0);
        if (n >= core + need) return std::nullopt;
        return errc::bad_body;
      };
    }
    default:
      break;
  }
  if (is_rows_event(ev.type())) {
    // | table id, flags | v2: 2 extra len (counting itself), extra | packed n | bitmaps |
    // | rows (the rest) |
    const auto& r = std::get<rows_event>(full);
    const bool v2 = phl == 10;
    const std::size_t header_end = v2 ? 8 + 2 + r.extra_data.size() : phl;
    const std::size_t bitmaps_end =
        header_end + packed_size(body[header_end]) + r.columns_before.size() + r.columns_after.size();
    return [=](std::size_t n) -> std::optional<errc> {
      if (n < header_end) return errc::bad_post_header;
      if (n < bitmaps_end) return errc::bad_body;
      return std::nullopt;
    };
  }
  // Fixed layouts and counted lists (intvar, rand, xid, incident, previous GTIDs, tagged
  // GTID, XA prepare, transaction context and payload, checkpoint, start encryption):
  // every proper prefix is short.
  return [](std::size_t) { return std::optional<errc>(errc::bad_body); };
}

// The value decoded from a prefix is the original, cut short: same fixed fields, and the
// variable tail a prefix of the original tail.
bool same_cut_short(const any_event& full, const any_event& cut) {
  if (full.index() != cut.index()) return false;
  auto prefix_of = [](std::string_view part, std::string_view whole) {
    return part.size() <= whole.size() && whole.substr(0, part.size()) == part;
  };
  auto bytes_prefix_of = [&](bytes part, bytes whole) { return prefix_of(as_chars(part), as_chars(whole)); };
  if (const auto* q = std::get_if<query_event>(&full)) {
    const auto& c = std::get<query_event>(cut);
    return c.thread_id == q->thread_id && c.exec_time == q->exec_time && c.error_code == q->error_code &&
           c.database == q->database && as_chars(c.status_vars) == as_chars(q->status_vars) &&
           prefix_of(c.query, q->query) && c.file_id == q->file_id;
  }
  if (const auto* r = std::get_if<rotate_event>(&full)) {
    const auto& c = std::get<rotate_event>(cut);
    return c.position == r->position && prefix_of(c.next_file, r->next_file);
  }
  if (const auto* u = std::get_if<user_var_event>(&full)) {
    const auto& c = std::get<user_var_event>(cut);
    return c.name == u->name && c.is_null == u->is_null && c.value_type == u->value_type &&
           c.charset == u->charset && as_chars(c.value) == as_chars(u->value) && c.flags == 0;
  }
  if (const auto* q = std::get_if<rows_query_event>(&full)) return prefix_of(std::get<rows_query_event>(cut).query, q->query);
  if (const auto* a = std::get_if<annotate_rows_event>(&full)) {
    return prefix_of(std::get<annotate_rows_event>(cut).query, a->query);
  }
  if (const auto* b = std::get_if<file_block_event>(&full)) {
    const auto& c = std::get<file_block_event>(cut);
    return c.file_id == b->file_id && bytes_prefix_of(c.block, b->block);
  }
  if (const auto* l = std::get_if<load_event>(&full)) {
    const auto& c = std::get<load_event>(cut);
    return c.table == l->table && c.database == l->database && c.num_fields == l->num_fields &&
           c.file_id == l->file_id &&
           (l->block.empty() ? prefix_of(c.file_name, l->file_name)
                             : c.file_name == l->file_name && bytes_prefix_of(c.block, l->block));
  }
  if (const auto* t = std::get_if<table_map_event>(&full)) {
    const auto& c = std::get<table_map_event>(cut);
    const bool types_only = c.metadata.empty() && c.null_bitmap.empty() && c.optional_metadata.empty();
    return c.table_id == t->table_id && c.flags == t->flags && c.database == t->database && c.table == t->table &&
           c.column_count == t->column_count && as_chars(c.column_types) == as_chars(t->column_types) &&
           (types_only || (as_chars(c.metadata) == as_chars(t->metadata) &&
                           as_chars(c.null_bitmap) == as_chars(t->null_bitmap) &&
                           bytes_prefix_of(c.optional_metadata, t->optional_metadata)));
  }
  if (const auto* r = std::get_if<rows_event>(&full)) {
    const auto& c = std::get<rows_event>(cut);
    return c.type == r->type && c.table_id == r->table_id && c.flags == r->flags &&
           as_chars(c.extra_data) == as_chars(r->extra_data) && c.column_count == r->column_count &&
           as_chars(c.columns_before) == as_chars(r->columns_before) &&
           as_chars(c.columns_after) == as_chars(r->columns_after) && bytes_prefix_of(c.rows, r->rows);
  }
  if (const auto* g = std::get_if<gtid_event>(&full)) {
    const auto& c = std::get<gtid_event>(cut);
    auto same_or_absent = [](const auto& part, const auto& whole) { return !part || part == whole; };
    return c.flags == g->flags && c.sid == g->sid && c.gno == g->gno && c.anonymous == g->anonymous &&
           (!c.has_logical_clock || (c.last_committed == g->last_committed && c.sequence_number == g->sequence_number)) &&
           same_or_absent(c.immediate_commit_timestamp, g->immediate_commit_timestamp) &&
           same_or_absent(c.original_commit_timestamp, g->original_commit_timestamp) &&
           same_or_absent(c.transaction_length, g->transaction_length) &&
           same_or_absent(c.immediate_server_version, g->immediate_server_version) &&
           same_or_absent(c.original_server_version, g->original_server_version);
  }
  if (const auto* g = std::get_if<mariadb_gtid_event>(&full)) {
    const auto& c = std::get<mariadb_gtid_event>(cut);
    return c.seq_no == g->seq_no && c.domain_id == g->domain_id && c.flags2 == g->flags2 &&
           c.commit_id == g->commit_id && c.xa_gtrid == g->xa_gtrid && c.xa_bqual == g->xa_bqual;
  }
  if (const auto* l = std::get_if<mariadb_gtid_list_event>(&full)) {
    const auto& c = std::get<mariadb_gtid_list_event>(cut);
    return c.count == l->count && as_chars(c.entries) == as_chars(l->entries);
  }
  return true;  // stop, ignorable, heartbeat, view change: nothing cut short to compare
}

// The prefixes of a body tried: all of them, but for bodies over 64 KiB the first and
// last 4 KiB and every 257th between (each prefix is copied, so all of them would take
// quadratic time).
std::vector<std::size_t> prefixes_of(std::size_t size) {
  std::vector<std::size_t> v;
  for (std::size_t n = 0; n < size; ++n) {
    if (size <= 65536 || n < 4096 || n + 4096 >= size || n % 257 == 0) v.push_back(n);
  }
  return v;
}

// Runs decode() over the prefixes of every event of every sweep file; returns how many
// prefixes were decoded and, in `types`, the event types swept.
std::size_t sweep_decoders(std::set<std::string>& types) {
  std::size_t decoded = 0;
  for (const auto& f : all_files()) {
    mismatches bad;
    event_reader reader(as_bytes(f.data));
    for (;;) {
      auto next = reader.next();
      if (!next) continue;  // encrypted events: framed, not decodable
      if (!*next) break;
      const event_view& ev = **next;
      if (ev.type() == event_type::format_description || ev.type() == event_type::start_v3) continue;
      auto full = decode(ev);
      if (!full) {
        bad.add(f.name + ": event at " + std::to_string(ev.offset) + " does not decode: " + describe(full.error()));
        continue;
      }
      types.insert(std::string(type_name(ev.type())));
      const auto rule = rule_for(ev, *full);
      for (auto n : prefixes_of(ev.body.size())) {
        auto cut = cut_body(ev, n);
        auto r = decode(cut.view);
        ++decoded;
        auto want = rule(n);
        std::ostringstream where;
        where << f.name << ": event at " << ev.offset << " (" << type_name(ev.type()) << ", body "
              << ev.body.size() << ") cut to " << n << " bytes: ";
        if (!want) {
          if (!r) bad.add(where.str() + "expected the original cut short, got " + describe(r.error()));
          else if (!same_cut_short(*full, *r)) bad.add(where.str() + "the value is not the original cut short");
        } else if (r) {
          bad.add(where.str() + "expected " + std::string(to_string(*want)) + ", got a value");
        } else if (r.error().code != *want || r.error().offset != ev.offset ||
                   r.error().event_type != ev.header.type_code) {
          bad.add(where.str() + "expected " + std::string(to_string(*want)) + ", got " + describe(r.error()));
        }
      }
    }
    INFO(f.name);
    CHECK(bad.count() == 0);
  }
  return decoded;
}

}  // namespace

TEST_SUITE("sweeps") {
  TEST_CASE("truncation sweep: every prefix that ends inside an event is truncated at that event") {
    std::size_t cuts = 0;
    for (const auto& f : all_files()) {
      mismatches bad;
      std::size_t next_event = 0;
      for (std::size_t cut = 0; cut < f.data.size(); ++cut) {
        while (next_event < f.events.size() && f.events[next_event].end <= cut) ++next_event;
        // Inside an event over 64 KiB (the LOAD DATA blocks of the 5.1 and 4.1 files),
        // the first and last 4 KiB of cuts and every 257th between: each prefix is
        // copied, so all of them would take quadratic time.
        if (next_event < f.events.size()) {
          const auto& ev = f.events[next_event];
          const std::uint64_t inside = cut - ev.offset, size = ev.end - ev.offset;
          if (cut > ev.offset && size > 65536 && inside >= 4096 && inside + 4096 < size && inside % 257 != 0) continue;
        }
        check_prefix(f, cut, bad);
        ++cuts;
      }
      INFO(f.name);
      CHECK(bad.count() == 0);
    }
    MESSAGE("prefixes read: " << cuts);
  }

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
  // damage show only in the events after it. Flips of the version string (which says
  // whether an algorithm byte and CRC follow) and of the algorithm byte are caught because
  // the description is checked against its own layout and its CRC is checked even when
  // the algorithm says OFF.
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
          else if (!flip.caught) escaped << " byte " << flip.byte << " bit " << flip.bit << ";";
        }
        // The server sets and clears the in-use flag in place, outside the CRC.
        CHECK_FALSE(in_use_caught);
        CHECK_MESSAGE(escaped.str().empty(), "format description at " << ev.offset << ": uncaught flips:" << escaped.str());
      }
    }
  }

  TEST_CASE("decoder prefix sweep: a cut body fails cleanly unless it ends in a variable-length tail") {
    std::set<std::string> types;
    auto decoded = sweep_decoders(types);
    std::string names;
    for (const auto& t : types) names += " " + t;
    MESSAGE("prefixes decoded: " << decoded << "; event types:" << names);
    CHECK(types.size() >= 30);
  }

  TEST_CASE("decoder prefix sweep: a format description cut short is truncated, bad, or lists fewer types") {
    std::size_t tried = 0;
    for (const auto& f : all_files()) {
      INFO(f.name);
      for (const auto& ev : f.events) {
        if (!ev.is_format) continue;
        const auto raw = as_bytes(f.data).subspan(ev.offset, ev.end - ev.offset);
        const std::size_t header = ev.header.type_code == 1 && ev.header.event_size < 75 ? 13 : 19;
        auto whole = format_description::decode(raw, ev.offset, static_cast<int>(header));
        REQUIRE(whole.has_value());
        mismatches bad;
        for (std::size_t n = 0; n < raw.size(); ++n) {
          exact_copy cut(raw.first(n));
          auto r = format_description::decode(cut.span(), ev.offset, static_cast<int>(header));
          ++tried;
          std::string where = f.name + ": format description at " + std::to_string(ev.offset) + " cut to " + std::to_string(n) + ": ";
          if (n < header) {
            if (r || r.error().code != errc::truncated) bad.add(where + "expected truncated");
          } else if (n < header + 56 || ev.header.type_code == 1) {
            // The fixed part (and every start event, whose size is fixed) must be whole.
            if (r || r.error().code != errc::bad_format_description) bad.add(where + "expected bad_format_description");
          } else if (r) {
            // Nothing says how many post-header lengths follow: a cut one may describe
            // fewer types, never more.
            if (r->type_count() >= whole->type_count()) bad.add(where + "a cut format description lists as many types");
          } else if (r.error().code != errc::bad_format_description) {
            bad.add(where + "expected bad_format_description, got " + describe(r.error()));
          }
        }
        CHECK(bad.count() == 0);
      }
    }
    MESSAGE("format description prefixes decoded: " << tried);
  }

  // Row values, per column type: every non-NULL value of real rows (MariaDB 10.11's
  // testdata, MySQL's JSON, opaque JSON, VECTOR, BIT, ENUM/SET and TIME files) cut to
  // every proper prefix must be bad_value, and every single-bit flip must decode to a
  // value or an error; each input sits in a heap block of exactly its size (the
  // sanitizer build sees a one-byte overread) and every decoded value is rendered in
  // every style and as JSON.
  TEST_CASE("row value sweep: every prefix of every value is bad_value, every bit flip a value or an error") {
    const std::string td = std::string(BINLOGKIT_TESTDATA_DIR) + "/mariadb-10.11/";
    const std::string co = std::string(BINLOGKIT_CORPUS_DIR) + "/blackbeam+rust_mysql_common/test-data__binlogs__";
    const std::vector<std::string> files{
        td + "mixed.000001", td + "mixed.000002", td + "mixed.000003", td + "mixed.000004",
        td + "mixed.000005", td + "minimal.000001", co + "json.binlog.000001", co + "json-opaque.binlog",
        co + "vector.binlog", co + "mysql_type_bit.000001", co + "time_issue.000001",
        co + "mysql-enum-string-set.000001"};
    std::map<column_type, std::size_t> per_type;
    std::size_t flips = 0, flipped_values = 0;
    auto render = [](const value& v) {
      std::string out;
      for (auto st : {text_style::mysqlbinlog, text_style::mariadb_binlog, text_style::sql}) {
        out.clear();
        (void)v.append_text(out, st);
      }
      (void)value_to_json(v);
    };
    reader_options opt;
    opt.allow_unknown_types = true;
    for (const auto& path : files) {
      const bool opened = walk_rows(path, [&](const bk_test::rows_visit& w) {
        const event_view& ev = w.ev;
        const rows_event* r = &w.rows;
        if (r->compressed) return;
        row_reader rr(*r, w.schema, ev.offset);
        for (int n = 0; n < 16; ++n) {
          auto row = rr.next();
          REQUIRE_MESSAGE(row.has_value(), path, " at ", ev.offset, ": ", row.error().message());
          if (!*row) break;
          for (const auto* img : {(*row)->before ? &*(*row)->before : nullptr, (*row)->after ? &*(*row)->after : nullptr}) {
            if (img == nullptr) continue;
            for (const field_view& f : *img) {
              if (f.null || f.partial) continue;
              const column_def& c = *f.column;
              if (per_type[c.real_type]++ >= 24) continue;  // the first values of each type
              INFO(path << " at " << ev.offset << " column " << f.index << " " << type_name(c.real_type));
              const std::size_t len = f.raw.size();
              std::size_t size = 0;
              {
                std::unique_ptr<std::uint8_t[]> whole(new std::uint8_t[len ? len : 1]);
                std::memcpy(whole.get(), f.raw.data(), len);
                auto v = value::decode(c, bytes(whole.get(), len), size, ev.offset);
                REQUIRE(v.has_value());
                CHECK(size == len);
                render(*v);
              }
              for (std::size_t cut = 0; cut < len; ++cut) {
                std::unique_ptr<std::uint8_t[]> part(new std::uint8_t[cut ? cut : 1]);
                std::memcpy(part.get(), f.raw.data(), cut);
                auto v = value::decode(c, bytes(part.get(), cut), size, ev.offset);
                CHECK_FALSE(v.has_value());
                if (!v.has_value()) CHECK(v.error().code == errc::bad_value);
              }
              const std::size_t bits = std::min<std::size_t>(len * 8, 512);
              for (std::size_t b = 0; b < bits; ++b) {
                std::unique_ptr<std::uint8_t[]> flip(new std::uint8_t[len]);
                std::memcpy(flip.get(), f.raw.data(), len);
                flip[b / 8] ^= static_cast<std::uint8_t>(1u << (b % 8));
                auto v = value::decode(c, bytes(flip.get(), len), size, ev.offset);
                ++flips;
                if (v) {
                  CHECK(size <= len);
                  render(*v);
                  ++flipped_values;
                }
              }
            }
          }
        }
      }, opt);
      REQUIRE_MESSAGE(opened, path);
    }
    for (column_type t : {column_type::tiny, column_type::short_, column_type::int24, column_type::long_,
                          column_type::longlong, column_type::float_, column_type::double_,
                          column_type::newdecimal, column_type::year, column_type::date, column_type::time2,
                          column_type::datetime2, column_type::timestamp2, column_type::varchar,
                          column_type::string, column_type::blob, column_type::enum_, column_type::set,
                          column_type::bit, column_type::geometry, column_type::json, column_type::vector}) {
      INFO(type_name(t));
      CHECK(per_type[t] > 0);
    }
    MESSAGE("row value sweep: " << per_type.size() << " types, " << flips << " flips, " << flipped_values
                                << " decoded to values");
  }

  // The same over whole rows bodies: every bit of a rows event flipped under its table
  // map, read row by row; each image decodes or fails with an error.
  TEST_CASE("row body sweep: every bit flip of a rows body reads rows or fails, never past the body") {
    const std::string td = std::string(BINLOGKIT_TESTDATA_DIR) + "/mariadb-10.11/";
    std::size_t events = 0, errors = 0;
    for (const auto& path : {td + "mixed.000001", td + "minimal.000001"}) {
      const bool opened = walk_rows(path, [&](const bk_test::rows_visit& w) {
        const event_view& ev = w.ev;
        const rows_event* r = &w.rows;
        if (r->compressed || r->rows.size() > 600) return;
        ++events;
        const std::size_t len = r->rows.size();
        for (std::size_t b = 0; b < len * 8; ++b) {
          std::unique_ptr<std::uint8_t[]> body(new std::uint8_t[len]);
          std::memcpy(body.get(), r->rows.data(), len);
          body[b / 8] ^= static_cast<std::uint8_t>(1u << (b % 8));
          rows_event flipped = *r;
          flipped.rows = bytes(body.get(), len);
          row_reader rr(flipped, w.schema, ev.offset);
          for (int n = 0; n < 64; ++n) {
            auto row = rr.next();
            if (!row) {
              ++errors;
              CHECK(row.error().code == errc::bad_value);
              break;
            }
            if (!*row) break;
            for (const auto& img : {(*row)->before, (*row)->after}) {
              if (!img) continue;
              CHECK(img->raw().data() + img->raw().size() <= body.get() + len);
              for (const field_view& f : *img) {
                auto v = f.decode();
                if (v) (void)v->to_text();
              }
            }
          }
        }
      }, reader_options{});
      REQUIRE_MESSAGE(opened, path);
    }
    CHECK(events > 5);
    CHECK(errors > 0);
  }
}

