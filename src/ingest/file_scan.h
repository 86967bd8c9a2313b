// One pass over a landed file: its SHA-256 (the identity that makes loading exactly-once) and,
// for line formats, an independent count of its records, so that "rows read = rows loaded +
// rows quarantined" is checked against the file itself and not only against DuckDB's output;
// and, on request, which field positions hold only plainly spelled numbers (the CSV reader then
// lets DuckDB type them, see StageCsv).
//
// Record model (the same as DuckDB's CSV reader, checked in file_scan_test.cc and
// csv_reader_test.cc):
//  - A line ends at '\n' outside quotes ("\r\n" too); a final line without '\n' still counts.
//    Line breaks inside a quoted field do not end the line, so a record spanning three
//    physical lines is one line here and for DuckDB's reject numbering.
//  - A quote opens a quoted field only at the start of a field; inside it the escape character
//    (or a doubled quote when escape == quote) gives a literal quote. An unterminated quote runs
//    to the end of the file (DuckDB then rejects that one record).
//  - A blank line (empty, or just "\r") holds no row when the file has several columns; DuckDB
//    skips it but still counts it in line numbers. With one column it is a row (a NULL value).
//  - A UTF-8 byte order mark before the header is not part of the header.
// Lone '\r' line ends (classic Mac) are not supported: such a file reads as one long line.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace strata::ingest {

struct RecordScanOptions {
  bool count_records = true;  // false: hash only (Parquet)
  // false: the caller knows the file's SHA-256 already, FileScan::sha256 stays empty (a scan
  // that neither hashes nor counts only takes the size).
  bool hash = true;
  char delimiter = ',';
  std::optional<char> quote = '"';   // nullopt: no quoting (JSON lines)
  std::optional<char> escape = '"';  // nullopt: no escape character
  bool header = true;                // line 1 is the header: captured, not a record
  // Also work out FileScan::field_numbers; values equal to `null_string` count as empty.
  bool check_numbers = false;
  std::string null_string;
};

// How the values at one field position of a file's data records are spelled.
struct FieldNumbers {
  // Every value is empty, the null string, or a plain number: an optional sign, digits, and
  // optionally a point followed by digits ("-12", "+3.50", "007"; not " 1", "1e3", ".5").
  bool plain = true;
  // The most digits a value has after the point, its trailing zeros aside ("3.50" has 1).
  int decimals = 0;
};

struct FileScan {
  std::string sha256;  // lower-case hex ("" when RecordScanOptions::hash is false)
  int64_t size_bytes = 0;
  // Lines as DuckDB numbers them (header included, blank lines included).
  int64_t lines = 0;
  // 1-based line numbers of the blank lines after the header (ascending).
  std::vector<int64_t> blank_lines;
  // The header's fields (unquoted, BOM removed); empty without a header or for an empty file.
  std::vector<std::string> header;
  bool has_bom = false;
  bool unterminated_quote = false;  // the file ends inside a quoted field
  // Per field position, in file order, when RecordScanOptions::check_numbers (else empty). A
  // quoted value counts by its unquoted text. A position some record lacks is judged by the
  // records that have it.
  std::vector<FieldNumbers> field_numbers;

  // Records that are rows: every line after the header, blank ones only if they hold a row.
  int64_t data_records(bool header_line, bool blank_lines_are_rows) const {
    int64_t n = lines - (blank_lines_are_rows ? 0 : static_cast<int64_t>(blank_lines.size()));
    if (header_line && lines > 0) --n;
    return n;
  }
};

// Reads `path` once. IOError naming the file if it cannot be read.
Result<FileScan> ScanFile(const std::string& path, const RecordScanOptions& options);

// Receives one line's number and text; a non-OK status stops the delivery and is returned.
using LineSink = std::function<Status(int64_t line, std::string_view text)>;

// Hands `sink` the text of the given lines, in ascending order (numbered as FileScan::lines, so a
// record with quoted line breaks is one line), without the line break that ends each; numbers
// past the end are skipped. For the rows a reader quarantines after DuckDB read them, whose raw
// text DuckDB does not keep. IOError naming the file if it cannot be read.
Status ReadLines(const std::string& path, const RecordScanOptions& options,
                 std::vector<int64_t> line_numbers, const LineSink& sink);

// SHA-256 of `data` as lower-case hex (for tests and small inputs).
std::string Sha256Hex(std::string_view data);

// Splits one CSV record (no line break outside quotes) into unquoted fields.
std::vector<std::string> SplitCsvRecord(std::string_view record, char delimiter,
                                        std::optional<char> quote, std::optional<char> escape);

}  // namespace strata::ingest
