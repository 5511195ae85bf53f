// One input file of a command: a binlog or relay log's bytes and the name messages use.
#pragma once

#include <string>

#include "binlogkit/core/bytes.hpp"

namespace binlogkit {

struct binlog_input {
  std::string name;      // as messages and reports name it (triage: also in source coordinates)
  bytes data;            // valid while the consumer (stream, triage call) uses it
  bool missing = false;  // listed (in an index) but not there: triage reports every event of
                         // it lost; the SQL stream and the appliers are never given one
};

}  // namespace binlogkit
