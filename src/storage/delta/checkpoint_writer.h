// Writes classic single-file Delta checkpoints (PROTOCOL.md "Checkpoints"): the state of a
// snapshot as one Parquet file `_delta_log/<version>.checkpoint.parquet`, written by DuckDB, plus
// the `_delta_log/_last_checkpoint` hint.
//
// Contract:
//  - The Parquet schema is the one the protocol requires: one nullable struct column per action
//    kind (protocol, metaData, txn, add, remove, and domainMetadata when the table has domains),
//    one action per row; partitionValues/tags/configuration/format.options are MAP(VARCHAR,
//    VARCHAR), add.stats is the JSON string. Readers (ours, Spark, delta-rs) replay it.
//  - Remove tombstones younger than delta.deletedFileRetentionDuration (default 1 week;
//    `interval N unit` spelling) are kept, so other engines' VACUUM still sees them.
//  - The file appears atomically (temp file + rename/PutFile): a crash leaves no torn
//    checkpoint. _last_checkpoint is written after it with Put (atomic replace).
//  - Writing a checkpoint that exists already replaces it with an equivalent one.
// Thread safety: uses `conn` (one thread at a time); the store may be shared.
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "engine/engine.h"
#include "storage/delta/snapshot.h"
#include "storage/object_store.h"

namespace strata::delta {

struct CheckpointOptions {
  Clock* clock = nullptr;  // for tombstone expiry; nullptr = Clock::System()
  std::string temp_dir;    // for non-local stores; empty = $TMPDIR or /tmp
};

struct CheckpointInfo {
  int64_t version = 0;
  int64_t actions = 0;    // rows of the checkpoint
  int64_t add_files = 0;  // live files
  int64_t tombstones = 0;
  int64_t size_bytes = 0;
};

// Checkpoints `snapshot` (which must come from LoadSnapshot, so its version is committed).
Result<CheckpointInfo> WriteCheckpoint(engine::Connection& conn, storage::ObjectStore& store,
                                       const Snapshot& snapshot,
                                       const CheckpointOptions& options = {});

// delta.deletedFileRetentionDuration (or delta.logRetentionDuration style "interval 7 days") in
// milliseconds; `fallback_millis` if unset or unparsable.
int64_t DurationPropertyMillis(const Metadata& metadata, const std::string& key,
                               int64_t fallback_millis);

}  // namespace strata::delta
