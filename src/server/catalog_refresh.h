// Keeps the catalog true for a project served by `strata serve`: every table the lake holds is
// upserted with the project's metadata (description, owner, tags, glossary, column docs and
// declared PII classes) and its actual Delta schema, version, rows and size; model tables get
// their table- and column-level lineage from their SQL (DuckDB's parser, catalog/sql_lineage.h);
// bronze tables get landing-file -> table lineage from the files their runs loaded; and every
// node of every run record becomes a catalog run (so failed runs show up too). Columns are
// classified from a sample of values unless `classify` is off.
//
// Tables the catalog already holds at their current Delta version (with a row count) are left
// as they are: the pipeline runner records each run itself, so after such runs this only adds
// what it could not know (tables written before the runner synced, records of failed runs).
// Idempotent: syncing twice records the same state (lineage of a job is replaced, landing edges
// accumulate without duplicates, runs are keyed by "<run_id>/<table>").
// Thread safety: like the catalog (the caller serialises access).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "common/result.h"
#include "lake/lake.h"
#include "pipeline/project.h"

namespace strata::server {

struct RefreshReport {
  int tables = 0;
  int runs = 0;
  std::vector<std::string> warnings;  // "table: why it could not be synced"
};

// `run_records`: the project's run records (run_record.h JSON), any order.
Result<RefreshReport> RefreshCatalog(const pipeline::Project& project, const lake::Lake& lake,
                                     catalog::Catalog& catalog,
                                     const std::vector<nlohmann::json>& run_records,
                                     bool classify = true);

}  // namespace strata::server
