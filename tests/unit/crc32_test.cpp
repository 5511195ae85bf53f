#include <doctest/doctest.h>

#include <string_view>
#include <vector>

#include "binlogkit/core/crc32.hpp"

using namespace binlogkit;

TEST_SUITE("crc32") {
  TEST_CASE("crc32: the check value of \"123456789\" is 0xcbf43926") {
    std::string_view s = "123456789";
    bytes b(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    CHECK(crc32(b) == 0xcbf43926u);
    CHECK(crc32_zlib(b) == 0xcbf43926u);
  }
  TEST_CASE("crc32: the fast backend equals zlib on every length up to 4 KiB") {
    std::vector<std::uint8_t> data(4096);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 131 + 7);
    for (std::size_t n = 0; n <= data.size(); n += (n < 64 ? 1 : 61)) {
      bytes b(data.data(), n);
      REQUIRE(crc32(b) == crc32_zlib(b));
    }
  }
  TEST_CASE("crc32: continuing from a previous value equals one pass") {
    std::vector<std::uint8_t> data(1000, 0xab);
    bytes all(data.data(), data.size());
    CHECK(crc32(all.subspan(300), crc32(all.first(300))) == crc32(all));
  }
}
