// Delta add-action statistics from what DuckDB reports about the Parquet files it writes
// (`COPY ... (RETURN_STATS)`), and the small parser for DuckDB's text rendering of MAP values
// that those statistics arrive in.
//
// Contract: the stats are exact or conservative, never wrong, because readers skip files with
// them (PROTOCOL.md "Per-file Statistics"):
//  - numRecords is exact; nullCount is DuckDB's exact per-column null count.
//  - minValues/maxValues are bounds: a min may be lower and a max higher than the true value,
//    never the reverse. Where DuckDB's value could be truncated or is not representable in
//    Delta's JSON spelling (NaN present, infinities, BC dates, strings longer than
//    kMaxStatStringBytes, invalid UTF-8, BOOLEAN, BINARY, wide DECIMAL, nested lists/maps) the
//    bound is omitted, which Delta readers treat as "unknown".
//  - Timestamps are written as Delta/Spark spell them: "2024-01-31T12:00:00.123Z" (timestamp,
//    UTC) and "2024-01-31T12:00:00.123" (timestamp_ntz), at millisecond precision: minimum
//    truncated down, maximum rounded up, so both stay bounds.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "storage/delta/schema.h"

namespace strata::delta {

// Strings longer than this are not given a max bound (a min is truncated to this length, which
// keeps it a lower bound). Keeps the log small and avoids DuckDB's own 256-byte truncation.
inline constexpr size_t kMaxStatStringBytes = 64;

// One column's entry of RETURN_STATS: inner keys "min", "max", "null_count", "has_nan", ...
// A NULL value is nullopt.
using DuckColumnStats = std::map<std::string, std::optional<std::string>>;
// Column path ({"st", "x"} for DuckDB's "\"st\".\"x\"") -> its stats.
using DuckFileStats = std::map<std::vector<std::string>, DuckColumnStats>;

// Parses DuckDB's VARCHAR rendering of a MAP(VARCHAR, VARCHAR), e.g. "{a=1, 'b c'=NULL}".
// Quoted strings use '...' with backslash escapes; unquoted NULL is a null value.
// InvalidArgument on malformed text.
Result<std::map<std::string, std::optional<std::string>>> ParseDuckMapText(std::string_view text);

// Parses the rendering of RETURN_STATS' column_statistics MAP(VARCHAR, MAP(VARCHAR, VARCHAR)).
Result<DuckFileStats> ParseDuckColumnStatistics(std::string_view text);

// Splits a quoted DuckDB column path ("\"st\".\"x\"" -> {"st", "x"}); unquoted parts allowed.
Result<std::vector<std::string>> ParseColumnPath(std::string_view path);

// The Delta stats JSON of one file whose data columns are `data_fields` (the table schema minus
// partition columns, by physical name), holding `num_records` rows.
std::string DeltaStatsJson(const std::vector<StructField>& data_fields, int64_t num_records,
                           const DuckFileStats& stats);

// One bound in Delta's JSON stats spelling (raw JSON text: a number or a quoted string), or
// nullopt if it cannot be given safely. Exposed for tests.
std::optional<std::string> DeltaStatValue(const DataType& type, std::string_view duck_text,
                                          bool is_max);

}  // namespace strata::delta
