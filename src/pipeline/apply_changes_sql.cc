// The SQL of apply_changes (see apply_changes.h for what it computes).
#include "pipeline/apply_changes_sql.h"

#include <algorithm>

namespace strata::pipeline {
namespace {

using engine::QuoteIdentifier;
using engine::QuoteLiteral;

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The column of `columns` named `name` (case-insensitively, as SQL does), or nullopt.
std::optional<std::string> FindColumn(const std::vector<engine::Column>& columns,
                                      const std::string& name) {
  for (const engine::Column& c : columns) {
    if (Lower(c.name) == Lower(name)) return c.name;
  }
  return std::nullopt;
}

std::string Names(const std::vector<engine::Column>& columns) {
  std::string out;
  for (const engine::Column& c : columns) out += (out.empty() ? "" : ", ") + c.name;
  return out;
}

std::string List(const std::vector<std::string>& names, const std::string& prefix = "") {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + prefix + QuoteIdentifier(n);
  return out;
}

// "a.k1 = b.k1 AND a.k2 = b.k2".
std::string KeyEq(const std::vector<std::string>& key, const std::string& a, const std::string& b) {
  std::string out;
  for (const std::string& k : key) {
    out += (out.empty() ? "" : " AND ") +
           (a + "." + QuoteIdentifier(k) + " = " + b + "." + QuoteIdentifier(k));
  }
  return out;
}

Status ColumnError(const SourceLocation& where, const std::string& field,
                   const std::string& message) {
  return Status::InvalidArgument(where.ToString() + ": " + field + ": " + message);
}

Result<ChangeColumns> ResolveColumns(const std::vector<engine::Column>& columns,
                                     const ApplyChangesRequest& r) {
  const ApplyChangesSpec& spec = r.spec;
  const std::string of = " is not a column of the changes read from " + r.source_name +
                         " (columns: " + Names(columns) + ")";
  ChangeColumns cols;
  cols.scd2 = spec.history == ApplyChangesSpec::History::kScd2;
  for (const engine::Column& c : columns) cols.all.push_back(c.name);
  for (const std::string& k : r.key) {
    std::optional<std::string> found = FindColumn(columns, k);
    if (!found) return ColumnError(spec.key_where, "key", "column '" + k + "'" + of);
    cols.key.push_back(*found);
  }
  std::optional<std::string> seq = FindColumn(columns, spec.sequence_by);
  if (!seq) {
    return ColumnError(spec.sequence_where, "sequence_by",
                       "column '" + spec.sequence_by + "'" + of);
  }
  cols.sequence = *seq;
  for (const engine::Column& c : columns) {
    if (c.name == *seq) cols.sequence_type = c.type_name;
  }
  std::optional<std::string> op = FindColumn(columns, "_op");
  if (!op) {
    return Status::InvalidArgument(r.model_file +
                                   ": apply_changes needs the change kind in a column _op "
                                   "('r', 'c', 'u', 'd'); _op" +
                                   of);
  }
  cols.op = *op;
  cols.time = FindColumn(columns, "_source_ts").value_or(cols.sequence);
  const std::vector<std::string>& except = spec.except_columns.value_or(DefaultExceptColumns());
  for (const std::string& e : except) {
    if (spec.except_columns && !FindColumn(columns, e)) {
      return ColumnError(spec.except_where, "except_columns", "column '" + e + "'" + of);
    }
  }
  for (const std::string& c : cols.all) {
    const bool dropped = std::any_of(except.begin(), except.end(),
                                     [&](const std::string& e) { return Lower(e) == Lower(c); });
    if (!dropped || (cols.scd2 && c == cols.sequence)) cols.out.push_back(c);
    if (cols.scd2 &&
        (Lower(c) == "_valid_from" || Lower(c) == "_valid_to" || Lower(c) == "_is_current")) {
      return Status::InvalidArgument(r.model_file + ": history scd2 adds the column " + c +
                                     ", which the changes of " + r.source_name + " already have");
    }
  }
  return cols;
}

// The changes of `select` with repeats removed: one per key and sequence, the highest op rank
// (an unknown op, rank NULL, wins so the check below sees it), then the highest hash.
std::string DedupedSql(const ChangeColumns& cols, const std::string& select,
                       const std::string& join) {
  const std::string o = QuoteIdentifier(cols.op);
  return "SELECT * FROM (SELECT __ac_c.*, CASE " + o +
         " WHEN 'r' THEN 0 WHEN 'c' THEN 1 WHEN 'u' THEN 2 WHEN 'd' THEN 3 END AS __ac_rank, "
         "hash(" +
         List(cols.all, "__ac_c.") + ") AS __ac_hash FROM (" + select + ") AS __ac_c" + join +
         ") QUALIFY row_number() OVER (PARTITION BY " + List(cols.key) + ", " +
         QuoteIdentifier(cols.sequence) +
         " ORDER BY __ac_rank IS NULL DESC, __ac_rank DESC, __ac_hash DESC) = 1";
}

// Each key's latest change (after DedupedSql, (key, sequence) is unique).
std::string LatestSql(const ChangeColumns& cols, const std::string& relation) {
  return "SELECT * FROM " + relation + " QUALIFY row_number() OVER (PARTITION BY " +
         List(cols.key) + " ORDER BY " + QuoteIdentifier(cols.sequence) + " DESC) = 1";
}

// scd2 rows of the changes in `relation`: a version per change that is not a delete.
std::string VersionsSql(const ChangeColumns& cols, const std::string& relation) {
  const std::string t = QuoteIdentifier(cols.time);
  return "SELECT " + List(cols.out) + ", " + t + " AS _valid_from, lead(" + t +
         ") OVER __ac_w AS _valid_to, lead(" + QuoteIdentifier(cols.sequence) +
         ") OVER __ac_w IS NULL AS _is_current FROM " + relation +
         " WINDOW __ac_w AS (PARTITION BY " + List(cols.key) + " ORDER BY " +
         QuoteIdentifier(cols.sequence) + ") QUALIFY " + QuoteIdentifier(cols.op) + " <> 'd'";
}

}  // namespace

TempTables::~TempTables() {
  for (const char* t : {kChanges, kLate, kHistory, kLateRows, kFull, kMerge}) {
    (void)conn_.Execute(std::string("DROP TABLE IF EXISTS ") + t);
  }
}

Result<ChangeColumns> LoadChanges(engine::Connection& conn, const ApplyChangesRequest& request,
                                  const std::string& relation, const char* table) {
  STRATA_ASSIGN_OR_RETURN(std::string select, request.changes_sql(relation));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::QueryResult> probe,
                          conn.Query("SELECT * FROM (" + select + ") AS __ac_p LIMIT 0"));
  STRATA_ASSIGN_OR_RETURN(ChangeColumns cols, ResolveColumns(probe->columns(), request));
  STRATA_RETURN_IF_ERROR(conn.Execute(std::string("CREATE OR REPLACE TEMP TABLE ") + table +
                                      " AS " + DedupedSql(cols, select, "")));
  std::string null_key;
  for (const std::string& k : cols.key) {
    null_key += (null_key.empty() ? "" : " OR ") + QuoteIdentifier(k) + " IS NULL";
  }
  STRATA_ASSIGN_OR_RETURN(
      auto rows, conn.QueryRows("SELECT count(*) FILTER (WHERE " + null_key +
                                "), count(*) FILTER (WHERE " + QuoteIdentifier(cols.sequence) +
                                " IS NULL), count(*) FILTER (WHERE __ac_rank IS NULL), "
                                "CAST(any_value(" +
                                QuoteIdentifier(cols.op) +
                                ") FILTER (WHERE __ac_rank IS NULL) AS VARCHAR) FROM " + table));
  const auto& row = rows.at(0);
  const std::string in = " in the changes read from " + request.source_name;
  if (std::get<int64_t>(row[0]) > 0) {
    return ColumnError(request.spec.key_where, "key", "a key column is NULL" + in);
  }
  if (std::get<int64_t>(row[1]) > 0) {
    return ColumnError(request.spec.sequence_where, "sequence_by",
                       "column '" + cols.sequence + "' is NULL" + in);
  }
  if (std::get<int64_t>(row[2]) > 0) {
    const std::string* value = std::get_if<std::string>(&row[3]);
    return Status::InvalidArgument(request.model_file + ": " + cols.op + " is " +
                                   (value ? "'" + *value + "'" : std::string("NULL")) + in +
                                   " (expected 'r', 'c', 'u' or 'd')");
  }
  return cols;
}

