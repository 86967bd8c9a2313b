// Store: the catalog's SQL database seen through one small interface with two implementations,
// SQLite (the default: a file inside the project, WAL journal, FTS5 search) and PostgreSQL (a
// shared server, reached with a postgresql:// URL). Everything above this file writes portable
// SQL once; the few places where the dialects differ (id columns, the full-text index) branch
// on dialect().
//
// SQL text uses `?` placeholders in both dialects (the PostgreSQL store rewrites them to $1..$n
// outside string literals and quoted identifiers). Every result cell comes back as text (NULL as
// nullopt): both databases render integers and text identically, which keeps callers portable.
//
// Ownership: a Store owns its connection (sqlite3* / PGconn*) and closes it when destroyed.
// Thread safety: one thread at a time. Several processes may open the same database: SQLite
// waits up to 10 s on a lock (busy timeout), PostgreSQL uses its own row locks.
// Errors: failures become Status naming the database and carrying the driver's message:
// Conflict for lock timeouts, serialization failures and unique violations, InvalidArgument for
// SQL errors, IOError when the database cannot be opened or reached.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"
#include "common/status.h"

namespace strata::catalog {

enum class Dialect { kSqlite, kPostgres };

using SqlParam = std::variant<std::monostate, int64_t, double, std::string>;
using SqlParams = std::vector<SqlParam>;

// One result row; cells are text, NULL is nullopt.
struct SqlRow {
  std::vector<std::optional<std::string>> cells{};

  bool IsNull(size_t i) const { return i >= cells.size() || !cells[i].has_value(); }
  // The cell's text, "" for NULL.
  const std::string& Text(size_t i) const;
  // The cell as an integer{}; `fallback` for NULL or text that is not an integer.
  int64_t Int(size_t i, int64_t fallback = 0) const;
  std::optional<int64_t> OptInt(size_t i) const;
  double Double(size_t i, double fallback = 0) const;
};
using SqlRows = std::vector<SqlRow>;

class Store {
 public:
  virtual ~Store() = default;
  virtual Dialect dialect() const = 0;
  // For messages: the file path, or the URL without its password.
  virtual const std::string& display_name() const = 0;

  // Runs one statement with `?` parameters and discards any result.
  virtual Status Execute(std::string_view sql, const SqlParams& params = {}) = 0;
  // Runs one statement and returns every row (catalog queries are small or LIMITed).
  virtual Result<SqlRows> Query(std::string_view sql, const SqlParams& params = {}) = 0;
  // Runs a script of several statements without parameters (migrations).
  virtual Status ExecuteScript(std::string_view sql) = 0;

  // Transactions. BeginWrite takes the write lock up front (SQLite BEGIN IMMEDIATE), so two
  // writers queue instead of failing at commit. Nested transactions are not supported.
  virtual Status BeginWrite() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;
};

// Opens a SQLite catalog at `path` (parent directories are created): WAL, foreign keys on,
// 10 s busy timeout. IOError if the file cannot be opened.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);
// Connects to PostgreSQL with a libpq URL (postgresql://user@host:port/db?...). IOError when
// the server cannot be reached or refuses the login.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url);
// postgresql:// or postgres:// URLs open PostgreSQL; anything else is a SQLite path.
Result<std::unique_ptr<Store>> OpenStore(const std::string& location);
bool IsPostgresUrl(std::string_view location);

// A write transaction that rolls back unless Commit() is called. The Store must outlive it.
class WriteTransaction {
 public:
  explicit WriteTransaction(Store& store) : store_(store) {}
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;

  Status Begin();
  Status Commit();

 private:
  Store& store_;
  bool open_ = false;
};

// One versioned schema change of a component sharing the database (the catalog, the run
// store). A migration, once released, never changes: new needs get a new version at the end.
struct Migration {
  int version;
  const char* name;
  const char* sql;       // portable; {ID} becomes the dialect's auto-increment primary key;
                         // "" = nothing to do (a version kept for its number)
  const char* sqlite;    // dialect-only statements run after `sql`, or nullptr
  const char* postgres;  // same for PostgreSQL
};

// Where a component records its applied versions, and the PostgreSQL advisory lock key that
// serialises its migrators.
struct MigrationLedger {
  const char* table;      // (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)
  const char* component;  // for messages: "catalog", "run store"
  int64_t lock_key;
};

// Brings a component's schema up to date: each migration runs once, in order, in its own
// transaction, and is recorded in the ledger. Safe when several processes migrate at once
// (SQLite serialises on the write lock, PostgreSQL on the advisory lock). FailedPrecondition
// if the ledger holds a version above `latest` (a newer strata migrated the database).
Status ApplyMigrations(Store& store, const MigrationLedger& ledger,
                       const std::vector<Migration>& migrations, int latest);
// Whether `table` exists in the database (to adopt tables another component created).
Result<bool> TableExists(Store& store, const std::string& table);

// Creates the catalog schema or brings it up to date (ledger `schema_migrations`).
// FailedPrecondition if the database was migrated by a newer strata (a version we do not know).
Status Migrate(Store& store);
// The highest migration version this build knows.
int LatestSchemaVersion();

}  // namespace strata::catalog
