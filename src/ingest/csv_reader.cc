// CSV and JSON lines: both are read by DuckDB's CSV reader (JSON lines as one VARCHAR column
// with quoting off), so both get DuckDB's reject tables, its line numbering and one shared
// row-numbering path (StageLines). See file_reader.h for the row-number contract.
#include <algorithm>
#include <cctype>
#include <set>

#include "ingest/contract.h"
#include "ingest/reader_internal.h"

namespace strata::ingest::internal {
namespace {

using engine::QuoteIdentifier;
using engine::QuoteLiteral;

std::string ReadCsvCall(const ReadRequest& request, const LinesDialect& dialect,
                        const std::vector<ColumnSpec>& file_columns) {
  std::string columns;
  for (const ColumnSpec& c : file_columns) {
    columns += (columns.empty() ? "" : ", ") + QuoteLiteral(c.name) + ": " + QuoteLiteral(c.type);
  }
  return "read_csv(" + QuoteLiteral(request.path) +
         ", header=" + (dialect.header ? "true" : "false") +
         ", delim=" + QuoteLiteral(dialect.delimiter) + ", quote=" + QuoteLiteral(dialect.quote) +
         ", escape=" + QuoteLiteral(dialect.escape) + ", columns={" + columns +
         "}, auto_detect=false, store_rejects=true, rejects_table=" +
         QuoteLiteral(request.staging_prefix + "_rej_err") +
         ", rejects_scan=" + QuoteLiteral(request.staging_prefix + "_rej_scan") +
         dialect.extra_options + ")";
}

// Writes the row blocks into `<prefix>_blocks` with the appender.
Status WriteBlocks(engine::Connection& conn, const ReadRequest& request,
                   const std::vector<RowBlock>& blocks) {
  std::string table = request.staging_prefix + "_blocks";
  STRATA_RETURN_IF_ERROR(conn.Execute("CREATE OR REPLACE TEMP TABLE " + QuoteIdentifier(table) +
                                      " (b BIGINT, base BIGINT, th BIGINT[])"));
  STRATA_ASSIGN_OR_RETURN(auto appender, conn.CreateAppender("", table));
  for (const RowBlock& block : blocks) {
    std::string list = "[";
    for (size_t i = 0; i < block.thresholds.size(); ++i) {
      list += (i ? ", " : "") + std::to_string(block.thresholds[i]);
    }
    STRATA_RETURN_IF_ERROR(appender->Append(block.block));
    STRATA_RETURN_IF_ERROR(appender->Append(block.base));
    STRATA_RETURN_IF_ERROR(appender->Append(list + "]"));
    STRATA_RETURN_IF_ERROR(appender->EndRow());
  }
  return appender->Close();
}

std::string CsvExtraOptions(const CsvOptions& csv) {
  std::string extra;
  if (!csv.date_format.empty()) extra += ", dateformat=" + QuoteLiteral(csv.date_format);
  if (!csv.timestamp_format.empty()) {
    extra += ", timestampformat=" + QuoteLiteral(csv.timestamp_format);
  }
  if (!csv.null_string.empty()) extra += ", nullstr=['', " + QuoteLiteral(csv.null_string) + "]";
  std::string encoding = csv.encoding;
  for (char& c : encoding) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (encoding == "latin-1" || encoding == "latin1") extra += ", encoding='latin-1'";
  return extra;
}

// Rows DuckDB read whose integer or decimal text does not convert exactly (`inexact_rows`,
// aliased t, with _source_row): their raw lines, which DuckDB does not keep, are read back from
// the file into `<prefix>_inexact` (record, raw). Returns how many there are.
Result<int64_t> QuarantineInexact(engine::Connection& conn, const ReadRequest& request,
                                  const std::string& inexact_rows, int64_t header_lines) {
  STRATA_ASSIGN_OR_RETURN(auto bad, conn.QueryRows("SELECT t._source_row FROM " + inexact_rows));
  if (bad.empty()) return 0;
  std::vector<int64_t> lines;
  lines.reserve(bad.size());
  for (const auto& row : bad) {
    const auto* record = std::get_if<int64_t>(&row[0]);
    if (!record) return Status::Internal("a record number is not an integer");
    lines.push_back(*record + header_lines);
  }
  const std::string table = request.staging_prefix + "_inexact";
  STRATA_RETURN_IF_ERROR(conn.Execute("CREATE OR REPLACE TEMP TABLE " + QuoteIdentifier(table) +
                                      " (record BIGINT, raw VARCHAR)"));
  STRATA_ASSIGN_OR_RETURN(auto appender, conn.CreateAppender("", table));
  int64_t found = 0;
  STRATA_RETURN_IF_ERROR(ReadLines(request.path, ScanOptionsFor(*request.source), lines,
                                   [&](int64_t line, std::string_view text) -> Status {
                                     ++found;
                                     STRATA_RETURN_IF_ERROR(appender->Append(line - header_lines));
                                     STRATA_RETURN_IF_ERROR(appender->Append(std::string(text)));
                                     return appender->EndRow();
                                   }));
  STRATA_RETURN_IF_ERROR(appender->Close());
  if (found != static_cast<int64_t>(lines.size())) {
    return FileProblem("the file changed while it was read: " + std::to_string(lines.size()) +
                       " rows to quarantine but " + std::to_string(found) + " of their lines");
  }
  return found;
}

}  // namespace

Result<LinesStage> StageLines(engine::Connection& conn, const ReadRequest& request,
                              const FileScan& scan, const LinesDialect& dialect,
                              const std::vector<ColumnSpec>& file_columns,
                              const std::string& projection, bool blank_lines_are_rows) {
  LinesStage stage;
  stage.rows_table = Table(request, "rows");
  stage.rejects_table = Table(request, "rej");
  // DuckDB refuses to reuse reject table names: clear the previous file's.
  STRATA_RETURN_IF_ERROR(conn.Execute("DROP TABLE IF EXISTS " + Table(request, "rej_err") +
                                      "; DROP TABLE IF EXISTS " + Table(request, "rej_scan")));
  // One CREATE TABLE AS: parallel, and DuckDB keeps insertion order, so rowid is file order.
  Status read = conn.Execute("CREATE OR REPLACE TEMP TABLE " + stage.rows_table + " AS SELECT " +
                             projection + " FROM " + ReadCsvCall(request, dialect, file_columns));
  if (!read.ok()) return FileProblem(read.message());
  const int64_t header_lines = dialect.header ? 1 : 0;
  // One row per rejected record, however many errors it has; the raw line loses the line break
  // DuckDB sometimes keeps in front of it.
  STRATA_RETURN_IF_ERROR(
      conn.Execute("CREATE OR REPLACE TEMP TABLE " + stage.rejects_table +
                   " AS SELECT CAST(line AS BIGINT) - " + std::to_string(header_lines) +
                   " AS record, ltrim(any_value(csv_line), chr(13) || chr(10)) AS raw, "
                   "string_agg(CAST(error_type AS VARCHAR) || ': ' || error_message, '; ' ORDER BY "
                   "column_idx) AS reason FROM " +
                   Table(request, "rej_err") + " GROUP BY line"));
  STRATA_ASSIGN_OR_RETURN(stage.good_rows,
                          engine::QueryInt64(conn, "SELECT count(*) FROM " + stage.rows_table));
  STRATA_ASSIGN_OR_RETURN(auto rejected, conn.QueryRows("SELECT record FROM " +
                                                        stage.rejects_table + " ORDER BY record"));
  stage.rejected_rows = static_cast<int64_t>(rejected.size());

  const int64_t expected = scan.data_records(dialect.header, blank_lines_are_rows);
  if (stage.good_rows + stage.rejected_rows != expected) {
    return FileProblem("row accounting mismatch: the file has " + std::to_string(expected) +
                       " records but the reader returned " + std::to_string(stage.good_rows) +
                       " rows and " + std::to_string(stage.rejected_rows) +
                       " rejected lines; nothing was loaded");
  }

  std::vector<int64_t> gaps;
  gaps.reserve(rejected.size() + scan.blank_lines.size());
  for (const auto& row : rejected) {
    const auto* record = std::get_if<int64_t>(&row[0]);
    if (!record) return Status::Internal("reject line number is not an integer");
    gaps.push_back(*record);
  }
  if (!blank_lines_are_rows) {
    for (int64_t line : scan.blank_lines) gaps.push_back(line - header_lines);
  }
  std::sort(gaps.begin(), gaps.end());
  gaps.erase(std::unique(gaps.begin(), gaps.end()), gaps.end());

  const std::string k = "(r.rowid + 1)";
  std::vector<RowBlock> blocks = PlanRowBlocks(gaps, stage.good_rows);
  if (blocks.empty()) {
    stage.record_sql = k;
  } else {
    STRATA_RETURN_IF_ERROR(WriteBlocks(conn, request, blocks));
    stage.record_sql = k +
                       " + coalesce(bl.base, 0) + coalesce(len(list_filter(bl.th, lambda h: h < " +
                       k + ")), 0)";
    stage.record_join = " LEFT JOIN " + Table(request, "blocks") + " bl ON (" + k + " >> " +
                        std::to_string(kRowBlockShift) + ") = bl.b";
  }
  return stage;
}

Result<StagedFile> StageCsv(engine::Connection& conn, const ReadRequest& request,
                            const FileScan& scan) {
  const FileSourceSpec& source = *request.source;
  if (scan.lines == 0) return FileProblem("the file is empty");
  LinesDialect dialect;
  dialect.header = source.csv.header;
  dialect.delimiter = source.csv.delimiter;
  dialect.quote = source.csv.quote;
  dialect.escape = source.csv.escape;
  dialect.extra_options = CsvExtraOptions(source.csv);

  StagedFile staged;
  staged.columns = request.columns;
  if (staged.columns.empty()) {
    // No contract yet: DuckDB's sniffer types the columns (the dialect stays the spec's).
    std::string sniff = "SELECT * FROM read_csv(" + QuoteLiteral(request.path) +
                        ", header=" + (dialect.header ? "true" : "false") +
                        ", delim=" + QuoteLiteral(dialect.delimiter) +
                        ", quote=" + QuoteLiteral(dialect.quote) +
                        ", escape=" + QuoteLiteral(dialect.escape) + dialect.extra_options + ")";
    Result<std::vector<ColumnSpec>> inferred = DescribeQuery(conn, sniff);
    if (!inferred.ok()) return FileProblem("cannot infer columns: " + inferred.status().message());
    staged.columns = *inferred;
  }
  // The file's column order: the header's (validated), else the contract's.
  std::vector<ColumnSpec> file_columns = staged.columns;
  if (dialect.header) {
    std::string reason;
    std::optional<std::vector<size_t>> order = MatchHeader(staged.columns, scan.header, &reason);
    if (!order) return FileProblem(reason);
    for (size_t i = 0; i < order->size(); ++i) file_columns[i] = staged.columns[(*order)[i]];
  }
  // Integer and decimal columns are read as text and converted below: DuckDB's CSV reader
  // would round "12.5" into an INTEGER column instead of refusing it. Whether a row's values
  // all convert exactly is worked out once, by the parallel read (`_exact`). But a column whose
  // values the scan found all plainly spelled, with no more digits after the point than its
  // type keeps, converts exactly in the reader (a value out of range is a reject there): it is
  // read typed, with 40% less CPU than text and conversion.
  std::set<std::string> as_text;
  for (size_t i = 0; i < file_columns.size(); ++i) {
    ColumnSpec& c = file_columns[i];
    const int scale = ExactScale(c.type);
    if (scale < 0) continue;
    if (i < scan.field_numbers.size() && scan.field_numbers[i].plain &&
        scan.field_numbers[i].decimals <= scale) {
      continue;
    }
    as_text.insert(c.name);
    c.type = "VARCHAR";
  }
  std::vector<TypedColumn> typed;
  std::string exact;
  // The staged rows hold those columns already converted (NULL when not exact): typed values
  // are smaller to keep and need no second conversion when written. Their text is read again
  // only for a file with inexact values (`<prefix>_text`, aliased tx), for the reasons.
  std::string projection;
  std::string columns;  // the data columns over rows_table aliased r
  for (size_t i = 0; i < staged.columns.size(); ++i) {
    const ColumnSpec& c = staged.columns[i];
    const std::string name = QuoteIdentifier(c.name);
    std::string value = "r." + name;
    if (as_text.count(c.name) > 0) {
      const std::string cast = ExactCastSql(name, "VARCHAR", c.type);
      const std::string broken = name + " IS NOT NULL AND " + cast + " IS NULL";
      projection += (projection.empty() ? "" : ", ") + cast + " AS " + name;
      exact += (exact.empty() ? "" : " AND ") + ("NOT (" + broken + ")");
      typed.push_back({c, "tx." + name + " IS NOT NULL", value, "tx." + name});
    } else {
      projection += (projection.empty() ? "" : ", ") + name;
      typed.push_back({c, "false", value, value});
    }
    columns += value + ", ";
  }
  if (!exact.empty()) projection += ", " + exact + " AS _exact";
  STRATA_ASSIGN_OR_RETURN(LinesStage stage, StageLines(conn, request, scan, dialect, file_columns,
                                                       projection, staged.columns.size() == 1));
  const std::string file = QuoteLiteral(request.file);
  const std::string at = IngestedAtSql(request.ingested_at_micros);
  const std::string rows = " FROM " + stage.rows_table + " r" + stage.record_join;
  staged.data_sql = "SELECT " + columns + file + " AS _source_file, " + stage.record_sql +
                    " AS _source_row, " + at + " AS _ingested_at" + rows +
                    (exact.empty() ? "" : " WHERE r._exact");
  staged.quarantine_sql = "SELECT " + file + " AS _source_file, record AS _source_row, raw AS " +
                          "_raw_line, reason AS _reason, " + at + " AS _ingested_at FROM " +
                          stage.rejects_table;
  int64_t inexact = 0;
  int64_t exact_rows = stage.good_rows;
  if (!exact.empty()) {
    STRATA_ASSIGN_OR_RETURN(
        exact_rows,
        engine::QueryInt64(conn, "SELECT count(*) FROM " + stage.rows_table + " WHERE _exact"));
  }
  if (exact_rows < stage.good_rows) {
    // The same read again, so its rows line up with rows_table's by rowid. Every column is kept:
    // DuckDB does not convert the columns a query leaves out, so their bad values would not
    // reject the rows they rejected the first time.
    ReadRequest again = request;
    again.staging_prefix += "_text";
    STRATA_RETURN_IF_ERROR(conn.Execute("DROP TABLE IF EXISTS " + Table(again, "rej_err") +
                                        "; DROP TABLE IF EXISTS " + Table(again, "rej_scan")));
    const std::string text_table = Table(request, "text");
    Status read = conn.Execute("CREATE OR REPLACE TEMP TABLE " + text_table + " AS SELECT * FROM " +
                               ReadCsvCall(again, dialect, file_columns));
    if (!read.ok()) return FileProblem(read.message());
    STRATA_ASSIGN_OR_RETURN(int64_t text_rows,
                            engine::QueryInt64(conn, "SELECT count(*) FROM " + text_table));
    if (text_rows != stage.good_rows) {
      return FileProblem("the file changed while it was read: " + std::to_string(text_rows) +
                         " rows on the second read, " + std::to_string(stage.good_rows) +
                         " on the first");
    }
    const std::string inexact_rows = "(SELECT " + TypedProjection(typed) + ", " + stage.record_sql +
                                     " AS _source_row" + rows + " JOIN " + text_table +
                                     " tx ON tx.rowid = r.rowid WHERE NOT r._exact) t";
    STRATA_ASSIGN_OR_RETURN(inexact,
                            QuarantineInexact(conn, request, inexact_rows, dialect.header ? 1 : 0));
    if (inexact > 0) {
      staged.quarantine_sql += " UNION ALL SELECT " + file + ", t._source_row, x.raw, t._reason, " +
                               at + " FROM " + inexact_rows + " JOIN " + Table(request, "inexact") +
                               " x ON x.record = t._source_row";
    }
  }
  staged.rows_loaded = stage.good_rows - inexact;
  staged.rows_quarantined = stage.rejected_rows + inexact;
  staged.rows_read = stage.good_rows + stage.rejected_rows;
  return staged;
}

Result<StagedFile> StageJsonLines(engine::Connection& conn, const ReadRequest& request,
                                  const FileScan& scan) {
  if (scan.lines == 0) return FileProblem("the file is empty");
  LinesDialect dialect;
  dialect.header = false;
  dialect.delimiter = "\x1f";
  dialect.quote = "";
  dialect.escape = "";
  // Lines up to 8 MB; a longer one is quarantined with DuckDB's reason. (A larger limit makes
  // every read allocate larger buffers: 64 MB tripled the time of small files.)
  dialect.extra_options = ", strict_mode=false, max_line_size=8388608";
  // Every physical line is one row (an empty line is a NULL row), so only lines DuckDB cannot
  // read at all (invalid UTF-8) are rejects at this step.
  STRATA_ASSIGN_OR_RETURN(
      LinesStage stage,
      StageLines(conn, request, scan, dialect, {{"line", "VARCHAR", "", ""}}, "line", true));
  StagedFile staged;
  staged.columns = request.columns;
  if (staged.columns.empty()) {
    Result<std::vector<ColumnSpec>> inferred =
        DescribeQuery(conn, "SELECT * FROM read_json(" + QuoteLiteral(request.path) +
                                ", format='newline_delimited', ignore_errors=true)");
    if (!inferred.ok() || inferred->empty()) {
      return FileProblem("cannot infer columns from the JSON lines" +
                         (inferred.ok() ? std::string() : ": " + inferred.status().message()));
    }
    staged.columns = *inferred;
  }
  std::vector<TypedColumn> typed;
  for (const ColumnSpec& c : staged.columns) {
    std::string name = c.name;
    std::string escaped;
    for (char ch : name) escaped += ch == '"' ? std::string("\\\"") : std::string(1, ch);
    std::string path = QuoteLiteral("$.\"" + escaped + "\"");
    std::string text =
        "CASE WHEN j._bad IS NULL THEN json_extract_string(j.line, " + path + ") END";
    std::string typed_sql = IsNestedType(c.type)
                                ? "TRY_CAST(CASE WHEN j._bad IS NULL THEN json_extract(j.line, " +
                                      path + ") END AS " + c.type + ")"
                                : ExactCastSql(text, "VARCHAR", c.type);
    typed.push_back({c, text + " IS NOT NULL", typed_sql, text});
  }
  const std::string k_sql = stage.record_sql;
  STRATA_RETURN_IF_ERROR(conn.Execute(
      "CREATE OR REPLACE TEMP TABLE " + Table(request, "typed") + " AS SELECT j._source_row, " +
      "j.line AS _raw_line, j._bad, " + TypedProjection(typed) + " FROM (SELECT " + k_sql +
      " AS _source_row, r.line, CASE WHEN NOT json_valid(r.line) THEN 'not valid JSON' "
      "WHEN json_type(r.line) <> 'OBJECT' THEN 'not a JSON object (' || json_type(r.line) || ')' "
      "END AS _bad FROM " +
      stage.rows_table + " r" + stage.record_join +
      " WHERE r.line IS NOT NULL AND trim(r.line) <> '') j"));
  const std::string typed_table = Table(request, "typed");
  const std::string file = QuoteLiteral(request.file);
  const std::string at = IngestedAtSql(request.ingested_at_micros);
  std::string columns;
  for (const ColumnSpec& c : staged.columns) columns += QuoteIdentifier(c.name) + ", ";
  staged.data_sql = "SELECT " + columns + file + " AS _source_file, _source_row, " + at +
                    " AS _ingested_at FROM " + typed_table +
                    " WHERE _bad IS NULL AND _reason IS NULL";
  staged.quarantine_sql = "SELECT " + file + " AS _source_file, _source_row, _raw_line, " +
                          "coalesce(_bad, _reason) AS _reason, " + at + " AS _ingested_at FROM " +
                          typed_table + " WHERE _bad IS NOT NULL OR _reason IS NOT NULL " +
                          "UNION ALL SELECT " + file + ", record, raw, reason, " + at + " FROM " +
                          stage.rejects_table;
  STRATA_ASSIGN_OR_RETURN(auto counts,
                          conn.QueryRows("SELECT count(*) FILTER (WHERE _bad IS NULL AND _reason "
                                         "IS NULL), count(*) FROM " +
                                         typed_table));
  const auto* loaded = std::get_if<int64_t>(&counts[0][0]);
  const auto* total = std::get_if<int64_t>(&counts[0][1]);
  if (!loaded || !total) return Status::Internal("JSON line counts are not integers");
  staged.rows_loaded = *loaded;
  staged.rows_quarantined = *total - *loaded + stage.rejected_rows;
  staged.rows_read = *total + stage.rejected_rows;
  return staged;
}

}  // namespace strata::ingest::internal
