#include "storage/delta/snapshot.h"

#include <algorithm>
#include <ctime>
#include <memory>
#include <utility>

#include "storage/delta/checkpoint_reader.h"
#include "storage/delta/local_files.h"
#include "storage/delta/log_files.h"

namespace strata::delta {
namespace {

struct Listing {
  std::map<int64_t, LogFile> commits;
  std::map<int64_t, std::vector<LogFile>> checkpoints;
  int64_t Latest() const {
    int64_t latest = -1;
    if (!commits.empty()) latest = commits.rbegin()->first;
    if (!checkpoints.empty()) latest = std::max(latest, checkpoints.rbegin()->first);
    return latest;
  }
};

Result<Listing> ListLog(storage::ObjectStore& store, std::string_view root) {
  const std::string prefix = DeltaLogPrefix(root);
  STRATA_ASSIGN_OR_RETURN(std::vector<storage::ObjectInfo> objects,
                          storage::ListAll(store, prefix));
  Listing listing;
  for (const auto& obj : objects) {
    std::string_view rest = std::string_view(obj.key).substr(prefix.size());
    if (rest.find('/') != std::string_view::npos) continue;  // _sidecars/, _staged_commits/...
    std::optional<LogFile> f = ParseLogFileName(obj);
    if (!f) continue;
    if (f->type == LogFileType::kCommit) {
      listing.commits[f->version] = std::move(*f);
    } else if (f->type != LogFileType::kCompactedLog) {
      listing.checkpoints[f->version].push_back(std::move(*f));
    }
  }
  return listing;
}

// A complete checkpoint: one classic file, all parts of a multi-part one, or one V2 file.
struct CheckpointChoice {
  int64_t version = 0;
  std::vector<LogFile> files;
};

std::vector<CheckpointChoice> Candidates(const Listing& listing, int64_t target) {
  std::vector<CheckpointChoice> out;
  for (auto it = listing.checkpoints.rbegin(); it != listing.checkpoints.rend(); ++it) {
    if (it->first > target) continue;
    std::map<int, std::map<int, LogFile>> multipart;  // num_parts -> part -> file
    for (const LogFile& f : it->second) {
      if (f.type == LogFileType::kV2Checkpoint || f.type == LogFileType::kCheckpoint) {
        out.push_back({it->first, {f}});
      } else {
        multipart[f.num_parts][f.part] = f;
      }
    }
    for (auto& [num_parts, parts] : multipart) {
      if (static_cast<int>(parts.size()) != num_parts) continue;  // incomplete: skip
      CheckpointChoice choice{it->first, {}};
      for (auto& [part, f] : parts) choice.files.push_back(f);
      out.push_back(std::move(choice));
    }
  }
  return out;
}

std::string FileKey(const std::string& path, const std::optional<DeletionVectorDescriptor>& dv) {
  // Paths are compared decoded, so "a%20b" in one action matches "a b"-encoded differently.
  auto decoded = DecodeUriPath(path);
  std::string key = decoded.ok() ? *decoded : path;
  key += '\0';
  if (dv) key += dv->UniqueId();
  return key;
}

struct ReplayState {
  std::optional<Protocol> protocol;
  std::optional<Metadata> metadata;
  std::map<std::string, AddFile> active;
  std::map<std::string, int64_t> app_versions;
  std::map<std::string, DomainMetadata> domains;
  std::vector<Sidecar> sidecars;

