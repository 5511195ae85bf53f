#include "binlogkit/core/encoding.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define BINLOGKIT_BASE64_SSSE3 1
#endif

namespace binlogkit {

namespace {

#ifdef BINLOGKIT_BASE64_SSSE3
// Twelve bytes to sixteen characters per step with SSSE3 (the method of Mula and Lemire,
// "Faster Base64 Encoding and Decoding using AVX2 Instructions", 2018), while at least
// sixteen bytes are left to load. Returns how many input bytes it encoded (a multiple of
// 3); `p` moves past the characters written.
__attribute__((target("ssse3"))) std::size_t base64_ssse3(const std::uint8_t* d, std::size_t n, char*& p) {
  // Each 32-bit lane gets the bytes b, a, c, b of its three input bytes a, b, c...
  const __m128i order = _mm_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
  // ... and the four 6-bit values are moved to the low bits of its four bytes by two
  // multiplications: a >> 2 and (b & 15) << 2 | c >> 6 by the high half of one, (a & 3) << 4
  // | b >> 4 and c & 63 by the low half of the other.
  const __m128i mask_hi = _mm_set1_epi32(0x0fc0fc00);
  const __m128i mul_hi = _mm_set1_epi32(0x04000040);
  const __m128i mask_lo = _mm_set1_epi32(0x003f03f0);
  const __m128i mul_lo = _mm_set1_epi32(0x01000010);
  // Values to characters: the offset to add, by range (0-25 'A', 26-51 'a', 52-61 '0',
  // 62 '+', 63 '/'), looked up by (value - 51, saturated) with 13 for 0-25.
  const __m128i offsets = _mm_setr_epi8(static_cast<char>('a' - 26), static_cast<char>('0' - 52),
                                        static_cast<char>('0' - 52), static_cast<char>('0' - 52),
                                        static_cast<char>('0' - 52), static_cast<char>('0' - 52),
                                        static_cast<char>('0' - 52), static_cast<char>('0' - 52),
                                        static_cast<char>('0' - 52), static_cast<char>('0' - 52),
                                        static_cast<char>('0' - 52), static_cast<char>('+' - 62),
                                        static_cast<char>('/' - 63), 'A', 0, 0);
  const __m128i fifty_one = _mm_set1_epi8(51);
  const __m128i twenty_six = _mm_set1_epi8(26);
  const __m128i thirteen = _mm_set1_epi8(13);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 12) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + i));
    v = _mm_shuffle_epi8(v, order);
    const __m128i hi = _mm_mulhi_epu16(_mm_and_si128(v, mask_hi), mul_hi);
    const __m128i lo = _mm_mullo_epi16(_mm_and_si128(v, mask_lo), mul_lo);
    const __m128i values = _mm_or_si128(hi, lo);
    __m128i range = _mm_subs_epu8(values, fifty_one);
    range = _mm_or_si128(range, _mm_and_si128(_mm_cmpgt_epi8(twenty_six, values), thirteen));
    const __m128i chars = _mm_add_epi8(_mm_shuffle_epi8(offsets, range), values);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), chars);
    p += 16;
  }
  return i;
}

bool have_ssse3() {
  static const bool yes = __builtin_cpu_supports("ssse3") != 0;
  return yes;
}
#endif

}  // namespace

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
    // The hot path (row events for the applier): SIMD where the processor has it, then four
    // characters per three bytes, two characters per look-up of 12 bits.
#ifdef BINLOGKIT_BASE64_SSSE3
    if (n >= 16 && have_ssse3()) i = base64_ssse3(d, n, p);
#endif
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
