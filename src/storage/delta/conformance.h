// The write-side conformance check: does a table's `_delta_log/` hold what the Delta protocol
// (PROTOCOL.md) requires, as Spark (Jackson + DataType.fromJson) and delta-kernel-rs (serde)
// parse it? Strata's own reader is lenient on purpose; this check is strict on purpose, so a
// writer path that drifts (a `"metadata": null` in a schema field, a stats value in the wrong
// encoding, a feature used but not declared) fails a test instead of a customer's Spark job.
//
// What it checks, per table:
//  - log file names (20-digit versions, checkpoint and `_last_checkpoint` names), commits
//    contiguous from 0 (or from the oldest checkpoint), one action per line, known action kinds,
//    at most one protocol/metaData/commitInfo per commit, protocol + metaData in version 0;
//  - every action's required fields and their JSON types (metaData.format/options/configuration
//    string maps, schemaString as a struct whose fields have a string name, a valid type, a
//    boolean nullable and an object or absent metadata; add/remove/cdc/txn/domainMetadata);
//  - add paths: URI-encoded relative paths whose file exists for every live add, partitionValues
//    a string-or-null map over exactly the partition columns, spelled as the protocol says for
//    the column type; stats a JSON string with numRecords and minValues/maxValues/nullCount in
//    the protocol's encodings (dates "YYYY-MM-DD", timestamps ISO-8601 with milliseconds,
//    decimals as numbers) for columns of the schema;
//  - protocol versions against the features in use (deletion vectors, column mapping,
//    timestamp_ntz, domain metadata, CDF, constraints, generated/identity columns, row tracking,
//    in-commit timestamps): reader 3 needs writer 7 and lists readerFeatures; writer 7 lists
//    writerFeatures; a feature in use must be declared (or covered by a legacy version);
//  - checkpoints: Parquet columns of the protocol's types, one action per row, one protocol and
//    one metaData, the same live files as replaying the JSON commits; `_last_checkpoint` names an
//    existing checkpoint, and its `size`, `parts`, `sizeInBytes` and `numOfAddFiles` are right.
// Not checked: the `checksum` of `_last_checkpoint` (strata does not write one), V2 checkpoint
// sidecars' contents, and the Parquet data files' own schemas.
//
// Thread safety: none; the connection is used for Parquet checkpoints.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "storage/object_store.h"

namespace strata::delta {

struct ConformanceReport {
  int64_t tables = 0;       // tables checked
  int64_t commits = 0;      // commit files read
  int64_t checkpoints = 0;  // checkpoint files read
  // One line per violation: "<file>[:line]: <what is wrong>" (file relative to the store).
  std::vector<std::string> problems;

  bool ok() const { return problems.empty(); }
  // "3 tables, 12 commits, 1 checkpoint: OK" or the count and the first `max_lines` problems.
  std::string Summary(size_t max_lines = 20) const;
};

// Checks the table at `table_root` ("" = the store root). A missing `_delta_log/` is NotFound;
// violations are problems in the report, not a failed Status (IO errors are).
Result<ConformanceReport> CheckTableConformance(storage::ObjectStore& store,
                                                std::string_view table_root,
                                                engine::Connection& connection);

// Every table whose `_delta_log/` lies under `prefix` ("" = the whole store), checked and
// summed into one report. No table found is an OK, empty report.
Result<ConformanceReport> CheckTablesConformance(storage::ObjectStore& store,
                                                 std::string_view prefix,
                                                 engine::Connection& connection);

}  // namespace strata::delta
