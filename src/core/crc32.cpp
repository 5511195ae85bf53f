#include "binlogkit/core/crc32.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>

#if defined(BINLOGKIT_HAVE_ISAL)
#include <isa-l/crc.h>
#elif defined(BINLOGKIT_HAVE_LIBDEFLATE)
#include <libdeflate.h>
#endif

namespace binlogkit {

std::uint32_t crc32_zlib(bytes data, std::uint32_t previous) noexcept {
  uLong crc = previous;
  const auto* p = data.data();
  std::size_t n = data.size();
  // zlib takes uInt lengths; feed very large spans in pieces.
  while (n > 0) {
    auto chunk = static_cast<uInt>(std::min<std::size_t>(n, std::numeric_limits<uInt>::max()));
    crc = ::crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

std::uint32_t crc32(bytes data, std::uint32_t previous) noexcept {
#if defined(BINLOGKIT_HAVE_ISAL)
  // crc32_gzip_refl applies the same pre- and post-inversion as zlib. Its AVX-512 path
  // returns with the upper vector state dirty; clearing it here keeps the caller's SSE
  // code from paying a transition penalty on every event (measured: 4x on a walk).
  auto c = ::crc32_gzip_refl(previous, data.data(), data.size());
#if defined(__x86_64__)
  static const bool has_avx = __builtin_cpu_supports("avx");
  if (has_avx) __asm__ __volatile__("vzeroupper" ::: "memory");
#endif
  return c;
#elif defined(BINLOGKIT_HAVE_LIBDEFLATE)
  return ::libdeflate_crc32(previous, data.data(), data.size());
#else
  return crc32_zlib(data, previous);
#endif
}

std::string_view crc32_backend() noexcept {
#if defined(BINLOGKIT_HAVE_ISAL)
  return "isa-l";
#elif defined(BINLOGKIT_HAVE_LIBDEFLATE)
  return "libdeflate";
#else
  return "zlib";
#endif
}

}  // namespace binlogkit
