// Versioned schema migrations for the catalog (Migrate in store.h). The logical schema is the
// same in both dialects; only id columns and the full-text index are spelled differently.
// A migration, once released, never changes: new needs get a new migration at the end.
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/store.h"

namespace strata::catalog {
namespace {

struct Migration {
  int version;
  const char* name;
  const char* sql;     // portable; {ID} becomes the dialect's auto-increment primary key
  const char* sqlite;  // dialect-only statements, run after `sql`
  const char* postgres;
};

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "assets, labels, schema history, classifications, lineage, runs",
       R"sql(
CREATE TABLE assets (
  id {ID},
  kind TEXT NOT NULL,
  name TEXT NOT NULL UNIQUE,
  parent_id BIGINT REFERENCES assets(id) ON DELETE CASCADE,
  display_name TEXT NOT NULL,
  layer TEXT,
  format TEXT,
  location TEXT,
  data_type TEXT,
  position INTEGER,
  description TEXT,
  description_source TEXT,
  owner TEXT,
  owner_source TEXT,
  version BIGINT,
  row_count BIGINT,
  size_bytes BIGINT,
  data_updated_at TEXT,
  state TEXT,
  removed INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX assets_parent ON assets (parent_id);
CREATE INDEX assets_kind ON assets (kind);
CREATE TABLE asset_labels (
  asset_id BIGINT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  label TEXT NOT NULL,
  source TEXT NOT NULL,
  PRIMARY KEY (asset_id, kind, label)
);
CREATE TABLE schema_history (
  table_id BIGINT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  version BIGINT NOT NULL,
  schema_json TEXT NOT NULL,
  changes TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (table_id, version)
);
CREATE TABLE classifications (
  column_id BIGINT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  class TEXT NOT NULL,
  status TEXT NOT NULL,
  confidence DOUBLE PRECISION NOT NULL,
  method TEXT NOT NULL,
  evidence TEXT NOT NULL,
  origin_id BIGINT REFERENCES assets(id) ON DELETE CASCADE,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (column_id, class)
);
CREATE TABLE lineage_edges (
  from_id BIGINT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  to_id BIGINT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  level TEXT NOT NULL,
  kind TEXT NOT NULL,
  transformation TEXT NOT NULL,
  subtype TEXT NOT NULL,
  job TEXT NOT NULL,
  run_id TEXT,
  to_version BIGINT,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (from_id, to_id)
);
CREATE INDEX lineage_edges_to ON lineage_edges (to_id);
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY,
  job TEXT NOT NULL,
  pipeline TEXT,
  status TEXT NOT NULL,
  started_at TEXT,
  ended_at TEXT,
  rows_written BIGINT,
  error TEXT
);
CREATE INDEX runs_job ON runs (job);
CREATE TABLE run_outputs (
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  table_id BIGINT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  version BIGINT,
  row_count BIGINT,
  PRIMARY KEY (run_id, table_id)
);
)sql",
       // FTS5 with our own folding applied before indexing; remove_diacritics is a second net.
       R"sql(
CREATE VIRTUAL TABLE asset_search USING fts5(
  name, context, labels, description, owner,
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4');
)sql",
       R"sql(
CREATE TABLE asset_search (
  asset_id BIGINT PRIMARY KEY REFERENCES assets(id) ON DELETE CASCADE,
  doc tsvector NOT NULL
);
CREATE INDEX asset_search_doc ON asset_search USING GIN (doc);
)sql"},
      {2, "search ranking weights in the SQLite index", "",
       // FTS5's `rank` column with these weights lets ORDER BY rank sort inside the index.
       "INSERT INTO asset_search (asset_search, rank) "
       "VALUES ('rank', 'bm25(10.0, 1.0, 6.0, 2.0, 4.0)');",
       nullptr},
      // The orchestrator's run store (src/orchestrator/service/run_store.h). Times are UTC
      // microseconds; JSON documents are text. Several workers may share one PostgreSQL
      // catalog: a run is claimed by moving it QUEUED -> RUNNING in one UPDATE (the next one
      // with FOR UPDATE SKIP LOCKED), the claimer refreshes heartbeat_at, and cancellation is a
      // flag any process can set. orch_triggers makes cron firings and file arrivals fire once
      // across schedulers (insert of a unique key).
      {3, "orchestrator runs, states, task attempts, events and trigger firings",
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
      {4, "file arrivals (landing zone / SFTP)",
       R"sql(
CREATE TABLE file_arrivals (
  id {ID},
  partner TEXT NOT NULL,
  path TEXT NOT NULL,
  source TEXT NOT NULL,
  size_bytes BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  received_at TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL,
  stored_as TEXT NOT NULL,
  rows_loaded BIGINT,
  rows_quarantined BIGINT,
  run_id TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX file_arrivals_partner ON file_arrivals (partner, id);
CREATE INDEX file_arrivals_sha256 ON file_arrivals (sha256);
)sql",
       nullptr, nullptr},
      // The orchestrator's trigger cursors (src/orchestrator/service/run_store.h): how far a
      // trigger has looked, e.g. the last Delta version of a table a pipeline's table trigger
      // has fired for, so versions committed while no scheduler ran still fire once.
      {5, "orchestrator trigger cursors",
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

std::string Expand(const char* sql, Dialect dialect) {
  std::string text = sql;
  const std::string id =
      dialect == Dialect::kSqlite ? "INTEGER PRIMARY KEY" : "BIGSERIAL PRIMARY KEY";
  for (size_t at = text.find("{ID}"); at != std::string::npos; at = text.find("{ID}", at)) {
    text.replace(at, 4, id);
  }
  return text;
}

}  // namespace

int LatestSchemaVersion() { return Migrations().back().version; }

Status Migrate(Store& store) {
  STRATA_RETURN_IF_ERROR(store.ExecuteScript(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
      "name TEXT NOT NULL, applied_at TEXT NOT NULL)"));
  for (const Migration& migration : Migrations()) {
    WriteTransaction transaction(store);
    STRATA_RETURN_IF_ERROR(transaction.Begin());
    if (store.dialect() == Dialect::kPostgres) {
      // Serialises concurrent migrators; released at commit or rollback.
      STRATA_RETURN_IF_ERROR(store.Execute("SELECT pg_advisory_xact_lock(727356)"));
    }
    STRATA_ASSIGN_OR_RETURN(SqlRows applied,
                            store.Query("SELECT version FROM schema_migrations WHERE version = ?",
                                        {int64_t{migration.version}}));
    if (!applied.empty()) continue;
    const char* specific =
        store.dialect() == Dialect::kSqlite ? migration.sqlite : migration.postgres;
    Status status = store.ExecuteScript(Expand(migration.sql, store.dialect()));
    if (status.ok() && specific != nullptr) status = store.ExecuteScript(specific);
    if (!status.ok()) {
      return status.WithContext("migration " + std::to_string(migration.version) + " (" +
                                migration.name + ")");
    }
    STRATA_RETURN_IF_ERROR(
        store.Execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                      {int64_t{migration.version}, std::string(migration.name), NowIso8601()}));
    STRATA_RETURN_IF_ERROR(transaction.Commit());
  }
  STRATA_ASSIGN_OR_RETURN(SqlRows newest,
                          store.Query("SELECT max(version) FROM schema_migrations"));
  if (!newest.empty() && newest[0].Int(0) > LatestSchemaVersion()) {
    return Status::FailedPrecondition("catalog " + store.display_name() + " has schema version " +
                                      newest[0].Text(0) + ", newer than this strata knows (" +
                                      std::to_string(LatestSchemaVersion()) + "): upgrade strata");
  }
  return Status::OK();
}

}  // namespace strata::catalog
