#include "triage/resume_hazards.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "binlogkit/core/text.hpp"

namespace binlogkit::detail {

namespace {

std::string table_name(const hazard& h) { return fmt::format("`{}`.`{}`", h.schema, h.table); }

std::string needed_text(const hazard& h) {
  return h.needed_by ? fmt::format("needed by {}:{}", h.needed_by->file, h.needed_by->pos)
                     : std::string("maybe needed past the end of the input");
}

// The replica stopped while statement-format sessions held temporary tables: only its SQL
// thread has them, in memory. `open`: every temporary table open at the executed point.
void note_temp_tables(triage_report& rep, const std::vector<const hazard*>& open, const triage_options& options) {
  std::string list;
  for (const hazard* t : open) {
    if (!list.empty()) list += ", ";
    list += fmt::format("{} (session {}, created at {} offset {})", table_name(*t), t->pseudo_thread_id,
                        t->opened.file, t->opened.pos);
  }
  std::string held;
  if (options.replica_open_temp_tables && *options.replica_open_temp_tables > 0) {
    held = fmt::format("; the replica reports Slave_open_temp_tables = {}: its SQL thread still holds them, do not "
                       "restart it before the resume statements",
                       *options.replica_open_temp_tables);
  }
  rep.notes.push_back(fmt::format(
      "the replica stopped inside the life of temporary table(s) {}: only its SQL thread holds them, in memory, so a "
      "replica restarted since has lost them, and statements after the resume point that use them fail (error "
      "1146) or change a permanent table of the same name; if it was restarted, no resume point both has them and "
      "applies nothing twice: re-sync the tables those statements write from the source, or re-clone{}",
      list, held));
}

// The steps before the resume statements: for temporary tables either "do not restart"
// (the SQL thread still holds them) or what to re-sync; for the other kinds the hazard's
// own advice.
void write_steps(triage_report& rep, const triage_options& options) {
  const bool held = options.replica_open_temp_tables && *options.replica_open_temp_tables > 0;
  std::string temps;
  for (const auto& h : rep.hazards) {
    if (h.kind != hazard_kind::temporary_table) continue;
    if (!temps.empty()) temps += ", ";
    temps += fmt::format("{} (session {}, created at {}:{}, {})", table_name(h), h.pseudo_thread_id,
                         h.opened.file, h.opened.pos, needed_text(h));
  }
  if (!temps.empty() && held) {
    rep.before_resume.push_back(fmt::format(
        "do not restart the replica: its SQL thread still holds {} temporary table(s) (Slave_open_temp_tables), "
        "which the statements after the resume point use: {}; a restart (or RESET SLAVE) loses them",
        *options.replica_open_temp_tables, temps));
  } else if (!temps.empty()) {
    rep.before_resume.push_back(fmt::format(
        "if the replica restarted since it stopped, its temporary table(s) {} are gone: the statements of those "
        "sessions after the resume point that use them fail (error 1146) or write a permanent table of the same "
        "name; before resuming, copy from the source the tables those statements write and skip the statements, "
        "or re-clone the replica (Slave_open_temp_tables > 0 on a replica not restarted: keep it running)",
        temps));
  }
  for (const auto& h : rep.hazards) {
    if (h.kind == hazard_kind::temporary_table) continue;
    std::string subject = h.kind == hazard_kind::xa_prepared ? " xid " + h.xid
                          : h.table.empty()                  ? std::string()
                                                             : " " + table_name(h);
    rep.before_resume.push_back(fmt::format("{}{} (session {}, opened at {}:{}, {}): {}", to_string(h.kind),
                                            subject, h.pseudo_thread_id, h.opened.file, h.opened.pos,
                                            needed_text(h), h.advice));
  }
}

}  // namespace

void find_resume_hazards(triage_report& rep, const std::vector<triage_input>& inputs,
                         const triage_options& options) {
  rep.replica_holds_temp_tables = options.replica_open_temp_tables && *options.replica_open_temp_tables > 0;
  if (rep.replica_holds_temp_tables && rep.flavor == flavor::mariadb) {
    rep.notes.push_back(fmt::format(
        "the replica's SQL thread holds {} temporary table(s) (Slave_open_temp_tables): the plan leaves out RESET "
        "SLAVE, which would delete them (CHANGE MASTER deletes the relay logs and keeps them)",
        *options.replica_open_temp_tables));
  }
  std::optional<hazard_position> at;
  if (rep.executed) {
    const auto& p = rep.executed->point;
    if (!p.relay_file.empty()) at = hazard_position{p.relay_file, p.relay_pos};
    rep.hazards_at_origin = "executed point";
  } else if (!rep.damage.empty() && rep.last_good) {
    at = hazard_position{rep.last_good->relay_file, rep.last_good->relay_pos};
    rep.hazards_at_origin = "last good point";
  }
  if (!at) return;
  const hazard_report found = find_hazards(inputs, hazard_point{*at});
  if (!found.ok()) {
    rep.notes.push_back(fmt::format("the hazards at the {} {}:{} (temporary tables, LOAD DATA, XA) could not be "
                                    "looked for: {}",
                                    rep.hazards_at_origin, at->file, at->pos, found.failure));
    return;
  }
  rep.hazards_at = found.at;
  rep.hazards = found.hazards;
  if (!found.started_inside.empty()) {
    rep.notes.push_back(fmt::format("the files start inside a transaction ({}): the relay logs before them were purged "
                                    "(or not given), so a temporary table, LOAD DATA or XA opened there is not among "
                                    "the hazards at the {}",
                                    found.started_inside, rep.hazards_at_origin));
  }
  if (!found.read_on_warning.empty()) {
    rep.notes.push_back(fmt::format("reading on from the {} for hazards stopped early ({}): a hazard without "
                                    "\"needed by\" may be needed past there",
                                    rep.hazards_at_origin, found.read_on_warning));
  }
  std::vector<const hazard*> open_temps;
  for (const auto& h : found.open_at_point) {
    if (h.kind == hazard_kind::temporary_table) open_temps.push_back(&h);
  }
  if (rep.executed && !open_temps.empty()) note_temp_tables(rep, open_temps, options);
  write_steps(rep, options);
}

}  // namespace binlogkit::detail
