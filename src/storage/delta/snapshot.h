// Snapshot: the state of a Delta table at one version, built by log replay (PROTOCOL.md "Action
// Reconciliation") over an ObjectStore.
//
// LoadSnapshot reads `_delta_log/_last_checkpoint` as a hint (a corrupt or empty one falls back
// to listing), lists `_delta_log/`, picks the newest complete checkpoint at or below the target
// version (classic single-file, multi-part, or V2 in JSON or Parquet with `_sidecars/`), replays
// the JSON commits after it and reconciles add/remove on (path, deletion vector id).
//
// Contract:
//  - Versions must be contiguous from the checkpoint (or 0) to the target: a gap is Corruption
//    naming the missing version. No commit and no checkpoint at all is NotFound.
//  - A table whose protocol needs what we cannot read (reader version > 3, or a reader feature
//    not in SupportedReaderFeatures()) is Unsupported naming the version or the feature. We
//    never return a snapshot we would read wrongly.
//  - Time travel: `version` selects exactly that version (NotFound if it is past the latest or
//    before the oldest reconstructable one). `timestamp_millis` selects the latest version whose
//    commit timestamp is <= it (inCommitTimestamp when enabled, else commitInfo.timestamp, else
//    the commit file's modification time); a timestamp before the first commit is
//    InvalidArgument naming the earliest commit time.
//  - Side files (`.crc`, `_SUCCESS`, temporary files, compacted logs) are ignored.
// Thread safety: a Snapshot is immutable after loading; share it freely.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "storage/delta/actions.h"
#include "storage/delta/schema.h"
#include "storage/object_store.h"

namespace strata::delta {

// One entry of a table's history: the commitInfo of a version (empty json if none was written).
struct CommitEntry {
  int64_t version = 0;
  int64_t timestamp_millis = 0;  // as used for time travel (see above)
  CommitInfo info;
};

struct Snapshot {
  std::string table_root;  // the store key prefix of the table ("" = the store root)
  int64_t version = -1;
  Protocol protocol;
  Metadata metadata;
  Schema schema;
  ColumnMappingMode column_mapping = ColumnMappingMode::kNone;
  // Active files, sorted by path. Paths are as in the log (percent-encoded URIs).
  std::vector<AddFile> files;
  std::map<std::string, int64_t> app_versions;    // SetTransaction: appId -> latest version
  std::map<std::string, DomainMetadata> domains;  // live (not removed) domain metadata
  std::optional<int64_t> checkpoint_version;      // the checkpoint replay started from
  // History of the commits replayed after the checkpoint (ascending by version). For the whole
  // history use ReadHistory.
  std::vector<CommitEntry> commits;

  const std::vector<std::string>& partition_columns() const { return metadata.partition_columns; }
  int64_t TotalBytes() const;
  std::optional<int64_t> AppVersion(std::string_view app_id) const;
};

struct SnapshotOptions {
  std::optional<int64_t> version;           // time travel by version
  std::optional<int64_t> timestamp_millis;  // time travel by timestamp (exclusive with version)
  // Used to read Parquet checkpoints. nullptr: a private in-memory DuckDB is opened on demand.
  engine::Connection* connection = nullptr;
};

Result<Snapshot> LoadSnapshot(storage::ObjectStore& store, std::string_view table_root,
                              const SnapshotOptions& options = {});

// The latest committed version (from listing `_delta_log/`), or nullopt if the table has no
// commit yet. For writers: the next commit is version + 1.
Result<std::optional<int64_t>> LatestVersion(storage::ObjectStore& store,
                                             std::string_view table_root);

// commitInfo of every version whose commit file still exists, newest first, at most `limit`
// entries (0 = all), up to `up_to_version` if set.
Result<std::vector<CommitEntry>> ReadHistory(storage::ObjectStore& store,
                                             std::string_view table_root,
                                             std::optional<int64_t> up_to_version = std::nullopt,
                                             size_t limit = 0);

// Reader features this implementation reads correctly.
const std::vector<std::string>& SupportedReaderFeatures();
// OK if we can read a table with this protocol, else Unsupported naming what we lack.
Status CheckReadSupported(const Protocol& protocol, const Metadata* metadata);

}  // namespace strata::delta
