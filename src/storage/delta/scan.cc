#include "storage/delta/scan.h"

#include <map>
#include <utility>

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

// One logical column from its physical column (`physical_type` empty = absent from every file).
std::string ColumnExpr(const StructField& field, const std::string& phys_ref,
                       const std::string& physical_type, ColumnMappingMode mode) {
  const std::string logical_type = ToSqlType(field.type);
  if (physical_type.empty()) return "CAST(NULL AS " + logical_type + ")";
  if (field.type.kind == DataType::Kind::kPrimitive && field.type.name == "timestamp" &&
      physical_type.rfind("TIMESTAMP", 0) == 0 &&
      physical_type.find("TIME ZONE") == std::string::npos && physical_type != "TIMESTAMPTZ") {
    // INT96 and non-UTC-adjusted timestamps hold UTC wall time; convert without the session zone.
    return "timezone('UTC', CAST(" + phys_ref + " AS TIMESTAMP))";
  }
  std::string expr = phys_ref;
  if (mode != ColumnMappingMode::kNone) expr = RenameNested(phys_ref, field.type, mode, 0);
  return "CAST(" + expr + " AS " + logical_type + ")";
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

  // The read_parquet call over the kept files and a map physical column -> DuckDB type.
  Result<std::string> Source(const std::vector<std::string>& paths, bool row_numbers,
                             std::map<std::string, std::string>* physical) {
    const ColumnMappingMode mode = snap_.column_mapping;
    std::string args = SqlStringList(paths) + ", hive_partitioning=false, filename='__strata_file'";
    if (row_numbers) args += ", file_row_number=true";
    if (mode == ColumnMappingMode::kId) {
      // Resolve columns by Parquet field id; the schema map also makes missing columns NULL.
      std::string schema = "MAP{";
      bool first = true;
      for (const auto& f : snap_.schema.fields) {
        if (IsPartition(f)) continue;
        auto id = f.ColumnMappingId();
        if (!id) return Status::Corruption("column '" + f.name + "' has no column mapping id");
        std::string phys = PhysicalName(f, mode);
        std::string type = ToPhysicalSqlType(f.type, mode);
        schema += std::string(first ? "" : ", ") + std::to_string(*id) +
                  ": {name: " + engine::QuoteLiteral(phys) +
                  ", type: " + engine::QuoteLiteral(type) + ", default_value: NULL}";
        first = false;
        (*physical)[phys] = type;
      }
      schema += "}";
      if (first) schema = "";
      if (!schema.empty()) args += ", schema=" + schema;
      return "read_parquet(" + args + ")";
    }
    args += ", union_by_name=true";
    std::string source = "read_parquet(" + args + ")";
    // Files written at different schema versions lack some columns: ask DuckDB which exist.
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::QueryResult> probe,
                            conn_.Query("SELECT * FROM " + source + " LIMIT 0"));
    for (const engine::Column& c : probe->columns()) (*physical)[c.name] = c.type_name;
    return source;
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
            dv_values += (i ? "," : "") + std::to_string((*rows)[i]);
          }
          dv_values += "]::UBIGINT[])";
        }
      }
      paths.push_back(std::move(path));
    }
    std::map<std::string, std::string> physical;
    STRATA_ASSIGN_OR_RETURN(std::string source, Source(paths, !dv_values.empty(), &physical));

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
        auto it = physical.find(phys);
        expr = ColumnExpr(f, "__strata_data." + QuoteIdentifier(phys),
                          it == physical.end() ? "" : it->second, mode);
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
