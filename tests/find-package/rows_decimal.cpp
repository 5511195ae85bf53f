// rows: a DECIMAL(5,2) value as a row event stores it, decoded (binlogkit::rows).
#include <binlogkit/rows/decimal.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>

int main() {
  // 123.45: integer part 123 in two bytes, fraction 45 in one, sign bit flipped (positive).
  const std::array<std::uint8_t, 3> wire{0x80, 0x7b, 0x2d};
  auto d = binlogkit::decode_decimal(binlogkit::bytes(wire.data(), wire.size()), 5, 2);
  if (!d) return 1;
  std::printf("decimal: %s\n", d->str().c_str());
  return 0;
}
