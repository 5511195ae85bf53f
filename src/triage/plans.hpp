// The plan builder: the statements that resume replication at the resume point triage
// chose, for MariaDB and MySQL (5.7 words and 8.0 words), by GTID or by file and position.
#pragma once

#include "binlogkit/triage/triage.hpp"

namespace binlogkit::detail {

// Fills rep's resume_sql, resume_sql_position, resume_sql_mysql and after_catch_up_sql(_mysql)
// from rep.resume_mode, rep.resume, rep.flavor and rep.last_good (resume_mode::none: none).
// Statements only: the JSON lists them to be run in order, triage_report_text prints the
// comments beside them. A source binlog name that cannot be quoted as CHANGE MASTER takes
// it (or a binlog read from standard input) gets no file/position plan, with a note.
void write_plans(triage_report& rep);

}  // namespace binlogkit::detail
