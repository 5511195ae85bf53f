#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "binlogkit/event_type.hpp"
#include "binlogkit/triage.hpp"

namespace binlogkit {

namespace {

using json = nlohmann::ordered_json;

json point_json(const resume_point& p) {
  json j;
  j["relay_file"] = p.relay_file;
  j["relay_pos"] = p.relay_pos;
  j["source_file"] = p.source.file;
  j["source_pos"] = p.source.pos;
  j["gtid"] = p.gtid;
  j["gtid_state"] = p.gtid_state;
  return j;
}

std::string kind_text(const damage_range& d) {
  if (d.tail) return "truncated_tail";
  return std::string(to_string(d.code));
}

// 16 bytes a line, offsets absolute, the damaged bytes marked with brackets in the margin.
void hexdump(std::string& out, bytes data, std::uint64_t from, std::uint64_t to,
             std::uint64_t dmg_begin, std::uint64_t dmg_end) {
  from &= ~std::uint64_t{15};
  for (std::uint64_t line = from; line < to && line < data.size(); line += 16) {
    const bool inside = line + 16 > dmg_begin && line < dmg_end;
    fmt::format_to(std::back_inserter(out), "    {}{:08x} ", inside ? '>' : ' ', line);
    std::string chars;
    for (std::uint64_t i = line; i < line + 16; ++i) {
      if (i < data.size()) {
        fmt::format_to(std::back_inserter(out), " {:02x}", data[i]);
        chars += (data[i] >= 32 && data[i] < 127) ? static_cast<char>(data[i]) : '.';
      } else {
        out += "   ";
      }
    }
    fmt::format_to(std::back_inserter(out), "  |{}|\n", chars);
  }
}

}  // namespace

std::string triage_report_json(const triage_report& r) {
  json j;
  j["files"] = r.files;
  j["flavor"] = to_string(r.flavor);
  j["server_version"] = r.server_version;
  j["relay"] = r.relay;
  j["checksums"] = r.checksums;
  j["verdict"] = r.damage.empty() ? (r.unverifiable ? "unverifiable" : "clean") : "damaged";
  j["events"] = r.events;
  auto& dmg = j["damage"] = json::array();
  for (const auto& d : r.damage) {
    json x;
    x["file"] = d.file;
    x["offset"] = d.offset;
    x["length"] = d.length;
    x["kind"] = kind_text(d);
    x["event_type"] = d.event_type >= 0 ? json(type_name(static_cast<std::uint8_t>(d.event_type))) : json(nullptr);
    x["detail"] = d.detail;
    dmg.push_back(std::move(x));
  }
  j["transactions_before_damage"] = r.transactions_before_damage;
  if (r.source_at_damage) {
    j["source_at_damage"] = {{"file", r.source_at_damage->file}, {"pos", r.source_at_damage->pos}};
  } else {
    j["source_at_damage"] = nullptr;
  }
  j["last_good"] = r.last_good ? point_json(*r.last_good) : json(nullptr);
  j["resume"] = r.resume ? point_json(*r.resume) : json(nullptr);
  json after;
  after["count"] = r.intact_after_damage_count;
  auto& list = after["transactions"] = json::array();
  for (const auto& t : r.intact_after_damage) {
    json x;
    x["file"] = t.file;
    x["begin"] = t.begin;
    x["end_file"] = t.end_file;
    x["end"] = t.end;
    x["source_file"] = t.source_end.file;
    x["source_pos"] = t.source_end.pos;
    x["gtid"] = t.gtid;
    list.push_back(std::move(x));
  }
  j["intact_after_damage"] = std::move(after);
  j["abandoned_partial_transactions"] = r.abandoned_partial_transactions;
  j["resume_sql"] = r.resume_sql;
  j["resume_sql_position"] = r.resume_sql_position;
  if (!r.resume_sql_mysql.empty()) j["resume_sql_mysql_8_0_23"] = r.resume_sql_mysql;
  j["notes"] = r.notes;
  j["exit"] = r.exit_code();
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

std::string triage_report_text(const triage_report& r, const std::vector<triage_input>& inputs) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{} {} ({}), {} file(s), {} events, checksums {}\n", r.relay ? "relay-log set" : "binlog set",
                 r.server_version, to_string(r.flavor), r.files.size(), r.events,
                 r.checksums ? "CRC32" : "none (content unverifiable)");
  if (r.damage.empty()) {
    out += r.unverifiable ? "no damage found (without checksums this is unverifiable, not proven clean)\n"
                          : "no damage found\n";
  }
  for (const auto& d : r.damage) {
    fmt::format_to(it, "\nDAMAGE {} at {} offset {} length {}{}: {}\n", kind_text(d), d.file, d.offset, d.length,
                   d.event_type >= 0 ? fmt::format(" ({} event)", type_name(static_cast<std::uint8_t>(d.event_type))) : "",
                   d.detail);
    auto in = std::find_if(inputs.begin(), inputs.end(), [&](const triage_input& x) { return x.name == d.file; });
    if (in != inputs.end()) {
      std::uint64_t from = d.offset >= 32 ? d.offset - 32 : 0;
      std::uint64_t to = std::min<std::uint64_t>(d.offset + std::min<std::uint64_t>(d.length, 64) + 32, in->data.size());
      hexdump(out, in->data, from, to, d.offset, d.offset + d.length);
    }
  }
  out += '\n';
  fmt::format_to(it, "complete transactions{}: {}\n", r.damage.empty() ? "" : " before the first damage",
                 r.transactions_before_damage);
  if (r.last_good) {
    fmt::format_to(it, "last good position: {} at {} = source {}:{}{}\n", r.last_good->relay_file,
                   r.last_good->relay_pos, r.last_good->source.file, r.last_good->source.pos,
                   r.last_good->gtid.empty() ? "" : fmt::format(", GTID {}", r.last_good->gtid));
    if (!r.last_good->gtid_state.empty()) fmt::format_to(it, "GTID state there: {}\n", r.last_good->gtid_state);
  }
  if (!r.damage.empty()) {
    fmt::format_to(it, "intact transactions after the damage: {}\n", r.intact_after_damage_count);
    for (std::size_t i = 0; i < r.intact_after_damage.size() && i < 5; ++i) {
      const auto& t = r.intact_after_damage[i];
      fmt::format_to(it, "  {} {}..{}  source {}:{}  {}\n", t.file, t.begin, t.end, t.source_end.file,
                     t.source_end.pos, t.gtid);
    }
    if (r.intact_after_damage_count > 5) fmt::format_to(it, "  … and {} more\n", r.intact_after_damage_count - 5);
  }
  for (const auto& n : r.notes) fmt::format_to(it, "note: {}\n", n);
  if (!r.resume_sql.empty() && !r.damage.empty()) {
    out += "\n-- Resume plan (run on the replica):\n";
    out += "-- 1. stop the replica threads; 2. set the damaged relay logs aside (RESET discards them);\n";
    out += "-- 3. point the replica at the last good position; 4. start it and watch it catch up.\n";
    for (const auto& s : r.resume_sql) fmt::format_to(it, "{};\n", s);
    if (!r.resume_sql_position.empty() && r.resume_sql != r.resume_sql_position) {
      out += "\n-- Or by file and position:\n";
      for (const auto& s : r.resume_sql_position) fmt::format_to(it, "{};\n", s);
    }
    if (!r.resume_sql_mysql.empty()) {
      out += "\n-- MySQL 8.0.23 and later:\n";
      for (const auto& s : r.resume_sql_mysql) fmt::format_to(it, "{};\n", s);
      out += "-- With GTID auto-positioning (SOURCE_AUTO_POSITION=1) no position is needed: the\n"
             "-- replica asks the source for every transaction it has not executed.\n";
    }
  } else if (!r.damage.empty() && r.resume) {
    out += "\nno resume statements (see the notes): point the replica at the resume position above yourself\n";
  } else if (!r.damage.empty()) {
    out += "\nno resume point can be trusted: re-clone the replica or resume from a known executed position\n";
  }
  return out;
}

}  // namespace binlogkit
