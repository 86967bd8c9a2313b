// A strata project on disk (see ../shared/DESIGN.md, "A project on disk"), loaded and checked.
//
//   strata.yaml            name, description, owner, storage, landing, catalog, engine,
//                          openlineage
//   sources/*.yaml         `defaults:` + `sources:` -> ingest::FileSourceSpec (bronze tables);
//                          items with `kind: mysql` are database sources (database_source.h)
//   models/<layer>/X.sql   one SELECT per model, table `<layer>.X`; its metadata (description,
//                          owner, tags, glossary, columns, materialized, key, tests) in X.yaml
//                          beside it, or in a `/*--- ... ---*/` YAML block at the top of X.sql
//
// Contract:
//  - Every error in a project file is InvalidArgument naming the file (relative to the project),
//    the line, the column and the field; unknown keys are errors (with the closest known key),
//    so a typo is never silently ignored. Loading stops at the first error.
//  - A model with metadata both beside it and in its header, a .yaml without its .sql, two
//    definitions of the same table, and a `quarantine` action on a test that is not row-level
//    are errors.
//  - Loading reads files only: SQL is not parsed here (see graph.h) and the lake is not opened.
// Thread safety: a loaded Project is immutable; share it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "ingest/file_source.h"
#include "lake/lake.h"
#include "pipeline/database_source.h"
#include "pipeline/yaml_reader.h"

namespace strata::pipeline {

enum class TestKind {
  kNotNull,
  kUnique,
  kAcceptedValues,
  kRelationships,
  kRange,
  kRowCount,
  kFreshness,
  kExpect,
  kSql,
};
enum class TestAction { kWarn, kFail, kQuarantine };

const char* TestKindName(TestKind kind);  // "not_null", as written in the YAML
const char* TestActionName(TestAction action);
// Row-level kinds judge each row on its own, so their failures can be quarantined.
bool IsRowLevel(TestKind kind);

// One expectation on a table. The SQL fragments (values, bounds, expressions) are SQL text.
struct TestSpec {
  std::string name;  // unique within its table; defaults to "<kind>_<columns>"
  std::string description;
  TestKind kind = TestKind::kNotNull;
  TestAction action = TestAction::kFail;
  std::vector<std::string> columns;   // not_null/unique: one or more; others: one
  std::vector<std::string> values;    // accepted_values: SQL literals
  std::optional<lake::TableName> to;  // relationships: referenced table ...
  std::string to_field;               // ... and its column
  std::optional<std::string> min;     // range: SQL literal bounds (inclusive)
  std::optional<std::string> max;
  std::optional<int64_t> min_rows;  // row_count
  std::optional<int64_t> max_rows;
  int64_t max_age_seconds = 0;  // freshness
  std::string expression;       // expect: a boolean SQL expression over one row
  std::string sql;              // sql: a query returning the failing rows
  SourceLocation where;
};

enum class Materialization { kTable, kIncremental, kMerge, kApplyChanges };
const char* MaterializationName(Materialization m);

// `materialized: apply_changes`: the model's SQL reads a change table (a CDC bronze table) and
// its table mirrors the source table (see apply_changes.h for the semantics).
struct ApplyChangesSpec {
  enum class History { kScd1, kScd2 };
  std::string sequence_by = "_position";  // orders the changes of one key
  History history = History::kScd1;
  // Columns of the changes not written to the table; nullopt = the default
  // (kDefaultExceptColumns). scd2 always keeps `sequence_by` (it names a version).
  std::optional<std::vector<std::string>> except_columns;
  SourceLocation key_where;  // of `key`, `sequence_by` and `except_columns`, for run-time errors
  SourceLocation sequence_where;
  SourceLocation except_where;
};
inline const std::vector<std::string>& DefaultExceptColumns() {
  static const std::vector<std::string> kColumns = {"_op", "_position", "_tx", "_ingested_at"};
  return kColumns;
}

struct ColumnDoc {
  std::string name;
  std::string description;
  std::string pii;
  std::vector<std::string> tags;
};

struct ModelSpec {
  lake::TableName table;  // silver.fato_pedido_correlacionado
  std::string sql;        // the SELECT (with the metadata header, if any, blanked out)
  std::string sql_file;   // project-relative
  std::string meta_file;  // project-relative .yaml, or sql_file when in the header, or ""
  std::string description;
  std::string owner;
  std::vector<std::string> tags;
  std::vector<std::string> glossary;
  std::vector<ColumnDoc> columns;
  Materialization materialized = Materialization::kTable;
  std::vector<std::string> key;  // required for merge and apply_changes
  ApplyChangesSpec apply;        // materialized: apply_changes only
  std::vector<TestSpec> tests;
  SourceLocation where;  // of the .sql
  // `<layer>.<name>__quarantine`.
  lake::TableName QuarantineTable() const;
};

struct SourceSpec {
  ingest::FileSourceSpec spec;  // table, patterns, CSV options, contract columns, governance
  std::vector<std::string> glossary;
  std::vector<TestSpec> tests;  // extra tests declared on the source (besides the built-in ones)
  SourceLocation where;
};

struct ProjectConfig {
  std::string name;
  std::string description;
  std::string owner;
  std::string storage = "lake";  // directory relative to the project, or a URI
  std::string landing = "landing";
  std::string catalog = ".strata/catalog.db";
  // Where each run's OpenLineage events go: a directory (relative to the project) or an
  // http(s):// endpoint; "" = none.
  std::string openlineage;
  int engine_threads = 0;
  std::string engine_memory_limit;
};

struct Project {
  std::string root;  // absolute directory holding strata.yaml
  ProjectConfig config;
  std::vector<SourceSpec> sources;
  std::vector<DatabaseSourceSpec> database_sources;  // `kind: mysql` items of sources/*.yaml
  std::vector<ModelSpec> models;                     // sorted by table name

  // Absolute paths (or URIs for storage) resolved against `root`.
  std::string StoragePath() const;
  std::string LandingPath() const;
  std::string SecretsPath() const;  // <root>/.strata/secrets
  std::string SourceStatePath() const;  // <root>/.strata/cdc (database source followers)
  const ModelSpec* FindModel(const lake::TableName& table) const;
  const SourceSpec* FindSource(const lake::TableName& table) const;
};

// Loads the project whose strata.yaml is in `directory`.
Result<Project> LoadProject(const std::string& directory);

// Only strata.yaml of the project in `directory` (for commands that need the storage, not the
// models); `root` is set. Errors as LoadProject.
Result<Project> LoadProjectConfig(const std::string& directory);

// The nearest directory at or above `start` holding a strata.yaml, or nullopt.
std::optional<std::string> FindProjectRoot(const std::string& start);

// Parses the tests list at `field` (shared by models and sources); `layer_table` names the
// table the tests belong to, for default names and messages.
Result<std::vector<TestSpec>> ParseTests(const YamlField& field);

}  // namespace strata::pipeline
