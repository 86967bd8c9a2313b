// The crawler: `strata catalog crawl PATH` walks a directory, recognises what it finds, infers
// schemas through the engine and registers (or updates) each data set in the catalog, recording
// schema changes, as a managed crawler does.
//
// Recognised: Delta tables (a directory with `_delta_log/`, read through lake::LakeSession),
// hive-partitioned folders (`key=value/` subdirectories holding files of one format: one table,
// partition keys become columns), and single Parquet, CSV/TSV (dialect sniffed with DuckDB's
// sniff_csv) and JSON/NDJSON files. Hidden entries (".x", "_x") are skipped; files inside a
// Delta table or a partitioned folder are not registered on their own.
//
// Each data set is registered under its absolute path with format, location, size, row count
// and modification time (freshness), source kCrawler (so project metadata and user edits win),
// and its columns are classified from a sample of rows (classifier.h) unless disabled.
// Thread safety: like the connection and the catalog.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/classifier.h"
#include "common/result.h"
#include "engine/engine.h"

namespace strata::catalog {

struct CrawlOptions {
  bool classify = true;
  int sample_rows = 1000;
  ClassifierOptions classifier{};
};

struct CrawledTable {
  std::string name{};    // the catalog name (absolute path)
  std::string format{};  // delta, parquet, csv, json
  std::vector<std::string> partition_columns{};
  int64_t row_count = 0;
  UpsertOutcome outcome{};
  std::vector<std::string> classified{};  // "column: CLASS (0.95)"
};

struct CrawlReport {
  std::vector<CrawledTable> tables{};
  std::vector<std::string> skipped{};  // "path: reason" for files that could not be read
};

// NotFound if `root` does not exist. A file that cannot be read is reported in `skipped`, not
// an error: one bad file never stops a crawl.
Result<CrawlReport> Crawl(Catalog& catalog, engine::Connection& connection, const std::string& root,
                          const CrawlOptions& options);

// Samples up to `sample_rows` rows of `relation_sql` (a table name, view or read_x(...) call),
// drawn from its first 64 x `sample_rows` rows (bounded cost on big tables), classifies every column and records the proposals for `table`'s columns in the catalog, then
// propagates classes along lineage. Returns "column: CLASS (confidence)" lines for reports.
Result<std::vector<std::string>> ClassifyTable(Catalog& catalog, engine::Connection& connection,
                                               const std::string& table,
                                               const std::string& relation_sql,
                                               const ClassifierOptions& options,
                                               int sample_rows = 1000);

}  // namespace strata::catalog
