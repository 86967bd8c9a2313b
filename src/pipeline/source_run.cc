// Sources: ingestion into bronze and the bronze tests of the SPEC (reconciliation per file,
// key uniqueness as a warning, the contract's columns and types), plus the source's own tests.
#include <chrono>
#include <map>

#include "lake/table.h"
#include "pipeline/expectations.h"
#include "pipeline/node_run.h"

namespace strata::pipeline {
namespace {

using engine::QuoteIdentifier;

int64_t MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

NodeResult SourceResult(const SourceSpec& source) {
  NodeResult result;
  result.table = source.spec.table.ToString();
  result.is_source = true;
  result.layer = source.spec.table.layer;
  result.materialized = "ingest";
  result.owner = source.spec.owner;
  result.tags = source.spec.tags;
  return result;
}

TestResult BuiltIn(const std::string& name, TestKind kind, TestAction action) {
  TestResult test;
  test.name = name;
  test.kind = kind;
  test.action = action;
  return test;
}

void Fail(TestResult& test, std::string message) {
  if (test.status == TestStatus::kError) return;
  test.status = test.action == TestAction::kWarn ? TestStatus::kWarn : TestStatus::kFail;
  test.failing_rows += 1;
  if (!test.message.empty()) test.message += "; ";
  test.message += std::move(message);
}

// Rows per file in `relation` written by this run (its _ingested_at).
Result<std::map<std::string, int64_t>> RowsByFile(Worker& worker, const std::string& relation) {
  STRATA_ASSIGN_OR_RETURN(
      auto rows,
      worker.connection->QueryRows("SELECT _source_file, count(*) FROM " + relation +
                                   " WHERE epoch_us(_ingested_at) = " +
                                   std::to_string(worker.ingested_at_micros) + " GROUP BY ALL"));
  std::map<std::string, int64_t> counts;
  for (const auto& row : rows) {
    if (!std::holds_alternative<std::string>(row.at(0))) continue;
    counts[std::get<std::string>(row[0])] = std::get<int64_t>(row.at(1));
  }
  return counts;
}

// rows read = rows in bronze + rows in quarantine, per file loaded by this run, both from the
// ingest report and from the committed tables.
TestResult Reconcile(const SourceSpec& source, const ingest::IngestReport& report,
                     const std::string& table_view, Worker& worker) {
  TestResult test = BuiltIn("reconciliation", TestKind::kSql, TestAction::kFail);
  auto start = std::chrono::steady_clock::now();
  std::map<std::string, int64_t> loaded, quarantined;
  Result<std::map<std::string, int64_t>> counted = RowsByFile(worker, table_view);
  if (!counted.ok()) {
    test.status = TestStatus::kError;
    test.message = counted.status().message();
    return test;
  }
  loaded = *counted;
  const lake::TableName quarantine = lake::QuarantineTableOf(source.spec.table);
  if (worker.lake->ResolveName(quarantine).ok()) {
    Result<std::string> view = BindLakeTable(worker, quarantine);
    Result<std::map<std::string, int64_t>> q =
        view.ok() ? RowsByFile(worker, *view)
                  : Result<std::map<std::string, int64_t>>(view.status());
    if (!q.ok()) {
      test.status = TestStatus::kError;
      test.message = q.status().message();
      return test;
    }
    quarantined = *q;
  }
  for (const ingest::FileOutcome& file : report.files) {
    if (file.state != ingest::FileState::kLoaded) continue;
    if (file.rows_read != file.rows_loaded + file.rows_quarantined) {
      Fail(test, file.file + ": read " + std::to_string(file.rows_read) + " rows, loaded " +
                     std::to_string(file.rows_loaded) + " + quarantined " +
                     std::to_string(file.rows_quarantined));
    }
    int64_t in_table = loaded[file.file];
    int64_t in_quarantine = quarantined[file.file];
    if (in_table + in_quarantine != file.rows_read) {
      Fail(test, file.file + ": read " + std::to_string(file.rows_read) + " rows, but " +
                     std::to_string(in_table) + " are in " + source.spec.table.ToString() +
                     " and " + std::to_string(in_quarantine) + " in its quarantine");
    }
  }
  test.millis = MillisSince(start);
  return test;
}

// The table holds the contract's columns with the contract's types, plus the lineage columns.
TestResult ContractTypes(const SourceSpec& source, const std::string& table_view, Worker& worker) {
  TestResult test = BuiltIn("contract_types", TestKind::kSql, TestAction::kFail);
  auto start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<engine::QueryResult>> result =
      worker.connection->Query("SELECT * FROM " + table_view + " LIMIT 0");
  if (!result.ok()) {
    test.status = TestStatus::kError;
    test.message = result.status().message();
    return test;
  }
  std::map<std::string, std::string> actual;
  for (const engine::Column& column : (*result)->columns()) actual[column.name] = column.type_name;
  // DuckDB spells declared types canonically (INT -> INTEGER, DECIMAL(12, 2) -> DECIMAL(12,2)).
  std::string canonical = "SELECT 0";
  for (const ingest::ColumnSpec& column : source.spec.columns) {
    canonical += ", typeof(CAST(NULL AS " + column.type + "))";
  }
  Result<std::vector<std::vector<engine::Value>>> types = worker.connection->QueryRows(canonical);
  if (!types.ok()) {
    test.status = TestStatus::kError;
    test.message = types.status().message();
    return test;
  }
  for (size_t i = 0; i < source.spec.columns.size(); ++i) {
    const ingest::ColumnSpec& column = source.spec.columns[i];
    std::string want = std::get<std::string>(types->at(0).at(i + 1));
    auto it = actual.find(column.name);
    if (it == actual.end()) {
      Fail(test, "column " + column.name + " is missing");
    } else if (it->second != want) {
      Fail(test, "column " + column.name + " is " + it->second + ", the contract says " + want);
    }
  }
  for (const char* lineage : {"_source_file", "_source_row", "_ingested_at"}) {
    if (actual.count(lineage) == 0)
      Fail(test, std::string("lineage column ") + lineage + " is missing");
  }
  test.millis = MillisSince(start);
  return test;
}

// Built-in tests that need only the table (shared by run and test).
void TableTests(const SourceSpec& source, const std::string& view, Worker& worker,
                NodeResult& result) {
  TestContext context;
  context.connection = worker.connection;
  context.relation = view;
  context.bind_table = [&worker](const lake::TableName& t) { return BindLakeTable(worker, t); };
  context.bind_sql = [&worker](std::string_view sql) { return BindLakeSql(worker, sql); };
  result.tests.push_back(ContractTypes(source, view, worker));
  if (!source.spec.key.empty()) {
    // Bronze keeps every row ever landed, so a repeated key is expected (a corrected row);
    // silver takes the latest. Reported, never blocking.
    TestSpec unique;
    unique.name = "key_unique";
    unique.kind = TestKind::kUnique;
    unique.action = TestAction::kWarn;
    unique.columns = source.spec.key;
    unique.where = source.where;
    result.tests.push_back(RunTest(unique, context));
  }
  for (const TestSpec& test : source.tests) result.tests.push_back(RunTest(test, context));
}

}  // namespace

NodeResult RunSource(const SourceSpec& source, Worker& worker) {
  auto start = std::chrono::steady_clock::now();
  NodeResult result = SourceResult(source);
  ingest::IngestOptions options;
  options.ingested_at_micros = worker.ingested_at_micros;
  if (worker.files != nullptr) {
    if (auto named = worker.files->find(source.spec.name); named != worker.files->end()) {
      options.files = named->second;
    }
  }
  Result<ingest::IngestReport> report = ingest::IngestFileSource(
      *worker.lake, *worker.connection, source.spec, worker.project->LandingPath(), options);
  if (!report.ok()) {
    result.status = NodeStatus::kFailed;
    result.error = report.status().message();
    result.millis = MillisSince(start);
    return result;
  }
  result.files = report->files;
  result.rows_written = report->rows_loaded();
  result.rows_quarantined = report->rows_quarantined();
  result.table_version = report->table_version;
  result.quarantine_version = report->quarantine_version;
  for (const ingest::FileOutcome& file : report->files) {
    if (file.state == ingest::FileState::kFailed) {
      result.status = NodeStatus::kFailed;
      result.error += (result.error.empty() ? "" : "; ") + file.file + ": " + file.reason;
    }
  }
  if (!report->table_version) {
    result.status = NodeStatus::kFailed;
    if (result.error.empty()) {
      result.error = "no file in " + worker.project->config.landing + "/ matches";
      for (const std::string& pattern : source.spec.file_patterns) result.error += " " + pattern;
      result.error += ", and " + source.spec.table.ToString() + " does not exist yet";
    }
    result.millis = MillisSince(start);
    return result;
  }
  Result<std::string> view = BindLakeTable(worker, source.spec.table);
  if (!view.ok()) {
    result.status = NodeStatus::kFailed;
    result.error = view.status().message();
  } else {
    result.tests.push_back(Reconcile(source, *report, *view, worker));
    TableTests(source, *view, worker, result);
  }
  SettleStatus(result);
  result.millis = MillisSince(start);
  return result;
}

NodeResult TestSource(const SourceSpec& source, Worker& worker) {
  auto start = std::chrono::steady_clock::now();
  NodeResult result = SourceResult(source);
  Result<std::string> view = BindLakeTable(worker, source.spec.table);
  if (!view.ok()) {
    result.status = NodeStatus::kFailed;
    result.error = view.status().message() + " (run 'strata run' first)";
  } else {
    TableTests(source, *view, worker, result);
  }
  SettleStatus(result);
  result.millis = MillisSince(start);
  return result;
}

}  // namespace strata::pipeline
