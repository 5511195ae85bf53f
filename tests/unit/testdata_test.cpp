// The MariaDB 10.11 binlogs in testdata/ against what the server's own tool printed for
// them (testdata/mariadb-10.11/README.md): every event's header from the --hexdump output,
// and the decoded fields that the -vv output shows (GTIDs, statements, thread ids, XIDs,
// table maps, row-event flags, user variables, ...). The encrypted file, which
// mariadb-binlog cannot decrypt, is compared with SHOW BINLOG EVENTS from the server.
#include <doctest/doctest.h>

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "binlogkit/events/events.hpp"
#include "binlogkit/events/reader.hpp"
#include "support/binlog_builder.hpp"

using namespace binlogkit;
using namespace bk_test;

namespace {

constexpr const char* binlogs[] = {
    "mixed.000001", "mixed.000002",      "mixed.000003",      "mixed.000004",
    "mixed.000005", "nochecksum.000001", "compressed.000001", "minimal.000001",
};

std::string dir() { return testdata_path("mariadb-10.11/"); }

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

template <class T>
std::optional<T> number_at(std::string_view s, int base = 10) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  return v;
}

// The number that follows `key` in `s`.
template <class T>
std::optional<T> number_after(std::string_view s, std::string_view key) {
  auto at = s.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  return number_at<T>(s.substr(at + key.size()));
}

// ---- the oracle outputs ------------------------------------------------------------

// mariadb-binlog prints "# at P" before each event, then the event's header line
// ("#231114 22:13:20 server id 1  end_log_pos 366 ...") and what it shows of it. An
// Annotate_rows event and the Table_map after it are printed as one group:
//   # at 2043
//   # at 2946
//   #231114 ... Annotate_rows: ...      (the event at 2043)
//   #231114 ... Table_map: ...          (the event at 2946)
// so within a group the n-th header line starts the n-th position's block.
struct oracle_block {
  std::uint64_t at = 0;
  std::string text;  // from its header line (or its "# at", for the first) to the next
};

bool is_header_line(std::string_view line) { return line.size() > 1 && line[0] == '#' && line[1] >= '0' && line[1] <= '9'; }

std::vector<oracle_block> parse_blocks(const std::string& text) {
  std::vector<oracle_block> out;
  std::vector<std::size_t> group;  // indexes into `out` of the current group's positions
  std::size_t current = 0, headers_seen = 0;
  bool previous_was_at = false;
  for (auto line : lines_of(text)) {
    if (starts_with(line, "# at ")) {
      if (!previous_was_at) {
        group.clear();
        headers_seen = 0;
      }
      out.push_back({number_at<std::uint64_t>(line.substr(5)).value_or(0), {}});
      group.push_back(out.size() - 1);
      current = group.front();
      previous_was_at = true;
      continue;
    }
    previous_was_at = false;
    if (group.empty()) continue;
    if (is_header_line(line)) {
      if (headers_seen < group.size()) current = group[headers_seen];
      ++headers_seen;
    }
    out[current].text.append(line).push_back('\n');
  }
  return out;
}

// One event's header as mariadb-binlog --hexdump prints it, in hex: its position, then
// the 19 header bytes.
//   #      100  |9e b1 01 6b |a3   |01 00 00 00 |1d 00 00 00 |1d 01 00 00 |00 00
struct hexdump_event {
  std::uint64_t at = 0;
  std::optional<std::uint64_t> row_position;
  std::vector<std::uint8_t> header;  // the 19 bytes, when a header row was printed
  std::string block;
};

std::vector<hexdump_event> parse_hexdump(const std::string& text) {
  std::vector<hexdump_event> out;
  for (auto& b : parse_blocks(text)) {
    hexdump_event ev;
    ev.at = b.at;
    ev.block = std::move(b.text);
    for (auto line : lines_of(ev.block)) {
      auto bar = line.find('|');
      if (line.size() < 12 || line[0] != '#' || line[1] != ' ' || bar == std::string_view::npos) continue;
      auto pos_text = line.substr(1, bar - 1);
      auto first = pos_text.find_first_not_of(' ');
      if (first == std::string_view::npos) continue;
      auto pos = number_at<std::uint64_t>(pos_text.substr(first), 16);
      if (!pos) continue;
      std::vector<std::uint8_t> seen;
      for (auto rest = line.substr(bar); !rest.empty();) {
        auto c = rest.find_first_of("0123456789abcdef");
        if (c == std::string_view::npos || rest.size() < c + 2) break;
        rest.remove_prefix(c);
        auto v = number_at<unsigned>(rest.substr(0, 2), 16);
        if (!v) break;
        seen.push_back(static_cast<std::uint8_t>(*v));
        rest.remove_prefix(2);
      }
      if (seen.size() != 19) continue;
      ev.row_position = *pos;
      ev.header = seen;
      break;
    }
    out.push_back(std::move(ev));
  }
  return out;
}

