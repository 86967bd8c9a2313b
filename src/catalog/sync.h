// The pipeline's front door to the catalog: one call after each run of a source (ingestion)
// or a model keeps the catalog true — metadata, schema history, run statistics, lineage,
// classifications — and emits the OpenLineage events.
//
//   catalog::RunSync sync;
//   sync.run = {run_id, "silver.fato_pedido_correlacionado", "importau", RunStatus::kSucceeded,
//   started,
//               ended, rows_written, "", {{"silver.fato_pedido_correlacionado", version, rows}}};
//   sync.table = declared;          // from models/silver/x.yaml: description, owner, tags,
//                                   // glossary, columns (description, tags, pii)
//   sync.schema = delta_columns;    // (name, SQL type) of the committed Delta schema
//   sync.sql = model_sql;           // as written; its inputs are bound on `connection`
//   sync.relation_sql = "silver.fato_pedido_correlacionado";  // readable on `connection`
//   STRATA_ASSIGN_OR_RETURN(auto report, catalog::SyncRun(*catalog, connection, sync, emitter));
//
// For ingestion: leave `sql` empty and list `landing_files` (lineage file -> bronze, column by
// column for the declared columns). For command tasks: `declared_inputs`.
// Thread safety: like the catalog and the connection.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/classifier.h"
#include "catalog/openlineage.h"
#include "engine/engine.h"

namespace strata::catalog {

struct RunSync {
  RunRecord run{};
  // Declared metadata of the output table (name required). Its `columns` carry descriptions,
  // tags and pii classes{}; types come from `schema` when given.
  TableMetadata table{};
  // The written table's actual schema in order (Delta); empty = use table.columns as they are.
  std::vector<std::pair<std::string, std::string>> schema{};
  std::string sql{};                           // model SQL; empty for ingestion and commands
  std::vector<std::string> landing_files{};    // ingestion: files loaded by this run
  std::vector<std::string> declared_inputs{};  // command tasks: inputs declared in the pipeline
  // How to read the output on the connection for sampling{}; empty = no classification.
  std::string relation_sql{};
  ClassifierOptions classifier{};
};

struct SyncReport {
  UpsertOutcome outcome{};
  LineageRecord lineage{};
  std::vector<std::string> classified{};  // "column: CLASS (0.95)"
  Status emit_status{};                   // OpenLineage delivery (never fails the sync)
};

// Records the run as RUNNING and emits its START event (emitter may be null).
Status StartRun(Catalog& catalog, const RunRecord& run, const std::string& sql,
                OpenLineageEmitter* emitter);

// Everything after a run (see the header comment). A failed run (kFailed) records the run
// and emits FAIL, leaving table metadata untouched. Errors are the catalog's and the lineage
// derivation's (InvalidArgument for SQL that is not a SELECT).
Result<SyncReport> SyncRun(Catalog& catalog, engine::Connection& connection, const RunSync& sync,
                           OpenLineageEmitter* emitter);

// Merges declared columns (descriptions, tags, pii) into an actual schema, in schema order;
// declared columns missing from the schema are dropped.
std::vector<ColumnMetadata> MergeColumns(
    const std::vector<std::pair<std::string, std::string>>& schema,
    const std::vector<ColumnMetadata>& declared);

}  // namespace strata::catalog
