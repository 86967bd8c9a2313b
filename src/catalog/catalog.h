// Catalog: what strata knows about every table, column, file, pipeline and run — owners,
// descriptions, business tags, glossary terms, schemas and their history per table version,
// PII classifications, lineage (table and column level) and run statistics — stored in a Store
// (SQLite or PostgreSQL, store.h) and searchable.
//
//   STRATA_ASSIGN_OR_RETURN(auto catalog, Catalog::Open(".strata/catalog.db"));
//   STRATA_RETURN_IF_ERROR(catalog->UpsertTable(metadata));   // after every write
//   STRATA_RETURN_IF_ERROR(catalog->RecordLineage(lineage));   // after every model run
//   STRATA_RETURN_IF_ERROR(catalog->RecordRun(run));
//
// Asset names: tables are "layer.table" (bronze.pedidos); columns "layer.table.column"; files
// found by the crawler or landing files are their path or URI; pipelines "pipeline:NAME" and
// their tasks (states) "pipeline:NAME/STATE".
//
// Who wins when metadata disagrees: a value set by a user from the CLI (set-owner, describe,
// untag) is never overwritten by project sync or by the crawler; project metadata overwrites
// what the crawler inferred. Empty fields in an upsert leave stored values unchanged.
//
// Ownership: a Catalog owns its Store. Thread safety: one thread at a time; open one Catalog
// per thread or process (the store handles concurrent processes). Every mutating call is one
// transaction: it happens whole or not at all.
// Errors: NotFound for unknown asset names (the message names the asset), InvalidArgument for
// malformed input, and the Store's statuses for database failures.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/store.h"
#include "common/result.h"
#include "common/run_status.h"
#include "common/status.h"

