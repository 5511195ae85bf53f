// find_hazards: one pass over a binlog / relay-log set with a hazard_tracker, up to the
// point and on until every hazard open there is settled.
#include <fmt/format.h>

#include <charconv>

#include "binlogkit/events/hazards.hpp"
#include "binlogkit/events/reader.hpp"

namespace binlogkit {

namespace {

std::string_view base_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string failure_text(const std::string& file, const error& e) {
  return fmt::format("{}: {}", file, e.message());
}

// Where the point is: an input and an offset in it.
struct resolved_point {
  std::size_t input = 0;
  std::uint64_t pos = 0;
};

std::optional<std::size_t> input_named(const std::vector<binlog_input>& inputs, std::string_view name) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].name == name || base_name(inputs[i].name) == base_name(name)) return i;
  }
  return std::nullopt;
}

// The point just after the last transaction of `set` in the input (a pass with the
// transaction grammar only).
std::optional<resolved_point> locate_gtids(const std::vector<binlog_input>& inputs, const gtid_set& set,
                                           std::string& failure) {
  std::optional<resolved_point> found;
  transaction_tracker txn;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    event_reader reader(inputs[i].data);
    event_view ev;
    for (;;) {
      const auto st = reader.read(ev);
      if (st == read_status::end) break;
      if (st == read_status::error) {
        failure = failure_text(inputs[i].name, reader.last_error());
        return std::nullopt;
      }
      auto d = decode(ev);
      if (!d) {
        failure = failure_text(inputs[i].name, d.error());
        return std::nullopt;
      }
      if (std::holds_alternative<format_description_event>(*d)) (void)txn.abandon();
      const auto step = txn.feed(ev, *d);
      if (step.completes && set.contains(txn.gtid())) found = resolved_point{i, ev.end_offset()};
    }
  }
  if (!found) failure = fmt::format("no transaction of the GTID set {} is in the input", set.text(","));
  return found;
}

std::optional<resolved_point> resolve(const std::vector<binlog_input>& inputs, const hazard_point& point,
                                      std::string& failure) {
  if (const auto* set = std::get_if<gtid_set>(&point)) return locate_gtids(inputs, *set, failure);
  const auto& p = std::get<hazard_position>(point);
  if (p.file.empty()) {
    if (inputs.size() != 1) {
      failure = fmt::format("a position without a file name needs one input ({} given): write FILE:{}", inputs.size(), p.pos);
      return std::nullopt;
    }
    return resolved_point{0, p.pos};
  }
  auto i = input_named(inputs, p.file);
  if (!i) {
    failure = fmt::format("{}: not one of the inputs", p.file);
    return std::nullopt;
  }
  return resolved_point{*i, p.pos};
}

// Reads on one input; `before` says whether an event at this offset comes before the point.
class scan {
 public:
  scan(const std::vector<binlog_input>& inputs, resolved_point at, hazard_report& rep)
      : inputs_(inputs), at_(at), rep_(rep) {}

  void run() {
    for (std::size_t i = 0; i < inputs_.size() && !done_; ++i) {
      if (inputs_[i].missing) {
        fail_or_warn(i, fmt::format("{}: listed but missing", inputs_[i].name));
        return;
      }
      tracker_.begin_file(inputs_[i].name);
      read_input(i);
    }
    if (!marked_ && rep_.failure.empty()) {
      rep_.failure = fmt::format("{}: offset {} is past the end of the file", inputs_[at_.input].name, at_.pos);
    }
    if (marked_) rep_.hazards = tracker_.followed();
  }

 private:
  void mark(std::size_t i) {
    rep_.at = {inputs_[i].name, at_.pos, tracker_.transactions().gtid().text()};
    rep_.gtid_state = tracker_.gtid_state();
    tracker_.mark_point();
    marked_ = true;
    if (tracker_.settled()) done_ = true;
  }

  void fail_or_warn(std::size_t i, std::string text) {
    (void)i;
    if (!marked_) {
      rep_.failure = std::move(text);
    } else {
      rep_.read_on_warning = std::move(text);
    }
    done_ = true;
  }

  void read_input(std::size_t i) {
    event_reader reader(inputs_[i].data);
    event_view ev;
    const bool point_file = i == at_.input;
    if (point_file && at_.pos < binlog_magic_size) {
      rep_.failure = fmt::format("{}: offset {} is inside the file's magic number, not an event", inputs_[i].name, at_.pos);
      done_ = true;
      return;
    }
    for (;;) {
      const auto st = reader.read(ev);
      if (st == read_status::error) {
        if (point_file && !marked_ && reader.last_error().offset == at_.pos) mark(i);
        fail_or_warn(i, failure_text(inputs_[i].name, reader.last_error()));
        return;
      }
      if (point_file && !marked_ && (st == read_status::end ? reader.position() : ev.offset) >= at_.pos) {
        if ((st == read_status::end ? reader.position() : ev.offset) != at_.pos) {
          rep_.failure = fmt::format("{}: offset {} is not where an event starts", inputs_[i].name, at_.pos);
          done_ = true;
          return;
        }
        mark(i);
        if (done_) return;
      }
      if (st == read_status::end) return;
      auto d = decode(ev);
      if (!d) {
        fail_or_warn(i, failure_text(inputs_[i].name, d.error()));
        return;
      }
      if (auto r = tracker_.feed(ev, *d); !r) {
        fail_or_warn(i, failure_text(inputs_[i].name, r.error()));
        return;
      }
      if (marked_ && tracker_.settled()) {
        done_ = true;
        return;
      }
    }
  }

  const std::vector<binlog_input>& inputs_;
  resolved_point at_;
  hazard_report& rep_;
  hazard_tracker tracker_;
  bool marked_ = false;
  bool done_ = false;
};

}  // namespace

result<hazard_point> parse_hazard_point(std::string_view text) {
  const auto number = [](std::string_view s) -> std::optional<std::uint64_t> {
    std::uint64_t v = 0;
    const auto* end = s.data() + s.size();
    auto [p, ec] = std::from_chars(s.data(), end, v);
    if (s.empty() || ec != std::errc{} || p != end) return std::nullopt;
    return v;
  };
  if (auto n = number(text)) return hazard_point{hazard_position{{}, *n}};
  const auto colon = text.rfind(':');
  if (colon != std::string_view::npos && colon > 0) {
    auto n = number(text.substr(colon + 1));
    // "uuid:5" is a MySQL GTID set, not FILE:POS: a file name has no '-' run of 8 hex digits.
    const auto file = text.substr(0, colon);
    auto as_gtids = gtid_set::parse(text);
    if (n && !as_gtids) return hazard_point{hazard_position{std::string(file), *n}};
  }
  auto set = gtid_set::parse(text);
  if (!set) {
    return make_error(errc::bad_value, 0, -1, "a point is FILE:POS, POS, or a GTID set");
  }
  return hazard_point{std::move(*set)};
}

hazard_report find_hazards(const std::vector<binlog_input>& inputs, const hazard_point& point) {
  hazard_report rep;
  if (inputs.empty()) {
    rep.failure = "no input";
    return rep;
  }
  auto at = resolve(inputs, point, rep.failure);
  if (!at) return rep;
  scan s(inputs, *at, rep);
  s.run();
  if (!rep.failure.empty()) rep.hazards.clear();
  return rep;
}

}  // namespace binlogkit
