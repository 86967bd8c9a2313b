// Expectations: turning a TestSpec into SQL and judging its result.
//
// Every test is a query that returns the rows (or groups) breaking it: no rows = pass.
//  - not_null:        rows where any listed column is NULL
//  - unique:          key values (all listed columns together) appearing more than once
//  - accepted_values: rows whose column is not NULL and not one of the values
//  - relationships:   rows whose column is not NULL and absent from `to`.`field`
//  - range:           rows whose column is below min or above max (bounds inclusive)
//  - row_count:       one row if the table's count is outside [min, max]
//  - freshness:       one row if max(column) is NULL or older than now - max_age (UTC)
//  - expect:          rows where the expression is not TRUE (NULL breaks it too)
//  - sql:             whatever the query returns
// NULL handling follows the rule's intent: only not_null (and expect) judges NULLs; the other
// column rules let NULL through so one NULL is reported once, by the rule about it.
//
// Quarantine (row-level tests only): SplitQuarantine copies the rows breaking any quarantine
// rule out of the candidate, each row once, with the list of every rule it broke.
// Thread safety: functions use the given connection; one thread at a time per connection.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "pipeline/project.h"

namespace strata::pipeline {

// How a test reaches the tables it reads.
struct TestContext {
  engine::Connection* connection = nullptr;
  std::string relation;  // SQL name of the rows under test (a table or view, quoted as needed)
  // SQL relation for a table a relationships test points to.
  std::function<Result<std::string>(const lake::TableName&)> bind_table;
  // Makes a custom `sql:` test runnable on the connection (binds lake tables, maps the model's
  // own name to the candidate rows).
  std::function<Result<std::string>(std::string_view sql)> bind_sql;
};

enum class TestStatus { kPass, kWarn, kFail, kQuarantined, kError };
const char* TestStatusName(TestStatus status);  // "pass", "warn", "fail", "quarantined", "error"

struct TestResult {
  std::string name;
  TestKind kind = TestKind::kNotNull;
  TestAction action = TestAction::kFail;
  TestStatus status = TestStatus::kPass;
  int64_t failing_rows = 0;  // rows (or key groups, for unique) breaking the test
  std::string message;       // why it failed, with a sample of the failing rows; or the error
  int64_t millis = 0;
  // True when the test stops the model: a failed `fail` test, or any test that could not run.
  bool Blocks() const { return status == TestStatus::kFail || status == TestStatus::kError; }
};

// Boolean SQL, true when the row aliased `alias` breaks the row-level test. `to_relation` is
// the bound relation of a relationships test ("" otherwise).
Result<std::string> BrokenRowExpression(const TestSpec& test, std::string_view alias,
                                        std::string_view to_relation);

// The query returning the failing rows of `test` over context.relation.
Result<std::string> FailingRowsQuery(const TestSpec& test, const TestContext& context);

// Runs the test; SQL errors become a kError result (never a Status: other tests still run).
// A quarantine test run here (e.g. by `strata test` on a committed table) reports kQuarantined
// for failing rows without moving them.
TestResult RunTest(const TestSpec& test, const TestContext& context);

// Runs `tests` in order (results in the same order). The row-level ones are counted together
// in one scan of context.relation; only those that fail are run again, alone, for their sample.
// `counted_already`: failing-row counts of row-level tests over this very relation, known from an
// earlier scan (SplitQuarantine's): they are not counted again.
std::vector<TestResult> RunTests(const std::vector<const TestSpec*>& tests,
                                 const TestContext& context,
                                 const std::map<const TestSpec*, int64_t>& counted_already = {});

struct QuarantineSplit {
  std::string table;  // temp table of quarantined rows: the candidate's columns + _rules
  int64_t rows = 0;
  // SQL over the candidate aliased t, true for the rows that stay; empty when none broke a rule.
  std::string keep_condition;
  std::vector<TestResult> results;  // one per quarantine test: rows it flagged
  // Failing rows of the `also_count` tests over the candidate; filled only when no row was
  // quarantined, so the candidate is the relation they will be judged on.
  std::map<const TestSpec*, int64_t> counted;
};

// Copies the rows of context.relation breaking any of `tests` (all row-level, quarantine) into a
// new temp table `quarantine_table` (made even when empty) with the candidate's columns,
// `_rules` (VARCHAR[], the names of every rule the row broke, in declaration order), `_run_id`
// and `_quarantined_at`. The candidate is not changed: the caller keeps the rows passing
// `keep_condition`. Counting is one scan; the rows are read again only if some rule broke. The
// row-level tests among `also_count` are counted in the same scan (see `counted`).
Result<QuarantineSplit> SplitQuarantine(const std::vector<const TestSpec*>& tests,
                                        const TestContext& context,
                                        const std::string& quarantine_table,
                                        const std::string& run_id,
                                        const std::vector<const TestSpec*>& also_count = {});

}  // namespace strata::pipeline
