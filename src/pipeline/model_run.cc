// Models: compute the candidate, quarantine, test, then commit (one Delta commit per table).
#include <chrono>

#include "common/numbers.h"
#include "lake/sql_refs.h"
#include "pipeline/apply_changes.h"
#include "pipeline/confinement.h"
#include "pipeline/expectations.h"
#include "pipeline/node_run.h"
#include "storage/delta/delta_table.h"

namespace strata::pipeline {
namespace {

using engine::QuoteIdentifier;

// Per-connection temp tables: a worker runs one model at a time.
constexpr const char* kCandidate = "__strata_candidate";
constexpr const char* kCandidateQuarantine = "__strata_candidate_quarantine";

int64_t MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

NodeResult ModelResult(const ModelSpec& model) {
  NodeResult result;
  result.table = model.table.ToString();
  result.layer = model.table.layer;
  result.materialized = MaterializationName(model.materialized);
  result.owner = model.owner;
  result.tags = model.tags;
  return result;
}

// A test's SQL with the model and its quarantine mapped to the candidate rows, then bound.
Result<std::string> BindTestSql(Worker& worker, const ModelSpec& model, std::string_view sql) {
  STRATA_ASSIGN_OR_RETURN(lake::SqlRefs refs, lake::FindTableRefs(*worker.connection, sql));
  if (!refs.parsed) return Status::InvalidArgument("not a SELECT DuckDB can parse: " + refs.reason);
  std::vector<lake::SqlEdit> edits;
  for (const lake::SqlTableRef& ref : refs.refs) {
    if (!ref.catalog.empty() || Lower(ref.schema) != model.table.layer) continue;
    std::string table = Lower(ref.table);
    const char* target = table == model.table.name               ? kCandidate
                         : table == model.QuarantineTable().name ? kCandidateQuarantine
                                                                 : nullptr;
    if (target == nullptr) continue;
    if (!ref.begin) return Status::Unsupported("cannot locate the reference to " + table);
    std::string replacement = QuoteIdentifier(target);
    if (ref.alias.empty()) replacement += " AS " + QuoteIdentifier(ref.table);
    edits.push_back(lake::SqlEdit{*ref.begin, ref.end, std::move(replacement)});
  }
  STRATA_ASSIGN_OR_RETURN(std::string rewritten, lake::ApplyEdits(sql, std::move(edits)));
  return BindLakeSql(worker, rewritten);
}

int64_t MetricRows(const delta::CommitResult& commit, int64_t fallback) {
  auto it = commit.metrics.find("numOutputRows");
  if (it == commit.metrics.end() || !it->is_string()) return fallback;
  return ParseInteger<int64_t>(it->get<std::string>()).value_or(fallback);
}

// One commit of `select` into `table` by the model's materialization.
// `staged` (optional) holds the rows of `select` already written as files of `table`: a
// (re)created table commits them as they are.
Result<delta::CommitResult> Commit(Worker& worker, const ModelSpec& model,
                                   const lake::TableName& table, const std::string& select,
                                   delta::StagedWrite* staged, Materialization how,
                                   const std::vector<std::string>& key, int64_t* rows) {
  delta::DeltaTable delta(worker.lake->shared_store(), worker.lake->TableRoot(table),
                          *worker.connection);
  bool exists = worker.lake->ResolveName(table).ok();
  if (how == Materialization::kTable || !exists) {
    delta::CreateOptions create;
    if (staged != nullptr) {
      create.staged = staged;
    } else {
      create.as_select = select;
    }
    create.if_exists = delta::CreateOptions::IfExists::kReplace;
    create.name = table.ToString();
    if (!model.description.empty()) create.description = model.description;
    STRATA_ASSIGN_OR_RETURN(delta::CommitResult commit, delta.Create(create));
    *rows = MetricRows(commit, *rows);
    return commit;
  }
  if (how == Materialization::kMerge) {
    delta::MergeOptions merge;
    merge.keys = key;
    merge.evolve_schema = true;
    return delta.Merge(select, merge);
  }
  // Incremental: only rows the table does not hold yet (by key, or whole rows without one).
  STRATA_ASSIGN_OR_RETURN(std::string target, BindLakeTable(worker, table));
  std::string fresh;
  if (key.empty()) {
    fresh = select + " EXCEPT SELECT * FROM " + target;
  } else {
    std::string on;
    for (const std::string& k : key) {
      on += (on.empty() ? "" : " AND ") + std::string("c.") + QuoteIdentifier(k) + " = t." +
            QuoteIdentifier(k);
    }
    fresh = "SELECT c.* FROM (" + select + ") AS c ANTI JOIN " + target + " AS t ON " + on;
  }
  delta::WriteOptions write;
  write.evolve_schema = true;
  STRATA_ASSIGN_OR_RETURN(delta::CommitResult commit, delta.Append(fresh, write));
  *rows = MetricRows(commit, 0);
  return commit;
}

Status Materialize(Worker& worker, const ModelSpec& model, delta::StagedWrite& staged,
                   bool has_quarantine_tests, NodeResult& result) {
  std::string select = std::string("SELECT * FROM ") + QuoteIdentifier(kCandidate);
  int64_t rows = result.rows_written;
  STRATA_ASSIGN_OR_RETURN(
      delta::CommitResult commit,
      Commit(worker, model, model.table, select, &staged, model.materialized, model.key, &rows));
  result.rows_written = rows;
  result.table_version = commit.version;
  // Table models keep the quarantine of their current rows; the others accumulate it.
  bool replace = model.materialized == Materialization::kTable && has_quarantine_tests;
  if (replace || result.rows_quarantined > 0) {
    int64_t q_rows = result.rows_quarantined;
    std::string q_select = std::string("SELECT * FROM ") + QuoteIdentifier(kCandidateQuarantine);
    STRATA_ASSIGN_OR_RETURN(
        delta::CommitResult q_commit,
        Commit(worker, model, model.QuarantineTable(), q_select, nullptr,
               replace ? Materialization::kTable : Materialization::kIncremental, {}, &q_rows));
    result.quarantine_version = q_commit.version;
  }
  return Status::OK();
}

TestContext ContextFor(Worker& worker, const ModelSpec& model, std::string relation,
                       bool candidate) {
  TestContext context;
  context.connection = worker.connection;
  context.relation = std::move(relation);
  context.bind_table = [&worker, &model,
                        candidate](const lake::TableName& t) -> Result<std::string> {
    if (candidate && t == model.table) return QuoteIdentifier(kCandidate);
    if (candidate && t == model.QuarantineTable()) return QuoteIdentifier(kCandidateQuarantine);
    return BindLakeTable(worker, t);
  };
  if (candidate) {
    context.bind_sql = [&worker, &model](std::string_view sql) {
      return BindTestSql(worker, model, sql);
    };
  } else {
    context.bind_sql = [&worker](std::string_view sql) { return BindLakeSql(worker, sql); };
  }
  return context;
}

void DropTemps(Worker& worker) {
  Status ignored =
      worker.connection->Execute(std::string("DROP VIEW IF EXISTS ") + QuoteIdentifier(kCandidate) +
                                 "; DROP TABLE IF EXISTS " + QuoteIdentifier(kCandidateQuarantine));
  (void)ignored;
}

// Write-audit-publish: the model's rows are written once, as uncommitted files of its table;
// the candidate is a view over them that the tests read, and publishing commits those files.
Result<std::unique_ptr<delta::StagedWrite>> StageCandidate(Worker& worker, const ModelSpec& model,
                                                           const std::string& select) {
  delta::DeltaTable table(worker.lake->shared_store(), worker.lake->TableRoot(model.table),
                          *worker.connection);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<delta::StagedWrite> staged, table.Stage(select));
  STRATA_RETURN_IF_ERROR(worker.connection->Execute(std::string("CREATE OR REPLACE TEMP VIEW ") +
                                                    QuoteIdentifier(kCandidate) +
                                                    " AS SELECT * FROM " + staged->read_sql()));
  return staged;
}

// apply_changes: the model's SQL reads one lake table, the changes; ApplyChanges runs it over
// the rows it chooses (the source's new versions, or all of them) by putting a relation of
// those rows where the SQL names the table.
Result<ApplyChangesResult> ApplyModelChanges(Worker& worker, const ModelSpec& model) {
  STRATA_ASSIGN_OR_RETURN(lake::SqlRefs refs, lake::FindTableRefs(*worker.connection, model.sql));
  if (!refs.parsed) {
    return Status::InvalidArgument(model.sql_file +
                                   ": not a SELECT DuckDB can parse: " + refs.reason);
  }
  std::optional<lake::TableName> source;
  std::vector<lake::SqlEdit> edits;
  for (const lake::SqlTableRef& ref : refs.refs) {
    if (ref.schema.empty() || !ref.catalog.empty() || lake::IsPathReference(ref.table)) continue;
    lake::TableName table{Lower(ref.schema), Lower(ref.table)};
    if (source && *source != table) {
      return Status::InvalidArgument(model.sql_file +
                                     ": apply_changes reads its changes from one table, but the "
                                     "SQL reads " +
                                     source->ToString() + " and " + table.ToString());
    }
    if (!ref.begin || ref.at) {
      return Status::InvalidArgument(model.sql_file + ": cannot read the changes of " +
                                     table.ToString() + " here (an AT clause, or a reference " +
                                     "the parser does not locate)");
    }
    source = table;
    edits.push_back({*ref.begin, ref.name_end,
                     ref.alias.empty() ? " AS " + QuoteIdentifier(ref.table) : std::string()});
  }
  if (!source) {
    return Status::InvalidArgument(model.sql_file +
                                   ": apply_changes needs SQL reading a change table, e.g. "
                                   "SELECT * FROM bronze.erp_clientes");
  }
  ApplyChangesRequest request;
  request.store = worker.lake->shared_store();
  request.source_name = source->ToString();
  request.source_root = worker.lake->TableRoot(*source);
  request.target_name = model.table.ToString();
  request.target_root = worker.lake->TableRoot(model.table);
  request.key = model.key;
  request.spec = model.apply;
  request.model_file = model.sql_file;
  request.definition = model.sql;
  request.full_refresh = worker.full_refresh;
  if (!model.description.empty()) request.description = model.description;
  request.changes_sql = [&](const std::string& relation) {
    std::vector<lake::SqlEdit> with = edits;
    for (lake::SqlEdit& edit : with) edit.replacement = relation + edit.replacement;
    return lake::ApplyEdits(model.sql, std::move(with));
  };
  return ApplyChanges(*worker.connection, request);
}

NodeResult RunApplyChanges(const ModelSpec& model, Worker& worker) {
  auto start = std::chrono::steady_clock::now();
  NodeResult result = ModelResult(model);
  Result<ApplyChangesResult> applied = ApplyModelChanges(worker, model);
  if (!applied.ok()) {
    result.status = NodeStatus::kFailed;
    result.error = ExplainConfinement(applied.status(), "model " + result.table).message();
    result.millis = MillisSince(start);
    return result;
  }
  result.rows_written = applied->rows_written;
  result.table_version = applied->table_version;
  // The rows are committed (a change log cannot be held back); tests judge the table now.
  Result<std::string> view = BindLakeTable(worker, model.table);
  if (!view.ok()) {
    result.status = NodeStatus::kFailed;
    result.error = view.status().message();
  } else if (!model.tests.empty()) {
    TestContext context = ContextFor(worker, model, *view, false);
    std::vector<const TestSpec*> tests;
    for (const TestSpec& test : model.tests) tests.push_back(&test);
    result.tests = RunTests(tests, context);
  }
  SettleStatus(result);
  result.millis = MillisSince(start);
  return result;
}

}  // namespace

