// The JSON shapes of catalog objects that more than one front end prints (the CLI's --json and
// the HTTP API), so both always agree. Pure functions, except AssetDetailJson, which reads the
// catalog (thread safety: like the Catalog it is given).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "catalog/catalog.h"
#include "common/result.h"

namespace strata::catalog {

// {"name", "kind", "depth"}
nlohmann::json LineageNodeJson(const LineageNode& node);
// {"from", "to", "level", "kind", "transformation", "subtype", "job", "run_id", "to_version"}
nlohmann::json LineageEdgeJson(const LineageEdgeInfo& edge);

// An asset's own fields: {"name", "kind", "layer", "format", "location", "description",
// "owner", "tags", "glossary", "version", "row_count", "size_bytes", "data_updated_at",
// "state", "updated_at"}, plus "type" for a column. Unknown numbers are null.
nlohmann::json AssetJson(const AssetInfo& asset);
// {"class", "status", "confidence", "method", "evidence" (parsed; null if not JSON), "origin"}
nlohmann::json ClassificationJson(const ClassificationRecord& record);
// {"name", "type", "position", "description", "tags", "pii" (the classes not rejected, as
// {"class", "status"}), "classifications" (all, rejected included)}
nlohmann::json ColumnJson(const ColumnInfo& column);
// {"version", "changes", "recorded_at"}
nlohmann::json SchemaVersionJson(const SchemaVersion& version);
// {"run_id", "status", "started_at", "ended_at", "rows_written", "error"}
nlohmann::json RunJson(const RunInfo& run);

// The whole asset, what `strata catalog show NAME --json` prints and the API's table detail
// starts from: AssetJson plus, for a column, its "classifications"; for anything else its
// "columns" (ColumnJson), schema "versions", the last `run_limit` "runs"; and for every kind
// the names one hop "upstream" and "downstream". NotFound if `name` is not in the catalog.
Result<nlohmann::json> AssetDetailJson(Catalog& catalog, const std::string& name,
                                       int run_limit = 10);

}  // namespace strata::catalog
