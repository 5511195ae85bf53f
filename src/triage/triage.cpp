// triage(): the scan (scanner.hpp), the executed and resume points (resume.hpp), the rows
// of applied damaged transactions (damaged_rows.hpp), the plans (plans.hpp) and the notes
// that compare the files with the replica's recorded positions; and the small public
// helpers of triage.hpp.
#include "binlogkit/triage/triage.hpp"

#include <fmt/format.h>

#include <charconv>

#include "binlogkit/core/binlog_name.hpp"
#include "binlogkit/core/exit_code.hpp"
#include "binlogkit/events/reader.hpp"
#include "triage/damaged_rows.hpp"
#include "triage/plans.hpp"
#include "triage/resume.hpp"
#include "triage/scanner.hpp"

namespace binlogkit {

std::optional<mysql_gtid_intervals> parse_mysql_gtid_set(std::string_view text) {
  auto set = detail::parse_mysql_set(text);
  if (!set) return std::nullopt;
  mysql_gtid_intervals out;
  for (const auto& [src, iv] : set->mysql()) {
    auto& list = out[{format_uuid(src.uuid), src.tag}];
    for (auto x : iv) list.emplace_back(static_cast<std::int64_t>(x.first), static_cast<std::int64_t>(x.last));
  }
  return out;
}

int compare_positions(const source_position& a, const source_position& b) noexcept {
  if (a.file != b.file) return compare_binlog_names(a.file, b.file) < 0 ? -1 : 1;
  if (a.pos == b.pos) return 0;
  return a.pos < b.pos ? -1 : 1;
}

std::optional<source_position> parse_source_position(std::string_view text) {
  auto colon = text.find_last_of(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  source_position p;
  p.file = std::string(text.substr(0, colon));
  auto num = text.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), p.pos);
  if (ec != std::errc() || ptr != num.data() + num.size()) return std::nullopt;
  return p;
}

int triage_report::exit_code() const noexcept {
  if (unreadable && !last_good) return exit_code::unreadable;
  if (damage.empty()) return exit_code::ok;
  return resume_mode != resume_mode::none ? exit_code::damaged : exit_code::no_answer;
}

std::string_view to_string(resume_mode m) noexcept {
  switch (m) {
    case resume_mode::none: return "none";
    case resume_mode::position: return "position";
    case resume_mode::gtid_only: return "gtid";
    case resume_mode::server_state: return "server_state";
  }
  return "none";
}

namespace {

// The notes that set the files beside the positions the replica recorded: the SQL thread's
// relay position, and the receiver's read position (master.info) against the files' end.
void note_recorded_positions(triage_report& rep, const triage_options& options,
                             const std::optional<source_position>& executed_pos) {
  if (options.executed_relay_position) {
    const auto& r = *options.executed_relay_position;
    rep.notes.push_back(fmt::format("the SQL thread had executed up to {}:{} in the relay logs{}", r.file, r.pos,
                                    executed_pos && !executed_pos->file.empty()
                                        ? fmt::format(" (source {}:{})", executed_pos->file, executed_pos->pos)
                                        : std::string()));
  }
  if (options.read_position && options.read_position->file.empty()) {
    rep.notes.push_back("master.info names no source binlog (a replica reset or never started): its read position "
                        "is ignored");
  } else if (options.read_position && rep.source_end) {
    const int c = compare_positions(*rep.source_end, *options.read_position);
    if (c < 0) {
      rep.notes.push_back(fmt::format(
          "the receiver had read up to {}:{} from the source, but the relay logs end at {}:{}: what lies "
          "between was fetched and lost; the source sends it again when replication resumes",
          options.read_position->file, options.read_position->pos, rep.source_end->file, rep.source_end->pos));
    } else if (c > 0) {
      rep.notes.push_back(fmt::format(
          "the relay logs reach {}:{}, past the position the receiver recorded ({}:{}): the position file "
          "lags behind the relay logs",
          rep.source_end->file, rep.source_end->pos, options.read_position->file, options.read_position->pos));
    }
  }
}

}  // namespace

triage_report triage(const std::vector<triage_input>& inputs, const triage_options& options) {
  triage_report rep;
  detail::scanner sc(options, rep);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    sc.scan_file(inputs[i], i, i + 1 == inputs.size());
    if (options.progress) options.progress(i, inputs[i].data.size());
  }
  sc.finish(inputs);

  const std::optional<source_position> executed_pos = detail::resolve_resume(rep, sc, inputs, options);
  read_applied_damaged_rows(inputs, rep);
  detail::write_plans(rep);
  note_recorded_positions(rep, options, executed_pos);
  if (rep.unverifiable && !rep.unreadable) {
    rep.notes.push_back(
        "the files carry no checksums: a changed byte that leaves every length intact cannot be "
        "detected, so an undamaged verdict means unverifiable, not clean");
  }
  return rep;
}

result<std::vector<std::uint8_t>> salvage_copy(bytes data, std::uint64_t end) {
  if (end > data.size() || end < binlog_magic_size) {
    return make_error(errc::bad_body, end, -1, "salvage end lies outside the file");
  }
  std::vector<std::uint8_t> out(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(end));
  // Clear LOG_EVENT_BINLOG_IN_USE_F in the first format description. Its CRC32 is computed
  // with the flag cleared, so it stays valid.
  event_reader r({out.data(), out.size()});
  auto first = r.next();
  if (first && first->has_value()) {
    const event_view& ev = **first;
    if (ev.type() == event_type::format_description && (ev.header.flags & flag_binlog_in_use) != 0) {
      out[ev.offset + 17] = static_cast<std::uint8_t>(out[ev.offset + 17] & ~flag_binlog_in_use);
    }
  }
  return out;
}

}  // namespace binlogkit
