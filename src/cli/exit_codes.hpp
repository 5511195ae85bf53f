// The --help footers that state the exit codes of every binlogkit command.
#pragma once

#include "binlogkit/core/exit_code.hpp"

namespace binlogkit_cli {

// The codes themselves are the library's (binlogkit/core/exit_code.hpp).
namespace exit_code = binlogkit::exit_code;

// --help footers.
inline constexpr const char* exit_help_dump =
    "Exit codes: 0 every event read and intact; 1 damage found (a bad CRC or a damaged event: printed as far as "
    "it could be read); 2 unreadable input or bad arguments.";
inline constexpr const char* exit_help_verify =
    "Exit codes: 0 intact; 1 damaged (or not verifiable: encrypted without a key); 2 unreadable input or bad "
    "arguments.";
inline constexpr const char* exit_help_triage =
    "Exit codes: 0 no damage found; 1 damaged, with a resume point; 3 damaged and no resume point can be "
    "trusted; 2 unreadable input or bad arguments.";
inline constexpr const char* exit_help_salvage =
    "Exit codes: 0 a good copy was written (what was cut is on stdout; nothing cut when IN is intact); 3 IN "
    "holds no complete transaction to keep; 2 unreadable IN, OUT exists or cannot be written, or bad arguments.";
inline constexpr const char* exit_help_hazards =
    "Exit codes: 0 no hazard at the point; 1 hazards found (listed); 2 unreadable input, a point not in the input "
    "(or not where an event starts), or bad arguments.";
inline constexpr const char* exit_help_sql =
    "Exit codes: 0 every transaction written (up to a stop point); 1 stopped at damage or at an event that "
    "cannot be applied (what came before it was written); 2 unreadable input or bad arguments.";
inline constexpr const char* exit_help_replay =
    "Exit codes: 0 applied (up to a stop point); 1 stopped: no connection, damage or a server error (file, "
    "position, GTID, statement and the server's error on stderr; everything before it is committed); 3 refused to "
    "start: a temporary table or LOAD DATA file from before the start point is needed after it (listed; nothing "
    "applied; --ignore-hazards to start anyway); 2 unreadable input, bad arguments or option files.";

}  // namespace binlogkit_cli
