#include "binlogkit/rows/decimal.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace binlogkit {

// ---- NEWDECIMAL ---------------------------------------------------------------------

namespace {

constexpr int digits_per_group = 9;
constexpr std::array<int, 10> bytes_for_digits{0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
constexpr std::array<std::uint32_t, 10> pow10_u32{1,      10,      100,      1000,      10000,
                                                  100000, 1000000, 10000000, 100000000, 1000000000};

}  // namespace

struct decimal_text_builder {
  decimal_text& t;
  void put(char c) noexcept {
    if (t.len_ < t.buf_.size()) t.buf_[t.len_++] = c;
  }
  // Writes `digits` decimal digits of v, zero-padded.
  void put_group(std::uint32_t v, int digits) noexcept {
    for (int i = digits - 1; i >= 0; --i) put(static_cast<char>('0' + (v / pow10_u32[i]) % 10));
  }
  void drop_leading_int_zeros(std::size_t from, std::size_t int_end) noexcept {
    // Keeps one digit before the point.
    std::size_t first = from;
    while (first + 1 < int_end && t.buf_[first] == '0') ++first;
    if (first == from) return;
    std::copy(t.buf_.begin() + static_cast<std::ptrdiff_t>(first),
              t.buf_.begin() + static_cast<std::ptrdiff_t>(t.len_),
              t.buf_.begin() + static_cast<std::ptrdiff_t>(from));
    t.len_ -= first - from;
  }
};

std::size_t decimal_binary_size(int precision, int scale) noexcept {
  if (precision < 0 || scale < 0 || scale > precision) return 0;
  int intg = precision - scale;
  return static_cast<std::size_t>((intg / digits_per_group) * 4 + bytes_for_digits[intg % digits_per_group] +
                                  (scale / digits_per_group) * 4 +
                                  bytes_for_digits[scale % digits_per_group]);
}

result<decimal_text> decode_decimal(bytes in, int precision, int scale, std::uint64_t offset,
                                    int event_type) noexcept {
  if (precision <= 0 || precision > decimal_max_precision || scale < 0 || scale > precision) {
    return make_error(errc::bad_value, offset, event_type, "decimal precision/scale are impossible");
  }
  const std::size_t size = decimal_binary_size(precision, scale);
  if (in.size() < size) return make_error(errc::bad_value, offset, event_type, "decimal value is cut short");
  const int intg = precision - scale;
  const int intg_full = intg / digits_per_group, intg_rest = intg % digits_per_group;
  const int frac_full = scale / digits_per_group, frac_rest = scale % digits_per_group;
  const bool negative = (in[0] & 0x80) == 0;
  const std::uint8_t mask = negative ? 0xff : 0x00;

  std::size_t pos = 0;
  // Reads one group of n bytes, big-endian, with the sign bit restored and the bytes
  // un-inverted for negatives.
  auto group = [&](int n) noexcept {
    std::uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
      std::uint8_t b = in[pos] ^ mask;
      if (pos == 0) b ^= 0x80;
      v = (v << 8) | b;
      ++pos;
    }
    return v;
  };

  decimal_text out;
  decimal_text_builder w{out};
  if (negative) w.put('-');
  const std::size_t int_start = out.view().size();
  bool bad = false;
  if (intg_rest > 0) {
    auto v = group(bytes_for_digits[intg_rest]);
    bad |= v >= pow10_u32[intg_rest];
    w.put_group(v, intg_rest);
  }
  for (int i = 0; i < intg_full; ++i) {
    auto v = group(4);
    bad |= v > 999999999u;
    w.put_group(v, digits_per_group);
  }
  if (intg == 0) w.put('0');
  const std::size_t int_end = out.view().size();
  if (scale > 0) w.put('.');
  for (int i = 0; i < frac_full; ++i) {
    auto v = group(4);
    bad |= v > 999999999u;
    w.put_group(v, digits_per_group);
  }
  if (frac_rest > 0) {
    auto v = group(bytes_for_digits[frac_rest]);
    bad |= v >= pow10_u32[frac_rest];
    w.put_group(v, frac_rest);
  }
  if (bad) return make_error(errc::bad_value, offset, event_type, "decimal group holds more digits than it may");
  w.drop_leading_int_zeros(int_start, int_end);
  return out;
}

// ---- my_gcvt ------------------------------------------------------------------------

