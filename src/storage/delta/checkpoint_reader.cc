#include "storage/delta/checkpoint_reader.h"

#include <memory>
#include <optional>

namespace strata::delta {
namespace {

const char* const kActionColumns[] = {
    "protocol",       "metaData",           "txn",     "add",       "remove",
    "domainMetadata", "checkpointMetadata", "sidecar", "commitInfo"};

}  // namespace

std::string SqlStringList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += engine::QuoteLiteral(items[i]);
  }
  return out + "]";
}

Result<std::vector<Action>> ReadParquetActions(engine::Connection& connection,
                                               const std::vector<std::string>& local_paths,
                                               std::string_view describe) {
  const std::string source = "read_parquet(" + SqlStringList(local_paths) + ", union_by_name=true)";
  auto probe = connection.Query("SELECT * FROM " + source + " LIMIT 0");
  if (!probe.ok()) {
    return Status::Corruption("checkpoint " + std::string(describe) +
                              " is not readable Parquet: " + probe.status().message());
  }
  std::vector<std::string> present;
  for (const engine::Column& c : (*probe)->columns()) {
    for (const char* name : kActionColumns) {
      if (c.name == name) present.push_back(name);
    }
  }
  probe = Status::Cancelled("probe released");  // free the probe before the next query
  std::vector<Action> actions;
  if (present.empty()) return actions;
  std::string select = "SELECT ";
  std::string where;
  for (size_t i = 0; i < present.size(); ++i) {
    const std::string col = engine::QuoteIdentifier(present[i]);
    if (i) {
      select += ", ";
      where += " OR ";
    }
    select += "CAST(to_json(" + col + ") AS VARCHAR)";
    where += col + " IS NOT NULL";
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::QueryResult> result,
                          connection.Query(select + " FROM " + source + " WHERE " + where));
  int64_t row_no = 0;
  while (true) {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::DataChunk> chunk, result->Next());
    if (!chunk) break;
    for (int64_t row = 0; row < chunk->size(); ++row, ++row_no) {
      std::string where_row = std::string(describe) + ": row " + std::to_string(row_no + 1);
      for (size_t col = 0; col < present.size(); ++col) {
        if (chunk->IsNull(static_cast<int>(col), row)) continue;
        STRATA_ASSIGN_OR_RETURN(std::string text, chunk->GetString(static_cast<int>(col), row));
        nlohmann::json body = nlohmann::json::parse(text, nullptr, false);
        if (body.is_discarded() || body.is_null()) continue;
        nlohmann::json wrapped = nlohmann::json::object();
        wrapped[present[col]] = std::move(body);
        STRATA_ASSIGN_OR_RETURN(std::optional<Action> action, ParseAction(wrapped, where_row));
        if (action) actions.push_back(std::move(*action));
      }
    }
  }
  return actions;
}

}  // namespace strata::delta
