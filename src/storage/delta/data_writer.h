// Writes the Parquet data files of a Delta commit with DuckDB and describes them as add actions.
//
//   STRATA_ASSIGN_OR_RETURN(WrittenFiles out,
//       WriteDataFiles(conn, store, "lake/silver/x", schema, {"day"}, "SELECT ...", {}));
//   // out.adds go into the commit; until then the files are invisible (not in the log).
//
// Contract:
//  - `select_sql` returns exactly the columns of `schema`, in order, with ToSqlType types.
//  - Files are Parquet, zstd, row groups of 122,880 rows (DuckDB's default: each row group is
//    encoded by its own thread; 1M-row groups left a 1M-row file to one core), named
//    "<partition dirs>/part-<write uuid>-<n>.zstd.parquet". Partition columns are not stored in
//    the files; their values go to partitionValues in Delta's spelling, and the directories use
//    Hive/Spark escaping ("a/b" -> "a%2Fb", null -> __HIVE_DEFAULT_PARTITION__, "" -> null). The
//    add path is URI-encoded once more, as the protocol requires.
//  - On a local store, unpartitioned files are written in place (store.LocalPath) and fsynced;
//    partitioned writes land under "<root>/_strata_staging/<uuid>/" and are renamed into place
//    (PutFile). Other stores get files written to a local temp dir and moved with PutFile.
//  - Every add carries stats (numRecords, minValues, maxValues, nullCount; see file_stats.h)
//    and dataChange = `data_change`. Files with zero rows are deleted, not added.
//  - On error, files already moved into the store are deleted (best effort) and the staging
//    directory is removed; nothing is committed, so leftovers are invisible to readers either way.
// Thread safety: as the Connection (one thread at a time); the store may be shared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "engine/engine.h"
#include "storage/delta/actions.h"
#include "storage/delta/schema.h"
#include "storage/object_store.h"

namespace strata::delta {

struct DataWriteOptions {
  bool data_change = true;
  // Local directory for files bound for a non-local store; empty = $TMPDIR or /tmp.
  std::string temp_dir;
  Clock* clock = nullptr;  // modificationTime; nullptr = Clock::System()
};

struct WrittenFiles {
  std::vector<AddFile> adds;
  std::vector<std::string> keys;  // store keys of the files, for cleanup if the commit fails
  int64_t rows = 0;
  int64_t bytes = 0;
};

Result<WrittenFiles> WriteDataFiles(engine::Connection& conn, storage::ObjectStore& store,
                                    std::string_view table_root, const Schema& schema,
                                    const std::vector<std::string>& partition_columns,
                                    std::string_view select_sql,
                                    const DataWriteOptions& options = {});

// Deletes written files that never got committed (best effort; errors are ignored).
void DeleteUncommittedFiles(storage::ObjectStore& store, const std::vector<std::string>& keys);

// A SQL expression rendering `column_sql` (of Delta type `type`) as a Delta partition value
// string ("2024-01-31", "2024-01-31 10:00:00.000000" in UTC, "true", "12.50"), NULL for NULL.
// Unsupported for binary and nested types.
Result<std::string> PartitionValueSql(const DataType& type, const std::string& column_sql);

// Hive/Spark escaping of a partition directory name component.
std::string EscapePartitionPathName(std::string_view name);
// "col=value" for one partition column (null -> __HIVE_DEFAULT_PARTITION__).
std::string PartitionDirectory(std::string_view column, const std::optional<std::string>& value);

// A random RFC 4122 version 4 UUID ("8-4-4-4-12" lowercase hex), from the OS entropy source
// (safe across fork).
std::string NewUuid();

}  // namespace strata::delta
