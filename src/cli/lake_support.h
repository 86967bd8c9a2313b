// What the lake-aware commands (`strata table ...`, `strata sql`) share: finding the lake root,
// opening an engine with a LakeSession, and printing small computed tables in the same formats
// as query results.
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/output.h"
#include "common/result.h"
#include "engine/engine.h"
#include "lake/lake.h"
#include "lake/session.h"

namespace strata::cli {

// The lake directory for a command: `--lake DIR` when given (it must exist), else the storage
// of the project around the current directory (a strata.yaml here or above), else ./lake when
// that directory exists, else none. The single place the lake root is decided.
Result<std::optional<std::string>> ResolveLakeRoot(const std::string& lake_flag);

// The lake for commands that name tables: NotFound explaining how to point at one if there
// is none. Path arguments (see lake::IsPathReference) do not need it.
Result<lake::Lake> OpenLake(const std::string& lake_flag);

// The lake for a TABLE|PATH argument: a PATH needs none (nullopt unless --lake was given).
Result<std::optional<lake::Lake>> LakeForTable(const std::string& lake_flag,
                                               const std::string& table);

// An in-memory engine plus a session over the lake (if any). Members are declared in
// destruction order: the session drops its views before the connection closes.
struct LakeEngine {
  std::unique_ptr<engine::Database> database;
  std::unique_ptr<engine::Connection> connection;
  std::unique_ptr<lake::LakeSession> session;
};
Result<LakeEngine> OpenLakeEngine(std::optional<lake::Lake> lake,
                                  const engine::DatabaseOptions& options = {});

// A small table computed by a command (not by a query), printed like a query result. Cells
// are SQL text values or nullopt for NULL; each column is cast to its `sql_type` so the table
// format shows real types and the JSON format real numbers.
struct ComputedColumn {
  std::string name;
  std::string sql_type;  // "BIGINT", "VARCHAR", "JSON"...
};
Status WriteComputed(engine::Connection& connection, const std::vector<ComputedColumn>& columns,
                     const std::vector<std::vector<std::optional<std::string>>>& rows,
                     const OutputOptions& options, std::ostream& out);

// "2024-01-31 10:00:00.123 UTC" (milliseconds only when not zero).
std::string FormatMillisUtc(int64_t millis);

}  // namespace strata::cli
