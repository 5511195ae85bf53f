#include "triage/gtid_state.hpp"

#include <algorithm>
#include <cctype>

#include "binlogkit/core/encoding.hpp"

namespace binlogkit::detail {

namespace {

std::string lower_tag(std::string_view t) {
  std::string out(t);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void gtid_state::add(const gtid_ref& g) {
  undo_.k = undo_record::kind::none;
  if (g.k == gtid_ref::kind::mysql) {
    if (!mysql.add(g)) return;  // already in the set: nothing to undo
    undo_.k = undo_record::kind::mysql;
    undo_.key = {g.uuid, lower_tag(g.tag)};
    undo_.gno = static_cast<std::uint64_t>(g.gno);
  } else if (g.k == gtid_ref::kind::mariadb) {
    const auto* before = mariadb.find(g.domain_id);
    undo_.k = undo_record::kind::mariadb;
    undo_.domain = g.domain_id;
    undo_.previous = before == nullptr ? std::nullopt : std::optional<mariadb_gtid>(*before);
    mariadb.set({g.domain_id, g.server_id, g.seq_no});
  }
}

void gtid_state::undo() {
  if (undo_.k == undo_record::kind::mariadb) {
    if (undo_.previous) mariadb.set(*undo_.previous);
    else mariadb.erase(undo_.domain);
  } else if (undo_.k == undo_record::kind::mysql) {
    mysql.remove(undo_.key, {undo_.gno, undo_.gno});
  }
  undo_.k = undo_record::kind::none;
}

void gtid_state::start_from(const any_event& d, std::uint64_t offset) {
  if (const auto* list = std::get_if<mariadb_gtid_list_event>(&d)) {
    for (std::size_t i = 0; i < list->count; ++i) mariadb.set(list->at(i));
  } else if (const auto* prev = std::get_if<previous_gtids_event>(&d)) {
    (void)for_each_sid(*prev, offset, [&](const uuid_bytes& sid, std::string_view tag, bytes iv) {
      for (std::size_t i = 0; i + 16 <= iv.size(); i += 16) {
        auto a = static_cast<std::int64_t>(load_le(iv.data() + i, 8));
        auto b = static_cast<std::int64_t>(load_le(iv.data() + i + 8, 8));
        // Numbers start at 1: a hostile interval below that keeps its valid part.
        if (b > a && b > 1) {
          mysql.add(mysql_gtid_source{sid, lower_tag(tag)},
                    {static_cast<std::uint64_t>(std::max<std::int64_t>(a, 1)), static_cast<std::uint64_t>(b - 1)});
        }
      }
    });
  }
}

}  // namespace binlogkit::detail
