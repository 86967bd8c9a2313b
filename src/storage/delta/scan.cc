#include "storage/delta/scan.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "storage/delta/checkpoint_reader.h"
#include "storage/delta/deletion_vector.h"
#include "storage/delta/local_files.h"
#include "storage/delta/log_files.h"

namespace strata::delta {

struct ScanPlan::TempFiles {
  explicit TempFiles(std::string dir) : files(std::move(dir)) {}
  LocalFiles files;
};

ScanPlan::ScanPlan() = default;
ScanPlan::~ScanPlan() = default;
ScanPlan::ScanPlan(ScanPlan&&) noexcept = default;
ScanPlan& ScanPlan::operator=(ScanPlan&&) noexcept = default;

std::string ScanPlan::CreateViewSql(std::string_view view_name) const {
  std::string quoted;
  size_t start = 0;
  while (true) {
    size_t dot = view_name.find('.', start);
    if (!quoted.empty()) quoted += ".";
    quoted += engine::QuoteIdentifier(view_name.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return "CREATE OR REPLACE VIEW " + quoted + " AS " + sql_;
}

namespace {

using engine::QuoteIdentifier;

bool HasStruct(const DataType& t) {
  if (t.kind == DataType::Kind::kStruct) return true;
  for (const auto& c : t.children) {
    if (HasStruct(c)) return true;
  }
  return false;
}

// Rebuilds a nested value stored with physical field names so it carries the logical names.
std::string RenameNested(const std::string& expr, const DataType& t, ColumnMappingMode mode,
                         int depth) {
  if (!HasStruct(t)) return expr;
  const std::string var = "__e" + std::to_string(depth);
  switch (t.kind) {
    case DataType::Kind::kStruct: {
      std::string out = "CASE WHEN " + expr + " IS NULL THEN NULL ELSE struct_pack(";
      for (size_t i = 0; i < t.fields.size(); ++i) {
        const StructField& f = t.fields[i];
        if (i) out += ", ";
        out += QuoteIdentifier(f.name) + " := " +
               RenameNested("(" + expr + ")." + QuoteIdentifier(PhysicalName(f, mode)), f.type,
                            mode, depth + 1);
      }
      return out + ") END";
    }
    case DataType::Kind::kArray:
      return "list_transform(" + expr + ", lambda " + var + ": " +
             RenameNested(var, t.children[0], mode, depth + 1) + ")";
    case DataType::Kind::kMap:
      return "map_from_entries(list_transform(map_entries(" + expr + "), lambda " + var +
             ": {'key': " + RenameNested(var + ".key", t.children[0], mode, depth + 1) +
             ", 'value': " + RenameNested(var + ".value", t.children[1], mode, depth + 1) + "}))";
    default:
      return expr;
  }
}

// What the read_parquet call yields for one data column.
struct PhysicalColumn {
  bool present = true;    // false: no kept file has it, so it reads as NULL
  bool utc_wall = false;  // a naive TIMESTAMP holding UTC wall time (INT96, not UTC-adjusted)
};

// One logical column from its physical column. utc_wall timestamps go through
// timezone('UTC', ...), which makes the instant without consulting the session time zone.
std::string ColumnExpr(const StructField& field, const std::string& phys_ref,
                       const PhysicalColumn& col, ColumnMappingMode mode) {
  const std::string type = ToSqlType(field.type);
  if (!col.present) return "CAST(NULL AS " + type + ")";
  if (col.utc_wall) return "timezone('UTC', CAST(" + phys_ref + " AS TIMESTAMP))";
  // Identity casts cost nothing; other casts widen types (typeWidening, older files).
  return "CAST(" + RenameNested(phys_ref, field.type, mode, 0) + " AS " + type + ")";
}

bool IsTimestampTz(const DataType& t) {
  return t.kind == DataType::Kind::kPrimitive && t.name == "timestamp";
}

}  // namespace

// Builds the plan; a class so the steps share state without long parameter lists.
class ScanPlanner {
 public:
  ScanPlanner(const Snapshot& s, storage::ObjectStore& store, engine::Connection& conn,
              const ScanOptions& o)
      : snap_(s), store_(store), conn_(conn), opts_(o) {}

  Result<ScanPlan> Plan() {
    plan_.temp_files_ = std::make_unique<ScanPlan::TempFiles>(opts_.temp_dir);
    for (const AddFile& f : snap_.files) {
      STRATA_ASSIGN_OR_RETURN(bool keep, FileMayMatch(snap_, f, opts_.filters));
      if (keep) {
        plan_.kept_files_.push_back(f);
      } else {
        ++plan_.pruned_;
      }
    }
    STRATA_ASSIGN_OR_RETURN(std::vector<const StructField*> output, OutputFields());
    std::string inner;
    if (plan_.kept_files_.empty()) {
      inner = "SELECT ";
      for (size_t i = 0; i < output.size(); ++i) {
        inner += (i ? ", " : "") + std::string("CAST(NULL AS ") + ToSqlType(output[i]->type) +
                 ") AS " + QuoteIdentifier(output[i]->name);
      }
      inner += " WHERE false";
    } else {
      STRATA_ASSIGN_OR_RETURN(inner, DataQuery(output));
    }
    if (opts_.apply_filters && !opts_.filters.empty()) {
      STRATA_ASSIGN_OR_RETURN(std::string where, FiltersToSql(snap_, opts_.filters));
      plan_.sql_ = "SELECT * FROM (" + inner + ") AS __strata_scan WHERE " + where;
    } else {
      plan_.sql_ = std::move(inner);
    }
    return std::move(plan_);
  }

 private:
  Result<std::vector<const StructField*>> OutputFields() {
    std::vector<const StructField*> out;
    if (opts_.columns.empty()) {
      for (const auto& f : snap_.schema.fields) out.push_back(&f);
      return out;
    }
    for (const auto& name : opts_.columns) {
      const StructField* f = snap_.schema.Find(name);
      if (f == nullptr) return Status::InvalidArgument("column '" + name + "' is not in the table");
      out.push_back(f);
    }
    return out;
  }

  bool IsPartition(const StructField& f) const {
    for (const auto& p : snap_.metadata.partition_columns) {
      if (p == f.name) return true;
    }
    return false;
  }

  // The read_parquet call over the kept files, and what it yields per physical column name.
  // Default: a `schema` map names every data column with its physical name and type, so columns
  // missing from older files come back NULL without union_by_name (which reads every footer at
  // bind time), and id mode resolves columns by Parquet field id. DuckDB 1.4 rejects `schema`
  // together with file_row_number, so scans that apply deletion vectors use union_by_name and a
  // probe of the unified columns instead (id mode then matches the physical names, which Delta
  // writers store alongside the field ids).
  // `file_names`: the rows carry their file's path as __strata_file (for joins with per-file
  // values). Only asked for when needed: DuckDB 1.4 reads noticeably slower with the column
  // declared, even when nothing selects it (~15% on a join of seven tables).
  Result<std::string> Source(const std::vector<std::string>& paths, bool row_numbers,
                             bool file_names, std::map<std::string, PhysicalColumn>* columns) {
    const ColumnMappingMode mode = snap_.column_mapping;
    const std::string list = SqlStringList(paths);
    std::string args = list + ", hive_partitioning=false";
    if (file_names || row_numbers) args += ", filename='__strata_file'";
    if (row_numbers) {
      std::string source = "read_parquet(" + args + ", file_row_number=true, union_by_name=true)";
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::QueryResult> probe,
                              conn_.Query("SELECT * FROM " + source + " LIMIT 0"));
      std::map<std::string, std::string> types;
      for (const engine::Column& c : probe->columns()) types[c.name] = c.type_name;
      for (const auto& f : snap_.schema.fields) {
        if (IsPartition(f)) continue;
        const std::string phys = PhysicalName(f, mode);
        auto it = types.find(phys);
        PhysicalColumn col;
        col.present = it != types.end();
        col.utc_wall =
            col.present && IsTimestampTz(f.type) && it->second.rfind("TIMESTAMP", 0) == 0 &&
            it->second.find("TIME ZONE") == std::string::npos && it->second != "TIMESTAMPTZ";
        (*columns)[phys] = col;
      }
      return source;
    }
    STRATA_ASSIGN_OR_RETURN(auto naive, NaiveTimestampColumns(list));
    std::string schema;
    std::vector<std::pair<std::string, std::string>> expected;  // physical name, type
    for (const auto& f : snap_.schema.fields) {
      if (IsPartition(f)) continue;
      const std::string phys = PhysicalName(f, mode);
      std::string key = engine::QuoteLiteral(phys);
      std::optional<int64_t> id = f.ColumnMappingId();
      if (mode == ColumnMappingMode::kId) {
        if (!id) return Status::Corruption("column '" + f.name + "' has no column mapping id");
        key = std::to_string(*id);
      }
      std::string type = ToPhysicalSqlType(f.type, mode);
      PhysicalColumn col;
      if (IsTimestampTz(f.type)) {
        auto it = naive.find(mode == ColumnMappingMode::kId ? key : phys);
        if (it != naive.end()) {
          if (!it->second) {
            return Status::Unsupported(
                "column '" + f.name +
                "' is stored both with and without UTC adjustment in different files");
          }
          type = "TIMESTAMP";
          col.utc_wall = true;
        }
      }
      (*columns)[phys] = col;
      expected.emplace_back(phys, type);
      schema += std::string(schema.empty() ? "" : ", ") + key +
                ": {name: " + engine::QuoteLiteral(phys) + ", type: " + engine::QuoteLiteral(type) +
                ", default_value: NULL}";
    }
    if (schema.empty()) return "read_parquet(" + args + ")";
    STRATA_ASSIGN_OR_RETURN(bool uniform, FilesHoldExactly(paths.size(), list, expected));
    if (!uniform) args += ", schema=MAP{" + schema + "}";
    return "read_parquet(" + args + ")";
  }

  // Whether every one of `file_count` files (few of them) stores exactly the `expected` flat
  // columns with exactly those types: then a plain read_parquet yields the same values as one with
  // a `schema` map. It matters because DuckDB 1.4 reads a file with a `schema` map on one thread
  // only, row group after row group: a table of one large file scanned twice as slowly on two
  // cores. With many files the scan is parallel across files anyway, and reading every footer
  // here would cost more than it saves.
  Result<bool> FilesHoldExactly(size_t file_count, const std::string& list,
                                const std::vector<std::pair<std::string, std::string>>& expected) {
    constexpr size_t kMaxFilesChecked = 16;
    if (snap_.column_mapping == ColumnMappingMode::kId || file_count > kMaxFilesChecked) {
      return false;
    }
    for (const auto& f : snap_.schema.fields) {
      const DataType::Kind kind = f.type.kind;
      if (kind != DataType::Kind::kPrimitive && kind != DataType::Kind::kDecimal) return false;
    }
    // The engine's spelling of each expected type, to compare with what the footers say.
    std::string spell;
    for (const auto& [name, type] : expected) {
      spell += std::string(spell.empty() ? "" : ", ") + "typeof(CAST(NULL AS " + type + "))";
    }
    STRATA_ASSIGN_OR_RETURN(auto spelled, conn_.QueryRows("SELECT " + spell));
    std::map<std::string, std::string> want;
    for (size_t i = 0; i < expected.size(); ++i) {
      const auto* text = std::get_if<std::string>(&spelled.at(0).at(i));
      if (text == nullptr) return false;
      want[expected[i].first] = *text;
    }
    // One row per distinct (element, type): the root of each file has children, every other
    // element must be one of the expected columns, present in every file with its type.
    STRATA_ASSIGN_OR_RETURN(
        auto rows, conn_.QueryRows("SELECT name, duckdb_type, count(*), "
                                   "bool_or(coalesce(num_children, 0) > 0) FROM parquet_schema(" +
                                   list + ") GROUP BY ALL"));
    const auto files = static_cast<int64_t>(file_count);
    int64_t roots = 0;
    size_t matched = 0;
    for (const auto& row : rows) {
      const auto* count = std::get_if<int64_t>(&row[2]);
      const auto* has_children = std::get_if<bool>(&row[3]);
      if (count == nullptr || has_children == nullptr) return false;
      if (*has_children) {
        roots += *count;
        continue;
      }
      const auto* name = std::get_if<std::string>(&row[0]);
      const auto* type = std::get_if<std::string>(&row[1]);
      if (name == nullptr || type == nullptr || *count != files) return false;
      auto it = want.find(*name);
      if (it == want.end() || it->second != *type) return false;
      ++matched;
    }
    return roots == files && matched == want.size();
  }

  // Top-level timestamp columns stored as naive TIMESTAMP in some file, keyed by name (or field
  // id in id mode): true if every file that has the column stores it naive, false if mixed. Only
  // tables with `timestamp` columns pay for this footer scan.
  Result<std::map<std::string, bool>> NaiveTimestampColumns(const std::string& list) {
    std::map<std::string, bool> out;
    bool any = false;
    for (const auto& f : snap_.schema.fields)
      any = any || (!IsPartition(f) && IsTimestampTz(f.type));
    if (!any) return out;
    const bool by_id = snap_.column_mapping == ColumnMappingMode::kId;
    STRATA_ASSIGN_OR_RETURN(
        auto rows,
        conn_.QueryRows(std::string("SELECT ") + (by_id ? "CAST(field_id AS VARCHAR)" : "name") +
                        ", bool_and(duckdb_type <> 'TIMESTAMP WITH TIME ZONE'), "
                        "bool_or(duckdb_type <> 'TIMESTAMP WITH TIME ZONE') FROM parquet_schema(" +
                        list + ") WHERE duckdb_type LIKE 'TIMESTAMP%' GROUP BY ALL"));
    for (const auto& row : rows) {
      if (!std::holds_alternative<std::string>(row[0])) continue;
      bool all_naive = std::get<bool>(row[1]);
      bool some_naive = std::get<bool>(row[2]);
      if (some_naive) out[std::get<std::string>(row[0])] = all_naive;
    }
    return out;
  }

  Result<std::string> DataQuery(const std::vector<const StructField*>& output) {
    const ColumnMappingMode mode = snap_.column_mapping;
    std::vector<std::string> paths;
    std::string dv_values;
    for (const AddFile& f : plan_.kept_files_) {
      STRATA_ASSIGN_OR_RETURN(FileLocation loc,
                              ResolveActionPath(store_, snap_.table_root, f.path));
      std::string path;
      if (loc.key) {
        STRATA_ASSIGN_OR_RETURN(path, plan_.temp_files_->files.PathFor(store_, *loc.key));
      } else {
        path = *loc.local_path;
      }
      if (f.deletion_vector) {
        auto rows = LoadDeletionVector(store_, snap_.table_root, *f.deletion_vector);
        if (!rows.ok()) return rows.status().WithContext("data file " + loc.Describe());
        if (!rows->empty()) {
          dv_values +=
              std::string(dv_values.empty() ? "" : ", ") + "(" + engine::QuoteLiteral(path) + ", [";
          for (size_t i = 0; i < rows->size(); ++i) {
            if (i) dv_values += ',';
            dv_values += std::to_string((*rows)[i]);
          }
          dv_values += "]::UBIGINT[])";
        }
      }
      paths.push_back(std::move(path));
    }
    std::map<std::string, PhysicalColumn> columns;
    STRATA_ASSIGN_OR_RETURN(
        std::string source,
        Source(paths, !dv_values.empty(), !snap_.metadata.partition_columns.empty(), &columns));

    // Partition values, one row per file, typed by the schema.
    std::vector<const StructField*> partition_fields;
    for (const auto& f : snap_.schema.fields) {
      if (IsPartition(f)) partition_fields.push_back(&f);
    }
    std::string files_cte;
    if (!partition_fields.empty()) {
      files_cte = "(VALUES ";
      for (size_t i = 0; i < plan_.kept_files_.size(); ++i) {
        const AddFile& f = plan_.kept_files_[i];
        files_cte += std::string(i ? ", " : "") + "(" + engine::QuoteLiteral(paths[i]);
        for (const StructField* pf : partition_fields) {
          auto it = f.partition_values.find(PhysicalName(*pf, mode));
          std::optional<std::string> value;
          if (it != f.partition_values.end()) value = it->second;
          auto lit = PartitionValueToSql(pf->type, value);
          if (!lit.ok()) return lit.status().WithContext("file " + f.path);
          files_cte += ", " + *lit;
        }
        files_cte += ")";
      }
      files_cte += ") AS __strata_files(__strata_path";
      for (size_t i = 0; i < partition_fields.size(); ++i) files_cte += ", __p" + std::to_string(i);
      files_cte += ")";
    }

    std::string select;
    for (size_t i = 0; i < output.size(); ++i) {
      const StructField& f = *output[i];
      std::string expr;
      if (IsPartition(f)) {
        for (size_t k = 0; k < partition_fields.size(); ++k) {
          if (partition_fields[k] == &f) expr = "__strata_files.__p" + std::to_string(k);
        }
      } else {
        std::string phys = PhysicalName(f, mode);
        expr = ColumnExpr(f, "__strata_data." + QuoteIdentifier(phys), columns[phys], mode);
      }
      select += std::string(i ? ", " : "") + expr + " AS " + QuoteIdentifier(f.name);
    }
    if (output.empty()) select = "1 AS __strata_empty";  // keep a valid statement
    std::string sql = "SELECT " + select + " FROM " + source + " AS __strata_data";
    if (!files_cte.empty()) {
      sql +=
          " JOIN " + files_cte + " ON __strata_data.__strata_file = __strata_files.__strata_path";
    }
    if (!dv_values.empty()) {
      sql += " ANTI JOIN (SELECT __path, unnest(__rows) AS __row FROM (VALUES " + dv_values +
             ") AS __v(__path, __rows)) AS __strata_dv ON __strata_data.__strata_file = "
             "__strata_dv.__path AND __strata_data.file_row_number = __strata_dv.__row";
    }
    return sql;
  }

  const Snapshot& snap_;
  storage::ObjectStore& store_;
  engine::Connection& conn_;
  const ScanOptions& opts_;
  ScanPlan plan_;
};

Result<ScanPlan> PlanScan(const Snapshot& snapshot, storage::ObjectStore& store,
                          engine::Connection& connection, const ScanOptions& options) {
  ScanPlanner planner(snapshot, store, connection, options);
  return planner.Plan();
}

}  // namespace strata::delta
