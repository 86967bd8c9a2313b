// Versioned schema migrations for the catalog (Migrate in store.h). The logical schema is the
// same in both dialects; only id columns and the full-text index are spelled differently.
// A migration, once released, never changes: new needs get a new migration at the end.
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/store.h"

namespace strata::catalog {
namespace {

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
      // Versions 3 and 5 created the orchestrator's run store tables (orch_*). The run store
      // owns its schema now (orchestrator/service/run_store_schema.cc: its versions 1 and 2,
      // adopted when these tables exist); here they stay as versions that do nothing, so
      // catalogs that applied them and new ones count the same versions.
      {3, "orchestrator run store (now migrated by the run store itself)", "", nullptr, nullptr},
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
      {5, "orchestrator trigger cursors (now migrated by the run store itself)", "", nullptr,
       nullptr},
  };
  return kMigrations;
}

}  // namespace

int LatestSchemaVersion() { return Migrations().back().version; }

Status Migrate(Store& store) {
  return ApplyMigrations(store, {"schema_migrations", "catalog", 727356}, Migrations(),
                         LatestSchemaVersion());
}

}  // namespace strata::catalog
