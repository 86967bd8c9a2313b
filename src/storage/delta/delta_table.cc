// DeltaTable: the commit loop shared by every operation, table creation, append and overwrite.
// Delete and merge are in delta_dml.cc, optimize/vacuum/checkpoint in maintenance.cc.
#include "storage/delta/delta_table.h"

#include <algorithm>

#include "storage/delta/checkpoint_writer.h"
#include "storage/delta/table_ops.h"
#include "storage/delta/write_schema.h"

namespace strata::delta {
namespace {

using json = nlohmann::ordered_json;

std::string Str(int64_t v) { return std::to_string(v); }

Protocol MaxProtocol(const Protocol& a, const Protocol& b) {
  // Used when replacing a table: never downgrade what readers were told to support.
  return a.min_reader_version > b.min_reader_version ||
                 (a.min_reader_version == b.min_reader_version &&
                  a.min_writer_version >= b.min_writer_version)
             ? a
             : b;
}

}  // namespace

DeltaTable::DeltaTable(std::shared_ptr<storage::ObjectStore> store, std::string table_root,
                       engine::Connection& conn, TableOptions options)
    : store_(std::move(store)),
      root_(std::move(table_root)),
      conn_(conn),
      options_(std::move(options)) {}

Clock& DeltaTable::clock() const {
  return options_.clock != nullptr ? *options_.clock : Clock::System();
}

Result<Snapshot> DeltaTable::Load(std::optional<int64_t> version) {
  SnapshotOptions o;
  o.version = version;
  o.connection = &conn_;
  return LoadSnapshot(*store_, root_, o);
}

Result<CommitResult> DeltaTable::Run(int retries, bool needs_table, const PlanFn& plan) {
  for (int attempt = 0;; ++attempt) {
    Result<Snapshot> snap = Load();
    if (!snap.ok() && !(snap.status().IsNotFound() && !needs_table)) return snap.status();
    const Snapshot* read = snap.ok() ? &*snap : nullptr;
    if (read != nullptr) {
      Status supported = CheckWriteSupported(read->protocol, read->metadata, read->schema);
      if (!supported.ok()) return supported.WithContext("Delta table '" + root_ + "'");
    }
    STRATA_ASSIGN_OR_RETURN(Prepared prepared, plan(read));
    CommitResult result;
    if (prepared.already_applied) {
      result.already_applied = true;
      return result;
    }
    if (prepared.nothing_to_do) return result;
    prepared.request.read_snapshot = read;
    if (prepared.txn) {
      SetTransaction t = *prepared.txn;
      t.last_updated = clock().NowMicros() / 1000;
      prepared.request.actions.emplace_back(std::move(t));
    }
    CommitOptions commit_options;
    commit_options.clock = options_.clock;
    commit_options.max_attempts = options_.max_commit_attempts;
    commit_options.engine_info = options_.engine_info;
    CommitFailure failure;
    Result<CommitSuccess> committed =
        CommitTransaction(*store_, root_, prepared.request, commit_options, &failure);
    if (committed.ok()) {
      result.version = committed->version;
      result.attempts = committed->attempts;
      result.metrics = prepared.request.operation_metrics;
      MaybeCheckpoint(read, prepared.request.actions, &result);
      return result;
    }
    // A definitely failed commit leaves its files unreferenced: delete them now rather than
    // waiting for VACUUM. With an unknown outcome they may be live, so they stay.
    if (!failure.outcome_unknown) DeleteUncommittedFiles(*store_, prepared.written_keys);
    if (!committed.status().IsConflict()) return committed.status();
    if (prepared.txn) {
      // The same application version may have been committed by another attempt of the same
      // ingestion (a retry after a lost response): then this write is a duplicate, not a failure.
      Result<Snapshot> now = Load();
      if (now.ok() && now->AppVersion(prepared.txn->app_id).value_or(-1) >= prepared.txn->version) {
        result.already_applied = true;
        return result;
      }
    }
    if (attempt >= retries) return committed.status();
  }
}

void DeltaTable::MaybeCheckpoint(const Snapshot* read, const std::vector<Action>& actions,
                                 CommitResult* result) {
  const Metadata* metadata = read != nullptr ? &read->metadata : nullptr;
  for (const Action& a : actions) {
    if (const auto* m = std::get_if<Metadata>(&a)) metadata = m;
  }
  if (metadata == nullptr || result->version <= 0) return;
  const int64_t interval = IntProperty(*metadata, "delta.checkpointInterval", 10);
  if (result->version % interval != 0) return;
  result->checkpoint_version = result->version;
  Result<int64_t> done = Checkpoint(result->version);
  result->checkpoint_status = done.status();
  if (done.ok()) result->checkpoint_status = Status::OK();
}

Result<CommitResult> DeltaTable::Create(const CreateOptions& options) {
  Schema schema;
  std::vector<engine::Column> source;
  if (options.staged != nullptr) {
    if (!options.as_select.empty() || options.schema || !options.partition_columns.empty()) {
      return Status::InvalidArgument("Delta table '" + root_ +
                                     "': staged rows come with their schema, unpartitioned");
    }
    schema = options.staged->schema();
  } else if (!options.as_select.empty()) {
    STRATA_ASSIGN_OR_RETURN(source, QueryColumns(conn_, options.as_select));
    STRATA_ASSIGN_OR_RETURN(schema, SchemaFromColumns(source, "Delta table '" + root_ + "'"));
  } else if (options.schema) {
    schema = *options.schema;
  } else {
    return Status::InvalidArgument("Delta table '" + root_ + "': give a schema or a SELECT");
  }
  for (const std::string& p : options.partition_columns) {
    const StructField* f = schema.Find(p);
    if (f == nullptr) {
      return Status::InvalidArgument("Delta table '" + root_ + "': partition column '" + p +
                                     "' is not in the schema");
    }
    STRATA_RETURN_IF_ERROR(
        PartitionValueSql(f->type, "x")
            .status()
            .WithContext("Delta table '" + root_ + "': partition column '" + p + "'"));
  }
  if (options.partition_columns.size() >= schema.fields.size()) {
    return Status::InvalidArgument("Delta table '" + root_ +
                                   "': at least one column must not be a partition column");
  }
  return Run(0, false, [&](const Snapshot* snap) -> Result<Prepared> {
    Prepared p;
    if (snap != nullptr && options.if_exists == CreateOptions::IfExists::kError) {
      return Status::AlreadyExists("Delta table '" + root_ + "' already exists (version " +
                                   Str(snap->version) + ")");
    }
    if (snap != nullptr && options.if_exists == CreateOptions::IfExists::kIgnore) {
      p.nothing_to_do = true;
      return p;
    }
    const int64_t now = clock().NowMicros() / 1000;
    Metadata m;
    m.id = NewUuid();
    m.name = options.name;
    m.description = options.description;
    m.schema_string = SchemaToJson(schema);
    m.partition_columns = options.partition_columns;
    m.configuration = options.properties;
    m.created_time = now;
    Protocol protocol = ProtocolForNewTable(schema);
    if (snap != nullptr) protocol = MaxProtocol(protocol, snap->protocol);
    CommitRequest& r = p.request;
    r.actions.emplace_back(protocol);
    r.actions.emplace_back(m);
    const bool ctas = !options.as_select.empty() || options.staged != nullptr;
    r.operation = std::string(snap != nullptr ? "CREATE OR REPLACE TABLE" : "CREATE TABLE") +
                  (ctas ? " AS SELECT" : "");
    r.operation_parameters["isManaged"] = "false";
    r.operation_parameters["description"] =
        options.description ? json(*options.description) : json(nullptr);
    r.operation_parameters["partitionBy"] = JsonStringList(options.partition_columns);
    r.operation_parameters["properties"] = nlohmann::json(options.properties).dump();
    if (snap != nullptr) {
      r.read.whole_table = true;
      for (const AddFile& f : snap->files) r.actions.emplace_back(RemoveFor(f, now, true));
    }
    WrittenFiles files;
    if (options.staged != nullptr) {
      files = options.staged->files_;
      options.staged->consumed_ = true;  // from here on the commit owns (or deletes) them
    } else if (ctas) {
      STRATA_ASSIGN_OR_RETURN(WritePlan plan,
                              PlanWrite(schema, options.partition_columns, source, false, root_));
      DataWriteOptions wo;
      wo.clock = options_.clock;
      wo.temp_dir = options_.temp_dir;
      STRATA_ASSIGN_OR_RETURN(
          files, WriteDataFiles(conn_, *store_, root_, schema, options.partition_columns,
                                "SELECT " + plan.projection + " FROM (" + options.as_select +
                                    ") AS __strata_src",
                                wo));
    }
    if (ctas) {
      for (AddFile& a : files.adds) r.actions.emplace_back(std::move(a));
      p.written_keys = files.keys;
      r.operation_metrics["numFiles"] = Str(static_cast<int64_t>(files.keys.size()));
      r.operation_metrics["numOutputRows"] = Str(files.rows);
      r.operation_metrics["numOutputBytes"] = Str(files.bytes);
    }
    return p;
  });
}

Result<CommitResult> DeltaTable::Append(std::string_view select_sql, const WriteOptions& options) {
  if (!options.replace_where.empty()) {
    return Status::InvalidArgument("replace_where applies to Overwrite, not Append");
  }
  return Run(options.conflict_retries, true, [&](const Snapshot* snap) -> Result<Prepared> {
    Prepared p;
    p.txn = options.txn;
    p.request.user_metadata = options.user_metadata;
    if (options.txn && snap->AppVersion(options.txn->app_id).value_or(-1) >= options.txn->version) {
      p.already_applied = true;
      return p;
    }
    STRATA_ASSIGN_OR_RETURN(std::vector<engine::Column> source, QueryColumns(conn_, select_sql));
    STRATA_ASSIGN_OR_RETURN(WritePlan plan, PlanWrite(snap->schema, snap->partition_columns(),
                                                      source, options.evolve_schema, root_));
    CommitRequest& r = p.request;
    if (plan.schema_changed) {
      Metadata m = snap->metadata;
      m.schema_string = SchemaToJson(plan.schema);
      if (plan.types_widened) r.actions.emplace_back(WithTypeWidening(snap->protocol));
      r.actions.emplace_back(std::move(m));
    }
    DataWriteOptions wo;
    wo.clock = options_.clock;
    wo.temp_dir = options_.temp_dir;
    STRATA_ASSIGN_OR_RETURN(
        WrittenFiles files,
        WriteDataFiles(
            conn_, *store_, root_, plan.schema, snap->partition_columns(),
            "SELECT " + plan.projection + " FROM (" + std::string(select_sql) + ") AS __strata_src",
            wo));
    p.written_keys = files.keys;
    for (AddFile& a : files.adds) r.actions.emplace_back(std::move(a));
    r.operation = "WRITE";
    r.operation_parameters["mode"] = "Append";
    r.user_metadata = options.user_metadata;
    r.operation_parameters["partitionBy"] = JsonStringList(snap->partition_columns());
    r.operation_metrics["numFiles"] = Str(static_cast<int64_t>(files.keys.size()));
    r.operation_metrics["numOutputRows"] = Str(files.rows);
    r.operation_metrics["numOutputBytes"] = Str(files.bytes);
    r.read.blind_append = !plan.schema_changed;
    return p;
  });
}

Result<CommitResult> DeltaTable::Overwrite(std::string_view select_sql,
                                           const WriteOptions& options) {
  return Run(options.conflict_retries, true, [&](const Snapshot* snap) -> Result<Prepared> {
    Prepared p;
    p.txn = options.txn;
    p.request.user_metadata = options.user_metadata;
    if (options.txn && snap->AppVersion(options.txn->app_id).value_or(-1) >= options.txn->version) {
      p.already_applied = true;
      return p;
    }
    if (BoolProperty(snap->metadata, "delta.appendOnly")) {
      return Status::FailedPrecondition("Delta table '" + root_ +
                                        "' is append-only (delta.appendOnly): overwrite refused");
    }
    STRATA_ASSIGN_OR_RETURN(std::vector<engine::Column> source, QueryColumns(conn_, select_sql));
    STRATA_ASSIGN_OR_RETURN(WritePlan plan, PlanWrite(snap->schema, snap->partition_columns(),
                                                      source, options.evolve_schema, root_));
    CommitRequest& r = p.request;
    DataWriteOptions wo;
    wo.clock = options_.clock;
    wo.temp_dir = options_.temp_dir;
    const int64_t now = clock().NowMicros() / 1000;
    std::string select =
        "SELECT " + plan.projection + " FROM (" + std::string(select_sql) + ") AS __strata_src";
    int64_t removed_files = 0, deleted_rows = -1;
    if (options.replace_where.empty()) {
      r.read.whole_table = true;
      for (const AddFile& f : snap->files) {
        r.actions.emplace_back(RemoveFor(f, now, true));
        ++removed_files;
      }
    } else {
      // Every new row must fall inside the replaced range, or it would survive a later
      // replace of the same range (Spark's "does not conform to partial overwrite condition").
      STRATA_ASSIGN_OR_RETURN(std::string cond, FiltersToSql(*snap, options.replace_where));
      select = "SELECT * FROM (" + select + ") AS __strata_rw WHERE CASE WHEN coalesce((" + cond +
               "), false) THEN true ELSE error(" +
               engine::QuoteLiteral("Delta table '" + root_ +
                                    "': written data does not match the replaceWhere condition " +
                                    cond) +
               ") END";
      STRATA_ASSIGN_OR_RETURN(RowDeletion del, DeleteMatchingRows(conn_, *store_, *snap,
                                                                  options.replace_where, "", wo));
      p.written_keys = del.rewritten.keys;
      removed_files = static_cast<int64_t>(del.removes.size());
      for (RemoveFile& rm : del.removes) r.actions.emplace_back(std::move(rm));
      for (AddFile& a : del.rewritten.adds) r.actions.emplace_back(std::move(a));
      deleted_rows = del.deleted_rows;
      r.read.predicate = options.replace_where;
      r.read.files = del.read_files;
      r.operation_parameters["predicate"] =
          JsonStringList(DescribePredicates(options.replace_where, ""));
    }
    if (plan.schema_changed) {
      Metadata m = snap->metadata;
      m.schema_string = SchemaToJson(plan.schema);
      if (plan.types_widened) r.actions.emplace_back(WithTypeWidening(snap->protocol));
      r.actions.emplace_back(std::move(m));
    }
    Result<WrittenFiles> files =
        WriteDataFiles(conn_, *store_, root_, plan.schema, snap->partition_columns(), select, wo);
    if (!files.ok()) {
      DeleteUncommittedFiles(*store_, p.written_keys);
      return files.status();
    }
    p.written_keys.insert(p.written_keys.end(), files->keys.begin(), files->keys.end());
    for (AddFile& a : files->adds) r.actions.emplace_back(std::move(a));
    r.operation = "WRITE";
    r.operation_parameters["mode"] = "Overwrite";
    r.operation_parameters["partitionBy"] = JsonStringList(snap->partition_columns());
    r.operation_metrics["numFiles"] = Str(static_cast<int64_t>(files->keys.size()));
    r.operation_metrics["numOutputRows"] = Str(files->rows);
    r.operation_metrics["numOutputBytes"] = Str(files->bytes);
    r.operation_metrics["numRemovedFiles"] = Str(removed_files);
    if (deleted_rows >= 0) r.operation_metrics["numDeletedRows"] = Str(deleted_rows);
    return p;
  });
}

}  // namespace strata::delta
