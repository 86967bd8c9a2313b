#include "pipeline/expectations.h"

#include <chrono>
#include <map>

namespace strata::pipeline {
namespace {

using engine::QuoteIdentifier;
using engine::QuoteLiteral;

std::string Col(std::string_view alias, const std::string& column) {
  return std::string(alias) + "." + QuoteIdentifier(column);
}

std::string JoinComma(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out;
}

// Up to `limit` rows of `query` rendered as "a=1, b=x; a=2, b=y", plus the total count.
Result<std::pair<int64_t, std::string>> CountAndSample(engine::Connection& connection,
                                                       const std::string& query, int limit) {
  std::string sql = "SELECT *, count(*) OVER () AS __strata_n FROM (" + query +
                    "\n) AS __strata_failing LIMIT " + std::to_string(limit);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::QueryResult> result, connection.Query(sql));
  const std::vector<engine::Column>& columns = result->columns();
  int64_t total = 0;
  std::string sample;
  int shown = 0;
  while (true) {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::DataChunk> chunk, result->Next());
    if (!chunk) break;
    for (int64_t row = 0; row < chunk->size(); ++row) {
      int last = chunk->column_count() - 1;
      STRATA_ASSIGN_OR_RETURN(total, chunk->GetInt64(last, row));
      if (shown++ > 0) sample += "; ";
      for (int c = 0; c < last; ++c) {
        if (c > 0) sample += ", ";
        std::string text = chunk->IsNull(c, row) ? "NULL" : chunk->Text(c, row);
        if (text.size() > 60) text = text.substr(0, 57) + "...";
        sample += columns[c].name + "=" + text;
      }
    }
  }
  return std::make_pair(total, sample);
}

}  // namespace

const char* TestStatusName(TestStatus status) {
  switch (status) {
    case TestStatus::kPass:
      return "pass";
    case TestStatus::kWarn:
      return "warn";
    case TestStatus::kFail:
      return "fail";
    case TestStatus::kQuarantined:
      return "quarantined";
    case TestStatus::kError:
      return "error";
  }
  return "?";
}

Result<std::string> BrokenRowExpression(const TestSpec& test, std::string_view alias,
                                        std::string_view to_relation) {
  switch (test.kind) {
    case TestKind::kNotNull: {
      std::string expr;
      for (const std::string& column : test.columns) {
        expr += (expr.empty() ? "" : " OR ") + Col(alias, column) + " IS NULL";
      }
      return "(" + expr + ")";
    }
    case TestKind::kAcceptedValues: {
      std::string column = Col(alias, test.columns.at(0));
      return "coalesce(" + column + " NOT IN (" + JoinComma(test.values) + "), false)";
    }
    case TestKind::kRelationships: {
      if (to_relation.empty()) return Status::Internal("relationships test without its table");
      std::string field = QuoteIdentifier(test.to_field);
      return "coalesce(" + Col(alias, test.columns.at(0)) + " NOT IN (SELECT " + field + " FROM " +
             std::string(to_relation) + " WHERE " + field + " IS NOT NULL), false)";
    }
    case TestKind::kRange: {
      std::string column = Col(alias, test.columns.at(0));
      std::string expr;
      if (test.min) expr = column + " < " + *test.min;
      if (test.max) expr += (expr.empty() ? "" : " OR ") + column + " > " + *test.max;
      return "coalesce(" + expr + ", false)";
    }
    case TestKind::kExpect:
      return "NOT coalesce((" + test.expression + "), false)";
    default:
      return Status::Internal(std::string(TestKindName(test.kind)) + " is not a row-level test");
  }
}

Result<std::string> FailingRowsQuery(const TestSpec& test, const TestContext& context) {
  const std::string& rel = context.relation;
  if (IsRowLevel(test.kind)) {
    std::string to_relation;
    if (test.kind == TestKind::kRelationships) {
      STRATA_ASSIGN_OR_RETURN(to_relation, context.bind_table(*test.to));
    }
    STRATA_ASSIGN_OR_RETURN(std::string broken, BrokenRowExpression(test, "t", to_relation));
    return "SELECT t.* FROM " + rel + " AS t WHERE " + broken;
  }
  switch (test.kind) {
    case TestKind::kUnique: {
      std::vector<std::string> columns;
      for (const std::string& column : test.columns) columns.push_back(QuoteIdentifier(column));
      std::string list = JoinComma(columns);
      return "SELECT " + list + ", count(*) AS n FROM " + rel + " GROUP BY " + list +
             " HAVING count(*) > 1";
    }
    case TestKind::kRowCount: {
      std::string cond;
      if (test.min_rows) cond = "n < " + std::to_string(*test.min_rows);
      if (test.max_rows) {
        cond += (cond.empty() ? "" : " OR ") + std::string("n > ") + std::to_string(*test.max_rows);
      }
      return "SELECT n FROM (SELECT count(*) AS n FROM " + rel + ") WHERE " + cond;
    }
    case TestKind::kFreshness: {
      std::string column = QuoteIdentifier(test.columns.at(0));
      return "SELECT latest FROM (SELECT max(" + column + ") AS latest FROM " + rel +
             ") WHERE latest IS NULL OR CAST(latest AS TIMESTAMP) < CAST(now() AS TIMESTAMP) - "
             "to_seconds(CAST(" +
             std::to_string(test.max_age_seconds) + " AS BIGINT))";
    }
    case TestKind::kSql:
      return context.bind_sql(test.sql);
    default:
      return Status::Internal("unhandled test kind");
  }
}

