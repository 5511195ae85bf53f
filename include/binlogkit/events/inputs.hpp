// Turning what a user names (an index file, a directory, files) into the ordered list of
// binlog or relay-log files to read.
//
// Ownership: expand_inputs returns paths; open_input and open_inputs return sources that own
// their bytes (source.hpp); the relay-log.info / master.info parsers return owned values.
// Errors: result<T> with io_error, bad_magic or source::open's gzip errors (the offset of a
// gzip error is the compressed byte), turned into the commands' one-line message by
// input_error_text. Threads: input_error_text reads the errno of the last failed open on the
// calling thread, so call it on the thread that opened; nothing else keeps state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "binlogkit/core/result.hpp"
#include "binlogkit/core/source.hpp"

namespace binlogkit {

// Each argument may be:
//   - "-": standard input, read to its end;
//   - an index file (binlog.index, relay-bin.index): its lines name the files, relative to
//     the index's directory when not absolute (a listed log that is missing stays in the
//     list: opening it fails, and triage reports it as lost);
//   - a directory: every file in it named NAME.NNNNNN (digits), in numeric order;
//   - a FIFO or character device: taken as is (read as a stream; it is never opened here,
//     so nothing waits for its writer twice);
//   - a file, taken as is (a .gz one is inflated when opened).
// Errors: io_error (detail names what failed) for a missing path, an empty directory, or
// an index file (every line a NAME.NNNNNN file name) naming a file that does not exist
// or naming one file twice (it would be read twice); `failed_path`, when given, receives
// the argument at fault ("INDEX (FILE on lines A and B)" for a file listed twice).
[[nodiscard]] result<std::vector<std::string>> expand_inputs(const std::vector<std::string>& args,
                                                             std::string* failed_path = nullptr);

// True when the first bytes of the file are the binlog magic (an index file is text).
// Only regular files are looked at (false for anything else).
[[nodiscard]] bool looks_like_binlog(const std::string& path);

// One input of a command, opened the same way for every command: source::open, then
// the binlog magic checked (bad_magic "not a binlog: ..." otherwise), so a text file, an
// empty file, a corrupt or truncated .gz are all errors before any event is read.
[[nodiscard]] result<source> open_input(const std::string& path, source_kind kind = source_kind::automatic);

// "PATH: what[: strerror]" for an error of expand_inputs or open_input (the errno of the
// failed open on this thread, the compressed offset of a gzip error).
[[nodiscard]] std::string input_error_text(const std::string& path, const error& e);
// A mapped input truncated while it was read ("NAME: the file shrank while it was read
// (nothing from offset N on could be read)"): what went wrong with it, whatever its zeros
// looked like to the reader. std::nullopt when it did not shrink.
[[nodiscard]] std::optional<std::string> shrank_text(const source& s);

// Every input of a set (expand_inputs, then open_input on each file, in order); stops at
// the first failure, which `failure` then describes (input_error_text).
struct input_set {
  std::vector<source> sources;
  std::string failure;
  [[nodiscard]] bool ok() const noexcept { return failure.empty(); }
};
// `kind_for` picks how each file is read (automatic when empty).
[[nodiscard]] input_set open_inputs(const std::vector<std::string>& args,
                                    source_kind (*kind_for)(const std::string&) = nullptr);

}  // namespace binlogkit

// ---- the replica's position files --------------------------------------------------------
//
// relay-log.info (the SQL thread's position; MariaDB's and MySQL's applier metadata file):
//   with a line count (MySQL 5.6+, MariaDB 10.0+):   without (MySQL up to 5.5):
//     1  number of lines                                1  relay log name
//     2  relay log name   (Relay_Log_File)              2  relay log position
//     3  relay log pos    (Relay_Log_Pos)               3  source binlog name
//     4  source binlog    (Relay_Master_Log_File)       4  source position
//     5  source position  (Exec_Master_Log_Pos)
//     6  SQL delay (MASTER_DELAY); MySQL 5.6+ then: workers, id, channel name, …
// master.info (the IO thread's connection and position file):
//     1  number of lines (absent before MySQL 4.1: the file then starts with line 2)
//     2  source binlog    (Master_Log_File)
//     3  position read    (Read_Master_Log_Pos)
//     4  host, 5 user, 6 password, 7 port, 8 connect retry, … ; MariaDB 10.0+ appends
//        key=value lines (using_gtid=0|1|2 for no / current_pos / slave_pos, …, END_MARKER)
// A first line of digits only is the line count; a binlog name never is one.
namespace binlogkit {

struct relay_log_info {
  std::string relay_file;
  std::uint64_t relay_pos = 0;
  std::string source_file;
  std::uint64_t source_pos = 0;
  std::optional<std::int64_t> sql_delay;  // when the file has that line
};

struct master_info {
  std::string source_file;   // Master_Log_File
  std::uint64_t read_pos = 0;  // Read_Master_Log_Pos
  std::string host;
  std::string user;
  std::optional<std::uint32_t> port;
  std::optional<int> using_gtid;  // MariaDB: 0 no, 1 current_pos, 2 slave_pos
};

// Errors: bad_body with a detail naming the line that is missing or not a number.
[[nodiscard]] result<relay_log_info> parse_relay_log_info(std::string_view text);
[[nodiscard]] result<master_info> parse_master_info(std::string_view text);
// The whole file as text; io_error when it cannot be read.
[[nodiscard]] result<std::string> read_text_file(const std::string& path);

}  // namespace binlogkit
