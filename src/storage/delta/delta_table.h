// DeltaTable: the write front door of a Delta table over an ObjectStore. Every operation is one
// atomic commit (commit.h) whose data files DuckDB writes from a SELECT (data_writer.h).
//
//   engine::Connection& conn = ...;
//   DeltaTable t(store, "lake/silver/pedidos", conn);
//   t.Create({.as_select = "SELECT * FROM read_csv('x.csv')", .partition_columns = {"dia"}});
//   t.Append("SELECT * FROM staging", {.txn = SetTransaction{"ingest-x", 42}});
//   t.Delete({.where = {{"dia", Predicate::Op::kLt, "2024-01-01"}}});
//   t.Merge("SELECT * FROM changes", {.keys = {"id"}, .delete_when = "op = 'D'"});
//
// Contract:
//  - Reads go through LoadSnapshot/PlanScan (the read path); writes refuse tables whose protocol
//    needs writer features strata lacks (CheckWriteSupported), naming the feature.
//  - Schema enforcement and evolution follow write_schema.h; `evolve_schema` is Spark's
//    mergeSchema. A refused write commits nothing and leaves no visible file.
//  - Delete, overwrite-with-replaceWhere and merge are copy-on-write: only files that may hold
//    affected rows (partition values and stats, via FileMayMatch) are read; files with no
//    affected row are kept; files whose every row is deleted are removed without a rewrite.
//  - Exactly-once: with `txn` set, a write whose (appId, version) is already in the table (the
//    table's version for appId >= txn.version) commits nothing and reports already_applied.
//  - Concurrency: blind appends never conflict with each other. Other operations that lose to a
//    conflicting commit fail with Conflict (naming the version and the reason) unless
//    `conflict_retries` > 0, in which case they are re-planned from the new snapshot.
//  - After a commit at a version that is a multiple of delta.checkpointInterval (default 10) a
//    checkpoint is written; its failure does not fail the commit (see CommitResult).
// Thread safety: a DeltaTable uses its Connection, so one thread at a time; give each thread its
// own DeltaTable and Connection (the store may be shared). Processes may write concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "engine/engine.h"
#include "storage/delta/actions.h"
#include "storage/delta/commit.h"
#include "storage/delta/data_writer.h"
#include "storage/delta/local_files.h"
#include "storage/delta/scan.h"
#include "storage/delta/schema.h"
#include "storage/delta/snapshot.h"
#include "storage/object_store.h"

namespace strata::delta {

struct TableOptions {
  Clock* clock = nullptr;  // nullptr = Clock::System()
  // Local directory for data files bound for a non-local store; empty = $TMPDIR or /tmp.
  std::string temp_dir{};
  int max_commit_attempts = 1000;
  std::string engine_info{};  // empty = "strata/<version>"
};

struct CommitResult {
  int64_t version = -1;          // the committed version; -1 if nothing was committed
  bool already_applied = false;  // the txn (appId, version) was already in the table
  int attempts = 0;              // versions tried by the last commit attempt
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();  // operationMetrics
  std::optional<int64_t> checkpoint_version{};  // set if this commit triggered a checkpoint
  Status checkpoint_status{};                   // its outcome (the commit stands either way)
};

class StagedWrite;

struct CreateOptions {
  enum class IfExists { kError, kIgnore, kReplace };
  std::optional<Schema> schema{};  // give a schema, or `as_select` (its columns become the schema)
  std::string as_select{};         // CREATE TABLE AS SELECT; the rows are the first data
  // Or the rows of a DeltaTable::Stage of this table: its files become the first data as they
  // are (no second write). The call consumes them: afterwards they belong to the commit (and
  // are deleted if it definitely fails). Not with partition_columns.
  StagedWrite* staged = nullptr;
  std::vector<std::string> partition_columns{};
  StringMap properties{};  // table properties ("delta.checkpointInterval", "delta.appendOnly", ...)
  std::optional<std::string> name{};
  std::optional<std::string> description{};
  IfExists if_exists = IfExists::kError;
};

struct WriteOptions {
  bool evolve_schema = false;           // add columns / widen types as the write needs
  std::optional<SetTransaction> txn{};  // exactly-once: appId + monotonically rising version
  int conflict_retries = 0;             // re-plan this many times after a Conflict
  // Overwrite only: replace the rows matching this AND of predicates (Delta's replaceWhere);
  // every written row must match it. Empty = replace the whole table.
  std::vector<Predicate> replace_where{};
  std::string user_metadata{};  // commitInfo.userMetadata (see CommitRequest)
};

struct DeleteOptions {
  std::vector<Predicate> where{};  // AND-ed; used for file skipping and conflict detection
  std::string where_sql{};         // optional extra SQL condition (AND-ed); disables nothing but
                                   // makes concurrent appends conflict (the rows read are unknown)
  int conflict_retries = 0;
};

struct MergeOptions {
  std::vector<std::string> keys{};  // the target's key columns; matched on equality (NULL never)
  // SQL over the source's columns: matched target rows for which it is true are deleted, and
  // unmatched source rows for which it is true are not inserted (a CDC delete).
  std::string delete_when{};
  bool update_matched = true;    // matched rows are replaced by the source row
  bool insert_unmatched = true;  // unmatched source rows are inserted
  // Source columns that only feed `delete_when` (e.g. "op") and are not written.
  std::vector<std::string> condition_columns{};
  bool evolve_schema = false;
  std::optional<SetTransaction> txn{};
  int conflict_retries = 0;
  std::string user_metadata{};  // commitInfo.userMetadata (see CommitRequest)
};

struct OptimizeOptions {
  int64_t target_file_bytes = 128LL << 20;  // files at least this big are left alone
  size_t min_files = 2;                     // compact a partition only if it has this many
  std::vector<Predicate> where{};           // partition predicates limiting the work
};

struct VacuumOptions {
  int64_t retention_hours = 168;
  bool dry_run = false;                // list what would be deleted, delete nothing
  bool allow_short_retention = false;  // permit retention below 168 hours (as Spark's check)
};

struct VacuumResult {
  std::vector<std::string> files{};  // store keys deleted (or that would be, in a dry run)
  int64_t bytes = 0;
};

// Write-audit-publish: the rows of a SELECT written as data files of a table, not committed.
// Readers of the table never see them. read_sql() reads them (to test them before publishing);
// CreateOptions::staged commits exactly these files; destroying an uncommitted StagedWrite
// deletes them. Files left by a crash are unreferenced, like any failed write's (VACUUM).
// Thread safety: none; read_sql() is valid on any connection while the object lives.
class StagedWrite {
 public:
  ~StagedWrite();
  StagedWrite(const StagedWrite&) = delete;
  StagedWrite& operator=(const StagedWrite&) = delete;

