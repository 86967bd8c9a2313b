#include "lake/session.h"

#include <cctype>
#include <cstdio>
#include <utility>

namespace strata::lake {
namespace {

using engine::QuoteIdentifier;

constexpr const char* kPathSchema = "strata_paths";

// Layers every lake has by convention, even before their first table exists: a reference to
// them is always a lake reference, so a typo gets our NotFound rather than DuckDB's.
bool IsStandardLayer(std::string_view layer) {
  return layer == "bronze" || layer == "silver" || layer == "gold";
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Stable across runs so view names (and test expectations) do not depend on std::hash.
uint64_t Fnv1a(std::string_view text) {
  uint64_t hash = 1469598103934665603ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string LastPathPart(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return last.empty() || last == "." || last == ".." ? std::string("delta_table")
                                                     : std::string(last);
}

}  // namespace

LakeSession::LakeSession(std::optional<Lake> lake, engine::Connection& connection)
    : lake_(std::move(lake)), connection_(connection) {}

LakeSession::~LakeSession() {
  // The plans (and any temporary file copies) die with the session, so the views must too: a
  // view left behind would point at files that may be gone. Best effort: nothing to report to.
  for (const auto& [name, view] : views_) {
    Status ignored = connection_.Execute("DROP VIEW IF EXISTS " + name);
    (void)ignored;
  }
}

std::pair<std::string, std::string> LakeSession::ViewName(const TableLocation& location,
                                                          int64_t version, bool pinned) const {
  const std::string suffix = pinned ? "@v" + std::to_string(version) : "";
  if (location.name) return {location.name->layer, location.name->name + suffix};
  char hex[17];
  std::snprintf(
      hex, sizeof(hex), "%016llx",
      static_cast<unsigned long long>(Fnv1a(location.store->Uri() + "\n" + location.root)));
  return {kPathSchema, "p" + std::string(hex) + suffix};
}

Result<delta::Snapshot> LakeSession::LoadSnapshot(const TableLocation& location,
                                                  const TimeTravel& travel) {
  delta::SnapshotOptions options;
  options.version = travel.version;
  options.timestamp_millis = travel.timestamp_millis;
  options.connection = &connection_;
  Result<delta::Snapshot> snapshot = delta::LoadSnapshot(*location.store, location.root, options);
  if (!snapshot.ok()) return snapshot.status().WithContext("table " + location.display);
  return snapshot;
}

Result<BoundTable> LakeSession::BindTable(std::string_view table_or_path,
                                          const TimeTravel& travel) {
  if (IsPathReference(table_or_path)) {
    STRATA_ASSIGN_OR_RETURN(TableLocation location, OpenTablePath(table_or_path));
    return BindTable(location, travel);
  }
  if (!lake_) {
    return Status::FailedPrecondition("no lake is open to look up table '" +
                                      std::string(table_or_path) + "' (give the lake directory)");
  }
  STRATA_ASSIGN_OR_RETURN(TableLocation location, lake_->Resolve(table_or_path));
  return BindTable(location, travel);
}

Result<BoundTable> LakeSession::BindTable(const TableLocation& location, const TimeTravel& travel) {
  // Checked before anything is read, so a refused table costs no listing and leaks no version.
  STRATA_RETURN_IF_ERROR(CheckAccess(location).status());
  const bool pinned = travel.version.has_value() || travel.timestamp_millis.has_value();
  std::shared_ptr<const delta::Snapshot> snapshot;
  int64_t version = -1;
  if (travel.timestamp_millis) {
    // The version a timestamp means is only known from the log, so load first.
    STRATA_ASSIGN_OR_RETURN(delta::Snapshot loaded, LoadSnapshot(location, travel));
    version = loaded.version;
    snapshot = std::make_shared<const delta::Snapshot>(std::move(loaded));
  } else if (travel.version) {
    version = *travel.version;
  } else {
    STRATA_ASSIGN_OR_RETURN(std::optional<int64_t> latest,
                            delta::LatestVersion(*location.store, location.root));
    if (!latest) return Status::NotFound("table " + location.display + " has no commits");
    version = *latest;
  }

  auto [schema, view] = ViewName(location, version, pinned);
  const std::string quoted = QuoteIdentifier(schema) + "." + QuoteIdentifier(view);
  auto cached = views_.find(quoted);
  if (cached != views_.end() && cached->second.version == version) {
    return BoundTable{location.display, quoted, version, cached->second.snapshot};
  }
  if (!snapshot) {
    // Pin the version we listed, so a commit landing meanwhile cannot slip in unnoticed.
    STRATA_ASSIGN_OR_RETURN(delta::Snapshot loaded,
                            LoadSnapshot(location, TimeTravel{version, std::nullopt}));
    snapshot = std::make_shared<const delta::Snapshot>(std::move(loaded));
  }
  Result<delta::ScanPlan> plan = delta::PlanScan(*snapshot, *location.store, connection_);
  if (!plan.ok()) return plan.status().WithContext("table " + location.display);
  auto owned = std::make_unique<delta::ScanPlan>(std::move(plan).value());
  STRATA_ASSIGN_OR_RETURN(TableAccess access, CheckAccess(location));
  STRATA_ASSIGN_OR_RETURN(std::string view_sql,
                          ViewSql(*owned, *snapshot, schema, view, access));
  Status created =
      connection_.Execute("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(schema) + "; " + view_sql);
  if (!created.ok()) return created.WithContext("creating the view of table " + location.display);
  // Replacing the entry frees the old plan only now that its view no longer uses it.
  views_[quoted] = View{version, snapshot, std::move(owned)};
  return BoundTable{location.display, quoted, version, std::move(snapshot)};
}

Result<std::optional<TableLocation>> LakeSession::ClassifyRef(const SqlTableRef& ref) {
  using Location = std::optional<TableLocation>;
  if (!ref.catalog.empty()) return Location();
  if (ref.schema.empty()) {
    // FROM 'dir': a Delta table only if the directory has a log; DuckDB's own replacement
    // scans ('x.csv', 'y/*.parquet', 's3://...') must keep working.
    if (!IsPathReference(ref.table)) return Location();
    Result<TableLocation> location = OpenTablePath(ref.table);
    if (location.ok()) return Location(std::move(location).value());
    if (location.status().IsNotFound() || location.status().IsInvalidArgument()) {
      return Location();
    }
    return location.status();
  }
  if (!lake_) return Location();
  const std::string layer = Lower(ref.schema);
  bool is_layer = IsStandardLayer(layer);
  if (!is_layer && ValidateNamePart("layer", layer).ok()) {
    STRATA_ASSIGN_OR_RETURN(is_layer, lake_->HasLayer(layer));
  }
  if (!is_layer) {
    STRATA_ASSIGN_OR_RETURN(
        std::unique_ptr<engine::PreparedStatement> known,
        connection_.Prepare("SELECT (SELECT count(*) FROM duckdb_schemas() WHERE lower("
                            "schema_name) = $1) + (SELECT count(*) FROM duckdb_databases() "
                            "WHERE lower(database_name) = $1)"));
    STRATA_RETURN_IF_ERROR(known->Bind(1, layer));
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::QueryResult> result, known->Execute());
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::DataChunk> chunk, result->Next());
    STRATA_ASSIGN_OR_RETURN(int64_t count, chunk->GetInt64(0, 0));
    if (count > 0) return Location();  // a DuckDB schema or attached database: not ours
    return lake_->TableNotFound(TableName{layer, Lower(ref.table)});
  }
  STRATA_ASSIGN_OR_RETURN(TableName name, ParseTableName(ref.schema + "." + ref.table));
  STRATA_ASSIGN_OR_RETURN(TableLocation location, lake_->ResolveName(name));
  return Location(std::move(location));
}

Result<TimeTravel> LakeSession::EvaluateAt(const SqlTableRef& ref) {
  const std::string where =
      "AT clause of " + (ref.schema.empty() ? ref.table : ref.schema + "." + ref.table);
  const std::string unit = Lower(ref.at->unit_name);
  if (unit != "version" && unit != "timestamp") {
    return Status::Unsupported(where + ": AT (" + ref.at->unit_name +
                               " => ...) is not supported; use VERSION or TIMESTAMP");
  }
  if (ref.at->expression.empty()) {
    return Status::Unsupported(where + ": cannot locate its text in the query to evaluate it");
  }
  // Evaluated by DuckDB, so any constant expression works (3, 1 + 2, now() - INTERVAL 1 DAY).
  const std::string sql =
      unit == "version" ? "SELECT CAST((" + ref.at->expression + ") AS BIGINT)"
                        : "SELECT epoch_ms(CAST((" + ref.at->expression + ") AS TIMESTAMPTZ))";
  Result<std::vector<std::vector<engine::Value>>> rows = connection_.QueryRows(sql);
  if (!rows.ok()) return rows.status().WithContext(where);
  if (rows->size() != 1 || !std::holds_alternative<int64_t>((*rows)[0][0])) {
    return Status::InvalidArgument(where + ": " + ref.at->expression + " is NULL");
  }
  const int64_t value = std::get<int64_t>((*rows)[0][0]);
  TimeTravel travel;
  if (unit == "version") {
    travel.version = value;
  } else {
    travel.timestamp_millis = value;
  }
  return travel;
}

Result<BoundQuery> LakeSession::Bind(std::string_view sql) {
  STRATA_ASSIGN_OR_RETURN(SqlRefs refs, FindTableRefs(connection_, sql));
  BoundQuery bound;
  if (policy_ && restrict_sql_) {
    if (!refs.parsed) {
      return Status::PermissionDenied("only a SELECT may run here (" + refs.reason + ")");
    }
    for (const std::string& function : refs.table_functions) {
      if (!IsGeneratorTableFunction(function)) {
        return Status::PermissionDenied("table function " + function +
                                        "() is not allowed here: queries read the lake's tables "
                                        "only, by name (layer.table)");
      }
    }
  }
  if (!refs.parsed) {
    bound.sql = std::string(sql);
    bound.parsed = false;
    bound.unparsed_reason = refs.reason;
    return bound;
  }
  std::vector<SqlEdit> edits;
  for (const SqlTableRef& ref : refs.refs) {
    STRATA_ASSIGN_OR_RETURN(std::optional<TableLocation> location, ClassifyRef(ref));
    if (!location) continue;
    TimeTravel travel;
    if (ref.at) {
      STRATA_ASSIGN_OR_RETURN(travel, EvaluateAt(ref));
    }
    STRATA_ASSIGN_OR_RETURN(BoundTable table, BindTable(*location, travel));
    // A latest-version lake table is already spelled like its view; everything else is
    // rewritten, keeping the name the query uses for its columns (pedidos.id) as the alias.
    if (ref.at || !location->name) {
      if (!ref.begin) {
        return Status::Unsupported("cannot locate the reference to " + location->display +
                                   " in the query text to bind it");
      }
      std::string replacement = table.view;
      if (ref.alias.empty()) {
        replacement +=
            " AS " + QuoteIdentifier(location->name ? ref.table : LastPathPart(ref.table));
      }
      edits.push_back(SqlEdit{*ref.begin, ref.name_end, std::move(replacement)});
      if (ref.at) edits.push_back(SqlEdit{ref.at_begin, ref.end, ""});
    }
    bool seen = false;
    for (const BoundTable& t : bound.tables) seen = seen || t.view == table.view;
    if (!seen) bound.tables.push_back(std::move(table));
  }
  STRATA_ASSIGN_OR_RETURN(bound.sql, ApplyEdits(sql, std::move(edits)));
  return bound;
}

Result<TableAccess> LakeSession::CheckAccess(const TableLocation& location) {
  if (!policy_) return TableAccess{};
  if (!location.name) {
    return Status::PermissionDenied("reading Delta tables by path (" + location.display +
                                    ") is not allowed here: name the table as layer.table");
  }
  STRATA_ASSIGN_OR_RETURN(TableAccess access, policy_(*location.name));
  if (!access.readable) {
    return Status::PermissionDenied("you may not read " + location.display +
                                    (access.reason.empty() ? "" : ": " + access.reason));
  }
  return access;
}

Result<std::string> LakeSession::ViewSql(const delta::ScanPlan& plan,
                                         const delta::Snapshot& snapshot, const std::string& schema,
                                         const std::string& view, const TableAccess& access) const {
  if (access.masked_columns.empty()) return plan.CreateViewSql(schema + "." + view);
  std::string replaced;
  for (const delta::StructField& field : snapshot.schema.fields) {
    bool masked = false;
    for (const std::string& column : access.masked_columns) {
      masked = masked || Lower(column) == Lower(field.name);
    }
    if (!masked) continue;
    const std::string column = QuoteIdentifier(field.name);
    // Text keeps a visible placeholder (the value exists, it is hidden); other types become NULL
    // of their own type, so the view keeps the table's schema.
    const std::string mask =
        field.type.kind == delta::DataType::Kind::kPrimitive && field.type.name == "string"
            ? "CASE WHEN " + column + " IS NULL THEN NULL ELSE '***' END"
            : "CAST(NULL AS " + delta::ToSqlType(field.type) + ")";
    replaced += (replaced.empty() ? "" : ", ") + mask + " AS " + column;
  }
  if (replaced.empty()) return plan.CreateViewSql(schema + "." + view);
  return "CREATE OR REPLACE VIEW " + QuoteIdentifier(schema) + "." + QuoteIdentifier(view) +
         " AS SELECT * REPLACE (" + replaced + ") FROM (" + plan.sql() + ")";
}

bool IsGeneratorTableFunction(std::string_view name) {
  return name == "range" || name == "generate_series" || name == "unnest";
}

Result<int64_t> LakeSession::ParseTimestampMillis(std::string_view text) {
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<engine::PreparedStatement> statement,
      connection_.Prepare("SELECT epoch_ms(CAST(CAST($1 AS VARCHAR) AS TIMESTAMPTZ))"));
  STRATA_RETURN_IF_ERROR(statement->Bind(1, std::string(text)));
  Result<std::unique_ptr<engine::QueryResult>> result = statement->Execute();
  Result<std::unique_ptr<engine::DataChunk>> chunk =
      result.ok() ? (*result)->Next() : Result<std::unique_ptr<engine::DataChunk>>(result.status());
  if (!chunk.ok() || !*chunk || (*chunk)->IsNull(0, 0)) {
    return Status::InvalidArgument("invalid timestamp '" + std::string(text) +
                                   "': expected e.g. 2024-01-31 or 2024-01-31 10:00:00[+00]");
  }
  return (*chunk)->GetInt64(0, 0);
}

}  // namespace strata::lake
