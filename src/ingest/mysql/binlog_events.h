// Decoding of the binlog events strata follows, from their raw bytes (the event body after the
// 19-byte common header, checksum removed): TABLE_MAP (with binlog_row_metadata=FULL, so
// column names, signedness, charsets and ENUM/SET members come with the event), WRITE/UPDATE/
// DELETE_ROWS v1 and v2, and MariaDB's GTID event. Formats: MySQL's and MariaDB's
// libbinlogevents / log_event documentation (facts of the wire format; no code copied).
//
// Contract: malformed or truncated input is Corruption naming the event; a column type the
// bronze shape cannot hold exactly is Unsupported naming `db.table` and the column (column.h).
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "ingest/mysql/column.h"

namespace strata::ingest::mysql {

// Binlog event type codes used here.
enum BinlogEventType : uint8_t {
  kQueryEvent = 2,
  kRotateEvent = 4,
  kFormatDescriptionEvent = 15,
  kXidEvent = 16,
  kTableMapEvent = 19,
  kWriteRowsV1 = 23,
  kUpdateRowsV1 = 24,
  kDeleteRowsV1 = 25,
  kHeartbeatEvent = 27,
  kWriteRowsV2 = 30,
  kUpdateRowsV2 = 31,
  kDeleteRowsV2 = 32,
  kMariaGtidEvent = 162,
  kWriteRowsCompressedV1 = 166,
  kDeleteRowsCompressed = 171,
};

struct TableMap {
  uint64_t table_id = 0;
  std::string database;
  std::string table;
  std::vector<uint8_t> types;  // wire type per column
  std::vector<uint16_t> meta;  // type metadata per column
  std::vector<Column> columns;
  std::vector<std::string> primary_key;  // from SIMPLE_PRIMARY_KEY metadata, if sent
  // Set when a column cannot be decoded exactly: decoding its rows fails with it. (A table map
  // of a table nobody follows is never an error.)
  std::optional<Status> unsupported;
};

// `table_id_bytes`: 6 (post-header length 8) or 4 (post-header length 6).
Result<TableMap> ParseTableMap(std::string_view body, int table_id_bytes = 6);

enum class RowOp { kInsert, kUpdate, kDelete };

struct RowChange {
  RowOp op = RowOp::kInsert;
  std::vector<engine::Value> before;  // update/delete: the row before (all columns)
  std::vector<engine::Value> after;   // insert/update: the row after
};

struct RowsEvent {
  uint64_t table_id = 0;
  std::vector<RowChange> rows;
};

// The table id of a rows event, to find its map before decoding.
Result<uint64_t> RowsEventTableId(std::string_view body, int table_id_bytes = 6);

// Decodes a rows event of `type` (kWriteRowsV1..kDeleteRowsV2) against its table map. Every
// column must be in the row image (binlog_row_image=FULL), else FailedPrecondition.
Result<RowsEvent> ParseRowsEvent(uint8_t type, std::string_view body, const TableMap& map,
                                 int table_id_bytes = 6);

struct GtidEvent {
  uint64_t sequence = 0;
  uint32_t domain = 0;
  uint8_t flags = 0;
  bool standalone() const { return (flags & 0x01) != 0; }  // no COMMIT/XID follows
};
Result<GtidEvent> ParseGtidEvent(std::string_view body);

struct QueryEvent {
  std::string database;
  std::string statement;
};
Result<QueryEvent> ParseQueryEvent(std::string_view body);

struct RotateEvent {
  uint64_t position = 0;
  std::string file;
};
Result<RotateEvent> ParseRotateEvent(std::string_view body);

}  // namespace strata::ingest::mysql