Result<int64_t> FindLateKeys(engine::Connection& conn, const ChangeColumns& cols,
                             const std::optional<std::string>& watermark) {
  if (!watermark) return 0;  // nothing applied yet: every change is new
  STRATA_RETURN_IF_ERROR(conn.Execute(
      std::string("CREATE OR REPLACE TEMP TABLE ") + kLate + " AS SELECT DISTINCT " +
      List(cols.key) + " FROM " + kChanges + " WHERE " + QuoteIdentifier(cols.sequence) +
      " <= CAST(" + QuoteLiteral(*watermark) + " AS " + cols.sequence_type + ")"));
  return engine::QueryInt64(conn, std::string("SELECT count(*) FROM ") + kLate);
}

Status LoadLateHistory(engine::Connection& conn, const ApplyChangesRequest& request,
                       const ChangeColumns& cols, const std::string& relation) {
  STRATA_ASSIGN_OR_RETURN(std::string select, request.changes_sql(relation));
  const std::string join =
      std::string(" SEMI JOIN ") + kLate + " AS __ac_l ON " + KeyEq(cols.key, "__ac_c", "__ac_l");
  return conn.Execute(std::string("CREATE OR REPLACE TEMP TABLE ") + kHistory + " AS " +
                      DedupedSql(cols, select, join));
}

