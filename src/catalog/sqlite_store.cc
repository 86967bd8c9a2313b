// The SQLite implementation of Store (store.h).
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>

#include "catalog/store.h"

namespace strata::catalog {
namespace {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using SqliteHandle = std::unique_ptr<sqlite3, SqliteCloser>;
using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

class SqliteStore final : public Store {
 public:
  SqliteStore(SqliteHandle db, std::string path) : db_(std::move(db)), path_(std::move(path)) {}

  Dialect dialect() const override { return Dialect::kSqlite; }
  const std::string& display_name() const override { return path_; }

  Status Execute(std::string_view sql, const SqlParams& params) override {
    return Run(sql, params, nullptr);
  }

  Result<SqlRows> Query(std::string_view sql, const SqlParams& params) override {
    SqlRows rows;
    STRATA_RETURN_IF_ERROR(Run(sql, params, &rows));
    return rows;
  }

  Status ExecuteScript(std::string_view sql) override {
    std::string text(sql);
    char* message = nullptr;
    int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
      std::string why = message ? message : sqlite3_errstr(rc);
      sqlite3_free(message);
      return Error(rc, why);
    }
    return Status::OK();
  }

  Status BeginWrite() override { return ExecuteScript("BEGIN IMMEDIATE"); }
  Status Commit() override { return ExecuteScript("COMMIT"); }
  Status Rollback() override { return ExecuteScript("ROLLBACK"); }

 private:
  Status Error(int rc, const std::string& why) const {
    std::string message = "catalog " + path_ + ": " + why;
    int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::Conflict(message);
    if (primary == SQLITE_CONSTRAINT) return Status::Conflict(message);
    if (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN || primary == SQLITE_FULL ||
        primary == SQLITE_READONLY) {
      return Status::IOError(message);
    }
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return Status::Corruption(message);
    return Status::InvalidArgument(message);
  }

  // Statements are prepared once and reused: catalog writes repeat a few dozen statements
  // many times, and preparing costs as much as running them.
  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it != cache_.end()) {
      sqlite3_reset(it->second.get());
      sqlite3_clear_bindings(it->second.get());
      return it->second.get();
    }
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    StatementHandle statement(raw);
    if (rc != SQLITE_OK) return Error(rc, sqlite3_errmsg(db_.get()));
    if (!statement) return Status::InvalidArgument("catalog " + path_ + ": empty statement");
    if (cache_.size() >= 256) cache_.clear();
    return cache_.emplace(std::string(sql), std::move(statement)).first->second.get();
  }

  Status Run(std::string_view sql, const SqlParams& params, SqlRows* rows) {
    STRATA_ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepare(sql));
    // Reset after use so a cached statement never holds a read transaction open.
    struct Resetter {
      sqlite3_stmt* s;
      ~Resetter() { sqlite3_reset(s); }
    } resetter{raw};
    int rc = SQLITE_OK;
    for (size_t i = 0; i < params.size(); ++i) {
      int index = static_cast<int>(i + 1);
      const SqlParam& p = params[i];
      if (std::holds_alternative<std::monostate>(p)) {
        rc = sqlite3_bind_null(raw, index);
      } else if (const auto* n = std::get_if<int64_t>(&p)) {
        rc = sqlite3_bind_int64(raw, index, *n);
      } else if (const auto* d = std::get_if<double>(&p)) {
        rc = sqlite3_bind_double(raw, index, *d);
      } else {
        const std::string& s = std::get<std::string>(p);
        rc = sqlite3_bind_text(raw, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) return Error(rc, sqlite3_errmsg(db_.get()));
    }
    while (true) {
      rc = sqlite3_step(raw);
      if (rc == SQLITE_DONE) return Status::OK();
      if (rc != SQLITE_ROW) return Error(rc, sqlite3_errmsg(db_.get()));
      if (rows == nullptr) continue;
      SqlRow row;
      int n = sqlite3_column_count(raw);
      row.cells.reserve(n);
      for (int c = 0; c < n; ++c) {
        if (sqlite3_column_type(raw, c) == SQLITE_NULL) {
          row.cells.emplace_back(std::nullopt);
          continue;
        }
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, c));
        row.cells.emplace_back(std::string(text, sqlite3_column_bytes(raw, c)));
      }
      rows->push_back(std::move(row));
    }
  }

  // Declared after db_ so the statements are finalized before the database closes.
  SqliteHandle db_;
  std::string path_;
  std::unordered_map<std::string, StatementHandle> cache_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Status::IOError("catalog " + path + ": cannot create directory: " + ec.message());
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteHandle db(raw);
  if (rc != SQLITE_OK) {
    return Status::IOError("catalog " + path + ": " +
                           (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 10000);
  auto store = std::make_unique<SqliteStore>(std::move(db), path);
  // WAL lets readers (search, show) run while a pipeline run writes; NORMAL sync is durable
  // at every checkpoint, which is what WAL mode is designed for.
  STRATA_RETURN_IF_ERROR(store->ExecuteScript(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace strata::catalog
