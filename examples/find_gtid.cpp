// find_gtid FILE GTID: prints the file offset of the GTID event that starts the
// transaction with that GTID. Both forms are accepted:
//   MySQL    3e11fa47-71ca-11e1-9e33-c80aa9429562:23   (tagged, 8.3+: uuid:tag:23)
//   MariaDB  0-1-37                                     (domain-server-sequence)
// Exit status: 0 found, 1 not found, 2 bad arguments or a file that cannot be read.
#include <binlogkit/events/events.hpp>
#include <binlogkit/events/reader.hpp>
#include <binlogkit/core/source.hpp>

#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace bk = binlogkit;

namespace {

template <class T>
bool parse_number(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

struct mysql_gtid {
  std::string uuid;  // lower case, with dashes, as format_uuid prints it
  std::string tag;
  std::int64_t gno = 0;
};
using wanted_gtid = std::variant<mysql_gtid, bk::mariadb_gtid>;

std::optional<wanted_gtid> parse_gtid(std::string_view s) {
  if (auto colon = s.rfind(':'); colon != std::string_view::npos) {
    mysql_gtid g;
    if (!parse_number(s.substr(colon + 1), g.gno)) return std::nullopt;
    auto head = s.substr(0, colon);
    if (auto c2 = head.find(':'); c2 != std::string_view::npos) {
      g.tag = std::string(head.substr(c2 + 1));
      head = head.substr(0, c2);
    }
    for (char ch : head) g.uuid += (ch >= 'A' && ch <= 'F') ? static_cast<char>(ch - 'A' + 'a') : ch;
    if (g.uuid.size() != 36) return std::nullopt;
    return g;
  }
  auto d1 = s.find('-');
  auto d2 = d1 == std::string_view::npos ? d1 : s.find('-', d1 + 1);
  if (d2 == std::string_view::npos) return std::nullopt;
  bk::mariadb_gtid g;
  if (!parse_number(s.substr(0, d1), g.domain_id) ||
      !parse_number(s.substr(d1 + 1, d2 - d1 - 1), g.server_id) ||
      !parse_number(s.substr(d2 + 1), g.seq_no)) {
    return std::nullopt;
  }
  return g;
}

bool matches(const bk::event_view& ev, const wanted_gtid& want) {
  if (const auto* m = std::get_if<mysql_gtid>(&want)) {
    if (ev.type() != bk::event_type::gtid && ev.type() != bk::event_type::gtid_tagged) return false;
    auto g = bk::decode_gtid(ev);
    return g && g->gno == m->gno && g->tag == m->tag && bk::format_uuid(g->sid) == m->uuid;
  }
  const auto& w = std::get<bk::mariadb_gtid>(want);
  if (ev.type() != bk::event_type::mariadb_gtid) return false;
  auto g = bk::decode_mariadb_gtid(ev);
  return g && g->domain_id == w.domain_id && g->server_id == w.server_id && g->seq_no == w.seq_no;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s FILE GTID\n", argv[0]);
    return 2;
  }
  auto want = parse_gtid(argv[2]);
  if (!want) {
    std::fprintf(stderr, "%s: not a GTID (uuid[:tag]:number or domain-server-sequence)\n", argv[2]);
    return 2;
  }
  auto src = bk::source::open(argv[1]);
  if (!src) {
    std::fprintf(stderr, "%s: %s\n", argv[1], src.error().message().c_str());
    return 2;
  }
  bk::event_reader reader(src->data());
  for (;;) {
    auto next = reader.next();
    if (!next) {
      // A damaged event keeps its frame after a checksum mismatch, and encrypted events
      // are framed though unreadable: look on past both.
      if (next.error().code == bk::errc::checksum_mismatch || next.error().code == bk::errc::encrypted) {
        continue;
      }
      std::fprintf(stderr, "%s: %s\n", argv[1], next.error().message().c_str());
      return 2;
    }
    if (!*next) break;
    if (matches(**next, *want)) {
      std::printf("%llu\n", static_cast<unsigned long long>((*next)->offset));
      return 0;
    }
  }
  std::fprintf(stderr, "%s: no transaction with GTID %s\n", argv[1], argv[2]);
  return 1;
}