  // Removes before adds within one commit: a commit may remove (p, dv1) and add (p, dv2).
  void Apply(std::vector<Action>& actions) {
    for (Action& a : actions) {
      if (auto* r = std::get_if<RemoveFile>(&a)) active.erase(FileKey(r->path, r->deletion_vector));
    }
    for (Action& a : actions) {
      if (auto* add = std::get_if<AddFile>(&a)) {
        std::string key = FileKey(add->path, add->deletion_vector);
        active[key] = std::move(*add);
      } else if (auto* p = std::get_if<Protocol>(&a)) {
        protocol = std::move(*p);
      } else if (auto* m = std::get_if<Metadata>(&a)) {
        metadata = std::move(*m);
      } else if (auto* t = std::get_if<SetTransaction>(&a)) {
        app_versions[t->app_id] = t->version;
      } else if (auto* d = std::get_if<DomainMetadata>(&a)) {
        if (d->removed) {
          domains.erase(d->domain);
        } else {
          domains[d->domain] = std::move(*d);
        }
      } else if (auto* s = std::get_if<Sidecar>(&a)) {
        sidecars.push_back(std::move(*s));
      }
    }
  }
};

std::string FormatMillis(int64_t millis) {
  std::time_t secs = static_cast<std::time_t>(millis / 1000 - (millis % 1000 < 0 ? 1 : 0));
  int64_t ms = ((millis % 1000) + 1000) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof(out), "%s.%03lldZ", buf, static_cast<long long>(ms));
  return out;
}

// Reads one commit file and returns its actions and its commit entry.
Result<std::vector<Action>> ReadCommit(storage::ObjectStore& store, const LogFile& file,
                                       CommitEntry* entry) {
  STRATA_ASSIGN_OR_RETURN(std::string content, store.Get(file.object.key));
  STRATA_ASSIGN_OR_RETURN(std::vector<Action> actions, ParseCommitFile(content, file.object.key));
  entry->version = file.version;
  entry->timestamp_millis = file.object.modified_micros / 1000;
  for (const Action& a : actions) {
    if (const auto* c = std::get_if<CommitInfo>(&a)) {
      entry->info = *c;
      if (c->in_commit_timestamp) {
        entry->timestamp_millis = *c->in_commit_timestamp;
      } else if (c->timestamp) {
        entry->timestamp_millis = *c->timestamp;
      }
      break;
    }
  }
  return actions;
}

// Opens a private in-memory DuckDB only when a Parquet checkpoint has to be read.
class ConnectionSource {
 public:
  explicit ConnectionSource(engine::Connection* given) : given_(given) {}
  Result<engine::Connection*> Get() {
    if (given_ != nullptr) return given_;
    if (!own_conn_) {
      STRATA_ASSIGN_OR_RETURN(own_db_, engine::Database::Open(engine::DatabaseOptions{}));
      STRATA_ASSIGN_OR_RETURN(own_conn_, own_db_->Connect());
    }
    return own_conn_.get();
  }

