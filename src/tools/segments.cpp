#include "segments.hpp"

#include "binlogkit/core/crc32.hpp"
#include "binlogkit/core/event_type.hpp"

#include <algorithm>
#include <thread>

namespace binlogkit::detail {

bool plausible_event(bytes data, std::uint64_t at, const format_description& format) noexcept {
  const std::size_t hl = format.header_length();
  if (at >= data.size() || data.size() - at < hl) return false;
  const std::uint8_t* p = data.data() + at;
  const std::uint8_t type = format.canonical_type(p[4]);
  if (type == static_cast<std::uint8_t>(event_type::format_description) ||
      type == static_cast<std::uint8_t>(event_type::start_encryption) || !is_known_type(type) ||
      !format.defines(type)) {
    return false;
  }
  const std::uint32_t size = le32(p + 9);
  const std::size_t min_size = hl + (format.has_checksums() ? checksum_size : 0);
  constexpr std::uint32_t max_size = 1u << 20;
  if (size < min_size || size > max_size || size > data.size() - at) return false;
  if (format.has_checksums()) {
    return crc32(bytes(p, size - checksum_size)) == le32(p + size - checksum_size);
  }
  return true;
}

std::optional<std::uint64_t> find_event_start(bytes data, std::uint64_t from, std::uint64_t to,
                                              const format_description& format) noexcept {
  const int chain = format.has_checksums() ? 3 : 8;
  for (std::uint64_t at = from; at < to; ++at) {
    std::uint64_t p = at;
    int ok = 0;
    while (ok < chain && plausible_event(data, p, format)) {
      p += le32(data.data() + p + 9);
      ++ok;
      if (p == data.size()) ok = chain;
    }
    if (ok == chain) return at;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> find_transaction_start(bytes data, std::uint64_t from, std::uint64_t to,
                                                    const format_description& format) noexcept {
  auto at = find_event_start(data, from, to, format);
  if (!at) return std::nullopt;
  std::uint64_t p = *at;
  while (p < to && plausible_event(data, p, format)) {
    const auto type = static_cast<event_type>(format.canonical_type(data[p + 4]));
    if (is_gtid_event(type)) return p;
    p += le32(data.data() + p + 9);
  }
  return std::nullopt;
}

std::optional<segment_plan> plan_segments(bytes data, std::uint64_t segment_size, segment_start at) noexcept {
  const std::uint64_t seg = std::max<std::uint64_t>(segment_size, 1024);
  if (data.size() < 2 * seg) return std::nullopt;
  event_reader probe(data);
  event_view first;
  if (probe.read(first) != read_status::event || probe.format() == nullptr ||
      probe.format()->binlog_version() < 4) {
    return std::nullopt;
  }
  segment_plan plan{*probe.format(), {0}};
  for (std::uint64_t nominal = seg; nominal + seg / 2 < data.size(); nominal += seg) {
    const std::uint64_t from = std::max(nominal, probe.position());
    auto start = at == segment_start::transaction ? find_transaction_start(data, from, nominal + seg, plan.first)
                                                  : find_event_start(data, from, nominal + seg, plan.first);
    if (start && *start > plan.starts.back()) plan.starts.push_back(*start);
  }
  if (plan.starts.size() < 2) return std::nullopt;
  return plan;
}

std::optional<std::size_t> handover(const segment_plan& plan, std::size_t& next, const event_reader& reader) noexcept {
  const std::uint64_t pos = reader.position();
  if (next >= plan.starts.size() || pos < plan.starts[next]) return std::nullopt;
  while (next < plan.starts.size() && plan.starts[next] < pos) ++next;
  if (next < plan.starts.size() && plan.starts[next] == pos && !reader.encrypted() && reader.format() != nullptr &&
      reader.format()->same_layout(plan.first)) {
    return next;
  }
  return std::nullopt;
}

unsigned thread_count(unsigned requested) noexcept {
  if (requested != 0) return requested;
  return std::min(8u, std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace binlogkit::detail
