// find_bound_hazards: one pass with a hazard_tracker, copied at the start point (and read
// on until what is open there is settled) and at the stop point.
#include "binlogkit/sql/bound_hazards.hpp"

#include <fmt/format.h>

#include "binlogkit/events/reader.hpp"
#include "binlogkit/rows/row_text.hpp"
#include "filters.hpp"

namespace binlogkit {

namespace {

// Events that begin no transaction (a start point is never at one).
bool is_meta(event_type t) noexcept {
  return t == event_type::format_description || t == event_type::start_v3 || t == event_type::rotate ||
         t == event_type::stop || t == event_type::previous_gtids || t == event_type::mariadb_gtid_list ||
         t == event_type::binlog_checkpoint || t == event_type::heartbeat || t == event_type::heartbeat_v2;
}

class bound_scan {
 public:
  bound_scan(const std::vector<binlog_input>& inputs, const sql_filter& filter,
             std::optional<std::pair<std::size_t, std::uint64_t>> resume, bound_hazards& out)
      : inputs_(inputs), f_(filter), filter_(filter), resume_(resume), out_(out) {
    if (resume_) filter_.resume_after(resume_->first, resume_->second);
    start_wanted_ = f_.start_position > 0 || f_.start_datetime || f_.include_gtids || resume_;
    stop_wanted_ = f_.stop_position || f_.stop_datetime;
  }

  void run() {
    for (std::size_t i = 0; i < inputs_.size() && !done(); ++i) {
      if (inputs_[i].missing) {
        stop_reading(fmt::format("{}: listed but missing", inputs_[i].name));
        break;
      }
      main_.begin_file(inputs_[i].name);
      if (start_) start_->begin_file(inputs_[i].name);
      read_input(i);
    }
    if (!out_.failure.empty()) {
      out_.start.reset();
      out_.stop.reset();
      return;
    }
    if (start_) out_.start->hazards = start_->followed();
  }

 private:
  // Nothing more to learn: the start's hazards are settled and the stop was found.
  [[nodiscard]] bool done() const {
    const bool start_settled = start_ ? start_->settled() : start_taken_ || !start_wanted_;
    return start_settled && (stop_taken_ || !stop_wanted_) && (start_taken_ || !start_wanted_);
  }
  [[nodiscard]] bool main_needed() const { return (start_wanted_ && !start_taken_) || (stop_wanted_ && !stop_taken_); }

  // Damage: a failure while a point is still to find, else the end of the start's read-on.
  void stop_reading(std::string text) {
    if (main_needed()) {
      out_.failure = std::move(text);
    } else if (out_.start) {
      out_.start->read_on_warning = std::move(text);
    }
    finished_ = true;
  }

  [[nodiscard]] bool keeps_start(std::size_t i, const event_view& ev, const any_event& d) const {
    if (filter_.skip_at_start(i, ev) != detail::skip_reason::none) return false;
    if (f_.include_gtids) {
      transaction_tracker probe = main_.transactions();  // the GTID this event opens
      (void)probe.feed(ev, d);
      if (!f_.include_gtids->contains(probe.gtid())) return false;
    }
    return true;
  }

  [[nodiscard]] bool stops_at(std::size_t i, const event_view& ev) const {
    return filter_.stops_at(ev, i + 1 == inputs_.size()) != detail::stop_point::none;
  }

  static hazard_report report_at(const hazard_tracker& t, hazard_place at) {
    hazard_report r;
    at.gtid = t.transactions().gtid().text();
    r.at = std::move(at);
    r.gtid_state = t.gtid_state();
    return r;
  }

  void take_start(std::size_t i, const event_view& ev) {
    start_taken_ = true;
    start_ = main_;
    out_.start = report_at(*start_, {inputs_[i].name, ev.offset, {}});
    start_->mark_point();
  }

