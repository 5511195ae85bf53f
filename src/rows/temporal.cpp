// Dates and times of the row layer: the servers' row formats, their in-memory packed
// forms (JSON opaque values use those), and text as my_time.cc prints it.
#include <cstdio>

#include "binlogkit/rows/rows.hpp"

namespace binlogkit::detail {

namespace {

constexpr std::int64_t frac_bits = 24;  // packed forms keep microseconds in the low 24 bits

std::int64_t sign_extend(std::uint64_t v, int bits) {
  const std::uint64_t m = std::uint64_t{1} << (bits - 1);
  return static_cast<std::int64_t>((v ^ m) - m);
}

void append_2(std::string& out, std::uint32_t v) {
  if (v < 10) out += '0';
  out += std::to_string(v);
}

void append_fraction(std::string& out, std::uint32_t usec, int fsp) {
  if (fsp <= 0) return;
  if (fsp > 6) fsp = 6;
  static constexpr std::uint32_t div[] = {1000000, 100000, 10000, 1000, 100, 10, 1};
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%0*u", fsp, (usec % 1000000u) / div[fsp]);
  out += buf;
}

}  // namespace

temporal temporal_from_packed_datetime(std::int64_t packed) noexcept {
  temporal t;
  std::uint64_t tmp = packed < 0 ? 0 - static_cast<std::uint64_t>(packed) : static_cast<std::uint64_t>(packed);
  t.negative = packed < 0;
  t.microsecond = static_cast<std::uint32_t>(tmp % (std::uint64_t{1} << frac_bits));
  const std::uint64_t ymdhms = tmp >> frac_bits;
  const std::uint64_t ymd = ymdhms >> 17, hms = ymdhms % (1u << 17);
  const std::uint64_t ym = ymd >> 5;
  t.day = static_cast<std::uint8_t>(ymd % 32);
  t.month = static_cast<std::uint8_t>(ym % 13);
  t.year = static_cast<std::int32_t>(ym / 13);
  t.second = static_cast<std::uint8_t>(hms % 64);
  t.minute = static_cast<std::uint8_t>((hms >> 6) % 64);
  t.hour = static_cast<std::uint32_t>(hms >> 12);
  return t;
}

temporal temporal_from_packed_time(std::int64_t packed) noexcept {
  temporal t;
  std::uint64_t tmp = packed < 0 ? 0 - static_cast<std::uint64_t>(packed) : static_cast<std::uint64_t>(packed);
  t.negative = packed < 0;
  const std::uint64_t hms = tmp >> frac_bits;
  t.hour = static_cast<std::uint32_t>((hms >> 12) % 1024);
  t.minute = static_cast<std::uint8_t>((hms >> 6) % 64);
  t.second = static_cast<std::uint8_t>(hms % 64);
  t.microsecond = static_cast<std::uint32_t>(tmp % (std::uint64_t{1} << frac_bits));
  return t;
}

void append_date(std::string& out, const temporal& t, char sep) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%c%02u%c%02u", static_cast<int>(t.year), sep,
                static_cast<unsigned>(t.month), sep, static_cast<unsigned>(t.day));
  out += buf;
}

void append_time(std::string& out, const temporal& t, int fsp) {
  if (t.negative) out += '-';
  append_2(out, t.hour);
  out += ':';
  append_2(out, t.minute);
  out += ':';
  append_2(out, t.second);
  append_fraction(out, t.microsecond, fsp);
}

void append_datetime(std::string& out, const temporal& t, int fsp) {
  append_date(out, t, '-');
  out += ' ';
  temporal hms = t;
  hms.negative = false;
  append_time(out, hms, fsp);
}

temporal utc_from_epoch(std::int64_t seconds) noexcept {
  // Days to civil date (proleptic Gregorian), after H. Hinnant's days_from_civil inverse.
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  temporal t;
  t.year = static_cast<std::int32_t>(yoe + era * 400 + (m <= 2));
  t.month = static_cast<std::uint8_t>(m);
  t.day = static_cast<std::uint8_t>(d);
  t.hour = static_cast<std::uint32_t>(rem / 3600);
  t.minute = static_cast<std::uint8_t>(rem / 60 % 60);
  t.second = static_cast<std::uint8_t>(rem % 60);
  t.epoch_seconds = seconds;
  return t;
}

