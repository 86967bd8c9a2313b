// The bronze contract of a file source: the spec's own checks, the lineage columns every bronze
// and quarantine row carries, header matching, and the contract recorded in an existing table.
//
// A source without declared columns takes its types from the first file it loads (DuckDB's
// sniffer); that table's Delta schema then *is* the contract, so later files (in the same run or
// later runs) are held to the same types: ContractFromSchema recovers it.
// Thread-safe: pure functions (CheckColumnTypes uses the caller's connection).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "ingest/file_source.h"
#include "storage/delta/schema.h"

namespace strata::ingest {

inline constexpr std::string_view kSourceFile = "_source_file";
inline constexpr std::string_view kSourceRow = "_source_row";
inline constexpr std::string_view kIngestedAt = "_ingested_at";
inline constexpr std::string_view kRawLine = "_raw_line";
inline constexpr std::string_view kReason = "_reason";

// True for the lineage/quarantine column names above (contracts may not use them).
bool IsReservedColumn(std::string_view name);

// OK or InvalidArgument naming the source and what is wrong: unknown format, no patterns, a
// CSV delimiter/quote/escape that is not one byte (quote and escape may be empty), an encoding
// other than utf-8/latin-1, empty, duplicate (case-insensitive) or reserved column names.
Status ValidateSpec(const FileSourceSpec& source);

// OK if every column's type is a DuckDB type Delta can store; else InvalidArgument naming the
// column and the type.
Status CheckColumnTypes(engine::Connection& connection, const FileSourceSpec& source,
                        const std::vector<ColumnSpec>& columns);

// The contract recorded in a bronze table: its schema's columns minus the lineage columns, with
// DuckDB types (delta::ToSqlType).
std::vector<ColumnSpec> ContractFromSchema(const delta::Schema& schema);

// How a CSV header maps to the contract. `file_order[i]` is the contract index of the file's
// i-th column. Names compare trimmed and case-insensitively; the same names in another order
// are accepted. Else nullopt and `reason` says what differs ("expected (a, b, c), found (a, x):
// column 2 is 'x', expected 'b'").
std::optional<std::vector<size_t>> MatchHeader(const std::vector<ColumnSpec>& contract,
                                               const std::vector<std::string>& header,
                                               std::string* reason);

// The source's key names joined for messages: "(a, b)".
std::string NameList(const std::vector<std::string>& names);

}  // namespace strata::ingest