namespace strata::catalog {

// Where a piece of metadata came from; decides who may overwrite it (see the header comment).
enum class MetadataSource { kCrawler, kProject, kUser };

struct ColumnMetadata {
  std::string name{};
  std::string type{};  // SQL type, e.g. "DECIMAL(12,2)"
  std::string description{};
  std::vector<std::string> tags{};
  // A class declared in the project (sources/*.yaml `pii:`), e.g. "CPF": stored as confirmed.
  std::string declared_class{};
};

struct TableMetadata {
  std::string name{};    // "bronze.pedidos" or a crawled path/URI
  std::string layer{};   // default: the part of `name` before the first '.'
  std::string format{};  // delta, parquet, csv, json, ... (default "delta")
  std::string location{};
  std::string description{};
  std::string owner{};
  std::vector<std::string> tags{};      // business tags ("Core Domain")
  std::vector<std::string> glossary{};  // glossary terms ("Risco Cambial")
  // The full schema in order. Empty = schema unknown, columns untouched.
  std::vector<ColumnMetadata> columns{};
  std::optional<int64_t> version{};  // Delta version; without it schema changes get the next number
  std::optional<int64_t> row_count{};
  std::optional<int64_t> size_bytes{};
  std::string data_updated_at{};  // ISO-8601 UTC of the data's last change (freshness); "" = keep
  MetadataSource source = MetadataSource::kProject;
};

// What UpsertTable did, for crawler reports and logs.
struct UpsertOutcome {
  bool created = false;
  bool schema_changed = false;  // also true on creation
  std::string changes{};        // "added x INTEGER; dropped y; z: INTEGER -> BIGINT"
};

struct PipelineState {
  std::string name{};
  std::string type{};  // Task, Choice, Parallel, Map, Wait, ...
  std::string description{};
  std::string resource{};  // what a task runs, e.g. "model:silver.fato_pedido_correlacionado"
};

struct PipelineMetadata {
  std::string name{};
  std::string description{};
  std::string owner{};
  std::vector<std::string> tags{};
  std::vector<PipelineState> states{};  // replaces the stored set
  // The file that declares it, stored as the asset's location (kept when empty): a project's
  // sync removes the pipelines whose file under its pipelines/ directory is gone.
  std::string location{};
};

struct RunOutput {
  std::string table{};
  std::optional<int64_t> version{};
  std::optional<int64_t> row_count{};  // rows in the table after the run
};

// The word the catalog stores for a run's status (runs.status, the job's assets.state):
// RUNNING, COMPLETE, FAIL, ABORT -- the event types of the OpenLineage events each run row
// mirrors (openlineage.h), kept so catalogs written before read the same.
std::string_view CatalogRunState(RunStatus status);

struct RunRecord {
  std::string run_id{};  // unique; recording the same id again updates the run
  std::string job{};     // what ran: a model/table name or "pipeline:NAME/STATE"
  std::string pipeline{};
  RunStatus status = RunStatus::kRunning;
  std::string started_at{};
  std::string ended_at{};
  std::optional<int64_t> rows_written{};
  std::string error{};
  std::vector<RunOutput> outputs{};  // each updates the table's version, rows and freshness
};

// One column-level edge: `to` derives from `from`.
struct ColumnEdge {
  std::string from_table{}, from_column{};
  std::string to_table{}, to_column{};
  std::string transformation = "DIRECT";   // DIRECT (value flows) or INDIRECT (filters, joins)
  std::string subtype = "TRANSFORMATION";  // IDENTITY, TRANSFORMATION, AGGREGATION, JOIN, ...
};

struct LineageRecord {
  std::string job{};   // the model or task that produced the outputs
  std::string kind{};  // sql (derived from a model), declared (command task), landing (file load)
  std::string run_id{};
  std::vector<std::string> inputs{};   // tables or file paths/URIs
  std::vector<std::string> outputs{};  // tables
  std::optional<int64_t> output_version{};
  std::vector<ColumnEdge> columns{};
};

struct Label {
  std::string kind{};  // tag or glossary
  std::string label{};
  std::string source{};  // project, user, crawler
};

struct ClassificationRecord {
  std::string column{};  // "layer.table.column"
  std::string class_name{};
  std::string status{};  // proposed, confirmed, rejected
  double confidence = 0;
  std::string method{};    // values, name, declared, lineage, user
  std::string evidence{};  // JSON: sampled matches, patterns, the origin column, ...
  std::string origin{};    // for lineage: the column it propagated from
};

struct ColumnInfo {
  std::string name{};
  std::string type{};
  int position = 0;
  std::string description{};
  std::vector<std::string> tags{};
  std::vector<ClassificationRecord> classifications{};  // rejected ones included (status says)
};

struct SchemaVersion {
  int64_t version = 0;
  std::string changes{};
  std::string recorded_at{};
  std::string schema_json{};  // [{"name":..,"type":..}, ...]
};

struct AssetInfo {
  int64_t id = 0;
  std::string kind{};  // layer, table, column, file, pipeline, task
  std::string name{};
  std::string display_name{};
  std::string layer{}, format{}, location{}, data_type{};
  std::string description{}, owner{};
  std::string description_source{}, owner_source{};
  std::optional<int64_t> version{}, row_count{}, size_bytes{};
  std::string data_updated_at{}, state{}, created_at{}, updated_at{};
  std::vector<std::string> tags{};
  std::vector<std::string> glossary{};
};

struct LineageNode {
  std::string name{};
  std::string kind{};  // table, column, file
  int depth = 0;       // distance from the start
};
struct LineageEdgeInfo {
  std::string from{}, to{};
  std::string level{};  // table or column
  std::string kind{}, transformation{}, subtype{}, job{}, run_id{};
  std::optional<int64_t> to_version{};
};
struct LineageGraph {
  std::string root{};
  std::vector<LineageNode> nodes{};  // root first, then by depth
  std::vector<LineageEdgeInfo> edges{};
};
enum class LineageDirection { kUpstream, kDownstream, kBoth };

struct SearchHit {
  std::string name{};
  std::string kind{};
  std::string display_name{};
  std::string description{};
  std::string owner{};
  double score = 0;  // higher is better
};

struct RunInfo {
  std::string run_id{}, job{}, pipeline{}, status{}, started_at{}, ended_at{}, error{};
  std::optional<int64_t> rows_written{};
};

class Catalog {
 public:
  // Opens (creating and migrating as needed) the catalog at a SQLite path or postgresql:// URL.
  static Result<std::unique_ptr<Catalog>> Open(const std::string& location);
  // Takes an open store and migrates it.
  static Result<std::unique_ptr<Catalog>> Open(std::unique_ptr<Store> store);
  ~Catalog();

