// Where a MySQL/MariaDB source is in its binlog, and how that is written into bronze.
//
// A BinlogPosition is a transaction boundary: every transaction that ends at or before it has
// been read. Its Delta `txn` version is (file sequence << 32) | offset, which rises with the
// position (binlog files are numbered, offsets stay below 4 GiB), so a table's SetTransaction
// version says exactly which transactions it holds. `_position` values in bronze are strings
// that sort in binlog order: "<file>:<event offset, 12 digits>:<row, 6 digits>" for changes
// and "<file>:<offset>" for snapshot rows read at that position (which sort before the changes
// that follow it).
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"

namespace strata::ingest::mysql {

struct BinlogPosition {
  std::string file;  // "binlog.000003"
  uint64_t offset = 4;
  std::string gtid;  // the GTID of the last transaction before the position ("0-1-57"), or ""

  bool empty() const { return file.empty(); }
  // InvalidArgument if the file name has no numeric suffix or the offset is past 4 GiB.
  Result<int64_t> Version() const;
  std::string ToString() const;  // "binlog.000003:1234 (gtid 0-1-57)"
  nlohmann::json ToJson() const;
  static Result<BinlogPosition> FromJson(const nlohmann::json& json);
  // The position `version` names, given the binlog's base name ("binlog").
  static BinlogPosition FromVersion(int64_t version, std::string_view base_name);
};

// True if a is before b (file sequence, then offset).
bool Before(const BinlogPosition& a, const BinlogPosition& b);

std::string ChangePosition(std::string_view file, uint64_t event_offset, size_t row);
std::string SnapshotPosition(const BinlogPosition& at);

}  // namespace strata::ingest::mysql
