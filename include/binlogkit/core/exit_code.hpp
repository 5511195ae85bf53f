// The exit codes of every binlogkit command, in one place: the library's reports
// (triage_report::exit_code) and the CLI's commands return these, and the --help footers
// and the README say the same.
//   0  success: the input is intact / the work is done (a salvage that wrote a good copy too)
//   1  damage found (a dump or sql that met a bad CRC or a damaged event printed up to it), or
//      a replay that stopped (no connection, damage, a server error)
//   2  unreadable input (missing, not a binlog, not readable) or bad arguments
//   3  no trustworthy answer (triage: no resume point can be trusted; salvage: nothing to keep)
#pragma once

namespace binlogkit::exit_code {

constexpr int ok = 0;
constexpr int damaged = 1;
constexpr int unreadable = 2;
constexpr int usage = 2;
constexpr int no_answer = 3;

}  // namespace binlogkit::exit_code
