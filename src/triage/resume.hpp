// The executed point and the resume point: what the replica applied (from the options:
// relay-log.info, --executed-position, --executed-gtids or the replica itself, completed by
// what the scan captured), and where replication resumes so that nothing is skipped and
// nothing applied twice. Without the executed point a relay-log set gets the server's own
// state, never the last good received point.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "binlogkit/events/gtid_set.hpp"
#include "binlogkit/triage/triage.hpp"
#include "triage/scanner.hpp"

namespace binlogkit::detail {

// A MySQL GTID set (MariaDB items are not one; only blanks and commas: the empty set);
// std::nullopt when the text is none.
[[nodiscard]] std::optional<gtid_set> parse_mysql_set(std::string_view text);
// A MariaDB d-s-n list; std::nullopt when the text is none.
[[nodiscard]] std::optional<mariadb_gtid_position> parse_mariadb_position(std::string_view text);

// After the scan (`sc` finished into `rep`): fills rep.executed, rep.resume, rep.resume_mode,
// rep.executed_past_damage, the damaged transactions' `applied` and rep.check_tables, the
// hazards at the executed (else last good) point (resume_hazards.hpp), and the notes that
// explain each choice. Returns the executed source position as read (a
// position shown right after a source's rotate is taken as the point in the old file; a
// relay position wins over the source position recorded beside it); std::nullopt when
// none was given or it names no file.
std::optional<source_position> resolve_resume(triage_report& rep, const scanner& sc,
                                             const std::vector<triage_input>& inputs, const triage_options& options);

}  // namespace binlogkit::detail
