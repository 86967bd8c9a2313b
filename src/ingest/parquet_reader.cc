// Parquet: the file's columns are matched to the contract by name and cast to its types; a row
// whose value does not convert goes to quarantine with the row rendered as JSON as its raw line.
#include <algorithm>
#include <cctype>

#include "ingest/contract.h"
#include "ingest/reader_internal.h"

namespace strata::ingest::internal {
namespace {

using engine::QuoteIdentifier;
using engine::QuoteLiteral;

std::string Fold(const std::string& text) {
  std::string out = text;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Normalized(const std::string& type) {
  std::string out;
  for (char c : type) {
    if (c != ' ') out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

Result<StagedFile> StageParquet(engine::Connection& conn, const ReadRequest& request) {
  const std::string source = "read_parquet(" + QuoteLiteral(request.path) + ")";
  Result<std::vector<ColumnSpec>> described = DescribeQuery(conn, "SELECT * FROM " + source);
  if (!described.ok()) {
    return FileProblem("cannot read the Parquet file: " + described.status().message());
  }
  const std::vector<ColumnSpec>& file_columns = *described;
  StagedFile staged;
  staged.columns = request.columns.empty() ? file_columns : request.columns;
  if (request.columns.empty()) {
    STRATA_RETURN_IF_ERROR(CheckColumnTypes(conn, *request.source, staged.columns));
  }

  std::vector<TypedColumn> typed;
  std::string raw_struct;
  for (const ColumnSpec& c : file_columns) {
    raw_struct += (raw_struct.empty() ? "" : ", ") + QuoteLiteral(c.name) + ": src." +
                  QuoteIdentifier(c.name);
  }
  std::vector<std::string> file_names;
  for (const ColumnSpec& c : file_columns) file_names.push_back(c.name);
  for (const ColumnSpec& c : staged.columns) {
    auto it = std::find_if(file_columns.begin(), file_columns.end(),
                           [&](const ColumnSpec& f) { return Fold(f.name) == Fold(c.name); });
    if (it == file_columns.end()) {
      return FileProblem("column '" + c.name + "' of the contract is missing from the file (" +
                         "it has " + NameList(file_names) + ")");
    }
    std::string value = "src." + QuoteIdentifier(it->name);
    TypedColumn column{c, value + " IS NOT NULL", value, "CAST(" + value + " AS VARCHAR)"};
    if (Normalized(it->type) != Normalized(c.type)) {
      column.typed_sql = ExactCastSql(value, it->type, c.type);
    } else {
      column.present_sql = "false";  // same type: nothing can fail to convert
    }
    typed.push_back(std::move(column));
  }
  const std::string typed_table = Table(request, "typed");
  Status read = conn.Execute(
      "CREATE OR REPLACE TEMP TABLE " + typed_table +
      " AS SELECT * EXCLUDE (_raw), CASE WHEN _reason IS NOT " +
      "NULL THEN CAST(to_json(_raw) AS VARCHAR) END AS _raw_line FROM (SELECT src.file_row_number" +
      " + 1 AS _source_row, " + TypedProjection(typed) + ", {" + raw_struct + "} AS _raw FROM " +
      "read_parquet(" + QuoteLiteral(request.path) + ", file_row_number=true) src)");
  if (!read.ok()) return FileProblem("cannot read the Parquet file: " + read.message());

  const std::string file = QuoteLiteral(request.file);
  const std::string at = IngestedAtSql(request.ingested_at_micros);
  std::string columns;
  for (const ColumnSpec& c : staged.columns) columns += QuoteIdentifier(c.name) + ", ";
  staged.data_sql = "SELECT " + columns + file + " AS _source_file, _source_row, " + at +
                    " AS _ingested_at FROM " + typed_table + " WHERE _reason IS NULL";
  staged.quarantine_sql = "SELECT " + file + " AS _source_file, _source_row, _raw_line, _reason, " +
                          at + " AS _ingested_at FROM " + typed_table +
                          " WHERE _reason IS NOT NULL";
  STRATA_ASSIGN_OR_RETURN(auto counts, conn.QueryRows("SELECT count(*) FILTER (WHERE _reason IS "
                                                      "NULL), count(*) FROM " +
                                                      typed_table));
  const auto* loaded = std::get_if<int64_t>(&counts[0][0]);
  const auto* total = std::get_if<int64_t>(&counts[0][1]);
  if (!loaded || !total) return Status::Internal("Parquet row counts are not integers");
  staged.rows_loaded = *loaded;
  staged.rows_read = *total;
  staged.rows_quarantined = *total - *loaded;
  return staged;
}

}  // namespace strata::ingest::internal
