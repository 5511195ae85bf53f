#include "progress_rows.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include "binlogkit/core/crc32.hpp"
#include "binlogkit/core/event_type.hpp"
#include "binlogkit/events/format_description.hpp"

namespace binlogkit {

namespace {

// The table as replay.cpp creates it (utf8mb4: four bytes a character).
struct column_spec {
  std::string_view name, type, key;
  std::uint32_t octets;
};
constexpr column_spec spec[] = {
    {"replay_id", "varchar(64)", "PRI", 256},   {"file", "varchar(512)", "", 2048},
    {"end_pos", "bigint(20) unsigned", "", 0}, {"gtid", "varchar(128)", "", 512},
    {"transactions", "bigint(20) unsigned", "", 0}, {"updated_at", "timestamp(6)", "", 0},
};
constexpr std::uint8_t type_varchar = 15, type_longlong = 8, type_timestamp2 = 17;

class event_writer {
 public:
  explicit event_writer(std::vector<std::uint8_t>& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void text(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  void varchar(std::string_view s) {  // the columns here are all longer than 255 bytes
    le(s.size(), 2);
    text(s);
  }
  // | 4 timestamp | 1 type | 4 server id | 4 size | 4 end position | 2 flags |
  void begin(const transaction_stream::commit_point& cp, event_type type) {
    at_ = out_.size();
    le(cp.timestamp, 4);
    u8(static_cast<std::uint8_t>(type));
    le(cp.server_id, 4);
    le(0, 4);
    le(cp.end, 4);
    le(0, 2);
  }
  void end(bool checksum) {
    if (checksum) le(0, 4);
    const auto size = static_cast<std::uint32_t>(out_.size() - at_);
    std::uint8_t* p = out_.data() + at_;
    for (int i = 0; i < 4; ++i) p[9 + i] = static_cast<std::uint8_t>(size >> (8 * i));
    if (checksum) {
      const std::uint32_t crc = crc32({p, size - 4u});
      for (int i = 0; i < 4; ++i) p[size - 4 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
    }
  }

 private:
  std::vector<std::uint8_t>& out_;
  std::size_t at_ = 0;
};

bool plain(std::string_view s, std::size_t max_chars) {
  return s.size() <= max_chars && std::all_of(s.begin(), s.end(), [](char c) {
           return static_cast<unsigned char>(c) < 0x80;
         });
}

}  // namespace

bool progress_columns_match(const std::vector<std::string>& columns) {
  if (columns.size() != std::size(spec)) return false;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto& s = spec[i];
    const std::string want = std::string(s.name) + "|" + std::string(s.type) + "|NO|" + std::string(s.key) + "|" +
                             std::to_string(s.octets) + "|" + (s.octets != 0 ? "utf8mb4" : "");
    if (columns[i] != want) return false;
  }
  return true;
}

bool append_progress_rows(std::vector<std::uint8_t>& out, const transaction_stream::commit_point& cp,
                          const progress_values& v) {
  const format_description* f = cp.format;
  if (f == nullptr || f->header_length() != 19 || f->post_header_length(19) != 8 ||
      f->post_header_length(static_cast<std::uint8_t>(event_type::update_rows_v1)) != 8) {
    return false;
  }
  if (!plain(v.replay_id, 64) || !plain(v.file, 512) || !plain(v.gtid, 128)) return false;
  event_writer w(out);

  // TABLE_MAP: | 6 table id | 2 flags | db | table | columns | types | metadata | nullable |
  w.begin(cp, event_type::table_map);
  w.le(progress_table_id, 6);
  w.le(1, 2);
  w.u8(9);
  w.text("binlogkit");
  w.u8(0);
  w.u8(15);
  w.text("replay_progress");
  w.u8(0);
  w.u8(6);
  for (auto t : {type_varchar, type_varchar, type_longlong, type_varchar, type_longlong, type_timestamp2}) w.u8(t);
  w.u8(7);        // metadata bytes
  w.le(256, 2);   // VARCHAR: the longest value in bytes
  w.le(2048, 2);
  w.le(512, 2);
  w.u8(6);        // TIMESTAMP2: fractional digits
  w.u8(0);        // no column is nullable
  w.end(cp.checksums);

  // UPDATE_ROWS v1: | 6 table id | 2 flags | width | columns before | columns after |
  // before: | null bits | replay_id |  after: | null bits | the other five |
  w.begin(cp, event_type::update_rows_v1);
  w.le(progress_table_id, 6);
  w.le(1, 2);  // STMT_END_F
  w.u8(6);
  w.u8(0x01);
  w.u8(0x3e);
  w.u8(0);
  w.varchar(v.replay_id);
  w.u8(0);
  w.varchar(v.file);
  w.le(v.end_pos, 8);
  w.varchar(v.gtid);
  w.le(v.transactions, 8);
  const std::int64_t us = std::max<std::int64_t>(v.updated_us, 0);
  w.be(static_cast<std::uint64_t>(us / 1000000), 4);
  w.be(static_cast<std::uint64_t>(us % 1000000), 3);
  w.end(cp.checksums);
  return true;
}

bool append_progress_rows(std::vector<std::uint8_t>& out, const transaction_stream::commit_point& cp,
                          std::string_view replay_id, std::string_view file, std::uint64_t transactions) {
  const std::string gtid = cp.gtid.text();
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  progress_values v;
  v.replay_id = replay_id;
  v.file = file;
  v.gtid = gtid;
  v.end_pos = cp.end;
  v.transactions = transactions;
  v.updated_us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  return append_progress_rows(out, cp, v);
}

}  // namespace binlogkit
