// Exact numbers of the row layer: NEWDECIMAL's binary form and the way MySQL prints
// doubles and floats.
//
// NEWDECIMAL(precision, scale) on the wire (MySQL strings/decimal.cc, bin2decimal):
//   the integer part (precision - scale digits) and the fraction (scale digits) are cut
//   into groups of 9 decimal digits stored as 4-byte big-endian integers; a group of
//   fewer digits takes 1-4 bytes (digits 1-2: 1 byte, 3-4: 2, 5-6: 3, 7-9: 4). The
//   integer part's short group comes first (it holds the most significant digits), the
//   fraction's short group last (it holds the least significant digits, as an integer).
//   | leading int group | 9-digit int groups | 9-digit frac groups | trailing frac group |
//   The first byte has its top bit flipped (set = positive). A negative number has every
//   byte inverted as well.
//
// Ownership: decimal_text holds its digits in place (no allocation, no view into the row);
// format_gcvt returns a new string. Errors: decode_decimal's bad_value (below), naming the
// offset and event type it is given. Threads: pure functions, safe from any number of
// threads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/core/result.hpp"

namespace binlogkit {

// Largest precision either server accepts (DECIMAL(65, 30)); the wire format allows more
// (the metadata is a byte), so the decoder takes up to 255 digits.
inline constexpr int decimal_max_precision = 255;

// The decimal as text, in a fixed buffer: no allocation. "-123.4500", "0.001", "7".
class decimal_text {
 public:
  [[nodiscard]] std::string_view view() const noexcept { return {buf_.data(), len_}; }
  [[nodiscard]] std::string str() const { return std::string(view()); }
  [[nodiscard]] bool negative() const noexcept { return len_ > 0 && buf_[0] == '-'; }

 private:
  friend struct decimal_text_builder;
  std::array<char, decimal_max_precision + 3> buf_{};  // sign, "0.", digits
  std::size_t len_ = 0;
};

// Bytes a NEWDECIMAL(precision, scale) value takes in a row; 0 when scale > precision.
[[nodiscard]] std::size_t decimal_binary_size(int precision, int scale) noexcept;

// Decodes exactly decimal_binary_size(precision, scale) bytes at the start of `in`.
// Errors: bad_value when the bytes are too few, scale > precision, or a 9-digit group
// holds a number above 999999999 (corrupt). The text has `scale` fraction digits and no
// leading zeros in the integer part ("0" when the integer part is zero), as MySQL's
// decimal2string prints it.
[[nodiscard]] result<decimal_text> decode_decimal(bytes in, int precision, int scale,
                                                  std::uint64_t offset = 0,
                                                  int event_type = -1) noexcept;

// MySQL's my_gcvt (strings/dtoa.cc): the shortest round-trip digits, at most `width`
// characters, in 'f' or 'e' form chosen as MySQL chooses ("0.1", "1e15", "1.5e-7",
// "100000000000000"). as_float limits the digits to FLT_DIG (6), as for FLOAT columns.
// Infinity and NaN give "0", as in MySQL.
[[nodiscard]] std::string format_gcvt(double x, int width, bool as_float = false);

// Widths MySQL passes to my_gcvt: JSON doubles (MY_GCVT_MAX_FIELD_WIDTH), and SELECT of
// DOUBLE / FLOAT columns without a declared scale (Field_double/Field_float::val_str:
// the conversion buffer size less one, so the digits are never cut).
inline constexpr int gcvt_json_width = 34;
inline constexpr int gcvt_double_width = 330;
inline constexpr int gcvt_float_width = 69;

}  // namespace binlogkit
