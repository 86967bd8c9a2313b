// Queries over the lake for the API: read-only SQL from users (with a row limit and a timeout)
// and the server's own queries (samples, profiles, dashboards' data).
//
// Read-only is enforced by the engine, not by looking at the text: DuckDB's parser
// (json_serialize_sql) must serialize the text as exactly one SELECT statement (it refuses
// every other statement type), and the query then runs on a fresh in-memory database whose
// configuration is locked with external access disabled except for the lake directory, so even
// a SELECT cannot read or write other files.
// Every query (user or trusted) runs within the server's limits: a memory limit (DuckDB's
// memory_limit, with spilling to disk turned off, so a query that needs more fails instead of
// filling the disk), a thread cap, and a QueryGate slot; extensions are never installed or
// loaded (autoinstall and autoload are off before any SQL runs).
// Thread safety: a QueryService is immutable after construction; calls run concurrently, each
// on its own engine database. A QueryGate is shared by every QueryService of a server.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "lake/lake.h"
#include "lake/session.h"

namespace strata::server {

struct QueryLimits {
  int max_rows = 1000;
  int timeout_ms = 30000;
  // What the user asking may see (server/table_policy.h): unreadable tables refused, PII
  // masked in the query itself; unset = everything (the server's own work, tests).
  lake::AccessPolicy policy = nullptr;
};

// At most `capacity` queries run at once; the others wait for a slot up to their queue time.
class QueryGate {
 public:
  explicit QueryGate(int capacity) : capacity_(capacity) {}
  // ResourceExhausted ("busy: ...") when no slot frees within `wait_ms`.
  Status Enter(int wait_ms);
  void Leave();
  int capacity() const { return capacity_; }

 private:
  const int capacity_;
  int running_ = 0;
  std::mutex mutex_;
  std::condition_variable freed_;
};

// The resources one query may use.
struct QuerySettings {
  int threads = 2;                   // 0 = DuckDB's default (every core)
  std::string memory_limit = "1GB";  // DuckDB syntax; "" = DuckDB's default (80% of RAM)
  QueryGate* gate = nullptr;         // null = no limit on queries at once
  int queue_ms = 2000;               // how long a query waits for a gate slot
};

// {"columns": [{"name", "type"}], "rows": [[...]], "row_count": n, "truncated": bool,
//  "elapsed_ms": n}. Cells: null, bool, integer, double, or text (DECIMAL, dates, nested).
using QueryJson = nlohmann::json;

// Why a user query was refused before it ran.
enum class Refusal { kNone, kSyntax, kNotReadOnly, kMultiple, kOutsideLake, kExtension };

class QueryService {
 public:
  // `lake_dir`: the local lake directory when the storage is local ("" when remote or absent).
  QueryService(std::optional<lake::Lake> lake, std::string lake_dir, QuerySettings settings);

  // A user's SQL. InvalidArgument for empty text, syntax errors and several statements;
  // PermissionDenied-like refusals come back as FailedPrecondition with a message starting
  // "read-only:" and `refusal` set (kNotReadOnly; kOutsideLake when a SELECT touched files
  // outside the lake, which DuckDB's locked configuration refused; kExtension when it needs a
  // DuckDB extension that is not built in); Timeout when it ran past the limit; InvalidArgument
  // "query stopped: it needs more memory than ..." past the memory limit; ResourceExhausted
  // "busy: ..." when no gate slot freed in time; the engine's errors otherwise.
  Result<QueryJson> RunReadOnly(std::string_view sql, const QueryLimits& limits,
                                Refusal* refusal = nullptr) const;

  // SQL written by the server (trusted), with lake tables bound; same output.
  Result<QueryJson> RunTrusted(std::string_view sql, const QueryLimits& limits) const;

  const std::optional<lake::Lake>& lake() const { return lake_; }

 private:
  Result<QueryJson> Run(std::string_view sql, const QueryLimits& limits, bool user,
                        Refusal* refusal) const;
  std::optional<lake::Lake> lake_;
  std::string lake_dir_;
  QuerySettings settings_;
};

}  // namespace strata::server
