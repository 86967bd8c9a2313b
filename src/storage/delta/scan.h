// Scan: turns a Snapshot into one DuckDB SQL query returning the table's logical rows, with
// partition values as typed columns, column mapping and deletion vectors applied, and file
// skipping from partition values and add-action stats.
//
//   STRATA_ASSIGN_OR_RETURN(Snapshot snap, LoadSnapshot(store, "lake/silver/pedidos"));
//   STRATA_ASSIGN_OR_RETURN(ScanPlan plan, PlanScan(snap, store, conn, {.filters = {...}}));
//   conn.Query(plan.sql());                         // or:
//   conn.Execute(plan.CreateViewSql("silver.pedidos"));
//
// Contract:
//  - The result has the snapshot schema's columns (logical names, ToSqlType types, schema order;
//    partition columns included where the schema puts them), or `columns` if given.
//  - Pruning is conservative: a file is skipped only when its partition values or stats prove no
//    row can satisfy the AND of the filters. Missing or unparsable stats keep the file.
//  - With apply_filters the filters are also applied to rows, so the result is exact.
//  - Data files must be local for DuckDB: store.LocalPath() when the store is local, otherwise
//    each kept file (and DV file) is copied to a temp file owned by the ScanPlan. The plan must
//    therefore outlive every query or view that uses its SQL.
//  - The SQL does not depend on the DuckDB session time zone.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "storage/delta/snapshot.h"
#include "storage/object_store.h"

namespace strata::delta {

struct Predicate {
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kIsNull, kIsNotNull };
  std::string column;  // logical top-level column name
  Op op = Op::kEq;
  // The literal as text in Delta's partition value spelling ("42", "2024-01-31", "abc",
  // "2024-01-31 10:00:00"); unused for IS [NOT] NULL.
  std::string literal;
};

struct ScanOptions {
  std::vector<Predicate> filters;    // AND-ed
  bool apply_filters = true;         // also filter rows, not only files
  std::vector<std::string> columns;  // projection; empty = all columns
  // Directory for temporary copies of files from non-local stores; empty = $TMPDIR or /tmp.
  std::string temp_dir;
};

class ScanPlan {
 public:
  ScanPlan();
  ~ScanPlan();
  ScanPlan(ScanPlan&&) noexcept;
  ScanPlan& operator=(ScanPlan&&) noexcept;
  ScanPlan(const ScanPlan&) = delete;
  ScanPlan& operator=(const ScanPlan&) = delete;

  // A single SELECT statement (no trailing semicolon).
  const std::string& sql() const { return sql_; }
  // CREATE OR REPLACE VIEW <name> AS <sql>; `name` may be "schema.table" (each part quoted).
  std::string CreateViewSql(std::string_view view_name) const;
  // The files the scan reads after pruning (in snapshot order) and how many were pruned.
  const std::vector<AddFile>& kept_files() const { return kept_files_; }
  size_t pruned_file_count() const { return pruned_; }

 private:
  friend class ScanPlanner;
  struct TempFiles;
  std::string sql_;
  std::vector<AddFile> kept_files_;
  size_t pruned_ = 0;
  std::unique_ptr<TempFiles> temp_files_;
};

Result<ScanPlan> PlanScan(const Snapshot& snapshot, storage::ObjectStore& store,
                          engine::Connection& connection, const ScanOptions& options = {});

// True if the file may hold rows matching every filter (the pruning decision, exposed for
// tests and for writers that need the files a predicate touches, e.g. delete/overwrite).
Result<bool> FileMayMatch(const Snapshot& snapshot, const AddFile& file,
                          const std::vector<Predicate>& filters);

// SQL boolean expression for the AND of `filters` over logical column names (for writers).
Result<std::string> FiltersToSql(const Snapshot& snapshot, const std::vector<Predicate>& filters);

}  // namespace strata::delta
