// Scalar values as DuckDB's CAST(x AS VARCHAR) prints them: numbers, decimals, dates, times,
// timestamps of every unit, intervals, UUIDs, BLOB/BIT/BIGNUM bytes. Nested values are in
// value_text.cc; both are verified against DuckDB itself by value_text_test.cc.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "engine/internal.h"

namespace strata::engine::internal {
namespace {

using Int128 = __int128;
using UInt128 = unsigned __int128;

void AppendPadded(int64_t value, int width, std::string* out) {
  std::string digits = std::to_string(value);
  if (static_cast<int>(digits.size()) < width) out->append(width - digits.size(), '0');
  out->append(digits);
}

// ".5" for 500000 with 6 digits; nothing for 0. DuckDB drops trailing zeros.
void AppendFraction(int64_t fraction, int digits, std::string* out) {
  if (fraction == 0) return;
  std::string text = std::to_string(fraction);
  text.insert(0, digits - text.size(), '0');
  while (!text.empty() && text.back() == '0') text.pop_back();
  out->push_back('.');
  out->append(text);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

void AppendIntervalPart(int64_t value, const char* unit, std::string* out) {
  if (!out->empty() && out->back() != ' ') out->push_back(' ');
  out->append(std::to_string(value));
  out->push_back(' ');
  out->append(unit);
  if (value != 1 && value != -1) out->push_back('s');
}

// Lays out shortest round-trip digits as DuckDB's formatter does: plain notation with at least
// one fractional digit for decimal exponents in [-4, 16), otherwise d.ddde+XX.
std::string LayoutFloat(const char* text, size_t size) {
  std::string_view sci(text, size);
  std::string out;
  if (!sci.empty() && sci[0] == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+'), sci.data() + sci.size(), exponent);
  int n = static_cast<int>(digits.size());
  if (exponent < -4 || exponent >= 16) {
    out.push_back(digits[0]);
    if (n > 1) out.append(".").append(digits.substr(1));
    out.push_back('e');
    out.push_back(exponent < 0 ? '-' : '+');
    int magnitude = exponent < 0 ? -exponent : exponent;
    if (magnitude < 10) out.push_back('0');
    out.append(std::to_string(magnitude));
  } else if (exponent >= n - 1) {
    out.append(digits).append(exponent - (n - 1), '0').append(".0");
  } else if (exponent >= 0) {
    out.append(digits.substr(0, exponent + 1)).append(".").append(digits.substr(exponent + 1));
  } else {
    out.append("0.").append(-exponent - 1, '0').append(digits);
  }
  return out;
}

}  // namespace

void AppendUnsigned128(UInt128 value, std::string* out) {
  char buffer[40];
  char* end = buffer + sizeof(buffer);
  char* p = end;
  do {
    *--p = static_cast<char>('0' + static_cast<int>(value % 10));
    value /= 10;
  } while (value != 0);
  out->append(p, end);
}

void AppendSigned128(Int128 value, std::string* out) {
  if (value < 0) {
    out->push_back('-');
    AppendUnsigned128(UInt128(0) - static_cast<UInt128>(value), out);
  } else {
    AppendUnsigned128(static_cast<UInt128>(value), out);
  }
}

Int128 HugeToInt128(duckdb_hugeint h) {
  return static_cast<Int128>((static_cast<UInt128>(static_cast<uint64_t>(h.upper)) << 64) |
                             h.lower);
}

void AppendDate(int32_t days, std::string* out) {
  duckdb_date date{days};
  if (!duckdb_is_finite_date(date)) {
    out->append(days > 0 ? "infinity" : "-infinity");
    return;
  }
  duckdb_date_struct parts = duckdb_from_date(date);
  // Year 0 is 1 BC: DuckDB prints the positive year with a "(BC)" suffix.
  bool bc = parts.year <= 0;
  AppendPadded(bc ? 1 - int64_t{parts.year} : parts.year, 4, out);
  out->push_back('-');
  AppendPadded(parts.month, 2, out);
  out->push_back('-');
  AppendPadded(parts.day, 2, out);
  if (bc) out->append(" (BC)");
}

// Time of day given in units of 10^-digits seconds.
void AppendTimeOfDay(int64_t value, int digits, std::string* out) {
  int64_t per_second = 1;
  for (int i = 0; i < digits; ++i) per_second *= 10;
  int64_t seconds = value / per_second;
  AppendPadded(seconds / 3600, 2, out);
  out->push_back(':');
  AppendPadded(seconds / 60 % 60, 2, out);
  out->push_back(':');
  AppendPadded(seconds % 60, 2, out);
  AppendFraction(value % per_second, digits, out);
}

// Timestamps of every unit: `value` counts 10^-digits seconds since the epoch.
void AppendTimestamp(int64_t value, int digits, std::string* out) {
  if (value == INT64_MAX || value == -INT64_MAX) {
    out->append(value > 0 ? "infinity" : "-infinity");
    return;
  }
  int64_t per_second = 1;
  for (int i = 0; i < digits; ++i) per_second *= 10;
  int64_t per_day = per_second * 86400;
  int64_t days = FloorDiv(value, per_day);
  AppendDate(static_cast<int32_t>(days), out);
  out->push_back(' ');
  AppendTimeOfDay(value - days * per_day, digits, out);
}

// "+05:30", "-08", "+00": minutes and seconds only when present.
void AppendOffset(int32_t offset_seconds, std::string* out) {
  out->push_back(offset_seconds < 0 ? '-' : '+');
  int32_t magnitude = offset_seconds < 0 ? -offset_seconds : offset_seconds;
  AppendPadded(magnitude / 3600, 2, out);
  if (magnitude % 3600 != 0) {
    out->push_back(':');
    AppendPadded(magnitude / 60 % 60, 2, out);
    if (magnitude % 60 != 0) {
      out->push_back(':');
      AppendPadded(magnitude % 60, 2, out);
    }
  }
}

void AppendInterval(duckdb_interval interval, std::string* out) {
  std::string text;
  int32_t years = interval.months / 12;
  int32_t months = interval.months % 12;
  if (years != 0) AppendIntervalPart(years, "year", &text);
  if (months != 0) AppendIntervalPart(months, "month", &text);
  if (interval.days != 0) AppendIntervalPart(interval.days, "day", &text);
  if (interval.micros != 0 || text.empty()) {
    if (!text.empty()) text.push_back(' ');
    uint64_t micros = static_cast<uint64_t>(interval.micros);
    if (interval.micros < 0) {
      text.push_back('-');
      micros = 0 - micros;
    }
    uint64_t seconds = micros / 1000000;
    AppendPadded(static_cast<int64_t>(seconds / 3600), 2, &text);
    text.push_back(':');
    AppendPadded(static_cast<int64_t>(seconds / 60 % 60), 2, &text);
    text.push_back(':');
    AppendPadded(static_cast<int64_t>(seconds % 60), 2, &text);
    AppendFraction(static_cast<int64_t>(micros % 1000000), 6, &text);
  }
  out->append(text);
}

void AppendDecimal(Int128 value, int scale, std::string* out) {
  if (scale == 0) {
    AppendSigned128(value, out);
    return;
  }
  UInt128 magnitude = value < 0 ? UInt128(0) - static_cast<UInt128>(value) : UInt128(value);
  UInt128 divisor = 1;
  for (int i = 0; i < scale; ++i) divisor *= 10;
  if (value < 0) out->push_back('-');
  AppendUnsigned128(magnitude / divisor, out);
  out->push_back('.');
  std::string fraction;
  AppendUnsigned128(magnitude % divisor, &fraction);
  out->append(scale - fraction.size(), '0');
  out->append(fraction);
}

void AppendUuid(duckdb_hugeint h, std::string* out) {
  // DuckDB stores UUIDs with the top bit flipped so that they sort as signed 128-bit integers.
  uint64_t upper = static_cast<uint64_t>(h.upper) ^ (uint64_t{1} << 63);
  char hex[33];
  std::snprintf(hex, sizeof(hex), "%016llx%016llx", static_cast<unsigned long long>(upper),
                static_cast<unsigned long long>(h.lower));
  std::string_view digits(hex, 32);
  out->append(digits.substr(0, 8)).append("-").append(digits.substr(8, 4)).append("-");
  out->append(digits.substr(12, 4)).append("-").append(digits.substr(16, 4)).append("-");
  out->append(digits.substr(20, 12));
}

void AppendBlob(std::string_view bytes, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : bytes) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte >= 32 && byte <= 126 && byte != '\\' && byte != '\'' && byte != '"') {
      out->push_back(c);
    } else {
      out->append("\\x");
      out->push_back(kHex[byte >> 4]);
      out->push_back(kHex[byte & 15]);
    }
  }
}

