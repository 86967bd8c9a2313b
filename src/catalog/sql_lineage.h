// Column-level lineage of a SELECT, derived from DuckDB's own parse tree
// (`SELECT json_serialize_sql(?)`), never from patterns over the text.
//
// Handles CTEs (each visible to the ones after it and to the body), subqueries in FROM and in
// expressions (correlated ones see the outer query), joins (ON and USING), aggregates, window
// functions, CASE, set operations, and `SELECT *` / `t.*` / `* EXCLUDE (...)`, which are expanded
// against the input tables' schemas. Unqualified columns are resolved against the FROM
// bindings in order, then the enclosing queries, then the select list's aliases.
//
// Edges follow OpenLineage's column lineage model: DIRECT (the value flows into the output;
// subtype IDENTITY when copied unchanged, TRANSFORMATION when computed, AGGREGATION when
// aggregated) and INDIRECT (the column influences the output without flowing into it: JOIN,
// FILTER, GROUP_BY, SORT, WINDOW, CONDITIONAL). Per-column INDIRECT edges come from window
// PARTITION/ORDER BY and CASE conditions of that column; joins, filters and groupings affect
// every row and are reported once for the whole output (`dataset`).
//
// Output column names are the ones DuckDB gives (DESCRIBE of the query) when the query binds on
// the connection, so "sum(x)" columns get DuckDB's own names.
// Thread safety: like the connection (one thread at a time).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "common/result.h"
#include "engine/engine.h"

namespace strata::catalog {

// Column names of a table as written in the SQL ("bronze.pagamentos"); NotFound if unknown.
using SchemaLookup = std::function<Result<std::vector<std::string>>(const std::string& table)>;

// A lookup that asks DuckDB: DESCRIBE <table> on `connection` (which must outlive it).
SchemaLookup DescribeLookup(engine::Connection& connection);

struct SqlColumnEdge {
  std::string output_column{};  // empty for dataset-level edges
  std::string input_table{};    // as written, qualified if it was ("bronze.itens_pedido")
  std::string input_column{};
  std::string transformation{};  // DIRECT or INDIRECT
  std::string subtype{};
};

struct SqlLineage {
  std::vector<std::string> inputs{};          // base tables read, in order of appearance
  std::vector<std::string> output_columns{};  // in order
  std::vector<SqlColumnEdge> columns{};       // per output column
  std::vector<SqlColumnEdge> dataset{};       // INDIRECT edges that affect every output row
};

// InvalidArgument when the SQL does not parse or is not a single SELECT (with DuckDB's reason);
// NotFound when an input table is unknown to `lookup`.
Result<SqlLineage> DeriveSqlLineage(engine::Connection& connection, std::string_view sql,
                                    const SchemaLookup& lookup);

// The catalog record for a model run: table edges from every input to `output_table`, and a
// column edge for every per-column edge (DIRECT and INDIRECT).
LineageRecord ToLineageRecord(const SqlLineage& lineage, const std::string& job,
                              const std::string& output_table, const std::string& run_id,
                              std::optional<int64_t> output_version);

}  // namespace strata::catalog
