// Internal to the binlog decoder: a bounds-checked byte reader and the decoding of one row
// image's values (binlog_events.cc). Values come out as engine values in the form column.h's
// FromText gives for the same value read by a SELECT, so snapshot and change rows agree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"

namespace strata::ingest::mysql {

struct TableMap;

class Reader {
 public:
  Reader(std::string_view data, std::string what) : data_(data), what_(std::move(what)) {}
  bool AtEnd() const { return pos_ >= data_.size(); }
  const std::string& what() const { return what_; }
  Result<uint8_t> U8();
  Result<uint64_t> UIntLE(int bytes);
  Result<uint64_t> UIntBE(int bytes);
  Result<uint64_t> PackedInt();  // length-encoded integer
  Result<std::string_view> Bytes(uint64_t n);
  Status Skip(uint64_t n) { return Bytes(n).status(); }
  std::string_view Rest() {
    std::string_view rest = data_.substr(pos_);
    pos_ = data_.size();
    return rest;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  std::string what_;
};

// The declared byte length of a STRING (CHAR/BINARY) column from its table-map metadata.
int StringColumnLength(uint16_t meta);

// Reads one row image (null bitmap + values of every column) into `row`.
Status ReadRowImage(Reader& r, const TableMap& map, std::vector<engine::Value>* row);

// Exact text of a packed binary DECIMAL(precision, scale) ("-12.50"); advances `r`.
Result<std::string> ReadDecimal(Reader& r, int precision, int scale);

// "[-]HH:MM:SS[.f]" with `fsp` fraction digits, as MySQL prints a TIME.
std::string FormatTime(bool negative, int64_t hours, int minutes, int seconds, int64_t micros,
                       int fsp);

}  // namespace strata::ingest::mysql
