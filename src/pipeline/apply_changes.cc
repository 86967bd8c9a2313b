// apply_changes: where the source stands, what the table applied, and the one commit per run.
// The SQL that turns changes into rows is in apply_changes_sql.cc.
#include "pipeline/apply_changes.h"

#include <nlohmann/json.hpp>

#include "common/numbers.h"
#include "pipeline/apply_changes_sql.h"
#include "storage/delta/delta_table.h"
#include "storage/delta/log_files.h"

namespace strata::pipeline {
namespace {

using engine::QuoteIdentifier;
using json = nlohmann::json;

// Commits older than this many are not searched for the table's state (then: rebuild).
constexpr size_t kStateSearchDepth = 32;

// What the table's last apply_changes commit recorded (commitInfo.userMetadata).
struct State {
  int64_t version = -1;                  // the source version applied
  std::optional<std::string> watermark;  // highest sequence applied, as VARCHAR
};

// FNV-1a: a digest of the definition that is the same in every build.
std::string Digest(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char out[17];
  snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(h));
  return out;
}

std::string DefinitionDigest(const ApplyChangesRequest& r) {
  json d;
  d["key"] = r.key;
  d["sequence_by"] = r.spec.sequence_by;
  d["history"] = r.spec.history == ApplyChangesSpec::History::kScd1 ? "scd1" : "scd2";
  d["except"] = r.spec.except_columns.value_or(DefaultExceptColumns());
  d["sql"] = r.definition;
  return Digest(d.dump());
}

std::string StateJson(const std::string& source, int64_t version,
                      const std::optional<std::string>& watermark, const std::string& digest) {
  json s;
  s["source"] = source;
  s["version"] = version;
  s["watermark"] = watermark ? json(*watermark) : json(nullptr);
  s["definition"] = digest;
  json top;
  top["apply_changes"] = std::move(s);
  return top.dump();
}

// The state recorded by the newest commit, or nullopt with `reason` when the table must be
// rebuilt: a data-changing commit by someone else came after it, the definition changed, or it
// does not match the txn.
Result<std::optional<State>> ReadState(storage::ObjectStore& store, const std::string& root,
                                       const delta::Snapshot& target, const std::string& app_id,
                                       const std::string& digest, std::string* reason) {
  std::optional<int64_t> applied = target.AppVersion(app_id);
  if (!applied) {
    *reason = "the table holds no changes applied from this source table";
    return std::optional<State>();
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<delta::CommitEntry> history,
                          delta::ReadHistory(store, root, target.version, kStateSearchDepth));
  for (const delta::CommitEntry& entry : history) {
    const json& info = entry.info.json;
    auto meta = info.find("userMetadata");
    if (meta != info.end() && meta->is_string()) {
      json parsed = json::parse(meta->get<std::string>(), nullptr, false);
      if (parsed.is_object() && parsed.contains("apply_changes")) {
        const json& s = parsed["apply_changes"];
        if (s.value("definition", "") != digest) {
          *reason = "the model's definition changed";
          return std::optional<State>();
        }
        if (s.value("version", int64_t{-1}) != *applied) {
          *reason = "the recorded state does not match the table's txn";
          return std::optional<State>();
        }
        State state;
        state.version = *applied;
        if (s.contains("watermark") && s["watermark"].is_string()) {
          state.watermark = s["watermark"].get<std::string>();
        }
        return std::optional<State>(state);
      }
    }
    const std::string op = entry.info.operation.value_or("");
    if (op == "OPTIMIZE" || op == "VACUUM START" || op == "VACUUM END" ||
        op == "SET TBLPROPERTIES") {
      continue;  // no change to the rows
    }
    *reason = "version " + std::to_string(entry.version) + " (" + op +
              ") of the table was not written by apply_changes";
    return std::optional<State>();
  }
  *reason = "no apply_changes state in the table's last " + std::to_string(kStateSearchDepth) +
            " commits";
  return std::optional<State>();
}

// The files added by source versions (from, to], or nullopt with `reason` when the source cannot
// be followed by its additions alone (a version removed data, or its commit file is gone).
Result<std::optional<std::vector<delta::AddFile>>> AddedFiles(storage::ObjectStore& store,
                                                              const std::string& root, int64_t from,
                                                              int64_t to, std::string* reason) {
  std::vector<delta::AddFile> adds;
  for (int64_t v = from + 1; v <= to; ++v) {
    Result<std::string> text = store.Get(delta::CommitKey(root, v));
    if (!text.ok()) {
      if (!text.status().IsNotFound()) return text.status();
      *reason = "the source's commit " + std::to_string(v) + " is no longer in its log";
      return std::optional<std::vector<delta::AddFile>>();
    }
    STRATA_ASSIGN_OR_RETURN(std::vector<delta::Action> actions,
                            delta::ParseCommitFile(*text, delta::CommitKey(root, v)));
    for (delta::Action& a : actions) {
      if (auto* add = std::get_if<delta::AddFile>(&a); add && add->data_change) {
        adds.push_back(std::move(*add));
      } else if (auto* rm = std::get_if<delta::RemoveFile>(&a); rm && rm->data_change) {
        *reason = "the source's version " + std::to_string(v) + " removed rows";
        return std::optional<std::vector<delta::AddFile>>();
      }
    }
  }
  return std::optional<std::vector<delta::AddFile>>(std::move(adds));
}

// A SELECT of no rows with the columns of `schema` (a commit that only records progress).
std::string NoRows(const delta::Schema& schema) {
  std::string cols;
  for (const delta::StructField& f : schema.fields) {
    cols += (cols.empty() ? "" : ", ") +
            ("CAST(NULL AS " + delta::ToSqlType(f.type) + ") AS " + QuoteIdentifier(f.name));
  }
  return "SELECT " + cols + " WHERE false";
}

int64_t Metric(const delta::CommitResult& commit, const char* name) {
  auto it = commit.metrics.find(name);
  if (it == commit.metrics.end() || !it->is_string()) return 0;
  return ParseInteger<int64_t>(it->get<std::string>()).value_or(0);
}

struct Run {
  engine::Connection& conn;
  const ApplyChangesRequest& req;
  const delta::Snapshot& source;
  std::string app_id;
  std::string digest;
  ApplyChangesResult out;
};

// Commits the rows of `kFull` as the whole table, then a commit recording the state.
Status CommitFull(Run& run, const delta::Snapshot* target, const ChangeColumns& cols,
                  std::optional<int64_t> applied) {
  delta::DeltaTable table(run.req.store, run.req.target_root, run.conn,
                          {.temp_dir = run.req.temp_dir});
  delta::CreateOptions create;
  create.as_select = std::string("SELECT * FROM ") + kFull;
  create.if_exists = target != nullptr ? delta::CreateOptions::IfExists::kReplace
                                       : delta::CreateOptions::IfExists::kError;
  create.name = run.req.target_name;
  create.description = run.req.description;
  STRATA_ASSIGN_OR_RETURN(delta::CommitResult created, table.Create(create));
  run.out.rows_written = Metric(created, "numOutputRows");
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> watermark, MaxSequence(run.conn, cols));
  delta::WriteOptions mark;
  // Versions of one appId only rise: a rebuild at a version already recorded keeps that txn.
  if (run.source.version > applied.value_or(-1)) {
    mark.txn = delta::SetTransaction{run.app_id, run.source.version, std::nullopt};
  }
  mark.user_metadata = StateJson(run.req.source_name, run.source.version, watermark, run.digest);
  STRATA_ASSIGN_OR_RETURN(delta::Snapshot created_snap, table.Load(created.version));
  STRATA_ASSIGN_OR_RETURN(delta::CommitResult marked,
                          table.Append(NoRows(created_snap.schema), mark));
  run.out.already_applied = marked.already_applied;
  run.out.table_version = marked.version >= 0 ? marked.version : created.version;
  return Status::OK();
}

