#include "ingest/file_reader.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "ingest/reader_internal.h"

namespace strata::ingest {
namespace internal {

std::string IngestedAtSql(int64_t micros) {
  return "CAST(make_timestamp(CAST(" + std::to_string(micros) + " AS BIGINT)) AS TIMESTAMPTZ)";
}

std::string Table(const ReadRequest& request, std::string_view suffix) {
  return engine::QuoteIdentifier(request.staging_prefix + "_" + std::string(suffix));
}

Status FileProblem(std::string message) { return Status::InvalidArgument(std::move(message)); }

std::string FirstParagraph(const std::string& message) {
  // DuckDB appends "Possible fixes" and a dump of every reader option: the reason stays short.
  size_t cut = message.find("\nPossible fixes");
  if (cut == std::string::npos) cut = message.find("\n\n");
  return cut == std::string::npos ? message : message.substr(0, cut);
}

namespace {

std::string Upper(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

bool IsIntegerType(const std::string& upper) {
  static const char* const kIntegers[] = {
      "TINYINT",   "SMALLINT", "INTEGER", "INT",      "BIGINT", "HUGEINT", "UTINYINT",
      "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "INT1",   "INT2",    "INT4",
      "INT8",      "INT16",    "INT32",   "INT64",    "SHORT",  "LONG",    "SIGNED"};
  return std::find(std::begin(kIntegers), std::end(kIntegers), upper) != std::end(kIntegers);
}

// The scale of DECIMAL(p,s) / NUMERIC(p,s) (DuckDB's default DECIMAL is (18,3)); -1 if `upper`
// is not a decimal type.
int DecimalScale(const std::string& upper) {
  if (upper == "DECIMAL" || upper == "NUMERIC") return 3;
  int precision = 0, scale = 0;
  char close = 0;
  if (std::sscanf(upper.c_str(), "DECIMAL(%d,%d%c", &precision, &scale, &close) == 3 ||
      std::sscanf(upper.c_str(), "NUMERIC(%d,%d%c", &precision, &scale, &close) == 3) {
    return close == ')' ? scale : -1;
  }
  if (std::sscanf(upper.c_str(), "DECIMAL(%d%c", &precision, &close) == 2 ||
      std::sscanf(upper.c_str(), "NUMERIC(%d%c", &precision, &close) == 2) {
    return close == ')' ? 0 : -1;
  }
  return -1;
}

bool IsTextType(const std::string& upper) {
  return upper == "VARCHAR" || upper == "TEXT" || upper == "STRING" || upper == "JSON";
}

}  // namespace

// Upper case without spaces: "decimal(12, 2)" -> "DECIMAL(12,2)".
std::string TypeKey(std::string_view type) {
  std::string key = Upper(type);
  key.erase(std::remove(key.begin(), key.end(), ' '), key.end());
  return key;
}

bool NeedsExactCast(std::string_view target_type) { return ExactScale(target_type) >= 0; }

int ExactScale(std::string_view target_type) {
  std::string key = TypeKey(target_type);
  return IsIntegerType(key) ? 0 : DecimalScale(key);
}

std::string ExactCastSql(const std::string& value_sql, std::string_view source_type,
                         const std::string& target_type) {
  std::string cast = "TRY_CAST(" + value_sql + " AS " + target_type + ")";
  if (!NeedsExactCast(target_type)) return cast;
  if (IsTextType(TypeKey(source_type))) {
    // Plain decimal notation with at most the column's scale (trailing zeros aside): DuckDB's
    // cast also takes "1e3", "0x1F" and "1_000", and rounds "12.5" to 13 in an INTEGER column
    // or "1.005" to 1.01 in DECIMAL(p,2).
    std::string key = TypeKey(target_type);
    const std::string scale = std::to_string(std::max(0, DecimalScale(key)));
    std::string number = "[0-9]+(\\.[0-9]{0," + scale + "}0*)?";
    if (scale != "0") number = "(" + number + "|\\.[0-9]{1," + scale + "}0*)";
    // Clean data spells most values exactly as DuckDB prints them ("42", "851.24"): that cheap
    // comparison settles them, and only the rest pay for the regular expression (a third of
    // the CPU time of reading a file of numbers).
    return "CASE WHEN CAST(" + cast + " AS VARCHAR) = " + value_sql + " THEN " + cast +
           " WHEN regexp_full_match(" + value_sql + ", " +
           engine::QuoteLiteral("\\s*[+-]?" + number + "\\s*") + ") THEN " + cast + " END";
  }
  // A number of another type: it converts only if nothing is lost on the way.
  return "CASE WHEN " + cast + " = " + value_sql + " THEN " + cast + " END";
}

bool IsNestedType(std::string_view type) {
  std::string upper = Upper(type);
  return upper.find('[') != std::string::npos || upper.rfind("STRUCT", 0) == 0 ||
         upper.rfind("MAP", 0) == 0 || upper.rfind("UNION", 0) == 0 || upper.rfind("LIST", 0) == 0;
}

std::string TypedProjection(const std::vector<TypedColumn>& columns) {
  std::string select;
  std::string reasons;
  for (const TypedColumn& c : columns) {
    select += c.typed_sql + " AS " + engine::QuoteIdentifier(c.column.name) + ", ";
    if (c.present_sql == "false") continue;  // cannot fail: no reason to compute
    // "column "qty": cannot convert 'abc' to INTEGER"; long values are cut for the message only.
    std::string label = "column \"" + c.column.name + "\": cannot convert ";
    reasons += ", CASE WHEN (" + c.present_sql + ") AND (" + c.typed_sql + ") IS NULL THEN " +
               engine::QuoteLiteral(label) + " || '''' || left(" + c.value_text_sql +
               ", 200) || ''' to ' || " + engine::QuoteLiteral(c.column.type) + " END";
  }
  if (reasons.empty()) return select + "CAST(NULL AS VARCHAR) AS _reason";
  return select + "NULLIF(concat_ws('; '" + reasons + "), '') AS _reason";
}

Result<std::vector<ColumnSpec>> DescribeQuery(engine::Connection& conn, const std::string& sql) {
  STRATA_ASSIGN_OR_RETURN(auto rows, conn.QueryRows("DESCRIBE " + sql));
  std::vector<ColumnSpec> columns;
  for (const auto& row : rows) {
    if (row.size() < 2) return Status::Internal("DESCRIBE returned too few columns");
    const auto* name = std::get_if<std::string>(&row[0]);
    const auto* type = std::get_if<std::string>(&row[1]);
    if (!name || !type) return Status::Internal("DESCRIBE returned a non-text name or type");
    columns.push_back({*name, *type, "", ""});
  }
  return columns;
}

}  // namespace internal

RecordScanOptions ScanOptionsFor(const FileSourceSpec& source) {
  RecordScanOptions options;
  if (source.format == "parquet") {
    options.count_records = false;
  } else if (source.format == "jsonl") {
    options.header = false;
    options.delimiter = '\x1f';  // never in valid JSON text: one column per line
    options.quote.reset();
    options.escape.reset();
  } else {
    const CsvOptions& csv = source.csv;
    options.header = csv.header;
    options.delimiter = csv.delimiter.empty() ? ',' : csv.delimiter[0];
    // Assigned from a whole optional: GCC 12 at -O3 warns (falsely) about partial assignment.
    const std::optional<char> none;
    options.quote = csv.quote.empty() ? none : std::optional<char>(csv.quote.front());
    options.escape = csv.escape.empty() ? none : std::optional<char>(csv.escape.front());
    options.check_numbers = true;  // see StageCsv
    options.null_string = csv.null_string;
  }
  return options;
}

namespace {

// Text formats are read as UTF-8 (or latin-1): a UTF-16 file would only show up as a header or
// lines of garbage, so it is named for what it is.
bool StartsWithUtf16ByteOrderMark(const std::string& path) {
  char bytes[2] = {};
  std::ifstream in(path, std::ios::binary);
  if (!in.read(bytes, 2)) return false;
  const std::string_view first(bytes, 2);
  return first == "\xFF\xFE" || first == "\xFE\xFF";
}

}  // namespace

Result<StagedFile> StageFile(engine::Connection& connection, const ReadRequest& request,
                             const FileScan& scan) {
  const std::string& format = request.source->format;
  if (format != "parquet" && StartsWithUtf16ByteOrderMark(request.path)) {
    return internal::FileProblem(
        "the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8, or "
        "as latin-1 with csv.encoding: latin-1");
  }
  Result<StagedFile> staged = format == "csv" ? internal::StageCsv(connection, request, scan)
                              : format == "jsonl"
                                  ? internal::StageJsonLines(connection, request, scan)
                                  : internal::StageParquet(connection, request);
  if (!staged.ok() && !staged.status().IsInvalidArgument()) {
    // DuckDB reports unreadable input as several codes (IOError, Internal for a corrupt footer);
    // all of them are problems of this file, reported with the file, not failures of the run.
    return internal::FileProblem(internal::FirstParagraph(staged.status().message()));
  }
  if (!staged.ok())
    return internal::FileProblem(internal::FirstParagraph(staged.status().message()));
  return staged;
}

void DropStaging(engine::Connection& connection, const std::string& prefix) {
  for (const char* suffix : {"rows", "rej", "rej_err", "rej_scan", "blocks", "typed", "inexact",
                             "text", "text_rej_err", "text_rej_scan"}) {
    std::string name = engine::QuoteIdentifier(prefix + "_" + suffix);
    (void)connection.Execute("DROP TABLE IF EXISTS " + name);
  }
}

std::vector<RowBlock> PlanRowBlocks(const std::vector<int64_t>& gaps, int64_t good_rows) {
  std::vector<RowBlock> blocks;
  if (gaps.empty() || good_rows <= 0) return blocks;
  // thresholds[j] = good rows before gap j; non-decreasing because gaps are ascending.
  std::vector<int64_t> thresholds;
  thresholds.reserve(gaps.size());
  for (size_t j = 0; j < gaps.size(); ++j) {
    int64_t h = gaps[j] - static_cast<int64_t>(j + 1);
    if (h >= good_rows) break;  // gaps after the last good row do not shift any row
    thresholds.push_back(h);
  }
  if (thresholds.empty()) return blocks;
  int64_t first = thresholds.front() >> kRowBlockShift;
  int64_t last = good_rows >> kRowBlockShift;
  size_t j = 0;
  for (int64_t b = first; b <= last; ++b) {
    RowBlock block;
    block.block = b;
    int64_t lo = b << kRowBlockShift;
    int64_t hi = lo + (int64_t{1} << kRowBlockShift);
    while (j < thresholds.size() && thresholds[j] < lo) ++j;
    block.base = static_cast<int64_t>(j);
    for (size_t i = j; i < thresholds.size() && thresholds[i] < hi; ++i) {
      block.thresholds.push_back(thresholds[i]);
    }
    blocks.push_back(std::move(block));
  }
  return blocks;
}

int64_t SourceRecord(const std::vector<RowBlock>& blocks, int64_t k) {
  int64_t b = k >> kRowBlockShift;
  auto it = std::lower_bound(blocks.begin(), blocks.end(), b,
                             [](const RowBlock& block, int64_t v) { return block.block < v; });
  if (it == blocks.end() || it->block != b) return k;
  int64_t inside =
      std::count_if(it->thresholds.begin(), it->thresholds.end(), [k](int64_t h) { return h < k; });
  return k + it->base + inside;
}

}  // namespace strata::ingest
