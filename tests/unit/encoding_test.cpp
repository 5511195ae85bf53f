// append_base64: the SIMD path (inputs of 16 bytes and more), the table path and the
// wrapped path all give RFC 4648 base64.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "binlogkit/core/encoding.hpp"

namespace {

// Bit by bit, six at a time: written differently from the library on purpose.
std::string reference_base64(const std::vector<std::uint8_t>& in, std::size_t wrap = 0) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t bits = in.size() * 8;
  for (std::size_t at = 0; at < bits; at += 6) {
    unsigned v = 0;
    for (std::size_t k = 0; k < 6; ++k) {
      const std::size_t b = at + k;
      const unsigned bit = b < bits ? (in[b / 8] >> (7 - b % 8)) & 1u : 0u;
      v = v << 1 | bit;
    }
    out += alphabet[v];
  }
  while (out.size() % 4 != 0) out += '=';
  if (wrap == 0) return out;
  std::string w;
  for (std::size_t k = 0; k < out.size(); ++k) {
    w += out[k];
    if ((k + 1) % wrap == 0) w += '\n';
  }
  return w;
}

std::string encode(const std::vector<std::uint8_t>& in, std::size_t wrap = 0) {
  std::string out = "x";  // appends after what is there
  binlogkit::append_base64(out, binlogkit::bytes(in.data(), in.size()), wrap);
  return out.substr(1);
}

}  // namespace

TEST_SUITE("encoding") {
  TEST_CASE("base64: RFC 4648 vectors") {
    auto of = [](std::string_view s) { return std::vector<std::uint8_t>(s.begin(), s.end()); };
    CHECK(encode(of("")) == "");
    CHECK(encode(of("f")) == "Zg==");
    CHECK(encode(of("fo")) == "Zm8=");
    CHECK(encode(of("foo")) == "Zm9v");
    CHECK(encode(of("foob")) == "Zm9vYg==");
    CHECK(encode(of("fooba")) == "Zm9vYmE=");
    CHECK(encode(of("foobar")) == "Zm9vYmFy");
    // 36 bytes: the SIMD path's two steps of 12, then the table for the last 12
    CHECK(encode(of("foobarfoobarfoobarfoobarfoobarfoobar")) == "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy");
  }

  TEST_CASE("base64: every value of every 6-bit group, at every length from 0 to 300") {
    std::mt19937 rng(20261122);
    std::uniform_int_distribution<int> byte(0, 255);
    for (std::size_t n = 0; n <= 300; ++n) {
      std::vector<std::uint8_t> in(n);
      for (auto& b : in) b = static_cast<std::uint8_t>(byte(rng));
      CAPTURE(n);
      REQUIRE(encode(in) == reference_base64(in));
      REQUIRE(encode(in, 76) == reference_base64(in, 76));
    }
    // All 64 characters at every position of a 16-character SIMD block: bytes 0..255
    // three times over, shifted by one and two.
    for (std::size_t shift = 0; shift < 3; ++shift) {
      std::vector<std::uint8_t> in(shift, 0x5a);
      for (int r = 0; r < 3; ++r) {
        for (int b = 0; b < 256; ++b) in.push_back(static_cast<std::uint8_t>(b * 7 + r));
      }
      CAPTURE(shift);
      CHECK(encode(in) == reference_base64(in));
    }
    std::vector<std::uint8_t> ones(64, 0xff), zeros(64, 0);
    CHECK(encode(ones) == std::string(84, '/') + "/w==");
    CHECK(encode(zeros) == std::string(84, 'A') + "AA==");
  }
}