  const Schema& schema() const { return schema_; }
  int64_t rows() const { return files_.rows; }
  int64_t bytes() const { return files_.bytes; }
  // A SQL relation of the staged rows with the schema's columns, e.g. "read_parquet([...])".
  const std::string& read_sql() const { return read_sql_; }

  // Only DeltaTable::Stage can make the key, so only it makes a StagedWrite.
  class Key {
    friend class DeltaTable;
    Key() = default;
  };
  StagedWrite(Key key, std::shared_ptr<storage::ObjectStore> store, Schema schema,
              WrittenFiles files, std::string temp_dir);

 private:
  friend class DeltaTable;

  std::shared_ptr<storage::ObjectStore> store_;
  Schema schema_;
  WrittenFiles files_;
  std::unique_ptr<LocalFiles> local_;  // readable copies when the store is not local
  std::string read_sql_;
  bool consumed_ = false;  // handed to a commit: the files are no longer ours to delete
};

class DeltaTable {
 public:
  // `store` must not be null; `conn` must outlive the table.
  DeltaTable(std::shared_ptr<storage::ObjectStore> store, std::string table_root,
             engine::Connection& conn, TableOptions options = {});

  const std::string& root() const { return root_; }
  storage::ObjectStore& store() { return *store_; }

  // The latest snapshot (or `version`); NotFound if the table has no commit.
  Result<Snapshot> Load(std::optional<int64_t> version = std::nullopt);

  Result<CommitResult> Create(const CreateOptions& options);
  // Writes the rows of `select_sql` as unpartitioned data files of this table without
  // committing them (see StagedWrite). The table need not exist yet.
  Result<std::unique_ptr<StagedWrite>> Stage(std::string_view select_sql);
  Result<CommitResult> Append(std::string_view select_sql, const WriteOptions& options = {});
  Result<CommitResult> Overwrite(std::string_view select_sql, const WriteOptions& options = {});
  Result<CommitResult> Delete(const DeleteOptions& options);
  Result<CommitResult> Merge(std::string_view source_sql, const MergeOptions& options);

  // Maintenance (maintenance.cc).
  Result<CommitResult> Optimize(const OptimizeOptions& options = {});
  Result<VacuumResult> Vacuum(const VacuumOptions& options = {});
  // Writes a checkpoint of the latest version (or `version`); returns its version.
  Result<int64_t> Checkpoint(std::optional<int64_t> version = std::nullopt);

 private:
  struct Prepared;  // defined in table_ops.h
  using PlanFn = std::function<Result<Prepared>(const Snapshot*)>;
  // Loads the snapshot, plans, commits; re-plans after a Conflict up to `retries` times.
  Result<CommitResult> Run(int retries, bool needs_table, const PlanFn& plan);
  void MaybeCheckpoint(const Snapshot* read, const std::vector<Action>& actions,
                       CommitResult* result);
  Clock& clock() const;

  std::shared_ptr<storage::ObjectStore> store_;
  std::string root_;
  engine::Connection& conn_;
  TableOptions options_;
};

}  // namespace strata::delta
