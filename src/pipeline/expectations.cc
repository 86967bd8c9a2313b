#include "pipeline/expectations.h"

#include <chrono>
#include <cstdint>
#include <map>

#include "pipeline/confinement.h"

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

namespace {

// Whether every row's key is greater than the previous row's in the order the rows are read
// (lexicographic, no NULL deciding): then no two keys are equal. One streaming pass without a
// sort, a tenth of the cost of sorting 4M keys; tables loaded from files that are in key order
// (exports by primary key, rising ids) pass it. False when it cannot tell.
bool KeysRiseInReadOrder(engine::Connection& connection, const std::string& relation,
                         const std::vector<std::string>& columns) {
  std::string select;
  std::string rises;
  for (size_t i = columns.size(); i-- > 0;) {
    const std::string q = QuoteIdentifier(columns[i]);
    const std::string previous = "__strata_p" + std::to_string(i);
    select = q + ", lag(" + q + ") OVER () AS " + previous + (select.empty() ? "" : ", ") + select;
    const std::string greater = q + " > " + previous;
    rises = rises.empty() ? greater
                          : greater + " OR (" + q + " = " + previous + " AND (" + rises + "))";
  }
  // The first row has no predecessor and always counts: one such row means all others rose.
  Result<int64_t> not_rising = engine::QueryInt64(
      connection, "SELECT count(*) FILTER (WHERE NOT coalesce(" + rises +
                      ", false)) FROM (SELECT " + select + " FROM " + relation + ")");
  return not_rising.ok() && *not_rising <= 1;
}

// Whether two rows' keys hash alike: one 64-bit hash per row, each compared with the previous
// one in hash order. Keys that are equal, NULLs included, always hash alike (DuckDB's GROUP BY
// relies on it, for -0.0 and 0.0 too), so no repeat means no duplicate key; a repeat may be a
// collision (about 1 in 10^6 for 4M keys) and the keys themselves decide. Sorting one integer
// took 60% less CPU than sorting the two key columns of ImportAu's 3.6M-row silver table.
Result<bool> KeyHashesRepeat(engine::Connection& connection, const std::string& relation,
                             const std::vector<std::string>& quoted_columns) {
  STRATA_ASSIGN_OR_RETURN(
      int64_t repeats,
      engine::QueryInt64(
          connection,
          "SELECT count(*) FILTER (WHERE __strata_h = __strata_p) FROM (SELECT __strata_h, "
          "lag(__strata_h) OVER (ORDER BY __strata_h) AS __strata_p FROM (SELECT hash(" +
              JoinComma(quoted_columns) + ") AS __strata_h FROM " + relation + "))"));
  return repeats > 0;
}

// Whether `relation` holds two rows with the same `columns` (NULLs equal, as in GROUP BY). The
// cheap answers first (keys rising in read order, then key hashes that never repeat); otherwise
// each row is compared with the previous one in key order, which costs 35-45% less CPU than
// grouping by the key (hash tables with millions of groups), so a unique test groups only once
// it knows there are duplicates to show.
Result<bool> HasDuplicateKeys(engine::Connection& connection, const std::string& relation,
                              const std::vector<std::string>& columns) {
  if (KeysRiseInReadOrder(connection, relation, columns)) return false;
  std::string same;
  std::vector<std::string> quoted;
  for (const std::string& column : columns) {
    const std::string q = QuoteIdentifier(column);
    same += "lag(" + q + ") OVER w IS NOT DISTINCT FROM " + q + " AND ";
    quoted.push_back(q);
  }
  STRATA_ASSIGN_OR_RETURN(bool hashes_repeat, KeyHashesRepeat(connection, relation, quoted));
  if (!hashes_repeat) return false;
  STRATA_ASSIGN_OR_RETURN(
      int64_t duplicates,
      engine::QueryInt64(connection, "SELECT count(*) FROM (SELECT " + same +
                                         "row_number() OVER w > 1 AS __strata_dup FROM " +
                                         relation + " WINDOW w AS (ORDER BY " + JoinComma(quoted) +
                                         ")) WHERE __strata_dup"));
  return duplicates > 0;
}

}  // namespace

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
  Result<std::pair<int64_t, std::string>> outcome = std::make_pair(int64_t{0}, std::string());
  Result<bool> may_fail = true;
  if (test.kind == TestKind::kUnique) {
    may_fail = HasDuplicateKeys(*context.connection, context.relation, test.columns);
  }
  if (!may_fail.ok()) {
    outcome = may_fail.status();
  } else if (*may_fail) {
    Result<std::string> query = FailingRowsQuery(test, context);
    outcome = query.ok() ? CountAndSample(*context.connection, *query, 3)
                         : Result<std::pair<int64_t, std::string>>(query.status());
  }
  if (!outcome.ok()) {
    result.status = TestStatus::kError;
    result.message = test.where.ToString() + ": test '" + test.name + "' could not run: " +
                     ExplainConfinement(outcome.status(), "its SQL").message();
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

namespace {

// The broken-row expression of each row-level test over alias t, or the status of binding it.
std::vector<Result<std::string>> BrokenRowExpressions(const std::vector<const TestSpec*>& tests,
                                                      const TestContext& context) {
  std::vector<Result<std::string>> out;
  for (const TestSpec* test : tests) {
    std::string to_relation;
    if (test->kind == TestKind::kRelationships) {
      Result<std::string> bound = context.bind_table(*test->to);
      if (!bound.ok()) {
        out.push_back(
            bound.status().WithContext(test->where.ToString() + ": test '" + test->name + "'"));
        continue;
      }
      to_relation = *bound;
    }
    out.push_back(BrokenRowExpression(*test, "t", to_relation));
  }
  return out;
}

// Counts, in one scan of `relation`, the rows for which each of `broken` holds, and (last) the
// rows for which any of the first `any_of` holds (all of them by default). An expression given
// twice (two tests of the same rule with different actions) is computed once: DuckDB does not
// share the anti-join of two equal NOT IN subqueries.
Result<std::vector<int64_t>> CountBroken(engine::Connection& connection,
                                         const std::string& relation,
                                         const std::vector<std::string>& broken,
                                         size_t any_of = SIZE_MAX) {
  std::map<std::string, size_t> flag_of;  // expression -> index of its flag
  std::vector<size_t> flag_index;         // per expression
  std::string flags;
  std::string counts;
  std::string any;
  for (size_t i = 0; i < broken.size(); ++i) {
    auto [it, added] = flag_of.emplace(broken[i], flag_of.size());
    const std::string flag = "__strata_b" + std::to_string(it->second);
    if (added) {
      flags += (i ? ", " : "") + broken[i] + " AS " + flag;
      counts += "count(*) FILTER (WHERE " + flag + "), ";
      if (i < any_of) any += (any.empty() ? "" : " OR ") + flag;
    }
    flag_index.push_back(it->second);
  }
  STRATA_ASSIGN_OR_RETURN(
      auto rows, connection.QueryRows("SELECT " + counts + "count(*) FILTER (WHERE " +
                                      (any.empty() ? "false" : any) + ") FROM (SELECT " + flags +
                                      " FROM " + relation + " AS t)"));
  const std::vector<engine::Value>& values = rows.at(0);
  std::vector<int64_t> out;
  for (size_t index : flag_index) out.push_back(std::get<int64_t>(values.at(index)));
  out.push_back(std::get<int64_t>(values.back()));
  return out;
}

int64_t MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

}  // namespace

std::vector<TestResult> RunTests(const std::vector<const TestSpec*>& tests,
                                 const TestContext& context,
                                 const std::map<const TestSpec*, int64_t>& counted_already) {
  auto start = std::chrono::steady_clock::now();
  std::vector<const TestSpec*> row_tests;
  for (const TestSpec* test : tests) {
    if (IsRowLevel(test->kind) && counted_already.count(test) == 0) row_tests.push_back(test);
  }
  // Row-level tests share one scan; only the failing ones run again for their sample. If the
  // shared scan fails (a bad expression, a missing table), each test runs alone, so the error
  // is reported by the test it belongs to.
  std::map<const TestSpec*, int64_t> counted = counted_already;
  if (row_tests.size() > 1) {
    std::vector<Result<std::string>> broken = BrokenRowExpressions(row_tests, context);
    std::vector<std::string> expressions;
    for (const Result<std::string>& b : broken) {
      if (b.ok()) expressions.push_back(*b);
    }
    if (expressions.size() == broken.size()) {
      Result<std::vector<int64_t>> counts =
          CountBroken(*context.connection, context.relation, expressions);
      if (counts.ok()) {
        for (size_t i = 0; i < row_tests.size(); ++i) counted[row_tests[i]] = (*counts)[i];
      }
    }
  }
  const int64_t shared_millis = MillisSince(start);
  std::vector<TestResult> results;
  for (const TestSpec* test : tests) {
    auto it = counted.find(test);
    if (it == counted.end() || it->second > 0) {
      results.push_back(RunTest(*test, context));
      continue;
    }
    TestResult pass;
    pass.name = test->name;
    pass.kind = test->kind;
    pass.action = test->action;
    pass.millis = shared_millis;
    results.push_back(std::move(pass));
  }
  return results;
}

Result<QuarantineSplit> SplitQuarantine(const std::vector<const TestSpec*>& tests,
                                        const TestContext& context,
                                        const std::string& quarantine_table,
                                        const std::string& run_id,
                                        const std::vector<const TestSpec*>& also_count) {
  auto start = std::chrono::steady_clock::now();
  engine::Connection& connection = *context.connection;
  for (const TestSpec* test : tests) {
    if (!IsRowLevel(test->kind)) {
      return Status::Internal("quarantine of non-row-level test " + test->name);
    }
  }
  std::vector<std::string> broken;
  for (Result<std::string>& b : BrokenRowExpressions(tests, context)) {
    if (!b.ok()) return b.status();
    broken.push_back(std::move(*b));
  }
  // The other row-level tests ride along in the same scan, unless one cannot be bound (then they
  // are all left to RunTests, which reports the error as the test's own).
  std::vector<const TestSpec*> riders;
  std::vector<std::string> counted = broken;
  for (const TestSpec* test : also_count) {
    if (IsRowLevel(test->kind)) riders.push_back(test);
  }
  for (Result<std::string>& b : BrokenRowExpressions(riders, context)) {
    if (!b.ok()) {
      riders.clear();
      counted.resize(broken.size());
      break;
    }
    counted.push_back(std::move(*b));
  }
  // One scan counts every rule; the rows themselves are read again only if some rule broke. If
  // that scan fails with riders, it runs without them, so a rider's error stays the rider's.
  Result<std::vector<int64_t>> scanned =
      CountBroken(connection, context.relation, counted, broken.size());
  if (!scanned.ok() && !riders.empty()) {
    riders.clear();
    scanned = CountBroken(connection, context.relation, broken);
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<int64_t> counts, std::move(scanned));
  QuarantineSplit split;
  split.table = engine::QuoteIdentifier(quarantine_table);
  split.rows = counts.back();
  if (split.rows == 0) {
    for (size_t i = 0; i < riders.size(); ++i) split.counted[riders[i]] = counts[tests.size() + i];
  }
  std::vector<std::string> flags;
  std::string any;
  for (size_t i = 0; i < tests.size(); ++i) {
    flags.push_back("CASE WHEN " + broken[i] + " THEN " + QuoteLiteral(tests[i]->name) + " END");
    any += (i ? " OR " : "") + broken[i];
  }
  // Rows breaking several rules appear once, with every rule they broke.
  STRATA_RETURN_IF_ERROR(connection.Execute(
      "CREATE OR REPLACE TEMP TABLE " + split.table +
      " AS SELECT * EXCLUDE (__strata_r), CAST(list_filter(__strata_r, x -> x IS NOT NULL) AS "
      "VARCHAR[]) AS _rules, " +
      QuoteLiteral(run_id) +
      " AS _run_id, CAST(now() AS TIMESTAMPTZ) AS _quarantined_at FROM (SELECT t.*, [" +
      JoinComma(flags) + "] AS __strata_r FROM " + context.relation + " AS t WHERE " +
      (split.rows > 0 ? any : "false") + ")"));
  if (split.rows > 0) split.keep_condition = "NOT (" + any + ")";
  const int64_t millis = MillisSince(start);
  for (size_t i = 0; i < tests.size(); ++i) {
    TestResult result;
    result.name = tests[i]->name;
    result.kind = tests[i]->kind;
    result.action = tests[i]->action;
    result.failing_rows = counts[i];
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
