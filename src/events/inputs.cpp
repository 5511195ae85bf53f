#include "binlogkit/events/inputs.hpp"

#include <algorithm>
#include <cstring>
#include <charconv>
#include <iterator>
#include <cstdint>
#include <filesystem>
#include <fstream>

#include "binlogkit/core/binlog_name.hpp"
#include "binlogkit/events/format_description.hpp"

namespace binlogkit {

namespace fs = std::filesystem;


bool looks_like_binlog(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::ifstream f(path, std::ios::binary);
  char magic[4] = {};
  if (!f.read(magic, 4)) return false;
  return std::equal(binlog_magic.begin(), binlog_magic.end(), reinterpret_cast<unsigned char*>(magic));
}


result<std::vector<std::string>> expand_inputs(const std::vector<std::string>& args, std::string* failed_path) {
  std::vector<std::string> out;
  for (const auto& arg : args) {
    std::error_code ec;
    if (failed_path != nullptr) *failed_path = arg;
    const auto st = fs::status(arg, ec);
    if (arg == "-" || fs::is_fifo(st) || fs::is_character_file(st) || fs::is_socket(st)) {
      out.push_back(arg);  // a stream: opening it here would consume it (or wait for its writer)
      continue;
    }
    if (fs::is_directory(arg, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(arg, ec)) {
        if (entry.is_regular_file() && is_binlog_name(entry.path().filename().string())) {
          found.push_back(entry.path().string());
        }
      }
      if (found.empty()) return make_error(errc::io_error, 0, -1, "directory holds no NAME.NNNNNN files");
      std::sort(found.begin(), found.end(),
                [](const std::string& a, const std::string& b) { return compare_binlog_names(a, b) < 0; });
      out.insert(out.end(), found.begin(), found.end());
      continue;
    }
    if (!fs::exists(st)) return make_error(errc::io_error, 0, -1, "no such file or directory");
    if (fs::is_regular_file(st) && !looks_like_binlog(arg) && fs::file_size(arg, ec) > 0 &&
        !arg.ends_with(".gz")) {
      std::ifstream idx(arg);
      std::string line;
      auto dir = fs::path(arg).parent_path();
      std::vector<std::string> listed;
      std::vector<std::size_t> listed_line;  // the line of each entry of `listed`, from 1
      std::size_t line_no = 0;
      bool all_exist = true, any_exists = false, all_log_names = true;
      while (std::getline(idx, line)) {
        ++line_no;
        const auto listed_name = index_file_line(line);
        if (listed_name.empty()) continue;
        fs::path p(listed_name);
        if (!p.is_absolute()) {
          // Servers write "./name" or a path relative to the data directory; resolve it
          // beside the index, falling back to the bare file name there.
          fs::path beside = dir / p;
          if (!fs::exists(beside, ec)) beside = dir / p.filename();
          p = beside;
        } else if (!fs::exists(p, ec)) {
          p = dir / p.filename();
        }
        if (!fs::exists(p, ec)) all_exist = false;
        else any_exists = true;
        all_log_names = all_log_names && is_binlog_name(p.filename().string());
        listed.push_back(p.lexically_normal().string());
        listed_line.push_back(line_no);
      }
      // Only a text file whose every line names an existing file is an index; anything
      // else is read as a binlog (and reported as such if it is not one). Lines that all
      // name logs (NAME.NNNNNN), some of them there, are an index that lost files: the
      // missing ones stay in the list for the reader to report.
      if (!listed.empty() && (all_exist || (any_exists && all_log_names))) {
        // A file listed twice would be read twice: its transactions counted and applied
        // twice. An index the server wrote never does that; refuse rather than guess.
        for (std::size_t i = 0; i < listed.size(); ++i) {
          for (std::size_t j = 0; j < i; ++j) {
            if (listed[j] != listed[i]) continue;
            if (failed_path != nullptr) {
              *failed_path = arg + " (" + fs::path(listed[i]).filename().string() + " on lines " +
                             std::to_string(listed_line[j]) + " and " + std::to_string(listed_line[i]) + ")";
            }
            return make_error(errc::io_error, 0, -1,
                              "the index lists a file twice: fix the index, or give the files themselves");
          }
        }
        out.insert(out.end(), listed.begin(), listed.end());
        continue;
      }
    }
    out.push_back(arg);
  }
  if (failed_path != nullptr) failed_path->clear();
  return out;
}

result<source> open_input(const std::string& path, source_kind kind) {
  BK_TRY(auto src, source::open(path, kind));
  const bytes data = src.data();
  if (data.size() < binlog_magic.size() || !std::equal(binlog_magic.begin(), binlog_magic.end(), data.begin())) {
    return make_error(errc::bad_magic, 0, -1, "not a binlog: it does not start with the magic fe 62 69 6e");
  }
  return src;
}

std::string input_error_text(const std::string& path, const error& e) {
  std::string text = path + ": " + std::string(e.detail);
  if (e.detail.starts_with("gzip")) text += " (detected at compressed byte " + std::to_string(e.offset) + ")";
  if (e.detail.starts_with("the file shrank")) text += " (at offset " + std::to_string(e.offset) + ")";
  const int err = source::last_errno();
  if (err != 0 && (e.detail.starts_with("cannot") || e.detail.starts_with("not a regular"))) text += std::string(": ") + std::strerror(err);
  return text;
}

std::optional<std::string> shrank_text(const source& s) {
  auto lost = s.lost_offset();
  if (!lost) return std::nullopt;
  return s.name() + ": the file shrank while it was read (nothing from offset " + std::to_string(*lost) +
         " on could be read)";
}

input_set open_inputs(const std::vector<std::string>& args, source_kind (*kind_for)(const std::string&)) {
  input_set set;
  std::string failed;
  auto files = expand_inputs(args, &failed);
  if (!files) {
    set.failure = input_error_text(failed, files.error());
    return set;
  }
  for (const auto& f : *files) {
    auto src = open_input(f, kind_for != nullptr ? kind_for(f) : source_kind::automatic);
    if (!src) {
      set.failure = input_error_text(f, src.error());
      set.sources.clear();
      return set;
    }
    set.sources.push_back(std::move(*src));
  }
  return set;
}

}  // namespace binlogkit