TestResult RunTest(const TestSpec& test, const TestContext& context) {
  auto start = std::chrono::steady_clock::now();
  TestResult result;
  result.name = test.name;
  result.kind = test.kind;
  result.action = test.action;
  auto finish = [&] {
    result.millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    return result;
  };
  Result<std::string> query = FailingRowsQuery(test, context);
  Result<std::pair<int64_t, std::string>> outcome =
      query.ok() ? CountAndSample(*context.connection, *query, 3)
                 : Result<std::pair<int64_t, std::string>>(query.status());
  if (!outcome.ok()) {
    result.status = TestStatus::kError;
    result.message = test.where.ToString() + ": test '" + test.name +
                     "' could not run: " + outcome.status().message();
    return finish();
  }
  result.failing_rows = outcome->first;
  if (result.failing_rows == 0) return finish();
  result.status = test.action == TestAction::kWarn   ? TestStatus::kWarn
                  : test.action == TestAction::kFail ? TestStatus::kFail
                                                     : TestStatus::kQuarantined;
  std::string what = test.kind == TestKind::kUnique ? " duplicated keys" : " failing rows";
  result.message = std::to_string(result.failing_rows) + what + ", e.g. " + outcome->second;
  return finish();
}

Result<QuarantineSplit> SplitQuarantine(const std::vector<const TestSpec*>& tests,
                                        const TestContext& context,
                                        const std::string& quarantine_table,
                                        const std::string& run_id) {
  auto start = std::chrono::steady_clock::now();
  engine::Connection& connection = *context.connection;
  std::vector<std::string> flags;
  for (const TestSpec* test : tests) {
    if (!IsRowLevel(test->kind)) {
      return Status::Internal("quarantine of non-row-level test " + test->name);
    }
    std::string to_relation;
    if (test->kind == TestKind::kRelationships) {
      Result<std::string> bound = context.bind_table(*test->to);
      if (!bound.ok()) {
        return bound.status().WithContext(test->where.ToString() + ": test '" + test->name + "'");
      }
      to_relation = *bound;
    }
    STRATA_ASSIGN_OR_RETURN(std::string broken, BrokenRowExpression(*test, "t", to_relation));
    flags.push_back("CASE WHEN " + broken + " THEN " + QuoteLiteral(test->name) + " END");
  }
  std::string q = QuoteIdentifier(quarantine_table);
  // One pass computes every rule for every row; rows breaking several rules appear once.
  std::string create =
      "CREATE OR REPLACE TEMP TABLE " + q +
      " AS SELECT * EXCLUDE (__strata_r), CAST(list_filter(__strata_r, x -> x IS NOT NULL) AS "
      "VARCHAR[]) AS _rules, " +
      QuoteLiteral(run_id) +
      " AS _run_id, CAST(now() AS TIMESTAMPTZ) AS _quarantined_at FROM (SELECT t.*, t.rowid AS "
      "__strata_rid, [" +
      JoinComma(flags) + "] AS __strata_r FROM " + context.relation +
      " AS t) WHERE len(list_filter(__strata_r, x -> x IS NOT NULL)) > 0";
  STRATA_RETURN_IF_ERROR(connection.Execute(create));
  STRATA_RETURN_IF_ERROR(connection.Execute(
      "DELETE FROM " + context.relation + " WHERE rowid IN (SELECT __strata_rid FROM " + q + ")"));
  STRATA_RETURN_IF_ERROR(connection.Execute("ALTER TABLE " + q + " DROP COLUMN __strata_rid"));

  QuarantineSplit split;
  split.table = q;
  STRATA_ASSIGN_OR_RETURN(auto total, connection.QueryRows("SELECT count(*) FROM " + q));
  split.rows = std::get<int64_t>(total.at(0).at(0));
  STRATA_ASSIGN_OR_RETURN(auto per_rule,
                          connection.QueryRows("SELECT r, count(*) FROM (SELECT unnest(_rules) "
                                               "AS r FROM " +
                                               q + ") GROUP BY r"));
  std::map<std::string, int64_t> counts;
  for (const auto& row : per_rule) {
    counts[std::get<std::string>(row.at(0))] = std::get<int64_t>(row.at(1));
  }
  int64_t millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  for (const TestSpec* test : tests) {
    TestResult result;
    result.name = test->name;
    result.kind = test->kind;
    result.action = test->action;
    result.failing_rows = counts.count(test->name) ? counts[test->name] : 0;
    result.status = result.failing_rows > 0 ? TestStatus::kQuarantined : TestStatus::kPass;
    if (result.failing_rows > 0) {
      result.message = std::to_string(result.failing_rows) + " rows quarantined";
    }
    result.millis = millis;
    split.results.push_back(std::move(result));
  }
  return split;
}

}  // namespace strata::pipeline
