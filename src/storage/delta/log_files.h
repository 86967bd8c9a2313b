// Names and keys of the files of a Delta table (PROTOCOL.md "Delta Log Entries"), and the
// decoding of the URI paths that add/remove actions carry.
//
// Contract:
//  - A table lives under a store key prefix `table_root` ("" = the store root, else a key
//    without a trailing '/'); its log is `<root>/_delta_log/`.
//  - ParseLogFileName recognizes commits, classic and multi-part checkpoints, V2 checkpoints
//    (UUID-named, JSON or Parquet) and compacted logs; anything else (".crc", "_last_checkpoint",
//    temporary files) is nullopt.
//  - DecodeUriPath decodes %XX exactly once; a malformed escape is Corruption.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "storage/object_store.h"

namespace strata::delta {

enum class LogFileType {
  kCommit,               // 00000000000000000007.json
  kCheckpoint,           // 00000000000000000010.checkpoint.parquet
  kMultiPartCheckpoint,  // 00000000000000000010.checkpoint.0000000001.0000000003.parquet
  kV2Checkpoint,         // 00000000000000000010.checkpoint.<uuid>.json|parquet
  kCompactedLog,         // 00000000000000000004.00000000000000000006.compacted.json
};

struct LogFile {
  LogFileType type = LogFileType::kCommit;
  int64_t version = 0;
  int part = 1;       // kMultiPartCheckpoint
  int num_parts = 1;  // kMultiPartCheckpoint
  bool parquet = false;
  storage::ObjectInfo object;  // key, size, modification time
};

// `object.key` is a full store key; only its last component is inspected.
std::optional<LogFile> ParseLogFileName(const storage::ObjectInfo& object);

// "<root>/<relative>" (or just `relative` when root is empty).
std::string JoinKey(std::string_view root, std::string_view relative);
std::string DeltaLogPrefix(std::string_view table_root);              // "<root>/_delta_log/"
std::string CommitKey(std::string_view table_root, int64_t version);  // ".../%020d.json"
std::string LastCheckpointKey(std::string_view table_root);
// "%020lld": the zero-padded version used in log file names.
std::string PaddedVersion(int64_t version);

// Percent-decodes a URI path once ("a%20b%252" -> "a b%2").
Result<std::string> DecodeUriPath(std::string_view path);
// Percent-encodes what a Delta path must not carry raw (space, %, #, ?, non-ASCII...), keeping
// '/' and the characters Spark leaves alone. For writers: DecodeUriPath(EncodeUriPath(p)) == p.
std::string EncodeUriPath(std::string_view path);

// Where the bytes of a file named by an add/remove/DV path are: a key in the table's store, or
// (for an absolute file:// URI outside it) a local filesystem path.
struct FileLocation {
  std::optional<std::string> key;
  std::optional<std::string> local_path;
  std::string Describe() const;  // for error messages
};

// Resolves an action path: relative URIs are decoded and joined to the table root; absolute
// "file:" URIs become local paths (or store keys when under the store's own file:// root).
// Other schemes (s3://, abfss://...) are Unsupported, naming the path.
Result<FileLocation> ResolveActionPath(const storage::ObjectStore& store,
                                       std::string_view table_root, std::string_view path);

}  // namespace strata::delta
