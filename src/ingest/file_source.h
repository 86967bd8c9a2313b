// File ingestion: files in the landing zone -> a bronze Delta table, typed, with every row
// accounted for.
//
// For each file matching the source's patterns (and not loaded before):
//  - rows that type cleanly go to the source's table with `_source_file` (the landing-relative
//    path), `_source_row` (1-based data row number: for CSV the record's line number minus the
//    header, where line breaks inside quoted fields do not count and blank lines do; for JSON
//    lines the physical line; for Parquet the row position; see file_reader.h) and
//    `_ingested_at` (TIMESTAMPTZ, one timestamp per run);
//  - rows that cannot be typed (wrong field count, bad number, date or encoding) go to
//    `<table>__quarantine` with `_source_file`, `_source_row`, `_raw_line`, `_reason` and
//    `_ingested_at`; rows read = rows loaded + rows quarantined, always;
//  - the file's SHA-256 is recorded in the same Delta commit as its rows (SetTransaction appId
//    "strata-file:<sha256>"), so a file with the same content is never loaded twice, even after
//    a crash between two files, and a renamed copy is recognised too.
// Consistency of the two tables: the quarantine commit goes first and both carry the file's
// SetTransaction, so a crash between them neither loses nor duplicates rows (file_source.cc).
// Files whose name does not match the source's patterns or extension are rejected and reported,
// never loaded and never deleted. When listing the landing directory (no explicit files) only
// names matching a pattern are considered (other sources' files live there too), so listing
// rejects only matching names with the wrong extension; explicit files are all validated.
// A source without columns takes its types from the first file (DuckDB's sniffer, or the Parquet
// schema); the table's schema then holds later files to the same contract. A file that cannot be
// read at all (empty, header mismatch, unreadable) fails with a reason naming the file and, where
// known, the line and column; other files of the same run still load.
// Typing uses DuckDB's own casts, so what DuckDB accepts is loaded: "12.5" read into an INTEGER
// column rounds to 13 rather than being quarantined. Staging uses temp tables named
// `__strata_ingest_*` on `connection`, dropped after each file.
//
// Thread safety: one IngestFileSource call at a time per table (the Delta commit protocol
// detects concurrent writers: the loser retries or fails with Conflict).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "lake/lake.h"

namespace strata::ingest {

struct ColumnSpec {
  std::string name;
  std::string type;  // DuckDB SQL type: BIGINT, DECIMAL(12,2), DATE, VARCHAR, ...
  std::string description;
  std::string pii;  // declared class (CPF, CNPJ, EMAIL, PHONE, PERSON_NAME, ...), "" if none
};

struct CsvOptions {
  std::string delimiter = ",";
  bool header = true;
  std::string quote = "\"";
  std::string escape = "\"";
  std::string date_format;       // strptime format, "" = ISO 8601
  std::string timestamp_format;  // "" = ISO 8601
  std::string null_string;       // text read as NULL besides the empty field
  std::string encoding = "utf-8";
};

struct FileSourceSpec {
  std::string name;                        // "pedidos"
  lake::TableName table;                   // bronze.pedidos
  std::string format = "csv";              // csv | jsonl | parquet
  std::vector<std::string> file_patterns;  // globs relative to the landing root ("pedidos*.csv")
  CsvOptions csv;
  std::vector<ColumnSpec> columns;  // the contract; empty = infer types from the first file
  std::vector<std::string> key;     // informational here (bronze keeps every row)
  // Governance, carried for the catalog.
  std::string description;
  std::string owner;
  std::vector<std::string> tags;
};

enum class FileState {
  kLoaded,         // rows committed (possibly some quarantined)
  kAlreadyLoaded,  // same content committed before: skipped
  kRejected,       // name/extension does not match the source: not loaded, kept
  kFailed,         // unreadable as a whole: nothing from it committed
};

// "loaded", "already_loaded", "rejected", "failed" (JSON output, logs).
std::string_view FileStateName(FileState state);

// The SetTransaction appId marking a file's content as committed: "strata-file:<sha256>".
std::string FileAppId(std::string_view sha256);

struct FileOutcome {
  std::string file;  // landing-relative path
  std::string sha256;
  int64_t size_bytes = 0;
  FileState state = FileState::kLoaded;
  std::string reason;  // for kRejected / kFailed / kAlreadyLoaded; starts with the file name
  int64_t rows_read = 0;
  int64_t rows_loaded = 0;
  int64_t rows_quarantined = 0;
};

struct IngestReport {
  std::string source;
  std::vector<FileOutcome> files;
  std::optional<int64_t> table_version;       // version after the run (nullopt: no table yet)
  std::optional<int64_t> quarantine_version;  // same for <table>__quarantine
  int64_t rows_loaded() const;
  int64_t rows_quarantined() const;
  bool ok() const;  // no file kFailed
};

// A file named to a run instead of found by listing the landing directory (e.g. the files that
// just arrived over SFTP).
struct LandedFile {
  // Landing-relative name: how the file is reported and written as _source_file
  // ("acme/pedidos.csv").
  std::string name{};
  // What the source's patterns and extensions are checked against, when not the whole name:
  // the SFTP landing zone checks a partner's "pedidos.csv" under "acme/" ("" = `name`).
  std::string matched_name{};
  // Where its bytes are read ("" = <landing_dir>/<name>): an immutable copy, so that a newer
  // upload to the same name while the run reads is not mixed in.
  std::string content_path{};
  // Its SHA-256 (lower-case hex) when the caller has it already; "" = computed while the file
  // is scanned. Trusted as given: it is the file's identity for exactly-once loading.
  std::string sha256{};
};

struct IngestOptions {
  // Explicit files to load (each validated against the source's patterns and extensions);
  // empty = every file of the landing directory matching the patterns.
  std::vector<LandedFile> files;
  // Timestamp written as _ingested_at, micros since the epoch; 0 = now.
  int64_t ingested_at_micros = 0;
};

// Loads the source's new files from `landing_dir` (a local directory) into the lake.
// Errors (Status) are for failures of the run itself (lake unwritable, conflict after retries);
// problems of single files are reported per file in the IngestReport.
Result<IngestReport> IngestFileSource(const lake::Lake& lake, engine::Connection& connection,
                                      const FileSourceSpec& source, const std::string& landing_dir,
                                      const IngestOptions& options = {});

}  // namespace strata::ingest
