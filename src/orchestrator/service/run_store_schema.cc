// The run store's own schema (MigrateRunStore in run_store.h), versioned in
// `orch_schema_migrations` beside the catalog's `schema_migrations` in the same database.
//
// Before the run store owned its schema, catalog migrations 3 and 5 created these tables. A
// database migrated then has the tables and no run store ledger: the run store adopts them
// (records its versions 1 and 2 as applied without running them), so such a catalog keeps
// working and upgrades from there.
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/store.h"
#include "orchestrator/service/run_store.h"

namespace strata::orchestrator::service {
namespace {

using catalog::Migration;
using catalog::Store;

// Times are UTC microseconds; JSON documents are text. Several workers may share one
// PostgreSQL catalog: a run is claimed by moving it QUEUED -> RUNNING in one UPDATE (the next
// one with FOR UPDATE SKIP LOCKED), the claimer refreshes heartbeat_at, and cancellation is a
// flag any process can set. orch_triggers makes cron firings and file arrivals fire once
// across schedulers (insert of a unique key). Statuses are RunStatusName (service.h).
const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "orchestrator runs, states, task attempts, events and trigger firings",
       R"sql(
CREATE TABLE orch_runs (
  run_id TEXT PRIMARY KEY,
  pipeline TEXT NOT NULL,
  status TEXT NOT NULL,
  trigger_kind TEXT NOT NULL,
  trigger_info TEXT,
  resumed_from TEXT,
  start_at TEXT,
  partition_key TEXT,
  definition TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  cause TEXT,
  failed_state TEXT,
  failed_state_input TEXT,
  worker TEXT,
  heartbeat_at BIGINT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  cancel_reason TEXT,
  queued_at BIGINT NOT NULL,
  started_at BIGINT,
  ended_at BIGINT
);
CREATE INDEX orch_runs_pipeline ON orch_runs (pipeline, queued_at);
CREATE INDEX orch_runs_status ON orch_runs (status, queued_at);
CREATE TABLE orch_states (
  run_id TEXT NOT NULL REFERENCES orch_runs(run_id) ON DELETE CASCADE,
  scope TEXT NOT NULL,
  state TEXT NOT NULL,
  entry INTEGER NOT NULL,
  state_type TEXT,
  status TEXT NOT NULL,
  input TEXT,
  output TEXT,
  error TEXT,
  cause TEXT,
  entered_at BIGINT,
  exited_at BIGINT,
  PRIMARY KEY (run_id, scope, state, entry)
);
CREATE TABLE orch_attempts (
  run_id TEXT NOT NULL REFERENCES orch_runs(run_id) ON DELETE CASCADE,
  scope TEXT NOT NULL,
  state TEXT NOT NULL,
  entry INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  resource TEXT,
  status TEXT NOT NULL,
  input TEXT,
  output TEXT,
  error TEXT,
  cause TEXT,
  started_at BIGINT,
  ended_at BIGINT,
  log_path TEXT,
  PRIMARY KEY (run_id, scope, state, entry, attempt)
);
CREATE TABLE orch_events (
  run_id TEXT NOT NULL REFERENCES orch_runs(run_id) ON DELETE CASCADE,
  seq BIGINT NOT NULL,
  event_type TEXT NOT NULL,
  scope TEXT NOT NULL,
  state TEXT NOT NULL,
  time_micros BIGINT NOT NULL,
  detail TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE TABLE orch_triggers (
  trigger_key TEXT PRIMARY KEY,
  run_id TEXT,
  fired_at BIGINT NOT NULL
);
)sql",
       nullptr, nullptr},
      // How far a trigger has looked, e.g. the last Delta version of a table a pipeline's table
      // trigger has fired for, so versions committed while no scheduler ran still fire once.
      {2, "orchestrator trigger cursors",
       R"sql(
CREATE TABLE orch_cursors (
  cursor_key TEXT PRIMARY KEY,
  position BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
)sql",
       nullptr, nullptr},
  };
  return kMigrations;
}

constexpr catalog::MigrationLedger kLedger = {"orch_schema_migrations", "run store", 727357};

// Records versions 1 and 2 as applied when a catalog migration made their tables earlier.
Status AdoptCatalogTables(Store& store) {
  STRATA_RETURN_IF_ERROR(store.ExecuteScript(
      "CREATE TABLE IF NOT EXISTS orch_schema_migrations (version INTEGER PRIMARY KEY, "
      "name TEXT NOT NULL, applied_at TEXT NOT NULL)"));
  catalog::WriteTransaction transaction(store);
  STRATA_RETURN_IF_ERROR(transaction.Begin());
  if (store.dialect() == catalog::Dialect::kPostgres) {
    STRATA_RETURN_IF_ERROR(
        store.Execute("SELECT pg_advisory_xact_lock(" + std::to_string(kLedger.lock_key) + ")"));
  }
  STRATA_ASSIGN_OR_RETURN(catalog::SqlRows any,
                          store.Query("SELECT 1 FROM orch_schema_migrations LIMIT 1"));
  if (!any.empty()) return Status::OK();
  const std::pair<int, const char*> made_by_catalog[] = {{1, "orch_runs"}, {2, "orch_cursors"}};
  for (const auto& [version, table] : made_by_catalog) {
    STRATA_ASSIGN_OR_RETURN(bool exists, catalog::TableExists(store, table));
    if (!exists) continue;
    STRATA_RETURN_IF_ERROR(store.Execute(
        "INSERT INTO orch_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        {int64_t{version},
         std::string(Migrations()[version - 1].name) + " (adopted from the catalog's migrations)",
         catalog::NowIso8601()}));
  }
  return transaction.Commit();
}

}  // namespace

Status MigrateRunStore(Store& store) {
  STRATA_RETURN_IF_ERROR(AdoptCatalogTables(store));
  return catalog::ApplyMigrations(store, kLedger, Migrations(), Migrations().back().version);
}

}  // namespace strata::orchestrator::service
