// fuzz_event: one event (or a few) read after a real server's format description.
//
// Input: | selector | event bytes... |
//   selector bits 0-2: which format description heads the file (below);
//            bit 3: yield events whose CRC fails (so that bodies reach the decoders);
//            bit 4: allow unknown event types;
//            bit 5: do not compute checksums at all.
// The file fed to event_reader is magic + that format description + the event bytes, in
// a heap block of exactly its size. Every event framed is decoded and rendered.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <variant>

#include "binlogkit/tools/dump.hpp"
#include "format_descriptions.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/events/reader.hpp"
#include "fuzz_check.hpp"

namespace {

// Format description (or start) events copied from real servers' binlogs.
using namespace binlogkit_fuzz;

struct format_choice {
  const std::uint8_t* bytes;
  std::size_t size;
};
constexpr format_choice formats[] = {
    {mariadb_10_11_crc32, sizeof mariadb_10_11_crc32}, {mariadb_10_11_off, sizeof mariadb_10_11_off},
    {mysql_8_0_crc32, sizeof mysql_8_0_crc32},         {mysql_9_6_crc32, sizeof mysql_9_6_crc32},
    {mysql_5_7_crc32, sizeof mysql_5_7_crc32},         {mysql_5_1, sizeof mysql_5_1},
    {mysql_4_1_v3, sizeof mysql_4_1_v3},               {mysql_5_2_tree, sizeof mysql_5_2_tree},
};
static_assert(sizeof formats / sizeof formats[0] == 8);

// Touches what a consumer of a decoded event would read, so that lazily checked parts
// are reached too.
void use(const binlogkit::any_event& e, std::uint64_t offset) {
  if (const auto* p = std::get_if<binlogkit::previous_gtids_event>(&e)) {
    (void)binlogkit::for_each_sid(*p, offset, [](const binlogkit::uuid_bytes&, std::string_view, binlogkit::bytes) {});
  } else if (const auto* l = std::get_if<binlogkit::mariadb_gtid_list_event>(&e)) {
    for (std::size_t i = 0; i < l->count; ++i) (void)l->at(i);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const auto& fd = formats[selector & 7];
  const std::size_t n = binlogkit::binlog_magic_size + fd.size + (size - 1);
  std::unique_ptr<std::uint8_t[]> file(new std::uint8_t[n]);
  std::memcpy(file.get(), binlogkit::binlog_magic.data(), binlogkit::binlog_magic_size);
  std::memcpy(file.get() + binlogkit::binlog_magic_size, fd.bytes, fd.size);
  if (size > 1) std::memcpy(file.get() + binlogkit::binlog_magic_size + fd.size, data + 1, size - 1);

  binlogkit::reader_options options;
  options.bad_checksum_is_error = (selector & 0x08) == 0;
  options.allow_unknown_types = (selector & 0x10) != 0;
  options.verify_checksums = (selector & 0x20) == 0;
  binlogkit::event_reader reader(binlogkit::bytes(file.get(), n), options);
  for (int i = 0; i < 64; ++i) {
    auto next = reader.next();
    if (!next) {
      if (next.error().code == binlogkit::errc::checksum_mismatch || next.error().code == binlogkit::errc::encrypted) continue;
      break;
    }
    if (!*next) break;
    const binlogkit::event_view& ev = **next;
    // The event lies inside the file, after the magic, as long as its header says.
    BK_FUZZ_CHECK(ev.offset >= binlogkit::binlog_magic_size);
    BK_FUZZ_CHECK(ev.raw.size() == ev.header.event_size);
    BK_FUZZ_CHECK(ev.end_offset() <= n);
    auto decoded = binlogkit::decode(ev);
    if (decoded) {
      use(*decoded, ev.offset);
      (void)binlogkit::event_to_text(ev, &*decoded);
      (void)binlogkit::event_to_json(ev, &*decoded, "fuzz");
    } else {
      (void)binlogkit::event_to_text(ev, nullptr);
    }
  }
  return 0;
}