  void take_stop(std::size_t i, const event_view& ev) {
    stop_taken_ = true;
    if (start_wanted_ && !start_taken_) {
      start_taken_ = true;  // the read stops before it starts: nothing is applied
      return;
    }
    const bool inside = main_.transactions().in_transaction() && before_tx_;
    const hazard_tracker& t = inside ? *before_tx_ : main_;
    out_.stop = report_at(t, inside ? before_tx_place_ : hazard_place{inputs_[i].name, ev.offset, {}});
    out_.stop->hazards = t.open_at();
    before_tx_.reset();
  }

  void on_event(std::size_t i, const event_view& ev, const any_event& d) {
    const bool candidate = !main_.transactions().in_transaction() && !is_meta(ev.type());
    if (stop_wanted_ && !stop_taken_ && stops_at(i, ev)) take_stop(i, ev);
    if (start_wanted_ && !start_taken_ && candidate && keeps_start(i, ev, d)) take_start(i, ev);
    if (stop_wanted_ && !stop_taken_ && candidate) {
      before_tx_ = main_;
      before_tx_place_ = {inputs_[i].name, ev.offset, {}};
    }
    if (main_needed()) {
      if (auto r = main_.feed(ev, d); !r) return stop_reading(fmt::format("{}: {}", inputs_[i].name, r.error().message()));
    }
    if (start_ && !start_->settled()) {
      if (auto r = start_->feed(ev, d); !r) stop_reading(fmt::format("{}: {}", inputs_[i].name, r.error().message()));
    }
  }

  void read_input(std::size_t i) {
    event_reader reader(inputs_[i].data);
    event_view ev;
    while (!done() && !finished_) {
      const auto st = reader.read(ev);
      if (st == read_status::end) return;
      if (st == read_status::error) {
        return stop_reading(fmt::format("{}: {}", inputs_[i].name, reader.last_error().message()));
      }
      auto d = decode(ev);
      if (!d) return stop_reading(fmt::format("{}: {}", inputs_[i].name, d.error().message()));
      on_event(i, ev, *d);
    }
  }

  const std::vector<binlog_input>& inputs_;
  const sql_filter& f_;
  detail::transaction_filter filter_;  // the stream's own start and stop rules
  std::optional<std::pair<std::size_t, std::uint64_t>> resume_;
  bound_hazards& out_;
  bool start_wanted_ = false, stop_wanted_ = false;
  bool start_taken_ = false, stop_taken_ = false, finished_ = false;
  hazard_tracker main_;
  std::optional<hazard_tracker> start_;      // marked at the start point, fed on
  std::optional<hazard_tracker> before_tx_;  // main_ before the current transaction
  hazard_place before_tx_place_;
};

void append_place(std::string& out, const hazard_place& p) {
  append_one_line(out, p.file, false);
  fmt::format_to(std::back_inserter(out), ":{}", p.pos);
}

}  // namespace

bound_hazards find_bound_hazards(const std::vector<binlog_input>& inputs, const sql_filter& filter,
                                 std::optional<std::pair<std::size_t, std::uint64_t>> resume) {
  bound_hazards out;
  bound_scan(inputs, filter, resume, out).run();
  return out;
}

bool hazard_blocks_start(const hazard& h) noexcept {
  return (h.kind == hazard_kind::temporary_table || h.kind == hazard_kind::load_data) && h.needed_by.has_value();
}

std::string hazard_line(const hazard& h) {
  std::string out(to_string(h.kind));
  if (h.kind == hazard_kind::xa_prepared) {
    out += " xid ";
    append_one_line(out, h.xid, false);
  } else if (!h.table.empty()) {
    out += ' ';
    out += quote_identifier(h.schema);
    out += '.';
    out += quote_identifier(h.table);
  }
  out += " opened at ";
  append_place(out, h.opened);
  if (!h.opened.gtid.empty()) {
    out += " GTID ";
    append_one_line(out, h.opened.gtid, false);
  }
  fmt::format_to(std::back_inserter(out), ", thread {}, ", h.pseudo_thread_id);
  if (h.needed_by) {
    out += "needed by ";
    append_place(out, *h.needed_by);
  } else {
    out += "may be needed later (not looked for, or the input ends first)";
  }
  out += ": ";
  append_one_line(out, h.advice, false);
  return out;
}

}  // namespace binlogkit
