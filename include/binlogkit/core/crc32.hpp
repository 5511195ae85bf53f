// CRC32 (the zlib / ISO-HDLC polynomial, as binlog checksums use). The fastest backend found
// at build time is used: ISA-L (carry-less multiply), else libdeflate, else zlib.
//
// Errors: none. Threads: pure functions without state (the backend is chosen at build time):
// safe from any number of threads at once.
#pragma once

#include <cstdint>
#include <string_view>

#include "binlogkit/core/bytes.hpp"

namespace binlogkit {

// crc32(data) equals zlib's crc32(0, data, size); pass a previous value to continue.
[[nodiscard]] std::uint32_t crc32(bytes data, std::uint32_t previous = 0) noexcept;

// The same through zlib, whatever backend is compiled in (tests compare the two).
[[nodiscard]] std::uint32_t crc32_zlib(bytes data, std::uint32_t previous = 0) noexcept;

// "isa-l", "libdeflate" or "zlib".
[[nodiscard]] std::string_view crc32_backend() noexcept;

}  // namespace binlogkit
