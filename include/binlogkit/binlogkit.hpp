// Everything binlogkit offers, for programs that want one include: every public header of
// every layer (core, events, rows, tools, sql, triage, replay). Link binlogkit::replay (or
// pkg-config binlogkit) with it; a program that uses fewer layers includes their headers,
// binlogkit/<layer>/<name>.hpp, and links only those components. The layering test checks
// that no header is left out.
#pragma once

#include "binlogkit/version.hpp"

// core
#include "binlogkit/core/binlog_input.hpp"
#include "binlogkit/core/binlog_name.hpp"
#include "binlogkit/core/bytes.hpp"
#include "binlogkit/core/crc32.hpp"
#include "binlogkit/core/encoding.hpp"
#include "binlogkit/core/event_type.hpp"
#include "binlogkit/core/exit_code.hpp"
#include "binlogkit/core/file_output.hpp"
#include "binlogkit/core/overloaded.hpp"
#include "binlogkit/core/result.hpp"
#include "binlogkit/core/source.hpp"
#include "binlogkit/core/sql_quote.hpp"
#include "binlogkit/core/text.hpp"

// events
#include "binlogkit/events/compression.hpp"
#include "binlogkit/events/event.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/events/format_description.hpp"
#include "binlogkit/events/gtid_set.hpp"
#include "binlogkit/events/hazards.hpp"
#include "binlogkit/events/inputs.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/events/temp_tables.hpp"
#include "binlogkit/events/transaction.hpp"

// rows
#include "binlogkit/rows/decimal.hpp"
#include "binlogkit/rows/json_binary.hpp"
#include "binlogkit/rows/row_text.hpp"
#include "binlogkit/rows/rows.hpp"

// tools
#include "binlogkit/tools/dump.hpp"
#include "binlogkit/tools/verify.hpp"

// sql
#include "binlogkit/sql/bound_hazards.hpp"
#include "binlogkit/sql/sql.hpp"

// triage
#include "binlogkit/triage/triage.hpp"

// replay
#include "binlogkit/replay/connection.hpp"
#include "binlogkit/replay/option_files.hpp"
#include "binlogkit/replay/replay.hpp"
#include "binlogkit/replay/replica_probe.hpp"
