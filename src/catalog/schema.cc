// ApplyMigrations (store.h): the versioned-migration runner every component that keeps tables in
// the catalog database uses for its own schema (the catalog's in migrations.cc, the run store's
// in orchestrator/service/run_store_schema.cc).
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/store.h"

namespace strata::catalog {
namespace {

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

Result<bool> TableExists(Store& store, const std::string& table) {
  const char* sql = store.dialect() == Dialect::kSqlite
                        ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
                        : "SELECT 1 FROM information_schema.tables WHERE table_name = ? AND "
                          "table_schema = current_schema()";
  STRATA_ASSIGN_OR_RETURN(SqlRows rows, store.Query(sql, {table}));
  return !rows.empty();
}

Status ApplyMigrations(Store& store, const MigrationLedger& ledger,
                       const std::vector<Migration>& migrations, int latest) {
  const std::string table = ledger.table;
  STRATA_RETURN_IF_ERROR(store.ExecuteScript("CREATE TABLE IF NOT EXISTS " + table +
                                             " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                                             "applied_at TEXT NOT NULL)"));
  for (const Migration& migration : migrations) {
    WriteTransaction transaction(store);
    STRATA_RETURN_IF_ERROR(transaction.Begin());
    if (store.dialect() == Dialect::kPostgres) {
      // Serialises concurrent migrators; released at commit or rollback.
      STRATA_RETURN_IF_ERROR(
          store.Execute("SELECT pg_advisory_xact_lock(" + std::to_string(ledger.lock_key) + ")"));
    }
    STRATA_ASSIGN_OR_RETURN(SqlRows applied,
                            store.Query("SELECT version FROM " + table + " WHERE version = ?",
                                        {int64_t{migration.version}}));
    if (!applied.empty()) continue;
    const char* specific =
        store.dialect() == Dialect::kSqlite ? migration.sqlite : migration.postgres;
    Status status = Status::OK();
    if (*migration.sql != '\0')
      status = store.ExecuteScript(Expand(migration.sql, store.dialect()));
    if (status.ok() && specific != nullptr) status = store.ExecuteScript(specific);
    if (!status.ok()) {
      return status.WithContext(std::string(ledger.component) + " migration " +
                                std::to_string(migration.version) + " (" + migration.name + ")");
    }
    STRATA_RETURN_IF_ERROR(
        store.Execute("INSERT INTO " + table + " (version, name, applied_at) VALUES (?, ?, ?)",
                      {int64_t{migration.version}, std::string(migration.name), NowIso8601()}));
    STRATA_RETURN_IF_ERROR(transaction.Commit());
  }
  STRATA_ASSIGN_OR_RETURN(SqlRows newest, store.Query("SELECT max(version) FROM " + table));
  if (!newest.empty() && newest[0].Int(0) > latest) {
    return Status::FailedPrecondition(std::string(ledger.component) + " schema of " +
                                      store.display_name() + " has version " + newest[0].Text(0) +
                                      ", newer than this strata knows (" + std::to_string(latest) +
                                      "): upgrade strata");
  }
  return Status::OK();
}

}  // namespace strata::catalog
