// Writing change rows into a CDC bronze table: the source columns plus
//   _op VARCHAR ('r' snapshot read, 'c' insert, 'u' update, 'd' delete), _position VARCHAR
//   (sortable, position.h), _source_ts TIMESTAMPTZ (commit time at the source; snapshot rows:
//   the snapshot's start), _tx VARCHAR (the source transaction: GTID), _ingested_at TIMESTAMPTZ.
//
// Contract: Commit writes the rows as ONE Delta commit (an append, or with `overwrite` the whole
// table's new contents) carrying `txn` (exactly once: a commit
// whose appId is already at or past txn.version commits nothing) and `user_metadata` (the full
// source position, JSON) in its commitInfo. The table is created on the first commit (an
// empty version 0, then the rows). Columns new at the source are added and widened types
// (INT -> BIGINT, FLOAT -> DOUBLE, DECIMAL(p,s) -> DECIMAL(p+k,s)) widen the bronze column
// (Delta schema evolution and type widening); a change Delta cannot store without loss (e.g.
// INT -> VARCHAR) is InvalidArgument naming the table, the column and both types, and commits
// nothing. A column gone at the source is written as NULL from then on.
// Thread safety: one BronzeWriter per table and thread; it uses `conn` (temp table
// __strata_cdc_stage_N).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "ingest/mysql/column.h"
#include "lake/lake.h"
#include "storage/delta/delta_table.h"

namespace strata::ingest::mysql {

struct BronzeRow {
  char op = 'r';
  std::vector<engine::Value> values;  // one per source column
  std::string position;
  int64_t source_micros = 0;
  std::string tx;
};

class BronzeWriter {
 public:
  BronzeWriter(const lake::Lake& lake, engine::Connection& conn, lake::TableName table);

  const lake::TableName& table() const { return table_; }
  // The table's snapshot, or nullopt before its first commit.
  Result<std::optional<delta::Snapshot>> Load();

  Result<delta::CommitResult> Commit(const std::vector<Column>& columns,
                                     const std::vector<BronzeRow>& rows,
                                     const delta::SetTransaction& txn,
                                     const std::string& user_metadata, int64_t ingested_micros,
                                     bool overwrite = false);
  // Appends, as ONE commit carrying `txn` and `user_metadata`, a delete ('d' at `position`, the
  // row's last values) for every key (the source's primary key columns) whose latest row by
  // _position is before `position` and not a delete: the keys a snapshot taken at `position`
  // no longer holds. Returns how many; FailedPrecondition if the table does not exist.
  Result<int64_t> CommitDeletesBefore(const std::vector<std::string>& key,
                                      const std::string& position, const delta::SetTransaction& txn,
                                      const std::string& user_metadata, int64_t now_micros);

 private:
  std::shared_ptr<storage::ObjectStore> store_;
  engine::Connection& conn_;
  lake::TableName table_;
  delta::DeltaTable delta_;
  std::string stage_;
};

// The newest commitInfo.userMetadata of the table parsed as JSON whose "source" member is
// `source`, looking back at most `limit` commits; nullopt if none.
Result<std::optional<nlohmann::json>> LatestSourceMetadata(const lake::Lake& lake,
                                                           const lake::TableName& table,
                                                           const std::string& source,
                                                           size_t limit = 50);

}  // namespace strata::ingest::mysql