Result<std::string> BindLakeTable(Worker& worker, const lake::TableName& table) {
  std::lock_guard<std::mutex> lock(*worker.bind_mutex);
  STRATA_ASSIGN_OR_RETURN(lake::BoundTable bound, worker.session->BindTable(table.ToString()));
  return bound.view;
}

Result<std::string> BindLakeSql(Worker& worker, std::string_view sql) {
  std::lock_guard<std::mutex> lock(*worker.bind_mutex);
  STRATA_ASSIGN_OR_RETURN(lake::BoundQuery bound, worker.session->Bind(sql));
  if (!bound.parsed) {
    return Status::InvalidArgument("not a SELECT DuckDB can parse: " + bound.unparsed_reason);
  }
  return bound.sql;
}

void SettleStatus(NodeResult& result) {
  if (result.status == NodeStatus::kFailed || result.status == NodeStatus::kSkipped) return;
  for (const TestResult& test : result.tests) {
    if (test.Blocks()) {
      result.status = NodeStatus::kFailed;
      result.error += (result.error.empty() ? "" : "; ") + std::string("test '") + test.name +
                      "' " + (test.status == TestStatus::kError ? "could not run: " : "failed: ") +
                      test.message;
    } else if (result.status == NodeStatus::kSuccess &&
               (test.status == TestStatus::kWarn || test.status == TestStatus::kQuarantined)) {
      result.status = NodeStatus::kWarn;
    }
  }
}

