#include "cli/lake_support.h"

#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>

#include "common/civil_date.h"
#include "pipeline/project.h"

namespace strata::cli {

namespace {
constexpr const char* kDefaultLake = "./lake";
}  // namespace

Result<std::optional<std::string>> ResolveLakeRoot(const std::string& lake_flag) {
  if (!lake_flag.empty()) return std::optional<std::string>(lake_flag);
  // Inside a project (strata.yaml here or in a parent directory): the project's storage.
  if (std::optional<std::string> project = pipeline::FindProjectRoot(".")) {
    STRATA_ASSIGN_OR_RETURN(pipeline::Project config, pipeline::LoadProjectConfig(*project));
    return std::optional<std::string>(config.StoragePath());
  }
  std::error_code error;
  if (std::filesystem::is_directory(kDefaultLake, error)) {
    return std::optional<std::string>(kDefaultLake);
  }
  return std::optional<std::string>();
}

Result<lake::Lake> OpenLake(const std::string& lake_flag) {
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> root, ResolveLakeRoot(lake_flag));
  if (!root) {
    return Status::NotFound(std::string("no lake: ") + kDefaultLake +
                            " does not exist here (give --lake DIR, or a table path)");
  }
  Result<lake::Lake> lake = lake::Lake::Open(*root);
  if (!lake.ok() && lake.status().IsNotFound()) {
    return Status::NotFound(lake.status().message() + " (check --lake)");
  }
  return lake;
}

Result<std::optional<lake::Lake>> LakeForTable(const std::string& lake_flag,
                                               const std::string& table) {
  if (lake::IsPathReference(table) && lake_flag.empty()) return std::optional<lake::Lake>();
  STRATA_ASSIGN_OR_RETURN(lake::Lake lake, OpenLake(lake_flag));
  return std::optional<lake::Lake>(std::move(lake));
}

Result<LakeEngine> OpenLakeEngine(std::optional<lake::Lake> lake,
                                  const engine::DatabaseOptions& options) {
  LakeEngine out;
  STRATA_ASSIGN_OR_RETURN(out.database, engine::Database::Open(options));
  STRATA_ASSIGN_OR_RETURN(out.connection, out.database->Connect());
  out.session = std::make_unique<lake::LakeSession>(std::move(lake), *out.connection);
  return out;
}

Status WriteComputed(engine::Connection& connection, const std::vector<ComputedColumn>& columns,
                     const std::vector<std::vector<std::optional<std::string>>>& rows,
                     const OutputOptions& options, std::ostream& out) {
  // The rows go through DuckDB as literals so every format renders exactly as query results
  // do (alignment, types row, CSV quoting, JSON numbers).
  std::string select;
  for (size_t c = 0; c < columns.size(); ++c) {
    select += (c ? ", " : "") + std::string("CAST(NULL AS ") + columns[c].sql_type + ") AS " +
              engine::QuoteIdentifier(columns[c].name);
  }
  std::string sql = "SELECT " + select + " WHERE false";
  for (const auto& row : rows) {
    std::string values;
    for (size_t c = 0; c < columns.size(); ++c) {
      const std::optional<std::string>& cell = c < row.size() ? row[c] : std::nullopt;
      values += (c ? ", " : "") + std::string("CAST(") +
                (cell ? engine::QuoteLiteral(*cell) : std::string("NULL")) + " AS " +
                columns[c].sql_type + ")";
    }
    sql += " UNION ALL SELECT " + values;
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::QueryResult> result, connection.Query(sql));
  return WriteResult(*result, options, out).status();
}

std::string FormatMillisUtc(int64_t millis) {
  int64_t days = millis >= 0 ? millis / 86400000 : -((-millis + 86399999) / 86400000);
  int64_t rest = millis - days * 86400000;
  CivilDate date = CivilFromDays(days);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02d %02d:%02d:%02d", date.year, date.month,
                date.day, static_cast<int>(rest / 3600000), static_cast<int>(rest / 60000 % 60),
                static_cast<int>(rest / 1000 % 60));
  std::string text = buffer;
  if (rest % 1000 != 0) {
    std::snprintf(buffer, sizeof(buffer), ".%03d", static_cast<int>(rest % 1000));
    text += buffer;
  }
  return text + " UTC";
}

}  // namespace strata::cli
