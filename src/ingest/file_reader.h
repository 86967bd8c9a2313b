// Reading one landed file into DuckDB staging tables, typed by the contract, every record either
// a row to load or a row to quarantine. The Delta commit (file_source.cc) then writes the two
// SELECTs this returns; nothing here touches the lake.
//
// Row numbers (`_source_row`, 1-based):
//  - CSV: the record's line number as DuckDB counts lines, minus the header. Line breaks inside
//    quoted fields do not count; blank lines do (they hold no row), so for a file without
//    multi-line fields `_source_row + 1` is the physical line of the row in an editor.
//  - JSON lines: the physical line number (blank lines are skipped, not rows).
//  - Parquet: the row's position in the file (file_row_number + 1).
// DuckDB numbers rejected CSV lines itself; good rows carry no number, so the k-th good row (in
// file order: the staging table is created by one order-preserving CREATE TABLE AS, and its
// rowid is that order) is the k-th record that is neither rejected nor a blank line. The gaps
// are few, so the mapping is a small block table joined on k / 2048 (see RowBlocks).
//
// Accounting: for CSV and JSON lines the records are counted independently by ScanFile; if
// DuckDB's rows + rejected lines differ from that count the file fails instead of losing or
// inventing rows.
// Thread safety: one call at a time per connection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "ingest/file_scan.h"
#include "ingest/file_source.h"

namespace strata::ingest {

struct ReadRequest {
  const FileSourceSpec* source = nullptr;
  // The contract to type against; empty = infer from this file (CSV and JSON: DuckDB's sniffer;
  // Parquet: the file's own types).
  std::vector<ColumnSpec> columns;
  std::string path;  // local path of the file
  std::string file;  // landing-relative name, written as _source_file
  int64_t ingested_at_micros = 0;
  std::string staging_prefix = "__strata_ingest";  // names of the connection's temp tables
};

struct StagedFile {
  std::vector<ColumnSpec> columns;  // the contract used (the inferred one if none was given)
  // SELECT <contract columns>, _source_file, _source_row, _ingested_at (good rows).
  std::string data_sql;
  // SELECT _source_file, _source_row, _raw_line, _reason, _ingested_at (rows that did not type).
  std::string quarantine_sql;
  int64_t rows_read = 0;
  int64_t rows_loaded = 0;
  int64_t rows_quarantined = 0;
};

// How ScanFile must read a file of this source (CSV dialect, or plain lines for JSON).
RecordScanOptions ScanOptionsFor(const FileSourceSpec& source);

// Stages the file on `connection` (temp tables named after request.staging_prefix; a previous
// staging with the same prefix is replaced). A problem of the file itself (empty, header
// mismatch, missing Parquet column, unreadable, accounting mismatch) is InvalidArgument whose
// message is the reason to report; the caller continues with other files.
Result<StagedFile> StageFile(engine::Connection& connection, const ReadRequest& request,
                             const FileScan& scan);

// Drops the staging tables of `prefix` (best effort).
void DropStaging(engine::Connection& connection, const std::string& prefix);

// Row numbering of good rows around gaps (rejected or blank records). `gaps` are 1-based record
// numbers (ascending, distinct); good row k (1-based) is record k + #{j : gaps[j] - (j+1) < k}.
// Blocks of 2048 good rows carry the count of gaps before the block and the in-block thresholds.
struct RowBlock {
  int64_t block = 0;                // k >> 11
  int64_t base = 0;                 // gaps wholly before the block
  std::vector<int64_t> thresholds;  // gaps[j] - (j+1) values inside the block, ascending
};
inline constexpr int kRowBlockShift = 11;
std::vector<RowBlock> PlanRowBlocks(const std::vector<int64_t>& gaps, int64_t good_rows);
// The record number of good row k, from the blocks (the reference the SQL must agree with).
int64_t SourceRecord(const std::vector<RowBlock>& blocks, int64_t k);

}  // namespace strata::ingest
