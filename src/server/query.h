// Queries over the lake for the API: read-only SQL from users (with a row limit and a timeout)
// and the server's own queries (samples, profiles, dashboards' data).
//
// Read-only is enforced by the engine, not by looking at the text: DuckDB's parser
// (json_serialize_sql) must serialize the text as exactly one SELECT statement (it refuses
// every other statement type), and the query then runs on a fresh in-memory database whose
// configuration is locked with external access disabled except for the lake directory, so even
// a SELECT cannot read or write other files.
// Thread safety: a QueryService is immutable after construction; calls run concurrently, each
// on its own engine database.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "lake/lake.h"

namespace strata::server {

struct QueryLimits {
  int max_rows = 1000;
  int timeout_ms = 30000;
};

// {"columns": [{"name", "type"}], "rows": [[...]], "row_count": n, "truncated": bool,
//  "elapsed_ms": n}. Cells: null, bool, integer, double, or text (DECIMAL, dates, nested).
using QueryJson = nlohmann::json;

// Why a user query was refused before it ran.
enum class Refusal { kNone, kSyntax, kNotReadOnly, kMultiple, kOutsideLake };

class QueryService {
 public:
  // `lake_dir`: the local lake directory when the storage is local ("" when remote or absent).
  QueryService(std::optional<lake::Lake> lake, std::string lake_dir, int threads);

  // A user's SQL. InvalidArgument for empty text, syntax errors and several statements;
  // PermissionDenied-like refusals come back as FailedPrecondition with a message starting
  // "read-only:" and `refusal` set (kNotReadOnly; kOutsideLake when a SELECT touched files
  // outside the lake, which DuckDB's locked configuration refused); Timeout when it ran past the
  // limit; the engine's errors otherwise.
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
  int threads_;
};

}  // namespace strata::server