// The -vv output's blocks by position.
std::map<std::uint64_t, std::string> parse_vv(const std::string& text) {
  std::map<std::uint64_t, std::string> out;
  for (auto& b : parse_blocks(text)) out[b.at] = std::move(b.text);
  return out;
}

// The "#231114 22:13:20 server id 1  end_log_pos 366 CRC32 0xd948a826 \tInfo" line.
std::string_view header_line(std::string_view block) {
  for (auto line : lines_of(block)) {
    if (is_header_line(line)) return line;
  }
  return {};
}
std::string_view info_of(std::string_view header) {
  auto tab = header.find('\t');
  return tab == std::string_view::npos ? std::string_view{} : header.substr(tab + 1);
}

std::string hex(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// The MariaDB GTIDs (domain-server-seq) in a text, in order.
std::vector<mariadb_gtid> gtids_in(std::string_view s) {
  std::vector<mariadb_gtid> out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9' || (i > 0 && ((s[i - 1] >= '0' && s[i - 1] <= '9') || s[i - 1] == '-'))) continue;
    auto d = number_at<std::uint32_t>(s.substr(i));
    auto dash1 = s.find_first_not_of("0123456789", i);
    if (!d || dash1 == std::string_view::npos || s[dash1] != '-') continue;
    auto sid = number_at<std::uint32_t>(s.substr(dash1 + 1));
    auto dash2 = s.find_first_not_of("0123456789", dash1 + 1);
    if (!sid || dash2 == std::string_view::npos || s[dash2] != '-' || dash2 == dash1 + 1) continue;
    auto seq = number_at<std::uint64_t>(s.substr(dash2 + 1));
    if (!seq) continue;
    out.push_back({*d, *sid, *seq});
    i = s.find_first_not_of("0123456789", dash2 + 1);
    if (i == std::string_view::npos) break;
  }
  return out;
}

