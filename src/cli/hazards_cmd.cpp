// `hazards`: what from before a point of a binlog / relay-log set is still needed after it
// (argument parsing and output; the work is find_hazards in the events layer).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

#include "binlogkit/events/hazards.hpp"
#include "binlogkit/events/inputs.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"

namespace bk = binlogkit;

namespace binlogkit_cli {

namespace {

using ojson = nlohmann::ordered_json;

struct hazards_args {
  std::vector<std::string> inputs;
  std::string at;
  bool json = false;
};

ojson place_json(const bk::hazard_place& p) {
  ojson j;
  j["file"] = p.file;
  j["pos"] = p.pos;
  j["gtid"] = p.gtid;
  return j;
}

ojson report_json(const bk::hazard_report& r) {
  ojson j;
  j["at"] = {{"file", r.at.file}, {"pos", r.at.pos}, {"gtid_state", r.gtid_state}};
  j["hazards"] = ojson::array();
  for (const auto& h : r.hazards) {
    ojson x;
    x["kind"] = std::string(bk::to_string(h.kind));
    x["schema"] = h.schema;
    x["table"] = h.table;
    if (h.kind == bk::hazard_kind::xa_prepared) x["xid"] = h.xid;
    x["pseudo_thread_id"] = h.pseudo_thread_id;
    x["opened"] = place_json(h.opened);
    x["needed_by"] = h.needed_by ? place_json(*h.needed_by) : ojson(nullptr);
    x["advice"] = h.advice;
    j["hazards"].push_back(std::move(x));
  }
  if (!r.read_on_warning.empty()) j["read_on_warning"] = r.read_on_warning;
  return j;
}

std::string subject(const bk::hazard& h) {
  if (h.kind == bk::hazard_kind::xa_prepared) return fmt::format(" xid {}", h.xid);
  if (h.table.empty()) return {};
  return fmt::format(" `{}`.`{}`", h.schema, h.table);
}

void print_text(const bk::hazard_report& r) {
  const std::string gtid = r.gtid_state.empty() ? std::string() : fmt::format(" (GTID state {})", r.gtid_state);
  if (r.hazards.empty()) {
    fmt::print("{}:{}{}: no hazards\n", r.at.file, r.at.pos, gtid);
    return;
  }
  fmt::print("{}:{}{}: {} hazard(s)\n", r.at.file, r.at.pos, gtid, r.hazards.size());
  for (const auto& h : r.hazards) {
    const std::string needed = h.needed_by ? fmt::format("needed by {}:{}", h.needed_by->file, h.needed_by->pos)
                                           : std::string("may be needed later (the input ends first)");
    fmt::print("{}{} session {} opened at {}:{}, {}: {}\n", bk::to_string(h.kind), subject(h), h.pseudo_thread_id,
               h.opened.file, h.opened.pos, needed, h.advice);
  }
}

int run_hazards(const hazards_args& a) {
  auto point = bk::parse_hazard_point(a.at);
  if (!point) {
    fmt::print(stderr, "binlogkit hazards: --at {}: {}\n", a.at, point.error().detail);
    return exit_code::usage;
  }
  auto set = bk::open_inputs(a.inputs);
  if (!set.ok()) {
    fmt::print(stderr, "binlogkit hazards: {}\n", set.failure);
    return exit_code::unreadable;
  }
  std::vector<bk::binlog_input> inputs;
  for (const auto& s : set.sources) {
    s.advise_sequential();  // one front-to-back pass
    inputs.push_back({s.name(), s.data()});
  }
  const auto report = bk::find_hazards(inputs, *point);
  if (!report.ok()) {
    fmt::print(stderr, "binlogkit hazards: {}\n", report.failure);
    return exit_code::unreadable;
  }
  if (a.json) {
    fmt::print("{}\n", report_json(report).dump(-1, ' ', false, ojson::error_handler_t::replace));
  } else {
    print_text(report);
  }
  if (!report.read_on_warning.empty()) {
    std::fflush(stdout);
    fmt::print(stderr, "binlogkit hazards: reading on stopped early, {}: hazards without \"needed by\" may be needed "
                       "past there\n", report.read_on_warning);
  }
  return report.hazards.empty() ? exit_code::ok : exit_code::damaged;
}

}  // namespace

command_runner add_hazards_command(CLI::App& app) {
  auto a = std::make_shared<hazards_args>();
  auto* cmd = app.add_subcommand(
      "hazards", "What from before a point is still needed after it: temporary tables, LOAD DATA, XA, "
                 "non-transactional changes");
  cmd->footer(exit_help_hazards);
  cmd->add_option("inputs", a->inputs, "Binlog or relay-log files, an index file or a directory")->required();
  cmd->add_option("--at", a->at, "The point: FILE:POS, POS (one input), or a GTID set")->required();
  cmd->add_flag("--json", a->json, "One JSON object: the point and the hazards");
  return [a, cmd]() -> std::optional<int> {
    if (!cmd->parsed()) return std::nullopt;
    return run_hazards(*a);
  };
}

}  // namespace binlogkit_cli