// One MERGE of `kMerge` into the table, with the txn and the new state.
Status CommitIncrement(Run& run, const delta::Snapshot& target, const ChangeColumns& cols,
                       const State& state, bool any_changes) {
  delta::DeltaTable table(run.req.store, run.req.target_root, run.conn,
                          {.temp_dir = run.req.temp_dir});
  std::optional<std::string> watermark = state.watermark;
  if (any_changes) {
    STRATA_ASSIGN_OR_RETURN(watermark, MaxSequence(run.conn, cols, state.watermark));
  }
  const delta::SetTransaction txn{run.app_id, run.source.version, std::nullopt};
  const std::string meta =
      StateJson(run.req.source_name, run.source.version, watermark, run.digest);
  delta::CommitResult commit;
  if (any_changes) {
    delta::MergeOptions merge;
    merge.keys = MergeKeys(cols);
    merge.delete_when = kDeleteFlag;
    merge.condition_columns = {kDeleteFlag};
    merge.evolve_schema = true;
    merge.txn = txn;
    merge.user_metadata = meta;
    STRATA_ASSIGN_OR_RETURN(commit, table.Merge(std::string("SELECT * FROM ") + kMerge, merge));
    run.out.rows_written = Metric(commit, "numTargetRowsInserted") +
                           Metric(commit, "numTargetRowsUpdated") +
                           Metric(commit, "numTargetRowsDeleted");
  }
  if (!commit.already_applied && commit.version < 0) {
    // Nothing to change in the rows: still record how far the table got.
    delta::WriteOptions mark;
    mark.txn = txn;
    mark.user_metadata = meta;
    STRATA_ASSIGN_OR_RETURN(commit, table.Append(NoRows(target.schema), mark));
  }
  run.out.already_applied = commit.already_applied;
  if (commit.version >= 0) run.out.table_version = commit.version;
  return Status::OK();
}