namespace binlogkit {

namespace {

// The file's lines, without their '\n' (and a '\r' before it). A last line without '\n'
// counts; the empty string after a final '\n' does not.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

template <class T>
bool to_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

result<relay_log_info> parse_relay_log_info(std::string_view text) {
  auto lines = split_lines(text);
  // With a line count, the values start on line 2.
  // (MariaDB and MySQL write at least 5: the format that added the delay line.)
  std::size_t first = 0;
  if (!lines.empty() && all_digits(lines[0])) {
    std::size_t count = 0;
    if (!to_number(lines[0], count) || count < 5) {
      return make_error(errc::bad_body, 0, -1, "relay-log.info: the line count on line 1 is below 5");
    }
    first = 1;
  }
  if (lines.size() < first + 4) {
    return make_error(errc::bad_body, 0, -1, "relay-log.info: fewer than the 4 position lines");
  }
  relay_log_info r;
  r.relay_file = std::string(lines[first]);
  r.source_file = std::string(lines[first + 2]);
  if (r.relay_file.empty() || r.source_file.empty()) {
    return make_error(errc::bad_body, 0, -1, "relay-log.info: empty relay log or source binlog name");
  }
  if (!to_number(lines[first + 1], r.relay_pos)) {
    return make_error(errc::bad_body, 0, -1, "relay-log.info: the relay log position is not a number");
  }
  if (!to_number(lines[first + 3], r.source_pos)) {
    return make_error(errc::bad_body, 0, -1, "relay-log.info: the source position is not a number");
  }
  if (first == 1 && lines.size() > first + 4) {
    std::int64_t delay = 0;
    if (to_number(lines[first + 4], delay)) r.sql_delay = delay;
  }
  return r;
}

result<master_info> parse_master_info(std::string_view text) {
  auto lines = split_lines(text);
  std::size_t first = (!lines.empty() && all_digits(lines[0])) ? 1 : 0;
  if (lines.size() < first + 2) {
    return make_error(errc::bad_body, 0, -1, "master.info: no source binlog name and position");
  }
  master_info m;
  m.source_file = std::string(lines[first]);
  if (!to_number(lines[first + 1], m.read_pos)) {
    return make_error(errc::bad_body, 0, -1, "master.info: the position read is not a number");
  }
  if (lines.size() > first + 2) m.host = std::string(lines[first + 2]);
  if (lines.size() > first + 3) m.user = std::string(lines[first + 3]);
  std::uint32_t port = 0;
  if (lines.size() > first + 5 && to_number(lines[first + 5], port)) m.port = port;
  // MariaDB's key=value lines after the fixed ones.
  for (auto line : lines) {
    constexpr std::string_view key = "using_gtid=";
    int v = 0;
    if (line.substr(0, key.size()) == key && to_number(line.substr(key.size()), v)) m.using_gtid = v;
  }
  return m;
}

result<std::string> read_text_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error(errc::io_error, 0, -1, "cannot open the file");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) return make_error(errc::io_error, 0, -1, "cannot read the file");
  return text;
}

}  // namespace binlogkit
