// DeltaTable::Delete and DeltaTable::Merge: copy-on-write row changes in one commit each.
#include <algorithm>

#include "storage/delta/delta_table.h"
#include "storage/delta/table_ops.h"
#include "storage/delta/write_schema.h"

namespace strata::delta {
namespace {

using engine::QuoteIdentifier;
using json = nlohmann::ordered_json;

std::string Str(int64_t v) { return std::to_string(v); }

// Drops the merge's temporary source table however the merge ends.
class TempTable {
 public:
  TempTable(engine::Connection& conn, std::string name) : conn_(conn), name_(std::move(name)) {}
  ~TempTable() { (void)conn_.Execute("DROP TABLE IF EXISTS " + name_); }
  TempTable(const TempTable&) = delete;
  TempTable& operator=(const TempTable&) = delete;
  const std::string& name() const { return name_; }

 private:
  engine::Connection& conn_;
  std::string name_;
};

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  for (const auto& n : names) {
    if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<CommitResult> DeltaTable::Delete(const DeleteOptions& options) {
  return Run(options.conflict_retries, true, [&](const Snapshot* snap) -> Result<Prepared> {
    Prepared p;
    if (BoolProperty(snap->metadata, "delta.appendOnly")) {
      return Status::FailedPrecondition("Delta table '" + root_ +
                                        "' is append-only (delta.appendOnly): delete refused");
    }
    DataWriteOptions wo;
    wo.clock = options_.clock;
    wo.temp_dir = options_.temp_dir;
    STRATA_ASSIGN_OR_RETURN(
        RowDeletion del,
        DeleteMatchingRows(conn_, *store_, *snap, options.where, options.where_sql, wo));
    if (del.removes.empty()) {
      p.nothing_to_do = true;
      return p;
    }
    CommitRequest& r = p.request;
    p.written_keys = del.rewritten.keys;
    const int64_t removed = static_cast<int64_t>(del.removes.size());
    for (RemoveFile& rm : del.removes) r.actions.emplace_back(std::move(rm));
    for (AddFile& a : del.rewritten.adds) r.actions.emplace_back(std::move(a));
    r.operation = "DELETE";
    r.operation_parameters["predicate"] =
        JsonStringList(DescribePredicates(options.where, options.where_sql));
    r.operation_metrics["numRemovedFiles"] = Str(removed);
    r.operation_metrics["numAddedFiles"] = Str(static_cast<int64_t>(del.rewritten.keys.size()));
    r.operation_metrics["numDeletedRows"] = Str(del.deleted_rows);
    r.operation_metrics["numCopiedRows"] = Str(del.copied_rows);
    r.operation_metrics["numRemovedBytes"] = Str(del.removed_bytes);
    r.operation_metrics["numAddedBytes"] = Str(del.rewritten.bytes);
    r.read.whole_table = options.where.empty() || !options.where_sql.empty();
    r.read.predicate = options.where;
    r.read.files = std::move(del.read_files);
    return p;
  });
}

Result<CommitResult> DeltaTable::Merge(std::string_view source_sql, const MergeOptions& options) {
  if (options.keys.empty()) return Status::InvalidArgument("merge needs at least one key column");
  return Run(options.conflict_retries, true, [&](const Snapshot* snap) -> Result<Prepared> {
    Prepared p;
    p.txn = options.txn;
    p.request.user_metadata = options.user_metadata;
    const std::string where = "Delta table '" + root_ + "': merge";
    if (options.txn && snap->AppVersion(options.txn->app_id).value_or(-1) >= options.txn->version) {
      p.already_applied = true;
      return p;
    }
    if (BoolProperty(snap->metadata, "delta.appendOnly") &&
        (options.update_matched || !options.delete_when.empty())) {
      return Status::FailedPrecondition(where + ": the table is append-only (delta.appendOnly)");
    }
    STRATA_ASSIGN_OR_RETURN(std::vector<engine::Column> all, QueryColumns(conn_, source_sql));
    std::vector<engine::Column> written;
    std::string extra;  // condition-only columns, kept in the temp table for delete_when
    for (const engine::Column& c : all) {
      if (Contains(options.condition_columns, c.name)) {
        extra += ", __strata_src." + QuoteIdentifier(c.name);
      } else {
        written.push_back(c);
      }
    }
    STRATA_ASSIGN_OR_RETURN(WritePlan plan, PlanWrite(snap->schema, snap->partition_columns(),
                                                      written, options.evolve_schema, root_));
    std::string key_list, key_not_null;
    for (const std::string& k : options.keys) {
      const StructField* f = snap->schema.Find(k);
      if (f == nullptr) {
        return Status::InvalidArgument(where + ": key column '" + k + "' is not in the table");
      }
      key_list += (key_list.empty() ? "" : ", ") + QuoteIdentifier(f->name);
      key_not_null += " AND " + QuoteIdentifier(f->name) + " IS NOT NULL";
    }
    // "__s.k = <target>.k AND ...": NULL keys never match, as in SQL MERGE.
    auto key_eq_with = [&](const std::string& target) {
      std::string eq;
      for (const std::string& k : options.keys) {
        const std::string q = QuoteIdentifier(snap->schema.Find(k)->name);
        eq += (eq.empty() ? "" : " AND ") + ("__s." + q + " = " + target + "." + q);
      }
      return eq;
    };
    const std::string key_eq = key_eq_with("__t");
    std::string name = "__strata_merge_" + NewUuid();
    name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
    TempTable src(conn_, name);
    const std::string del_expr =
        options.delete_when.empty() ? "false" : "coalesce((" + options.delete_when + "), false)";
    STRATA_RETURN_IF_ERROR(conn_.Execute(
        "CREATE TEMP TABLE " + src.name() + " AS SELECT " + plan.projection + extra + ", " +
        del_expr + " AS __strata_del FROM (" + std::string(source_sql) + ") AS __strata_src"));
    STRATA_ASSIGN_OR_RETURN(
        int64_t dups,
        engine::QueryInt64(conn_, "SELECT count(*) FROM (SELECT 1 FROM " + src.name() +
                                      " WHERE true" + key_not_null + " GROUP BY " + key_list +
                                      " HAVING count(*) > 1)"));
    if (dups > 0) {
      return Status::InvalidArgument(where + ": " + Str(dups) + " key value(s) of (" + key_list +
                                     ") appear in more than one source row; deduplicate the "
                                     "source first");
    }
    STRATA_ASSIGN_OR_RETURN(int64_t source_rows,
                            engine::QueryInt64(conn_, "SELECT count(*) FROM " + src.name()));

    // Files that may hold a source key: prune with the source's key range per key column.
    std::vector<Predicate> range;
    bool whole_table = false, no_keys = false;
    for (const std::string& k : options.keys) {
      const StructField* f = snap->schema.Find(k);
      Result<std::string> lo = PartitionValueSql(f->type, "min(" + QuoteIdentifier(f->name) + ")");
      Result<std::string> hi = PartitionValueSql(f->type, "max(" + QuoteIdentifier(f->name) + ")");
      // Float keys are not range-pruned: their text form need not compare exactly with the
      // stats (0.1 as a float is not the double 0.1), and a wrong skip would miss a match.
      const bool is_float = f->type.kind == DataType::Kind::kPrimitive &&
                            (f->type.name == "float" || f->type.name == "double");
      if (!lo.ok() || !hi.ok() || is_float) continue;
      STRATA_ASSIGN_OR_RETURN(
          auto rows, conn_.QueryRows("SELECT " + *lo + ", " + *hi + " FROM " + src.name()));
      const auto& row = rows.at(0);
      if (std::holds_alternative<std::monostate>(row[0])) {
        no_keys = true;  // every key is NULL: nothing can match
        continue;
      }
      range.push_back({f->name, Predicate::Op::kGe, std::get<std::string>(row[0])});
      range.push_back({f->name, Predicate::Op::kLe, std::get<std::string>(row[1])});
    }
    // The rows read are described by the AND of the key ranges; with none, by the whole table.
    whole_table = range.empty() && !no_keys;
    std::vector<AddFile> candidates;
    if (!no_keys) {
      for (const AddFile& f : snap->files) {
        STRATA_ASSIGN_OR_RETURN(bool may, FileMayMatch(*snap, f, range));
        if (may) candidates.push_back(f);
      }
    }
    const std::string change = options.update_matched ? "true" : "__s.__strata_del";
    STRATA_ASSIGN_OR_RETURN(std::vector<FileMatch> matches,
                            CountMatches(conn_, *store_, *snap, candidates,
                                         "EXISTS (SELECT 1 FROM " + src.name() + " AS __s WHERE " +
                                             key_eq_with("__strata_f") + " AND " + change + ")",
                                         options_.temp_dir));
    std::vector<AddFile> rewrite;
    for (const FileMatch& m : matches) {
      if (m.matching > 0) rewrite.push_back(m.file);
    }

    ScanOptions so;
    so.temp_dir = options_.temp_dir;
    STRATA_ASSIGN_OR_RETURN(ScanPlan rewrite_scan,
                            PlanScan(WithFiles(*snap, rewrite), *store_, conn_, so));
    STRATA_ASSIGN_OR_RETURN(ScanPlan candidate_scan,
                            PlanScan(WithFiles(*snap, candidates), *store_, conn_, so));
    std::string target_cols, source_cols;
    for (const StructField& f : plan.schema.fields) {
      const std::string q = QuoteIdentifier(f.name);
      const StructField* old = snap->schema.Find(f.name);
      target_cols += (target_cols.empty() ? "" : ", ") +
                     (old ? "CAST(__t." + q + " AS " + ToSqlType(f.type) + ")"
                          : "CAST(NULL AS " + ToSqlType(f.type) + ")") +
                     " AS " + q;
      source_cols += (source_cols.empty() ? "" : ", ") + ("__s." + q);
    }
    const std::string t_rewrite = "(" + rewrite_scan.sql() + ") AS __t";
    const std::string matched_join =
        " FROM " + t_rewrite + " JOIN " + src.name() + " AS __s ON " + key_eq;
    const std::string insert_where =
        " FROM " + src.name() +
        " AS __s WHERE NOT __s.__strata_del AND NOT EXISTS (SELECT 1 FROM (" +
        candidate_scan.sql() + ") AS __t WHERE " + key_eq + ")";
    STRATA_ASSIGN_OR_RETURN(
        auto counts,
        conn_.QueryRows("SELECT (SELECT count(*)" + matched_join + " WHERE __s.__strata_del), " +
                        "(SELECT count(*)" + matched_join + " WHERE NOT __s.__strata_del), " +
                        "(SELECT count(*)" + insert_where + ")"));
    const int64_t deleted = std::get<int64_t>(counts.at(0)[0]);
    const int64_t updated = options.update_matched ? std::get<int64_t>(counts.at(0)[1]) : 0;
    const int64_t inserted = options.insert_unmatched ? std::get<int64_t>(counts.at(0)[2]) : 0;
    if (rewrite.empty() && inserted == 0) {
      p.nothing_to_do = true;
      return p;
    }
    std::string data = "SELECT " + target_cols + " FROM " + t_rewrite +
                       " WHERE NOT EXISTS (SELECT 1 FROM " + src.name() + " AS __s WHERE " +
                       key_eq + " AND " + change + ")";
    if (options.update_matched) {
      data += " UNION ALL SELECT " + source_cols + matched_join + " WHERE NOT __s.__strata_del";
    }
    if (options.insert_unmatched) data += " UNION ALL SELECT " + source_cols + insert_where;

    DataWriteOptions wo;
    wo.clock = options_.clock;
    wo.temp_dir = options_.temp_dir;
    STRATA_ASSIGN_OR_RETURN(
        WrittenFiles files,
        WriteDataFiles(conn_, *store_, root_, plan.schema, snap->partition_columns(), data, wo));
    CommitRequest& r = p.request;
    p.written_keys = files.keys;
    if (plan.schema_changed) {
      Metadata m = snap->metadata;
      m.schema_string = SchemaToJson(plan.schema);
      if (plan.types_widened) r.actions.emplace_back(WithTypeWidening(snap->protocol));
      r.actions.emplace_back(std::move(m));
    }
    const int64_t now = clock().NowMicros() / 1000;
    int64_t removed_bytes = 0;
    for (const AddFile& f : rewrite) {
      r.actions.emplace_back(RemoveFor(f, now, true));
      removed_bytes += f.size;
    }
    for (AddFile& a : files.adds) r.actions.emplace_back(std::move(a));
    r.operation = "MERGE";
    std::string pred;
    for (const std::string& k : options.keys) {
      pred += (pred.empty() ? "" : " AND ") + ("target." + k + " = source." + k);
    }
    r.operation_parameters["predicate"] = JsonStringList({pred});
    json matched = json::array();
    if (!options.delete_when.empty()) {
      matched.push_back({{"actionType", "delete"}, {"predicate", options.delete_when}});
    }
    if (options.update_matched) matched.push_back({{"actionType", "update"}});
    json not_matched = json::array();
    if (options.insert_unmatched) not_matched.push_back({{"actionType", "insert"}});
    r.operation_parameters["matchedPredicates"] = matched.dump();
    r.operation_parameters["notMatchedPredicates"] = not_matched.dump();
    r.operation_metrics["numSourceRows"] = Str(source_rows);
    r.operation_metrics["numTargetRowsInserted"] = Str(inserted);
    r.operation_metrics["numTargetRowsUpdated"] = Str(updated);
    r.operation_metrics["numTargetRowsDeleted"] = Str(deleted);
    r.operation_metrics["numTargetRowsCopied"] = Str(files.rows - inserted - updated);
    r.operation_metrics["numOutputRows"] = Str(files.rows);
    r.operation_metrics["numTargetFilesAdded"] = Str(static_cast<int64_t>(files.keys.size()));
    r.operation_metrics["numTargetFilesRemoved"] = Str(static_cast<int64_t>(rewrite.size()));
    r.operation_metrics["numTargetBytesAdded"] = Str(files.bytes);
    r.operation_metrics["numTargetBytesRemoved"] = Str(removed_bytes);
    r.read.whole_table = whole_table;
    r.read.predicate = range;
    for (const AddFile& f : candidates) r.read.files.push_back(f.path);
    return p;
  });
}

}  // namespace strata::delta
