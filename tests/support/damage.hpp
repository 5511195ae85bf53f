// Test helper: the kinds of damage the parallel dump and verify tests put into a binlog,
// at a byte offset, so that both walk the same cases.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "binlogkit/core/result.hpp"

namespace bk_test {

enum class damage {
  bit_flip,        // one bit of the byte at `at`
  dropped_byte,    // the byte at `at` removed
  torn_tail,       // the file ends at `at`
  zeroed_page,     // the 4 KiB page holding `at` zeroed (a lost page write)
  inserted_block,  // 196 bytes of the file's own start inserted at `at`
};

inline void apply_damage(std::vector<std::uint8_t>& data, damage kind, std::size_t at) {
  switch (kind) {
    case damage::bit_flip: data[at] ^= 0x20; break;
    case damage::dropped_byte: data.erase(data.begin() + static_cast<long>(at)); break;
    case damage::torn_tail: data.resize(at); break;
    case damage::zeroed_page: {
      const std::size_t page = at & ~std::size_t{4095};
      std::fill_n(data.begin() + static_cast<long>(page), std::min<std::size_t>(4096, data.size() - page), 0);
      break;
    }
    case damage::inserted_block: {
      const std::vector<std::uint8_t> block(data.begin() + 4, data.begin() + 200);
      data.insert(data.begin() + static_cast<long>(at), block.begin(), block.end());
      break;
    }
  }
}

// Where a reader must first report damage of `kind` at `at` in copies of one binlog
// (its events without the magic repeated after a 4-byte magic), and what it must call it,
// from the event offsets of one copy that the server's own tool printed: the "# at N"
// lines of a `mariadb-binlog -vv` listing. The offset is the start of the event holding
// the first changed byte (for a zeroed page, the page's first byte; for a torn tail, the
// cut). `code` is the one kind of error the damage must give where it falls; errc::ok
// means "any" (a zeroed page, or a change that may reach the event's size field).
struct expected_problem {
  std::uint64_t offset = 0;
  binlogkit::errc code = binlogkit::errc::ok;
};

// The "# at N" offsets of a mariadb-binlog -vv listing, in order, and the file's size.
inline std::vector<std::uint64_t> event_starts_from_listing(const std::string& vv_path) {
  std::vector<std::uint64_t> starts;
  std::ifstream in(vv_path);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# at ", 0) == 0) starts.push_back(std::stoull(line.substr(5)));
  }
  return starts;
}

inline expected_problem expected_first_problem(damage kind, std::uint64_t at, const std::vector<std::uint64_t>& starts,
                                               std::uint64_t copy_size) {
  using binlogkit::errc;
  const std::uint64_t first = kind == damage::zeroed_page ? (at & ~std::uint64_t{4095}) : at;
  const std::uint64_t per_copy = copy_size - 4;
  const std::uint64_t copy = (first - 4) / per_copy, in_copy = (first - 4) % per_copy + 4;
  std::uint64_t start = starts.front();
  for (auto s : starts) {
    if (s <= in_copy) start = s;
  }
  expected_problem p;
  p.offset = 4 + copy * per_copy + (start - 4);
  // A change in the first 13 bytes of an event may reach its size field (bytes 9-12):
  // then the frame itself is wrong, and which error comes first depends on the bytes.
  const bool frame = in_copy - start < 13;
  switch (kind) {
    case damage::bit_flip:
    case damage::dropped_byte:
    case damage::inserted_block: p.code = frame ? errc::ok : errc::checksum_mismatch; break;
    case damage::torn_tail: p.code = errc::truncated; break;
    case damage::zeroed_page: p.code = errc::ok; break;
  }
  return p;
}

}  // namespace bk_test