// Checks the decoded event against its -vv block; returns what differs ("" when nothing).
std::string compare_with_vv(const event_view& ev, const any_event& e, std::string_view block) {
  std::ostringstream bad;
  const auto header = header_line(block);
  const auto info = info_of(header);
  if (header.empty()) return "no header line in the -vv block";
  if (number_after<std::uint64_t>(header, "end_log_pos ") != ev.end_log_pos()) bad << "end_log_pos; ";
  if (number_after<std::uint32_t>(header, "server id ") != ev.header.server_id) bad << "server id; ";
  // mariadb-binlog prints the CRC32 only when the file has checksums on; binlogkit also
  // checks the format description's own CRC32 when they are off.
  if (ev.checksum == checksum_status::ok && ev.format->has_checksums()) {
    auto crc = header.find("CRC32 0x");
    if (crc == std::string_view::npos || number_at<std::uint32_t>(header.substr(crc + 8), 16) != ev.stored_checksum) {
      bad << "CRC32; ";
    }
  }
  if (const auto* mg = std::get_if<mariadb_gtid_event>(&e)) {
    const auto* g = mg;
    auto in = gtids_in(info);
    if (in.size() != 1 || in[0].domain_id != g->domain_id || in[0].server_id != g->server_id || in[0].seq_no != g->seq_no) {
      bad << "GTID; ";
    }
    if (g->flags2 & mariadb_gtid_event::fl_prepared_xa) {  // XA COMMIT/ROLLBACK groups print no XA START
      std::ostringstream xa;
      xa << "XA START X'" << hex(g->xa_gtrid) << "',X'" << hex(g->xa_bqual) << "'," << *g->xa_format_id;
      if (block.find(xa.str()) == std::string_view::npos) bad << "XA START " << xa.str() << "; ";
    }
  } else if (const auto* qe = std::get_if<query_event>(&e)) {
    const auto* q = qe;
    if (number_after<std::uint32_t>(info, "thread_id=") != q->thread_id) bad << "thread_id; ";
    if (number_after<std::uint32_t>(info, "exec_time=") != q->exec_time) bad << "exec_time; ";
    if (number_after<std::uint16_t>(info, "error_code=") != q->error_code) bad << "error_code; ";
    if (number_after<std::uint64_t>(info, "xid=") != q->status().ddl_xid.value_or(0)) bad << "xid; ";
    // The statement as printed, ended by the delimiter line. QUERY_COMPRESSED is shown
    // inflated and EXECUTE_LOAD_QUERY with the file name rewritten: not compared.
    if (!q->compressed && ev.type() == event_type::query) {
      std::string printed = "\n" + std::string(q->query) + "\n/*!*/;";
      if (("\n" + std::string(block)).find(printed) == std::string::npos) bad << "statement text; ";
    }
  } else if (const auto* x = std::get_if<xid_event>(&e)) {
    if (number_after<std::uint64_t>(info, "Xid = ") != x->xid) bad << "Xid; ";
  } else if (const auto* r = std::get_if<rotate_event>(&e)) {
    std::ostringstream want;
    want << "Rotate to " << r->next_file << "  pos: " << r->position;
    if (info != want.str()) bad << "rotate; ";
  } else if (const auto* c = std::get_if<binlog_checkpoint_event>(&e)) {
    if (info != "Binlog checkpoint " + std::string(c->file)) bad << "checkpoint; ";
  } else if (const auto* l = std::get_if<mariadb_gtid_list_event>(&e)) {
    auto in = gtids_in(block.substr(block.find("Gtid list [")));
    if (in.size() != l->count) bad << "GTID list count; ";
    for (std::size_t i = 0; i < in.size() && i < l->count; ++i) {
      auto g = l->at(i);
      if (in[i].domain_id != g.domain_id || in[i].server_id != g.server_id || in[i].seq_no != g.seq_no) bad << "GTID list entry; ";
    }
  } else if (const auto* t = std::get_if<table_map_event>(&e)) {
    std::ostringstream want;
    want << "Table_map: `" << t->database << "`.`" << t->table << "` mapped to number " << t->table_id;
    if (info != want.str()) bad << "table map; ";
  } else if (const auto* rows = std::get_if<rows_event>(&e)) {
    if (number_after<std::uint64_t>(info, "table id ") != rows->table_id) bad << "rows table id; ";
    const bool stmt_end = info.find("STMT_END_F") != std::string_view::npos;
    if (stmt_end != ((rows->flags & rows_event::stmt_end_f) != 0)) bad << "rows flags; ";
  } else if (const auto* iv = std::get_if<intvar_event>(&e)) {
    std::ostringstream want;
    want << (iv->kind == 1 ? "SET LAST_INSERT_ID=" : "SET INSERT_ID=") << iv->value << "/*!*/;";
    if (block.find(want.str()) == std::string_view::npos) bad << "intvar; ";
  } else if (const auto* rn = std::get_if<rand_event>(&e)) {
    std::ostringstream want;
    want << "SET @@RAND_SEED1=" << rn->seed1 << ", @@RAND_SEED2=" << rn->seed2 << "/*!*/;";
    if (block.find(want.str()) == std::string_view::npos) bad << "rand; ";
  } else if (const auto* u = std::get_if<user_var_event>(&e)) {
    std::string want = "SET @`" + std::string(u->name) + "`:=";
    auto at = block.find(want);
    if (at == std::string_view::npos) bad << "user variable name; ";
    else if (u->is_null != starts_with(block.substr(at + want.size()), "NULL")) bad << "user variable NULL; ";
  } else if (const auto* a = std::get_if<annotate_rows_event>(&e)) {
    std::string shown;
    for (auto line : lines_of(block)) {
      if (starts_with(line, "#Q> ")) shown.append(line.substr(4)).push_back('\n');
    }
    if (!shown.empty()) shown.pop_back();
    if (shown != a->query) bad << "annotated statement; ";
  } else if (const auto* xa = std::get_if<xa_prepare_event>(&e)) {
    std::ostringstream want;
    want << "XA PREPARE X'" << hex(xa->gtrid) << "',X'" << hex(xa->bqual) << "'," << xa->format_id;
    if (block.find(want.str()) == std::string_view::npos) bad << "XA PREPARE; ";
  } else if (const auto* fb = std::get_if<file_block_event>(&e)) {
    std::ostringstream want;
    want << "#" << type_name(ev.type()) << ": file_id: " << fb->file_id << "  block_len: " << fb->block.size();
    if (block.find(want.str()) == std::string_view::npos) bad << "file block; ";
  } else if (const auto* f = std::get_if<format_description_event>(&e)) {
    std::ostringstream want;
    want << "Start: binlog v " << f->format->binlog_version() << ", server v " << f->format->server_version() << " created";
    if (!starts_with(info, want.str())) bad << "format description; ";
  }
  return bad.str();
}