Status RunFull(Run& run, const delta::Snapshot* target, std::optional<int64_t> applied,
               std::string reason) {
  run.out.full = true;
  run.out.full_reason = std::move(reason);
  delta::ScanOptions so;
  so.temp_dir = run.req.temp_dir;
  STRATA_ASSIGN_OR_RETURN(delta::ScanPlan all,
                          delta::PlanScan(run.source, *run.req.store, run.conn, so));
  STRATA_ASSIGN_OR_RETURN(ChangeColumns cols,
                          LoadChanges(run.conn, run.req, "(" + all.sql() + ")", kChanges));
  STRATA_ASSIGN_OR_RETURN(
      run.out.changes,
      engine::QueryInt64(run.conn, std::string("SELECT count(*) FROM ") + kChanges));
  STRATA_RETURN_IF_ERROR(BuildFullRows(run.conn, cols));
  return CommitFull(run, target, cols, applied);
}

Status RunIncrement(Run& run, const delta::Snapshot& target, const State& state,
                    std::vector<delta::AddFile> adds) {
  run.out.from_version = state.version + 1;
  delta::Snapshot fresh = run.source;
  fresh.files = std::move(adds);
  delta::ScanOptions so;
  so.temp_dir = run.req.temp_dir;
  STRATA_ASSIGN_OR_RETURN(delta::ScanPlan added,
                          delta::PlanScan(fresh, *run.req.store, run.conn, so));
  STRATA_ASSIGN_OR_RETURN(ChangeColumns cols,
                          LoadChanges(run.conn, run.req, "(" + added.sql() + ")", kChanges));
  STRATA_ASSIGN_OR_RETURN(
      run.out.changes,
      engine::QueryInt64(run.conn, std::string("SELECT count(*) FROM ") + kChanges));
  if (run.out.changes > 0) {
    STRATA_ASSIGN_OR_RETURN(run.out.late_keys, FindLateKeys(run.conn, cols, state.watermark));
    if (run.out.late_keys > 0) {
      // The whole history of the late keys, from the same source version.
      STRATA_ASSIGN_OR_RETURN(delta::ScanPlan all,
                              delta::PlanScan(run.source, *run.req.store, run.conn, so));
      STRATA_RETURN_IF_ERROR(LoadLateHistory(run.conn, run.req, cols, "(" + all.sql() + ")"));
    }
    STRATA_ASSIGN_OR_RETURN(delta::ScanPlan current,
                            delta::PlanScan(target, *run.req.store, run.conn, so));
    STRATA_RETURN_IF_ERROR(BuildMergeRows(run.conn, cols, target.schema, "(" + current.sql() + ")",
                                          run.out.late_keys));
  }
  return CommitIncrement(run, target, cols, state, run.out.changes > 0);
}

}  // namespace

Result<ApplyChangesResult> ApplyChanges(engine::Connection& conn,
                                        const ApplyChangesRequest& request) {
  const std::string where = request.model_file + ": " + request.target_name;
  delta::SnapshotOptions options;
  options.connection = &conn;
  Result<delta::Snapshot> source =
      delta::LoadSnapshot(*request.store, request.source_root, options);
  if (!source.ok()) {
    return source.status().WithContext(where + ": reading the changes of " + request.source_name);
  }
  Result<delta::Snapshot> loaded =
      delta::LoadSnapshot(*request.store, request.target_root, options);
  if (!loaded.ok() && !loaded.status().IsNotFound()) return loaded.status().WithContext(where);
  const delta::Snapshot* target = loaded.ok() ? &*loaded : nullptr;

  Run run{conn,
          request,
          *source,
          "apply_changes:" + request.source_name + ":" + source->metadata.id,
          DefinitionDigest(request),
          {}};
  run.out.source_version = source->version;
  TempTables temps(conn);
  std::optional<int64_t> applied = target ? target->AppVersion(run.app_id) : std::nullopt;
  std::string reason;
  std::optional<State> state;
  if (request.full_refresh) {
    reason = "a full refresh was asked for";
  } else if (target == nullptr) {
    reason = "first run";
  } else {
    STRATA_ASSIGN_OR_RETURN(state, ReadState(*request.store, request.target_root, *target,
                                             run.app_id, run.digest, &reason));
  }
  Status done;
  if (!state) {
    done = RunFull(run, target, applied, reason);
  } else if (state->version >= source->version) {
    run.out.up_to_date = true;
  } else {
    STRATA_ASSIGN_OR_RETURN(
        std::optional<std::vector<delta::AddFile>> adds,
        AddedFiles(*request.store, request.source_root, state->version, source->version, &reason));
    done = adds ? RunIncrement(run, *target, *state, std::move(*adds))
                : RunFull(run, target, applied, reason);
  }
  if (!done.ok()) {
    // Errors about the model's own fields already name its file (and line).
    if (done.message().rfind(request.model_file, 0) == 0) return done;
    return done.WithContext(where);
  }
  return run.out;
}

}  // namespace strata::pipeline
