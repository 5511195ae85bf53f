#include "binlogkit/encoding.hpp"

#include <array>
#include <cstring>

namespace binlogkit {

void append_identifier(std::string& out, std::string_view name) {
  out += '`';
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  out += '`';
}

std::string sql_identifier(std::string_view name) {
  std::string s;
  s.reserve(name.size() + 2);
  append_identifier(s, name);
  return s;
}

void append_base64(std::string& out, bytes b, std::size_t wrap) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::size_t n = b.size();
  std::size_t len = (n + 2) / 3 * 4;
  if (wrap > 0) len += len / wrap;
  const std::size_t start = out.size();
  out.resize(start + len);
  char* p = out.data() + start;
  std::size_t col = 0;
  auto put = [&](char c) {
    *p++ = c;
    if (wrap > 0 && ++col == wrap) {
      *p++ = '\n';
      col = 0;
    }
  };
  std::size_t i = 0;
  const std::uint8_t* d = b.data();
  if (wrap == 0) {
    // The hot path (row events for the applier): four characters per three bytes, two
    // characters per look-up of 12 bits.
    static constexpr auto pairs = [] {
      std::array<char, 8192> t{};
      for (std::size_t k = 0; k < 4096; ++k) {
        t[2 * k] = alphabet[k >> 6];
        t[2 * k + 1] = alphabet[k & 63];
      }
      return t;
    }();
    for (; i + 3 <= n; i += 3) {
      const std::uint32_t v = (std::uint32_t{d[i]} << 16) | (std::uint32_t{d[i + 1]} << 8) | d[i + 2];
      std::memcpy(p, pairs.data() + 2 * (v >> 12), 2);
      std::memcpy(p + 2, pairs.data() + 2 * (v & 4095), 2);
      p += 4;
    }
  } else {
    for (; i + 3 <= n; i += 3) {
      std::uint32_t v = (std::uint32_t{d[i]} << 16) | (std::uint32_t{d[i + 1]} << 8) | d[i + 2];
      put(alphabet[v >> 18]);
      put(alphabet[(v >> 12) & 63]);
      put(alphabet[(v >> 6) & 63]);
      put(alphabet[v & 63]);
    }
  }
  if (i < n) {
    std::uint32_t v = std::uint32_t{d[i]} << 16;
    if (i + 1 < n) v |= std::uint32_t{d[i + 1]} << 8;
    put(alphabet[v >> 18]);
    put(alphabet[(v >> 12) & 63]);
    put(i + 1 < n ? alphabet[(v >> 6) & 63] : '=');
    put('=');
  }
  out.resize(static_cast<std::size_t>(p - out.data()));
}

}  // namespace binlogkit
