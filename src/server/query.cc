#include "server/query.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "engine/engine.h"
#include "lake/session.h"

namespace strata::server {
namespace {

using nlohmann::json;

json CellJson(const engine::Value& value) {
  return std::visit(
      [](const auto& v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else {
          return v;
        }
      },
      value);
}

// What DuckDB's parser makes of the text: one SELECT, or why not.
Status CheckSingleSelect(engine::Connection& connection, std::string_view sql, Refusal* refusal) {
  STRATA_ASSIGN_OR_RETURN(auto statement,
                          connection.Prepare("SELECT json_serialize_sql(CAST(? AS VARCHAR))"));
  STRATA_RETURN_IF_ERROR(statement->Bind(1, std::string(sql)));
  STRATA_ASSIGN_OR_RETURN(auto result, statement->Execute());
  STRATA_ASSIGN_OR_RETURN(auto chunk, result->Next());
  if (!chunk || chunk->size() < 1 || chunk->IsNull(0, 0)) {
    return Status::Internal("json_serialize_sql returned nothing");
  }
  json parsed = json::parse(chunk->Text(0, 0), nullptr, false);
  if (parsed.is_discarded()) return Status::Internal("json_serialize_sql returned bad JSON");
  if (parsed.value("error", false)) {
    const std::string type = parsed.value("error_type", "");
    const std::string message = parsed.value("error_message", "");
    if (type == "parser") {
      if (refusal) *refusal = Refusal::kSyntax;
      return Status::InvalidArgument("syntax error: " + message);
    }
    if (refusal) *refusal = Refusal::kNotReadOnly;
    return Status::FailedPrecondition(
        "read-only: only SELECT queries may run here; the statement was refused before running "
        "(DuckDB: " +
        message + ")");
  }
  const size_t count = parsed.contains("statements") ? parsed["statements"].size() : 0;
  if (count != 1) {
    if (refusal) *refusal = Refusal::kMultiple;
    return Status::InvalidArgument("expected exactly one SELECT statement, got " +
                                   std::to_string(count));
  }
  return Status::OK();
}

// Interrupts the connection when the deadline passes before Cancel(), and again every 20 ms
// until Cancel(): DuckDB clears a pending interrupt when a statement starts, so one interrupt
// that lands just before the query begins would be lost.
class Watchdog {
 public:
  Watchdog(engine::Connection& connection, int timeout_ms)
      : thread_([this, &connection, timeout_ms] {
          std::unique_lock lock(mutex_);
          auto done = [this] { return done_; };
          if (cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), done)) return;
          fired_ = true;
          do {
            connection.Interrupt();
          } while (!cv_.wait_for(lock, std::chrono::milliseconds(20), done));
        }) {}
  ~Watchdog() { Cancel(); }
  void Cancel() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool fired() {
    std::lock_guard lock(mutex_);
    return fired_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;
};

// Holds a gate slot for one query.
class GateSlot {
 public:
  explicit GateSlot(QueryGate* gate) : gate_(gate) {}
  ~GateSlot() {
    if (gate_) gate_->Leave();
  }
  GateSlot(const GateSlot&) = delete;
  GateSlot& operator=(const GateSlot&) = delete;

 private:
  QueryGate* gate_;
};

// A query that asked for a DuckDB extension: none is installed or loaded here.
bool NeedsExtension(const std::string& message) {
  return message.find("extension") != std::string::npos &&
         (message.find("not in the catalog") != std::string::npos ||
          message.find("Extension") != std::string::npos ||
          message.find("autoload") != std::string::npos ||
          message.find("INSTALL") != std::string::npos);
}

}  // namespace

Status QueryGate::Enter(int wait_ms) {
  std::unique_lock lock(mutex_);
  if (!freed_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                       [this] { return running_ < capacity_; })) {
    return Status::ResourceExhausted(
        "busy: " + std::to_string(capacity_) +
        " queries are running, the most this server runs at once (strata serve "
        "--sql-max-concurrent); try again in a moment");
  }
  ++running_;
  return Status::OK();
}

void QueryGate::Leave() {
  {
    std::lock_guard lock(mutex_);
    --running_;
  }
  freed_.notify_one();
}

QueryService::QueryService(std::optional<lake::Lake> lake, std::string lake_dir,
                           QuerySettings settings)
    : lake_(std::move(lake)), lake_dir_(std::move(lake_dir)), settings_(std::move(settings)) {}

Result<QueryJson> QueryService::RunReadOnly(std::string_view sql, const QueryLimits& limits,
                                            Refusal* refusal) const {
  if (refusal) *refusal = Refusal::kNone;
  return Run(sql, limits, /*user=*/true, refusal);
}