Result<std::optional<std::string>> MaxSequence(engine::Connection& conn, const ChangeColumns& cols,
                                               const std::optional<std::string>& previous) {
  std::string values =
      "SELECT " + QuoteIdentifier(cols.sequence) + " AS s FROM " + std::string(kChanges);
  if (previous) {
    values +=
        " UNION ALL SELECT CAST(" + QuoteLiteral(*previous) + " AS " + cols.sequence_type + ")";
  }
  STRATA_ASSIGN_OR_RETURN(auto rows,
                          conn.QueryRows("SELECT CAST(max(s) AS VARCHAR) FROM (" + values + ")"));
  const std::string* max = std::get_if<std::string>(&rows.at(0)[0]);
  if (max == nullptr) return std::optional<std::string>();
  return std::optional<std::string>(*max);
}

Status BuildFullRows(engine::Connection& conn, const ChangeColumns& cols) {
  std::string rows;
  if (cols.scd2) {
    rows = VersionsSql(cols, kChanges);
  } else {
    rows = "SELECT " + List(cols.out) + " FROM (" + LatestSql(cols, kChanges) + ") WHERE " +
           QuoteIdentifier(cols.op) + " <> 'd'";
  }
  // Ordered by key, the files get narrow key ranges: later MERGEs skip the files outside the
  // range of the keys they touch.
  return conn.Execute(std::string("CREATE OR REPLACE TEMP TABLE ") + kFull + " AS " + rows +
                      " ORDER BY " + List(MergeKeys(cols)));
}

Status BuildMergeRows(engine::Connection& conn, const ChangeColumns& cols,
                      const delta::Schema& target_schema, const std::string& target,
                      int64_t late_keys) {
  // Changes of keys with no late change: they all follow what the table holds.
  const std::string fresh =
      late_keys == 0 ? std::string(kChanges)
                     : std::string("(SELECT __ac_c.* FROM ") + kChanges + " AS __ac_c ANTI JOIN " +
                           kLate + " AS __ac_l ON " + KeyEq(cols.key, "__ac_c", "__ac_l") + ")";
  const std::string f = std::string(" AS ") + kDeleteFlag;
  std::string rows;
  if (!cols.scd2) {
    // Latest change per key, from the new changes or (late keys) the whole history.
    std::string touched = fresh;
    if (late_keys > 0) {
      touched = "(SELECT * FROM " + fresh + " UNION ALL SELECT * FROM " + kHistory + ")";
    }
    rows = "SELECT " + List(cols.out) + ", " + QuoteIdentifier(cols.op) + " = 'd'" + f + " FROM (" +
           LatestSql(cols, touched) + ")";
  } else {
    // New versions; the current version of each key they follow, closed; for late keys every
    // version recomputed, and the versions the table has that the recomputation lacks, deleted.
    const std::string t = QuoteIdentifier(cols.time), s = QuoteIdentifier(cols.sequence);
    std::string closed;
    for (const delta::StructField& field : target_schema.fields) {
      const std::string q = QuoteIdentifier(field.name);
      closed += (closed.empty() ? "" : ", ") +
                (field.name == "_valid_to"     ? "__ac_f.__ac_first AS _valid_to"
                 : field.name == "_is_current" ? std::string("false AS _is_current")
                                               : "__ac_t." + q);
    }
    rows = "SELECT *, false" + f + " FROM (" + VersionsSql(cols, fresh) + ") UNION ALL BY NAME " +
           "SELECT " + closed + ", false" + f + " FROM " + target + " AS __ac_t JOIN (SELECT " +
           List(cols.key) + ", arg_min(" + t + ", " + s + ") AS __ac_first FROM " + fresh +
           " GROUP BY ALL) AS __ac_f ON " + KeyEq(cols.key, "__ac_t", "__ac_f") +
           " WHERE __ac_t._is_current";
    if (late_keys > 0) {
      STRATA_RETURN_IF_ERROR(conn.Execute(std::string("CREATE OR REPLACE TEMP TABLE ") + kLateRows +
                                          " AS " + VersionsSql(cols, kHistory)));
      std::vector<std::string> version = cols.key;
      version.push_back(cols.sequence);
      rows += std::string(" UNION ALL BY NAME SELECT *, false") + f + " FROM " + kLateRows +
              " UNION ALL BY NAME SELECT __ac_t.*, true" + f + " FROM " + target +
              " AS __ac_t WHERE EXISTS (SELECT 1 FROM " + kLate + " AS __ac_l WHERE " +
              KeyEq(cols.key, "__ac_t", "__ac_l") + ") AND NOT EXISTS (SELECT 1 FROM " + kLateRows +
              " AS __ac_r WHERE " + KeyEq(version, "__ac_t", "__ac_r") + ")";
    }
  }
  return conn.Execute(std::string("CREATE OR REPLACE TEMP TABLE ") + kMerge + " AS " + rows);
}

std::vector<std::string> MergeKeys(const ChangeColumns& cols) {
  std::vector<std::string> keys = cols.key;
  if (cols.scd2) keys.push_back(cols.sequence);
  return keys;
}

}  // namespace strata::pipeline
