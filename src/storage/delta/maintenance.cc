// DeltaTable maintenance: OPTIMIZE (bin-packing compaction), VACUUM and on-demand checkpoints.
#include <algorithm>
#include <map>
#include <set>

#include "storage/delta/checkpoint_writer.h"
#include "storage/delta/deletion_vector.h"
#include "storage/delta/delta_table.h"
#include "storage/delta/log_files.h"
#include "storage/delta/table_ops.h"

namespace strata::delta {
namespace {

constexpr int64_t kMinRetentionHours = 168;

std::string Str(int64_t v) { return std::to_string(v); }

// True for files VACUUM must not touch: the log, and anything under a directory (or with a
// name) starting with '_' or '.', unless it is a partition directory ("_col=value") or our
// own staging area, whose leftovers are garbage.
bool IsHidden(std::string_view relative) {
  if (relative.rfind("_delta_log/", 0) == 0) return true;
  if (relative.rfind("_strata_staging/", 0) == 0) return false;
  size_t start = 0;
  while (start < relative.size()) {
    size_t slash = relative.find('/', start);
    std::string_view part = relative.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    const bool is_dir = slash != std::string_view::npos;
    if (!part.empty() && (part[0] == '_' || part[0] == '.') &&
        !(is_dir && part.find('=') != std::string_view::npos)) {
      return true;
    }
    if (!is_dir) break;
    start = slash + 1;
  }
  return false;
}

}  // namespace

Result<int64_t> DeltaTable::Checkpoint(std::optional<int64_t> version) {
  STRATA_ASSIGN_OR_RETURN(Snapshot snap, Load(version));
  CheckpointOptions o;
  o.clock = options_.clock;
  o.temp_dir = options_.temp_dir;
  STRATA_ASSIGN_OR_RETURN(CheckpointInfo info, WriteCheckpoint(conn_, *store_, snap, o));
  return info.version;
}

Result<CommitResult> DeltaTable::Optimize(const OptimizeOptions& options) {
  return Run(0, true, [&](const Snapshot* snap) -> Result<Prepared> {
    Prepared p;
    // Small files grouped by partition (the serialized partition values are the group key).
    std::map<std::string, std::vector<AddFile>> groups;
    for (const AddFile& f : snap->files) {
      if (f.size >= options.target_file_bytes) continue;
      STRATA_ASSIGN_OR_RETURN(bool in_scope, FileMayMatch(*snap, f, options.where));
      if (!in_scope) continue;
      std::string group;
      for (const auto& [column, value] : f.partition_values) {
        group += column + (value ? "=" + *value : "\x01null") + '\0';
      }
      groups[group].push_back(f);
    }
    // Bin-pack each partition's small files (largest first) into bins of at most the target.
    std::vector<std::vector<AddFile>> bins;
    for (auto& [key, files] : groups) {
      if (files.size() < std::max<size_t>(options.min_files, 2)) continue;
      std::sort(files.begin(), files.end(),
                [](const AddFile& a, const AddFile& b) { return a.size > b.size; });
      std::vector<std::vector<AddFile>> partition_bins;
      std::vector<int64_t> sizes;
      for (const AddFile& f : files) {
        size_t i = 0;
        while (i < partition_bins.size() && sizes[i] + f.size > options.target_file_bytes) ++i;
        if (i == partition_bins.size()) {
          partition_bins.emplace_back();
          sizes.push_back(0);
        }
        partition_bins[i].push_back(f);
        sizes[i] += f.size;
      }
      for (auto& b : partition_bins) {
        if (b.size() >= 2) bins.push_back(std::move(b));
      }
    }
    if (bins.empty()) {
      p.nothing_to_do = true;
      return p;
    }
    DataWriteOptions wo;
    wo.clock = options_.clock;
    wo.temp_dir = options_.temp_dir;
    wo.data_change = false;  // same rows, new files: readers of changes skip this commit
    ScanOptions so;
    so.temp_dir = options_.temp_dir;
    CommitRequest& r = p.request;
    const int64_t now = clock().NowMicros() / 1000;
    int64_t removed_files = 0, removed_bytes = 0, added_bytes = 0, added_files = 0;
    for (const auto& bin : bins) {
      STRATA_ASSIGN_OR_RETURN(ScanPlan scan, PlanScan(WithFiles(*snap, bin), *store_, conn_, so));
      Result<WrittenFiles> files = WriteDataFiles(conn_, *store_, root_, snap->schema,
                                                  snap->partition_columns(), scan.sql(), wo);
      if (!files.ok()) {
        DeleteUncommittedFiles(*store_, p.written_keys);
        return files.status();
      }
      p.written_keys.insert(p.written_keys.end(), files->keys.begin(), files->keys.end());
      for (const AddFile& f : bin) {
        r.actions.emplace_back(RemoveFor(f, now, false));
        r.read.files.push_back(f.path);
        ++removed_files;
        removed_bytes += f.size;
      }
      for (AddFile& a : files->adds) r.actions.emplace_back(std::move(a));
      added_files += static_cast<int64_t>(files->keys.size());
      added_bytes += files->bytes;
    }
    r.operation = "OPTIMIZE";
    r.operation_parameters["predicate"] = JsonStringList(DescribePredicates(options.where, ""));
    r.operation_parameters["zOrderBy"] = "[]";
    r.operation_metrics["numRemovedFiles"] = Str(removed_files);
    r.operation_metrics["numAddedFiles"] = Str(added_files);
    r.operation_metrics["numRemovedBytes"] = Str(removed_bytes);
    r.operation_metrics["numAddedBytes"] = Str(added_bytes);
    return p;
  });
}

Result<VacuumResult> DeltaTable::Vacuum(const VacuumOptions& options) {
  const std::string where = "vacuum of Delta table '" + root_ + "'";
  if (options.retention_hours < 0 ||
      (options.retention_hours < kMinRetentionHours && !options.allow_short_retention)) {
    return Status::FailedPrecondition(
        where + ": retention of " + Str(options.retention_hours) + " hours is below the " +
        Str(kMinRetentionHours) +
        "-hour safety minimum; concurrent readers and writers could lose files (allow short "
        "retention to override)");
  }
  STRATA_ASSIGN_OR_RETURN(Snapshot latest, Load());
  const int64_t now_millis = clock().NowMicros() / 1000;
  const int64_t cutoff = now_millis - options.retention_hours * 3600 * 1000;

  // Versions still inside the retention are those committed after the cutoff, plus the one
  // that was current at the cutoff (time travel to the cutoff instant reads it). Their files
  // are referenced: the files of that version, and every file added since.
  STRATA_ASSIGN_OR_RETURN(std::vector<CommitEntry> history, ReadHistory(*store_, root_));
  int64_t oldest_kept = latest.version;
  for (const CommitEntry& e : history) {  // newest first
    oldest_kept = e.version;
    if (e.timestamp_millis <= cutoff) break;
  }
  STRATA_ASSIGN_OR_RETURN(Snapshot base, Load(oldest_kept));
  std::set<std::string> referenced;
  auto reference = [&](const AddFile& f) -> Status {
    STRATA_ASSIGN_OR_RETURN(FileLocation loc, ResolveActionPath(*store_, root_, f.path));
    if (loc.key) referenced.insert(*loc.key);
    if (f.deletion_vector && f.deletion_vector->storage_type == "u") {
      STRATA_ASSIGN_OR_RETURN(std::string dv, DeletionVectorRelativePath(*f.deletion_vector));
      referenced.insert(JoinKey(root_, dv));
    }
    return Status::OK();
  };
  for (const AddFile& f : base.files) STRATA_RETURN_IF_ERROR(reference(f));
  for (int64_t v = oldest_kept + 1; v <= latest.version; ++v) {
    const std::string key = CommitKey(root_, v);
    STRATA_ASSIGN_OR_RETURN(std::string content, store_->Get(key));
    STRATA_ASSIGN_OR_RETURN(std::vector<Action> actions, ParseCommitFile(content, key));
    for (const Action& a : actions) {
      if (const auto* add = std::get_if<AddFile>(&a)) STRATA_RETURN_IF_ERROR(reference(*add));
    }
  }
  for (const AddFile& f : latest.files) STRATA_RETURN_IF_ERROR(reference(f));

  const std::string prefix = root_.empty() ? "" : root_ + "/";
  STRATA_ASSIGN_OR_RETURN(std::vector<storage::ObjectInfo> objects,
                          storage::ListAll(*store_, prefix));
  VacuumResult result;
  for (const storage::ObjectInfo& o : objects) {
    const std::string_view relative = std::string_view(o.key).substr(prefix.size());
    if (IsHidden(relative) || referenced.count(o.key) != 0) continue;
    // Young files may belong to a writer that has not committed yet.
    if (o.modified_micros / 1000 >= cutoff) continue;
    result.files.push_back(o.key);
    result.bytes += o.size;
  }
  if (options.dry_run) return result;
  for (const std::string& key : result.files) {
    STRATA_RETURN_IF_ERROR(store_->Delete(key).WithContext(where));
  }
  return result;
}

}  // namespace strata::delta