// BIT: the first byte counts the padding bits at the top of the second byte.
void AppendBits(std::string_view bytes, std::string* out) {
  if (bytes.empty()) return;
  int padding = static_cast<unsigned char>(bytes[0]);
  for (size_t i = 1; i < bytes.size(); ++i) {
    unsigned char byte = static_cast<unsigned char>(bytes[i]);
    for (int bit = 7; bit >= 0; --bit) {
      if (i == 1 && 7 - bit < padding) continue;
      out->push_back((byte >> bit) & 1 ? '1' : '0');
    }
  }
}

// BIGNUM: a 3-byte header whose top bit is set for non-negative numbers, then the magnitude in
// big-endian bytes; negative numbers have every byte (header included) inverted.
void AppendBignum(std::string_view bytes, std::string* out) {
  if (bytes.size() < 4) return;
  bool negative = (static_cast<unsigned char>(bytes[0]) & 0x80) == 0;
  std::vector<unsigned char> magnitude;
  for (size_t i = 3; i < bytes.size(); ++i) {
    unsigned char byte = static_cast<unsigned char>(bytes[i]);
    magnitude.push_back(negative ? static_cast<unsigned char>(~byte) : byte);
  }
  // Repeated division by 10^9 of the big-endian byte string.
  std::vector<uint32_t> chunks;
  while (true) {
    bool all_zero = true;
    uint64_t remainder = 0;
    for (unsigned char& byte : magnitude) {
      uint64_t current = (remainder << 8) | byte;
      byte = static_cast<unsigned char>(current / 1000000000);
      remainder = current % 1000000000;
      if (byte != 0) all_zero = false;
    }
    chunks.push_back(static_cast<uint32_t>(remainder));
    if (all_zero) break;
  }
  bool zero = chunks.size() == 1 && chunks[0] == 0;
  if (negative && !zero) out->push_back('-');
  out->append(std::to_string(chunks.back()));
  for (size_t i = chunks.size() - 1; i-- > 0;) AppendPadded(chunks[i], 9, out);
}

std::string FormatDouble(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  auto result =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  return LayoutFloat(buffer, static_cast<size_t>(result.ptr - buffer));
}

std::string FormatFloat(float value) {
  // DuckDB's FLOAT text is not always the shortest round trip (for some values it prints the
  // digits of the value widened to DOUBLE: 684012032.0 where the shortest is 684012000.0), and
  // which values depends on its formatter's internals. So FLOAT is the one type we let DuckDB
  // print itself; FLOAT columns are rare and this costs one small allocation per cell. (Its
  // Value::ToString spells non-finite values as SQL literals, 'nan'::FLOAT, so not those.)
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  ValueHandle boxed(duckdb_create_float(value));
  return TakeDuckString(duckdb_value_to_string(boxed.get()));
}

}  // namespace strata::engine::internal
