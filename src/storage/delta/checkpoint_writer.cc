#include "storage/delta/checkpoint_writer.h"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "storage/delta/checkpoint_reader.h"
#include "storage/delta/data_writer.h"
#include "storage/delta/local_files.h"
#include "storage/delta/log_files.h"

namespace strata::delta {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kWeekMillis = 7LL * 24 * 3600 * 1000;

// The checkpoint schema (PROTOCOL.md "Checkpoint Schema"), as DuckDB types for read_json.
constexpr const char* kDvType =
    "STRUCT(storageType VARCHAR, pathOrInlineDv VARCHAR, \"offset\" INTEGER, sizeInBytes INTEGER, "
    "cardinality BIGINT)";
const std::string& ColumnsSpec(bool with_domains) {
  static const std::string kBase =
      std::string(
          "{protocol: 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, "
          "readerFeatures VARCHAR[], writerFeatures VARCHAR[])', ") +
      "metaData: 'STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider "
      "VARCHAR, options MAP(VARCHAR, VARCHAR)), schemaString VARCHAR, partitionColumns "
      "VARCHAR[], configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT)', " +
      "txn: 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)', " +
      "add: 'STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, "
      "modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR), "
      "deletionVector " +
      kDvType +
      ", baseRowId BIGINT, defaultRowCommitVersion BIGINT, clusteringProvider VARCHAR)', " +
      "remove: 'STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, "
      "extendedFileMetadata BOOLEAN, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, tags "
      "MAP(VARCHAR, VARCHAR), deletionVector " +
      kDvType + ", baseRowId BIGINT, defaultRowCommitVersion BIGINT)'";
  static const std::string kPlain = kBase + "}";
  static const std::string kDomains =
      kBase + ", domainMetadata: 'STRUCT(domain VARCHAR, configuration VARCHAR, removed BOOLEAN)'}";
  return with_domains ? kDomains : kPlain;
}

std::string TempBase(const std::string& dir) {
  if (!dir.empty()) return dir;
  const char* env = std::getenv("TMPDIR");
  return env != nullptr && *env != '\0' ? env : "/tmp";
}

std::string Decoded(const std::string& path) {
  auto d = DecodeUriPath(path);
  return d.ok() ? *d : path;
}

// Remove actions still inside the tombstone retention: from the checkpoint the snapshot was
// built on (if any) and the commits replayed after it.
Result<std::vector<RemoveFile>> CollectTombstones(engine::Connection& conn,
                                                  storage::ObjectStore& store, const Snapshot& snap,
                                                  int64_t cutoff_millis) {
  std::map<std::string, RemoveFile> tombstones;
  auto apply = [&](std::vector<Action>& actions) {
    for (Action& a : actions) {
      if (auto* r = std::get_if<RemoveFile>(&a)) {
        tombstones[Decoded(r->path)] = std::move(*r);
      } else if (auto* add = std::get_if<AddFile>(&a)) {
        tombstones.erase(Decoded(add->path));
      }
    }
  };
  const std::string prefix = DeltaLogPrefix(snap.table_root);
  int64_t start = 0;
  if (snap.checkpoint_version) {
    start = *snap.checkpoint_version + 1;
    STRATA_ASSIGN_OR_RETURN(
        std::vector<storage::ObjectInfo> objects,
        storage::ListAll(store, prefix + PaddedVersion(*snap.checkpoint_version) + ".checkpoint"));
    std::vector<std::string> keys;
    for (const auto& o : objects) {
      auto f = ParseLogFileName(o);
      if (f && f->parquet && f->type != LogFileType::kV2Checkpoint) keys.push_back(o.key);
    }
    if (!keys.empty()) {
      LocalFiles local;
      std::vector<std::string> paths;
      for (const auto& k : keys) {
        STRATA_ASSIGN_OR_RETURN(std::string p, local.PathFor(store, k));
        paths.push_back(std::move(p));
      }
      STRATA_ASSIGN_OR_RETURN(std::vector<Action> actions,
                              ReadParquetActions(conn, paths, keys.front()));
      apply(actions);
    }
  }
  for (int64_t v = start; v <= snap.version; ++v) {
    const std::string key = CommitKey(snap.table_root, v);
    STRATA_ASSIGN_OR_RETURN(std::string content, store.Get(key));
    STRATA_ASSIGN_OR_RETURN(std::vector<Action> actions, ParseCommitFile(content, key));
    apply(actions);
  }
  std::vector<RemoveFile> out;
  for (auto& [path, r] : tombstones) {
    if (r.deletion_timestamp.value_or(0) < cutoff_millis) continue;  // expired
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

int64_t DurationPropertyMillis(const Metadata& metadata, const std::string& key,
                               int64_t fallback_millis) {
  auto it = metadata.configuration.find(key);
  if (it == metadata.configuration.end()) return fallback_millis;
  // "interval 7 days", "7 days", "interval 1 week"
  std::string s = it->second;
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.rfind("interval ", 0) == 0) s = s.substr(9);
  char* end = nullptr;
  double n = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || n < 0) return fallback_millis;
  std::string unit(end);
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  if (!unit.empty() && unit.back() == 's') unit.pop_back();
  static const std::map<std::string, double> kUnits = {{"millisecond", 1}, {"second", 1e3},
                                                       {"minute", 6e4},    {"hour", 3.6e6},
                                                       {"day", 8.64e7},    {"week", 6.048e8}};
  auto u = kUnits.find(unit);
  if (u == kUnits.end()) return fallback_millis;
  return static_cast<int64_t>(n * u->second);
}

Result<CheckpointInfo> WriteCheckpoint(engine::Connection& conn, storage::ObjectStore& store,
                                       const Snapshot& snap, const CheckpointOptions& options) {
  Clock& clock = options.clock != nullptr ? *options.clock : Clock::System();
  const std::string where = "checkpoint of Delta table '" + snap.table_root + "' at version " +
                            std::to_string(snap.version);
  if (snap.protocol.HasWriterFeature("v2Checkpoint")) {
    return Status::Unsupported(where + ": the table requires V2 checkpoints");
  }
  const int64_t retention =
      DurationPropertyMillis(snap.metadata, "delta.deletedFileRetentionDuration", kWeekMillis);
  STRATA_ASSIGN_OR_RETURN(
      std::vector<RemoveFile> tombstones,
      CollectTombstones(conn, store, snap, clock.NowMicros() / 1000 - retention));

  CheckpointInfo info;
  info.version = snap.version;
  const std::string id = NewUuid();
  const std::string key =
      DeltaLogPrefix(snap.table_root) + PaddedVersion(snap.version) + ".checkpoint.parquet";
  // On a local store the staging JSON sits beside its target inside the table, so a connection
  // confined to the lake (engine::OpenConfined) can still read it.
  std::optional<std::string> local_json =
      store.LocalPath(storage::TemporaryKeyFor(key + ".json", id));
  const std::string json_path =
      local_json ? *local_json : TempBase(options.temp_dir) + "/strata-checkpoint-" + id + ".json";
  struct RemoveOnExit {
    std::string path;
    ~RemoveOnExit() {
      std::error_code ec;
      fs::remove(path, ec);
    }
  } json_guard{json_path};
  {
    std::ofstream out(json_path, std::ios::binary);
    if (!out) return Status::IOError(where + ": cannot create " + json_path);
    auto write = [&](const Action& a) {
      out << SerializeAction(a) << '\n';
      ++info.actions;
    };
    write(snap.protocol);
    write(snap.metadata);
    for (const auto& [app, version] : snap.app_versions) write(SetTransaction{app, version, {}});
    for (const auto& [name, domain] : snap.domains) write(domain);
    for (const AddFile& f : snap.files) {
      AddFile add = f;
      add.data_change = false;  // checkpoint adds describe state, not a change
      write(add);
      ++info.add_files;
    }
    for (RemoveFile& r : tombstones) {
      r.data_change = false;
      write(r);
      ++info.tombstones;
    }
    out.close();
    if (!out) return Status::IOError(where + ": cannot write " + json_path);
  }

  std::optional<std::string> local = store.LocalPath(storage::TemporaryKeyFor(key, id));
  const std::string target =
      local ? *local : TempBase(options.temp_dir) + "/strata-checkpoint-" + id + ".parquet";
  struct RemoveOnExit target_guard {
    target
  };  // gone after PutFile; cleans up on failure
  const std::string sql =
      "COPY (SELECT * FROM read_json(" + engine::QuoteLiteral(json_path) +
      ", format='newline_delimited', columns=" + ColumnsSpec(!snap.domains.empty()) + ")) TO " +
      engine::QuoteLiteral(target) + " (FORMAT parquet, COMPRESSION snappy)";
  Status copied = conn.Execute(sql);
  if (!copied.ok()) return copied.WithContext(where);
  std::error_code ec;
  info.size_bytes = static_cast<int64_t>(fs::file_size(target, ec));
  STRATA_RETURN_IF_ERROR(store.PutFile(key, target).WithContext(where));

  nlohmann::ordered_json last;
  last["version"] = snap.version;
  last["size"] = info.actions;
  last["sizeInBytes"] = info.size_bytes;
  last["numOfAddFiles"] = info.add_files;
  STRATA_RETURN_IF_ERROR(
      store.Put(LastCheckpointKey(snap.table_root), last.dump()).WithContext(where));
  return info;
}

}  // namespace strata::delta