std::size_t temporal2_fraction_bytes(int fsp) noexcept {
  return fsp <= 0 ? 0 : static_cast<std::size_t>((fsp + 1) / 2);
}

temporal date_from_row(std::uint32_t v) noexcept {
  temporal t;
  t.day = static_cast<std::uint8_t>(v & 31);
  t.month = static_cast<std::uint8_t>((v >> 5) & 15);
  t.year = static_cast<std::int32_t>(v >> 9);
  return t;
}

temporal time_from_row(std::int32_t v) noexcept {
  temporal t;
  t.negative = v < 0;
  const std::uint32_t a = v < 0 ? 0u - static_cast<std::uint32_t>(v) : static_cast<std::uint32_t>(v);
  t.hour = a / 10000;
  t.minute = static_cast<std::uint8_t>(a / 100 % 100);
  t.second = static_cast<std::uint8_t>(a % 100);
  return t;
}

temporal datetime_from_row(std::uint64_t v) noexcept {
  temporal t;
  const std::uint64_t d = v / 1000000, hms = v % 1000000;
  t.year = static_cast<std::int32_t>(d / 10000);
  t.month = static_cast<std::uint8_t>(d % 10000 / 100);
  t.day = static_cast<std::uint8_t>(d % 100);
  t.hour = static_cast<std::uint32_t>(hms / 10000);
  t.minute = static_cast<std::uint8_t>(hms % 10000 / 100);
  t.second = static_cast<std::uint8_t>(hms % 100);
  return t;
}

temporal datetime2_from_row(const std::uint8_t* p, int fsp) noexcept {
  const std::int64_t intpart = static_cast<std::int64_t>(load_be(p, 5)) - (std::int64_t{1} << 39);
  std::int64_t frac = 0;
  switch (fsp) {
    case 1: case 2: frac = sign_extend(p[5], 8) * 10000; break;
    case 3: case 4: frac = sign_extend(load_be(p + 5, 2), 16) * 100; break;
    case 5: case 6: frac = sign_extend(load_be(p + 5, 3), 24); break;
    default: break;
  }
  // In unsigned arithmetic: a corrupt value at the bottom of the range (intpart -2^39)
  // with a negative fraction is below INT64_MIN; it wraps as the servers' own code does
  // instead of overflowing.
  const std::uint64_t packed = (static_cast<std::uint64_t>(intpart) << frac_bits) + static_cast<std::uint64_t>(frac);
  return temporal_from_packed_datetime(static_cast<std::int64_t>(packed));
}

temporal time2_from_row(const std::uint8_t* p, int fsp) noexcept {
  std::int64_t packed = 0;
  switch (fsp) {
    case 1: case 2: case 3: case 4: {
      std::int64_t intpart = static_cast<std::int64_t>(load_be(p, 3)) - (std::int64_t{1} << 23);
      const bool two = fsp > 2;
      std::int64_t frac = static_cast<std::int64_t>(two ? load_be(p + 3, 2) : p[3]);
      if (intpart < 0 && frac != 0) {
        // Negative times store the fraction complemented to the next second.
        ++intpart;
        frac -= two ? 0x10000 : 0x100;
      }
      packed = intpart * (std::int64_t{1} << frac_bits) + frac * (two ? 100 : 10000);
      break;
    }
    case 5: case 6:
      packed = static_cast<std::int64_t>(load_be(p, 6)) - (std::int64_t{1} << 47);
      break;
    default:
      packed = (static_cast<std::int64_t>(load_be(p, 3)) - (std::int64_t{1} << 23)) * (std::int64_t{1} << frac_bits);
      break;
  }
  return temporal_from_packed_time(packed);
}

temporal timestamp2_from_row(const std::uint8_t* p, int fsp) noexcept {
  temporal t = utc_from_epoch(static_cast<std::int64_t>(load_be(p, 4)));
  std::int64_t usec = 0;
  switch (fsp) {
    case 1: case 2: usec = std::int64_t{p[4]} * 10000; break;
    case 3: case 4: usec = sign_extend(load_be(p + 4, 2), 16) * 100; break;
    case 5: case 6: usec = sign_extend(load_be(p + 4, 3), 24); break;
    default: break;
  }
  t.microsecond = static_cast<std::uint32_t>(usec);
  return t;
}

}  // namespace binlogkit::detail