NodeResult RunModel(const ModelNode& node, Worker& worker) {
  auto start = std::chrono::steady_clock::now();
  const ModelSpec& model = *node.model;
  if (model.materialized == Materialization::kApplyChanges) return RunApplyChanges(model, worker);
  NodeResult result = ModelResult(model);
  auto fail = [&](const Status& status) {
    result.status = NodeStatus::kFailed;
    result.error = ExplainConfinement(status, "model " + result.table).message();
    DropTemps(worker);
    result.millis = MillisSince(start);
    return result;
  };
  Result<std::string> bound = BindLakeSql(worker, model.sql);
  if (!bound.ok()) return fail(bound.status().WithContext(model.sql_file));
  Result<std::unique_ptr<delta::StagedWrite>> staged = StageCandidate(worker, model, *bound);
  if (!staged.ok()) return fail(staged.status().WithContext(model.sql_file));

  std::vector<const TestSpec*> quarantine_tests;
  std::vector<const TestSpec*> other_tests;
  for (const TestSpec& test : model.tests) {
    (test.action == TestAction::kQuarantine ? quarantine_tests : other_tests).push_back(&test);
  }
  TestContext context = ContextFor(worker, model, QuoteIdentifier(kCandidate), true);
  std::map<const TestSpec*, int64_t> counted;  // by the quarantine's scan, see SplitQuarantine
  if (!quarantine_tests.empty()) {
    Result<QuarantineSplit> split = SplitQuarantine(quarantine_tests, context, kCandidateQuarantine,
                                                    worker.run_id, other_tests);
    if (!split.ok()) return fail(split.status().WithContext(model.sql_file + ": quarantine"));
    result.rows_quarantined = split->rows;
    result.tests = split->results;
    counted = split->counted;
    if (!split->keep_condition.empty()) {
      // The kept rows are written again (then the first files are deleted); this costs a
      // second write only when some row was quarantined.
      Result<std::unique_ptr<delta::StagedWrite>> kept =
          StageCandidate(worker, model,
                         "SELECT t.* FROM " + QuoteIdentifier(kCandidate) + " AS t WHERE " +
                             split->keep_condition);
      if (!kept.ok()) return fail(kept.status().WithContext(model.sql_file + ": quarantine"));
      *staged = std::move(*kept);
    }
  } else {
    // Tests may still read <model>__quarantine: it is empty.
    Status empty = worker.connection->Execute(
        std::string("CREATE OR REPLACE TEMP TABLE ") + QuoteIdentifier(kCandidateQuarantine) +
        " AS SELECT *, CAST([] AS VARCHAR[]) AS _rules, '' AS _run_id, CAST(now() AS "
        "TIMESTAMPTZ) AS _quarantined_at FROM " +
        QuoteIdentifier(kCandidate) + " LIMIT 0");
    if (!empty.ok()) return fail(empty);
  }
  for (TestResult& test : RunTests(other_tests, context, counted)) {
    result.tests.push_back(std::move(test));
  }
  result.rows_written = (*staged)->rows();
  SettleStatus(result);
  if (result.status != NodeStatus::kFailed) {
    Status committed = Materialize(worker, model, **staged, !quarantine_tests.empty(), result);
    if (!committed.ok()) return fail(committed.WithContext("committing " + result.table));
  } else {
    result.error = "nothing committed: " + result.error;
  }
  DropTemps(worker);
  result.millis = MillisSince(start);
  return result;
}

NodeResult TestModel(const ModelNode& node, Worker& worker) {
  auto start = std::chrono::steady_clock::now();
  const ModelSpec& model = *node.model;
  NodeResult result = ModelResult(model);
  Result<std::string> view = BindLakeTable(worker, model.table);
  if (!view.ok()) {
    result.status = NodeStatus::kFailed;
    result.error = view.status().message() + " (run 'strata run' first)";
  } else {
    TestContext context = ContextFor(worker, model, *view, false);
    std::vector<const TestSpec*> tests;
    for (const TestSpec& test : model.tests) tests.push_back(&test);
    result.tests = RunTests(tests, context);
    Result<int64_t> rows = engine::QueryInt64(*worker.connection, "SELECT count(*) FROM " + *view);
    if (rows.ok()) result.rows_written = *rows;
  }
  SettleStatus(result);
  result.millis = MillisSince(start);
  return result;
}

}  // namespace strata::pipeline
