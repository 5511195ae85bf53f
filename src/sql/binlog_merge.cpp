#include "binlog_merge.hpp"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "binlogkit/core/event_type.hpp"
#include "binlogkit/events/events.hpp"
#include "event_bytes.hpp"

namespace binlogkit::detail {

bool merge_row_statements(std::vector<std::uint8_t>& raw, const format_description& f) {
  struct ev_ref {
    std::size_t at, size;
    bool map;
    std::uint64_t table_id;
    std::uint16_t flags;
    std::size_t flags_at;  // offset of the rows event's flags in the event
  };
  const std::size_t header = f.header_length();
  if (header < 13) return false;
  // Scratch space kept by the thread: called for every transaction.
  thread_local std::vector<ev_ref> evs;
  thread_local std::vector<std::pair<std::size_t, std::size_t>> stmts;  // [first, last] event indexes
  thread_local std::vector<const ev_ref*> maps, rows;
  thread_local std::vector<std::uint8_t> out;
  evs.clear();
  stmts.clear();
  maps.clear();
  rows.clear();
  out.clear();
  for (std::size_t at = 0; at < raw.size();) {
    if (raw.size() - at < header) return false;
    const std::uint8_t* p = raw.data() + at;
    const std::size_t size = detail::le32(p + 9);
    if (size < header || size > raw.size() - at) return false;
    const std::uint8_t code = f.canonical_type(p[4]);
    const auto type = static_cast<event_type>(code);
    ev_ref e{at, size, false, 0, 0, rows_flags_offset(f, code)};
    if (type == event_type::table_map) {
      e.map = true;
    } else if (!is_rows_event(type) || is_mariadb_compressed(type) || type < event_type::write_rows_v1) {
      return false;  // compressed rows are sent inflated; pre-GA rows (types 20-22) are left alone
    }
    if (f.post_header_length(code) < 0 || size < e.flags_at + 2) return false;
    for (std::size_t i = header; i < e.flags_at; ++i) e.table_id |= static_cast<std::uint64_t>(p[i]) << (8 * (i - header));
    if (!e.map) e.flags = detail::le16(p + e.flags_at);
    evs.push_back(e);
    at += size;
  }
  std::size_t first = 0;
  bool in_rows = false;
  for (std::size_t i = 0; i < evs.size(); ++i) {
    if (evs[i].map) {
      if (in_rows) return false;
      continue;
    }
    in_rows = true;
    if (evs[i].flags & rows_event::stmt_end_f) {
      stmts.emplace_back(first, i);
      first = i + 1;
      in_rows = false;
    }
  }
  if (first != evs.size() || stmts.size() < 2) return false;

  const bool crc = f.has_checksums();
  const std::size_t tail = crc ? 4u : 0u;
  auto body = [&](const ev_ref& e) {  // a map's bytes after the header, checksum excluded
    return bytes{raw.data() + e.at + header, e.size - header - tail};
  };
  auto same = [](bytes a, bytes b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); };

  out.reserve(raw.size());
  bool merged = false;
  auto emit = [&] {
    for (const ev_ref* m : maps) out.insert(out.end(), raw.begin() + static_cast<std::ptrdiff_t>(m->at),
                                            raw.begin() + static_cast<std::ptrdiff_t>(m->at + m->size));
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const ev_ref& r = *rows[k];
      const std::size_t at = out.size();
      out.insert(out.end(), raw.begin() + static_cast<std::ptrdiff_t>(r.at),
                 raw.begin() + static_cast<std::ptrdiff_t>(r.at + r.size));
      if (k + 1 < rows.size() && (r.flags & rows_event::stmt_end_f)) {
        std::uint8_t* p = out.data() + at;
        p[r.flags_at] = static_cast<std::uint8_t>(p[r.flags_at] & ~rows_event::stmt_end_f);
        if (crc) refresh_checksum(p);
        merged = true;
      }
    }
    maps.clear();
    rows.clear();
  };
  std::uint16_t key = 0;
  for (const auto& [b, e] : stmts) {
    std::uint16_t k = 0;
    bool uniform = true;
    for (std::size_t i = b; i <= e; ++i) {
      if (evs[i].map) continue;
      const auto fl = static_cast<std::uint16_t>(evs[i].flags & ~rows_event::stmt_end_f);
      if (i == b || evs[i - 1].map) k = fl;
      else if (fl != k) uniform = false;
    }
    bool joins = !rows.empty() && uniform && k == key;
    for (std::size_t i = b; joins && i <= e; ++i) {
      if (!evs[i].map) continue;
      for (const ev_ref* m : maps) {
        if (m->table_id == evs[i].table_id && !same(body(*m), body(evs[i]))) joins = false;
      }
    }
    if (!joins && !rows.empty()) emit();
    key = uniform ? k : static_cast<std::uint16_t>(0xffff);
    for (std::size_t i = b; i <= e; ++i) {
      if (!evs[i].map) {
        rows.push_back(&evs[i]);
        continue;
      }
      bool known = false;
      for (const ev_ref* m : maps) known = known || m->table_id == evs[i].table_id;
      if (!known) maps.push_back(&evs[i]);
    }
    if (!uniform) emit();  // a statement of mixed flags goes alone
  }
  if (!rows.empty()) emit();
  if (!merged) return false;
  raw.swap(out);  // out keeps the old buffer for the next call, unless it is a large one
  if (out.capacity() > (1u << 20)) std::vector<std::uint8_t>().swap(out);
  return true;
}

}  // namespace binlogkit::detail
