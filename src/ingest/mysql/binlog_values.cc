// GCC 12 reports a false -Wmaybe-uninitialized when a std::variant engine::Value is moved into
// a Result (GCC bugs 105562, 107919).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "ingest/mysql/binlog_values.h"

#include <cstdio>
#include <cstring>

#include "ingest/mysql/binlog_events.h"

namespace strata::ingest::mysql {

Result<std::string_view> Reader::Bytes(uint64_t n) {
  if (n > data_.size() - pos_) {
    return Status::Corruption(what_ + ": truncated (needs " + std::to_string(n) +
                              " bytes at offset " + std::to_string(pos_) + ")");
  }
  std::string_view out = data_.substr(pos_, n);
  pos_ += n;
  return out;
}

Result<uint8_t> Reader::U8() {
  STRATA_ASSIGN_OR_RETURN(std::string_view b, Bytes(1));
  return static_cast<uint8_t>(b[0]);
}

Result<uint64_t> Reader::UIntLE(int bytes) {
  STRATA_ASSIGN_OR_RETURN(std::string_view b, Bytes(static_cast<uint64_t>(bytes)));
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(b[i]);
  return v;
}

Result<uint64_t> Reader::UIntBE(int bytes) {
  STRATA_ASSIGN_OR_RETURN(std::string_view b, Bytes(static_cast<uint64_t>(bytes)));
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | static_cast<uint8_t>(b[i]);
  return v;
}

Result<uint64_t> Reader::PackedInt() {
  STRATA_ASSIGN_OR_RETURN(uint8_t first, U8());
  if (first < 251) return first;
  if (first == 252) return UIntLE(2);
  if (first == 253) return UIntLE(3);
  if (first == 254) return UIntLE(8);
  return Status::Corruption(what_ + ": bad length-encoded integer");
}

int StringColumnLength(uint16_t meta) {
  int byte0 = meta >> 8;
  int byte1 = meta & 0xff;
  if ((byte0 & 0x30) != 0x30) return byte1 | (((byte0 & 0x30) ^ 0x30) << 4);
  return byte1;
}

std::string FormatTime(bool negative, int64_t hours, int minutes, int seconds, int64_t micros,
                       int fsp) {
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%s%02lld:%02d:%02d", negative ? "-" : "",
                        static_cast<long long>(hours), minutes, seconds);
  std::string out(buf, static_cast<size_t>(n));
  if (fsp > 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, "%06lld", static_cast<long long>(micros));
    out += ".";
    out.append(frac, static_cast<size_t>(fsp));
  }
  return out;
}

Result<std::string> ReadDecimal(Reader& r, int precision, int scale) {
  static constexpr int kDigitBytes[] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
  int intg = precision - scale;
  int intg0 = intg / 9, intg0x = intg % 9;
  int frac0 = scale / 9, frac0x = scale % 9;
  size_t size =
      static_cast<size_t>(intg0 * 4 + kDigitBytes[intg0x] + frac0 * 4 + kDigitBytes[frac0x]);
  STRATA_ASSIGN_OR_RETURN(std::string_view raw, r.Bytes(size));
  std::string bytes(raw);
  bool negative = (static_cast<uint8_t>(bytes[0]) & 0x80) == 0;
  bytes[0] = static_cast<char>(bytes[0] ^ 0x80);
  if (negative) {
    for (char& b : bytes) b = static_cast<char>(~b);
  }
  Reader d(bytes, r.what());
  auto group = [&](int digits) -> Result<std::string> {
    STRATA_ASSIGN_OR_RETURN(uint64_t v, d.UIntBE(digits == 9 ? 4 : kDigitBytes[digits]));
    std::string s = std::to_string(v);
    if (s.size() < static_cast<size_t>(digits))
      s.insert(0, static_cast<size_t>(digits) - s.size(), '0');
    return s;
  };
  std::string integer;
  if (intg0x > 0) {
    STRATA_ASSIGN_OR_RETURN(integer, group(intg0x));
  }
  for (int i = 0; i < intg0; ++i) {
    STRATA_ASSIGN_OR_RETURN(std::string g, group(9));
    integer += g;
  }
  std::string fraction;
  for (int i = 0; i < frac0; ++i) {
    STRATA_ASSIGN_OR_RETURN(std::string g, group(9));
    fraction += g;
  }
  if (frac0x > 0) {
    STRATA_ASSIGN_OR_RETURN(std::string g, group(frac0x));
    fraction += g;
  }
  size_t nz = integer.find_first_not_of('0');
  integer = nz == std::string::npos ? "0" : integer.substr(nz);
  bool zero = integer == "0" && fraction.find_first_not_of('0') == std::string::npos;
  std::string out = (negative && !zero) ? "-" + integer : integer;
  if (scale > 0) out += "." + fraction;
  return out;
}

