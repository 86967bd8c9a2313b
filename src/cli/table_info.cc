#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "cli/lake_support.h"
#include "cli/table_subcommands.h"
#include "lake/lake.h"
#include "lake/session.h"
#include "lake/table.h"
#include "storage/delta/schema.h"
#include "storage/delta/snapshot.h"

namespace strata::cli {
namespace {

using nlohmann::ordered_json;

Result<lake::TableLocation> ResolveTable(const std::optional<lake::Lake>& lake,
                                         const std::string& table) {
  if (lake) return lake->Resolve(table);
  return lake::OpenTablePath(table);
}

std::string Location(const lake::TableLocation& location) {
  return location.root.empty() ? location.store->Uri()
                               : location.store->Uri() + "/" + location.root;
}

ordered_json OptionalList(const std::optional<std::vector<std::string>>& list) {
  return list ? ordered_json(*list) : ordered_json(nullptr);
}

// The commit time of `version` as time travel sees it, if its commit file still exists.
std::optional<int64_t> CommitMillis(const lake::TableLocation& location, int64_t version) {
  Result<std::vector<delta::CommitEntry>> entries =
      delta::ReadHistory(*location.store, location.root, version, 1);
  if (!entries.ok() || entries->empty() || entries->front().version != version) {
    return std::nullopt;
  }
  return entries->front().timestamp_millis;
}

std::string TypeName(const delta::DataType& type) {
  return type.is_primitive() ? type.DeltaName() : DataTypeToJson(type).dump();
}

ordered_json InfoJson(const lake::TableLocation& location, const delta::Snapshot& snapshot,
                      std::optional<int64_t> millis) {
  const lake::TableStatistics summary = lake::StatisticsOf(snapshot);
  ordered_json schema = ordered_json::array();
  for (const delta::StructField& field : snapshot.schema.fields) {
    schema.push_back({{"name", field.name},
                      {"type", TypeName(field.type)},
                      {"sql_type", delta::ToSqlType(field.type)},
                      {"nullable", field.nullable}});
  }
  ordered_json info = {
      {"table", location.display},
      {"location", Location(location)},
      {"version", snapshot.version},
      {"timestamp", millis ? ordered_json(FormatMillisUtc(*millis)) : ordered_json(nullptr)},
      {"timestamp_millis", millis ? ordered_json(*millis) : ordered_json(nullptr)},
      {"id", snapshot.metadata.id},
      {"name", snapshot.metadata.name ? ordered_json(*snapshot.metadata.name) : nullptr},
      {"description",
       snapshot.metadata.description ? ordered_json(*snapshot.metadata.description) : nullptr},
      {"protocol",
       {{"min_reader_version", snapshot.protocol.min_reader_version},
        {"min_writer_version", snapshot.protocol.min_writer_version},
        {"reader_features", OptionalList(snapshot.protocol.reader_features)},
        {"writer_features", OptionalList(snapshot.protocol.writer_features)}}},
      {"schema", schema},
      {"partition_columns", snapshot.partition_columns()},
      {"file_count", summary.file_count},
      {"total_bytes", summary.total_bytes},
      {"row_count", summary.row_count ? ordered_json(*summary.row_count) : nullptr},
      {"properties", snapshot.metadata.configuration},
      {"last_checkpoint",
       snapshot.checkpoint_version ? ordered_json(*snapshot.checkpoint_version) : nullptr},
  };
  return info;
}

std::string Joined(const std::vector<std::string>& items, const std::string& none) {
  if (items.empty()) return none;
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

void WriteInfoText(const ordered_json& info, const delta::Snapshot& snapshot, std::ostream& out) {
  auto line = [&out](const std::string& key, const std::string& value) {
    out << key << ":" << std::string(std::max<size_t>(1, 19 - key.size()), ' ') << value << "\n";
  };
  line("table", info["table"].get<std::string>());
  line("location", info["location"].get<std::string>());
  std::string version = std::to_string(snapshot.version);
  if (info["timestamp"].is_string()) version += " (" + info["timestamp"].get<std::string>() + ")";
  line("version", version);
  line("protocol", "reader " + std::to_string(snapshot.protocol.min_reader_version) + ", writer " +
                       std::to_string(snapshot.protocol.min_writer_version));
  if (snapshot.protocol.reader_features) {
    line("reader features", Joined(*snapshot.protocol.reader_features, "(none)"));
  }
  if (snapshot.protocol.writer_features) {
    line("writer features", Joined(*snapshot.protocol.writer_features, "(none)"));
  }
  line("partition columns", Joined(snapshot.partition_columns(), "(none)"));
  line("files", std::to_string(info["file_count"].get<int64_t>()));
  line("size", std::to_string(info["total_bytes"].get<int64_t>()) + " bytes");
  line("rows", info["row_count"].is_number()
                   ? std::to_string(info["row_count"].get<int64_t>())
                   : std::string("unknown (some files have no numRecords stats)"));
  line("last checkpoint", info["last_checkpoint"].is_number()
                              ? "version " + std::to_string(info["last_checkpoint"].get<int64_t>())
                              : std::string("none"));
  std::vector<std::string> properties;
  for (const auto& [key, value] : snapshot.metadata.configuration) {
    properties.push_back(key + "=" + value);
  }
  line("properties", Joined(properties, "(none)"));
  out << "schema:\n";
  size_t name_width = 4, type_width = 4;
  for (const auto& column : info["schema"]) {
    name_width = std::max(name_width, column["name"].get<std::string>().size());
    type_width = std::max(type_width, column["type"].get<std::string>().size());
  }
  for (const auto& column : info["schema"]) {
    const std::string name = column["name"].get<std::string>();
    const std::string type = column["type"].get<std::string>();
    out << "  " << name << std::string(name_width - name.size() + 2, ' ') << type
        << std::string(type_width - type.size() + 2, ' ')
        << (column["nullable"].get<bool>() ? "nullable" : "not null") << "\n";
  }
}

}  // namespace

Status RunTableInfo(const std::string& lake_flag, const std::string& table,
                    std::optional<int64_t> version, bool json, std::ostream& out) {
  STRATA_ASSIGN_OR_RETURN(std::optional<lake::Lake> lake, LakeForTable(lake_flag, table));
  STRATA_ASSIGN_OR_RETURN(lake::TableLocation location, ResolveTable(lake, table));
  STRATA_ASSIGN_OR_RETURN(LakeEngine engine, OpenLakeEngine(std::move(lake)));
  STRATA_ASSIGN_OR_RETURN(delta::Snapshot snapshot,
                          engine.session->LoadSnapshot(location, {version, std::nullopt}));
  const ordered_json info = InfoJson(location, snapshot, CommitMillis(location, snapshot.version));
  if (json) {
    out << info.dump(2) << "\n";
  } else {
    WriteInfoText(info, snapshot, out);
  }
  return Status::OK();
}

Status RunTableHistory(const std::string& lake_flag, const std::string& table, int64_t limit,
                       bool json, std::ostream& out) {
  STRATA_ASSIGN_OR_RETURN(std::optional<lake::Lake> lake, LakeForTable(lake_flag, table));
  STRATA_ASSIGN_OR_RETURN(lake::TableLocation location, ResolveTable(lake, table));
  Result<std::vector<delta::CommitEntry>> entries =
      delta::ReadHistory(*location.store, location.root, std::nullopt, static_cast<size_t>(limit));
  if (!entries.ok()) return entries.status().WithContext("table " + location.display);

  ordered_json history = ordered_json::array();
  for (const delta::CommitEntry& entry : *entries) {
    const nlohmann::json& info = entry.info.json;
    auto field = [&info](const char* key) {
      auto it = info.find(key);
      return it != info.end() && !it->is_null() ? ordered_json(*it) : ordered_json::object();
    };
    history.push_back(
        {{"version", entry.version},
         {"timestamp", FormatMillisUtc(entry.timestamp_millis)},
         {"timestamp_millis", entry.timestamp_millis},
         {"operation", entry.info.operation ? ordered_json(*entry.info.operation) : nullptr},
         {"parameters", field("operationParameters")},
         {"metrics", field("operationMetrics")}});
  }
  if (json) {
    out << history.dump(2) << "\n";
    return Status::OK();
  }
  std::vector<std::vector<std::optional<std::string>>> rows;
  for (const auto& entry : history) {
    rows.push_back({std::to_string(entry["version"].get<int64_t>()),
                    entry["timestamp"].get<std::string>(),
                    entry["operation"].is_string()
                        ? std::optional<std::string>(entry["operation"].get<std::string>())
                        : std::nullopt,
                    entry["parameters"].dump(), entry["metrics"].dump()});
  }
  STRATA_ASSIGN_OR_RETURN(LakeEngine engine, OpenLakeEngine(std::nullopt));
  OutputOptions output;
  output.max_rows = static_cast<int64_t>(rows.size()) + 1;
  output.max_column_width = 80;
  return WriteComputed(*engine.connection,
                       {{"version", "BIGINT"},
                        {"timestamp", "VARCHAR"},
                        {"operation", "VARCHAR"},
                        {"parameters", "VARCHAR"},
                        {"metrics", "VARCHAR"}},
                       rows, output, out);
}

}  // namespace strata::cli
