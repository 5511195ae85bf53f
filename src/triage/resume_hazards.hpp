// The hazards at the resume point: what from before the point the plan resumes from is
// still needed after it (hazards.hpp: temporary tables, LOAD DATA, XA, non-transactional
// groups), found by find_hazards, the one copy of the rules. Fills the report's hazards,
// the steps the DBA takes before the resume statements, and the note about temporary
// tables the replica's SQL thread held when it stopped.
#pragma once

#include <vector>

#include "binlogkit/triage/triage.hpp"

namespace binlogkit::detail {

// After rep.executed and rep.last_good are known (before the resume choice). The point: the
// executed point when the files hold it, else (no executed point) the last good point;
// nothing when the files are undamaged and no executed point was given. A point that
// cannot be read up to (damage before it) gets a note instead of hazards.
void find_resume_hazards(triage_report& rep, const std::vector<triage_input>& inputs,
                         const triage_options& options);

}  // namespace binlogkit::detail
