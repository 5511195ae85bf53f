// Byte spans and a bounds-checked little-endian cursor.
//
// Every read is checked against the end of the span. A read past the end returns zero (or
// an empty span), marks the cursor failed, and never touches memory outside the span, so a
// decoder can read a run of fields and check `ok()` once. Nothing here writes to its input.
//
// Ownership: `bytes` and the cursor are views: they own nothing and are valid while the
// memory they point into lives (usually a source, source.hpp). Threads: a cursor is a value
// used by one thread at a time; the bytes are never written, so any number of cursors may
// read the same bytes at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace binlogkit {

using bytes = std::span<const std::uint8_t>;

inline std::string_view as_chars(bytes b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

namespace detail {

inline std::uint64_t load_le(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}
inline std::uint64_t load_be(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}
inline std::uint16_t le16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
inline std::uint32_t le32(const std::uint8_t* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);  // little-endian hosts only (checked in CMake)
  return v;
}

}  // namespace detail

class cursor {
 public:
  constexpr cursor() = default;
  constexpr explicit cursor(bytes data) noexcept : data_(data) {}

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] std::size_t pos() const noexcept { return pos_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
  [[nodiscard]] bool empty() const noexcept { return pos_ == data_.size(); }
  [[nodiscard]] bytes rest() const noexcept { return data_.subspan(pos_); }

  // True when n more bytes are there; otherwise marks the cursor failed.
  bool need(std::size_t n) noexcept {
    if (n > remaining()) ok_ = false;
    return ok_;
  }

  std::uint64_t uint(std::size_t n) noexcept {
    if (!need(n)) return 0;
    auto v = detail::load_le(data_.data() + pos_, n);
    pos_ += n;
    return v;
  }
  std::uint64_t uint_be(std::size_t n) noexcept {
    if (!need(n)) return 0;
    auto v = detail::load_be(data_.data() + pos_, n);
    pos_ += n;
    return v;
  }
  std::uint8_t u8() noexcept { return static_cast<std::uint8_t>(uint(1)); }
  std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(uint(2)); }
  std::uint32_t u24() noexcept { return static_cast<std::uint32_t>(uint(3)); }
  std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(uint(4)); }
  std::uint64_t u48() noexcept { return uint(6); }
  std::uint64_t u64() noexcept { return uint(8); }

  bytes take(std::size_t n) noexcept {
    if (!need(n)) return {};
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  std::string_view str(std::size_t n) noexcept { return as_chars(take(n)); }
  void skip(std::size_t n) noexcept { (void)take(n); }

  // Length-encoded integer ("packed integer"): < 251 one byte; fc + 2; fd + 3; fe + 8.
  // 251 (0xfb) is NULL in the client protocol and never a valid length here.
  std::uint64_t packed() noexcept {
    std::uint8_t first = u8();
    if (!ok_) return 0;
    if (first < 251) return first;
    if (first == 252) return uint(2);
    if (first == 253) return uint(3);
    if (first == 254) return uint(8);
    ok_ = false;
    return 0;
  }

  // A string up to the first NUL (the NUL is consumed); fails if there is none.
  std::string_view cstr() noexcept {
    if (!ok_) return {};
    const auto* begin = data_.data() + pos_;
    const void* nul = std::memchr(begin, 0, remaining());
    if (nul == nullptr) {
      ok_ = false;
      return {};
    }
    auto n = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - begin);
    auto s = str(n);
    pos_ += 1;
    return s;
  }

  void fail() noexcept { ok_ = false; }

 private:
  bytes data_{};
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace binlogkit
