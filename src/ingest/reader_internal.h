// Internal to the file readers (file_reader.cc, csv_reader.cc, typed_reader.cc). Not an API.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "ingest/file_reader.h"

namespace strata::ingest::internal {

// The read_csv dialect of a line-based read.
struct LinesDialect {
  bool header = true;
  std::string delimiter = ",";
  std::string quote = "\"";
  std::string escape = "\"";
  std::string extra_options;  // appended to read_csv's arguments (", dateformat='...'")
};

// A line-based file read by DuckDB's CSV reader into `<prefix>_rows` (typed, file order) and its
// rejected lines grouped into `<prefix>_rej` (record BIGINT, raw VARCHAR, reason VARCHAR).
struct LinesStage {
  std::string rows_table;
  std::string rejects_table;
  int64_t good_rows = 0;
  int64_t rejected_rows = 0;
  // SQL for the record number of a row of rows_table aliased `r`, and the join it needs
  // (appended after "FROM rows_table r").
  std::string record_sql;
  std::string record_join;
};

// `file_columns` are (name, type) in the file's column order; `projection` is the SELECT list
// over read_csv's columns that fills rows_table. `blank_lines_are_rows` as in FileScan.
Result<LinesStage> StageLines(engine::Connection& conn, const ReadRequest& request,
                              const FileScan& scan, const LinesDialect& dialect,
                              const std::vector<ColumnSpec>& file_columns,
                              const std::string& projection, bool blank_lines_are_rows);

Result<StagedFile> StageCsv(engine::Connection& conn, const ReadRequest& request,
                            const FileScan& scan);
Result<StagedFile> StageJsonLines(engine::Connection& conn, const ReadRequest& request,
                                  const FileScan& scan);
Result<StagedFile> StageParquet(engine::Connection& conn, const ReadRequest& request);

// One contract column computed from a source value: `present_sql` is true when the source has a
// non-null value, `typed_sql` its conversion (NULL when it does not convert), `value_text_sql`
// its text for the reason. A column that cannot fail has present_sql "false".
struct TypedColumn {
  ColumnSpec column;
  std::string present_sql;
  std::string typed_sql;
  std::string value_text_sql;
};
// SELECT-list items: each column as `typed_sql AS "name"`, then `<reason> AS _reason` naming
// every column that did not convert (NULL if all did).
std::string TypedProjection(const std::vector<TypedColumn>& columns);

// Whether a value converted to `target_type` could lose part of itself in DuckDB's cast
// (integers and decimals: DuckDB rounds "12.5" to 13).
bool NeedsExactCast(std::string_view target_type);
// The digits an integer (0) or decimal type keeps after the point; -1 for other types.
int ExactScale(std::string_view target_type);
// SQL converting `value_sql` (of SQL type `source_type`) to `target_type`, NULL when the value
// does not convert or would not convert exactly: text must be a plain integer or decimal with at
// most the column's scale; a number must compare equal after the cast. Other targets: TRY_CAST.
std::string ExactCastSql(const std::string& value_sql, std::string_view source_type,
                         const std::string& target_type);

// Columns (name, SQL type) of a query's result, without running it to completion.
Result<std::vector<ColumnSpec>> DescribeQuery(engine::Connection& conn, const std::string& sql);

std::string IngestedAtSql(int64_t micros);
std::string Table(const ReadRequest& request, std::string_view suffix);
// The reason of a file failure: InvalidArgument "<message>".
Status FileProblem(std::string message);
// `message` without DuckDB's trailing hints and option dump.
std::string FirstParagraph(const std::string& message);
// "the file is empty" style failure when the scan found no line at all.
bool IsNestedType(std::string_view type);

}  // namespace strata::ingest::internal
