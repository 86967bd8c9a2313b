// As a run goes on, the project's catalog learns what it did, and what the project declares. Every
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
// before the failure stay recorded. It opens its own engine connection on `database`.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "catalog/catalog.h"
#include "common/result.h"
#include "common/status.h"
#include "engine/engine.h"
#include "lake/lake.h"
#include "pipeline/project.h"
#include "pipeline/run_record.h"

namespace strata::pipeline {

// Where the project's catalog lives: an absolute SQLite path or a postgresql:// URL, with its
// ${env:NAME} / ${secret:NAME} references resolved (so it may hold a password: pass it through
// RedactUrl before it reaches any message). Errors name the reference, never a value.
Result<std::string> CatalogLocation(const Project& project);

// Records the nodes of a run in the project's catalog (see the header comment) while the run goes
// on: each node as soon as it finishes, on a thread of its own, so the catalog's work (sampling
// for the classifier, lineage, SQL writes) overlaps the nodes still running instead of following
// them all. A node's catalog run ends when the node finished.
//
// Thread safety: Add may be called from any thread; the constructor, Finish and the destructor
// from one. The sync creates its views holding `bind_mutex`, the mutex the run's workers hold
// around their binds (DuckDB views are shared by every connection). Views the workers' sessions
// created must outlive Finish: a view dropped under the sync's cached binding would make its next
// query fail.
class RunCatalogSync {
 public:
  RunCatalogSync(const Project& project, const lake::Lake& lake, engine::Database& database,
                 std::mutex& bind_mutex, const RunRecord& record);
  ~RunCatalogSync();  // waits for the nodes added so far
  RunCatalogSync(const RunCatalogSync&) = delete;
  RunCatalogSync& operator=(const RunCatalogSync&) = delete;

  // Queues a finished node (copied); its catalog run ends at `finished_at_micros`.
  void Add(const NodeResult& node, int64_t finished_at_micros);
  // Records the nodes of `record` that were never added (skipped before they ran), waits for
  // the others and returns the first error of the whole sync (the rest was still recorded).
  [[nodiscard]] Status Finish(const RunRecord& record);

 private:
  struct State;
  void Loop();
  std::unique_ptr<State> state_;
};

// Upserts every pipeline file of the project (pipeline:NAME and its states pipeline:NAME/STATE)
// with its description (default: the ASL Comment), owner, tags and file (the asset's location).
// Files that do not parse are skipped (the orchestrator reports them, the catalog keeps what it
// knew); pipelines recorded from a file of this project's pipelines/ that is gone are removed
// (hidden, history kept). Catalog errors are returned.
[[nodiscard]] Status SyncPipelinesToCatalog(const Project& project, catalog::Catalog& catalog);

// Gives each layer the project declares tables in (sources and models) its owner when all of
// its tables have the same one (bronze: time-ingestao); a layer shared by teams gets none.
[[nodiscard]] Status SyncLayersToCatalog(const Project& project, catalog::Catalog& catalog);

}  // namespace strata::pipeline
