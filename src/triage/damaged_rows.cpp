#include "damaged_rows.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "binlogkit/events/events.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/rows/row_text.hpp"
#include "binlogkit/rows/rows.hpp"
#include "binlogkit/events/transaction.hpp"

namespace binlogkit {

namespace {

// At most this many applied damaged transactions get their rows read (each is a walk of
// its file from the start: the reader needs the file's format description).
constexpr std::size_t max_transactions_with_rows = 10;

// Splits the ### text of one rows event into one string per row: a row starts at a
// "### INSERT INTO", "### UPDATE" or "### DELETE FROM" line.
std::vector<std::string> split_rows(std::string_view text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t eol = text.find('\n', at);
    if (eol == std::string_view::npos) eol = text.size() - 1;
    const std::string_view line = text.substr(at, eol - at + 1);
    const bool starts = line.starts_with("### INSERT INTO ") || line.starts_with("### UPDATE ") ||
                        line.starts_with("### DELETE FROM ");
    if (starts || out.empty()) out.emplace_back();
    out.back().append(line);
    at = eol + 1;
  }
  for (auto& r : out) {
    if (!r.empty() && r.back() == '\n') r.pop_back();
  }
  return out;
}

// Whether `d` ends the transaction (its commit or rollback).
bool ends_transaction(event_type t, const any_event& d) {
  if (t == event_type::xid) return true;
  const auto* q = std::get_if<query_event>(&d);
  if (q == nullptr || q->compressed) return false;
  const auto k = classify_statement(q->query);
  return k == statement_kind::commit || k == statement_kind::rollback || k == statement_kind::xa_commit ||
         k == statement_kind::xa_rollback;
}

// Whether the event at [offset, end) of `file` holds bytes of a damage range: a bad
// checksum, or damage found by the event structure (files without checksums).
bool in_damage(const std::vector<damage_range>& damage, const std::string& file, std::uint64_t offset,
               std::uint64_t end) {
  for (const auto& d : damage) {
    if (d.file == file && d.offset < end && offset < d.offset + std::max<std::uint64_t>(d.length, 1)) return true;
  }
  return false;
}

class row_collector {
 public:
  row_collector(damaged_transaction& t, const std::vector<damage_range>& damage) : t_(t), damage_(damage) {}

  // Reads `in` from its start, collecting from `from` on. False once the transaction has
  // ended or the reader cannot go on (rows_note says which).
  bool read_file(const triage_input& in, std::uint64_t from) {
    reader_options ro;
    ro.bad_checksum_is_error = false;  // the damaged event is shown, marked
    event_reader r(in.data, ro);
    while (true) {
      auto next = r.next();
      if (!next) {
        if (r.position() > from || next.error().offset >= from) {
          note(fmt::format("the events stop at {} offset {} ({}): rows after it are not shown", in.name,
                           next.error().offset, next.error().detail));
          return false;
        }
        note(fmt::format("{} cannot be read before the transaction ({})", in.name, next.error().detail));
        return false;
      }
      if (!next->has_value()) return true;  // end of this file: the transaction may go on
      const event_view& ev = **next;
      if (ev.offset < from) continue;
      if (!take(in, ev)) return false;
    }
  }

  void note(std::string text) {
    if (t_.rows_note.empty()) t_.rows_note = std::move(text);
  }

 private:
  // A table map as the row events after it are decoded with; `damaged_at`: its event
  // holds damaged bytes (at this offset), so the rows decoded with it may be wrong.
  struct table_entry {
    table_schema schema;
    std::optional<std::uint64_t> damaged_at;
  };

  damaged_transaction& t_;
  const std::vector<damage_range>& damage_;
  std::map<std::uint64_t, table_entry> tables_;
  bool started_ = false;
  bool saw_statement_ = false;

