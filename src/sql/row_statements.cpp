#include "row_statements.hpp"

#include <algorithm>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/events/compression.hpp"
#include "binlogkit/core/crc32.hpp"
#include "binlog_merge.hpp"
#include "event_bytes.hpp"

namespace binlogkit::detail {

void row_statements::note_format(const event_view& ev) {
  if (raw_.empty()) {
    format_ = *ev.format;
    one_format_ = true;
  } else if (one_format_ && format_) {
    const std::uint8_t code = ev.header.type_code;
    one_format_ = format_->header_length() == ev.format->header_length() &&
                  format_->has_checksums() == ev.format->has_checksums() &&
                  format_->post_header_length(code) == ev.format->post_header_length(code);
  }
}

// Copies an event into raw_: inner events of a transaction payload carry no
// checksum while the format description promises one, so they get one.
std::size_t row_statements::append_raw(const event_view& ev, bool inner) {
  const std::size_t at = raw_.size();
  if (at == 0) offset_ = inner ? ctx_.tx_first_offset : ev.offset;
  note_format(ev);
  raw_.insert(raw_.end(), ev.raw.begin(), ev.raw.end());
  if (inner && ctx_.file_checksums) {
    std::uint8_t* p = raw_.data() + at;
    store_le32(p + 9, static_cast<std::uint32_t>(ev.raw.size() + checksum_size));
    std::uint32_t crc = crc32({p, ev.raw.size()});
    raw_.resize(raw_.size() + 4);
    store_le32(raw_.data() + at + ev.raw.size(), crc);
  }
  return at;
}

void row_statements::fix_checksum(std::size_t at, bool has_checksum) {
  if (has_checksum) refresh_checksum(raw_.data() + at);
}

result<void> row_statements::table_map(const event_view& ev, const table_map_event& tm, bool inner) {
  auto db = ctx_.filter.rewrite(tm.database);
  const bool kept = ctx_.filter.db_kept(db);
  tables_[tm.table_id] = kept;
  if (!kept) return {};
  const std::size_t at = append_raw(ev, inner);
  if (db != tm.database) rename_database(ev, tm, at, db, inner);
  stmt_maps_.emplace_back(at, raw_.size() - at);  // its bytes as they go out, for a statement continued later
  return {};
}

// The table map copied to `at` names `db` instead of its own database.
void row_statements::rename_database(const event_view& ev, const table_map_event& tm, std::size_t at,
                                     std::string_view db, bool inner) {
  // TABLE_MAP payload: | 1 db_len | db | NUL | 1 tbl_len | table | NUL | …
  const std::size_t name_at = at + ev.format->header_length() +
                              static_cast<std::size_t>(ev.format->post_header_length(ev.header.type_code));
  const std::size_t old_len = tm.database.size();
  std::vector<std::uint8_t> repl;
  repl.push_back(static_cast<std::uint8_t>(db.size()));
  repl.insert(repl.end(), db.begin(), db.end());
  repl.push_back(0);
  auto first = raw_.begin() + static_cast<std::ptrdiff_t>(name_at);
  raw_.erase(first, first + static_cast<std::ptrdiff_t>(old_len + 2));
  raw_.insert(raw_.begin() + static_cast<std::ptrdiff_t>(name_at), repl.begin(), repl.end());
  std::uint8_t* p = raw_.data() + at;
  const auto size = static_cast<std::uint32_t>(le32(p + 9) + db.size() - old_len);
  store_le32(p + 9, size);
  fix_checksum(at, inner ? ctx_.file_checksums : ev.format->has_checksums());
}

// MariaDB's BINLOG statement takes no compressed rows events (error 1730), so they go
// as the uncompressed type (166-171 -> 23-25, 30-32) with the row images inflated, as
// mariadb-binlog prints them.
result<void> row_statements::append_inflated(const event_view& ev, const rows_event& r) {
  BK_TRY(auto images, inflate_mariadb(r.rows, ev.offset, ev.header.type_code));
  const auto code = ev.header.type_code;
  const std::uint8_t plain = code <= 168 ? static_cast<std::uint8_t>(code - 166 + 23)
                                         : static_cast<std::uint8_t>(code - 169 + 30);
  const std::size_t prefix = static_cast<std::size_t>(r.rows.data() - ev.raw.data());
  const bool crc = ev.format->has_checksums();
  const std::size_t size = prefix + images.size() + (crc ? checksum_size : 0);
  if (size > UINT32_MAX) {
    return make_error(errc::unsupported, ev.offset, code, "inflated rows event exceeds 4 GiB");
  }
  const std::size_t at = raw_.size();
  if (at == 0) offset_ = ev.offset;
  note_format(ev);
  raw_.insert(raw_.end(), ev.raw.begin(), ev.raw.begin() + static_cast<std::ptrdiff_t>(prefix));
  raw_.insert(raw_.end(), images.begin(), images.end());
  if (crc) raw_.resize(raw_.size() + checksum_size);
  std::uint8_t* p = raw_.data() + at;
  p[4] = plain;
  store_le32(p + 9, static_cast<std::uint32_t>(size));
  fix_checksum(at, crc);
  last_rows_at_ = at;
  return {};
}

result<void> row_statements::rows(const event_view& ev, const rows_event& r, bool inner) {
  const bool end = (r.flags & rows_event::stmt_end_f) != 0;
  auto t = tables_.find(r.table_id);
  if (t != tables_.end() && t->second) {
    if (r.compressed) BK_TRY_VOID(append_inflated(ev, r));
    else last_rows_at_ = append_raw(ev, inner);
    last_rows_ended_ = end;
  }
  if (!end) {
    // A long statement (INSERT … SELECT of many rows): its BINLOG statement ends here and
    // it goes on in the next one, which maps its tables again. The server forgets table
    // maps at the end of each BINLOG statement: rows events after it without them would
    // be skipped without an error.
    if (raw_.size() >= batch_limit() && last_rows_at_ != SIZE_MAX && last_rows_at_ >= stmt_begin_) {
      continue_statement(ev, inner);
    }
    return {};
  }
  // The statement is complete: drop its table maps if none of its rows were kept, and
  // end it on the last kept rows event when the filter dropped the one that ended it.
  if (last_rows_at_ == SIZE_MAX || last_rows_at_ < stmt_begin_) {
    raw_.resize(stmt_begin_);
  } else if (!last_rows_ended_) {
    std::uint8_t* p = raw_.data() + last_rows_at_;
    const std::size_t fo = rows_flags_offset(ev);
    p[fo] = static_cast<std::uint8_t>(p[fo] | rows_event::stmt_end_f);
    fix_checksum(last_rows_at_, inner ? ctx_.file_checksums : ev.format->has_checksums());
  }
  tables_.clear();
  stmt_maps_.clear();
  stmt_begin_ = raw_.size();
  last_rows_at_ = SIZE_MAX;
  if (!ctx_.opt.batch_binlog || raw_.size() >= batch_limit()) flush();
  return {};
}

// Raw bytes of row events one BINLOG statement holds at most (a single larger event
// excepted): max_binlog_batch of base64, and half the stream threshold so that the
// pieces of a large transaction stay near it.
std::size_t row_statements::batch_limit() const {
  std::size_t n = std::max<std::size_t>(ctx_.opt.max_binlog_batch / 4 * 3, 1);
  if (ctx_.opt.stream_threshold != 0) n = std::min(n, std::max<std::size_t>(ctx_.opt.stream_threshold / 2, 1));
  return n;
}

// Ends the current row statement's BINLOG statement after its last kept rows event
// (flagged STMT_END_F there) and starts the next one with the statement's table maps.
void row_statements::continue_statement(const event_view& ev, bool inner) {
  std::uint8_t* p = raw_.data() + last_rows_at_;
  const std::size_t fo = rows_flags_offset(ev);
  p[fo] = static_cast<std::uint8_t>(p[fo] | rows_event::stmt_end_f);
  fix_checksum(last_rows_at_, inner ? ctx_.file_checksums : ev.format->has_checksums());
  std::vector<std::uint8_t> maps;
  auto saved = std::move(stmt_maps_);
  std::size_t at = 0;
  for (auto& [m_at, n] : saved) {
    maps.insert(maps.end(), raw_.begin() + static_cast<std::ptrdiff_t>(m_at),
                raw_.begin() + static_cast<std::ptrdiff_t>(m_at + n));
    m_at = at;
    at += n;
  }
  stmt_begin_ = raw_.size();
  flush();
  stmt_maps_ = std::move(saved);
  raw_ = std::move(maps);
  offset_ = ev.offset;
  stmt_begin_ = 0;
  last_rows_at_ = SIZE_MAX;
}

// The pending row statements as one BINLOG statement.
void row_statements::flush() {
  if (stmt_begin_ < raw_.size()) raw_.resize(stmt_begin_);  // an unfinished statement
  if (!raw_.empty()) {
    if (ctx_.opt.batch_binlog && one_format_ && format_) merge_row_statements(raw_, *format_);
    ctx_.out.binlog_statement(offset_, {raw_.data(), raw_.size()});
    ++ctx_.out.body_count;
  }
  raw_.clear();
  stmt_begin_ = 0;
  last_rows_at_ = SIZE_MAX;
  stmt_maps_.clear();
}

void row_statements::append_commit_rows(const event_view& ev, const std::vector<std::uint8_t>& events) {
  if (stmt_begin_ < raw_.size()) raw_.resize(stmt_begin_);  // an unfinished statement
  if (raw_.empty()) offset_ = ev.offset;
  note_format(ev);
  raw_.insert(raw_.end(), events.begin(), events.end());
  stmt_begin_ = raw_.size();
  last_rows_at_ = SIZE_MAX;
  stmt_maps_.clear();
}

void row_statements::reset() {
  raw_.clear();
  stmt_begin_ = 0;
  last_rows_at_ = SIZE_MAX;
  stmt_maps_.clear();
  tables_.clear();
}

void row_statements::release() {
  reset();
  raw_.shrink_to_fit();
}

}  // namespace binlogkit::detail
