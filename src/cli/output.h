// Rendering query results for people (table) and programs (csv, json). Results are consumed
// chunk by chunk: csv and json stream straight through; the table format keeps at most
// `max_rows` rows to size its columns and only counts the rest.
#pragma once

#include <cstdint>
#include <ostream>
#include <string_view>

#include "common/result.h"
#include "common/status.h"
#include "engine/engine.h"

namespace strata::cli {

enum class OutputFormat { kTable, kCsv, kJson };

// "table", "csv" or "json"; InvalidArgument naming the bad value otherwise.
Result<OutputFormat> ParseOutputFormat(std::string_view name);

struct OutputOptions {
  OutputFormat format = OutputFormat::kTable;
  int64_t max_rows = 1000;    // table format only: rows shown; the footer tells how many exist
  int max_column_width = 60;  // table format only: longer cells are cut with "…"
};

// Writes every row of `result` to `out`. Returns the number of rows, or the engine's error
// (output already written stays written; for json the array is left unterminated).
Result<int64_t> WriteResult(engine::QueryResult& result, const OutputOptions& options,
                            std::ostream& out);

// CSV field quoting per RFC 4180: quoted only when needed, quotes doubled.
std::string CsvField(std::string_view text);
// A JSON string literal with escapes, UTF-8 passed through.
std::string JsonString(std::string_view text);

}  // namespace strata::cli