  bool take(const triage_input& in, const event_view& ev) {
    const event_type t = ev.type();
    if (started_ && is_gtid_event(t)) return false;  // the next transaction
    started_ = true;
    auto d = decode(ev);
    if (!d) {
      note(fmt::format("the event at {} offset {} does not decode ({}): rows after it are not shown", in.name,
                       ev.offset, d.error().detail));
      return false;
    }
    if (const auto* tm = std::get_if<table_map_event>(&*d)) {
      auto s = decode_table_schema(*tm, ev.offset, ev.format->flavor());
      if (s) {
        tables_[tm->table_id] = {std::move(*s), damaged(in, ev) ? std::optional<std::uint64_t>(ev.offset) : std::nullopt};
      } else {
        tables_.erase(tm->table_id);
      }
    } else if (const auto* rows = std::get_if<rows_event>(&*d)) {
      add_rows(in, ev, *rows);
    } else if (const auto* q = std::get_if<query_event>(&*d); q != nullptr && !saw_statement_) {
      const auto k = q->compressed ? statement_kind::other : classify_statement(q->query);
      if (k == statement_kind::other) {
        saw_statement_ = true;
        note("the transaction holds statements (not row images): the rows they changed cannot be listed");
      }
    }
    return !ends_transaction(t, *d);
  }

  void add_rows(const triage_input& in, const event_view& ev, const rows_event& rows) {
    auto it = tables_.find(rows.table_id);
    if (it == tables_.end()) {
      note(fmt::format("the row event at {} offset {} has no table map before it", in.name, ev.offset));
      return;
    }
    if (rows.compressed) {
      note(fmt::format("the row event at {} offset {} is compressed: its rows are not shown", in.name, ev.offset));
      return;
    }
    std::string text;
    const auto style = ev.format->flavor() == flavor::mariadb ? text_style::mariadb_binlog : text_style::mysqlbinlog;
    auto r = append_rows_verbose(text, ev, rows, it->second.schema, {}, style, false);
    if (!r) {
      note(fmt::format("the rows of the event at {} offset {} decode only in part ({})", in.name, ev.offset,
                       r.error().detail));
    }
    const std::string why = doubt(in, ev, it->second, !r);
    for (auto& row : split_rows(text)) {
      if (t_.rows.size() >= damaged_rows_shown) {
        ++t_.rows_more;
        continue;
      }
      t_.rows.push_back({in.name, ev.offset, !why.empty(), why, escape_c1_controls(row)});
    }
  }

  bool damaged(const triage_input& in, const event_view& ev) const {
    return ev.checksum == checksum_status::bad || in_damage(damage_, in.name, ev.offset, ev.end_offset());
  }

  // Why the rows of `ev` may be wrong; "" when nothing says so.
  std::string doubt(const triage_input& in, const event_view& ev, const table_entry& map, bool partial) const {
    if (damaged(in, ev)) return "the damaged event, decoded without its checksum";
    if (map.damaged_at) return fmt::format("decoded with the damaged table map at offset {}", *map.damaged_at);
    if (partial) return "the event decodes only in part";
    return {};
  }
};

}  // namespace

std::string escape_c1_controls(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c1_control_at(text, i)) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      out += "\\xc2\\x";
      out += hex[next >> 4];
      out += hex[next & 15];
      ++i;
      continue;
    }
    out += static_cast<char>(c);
  }
  return out;
}

void read_applied_damaged_rows(const std::vector<triage_input>& inputs, triage_report& rep) {
  std::size_t done = 0;
  for (auto& t : rep.damaged_transactions) {
    if (!t.applied || t.begin_file.empty() || done >= max_transactions_with_rows) continue;
    ++done;
    row_collector c(t, rep.damage);
    bool found = false;
    for (const auto& in : inputs) {
      if (!found) {
        if (in.name != t.begin_file) continue;
        found = true;
        if (!c.read_file(in, t.begin)) break;
        continue;
      }
      if (in.missing) {
        c.note(fmt::format("{} is missing: rows after it are not shown", in.name));
        break;
      }
      if (!c.read_file(in, 0)) break;
    }
  }
}

}  // namespace binlogkit
