#include "binlogkit/inputs.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>

#include "binlogkit/format_description.hpp"

namespace binlogkit {

namespace fs = std::filesystem;

namespace {
bool numbered(const std::string& name) {
  auto dot = name.find_last_of('.');
  if (dot == std::string::npos || dot + 1 == name.size()) return false;
  return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(dot) + 1, name.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

bool looks_like_binlog(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[4] = {};
  if (!f.read(magic, 4)) return false;
  return std::equal(binlog_magic.begin(), binlog_magic.end(), reinterpret_cast<unsigned char*>(magic));
}

result<std::vector<std::string>> expand_inputs(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const auto& arg : args) {
    std::error_code ec;
    if (arg == "-") {
      out.push_back(arg);
      continue;
    }
    if (fs::is_directory(arg, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(arg, ec)) {
        if (entry.is_regular_file() && numbered(entry.path().filename().string())) {
          found.push_back(entry.path().string());
        }
      }
      if (found.empty()) return make_error(errc::io_error, 0, -1, "directory holds no NAME.NNNNNN files");
      std::sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
        auto sa = a.substr(a.find_last_of('.') + 1), sb = b.substr(b.find_last_of('.') + 1);
        if (sa.size() != sb.size()) return sa.size() < sb.size();
        return a < b;
      });
      out.insert(out.end(), found.begin(), found.end());
      continue;
    }
    if (!fs::exists(arg, ec)) return make_error(errc::io_error, 0, -1, "no such file or directory");
    if (!looks_like_binlog(arg) && fs::file_size(arg, ec) > 0) {
      std::ifstream idx(arg);
      std::string line;
      auto dir = fs::path(arg).parent_path();
      std::vector<std::string> listed;
      bool all_exist = true;
      while (std::getline(idx, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty()) continue;
        fs::path p(line);
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
        listed.push_back(p.lexically_normal().string());
      }
      // Only a text file whose every line names an existing file is an index; anything
      // else is read as a binlog (and reported as such if it is not one).
      if (!listed.empty() && all_exist) {
        out.insert(out.end(), listed.begin(), listed.end());
        continue;
      }
    }
    out.push_back(arg);
  }
  return out;
}

}  // namespace binlogkit