 private:
  engine::Connection* given_;
  std::unique_ptr<engine::Database> own_db_;
  std::unique_ptr<engine::Connection> own_conn_;
};

Result<std::vector<Action>> ReadParquetKeys(storage::ObjectStore& store, ConnectionSource& conns,
                                            LocalFiles& local, const std::vector<std::string>& keys,
                                            const std::string& describe) {
  std::vector<std::string> paths;
  for (const std::string& key : keys) {
    STRATA_ASSIGN_OR_RETURN(std::string path, local.PathFor(store, key));
    paths.push_back(std::move(path));
  }
  STRATA_ASSIGN_OR_RETURN(engine::Connection * conn, conns.Get());
  return ReadParquetActions(*conn, paths, describe);
}

Status LoadCheckpoint(storage::ObjectStore& store, std::string_view root,
                      const CheckpointChoice& choice, ConnectionSource& conns, ReplayState* state) {
  LocalFiles local;
  const LogFile& first = choice.files.front();
  std::vector<Action> actions;
  if (!first.parquet) {  // V2 checkpoint in JSON
    STRATA_ASSIGN_OR_RETURN(std::string content, store.Get(first.object.key));
    STRATA_ASSIGN_OR_RETURN(actions, ParseCommitFile(content, first.object.key));
  } else {
    std::vector<std::string> keys;
    for (const LogFile& f : choice.files) keys.push_back(f.object.key);
    STRATA_ASSIGN_OR_RETURN(actions, ReadParquetKeys(store, conns, local, keys, first.object.key));
  }
  state->Apply(actions);
  if (state->sidecars.empty()) return Status::OK();
  if (first.type != LogFileType::kV2Checkpoint) {
    return Status::Corruption("checkpoint " + first.object.key +
                              " has sidecar actions but is not "
                              "a V2 checkpoint");
  }
  std::vector<std::string> keys;
  for (const Sidecar& s : state->sidecars) {
    STRATA_ASSIGN_OR_RETURN(std::string rel, DecodeUriPath(s.path));
    keys.push_back(rel.find(':') != std::string::npos ? rel
                                                      : DeltaLogPrefix(root) + "_sidecars/" + rel);
  }
  state->sidecars.clear();
  STRATA_ASSIGN_OR_RETURN(
      std::vector<Action> sidecar_actions,
      ReadParquetKeys(store, conns, local, keys, "sidecars of " + first.object.key));
  state->Apply(sidecar_actions);
  return Status::OK();
}

// The latest version whose commit timestamp is <= `millis`; timestamps are monotonic in
// version, so a binary search reads O(log n) commit files.
Result<int64_t> VersionAtTimestamp(storage::ObjectStore& store, const Listing& listing,
                                   int64_t millis) {
  std::vector<const LogFile*> commits;
  for (const auto& [v, f] : listing.commits) commits.push_back(&f);
  if (commits.empty()) return Status::NotFound("no commit files to time travel over");
  auto ts_of = [&](size_t i) -> Result<int64_t> {
    CommitEntry entry;
    STRATA_ASSIGN_OR_RETURN(std::vector<Action> ignored, ReadCommit(store, *commits[i], &entry));
    return entry.timestamp_millis;
  };
  STRATA_ASSIGN_OR_RETURN(int64_t first_ts, ts_of(0));
  if (millis < first_ts) {
    return Status::InvalidArgument(
        "timestamp " + FormatMillis(millis) + " is before the earliest available commit (version " +
        std::to_string(commits[0]->version) + " at " + FormatMillis(first_ts) + ")");
  }
  size_t lo = 0, hi = commits.size() - 1;  // invariant: ts(lo) <= millis
  while (lo < hi) {
    size_t mid = lo + (hi - lo + 1) / 2;
    STRATA_ASSIGN_OR_RETURN(int64_t ts, ts_of(mid));
    if (ts <= millis) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return commits[lo]->version;
}

}  // namespace

int64_t Snapshot::TotalBytes() const {
  int64_t total = 0;
  for (const AddFile& f : files) total += f.size;
  return total;
}

std::optional<int64_t> Snapshot::AppVersion(std::string_view app_id) const {
  auto it = app_versions.find(std::string(app_id));
  if (it == app_versions.end()) return std::nullopt;
  return it->second;
}

const std::vector<std::string>& SupportedReaderFeatures() {
  static const std::vector<std::string> kFeatures = {
      "columnMapping",       "deletionVectors", "timestampNtz",        "v2Checkpoint",
      "vacuumProtocolCheck", "typeWidening",    "typeWidening-preview"};
  return kFeatures;
}

Status CheckReadSupported(const Protocol& protocol, const Metadata* metadata) {
  if (protocol.min_reader_version < 1 || protocol.min_reader_version > 3) {
    return Status::Unsupported("table requires Delta reader version " +
                               std::to_string(protocol.min_reader_version) +
                               "; strata reads versions 1 to 3");
  }
  if (protocol.min_reader_version == 3) {
    const auto& supported = SupportedReaderFeatures();
    for (const std::string& f : protocol.reader_features.value_or(std::vector<std::string>{})) {
      if (std::find(supported.begin(), supported.end(), f) == supported.end()) {
        return Status::Unsupported("table requires Delta reader feature '" + f +
                                   "', which strata does not support");
      }
    }
  }
  if (metadata != nullptr) {
    STRATA_RETURN_IF_ERROR(GetColumnMappingMode(*metadata).status());
  }
  return Status::OK();
}

Result<std::optional<int64_t>> LatestVersion(storage::ObjectStore& store,
                                             std::string_view table_root) {
  STRATA_ASSIGN_OR_RETURN(Listing listing, ListLog(store, table_root));
  int64_t latest = listing.Latest();
  if (latest < 0) return std::optional<int64_t>();
  return std::optional<int64_t>(latest);
}

Result<Snapshot> LoadSnapshot(storage::ObjectStore& store, std::string_view table_root,
                              const SnapshotOptions& options) {
  const std::string where = "Delta table '" + std::string(table_root) + "'";
  if (options.version && options.timestamp_millis) {
    return Status::InvalidArgument(where + ": give a version or a timestamp, not both");
  }
  STRATA_ASSIGN_OR_RETURN(Listing listing, ListLog(store, table_root));
  const int64_t latest = listing.Latest();
  if (latest < 0) return Status::NotFound(where + ": no commits in " + DeltaLogPrefix(table_root));
  int64_t target = latest;
  if (options.version) {
    if (*options.version < 0 || *options.version > latest) {
      return Status::NotFound(where + ": version " + std::to_string(*options.version) +
                              " does not exist (latest is " + std::to_string(latest) + ")");
    }
    target = *options.version;
  } else if (options.timestamp_millis) {
    auto v = VersionAtTimestamp(store, listing, *options.timestamp_millis);
    if (!v.ok()) return v.status().WithContext(where);
    target = *v;
  }

  ConnectionSource conns(options.connection);
  ReplayState state;
  std::optional<int64_t> checkpoint_version;
  Status checkpoint_error;
  for (const CheckpointChoice& choice : Candidates(listing, target)) {
    ReplayState attempt;
    Status s = LoadCheckpoint(store, table_root, choice, conns, &attempt);
    if (s.ok()) {
      state = std::move(attempt);
      checkpoint_version = choice.version;
      break;
    }
    // An unreadable checkpoint is skipped in favour of an older one (or the commits), as the
    // protocol allows; the error is reported only if nothing else can reconstruct the version.
    if (checkpoint_error.ok()) checkpoint_error = s;
  }

  const int64_t start = checkpoint_version ? *checkpoint_version + 1 : 0;
  for (int64_t v = start; v <= target; ++v) {
    if (listing.commits.count(v) == 0) {
      if (!checkpoint_error.ok()) return checkpoint_error.WithContext(where);
      if (v == 0 && !listing.commits.empty() && listing.commits.begin()->first > target) {
        return Status::NotFound(where + ": version " + std::to_string(target) +
                                " can no longer be reconstructed (oldest commit is " +
                                std::to_string(listing.commits.begin()->first) + ")");
      }
      return Status::Corruption(where + ": versions are not contiguous: version " +
                                std::to_string(v) + " is missing from " +
                                DeltaLogPrefix(table_root));
    }
  }

  Snapshot snap;
  for (int64_t v = start; v <= target; ++v) {
    CommitEntry entry;
    STRATA_ASSIGN_OR_RETURN(std::vector<Action> actions,
                            ReadCommit(store, listing.commits.at(v), &entry));
    state.Apply(actions);
    snap.commits.push_back(std::move(entry));
  }

  if (!state.protocol) return Status::Corruption(where + ": no protocol action in the log");
  if (!state.metadata) return Status::Corruption(where + ": no metaData action in the log");
  STRATA_RETURN_IF_ERROR(CheckReadSupported(*state.protocol, &*state.metadata).WithContext(where));
  auto schema = ParseSchema(state.metadata->schema_string);
  if (!schema.ok()) return schema.status().WithContext(where);
  STRATA_ASSIGN_OR_RETURN(snap.column_mapping, GetColumnMappingMode(*state.metadata));

  snap.table_root = std::string(table_root);
  snap.version = target;
  snap.protocol = std::move(*state.protocol);
  snap.metadata = std::move(*state.metadata);
  snap.schema = std::move(schema).value();
  snap.app_versions = std::move(state.app_versions);
  snap.domains = std::move(state.domains);
  snap.checkpoint_version = checkpoint_version;
  snap.files.reserve(state.active.size());
  for (auto& [key, add] : state.active) snap.files.push_back(std::move(add));
  std::sort(snap.files.begin(), snap.files.end(),
            [](const AddFile& a, const AddFile& b) { return a.path < b.path; });
  return snap;
}

Result<std::vector<CommitEntry>> ReadHistory(storage::ObjectStore& store,
                                             std::string_view table_root,
                                             std::optional<int64_t> up_to_version, size_t limit) {
  STRATA_ASSIGN_OR_RETURN(Listing listing, ListLog(store, table_root));
  std::vector<CommitEntry> out;
  for (auto it = listing.commits.rbegin(); it != listing.commits.rend(); ++it) {
    if (up_to_version && it->first > *up_to_version) continue;
    if (limit != 0 && out.size() >= limit) break;
    CommitEntry entry;
    STRATA_ASSIGN_OR_RETURN(std::vector<Action> ignored, ReadCommit(store, it->second, &entry));
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace strata::delta
