// Internal to the Delta write path (delta_table.cc, delta_dml.cc, maintenance.cc): the planned
// commit of one operation and the copy-on-write building blocks they share. Not a public API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "storage/delta/commit.h"
#include "storage/delta/data_writer.h"
#include "storage/delta/delta_table.h"
#include "storage/delta/scan.h"
#include "storage/delta/snapshot.h"

namespace strata::delta {

struct DeltaTable::Prepared {
  CommitRequest request;
  std::vector<std::string> written_keys;  // deleted if the commit definitely fails
  bool nothing_to_do = false;
  bool already_applied = false;
  std::optional<SetTransaction> txn;
};

// Columns of a query's result, without running it.
Result<std::vector<engine::Column>> QueryColumns(engine::Connection& conn, std::string_view sql);

// A copy of `snap` whose active files are `files` (to scan a subset with PlanScan).
Snapshot WithFiles(const Snapshot& snap, std::vector<AddFile> files);

// The remove action for an active file.
RemoveFile RemoveFor(const AddFile& file, int64_t now_millis, bool data_change);

// A JSON array of strings as one string (Spark's spelling of partitionBy and predicate params).
std::string JsonStringList(const std::vector<std::string>& items);
// Human-readable predicates for commitInfo ("id < 5", "day = '2024-01-01'").
std::vector<std::string> DescribePredicates(const std::vector<Predicate>& preds,
                                            std::string_view where_sql);
// `value` of an integer table property, or `fallback`.
int64_t IntProperty(const Metadata& metadata, const std::string& key, int64_t fallback);
bool BoolProperty(const Metadata& metadata, const std::string& key);

// Per-file counts of rows satisfying `condition_sql` (a boolean over logical columns): for each
// file in `files`, {matching rows, all rows}.
struct FileMatch {
  AddFile file;
  int64_t matching = 0;
  int64_t total = 0;
};
Result<std::vector<FileMatch>> CountMatches(engine::Connection& conn, storage::ObjectStore& store,
                                            const Snapshot& snap, const std::vector<AddFile>& files,
                                            const std::string& condition_sql,
                                            const std::string& temp_dir);

// Copy-on-write deletion of the rows matching `preds` AND `where_sql`: files with no match are
// untouched, fully matching files are removed, the rest are rewritten without the rows.
struct RowDeletion {
  std::vector<RemoveFile> removes;
  WrittenFiles rewritten;
  std::vector<std::string> read_files;  // every file that may have matched (read)
  int64_t deleted_rows = 0;
  int64_t copied_rows = 0;
  int64_t removed_bytes = 0;
};
Result<RowDeletion> DeleteMatchingRows(engine::Connection& conn, storage::ObjectStore& store,
                                       const Snapshot& snap, const std::vector<Predicate>& preds,
                                       std::string_view where_sql,
                                       const DataWriteOptions& write_options);

}  // namespace strata::delta
