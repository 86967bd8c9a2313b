// LakeSession: makes lake tables queryable by name on one DuckDB connection.
//
//   STRATA_ASSIGN_OR_RETURN(Lake lake, Lake::Open("./lake"));
//   LakeSession session(lake, connection);
//   STRATA_ASSIGN_OR_RETURN(BoundQuery q, session.Bind(
//       "SELECT * FROM bronze.pedidos p JOIN silver.clientes AT (VERSION => 3) c USING (id)"));
//   connection.Query(q.sql);
//
// Bind finds the query's table references with DuckDB's parser (sql_refs.h). Each `layer.name`
// of the lake, and each quoted path of a Delta table (FROM './some/table'), is loaded
// (delta::LoadSnapshot), planned (delta::PlanScan) and created as a view:
//   - latest version:     view `layer.name` in a DuckDB schema named after the layer, so the
//                         query text needs no change;
//   - AT (VERSION => n) and AT (TIMESTAMP => ts): view `layer."name@vN"` (the timestamp is
//                         resolved to its version first), and exactly that reference's text is
//                         rewritten to it, aliased back to the table name;
//   - paths:              view `strata_paths."p<hash>[@vN]"`, aliased to the last path part.
//
// Contract:
//  - A qualified reference whose schema is a lake layer (bronze, silver, gold, or any layer
//    directory of the lake) must name an existing table: else NotFound naming it and close
//    names. A qualified reference to neither a lake layer nor a DuckDB schema/catalog is
//    NotFound the same way. Unqualified names (CTEs, DuckDB tables) and paths that are not
//    Delta tables (FROM 'x.csv') pass through to DuckDB untouched.
//  - SQL DuckDB cannot serialize (statements other than SELECT, syntax errors) is returned
//    unchanged with `parsed` false: DuckDB then runs it or reports the error itself.
//  - Views are cached: binding the latest version again costs one listing of `_delta_log/`;
//    a version that changed is re-planned and its view replaced.
//  - The session owns the ScanPlans (and their temporary copies of remote files), so the views
//    are valid while the session lives; the destructor drops the views it created. The
//    connection must outlive the session.
// Thread safety: one thread at a time, like the connection.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "lake/lake.h"
#include "lake/sql_refs.h"
#include "storage/delta/scan.h"
#include "storage/delta/snapshot.h"

namespace strata::lake {

// Which version to read: the latest, an exact version, or the latest at or before a time.
struct TimeTravel {
  std::optional<int64_t> version;
  std::optional<int64_t> timestamp_millis;
};

struct BoundTable {
  std::string reference;  // "bronze.pedidos" or the path as written
  std::string view;       // SQL name of the view, quoted where needed: bronze."pedidos@v3"
  int64_t version = -1;
  std::shared_ptr<const delta::Snapshot> snapshot;
};

struct BoundQuery {
  std::string sql;                 // what to run on the session's connection
  std::vector<BoundTable> tables;  // each distinct view the query uses, in order of appearance
  bool parsed = true;              // false: passed through unbound (see the contract)
  std::string unparsed_reason;
};

// What one reader may see of one lake table (LakeSession::SetAccessPolicy).
struct TableAccess {
  bool readable = true;
  std::string reason;                       // why not, for the PermissionDenied message
  std::vector<std::string> masked_columns;  // top-level column names (any case)
};
// Decides per table; its errors fail the Bind that asked.
using AccessPolicy = std::function<Result<TableAccess>(const TableName& table)>;

// The table functions a reader under an access policy may still call: they generate rows and
// read no file.
bool IsGeneratorTableFunction(std::string_view name);

class LakeSession {
 public:
  // `lake` may be nullopt: only path references bind then.
  LakeSession(std::optional<Lake> lake, engine::Connection& connection);
  ~LakeSession();
  LakeSession(const LakeSession&) = delete;
  LakeSession& operator=(const LakeSession&) = delete;

  const std::optional<Lake>& lake() const { return lake_; }

  // Restricts what Bind and BindTable expose, for a reader not trusted with everything (a
  // server's user). A table the policy makes unreadable is PermissionDenied naming it. Masked
  // columns are masked in the view itself ('***' for text, NULL for other types), so every
  // query, join, filter and aggregate over the table sees only masked values. Delta tables by
  // path are PermissionDenied. With `user_sql`, Bind also refuses what is not one SELECT and
  // table functions other than generators (IsGeneratorTableFunction): they could read the
  // lake's files around the policy (the server's own SQL, e.g. SUMMARIZE, passes false). Set it
  // before the first Bind; views bound earlier are not re-checked.
  void SetAccessPolicy(AccessPolicy policy, bool user_sql = true) {
    policy_ = std::move(policy);
    restrict_sql_ = user_sql;
  }

  Result<BoundQuery> Bind(std::string_view sql);

  // Binds one table (TABLE or PATH, see lake.h) and returns its view.
  Result<BoundTable> BindTable(std::string_view table_or_path, const TimeTravel& travel = {});
  Result<BoundTable> BindTable(const TableLocation& location, const TimeTravel& travel = {});

  // Loads a snapshot of a table (no view), naming the table in errors; a version past the
  // latest is NotFound naming the latest.
  Result<delta::Snapshot> LoadSnapshot(const TableLocation& location, const TimeTravel& travel);

  // Parses a point in time as DuckDB does ('2024-01-31', '2024-01-31 10:00:00',
  // '2024-01-31T10:00:00Z', '... +02:00'); no offset means UTC. InvalidArgument if it does not
  // parse.
  Result<int64_t> ParseTimestampMillis(std::string_view text);

 private:
  struct View {
    int64_t version = -1;
    std::shared_ptr<const delta::Snapshot> snapshot;
    std::unique_ptr<delta::ScanPlan> plan;
  };

  Result<std::optional<TableLocation>> ClassifyRef(const SqlTableRef& ref);
  Result<TimeTravel> EvaluateAt(const SqlTableRef& ref);
  // (schema, view) names for a location at a version; `pinned` is false for the latest.
  std::pair<std::string, std::string> ViewName(const TableLocation& location, int64_t version,
                                               bool pinned) const;
  // The policy's verdict for `location` (everything when there is no policy).
  Result<TableAccess> CheckAccess(const TableLocation& location);
  // CREATE VIEW text of schema.view for `plan` under `access` (columns masked).
  Result<std::string> ViewSql(const delta::ScanPlan& plan, const delta::Snapshot& snapshot,
                              const std::string& schema, const std::string& view,
                              const TableAccess& access) const;

  AccessPolicy policy_;
  bool restrict_sql_ = false;

  std::optional<Lake> lake_;
  engine::Connection& connection_;
  std::map<std::string, View> views_;  // by quoted SQL name
};

}  // namespace strata::lake