namespace {

int64_t SignExtend(uint64_t v, int bytes) {
  int shift = 64 - bytes * 8;
  return static_cast<int64_t>(v << shift) >> shift;
}

// Fractional seconds of DATETIME2/TIMESTAMP2/TIME2 (big-endian, (fsp+1)/2 bytes) as micros.
Result<int64_t> ReadFraction(Reader& r, int fsp) {
  if (fsp <= 0) return 0;
  int bytes = (fsp + 1) / 2;
  STRATA_ASSIGN_OR_RETURN(uint64_t v, r.UIntBE(bytes));
  static constexpr int64_t kScale[] = {0, 10000, 100, 1};
  return static_cast<int64_t>(v) * kScale[bytes];
}

std::string FormatDateTime(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute,
                           int64_t second, int64_t micros) {
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld %02lld:%02lld:%02lld.%06lld",
                        static_cast<long long>(year), static_cast<long long>(month),
                        static_cast<long long>(day), static_cast<long long>(hour),
                        static_cast<long long>(minute), static_cast<long long>(second),
                        static_cast<long long>(micros));
  return std::string(buf, static_cast<size_t>(n));
}

Result<engine::Value> ReadTime2(Reader& r, int fsp) {
  constexpr int64_t kIntOffset = 0x800000;
  int64_t packed = 0;
  if (fsp >= 5) {
    STRATA_ASSIGN_OR_RETURN(uint64_t v, r.UIntBE(6));
    packed = static_cast<int64_t>(v) - 0x800000000000LL;
  } else {
    STRATA_ASSIGN_OR_RETURN(uint64_t v, r.UIntBE(3));
    int64_t intpart = static_cast<int64_t>(v) - kIntOffset;
    int64_t frac = 0;
    if (fsp >= 1) {
      int bytes = fsp >= 3 ? 2 : 1;
      STRATA_ASSIGN_OR_RETURN(uint64_t f, r.UIntBE(bytes));
      frac = static_cast<int64_t>(f);
      if (intpart < 0 && frac != 0) {
        intpart++;
        frac -= bytes == 2 ? 0x10000 : 0x100;
      }
      frac *= bytes == 2 ? 100 : 10000;
    }
    packed = intpart * (int64_t{1} << 24) + frac;
  }
  bool negative = packed < 0;
  if (negative) packed = -packed;
  int64_t hms = packed >> 24;
  int64_t micros = packed % (int64_t{1} << 24);
  return engine::Value(FormatTime(negative, (hms >> 12) % (1 << 10),
                                  static_cast<int>((hms >> 6) % 64), static_cast<int>(hms % 64),
                                  micros, fsp));
}

