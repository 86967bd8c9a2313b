// Internal to ingest/mysql: the consistent, chunked snapshot of one table (snapshot.cc) and the
// schema of a source table from information_schema.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"
#include "ingest/mysql/bronze.h"
#include "ingest/mysql/client.h"
#include "ingest/mysql/column.h"
#include "ingest/mysql/position.h"
#include "ingest/mysql/source.h"

namespace strata::ingest::mysql {

struct SourceTable {
  std::string name;
  std::vector<Column> columns;
  std::vector<size_t> key;  // indexes of the primary key columns, in key order
  int64_t estimated_rows = 0;
};

// The columns and primary key of `table` in the connection's database. NotFound if the table
// does not exist; FailedPrecondition if it has no primary key; Unsupported for a column type.
Result<SourceTable> DescribeTable(Client& client, const std::string& table);

// Where a table's snapshot is, from its bronze commits.
struct SnapshotState {
  bool started = false;
  bool done = false;
  // A snapshot taken again after the binlog position was lost (on_lost_position: resnapshot).
  // Its chunks continue the numbering of the table's snapshot txn after `first_chunk`, and its
  // last commit adds a delete ('d') for every key bronze holds that the new snapshot lacks.
  bool resnapshot = false;
  int64_t first_chunk = 0;
  int64_t chunks = 0;   // the last committed chunk's txn version
  int64_t rows = 0;     // rows of this snapshot so far
  int64_t deleted = 0;  // resnapshot: keys its last commit deleted (this run only)
  nlohmann::json after_key = nlohmann::json::array();  // hex of each key column's text
  BinlogPosition stream_from;                          // the first chunk's snapshot position
};
Result<SnapshotState> LoadSnapshotState(const lake::Lake& lake, const MysqlSourceSpec& spec,
                                        const std::string& table);

// Snapshots `table` (resuming after the last committed chunk of `state`) in its own consistent
// snapshot transaction on a new connection. Mode snapshot (!spec.cdc): the whole table replaces
// bronze in one commit. A resnapshot's last commit (done) holds the deletes of the keys whose
// latest bronze row is older than the snapshot and not a delete, at the position of the first
// chunk (such a key was gone at the source when its chunk was read; binlog changes after that
// position still follow). Updates `state`; `stop` may be null.
Status SnapshotTable(const MysqlSourceSpec& spec, BronzeWriter& writer, SnapshotState& state,
                     const std::string& table, const std::atomic<bool>* stop,
                     const ProgressFn& progress);

int64_t NowMicros();

}  // namespace strata::ingest::mysql
