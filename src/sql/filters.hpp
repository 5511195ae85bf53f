// The filters of sql_filter applied to whole transactions, and the resume point
// (transaction_stream::resume_after). Decisions only: the stream asks, at a
// transaction's first event, whether it is skipped and why; once its GTID is known,
// whether the GTID sets keep it; before each event, whether a stop point ends the stream;
// for each name, what --rewrite-db makes of it and whether --database keeps it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "binlogkit/events/event.hpp"
#include "binlogkit/sql/sql.hpp"

namespace binlogkit::detail {

// Why a transaction renders nothing. `doomed`: larger than the stream threshold, and
// reading ahead found that it is not applied whole (stop point, damage, input ending
// inside it): nothing more is rendered, the walk reaches the same end and reports it.
enum class skip_reason : std::uint8_t { none, start, datetime, gtid, resume, doomed };

// Which stop point an event reaches.
enum class stop_point : std::uint8_t { none, position, datetime };

class transaction_filter {
 public:
  explicit transaction_filter(sql_filter f) : f_(std::move(f)) {}

  [[nodiscard]] const sql_filter& options() const noexcept { return f_; }

  // The database --rewrite-db turns `db` into (`db` itself when no rule names it).
  [[nodiscard]] std::string_view rewrite(std::string_view db) const noexcept;
  // --database keeps `db` (a rewritten name); true without --database.
  [[nodiscard]] bool db_kept(std::string_view db) const noexcept;
  [[nodiscard]] bool filters_databases() const noexcept { return !f_.databases.empty(); }

  // A transaction whose first event `first` is at `file`: skipped by the resume point,
  // --start-position (first file) or --start-datetime, or none.
  [[nodiscard]] skip_reason skip_at_start(std::size_t file, const event_view& first) const noexcept;
  // The GTID sets keep a transaction with GTID `g`.
  [[nodiscard]] bool gtid_kept(const gtid_ref& g) const noexcept;
  // The stop point `ev` reaches: --stop-position in the last file, --stop-datetime at an
  // event other than a format description, rotate or stop.
  [[nodiscard]] stop_point stops_at(const event_view& ev, bool last_file) const noexcept;

  // The resume point: transactions of earlier inputs, and of input `file` that end at or
  // before `end`, are skipped; resume_hit() says one ending exactly at `end` was seen.
  void resume_after(std::size_t file, std::uint64_t end) noexcept { resume_ = std::pair{file, end}; }
  // A transaction skipped for `why` ended at `end` of input `file`.
  void skipped(skip_reason why, std::size_t file, std::uint64_t end) noexcept;
  [[nodiscard]] bool resume_hit() const noexcept { return resume_hit_; }

 private:
  sql_filter f_;
  std::optional<std::pair<std::size_t, std::uint64_t>> resume_;
  bool resume_hit_ = false;
};

}  // namespace binlogkit::detail