Result<engine::Value> ReadValue(Reader& r, const Column& c, uint8_t type, uint16_t meta) {
  switch (c.kind) {
    case ColumnKind::kTinyInt:
    case ColumnKind::kSmallInt:
    case ColumnKind::kMediumInt:
    case ColumnKind::kInt:
    case ColumnKind::kBigInt: {
      static constexpr int kBytes[] = {1, 2, 3, 4, 8};
      int bytes = kBytes[static_cast<int>(c.kind)];
      STRATA_ASSIGN_OR_RETURN(uint64_t v, r.UIntLE(bytes));
      if (!c.is_unsigned) return engine::Value(SignExtend(v, bytes));
      if (v > static_cast<uint64_t>(INT64_MAX)) return engine::Value(std::to_string(v));
      return engine::Value(static_cast<int64_t>(v));
    }
    case ColumnKind::kDecimal: {
      STRATA_ASSIGN_OR_RETURN(std::string text, ReadDecimal(r, c.precision, c.scale));
      return engine::Value(std::move(text));
    }
    case ColumnKind::kFloat: {
      STRATA_ASSIGN_OR_RETURN(uint64_t v, r.UIntLE(4));
      uint32_t bits = static_cast<uint32_t>(v);
      float f;
      std::memcpy(&f, &bits, sizeof f);
      return engine::Value(static_cast<double>(f));
    }
    case ColumnKind::kDouble: {
      STRATA_ASSIGN_OR_RETURN(uint64_t v, r.UIntLE(8));
      double d;
      std::memcpy(&d, &v, sizeof d);
      return engine::Value(d);
    }
    case ColumnKind::kDate: {
      STRATA_ASSIGN_OR_RETURN(uint64_t v, r.UIntLE(3));
      int64_t day = static_cast<int64_t>(v & 31), month = static_cast<int64_t>((v >> 5) & 15);
      int64_t year = static_cast<int64_t>(v >> 9);
      if (year == 0 || month == 0 || day == 0) return engine::Value();
      return engine::Value(FormatDateTime(year, month, day, 0, 0, 0, 0).substr(0, 10));
    }
    case ColumnKind::kDateTime: {
      STRATA_ASSIGN_OR_RETURN(uint64_t v, r.UIntBE(5));
      int64_t packed = static_cast<int64_t>(v) - 0x8000000000LL;
      STRATA_ASSIGN_OR_RETURN(int64_t micros, ReadFraction(r, c.fsp));
      int64_t ymd = packed >> 17, hms = packed % (1 << 17);
      int64_t ym = ymd >> 5;
      int64_t year = ym / 13, month = ym % 13, day = ymd % 32;
      if (year == 0 || month == 0 || day == 0) return engine::Value();
      return engine::Value(
          FormatDateTime(year, month, day, hms >> 12, (hms >> 6) % 64, hms % 64, micros));
    }
    case ColumnKind::kTimestamp: {
      STRATA_ASSIGN_OR_RETURN(uint64_t seconds, r.UIntBE(4));
      STRATA_ASSIGN_OR_RETURN(int64_t micros, ReadFraction(r, c.fsp));
      if (seconds == 0 && micros == 0) return engine::Value();  // the zero timestamp
      int64_t days = static_cast<int64_t>(seconds) / 86400;
      int64_t rest = static_cast<int64_t>(seconds) % 86400;
      // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
      int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
      int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
      int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
      int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
      int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
      return engine::Value(FormatDateTime(y, m, d, rest / 3600, rest / 60 % 60, rest % 60, micros) +
                           "+00");
    }
    case ColumnKind::kTime:
      return ReadTime2(r, c.fsp);
    case ColumnKind::kYear: {
      STRATA_ASSIGN_OR_RETURN(uint8_t v, r.U8());
      return engine::Value(static_cast<int64_t>(v == 0 ? 0 : 1900 + v));
    }
    case ColumnKind::kBit: {
      int bytes = (c.bits + 7) / 8;
      STRATA_ASSIGN_OR_RETURN(uint64_t v, r.UIntBE(bytes));
      if (v > static_cast<uint64_t>(INT64_MAX)) return engine::Value(std::to_string(v));
      return engine::Value(static_cast<int64_t>(v));
    }
    case ColumnKind::kEnum: {
      STRATA_ASSIGN_OR_RETURN(uint64_t index, r.UIntLE(meta & 0xff));
      if (index == 0) return engine::Value(std::string());  // MySQL's invalid-value ''
      if (index > c.elements.size()) {
        return Status::Corruption(r.what() + ": ENUM index " + std::to_string(index) +
                                  " out of range in column " + c.name);
      }
      return engine::Value(c.elements[index - 1]);
    }
    case ColumnKind::kSet: {
      STRATA_ASSIGN_OR_RETURN(uint64_t bits, r.UIntLE(meta & 0xff));
      std::string out;
      for (size_t i = 0; i < c.elements.size() && i < 64; ++i) {
        if ((bits >> i) & 1) out += (out.empty() ? "" : ",") + c.elements[i];
      }
      return engine::Value(std::move(out));
    }
    case ColumnKind::kText:
    case ColumnKind::kBinary: {
      uint64_t length = 0;
      if (type == 254) {  // CHAR/BINARY: 1 or 2 length bytes by declared length
        STRATA_ASSIGN_OR_RETURN(length, r.UIntLE(StringColumnLength(meta) > 255 ? 2 : 1));
      } else if (type == 15 || type == 253) {  // VARCHAR
        STRATA_ASSIGN_OR_RETURN(length, r.UIntLE(meta > 255 ? 2 : 1));
      } else {  // BLOB/TEXT: meta = bytes of the length
        STRATA_ASSIGN_OR_RETURN(length, r.UIntLE(meta));
      }
      STRATA_ASSIGN_OR_RETURN(std::string_view bytes, r.Bytes(length));
      std::string value(bytes);
      if (c.binary_length > 0 && value.size() < static_cast<size_t>(c.binary_length)) {
        value.resize(static_cast<size_t>(c.binary_length), '\0');  // BINARY(n) is zero-padded
      }
      return engine::Value(std::move(value));
    }
  }
  return Status::Internal("unhandled column kind");
}

}  // namespace

Status ReadRowImage(Reader& r, const TableMap& map, std::vector<engine::Value>* row) {
  size_t n = map.columns.size();
  STRATA_ASSIGN_OR_RETURN(std::string_view nulls, r.Bytes((n + 7) / 8));
  row->clear();
  row->reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if ((static_cast<uint8_t>(nulls[i / 8]) >> (i % 8)) & 1) {
      row->emplace_back();
      continue;
    }
    STRATA_ASSIGN_OR_RETURN(engine::Value v,
                            ReadValue(r, map.columns[i], map.types[i], map.meta[i]));
    row->push_back(std::move(v));
  }
  return Status::OK();
}

}  // namespace strata::ingest::mysql
