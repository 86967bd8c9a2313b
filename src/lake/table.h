// Tables by name: the one front door for everything above the lake that asks about a table -- its
// latest version, its history, its statistics, the name of its quarantine table -- so that the
// server, the catalog sync and the orchestrator's table triggers never read a Delta log
// themselves (storage/delta stays below the lake).
//
//   STRATA_ASSIGN_OR_RETURN(Table table, Table::Open(lake, name));
//   STRATA_ASSIGN_OR_RETURN(std::optional<int64_t> head, table.LatestVersion());
//   STRATA_ASSIGN_OR_RETURN(TableStatistics stats, table.Statistics());
//
// Contract:
//  - Table::Open is NotFound for a table without a commit (naming close names, see
//    Lake::TableNotFound); Table::Watch never fails and never reads: a table that may be made
//    later (a trigger's table) answers LatestVersion with nullopt until then.
//  - Everything is read from the Delta log alone, never from data files. LatestVersion only
//    lists `_delta_log/`; History reads commit files; Statistics loads a snapshot.
//  - Row counts are the sum of each active file's `numRecords` minus its deletion vector; when a
//    file has no `numRecords` the count is unknown (nullopt), never a guess.
// Thread safety: a Table is immutable; its calls may run concurrently (the store is
// thread-safe).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "lake/lake.h"
#include "storage/delta/snapshot.h"

namespace strata::lake {

// `<layer>.<name>__quarantine`: where the rows of `table` go that a source cannot type or a
// model's quarantine test sets aside.
TableName QuarantineTableOf(const TableName& table);
// The same for a name as text ("bronze.pedidos" -> "bronze.pedidos__quarantine").
std::string QuarantineTableOf(std::string_view table);

// One commit of a table's history.
struct TableCommit {
  int64_t version = 0;
  int64_t timestamp_millis = 0;  // the commit time, as time travel uses it
  std::string operation;         // "WRITE", "MERGE", ...; "" if the commit does not say
  nlohmann::json parameters = nlohmann::json::object();  // operationParameters
  nlohmann::json metrics = nlohmann::json::object();     // operationMetrics
};

// Totals over one version's active files.
struct TableStatistics {
  int64_t version = -1;
  int64_t file_count = 0;
  int64_t total_bytes = 0;
  std::optional<int64_t> row_count;  // see the contract: nullopt when a file has no numRecords
  std::vector<std::string> partition_columns;
};

// The statistics of a snapshot already loaded (a LakeSession's BoundTable carries one).
TableStatistics StatisticsOf(const delta::Snapshot& snapshot);

class Table {
 public:
  // The lake table `name`; NotFound if it has no commit.
  static Result<Table> Open(const Lake& lake, const TableName& name);
  // A lake table, whether or not it exists yet.
  static Table Watch(const Lake& lake, const TableName& name);

  const TableLocation& location() const { return location_; }
  const std::string& display() const { return location_.display; }

  // The latest committed version, or nullopt if the table has no commit (not made yet, or its
  // log was removed).
  Result<std::optional<int64_t>> LatestVersion() const;
  // Commits newest first: at most `limit` (0 = all), none after `up_to_version` if set.
  // Versions whose commit file is gone (cleaned up after a checkpoint) are left out.
  Result<std::vector<TableCommit>> History(std::optional<int64_t> up_to_version = std::nullopt,
                                           size_t limit = 0) const;
  // Statistics of the latest version.
  Result<TableStatistics> Statistics() const;

 private:
  explicit Table(TableLocation location) : location_(std::move(location)) {}

  TableLocation location_;
};

}  // namespace strata::lake