  Store& store() { return *store_; }

  // --- assets ---------------------------------------------------------------------------
  // Creates or updates a table and its columns; records the schema in the history when it
  // changed (or on creation), marks columns that left the schema as removed, applies declared
  // classes, and refreshes the search index.
  Result<UpsertOutcome> UpsertTable(const TableMetadata& table);
  Status UpsertPipeline(const PipelineMetadata& pipeline);
  // A layer (bronze/silver/gold or any other) with its description and owner.
  Status UpsertLayer(const std::string& name, const std::string& description,
                     const std::string& owner);
  // Marks an asset (and its columns) removed: hidden from search and show, history kept.
  Status RemoveAsset(const std::string& name);

  // User edits (MetadataSource::kUser). `name` is any asset: table, column, pipeline, task.
  Status SetOwner(const std::string& name, const std::string& owner);
  Status SetDescription(const std::string& name, const std::string& description);
  // kind: "tag" or "glossary".
  Status AddLabel(const std::string& name, const std::string& kind, const std::string& label);
  Status RemoveLabel(const std::string& name, const std::string& kind, const std::string& label);

  // --- runs and lineage -----------------------------------------------------------------
  Status RecordRun(const RunRecord& run);
  // Replaces the edges previously recorded by the same job and kind (a model's SQL changed:
  // its old edges go), then adds these; kind "landing" only adds (files accumulate). Unknown inputs
  // become assets (file or table). Column edges name columns of tables that should be upserted
  // first; missing ones are created as bare columns.
  Status RecordLineage(const LineageRecord& lineage);

  // --- classification -------------------------------------------------------------------
  // Re-evaluation of one column's proposals from values and names (method values/name):
  // previous proposals not in `proposals` are withdrawn; a rejected class is never proposed
  // again; a confirmed one only gets the new confidence and evidence.
  Status RecordClassifications(const std::string& column,
                               const std::vector<ClassificationRecord>& proposals);
  // User decisions; NotFound if the column is unknown. Confirming a class never proposed
  // creates it (method user).
  Status ConfirmClassification(const std::string& column, const std::string& class_name);
  Status RejectClassification(const std::string& column, const std::string& class_name);
  // Copies confirmed and proposed classes along column edges whose subtype is IDENTITY (the
  // value passes unchanged), transitively, as proposals with method lineage. Returns how many
  // were added or refreshed.
  Result<int> PropagateClassifications();
  Result<std::vector<ClassificationRecord>> Classifications(const std::string& column);

  // --- reading ----------------------------------------------------------------------------
  Result<AssetInfo> GetAsset(const std::string& name);
  Result<std::vector<ColumnInfo>> Columns(const std::string& table);
  Result<std::vector<SchemaVersion>> SchemaHistory(const std::string& table);
  Result<std::vector<RunInfo>> Runs(const std::string& job, int limit = 20);
  // Assets of one kind (table, column, pipeline, ...), names in order; removed ones excluded.
  Result<std::vector<std::string>> List(const std::string& kind);
  // Walks lineage from `name` (a table, file or column; a column walks column edges, anything
  // else table edges). depth <= 0 means unlimited.
  Result<LineageGraph> Lineage(const std::string& name, LineageDirection direction, int depth);
  // Ranked full-text search over names, descriptions, tags, glossary terms and owners of
  // tables, columns, files, pipelines and tasks; accent- and case-insensitive; every term must
  // match (as a word prefix), falling back to any term when that finds nothing.
  Result<std::vector<SearchHit>> Search(const std::string& query, int limit = 20);

 private:
  explicit Catalog(std::unique_ptr<Store> store);
  friend class CatalogWriter;
  std::unique_ptr<Store> store_;
};

// ISO-8601 UTC now, "2024-01-31T12:00:00Z".
std::string NowIso8601();

}  // namespace strata::catalog
