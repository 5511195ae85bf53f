// Test helper: the kinds of damage the parallel dump and verify tests put into a binlog,
// at a byte offset, so that both walk the same cases.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

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

}  // namespace bk_test
