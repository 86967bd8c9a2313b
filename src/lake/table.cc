#include "lake/table.h"

#include <algorithm>
#include <utility>

namespace strata::lake {
namespace {

constexpr std::string_view kQuarantineSuffix = "__quarantine";

nlohmann::json FieldOrEmpty(const nlohmann::json& info, const char* key) {
  auto it = info.find(key);
  return it != info.end() && !it->is_null() ? *it : nlohmann::json::object();
}

}  // namespace

TableName QuarantineTableOf(const TableName& table) {
  return {table.layer, table.name + std::string(kQuarantineSuffix)};
}

std::string QuarantineTableOf(std::string_view table) {
  return std::string(table) + std::string(kQuarantineSuffix);
}

TableStatistics StatisticsOf(const delta::Snapshot& snapshot) {
  TableStatistics stats;
  stats.version = snapshot.version;
  stats.partition_columns = snapshot.partition_columns();
  int64_t rows = 0;
  bool complete = true;
  for (const delta::AddFile& file : snapshot.files) {
    ++stats.file_count;
    stats.total_bytes += file.size;
    if (!complete) continue;
    nlohmann::json file_stats =
        file.stats ? nlohmann::json::parse(*file.stats, nullptr, false) : nlohmann::json();
    auto records = file_stats.is_object() ? file_stats.find("numRecords") : file_stats.end();
    if (!file_stats.is_object() || records == file_stats.end() || !records->is_number_integer()) {
      complete = false;
      continue;
    }
    rows += records->get<int64_t>();
    if (file.deletion_vector) rows -= file.deletion_vector->cardinality;
  }
  // A deletion vector larger than its file's numRecords is a broken log, not negative rows.
  if (complete) stats.row_count = std::max<int64_t>(rows, 0);
  return stats;
}

Result<Table> Table::Open(const Lake& lake, const TableName& name) {
  STRATA_ASSIGN_OR_RETURN(TableLocation location, lake.ResolveName(name));
  return Table(std::move(location));
}

Table Table::Watch(const Lake& lake, const TableName& name) { return Table(lake.Locate(name)); }

Result<std::optional<int64_t>> Table::LatestVersion() const {
  return delta::LatestVersion(*location_.store, location_.root);
}

Result<std::vector<TableCommit>> Table::History(std::optional<int64_t> up_to_version,
                                                size_t limit) const {
  STRATA_ASSIGN_OR_RETURN(
      std::vector<delta::CommitEntry> entries,
      delta::ReadHistory(*location_.store, location_.root, up_to_version, limit));
  std::vector<TableCommit> commits;
  commits.reserve(entries.size());
  for (const delta::CommitEntry& entry : entries) {
    TableCommit commit;
    commit.version = entry.version;
    commit.timestamp_millis = entry.timestamp_millis;
    commit.operation = entry.info.operation.value_or("");
    commit.parameters = FieldOrEmpty(entry.info.json, "operationParameters");
    commit.metrics = FieldOrEmpty(entry.info.json, "operationMetrics");
    commits.push_back(std::move(commit));
  }
  return commits;
}

Result<TableStatistics> Table::Statistics() const {
  Result<delta::Snapshot> snapshot = delta::LoadSnapshot(*location_.store, location_.root);
  if (!snapshot.ok()) return snapshot.status().WithContext(location_.display);
  return StatisticsOf(*snapshot);
}

}  // namespace strata::lake