namespace {

// What David Gay's dtoa returns: significant digits without trailing zeros and the
// position of the decimal point relative to them (decpt = exponent + 1).
struct digit_string {
  char d[40] = {};
  int len = 0;
  int decpt = 0;
};

void strip_trailing_zeros(digit_string& s) {
  while (s.len > 1 && s.d[s.len - 1] == '0') --s.len;
}

// Parses "d.ddde[+-]XX" (as written by to_chars / printf %e) of a non-negative number.
digit_string from_scientific(const char* p, const char* end) {
  digit_string s;
  int exp = 0;
  for (; p < end && *p != 'e'; ++p) {
    if (*p >= '0' && *p <= '9' && s.len < static_cast<int>(sizeof s.d)) s.d[s.len++] = *p;
  }
  if (p < end && *p == 'e') std::from_chars(p + 1 + (p[1] == '+'), end, exp);
  s.decpt = exp + 1;
  strip_trailing_zeros(s);
  if (s.len == 1 && s.d[0] == '0') s.decpt = 1;
  return s;
}

// dtoa mode 4: the shortest digits that read back as x, but no more than ndigits
// (rounded to ndigits when the shortest form is longer).
digit_string dtoa_significant(double x, int ndigits) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  digit_string s = from_scientific(buf, r.ptr);
  if (ndigits < 1) ndigits = 1;
  if (s.len > ndigits) {
    int n = std::snprintf(buf, sizeof buf, "%.*e", ndigits - 1, x);
    s = from_scientific(buf, buf + n);
  }
  return s;
}

// dtoa mode 5: digits rounded to nfrac places after the decimal point. An empty result
// (len 0) means the number rounds to zero.
digit_string dtoa_fixed(double x, int nfrac) {
  char buf[400];
  int n = std::snprintf(buf, sizeof buf, "%.*f", std::max(nfrac, 0), x);
  digit_string s;
  int int_digits = 0;
  bool seen_point = false, leading = true;
  int zeros_after_point = 0;
  for (int i = 0; i < n; ++i) {
    char c = buf[i];
    if (c == '.') { seen_point = true; continue; }
    if (c < '0' || c > '9') continue;
    if (!seen_point) ++int_digits;
    if (leading && c == '0') {
      if (seen_point) ++zeros_after_point;
      if (!seen_point) --int_digits;
      continue;
    }
    leading = false;
    if (s.len < static_cast<int>(sizeof s.d)) s.d[s.len++] = c;
  }
  if (s.len == 0) return s;
  s.decpt = int_digits > 0 ? int_digits : -zeros_after_point;
  while (s.len > 0 && s.d[s.len - 1] == '0') --s.len;
  return s;
}

constexpr int max_decpt_for_f_format = 15;  // DBL_DIG
constexpr int flt_dig = 6;

}  // namespace

std::string format_gcvt(double x, int width, bool as_float) {
  if (!std::isfinite(x)) return "0";
  const bool neg = std::signbit(x);
  const double ax = std::fabs(x);
  if (x < 0.) --width;
  digit_string s = dtoa_significant(ax, as_float ? std::min(width, flt_dig) : width);
  int len = s.len, decpt = s.decpt;
  const int exp_len = 1 + (decpt >= 101 || decpt <= -99) + (decpt >= 11 || decpt <= -9);
  const int f_len = decpt <= 0 ? len - decpt + 2 : decpt < len ? len + 1 : decpt;
  const bool have_space = f_len <= width;
  const bool force_e = decpt <= 0 && width <= 2 - decpt && width >= 3 + exp_len;
  const bool f_keeps_most =
      decpt <= width && (decpt >= -1 || (decpt == -2 && (len > 1 || !force_e))) && !force_e;
  const bool f_preferred = !have_space || (decpt >= -max_decpt_for_f_format + 1 &&
                                           (decpt <= max_decpt_for_f_format || len > decpt));
  std::string out;
  if ((have_space || f_keeps_most) && f_preferred) {
    width -= (decpt < len) + (decpt <= 0 ? 1 - decpt : 0);
    if (width < len) {
      if (width < decpt) width = decpt;
      s = dtoa_fixed(ax, width - decpt);
      len = s.len;
      decpt = s.decpt;
    }
    if (len == 0) return "0";
    if (neg) out += '-';
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-decpt), '0');
    }
    for (int i = 1; i <= len; ++i) {
      out += s.d[i - 1];
      if (i == decpt && i < len) out += '.';
    }
    for (int i = len; i < decpt; ++i) out += '0';
    return out;
  }
  // 'e' form
  int e = decpt - 1;
  if (e < 0) --width;
  width -= 1 + exp_len;
  if (len > 1) --width;
  if (width <= 0) width = 0;
  if (width < len) {
    s = dtoa_significant(ax, width);
    len = s.len;
    e = s.decpt - 1;
  }
  if (neg) out += '-';
  out += s.d[0];
  if (len > 1) {
    out += '.';
    out.append(s.d + 1, static_cast<std::size_t>(len - 1));
  }
  out += 'e';
  if (e < 0) {
    out += '-';
    e = -e;
  }
  char buf[8];
  auto r = std::to_chars(buf, buf + sizeof buf, e);
  out.append(buf, r.ptr);
  return out;
}

}  // namespace binlogkit