Result<QueryJson> QueryService::RunTrusted(std::string_view sql, const QueryLimits& limits) const {
  return Run(sql, limits, /*user=*/false, nullptr);
}

Result<QueryJson> QueryService::Run(std::string_view sql, const QueryLimits& limits, bool user,
                                    Refusal* refusal) const {
  if (sql.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("SQL must not contain NUL bytes");
  }
  if (sql.find_first_not_of(" \t\r\n;") == std::string_view::npos) {
    return Status::InvalidArgument("SQL is empty");
  }
  const auto start = std::chrono::steady_clock::now();
  if (settings_.gate) STRATA_RETURN_IF_ERROR(settings_.gate->Enter(settings_.queue_ms));
  GateSlot slot(settings_.gate);
  engine::DatabaseOptions options;
  options.threads = settings_.threads;
  options.memory_limit = settings_.memory_limit;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Database> database,
                          engine::Database::Open(options));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> connection, database->Connect());
  // Before any SQL of the user's: no extension is downloaded or loaded behind its back (the
  // built-in ones are there already), and no query spills past the memory limit to disk.
  STRATA_RETURN_IF_ERROR(
      connection->Execute("SET autoinstall_known_extensions = false; "
                          "SET autoload_known_extensions = false; SET temp_directory = '';"));
  if (user) STRATA_RETURN_IF_ERROR(CheckSingleSelect(*connection, sql, refusal));
  json out;
  {
    lake::LakeSession session(lake_, *connection);
    if (limits.policy) session.SetAccessPolicy(limits.policy, /*user_sql=*/user);
    STRATA_ASSIGN_OR_RETURN(lake::BoundQuery bound, session.Bind(sql));
    if (user) {
      // From here on the query cannot touch files outside the lake, nor undo these settings.
      std::string lockdown;
      if (!lake_dir_.empty()) {
        lockdown += "SET allowed_directories = [" + engine::QuoteLiteral(lake_dir_ + "/") + "];";
      }
      lockdown += "SET enable_external_access = false; SET lock_configuration = true;";
      STRATA_RETURN_IF_ERROR(connection->Execute(lockdown));
    }
    Watchdog watchdog(*connection, limits.timeout_ms);
    auto timed_out = [&](const Status& status) -> Status {
      if (user && NeedsExtension(status.message())) {
        if (refusal) *refusal = Refusal::kExtension;
        return Status::FailedPrecondition(
            "read-only: DuckDB extensions are not installed or loaded here; queries may read "
            "the lake's tables only (DuckDB: " +
            status.message() + ")");
      }
      if (status.code() == StatusCode::kResourceExhausted) {
        return Status::InvalidArgument(
            "query stopped: it needs more memory than the limit of " +
            (settings_.memory_limit.empty() ? std::string("DuckDB's default")
                                            : settings_.memory_limit) +
            " per query (strata serve --sql-memory-limit) (DuckDB: " + status.message() + ")");
      }
      if (user && status.message().rfind("Permission Error", 0) == 0) {
        if (refusal) *refusal = Refusal::kOutsideLake;
        return Status::FailedPrecondition(
            "read-only: queries here may read the lake's tables only (DuckDB: " + status.message() +
            ")");
      }
      if (watchdog.fired() || status.code() == StatusCode::kCancelled) {
        return Status::Timeout("query exceeded the time limit of " +
                               std::to_string(limits.timeout_ms) + " ms and was stopped");
      }
      return status;
    };
    Result<std::unique_ptr<engine::QueryResult>> result = connection->Query(bound.sql);
    if (!result.ok()) return timed_out(result.status());
    json columns = json::array();
    for (const engine::Column& column : (*result)->columns()) {
      columns.push_back({{"name", column.name}, {"type", column.type_name}});
    }
    json rows = json::array();
    int64_t count = 0;
    bool truncated = false;
    while (true) {
      Result<std::unique_ptr<engine::DataChunk>> chunk = (*result)->Next();
      if (!chunk.ok()) return timed_out(chunk.status());
      if (!*chunk) break;
      const engine::DataChunk& data = **chunk;
      for (int64_t r = 0; r < data.size(); ++r) {
        if (count >= limits.max_rows) {
          truncated = true;
          break;
        }
        json row = json::array();
        for (int c = 0; c < data.column_count(); ++c) row.push_back(CellJson(data.GetValue(c, r)));
        rows.push_back(std::move(row));
        ++count;
      }
      if (truncated) break;
    }
    watchdog.Cancel();
    if (watchdog.fired()) return timed_out(Status::Cancelled("interrupted"));
    out = {{"columns", std::move(columns)},
           {"rows", std::move(rows)},
           {"row_count", count},
           {"truncated", truncated}};
  }
  out["elapsed_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
  return out;
}

}  // namespace strata::server