// The type mariadb-binlog --hexdump shows: compressed row events appear inflated, as
// the uncompressed v1 type (see the README's quirks).
std::uint8_t hexdump_type(std::uint8_t ours) {
  switch (static_cast<event_type>(ours)) {
    case event_type::write_rows_compressed_v1: return static_cast<std::uint8_t>(event_type::write_rows_v1);
    case event_type::update_rows_compressed_v1: return static_cast<std::uint8_t>(event_type::update_rows_v1);
    case event_type::delete_rows_compressed_v1: return static_cast<std::uint8_t>(event_type::delete_rows_v1);
    default: return ours;
  }
}

}  // namespace

TEST_SUITE("testdata") {
  TEST_CASE("testdata: every event's header equals mariadb-binlog --hexdump's, in order") {
    for (const char* name : binlogs) {
      INFO(name);
      auto data = read_file(dir() + name);
      auto oracle = parse_hexdump(read_text(dir() + name + ".hexdump.txt"));
      REQUIRE_FALSE(data.empty());
      REQUIRE_FALSE(oracle.empty());
      event_reader reader(as_bytes(data));
      std::size_t i = 0;
      for (auto next = reader.next();; next = reader.next()) {
        REQUIRE_MESSAGE(next.has_value(), next.error().message());
        if (!*next) break;
        const event_view& ev = **next;
        REQUIRE(i < oracle.size());
        const auto& o = oracle[i++];
        INFO("event at " << ev.offset);
        CHECK(o.at == ev.offset);
        REQUIRE(o.header.size() == 19);
        if (ev.type() == event_type::annotate_rows) {
          // mariadb-binlog holds an Annotate_rows event back until it has read the
          // Table_map after it, and prints that event's position in its header row.
          CHECK(o.row_position == ev.end_offset());
        } else {
          CHECK(o.row_position == ev.offset);
        }
        const auto* h = o.header.data();
        CHECK(detail::le32(h) == ev.header.timestamp);
        CHECK(h[4] == hexdump_type(ev.header.type_code));
        CHECK(detail::le32(h + 5) == ev.header.server_id);
        CHECK(detail::le32(h + 13) == ev.header.log_pos);
        CHECK(detail::le16(h + 17) == ev.header.flags);
        if (is_mariadb_compressed(ev.type()) && is_rows_event(ev.type())) {
          // Shown with its inflated size (larger or, for a tiny event, smaller); its
          // place in the file is what log_pos says.
          CHECK(ev.header.log_pos == ev.end_offset());
        } else {
          CHECK(detail::le32(h + 9) == ev.header.event_size);
        }
      }
      CHECK(i == oracle.size());
      CHECK(reader.position() == data.size());
    }
  }

  TEST_CASE("testdata: decoded fields equal what mariadb-binlog -vv prints for each event") {
    std::size_t compared = 0;
    for (const char* name : binlogs) {
      INFO(name);
      auto data = read_file(dir() + name);
      auto vv = parse_vv(read_text(dir() + name + ".vv.txt"));
      REQUIRE_FALSE(data.empty());
      REQUIRE_FALSE(vv.empty());
      event_reader reader(as_bytes(data));
      for (auto next = reader.next(); next && *next; next = reader.next()) {
        const event_view& ev = **next;
        INFO("event at " << ev.offset << " (" << type_name(ev.type()) << ")");
        auto block = vv.find(ev.offset);
        REQUIRE(block != vv.end());
        auto decoded = decode(ev);
        REQUIRE_MESSAGE(decoded.has_value(), decoded.error().message());
        CHECK(compare_with_vv(ev, *decoded, block->second) == "");
        ++compared;
      }
    }
    MESSAGE("events compared: " << compared);
  }

  TEST_CASE("testdata: GTIDs of the Gtid events equal the hexdump's 'GTID d-s-n' lines") {
    for (const char* name : binlogs) {
      INFO(name);
      auto data = read_file(dir() + name);
      auto oracle = parse_hexdump(read_text(dir() + name + ".hexdump.txt"));
      std::vector<std::string> ours, theirs;
      event_reader reader(as_bytes(data));
      for (auto next = reader.next(); next && *next; next = reader.next()) {
        if ((*next)->type() != event_type::mariadb_gtid) continue;
        auto g = decode_mariadb_gtid(**next);
        REQUIRE(g.has_value());
        ours.push_back(std::to_string(g->domain_id) + "-" + std::to_string(g->server_id) + "-" + std::to_string(g->seq_no));
      }
      for (const auto& o : oracle) {
        auto at = o.block.find("# Event: \tGTID ");
        if (at == std::string::npos) at = o.block.find("# Event: \tBEGIN GTID ");
        if (at == std::string::npos) continue;
        auto printed = gtids_in(std::string_view(o.block).substr(at));
        REQUIRE_FALSE(printed.empty());
        const auto& g = printed[0];
        theirs.push_back(std::to_string(g.domain_id) + "-" + std::to_string(g.server_id) + "-" + std::to_string(g.seq_no));
      }
      CHECK_FALSE(ours.empty());
      CHECK(ours == theirs);
    }
  }

  TEST_CASE("testdata: the encrypted binlog is framed where SHOW BINLOG EVENTS places its events") {
    auto data = read_file(dir() + "encrypted.000001");
    const auto text = read_text(dir() + "encrypted.000001.events.txt");
    auto shown = lines_of(text);
    REQUIRE_FALSE(data.empty());
    REQUIRE(shown.size() > 1);
    struct row {
      std::uint64_t pos, end;
      std::string type;
    };
    std::vector<row> rows;
    for (std::size_t i = 1; i < shown.size(); ++i) {  // after the column names
      std::vector<std::string_view> cols;
      for (auto rest = shown[i];;) {
        auto tab = rest.find('\t');
        cols.push_back(rest.substr(0, tab));
        if (tab == std::string_view::npos) break;
        rest.remove_prefix(tab + 1);
      }
      if (cols.size() < 5) continue;  // an Info column with newlines continues the row
      auto pos = number_at<std::uint64_t>(cols[1]);
      auto end = number_at<std::uint64_t>(cols[4]);
      if (!pos || !end || cols[0] != "encrypted.000001") continue;
      rows.push_back({*pos, *end, std::string(cols[2])});
    }
    REQUIRE(rows.size() == 28);
    event_reader reader(as_bytes(data));
    std::size_t i = 0;
    for (;; ++i) {
      const std::uint64_t at = i == 0 ? 4 : reader.position();
      auto next = reader.next();
      if (next && !*next) break;
      REQUIRE(i < rows.size());
      INFO("event " << i << " at " << at);
      CHECK(at == rows[i].pos);
      CHECK(reader.position() == rows[i].end);
      if (next) {
        // In clear: Format_desc and Start_encryption.
        CHECK(type_name((*next)->type()) == rows[i].type);
        CHECK((*next)->end_log_pos() == rows[i].end);
      } else {
        CHECK(next.error().code == errc::encrypted);
        CHECK(next.error().offset == rows[i].pos);
      }
    }
    CHECK(i == rows.size());
  }

  TEST_CASE("testdata: the encrypted binlog's clear events equal the hexdump's; its nonce is the one printed") {
    auto data = read_file(dir() + "encrypted.000001");
    auto oracle = parse_hexdump(read_text(dir() + "encrypted.000001.hexdump.txt"));
    REQUIRE(oracle.size() == 2);
    event_reader reader(as_bytes(data));
    auto fde = reader.next();
    REQUIRE(fde);
    REQUIRE(*fde);
    REQUIRE(oracle[0].header.size() == 19);
    CHECK(std::equal(oracle[0].header.begin(), oracle[0].header.end(), (*fde)->raw.begin()));
    auto start = reader.next();
    REQUIRE(start);
    REQUIRE(*start);
    CHECK(oracle[1].at == (*start)->offset);
    auto s = decode(**start);
    REQUIRE(s.has_value());
    const auto& se = std::get<start_encryption_event>(*s);
    std::ostringstream printed;
    printed << "# Encryption scheme: " << int(se.scheme) << ", key_version: " << se.key_version << ", nonce: ";
    for (auto b : se.nonce) printed << "0123456789abcdef"[b >> 4] << "0123456789abcdef"[b & 15];
    CHECK(oracle[1].block.find(printed.str()) != std::string::npos);
  }
}
