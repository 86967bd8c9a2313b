// Database and Connection: opening DuckDB with our settings, running SQL text (one or many
// statements), and the quoting helpers.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/internal.h"

namespace strata::engine {
namespace {

using internal::ConnectionState;

// Runs every statement of `sql`; the last one's result is returned (streaming when `stream_last`)
// and the others run to completion and are dropped.
Result<std::unique_ptr<QueryResult>> RunStatements(ConnectionState* state, std::string_view sql,
                                                   bool stream_last) {
  std::string text(sql);
  internal::ExtractedHandle extracted;
  uint64_t count =
      duckdb_extract_statements(state->connection.get(), text.c_str(), extracted.out());
  if (count == 0) {
    const char* message = duckdb_extract_statements_error(extracted.get());
    if (message == nullptr) return Status::InvalidArgument("no SQL statement in: " + text);
    return internal::StatusFromMessage(message, StatusCode::kInvalidArgument);
  }
  std::unique_ptr<QueryResult> last;
  for (uint64_t i = 0; i < count; ++i) {
    internal::PreparedHandle statement;
    if (duckdb_prepare_extracted_statement(state->connection.get(), extracted.get(), i,
                                           statement.out()) != DuckDBSuccess) {
      const char* message = duckdb_prepare_error(statement.get());
      return internal::StatusFromMessage(message != nullptr ? message : "prepare failed",
                                         StatusCode::kInvalidArgument);
    }
    bool stream = stream_last && i + 1 == count;
    STRATA_ASSIGN_OR_RETURN(last, internal::ExecutePrepared(state, statement.get(), stream));
  }
  return last;
}

class ConnectionImpl final : public Connection {
 public:
  explicit ConnectionImpl(std::unique_ptr<ConnectionState> state) : state_(std::move(state)) {}

  Status Execute(std::string_view sql) override {
    return RunStatements(state_.get(), sql, /*stream_last=*/false).status();
  }

  Result<std::unique_ptr<QueryResult>> Query(std::string_view sql) override {
    return RunStatements(state_.get(), sql, /*stream_last=*/true);
  }

  Result<std::vector<std::vector<Value>>> QueryRows(std::string_view sql) override {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<QueryResult> result, Query(sql));
    std::vector<std::vector<Value>> rows;
    while (true) {
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<DataChunk> chunk, result->Next());
      if (chunk == nullptr) break;
      for (int64_t row = 0; row < chunk->size(); ++row) {
        std::vector<Value> values;
        values.reserve(chunk->column_count());
        for (int column = 0; column < chunk->column_count(); ++column) {
          values.push_back(chunk->GetValue(column, row));
        }
        rows.push_back(std::move(values));
      }
    }
    return rows;
  }

  Result<std::unique_ptr<PreparedStatement>> Prepare(std::string_view sql) override {
    STRATA_ASSIGN_OR_RETURN(internal::PreparedHandle statement,
                            internal::PrepareOne(state_.get(), sql));
    return internal::MakePreparedStatement(state_.get(), std::move(statement));
  }

  Result<std::unique_ptr<Appender>> CreateAppender(std::string_view schema,
                                                   std::string_view table) override {
    return internal::MakeAppender(state_.get(), schema, table);
  }

  void Interrupt() override { duckdb_interrupt(state_->connection.get()); }

 private:
  std::unique_ptr<ConnectionState> state_;
};

class DatabaseImpl final : public Database {
 public:
  explicit DatabaseImpl(internal::DatabaseHandle db) : db_(std::move(db)) {}

  Result<std::unique_ptr<Connection>> Connect() override {
    auto state = std::make_unique<ConnectionState>();
    if (duckdb_connect(db_.get(), state->connection.out()) != DuckDBSuccess) {
      return Status::Internal("could not connect to the DuckDB database");
    }
    // Every connection runs in UTC so that TIMESTAMPTZ values print (and DataChunk::Text renders
    // them) the same on every host. Without ICU DuckDB is UTC-only, so a failure is harmless.
    internal::PreparedHandle set_utc;
    if (duckdb_prepare(state->connection.get(), "SET SESSION TimeZone = 'UTC'", set_utc.out()) ==
        DuckDBSuccess) {
      (void)internal::ExecutePrepared(state.get(), set_utc.get(), /*stream=*/false);
    }
    return std::unique_ptr<Connection>(std::make_unique<ConnectionImpl>(std::move(state)));
  }

 private:
  internal::DatabaseHandle db_;
};

Status SetOption(duckdb_config config, const char* name, const std::string& value) {
  if (duckdb_set_config(config, name, value.c_str()) != DuckDBSuccess) {
    return Status::InvalidArgument(std::string("bad DuckDB setting ") + name + "=" + value);
  }
  return Status::OK();
}

}  // namespace

namespace internal {

Result<PreparedHandle> PrepareOne(ConnectionState* state, std::string_view sql) {
  std::string text(sql);
  PreparedHandle statement;
  if (duckdb_prepare(state->connection.get(), text.c_str(), statement.out()) != DuckDBSuccess) {
    const char* message = duckdb_prepare_error(statement.get());
    return StatusFromMessage(message != nullptr ? message : "prepare failed",
                             StatusCode::kInvalidArgument);
  }
  return statement;
}

}  // namespace internal

Result<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  if (options.threads < 0) {
    return Status::InvalidArgument("threads must be >= 0, got " + std::to_string(options.threads));
  }
  internal::ConfigHandle config;
  if (duckdb_create_config(config.out()) != DuckDBSuccess) {
    return Status::Internal("could not create a DuckDB configuration");
  }
  if (options.threads > 0) {
    STRATA_RETURN_IF_ERROR(SetOption(config.get(), "threads", std::to_string(options.threads)));
  }
  if (!options.memory_limit.empty()) {
    STRATA_RETURN_IF_ERROR(SetOption(config.get(), "memory_limit", options.memory_limit));
  }
  if (!options.temp_directory.empty()) {
    STRATA_RETURN_IF_ERROR(SetOption(config.get(), "temp_directory", options.temp_directory));
  }
  // No extension is ever downloaded or loaded behind the caller's back (confine.h).
  STRATA_RETURN_IF_ERROR(SetOption(config.get(), "autoinstall_known_extensions", "false"));
  STRATA_RETURN_IF_ERROR(SetOption(config.get(), "autoload_known_extensions", "false"));
  STRATA_RETURN_IF_ERROR(SetOption(config.get(), "allow_community_extensions", "false"));
  internal::DatabaseHandle db;
  char* error = nullptr;
  const char* path = options.path.empty() ? nullptr : options.path.c_str();
  if (duckdb_open_ext(path, db.out(), config.get(), &error) != DuckDBSuccess) {
    std::string message = internal::TakeDuckString(error);
    std::string where = options.path.empty() ? "in-memory database" : "database " + options.path;
    return internal::StatusFromMessage(message, StatusCode::kIOError)
        .WithContext("cannot open " + where);
  }
  internal::TakeDuckString(error);
  return std::unique_ptr<Database>(std::make_unique<DatabaseImpl>(std::move(db)));
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

Result<int64_t> QueryInt64(Connection& connection, std::string_view sql) {
  STRATA_ASSIGN_OR_RETURN(auto rows, connection.QueryRows(sql));
  const auto* n =
      rows.size() == 1 && rows[0].size() == 1 ? std::get_if<int64_t>(&rows[0][0]) : nullptr;
  if (n == nullptr) return Status::Internal("not one integer: " + std::string(sql));
  return *n;
}

std::string EngineVersion() { return duckdb_library_version(); }

}  // namespace strata::engine
