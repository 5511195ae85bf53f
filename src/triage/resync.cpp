#include "triage/resync.hpp"

#include "binlogkit/events/events.hpp"

namespace binlogkit::detail {

bool log_pos_plausible(const event_view& ev, const log_framing& f) {
  if (ev.header.log_pos == 0 || ev.format->binlog_version() < 4) return true;
  if (!f.relay) return ev.header.log_pos == ev.end_offset();
  // In a relay log the receiver's own events (its format description, rotates, stop)
  // carry their end offset in the relay file; the source's carry source positions.
  if (ev.header.server_id == f.relay_server_id && (ev.header.flags & flag_artificial) == 0) {
    return ev.header.log_pos == ev.end_offset();
  }
  return true;
}

bool chain_holds(bytes data, const format_description& fd, std::uint64_t at, std::size_t chain,
                 const log_framing& f) {
  reader_options ro;
  event_reader r(data, fd, at, ro);
  for (std::size_t i = 0; i < chain; ++i) {
    auto next = r.next();
    if (!next) return false;
    if (!next->has_value()) return i > 0;  // reached the end exactly after a valid event
    const event_view& ev = **next;
    if (!log_pos_plausible(ev, f)) return false;
    if (!decode(ev)) return false;
    if (!fd.has_checksums() && !is_known_type(ev.header.type_code)) return false;
  }
  return true;
}

std::optional<std::uint64_t> next_chain(bytes data, const format_description& fd, std::uint64_t from,
                                        std::size_t chain, const log_framing& f) {
  for (std::uint64_t at = from; at + fd.header_length() <= data.size(); ++at) {
    // Cheap filters first: a known type this format defines, a size that fits.
    std::uint8_t type = fd.canonical_type(data[at + 4]);
    if (!is_known_type(type) || !fd.defines(type)) continue;
    std::uint32_t size = le32(data.data() + at + 9);
    if (size < fd.header_length() || size > data.size() - at) continue;
    if (!f.relay && fd.binlog_version() >= 4) {
      std::uint32_t log_pos = le32(data.data() + at + 13);
      if (log_pos != 0 && log_pos != at + size) continue;
    }
    if (chain_holds(data, fd, at, chain, f)) return at;
  }
  return std::nullopt;
}

}  // namespace binlogkit::detail
