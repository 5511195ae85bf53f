// The rows of the damaged transactions a replica applied: what it may hold wrongly, as
// `dump -v` prints row images, so that an operator can re-sync those rows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "binlogkit/triage/triage.hpp"

namespace binlogkit {

// For each damaged transaction of `rep` marked applied whose start is known, reads its
// events from `begin` in `inputs` (into later files when it spans them) until it ends,
// the damage stops the reader, or the files end, and fills `rows`, `rows_more` and
// `rows_note`. The damaged event itself is decoded without its checksum; its rows, those
// decoded with a damaged table map and those of an event that decodes only in part are
// marked from_damaged_event (with the reason in `doubt`). Reads only; never fails (what
// cannot be read is a note).
void read_applied_damaged_rows(const std::vector<triage_input>& inputs, triage_report& rep);

// `text` with each UTF-8 encoded C1 control (U+0080..U+009F: the bytes C2 80..C2 9F) as
// the text \xc2\xNN, everything else unchanged. Row values come from any client of the
// source; `dump -v`'s text escapes bytes below 0x20 and DEL, not these, and terminals
// such as xterm act on them (U+009B is CSI): the rows triage prints run none of them.
[[nodiscard]] std::string escape_c1_controls(std::string_view text);

}  // namespace binlogkit
