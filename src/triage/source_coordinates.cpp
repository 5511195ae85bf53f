#include "triage/source_coordinates.hpp"

namespace binlogkit::detail {

namespace {

// The source binlog that a binlog read from `path` is: its base name, without the .gz of a
// compressed copy.
std::string source_binlog_name(std::string_view path) {
  std::string n = base_name(path);
  if (n.size() > 3 && n.ends_with(".gz")) n.resize(n.size() - 3);
  return n;
}

}  // namespace

std::string base_name(std::string_view path) {
  auto slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::uint32_t source_coordinates::index_of(std::string_view name) {
  if (names_[file_] == name) return file_;
  names_.emplace_back(name);
  return static_cast<std::uint32_t>(names_.size() - 1);
}

const source_rotate* source_coordinates::advance(const triage_input& in, const event_view& ev, const any_event& d,
                                                 bool relay, std::uint32_t relay_server_id) {
  const auto t = ev.type();
  if (t == event_type::rotate) {
    // In a relay log, a rotate from another server names the source's binlog; a binlog's
    // own rotate (and the relay log's) names only the next file of the set.
    if (!relay || ev.header.server_id == relay_server_id) return nullptr;
    const auto& r = std::get<rotate_event>(d);
    input_ = nullptr;
    const std::uint32_t next = index_of(r.next_file);
    const bool leaves = next != file_ && file_ != 0 && pos_ > binlog_magic_size;
    if (leaves) rotates_.push_back({names_[file_], pos_, names_[next]});
    file_ = next;
    pos_ = r.position;
    last_log_pos_ = 0;
    return leaves ? &rotates_.back() : nullptr;
  }
  if (relay) {
    if (ev.header.server_id != relay_server_id && ev.header.log_pos != 0 && t != event_type::format_description) {
      pos_ = ev.header.log_pos;
      last_log_pos_ = ev.header.log_pos;
    }
    return nullptr;
  }
  if (input_ != &in) {  // once per file, not per event
    file_ = index_of(source_binlog_name(in.name));
    input_ = &in;
  }
  pos_ = ev.end_offset();
  return nullptr;
}

}  // namespace binlogkit::detail
