// After a run: the project's catalog learns what the run did, and what the project declares. Every
// node of the run record is reported through catalog::SyncRun (catalog/sync.h): the table's
// declared metadata (description, owner, tags, glossary, column docs and declared PII classes from
// sources/*.yaml and the model YAML), its committed Delta schema and version, the run's statistics,
// lineage (landing file -> bronze for sources, derived from the model SQL for models, column by
// column), the table's rows and bytes (from the Delta log) and the classifier's proposals from a
// sample of the committed rows. The project's pipelines (pipelines/*.yaml|yml|json) are synced too,
// with their states, descriptions, owners and tags, so they are catalog assets after any run, not
// only after the orchestrator started one. Failed nodes are recorded as FAIL runs and skipped ones
// as ABORT, leaving the table's metadata as it was. With `openlineage:` in strata.yaml, each node's
// START and COMPLETE/FAIL OpenLineage events (schema, column lineage, SQL and ownership facets) go
// to that directory or http(s) endpoint.
//
// Contract: the catalog is opened at the project's `catalog:` (a SQLite path relative to the
// project, or a postgresql:// URL). A sync failure never changes the run's outcome (the data is
// committed by then): it is returned as a Status for the caller to report, and nodes synced
// before the failure stay recorded. Thread safety: call from one thread; it opens its own
// engine connection on `database`.
#pragma once

#include <string>

#include "catalog/catalog.h"
#include "common/status.h"
#include "engine/engine.h"
#include "lake/lake.h"
#include "pipeline/project.h"
#include "pipeline/run_record.h"

namespace strata::pipeline {

// Where the project's catalog lives: an absolute SQLite path or a postgresql:// URL.
std::string CatalogLocation(const Project& project);

// Records every node of `record` in the project's catalog (see the header comment).
[[nodiscard]] Status SyncRunToCatalog(const Project& project, const lake::Lake& lake,
                                      engine::Database& database, const RunRecord& record);

// Upserts every pipeline file of the project (pipeline:NAME and its states pipeline:NAME/STATE)
// with its description (default: the ASL Comment), owner and tags. Files that do not parse are
// skipped (the orchestrator reports them); catalog errors are returned.
[[nodiscard]] Status SyncPipelinesToCatalog(const Project& project, catalog::Catalog& catalog);

// Gives each layer the project declares tables in (sources and models) its owner when all of
// its tables have the same one (bronze: time-ingestao); a layer shared by teams gets none.
[[nodiscard]] Status SyncLayersToCatalog(const Project& project, catalog::Catalog& catalog);

}  // namespace strata::pipeline
