#include "storage/delta/table_ops.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace strata::delta {
namespace {

// Files per counting query: one UNION ALL branch each.
constexpr size_t kCountBatch = 64;

const char* OpText(Predicate::Op op) {
  switch (op) {
    case Predicate::Op::kEq:
      return " = ";
    case Predicate::Op::kNe:
      return " != ";
    case Predicate::Op::kLt:
      return " < ";
    case Predicate::Op::kLe:
      return " <= ";
    case Predicate::Op::kGt:
      return " > ";
    case Predicate::Op::kGe:
      return " >= ";
    case Predicate::Op::kIsNull:
      return " IS NULL";
    case Predicate::Op::kIsNotNull:
      return " IS NOT NULL";
  }
  return " ? ";
}

}  // namespace

Result<std::vector<engine::Column>> QueryColumns(engine::Connection& conn, std::string_view sql) {
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<engine::QueryResult> probe,
      conn.Query("SELECT * FROM (" + std::string(sql) + ") AS __strata_probe LIMIT 0"));
  return probe->columns();
}

Snapshot WithFiles(const Snapshot& snap, std::vector<AddFile> files) {
  Snapshot copy;
  copy.table_root = snap.table_root;
  copy.version = snap.version;
  copy.protocol = snap.protocol;
  copy.metadata = snap.metadata;
  copy.schema = snap.schema;
  copy.column_mapping = snap.column_mapping;
  copy.files = std::move(files);
  return copy;
}

RemoveFile RemoveFor(const AddFile& file, int64_t now_millis, bool data_change) {
  RemoveFile r;
  r.path = file.path;
  r.deletion_timestamp = now_millis;
  r.data_change = data_change;
  r.extended_file_metadata = true;
  r.partition_values = file.partition_values;
  r.size = file.size;
  r.tags = file.tags;
  r.deletion_vector = file.deletion_vector;
  r.base_row_id = file.base_row_id;
  r.default_row_commit_version = file.default_row_commit_version;
  return r;
}

std::string JsonStringList(const std::vector<std::string>& items) {
  return nlohmann::json(items).dump();
}

std::vector<std::string> DescribePredicates(const std::vector<Predicate>& preds,
                                            std::string_view where_sql) {
  std::vector<std::string> out;
  for (const Predicate& p : preds) {
    std::string s = p.column + OpText(p.op);
    if (p.op != Predicate::Op::kIsNull && p.op != Predicate::Op::kIsNotNull) {
      s += engine::QuoteLiteral(p.literal);
    }
    out.push_back(std::move(s));
  }
  if (!where_sql.empty()) out.emplace_back(where_sql);
  return out;
}

int64_t IntProperty(const Metadata& metadata, const std::string& key, int64_t fallback) {
  auto it = metadata.configuration.find(key);
  if (it == metadata.configuration.end()) return fallback;
  char* end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || v <= 0) return fallback;
  return v;
}

bool BoolProperty(const Metadata& metadata, const std::string& key) {
  auto it = metadata.configuration.find(key);
  return it != metadata.configuration.end() &&
         (it->second == "true" || it->second == "TRUE" || it->second == "True");
}

Result<std::vector<FileMatch>> CountMatches(engine::Connection& conn, storage::ObjectStore& store,
                                            const Snapshot& snap, const std::vector<AddFile>& files,
                                            const std::string& condition_sql,
                                            const std::string& temp_dir) {
  std::vector<FileMatch> out;
  for (size_t start = 0; start < files.size(); start += kCountBatch) {
    const size_t end = std::min(files.size(), start + kCountBatch);
    std::vector<ScanPlan> plans;  // keep temp copies alive while the query runs
    std::string sql;
    for (size_t i = start; i < end; ++i) {
      ScanOptions scan_options;
      scan_options.temp_dir = temp_dir;
      STRATA_ASSIGN_OR_RETURN(ScanPlan plan,
                              PlanScan(WithFiles(snap, {files[i]}), store, conn, scan_options));
      if (!sql.empty()) sql += " UNION ALL ";
      sql += "SELECT " + std::to_string(i) + " AS __i, count(*) FILTER (WHERE coalesce((" +
             condition_sql + "), false)) AS __m, count(*) AS __n FROM (" + plan.sql() +
             ") AS __strata_f";
      plans.push_back(std::move(plan));
    }
    STRATA_ASSIGN_OR_RETURN(auto rows, conn.QueryRows(sql));
    for (const auto& row : rows) {
      FileMatch m;
      m.file = files[static_cast<size_t>(std::get<int64_t>(row[0]))];
      m.matching = std::get<int64_t>(row[1]);
      m.total = std::get<int64_t>(row[2]);
      out.push_back(std::move(m));
    }
  }
  return out;
}

Result<RowDeletion> DeleteMatchingRows(engine::Connection& conn, storage::ObjectStore& store,
                                       const Snapshot& snap, const std::vector<Predicate>& preds,
                                       std::string_view where_sql,
                                       const DataWriteOptions& write_options) {
  Clock& clock = write_options.clock != nullptr ? *write_options.clock : Clock::System();
  STRATA_ASSIGN_OR_RETURN(std::string cond, FiltersToSql(snap, preds));
  if (!where_sql.empty()) cond = "(" + cond + ") AND (" + std::string(where_sql) + ")";
  RowDeletion out;
  std::vector<AddFile> candidates;
  for (const AddFile& f : snap.files) {
    STRATA_ASSIGN_OR_RETURN(bool may_match, FileMayMatch(snap, f, preds));
    if (!may_match) continue;
    candidates.push_back(f);
    out.read_files.push_back(f.path);
  }
  STRATA_ASSIGN_OR_RETURN(
      std::vector<FileMatch> matches,
      CountMatches(conn, store, snap, candidates, cond, write_options.temp_dir));
  const int64_t now = clock.NowMicros() / 1000;
  std::vector<AddFile> partial;
  for (const FileMatch& m : matches) {
    if (m.matching == 0) continue;
    out.removes.push_back(RemoveFor(m.file, now, true));
    out.deleted_rows += m.matching;
    out.removed_bytes += m.file.size;
    if (m.matching < m.total) partial.push_back(m.file);
  }
  if (partial.empty()) return out;
  ScanOptions scan_options;
  scan_options.temp_dir = write_options.temp_dir;
  STRATA_ASSIGN_OR_RETURN(ScanPlan plan,
                          PlanScan(WithFiles(snap, partial), store, conn, scan_options));
  const std::string keep_sql = "SELECT * FROM (" + plan.sql() +
                               ") AS __strata_old WHERE NOT coalesce((" + cond + "), false)";
  STRATA_ASSIGN_OR_RETURN(out.rewritten,
                          WriteDataFiles(conn, store, snap.table_root, snap.schema,
                                         snap.partition_columns(), keep_sql, write_options));
  out.copied_rows = out.rewritten.rows;
  return out;
}

}  // namespace strata::delta
