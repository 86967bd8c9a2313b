#include "pipeline/expectations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/pipeline_test_util.h"

namespace strata::pipeline {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::OpenDuck;

// Parses one test the way a project file would, so the tests cover the YAML form too.
TestSpec Parse(const std::string& yaml) {
  auto doc = YamlDocument::Parse("- " + yaml, "t.yaml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  Result<std::vector<TestSpec>> tests = ParseTests((*doc)->Root());
  EXPECT_TRUE(tests.ok()) << tests.status().ToString();
  return tests.ok() && !tests->empty() ? tests->front() : TestSpec{};
}

class ExpectationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(duck_.conn
                    ->Execute("CREATE TABLE itens AS SELECT * FROM (VALUES "
                              "(1, 1, 10, 2.50, 'BRL', DATE '2024-01-01'),"
                              "(1, 2, 0, 1.00, 'USD', DATE '2024-01-02'),"
                              "(2, 1, 5, NULL, 'XXX', DATE '2024-01-03'),"
                              "(3, 1, 7, 4.00, 'EUR', NULL),"
                              "(3, 1, 8, 4.00, 'EUR', DATE '2024-01-05')) "
                              "AS t(pedido_id, seq, qtd, preco, moeda, dia);"
                              "CREATE TABLE pedidos AS SELECT * FROM (VALUES (1), (3)) AS p(id);")
                    .ok());
    context_.connection = duck_.conn.get();
    context_.relation = "itens";
    context_.bind_table = [](const lake::TableName& t) -> Result<std::string> {
      if (t.ToString() == "bronze.pedidos") return std::string("pedidos");
      return Status::NotFound(t.ToString());
    };
    context_.bind_sql = [](std::string_view sql) -> Result<std::string> {
      return std::string(sql);
    };
  }

  TestResult Run(const std::string& yaml) { return RunTest(Parse(yaml), context_); }

  // Creates table `name` from `select_sql` and makes it the relation the tests run on.
  bool UseTable(const std::string& name, const std::string& select_sql) {
    context_.relation = name;
    return duck_.conn->Execute("CREATE TABLE " + name + " AS " + select_sql).ok();
  }

  testing::Duck duck_ = OpenDuck();
  TestContext context_;
};

// The unique test first looks for a key equal to its predecessor in key order, then groups: it
// must find duplicates wherever they sit in the table, with NULLs equal as in GROUP BY.
TEST_F(ExpectationsTest, UniqueFindsDuplicatesAnywhereAndTreatsNullsAsEqual) {
  ASSERT_TRUE(UseTable("k",
                       "SELECT * FROM (VALUES (5, 1), (NULL, 1), (2, 2), "
                       "(NULL, 2), (5, 2), (2, 3)) AS t(a, b)"));
  EXPECT_EQ(Run("{unique: [a, b]}").status, TestStatus::kPass);
  ASSERT_TRUE(duck_.conn->Execute("INSERT INTO k VALUES (NULL, 1)").ok());
  EXPECT_EQ(Run("{unique: [a, b]}").failing_rows, 1);  // only a NULL key repeats
  ASSERT_TRUE(duck_.conn->Execute("INSERT INTO k VALUES (2, 3), (7, NULL)").ok());
  TestResult both = Run("{unique: [a, b]}");
  EXPECT_EQ(both.failing_rows, 2) << both.message;  // (NULL, 1) and (2, 3), far apart
  EXPECT_THAT(both.message, HasSubstr("2 duplicated keys"));
  EXPECT_EQ(Run("{unique: b}").failing_rows, 3);  // 1, 2 and 3; NULL appears once
  // Many rows in an order unrelated to the key, one duplicate pair.
  ASSERT_TRUE(UseTable("big",
                       "SELECT (i * 7919) % 100003 AS a FROM "
                       "range(100003) t(i) UNION ALL SELECT 4242"));
  EXPECT_EQ(Run("{unique: a}").failing_rows, 1);
  // Keys that are equal but not bit for bit the same (-0.0 and 0.0, two NaNs), out of order.
  ASSERT_TRUE(UseTable("f",
                       "SELECT * FROM (VALUES (0.0::DOUBLE), (1.0), (-0.0::DOUBLE), ('NaN'), "
                       "(2.0), (-('NaN'::DOUBLE))) AS t(a)"));
  EXPECT_EQ(Run("{unique: a}").failing_rows, 2);
}

// Keys that rise in the order the rows are read are unique without a sort; a key that repeats
// its predecessor, NULLs included, must still be found.
TEST_F(ExpectationsTest, UniqueOnKeysInReadOrder) {
  ASSERT_TRUE(UseTable("s",
                       "SELECT i // 3 AS a, i % 3 AS b FROM range(30000) "
                       "t(i) ORDER BY i"));
  EXPECT_EQ(Run("{unique: [a, b]}").status, TestStatus::kPass);
  EXPECT_EQ(Run("{unique: a}").failing_rows, 10000);  // rises, but not strictly
  ASSERT_TRUE(duck_.conn->Execute("INSERT INTO s VALUES (10000, 0), (10000, 0)").ok());
  EXPECT_EQ(Run("{unique: [a, b]}").failing_rows, 1);
  ASSERT_TRUE(UseTable("n",
                       "SELECT * FROM (VALUES (1, 1), (2, NULL), "
                       "(2, NULL), (3, 1)) AS t(a, b)"));
  EXPECT_EQ(Run("{unique: [a, b]}").failing_rows, 1);  // (2, NULL) twice, side by side
  ASSERT_TRUE(UseTable("m",
                       "SELECT * FROM (VALUES (NULL, 1), "
                       "(NULL, 2), (1, 1)) AS t(a, b)"));
  EXPECT_EQ(Run("{unique: [a, b]}").status, TestStatus::kPass);  // NULL first: no rise, no twin
}

TEST_F(ExpectationsTest, EachKindCountsItsFailingRows) {
  EXPECT_EQ(Run("{not_null: preco}").failing_rows, 1);
  EXPECT_EQ(Run("{not_null: [preco, dia]}").failing_rows, 2);
  EXPECT_EQ(Run("{unique: [pedido_id, seq]}").failing_rows, 1);  // one duplicated key
  EXPECT_EQ(Run("{unique: pedido_id}").failing_rows, 2);
  EXPECT_EQ(Run("{accepted_values: {column: moeda, values: [BRL, USD, EUR]}}").failing_rows, 1);
  EXPECT_EQ(Run("{accepted_values: {column: qtd, values: [0, 5, 7, 8, 10]}}").failing_rows, 0);
  EXPECT_EQ(Run("{relationships: {column: pedido_id, to: bronze.pedidos, field: id}}").failing_rows,
            1);
  EXPECT_EQ(Run("{range: {column: qtd, min: 1, max: 9}}").failing_rows, 2);
  EXPECT_EQ(Run("{range: {column: dia, min: '2024-01-02'}}").failing_rows, 1);  // NULL passes
  EXPECT_EQ(Run("{row_count: {min: 6}}").failing_rows, 1);
  EXPECT_EQ(Run("{row_count: {min: 1, max: 5}}").failing_rows, 0);
  EXPECT_EQ(Run("{expect: qtd * preco > 0}").failing_rows, 2);  // 0 and NULL both break it
  EXPECT_EQ(Run("{sql: 'SELECT * FROM itens WHERE qtd > 7'}").failing_rows, 2);
  EXPECT_EQ(Run("{sql: 'SELECT * FROM itens WHERE qtd > 70'}").status, TestStatus::kPass);
}

TEST_F(ExpectationsTest, FreshnessComparesToNow) {
  ASSERT_TRUE(UseTable("eventos",
                       "SELECT now() - INTERVAL 2 HOUR AS ts "
                       "UNION ALL SELECT now() - INTERVAL 50 HOUR"));
  EXPECT_EQ(Run("{freshness: {column: ts, max_age: 3 hours}}").status, TestStatus::kPass);
  EXPECT_EQ(Run("{freshness: {column: ts, max_age: 1 hour}}").status, TestStatus::kFail);
  ASSERT_TRUE(duck_.conn->Execute("DELETE FROM eventos").ok());
  EXPECT_EQ(Run("{freshness: {column: ts, max_age: 3 hours}}").status, TestStatus::kFail);
}

TEST_F(ExpectationsTest, ActionsDecideTheStatus) {
  TestResult warn = Run("{not_null: preco, action: warn}");
  EXPECT_EQ(warn.status, TestStatus::kWarn);
  EXPECT_FALSE(warn.Blocks());
  TestResult fail = Run("{not_null: preco, action: fail}");
  EXPECT_EQ(fail.status, TestStatus::kFail);
  EXPECT_TRUE(fail.Blocks());
  EXPECT_THAT(fail.message, HasSubstr("1 failing rows, e.g. pedido_id=2, seq=1"));
  EXPECT_THAT(fail.message, HasSubstr("preco=NULL"));
  TestResult broken = Run("{expect: no_such_column > 0}");
  EXPECT_EQ(broken.status, TestStatus::kError);
  EXPECT_TRUE(broken.Blocks());
  EXPECT_THAT(broken.message, HasSubstr("t.yaml:1:3: test 'expect' could not run"));
}

TEST_F(ExpectationsTest, QuarantineOfCleanRowsMakesAnEmptyTableAndKeepsEverything) {
  std::vector<TestSpec> specs = {Parse("{name: qtd_ok, expect: qtd >= 0, action: quarantine}"),
                                 Parse("{name: moeda_ok, not_null: moeda, action: quarantine}")};
  std::vector<const TestSpec*> tests = {&specs[0], &specs[1]};
  Result<QuarantineSplit> split = SplitQuarantine(tests, context_, "q", "run-1");
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_EQ(split->rows, 0);
  EXPECT_TRUE(split->keep_condition.empty());
  auto columns = duck_.conn->Query("SELECT * FROM q");
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  EXPECT_EQ((*columns)->columns().size(), 9u);  // the 6 columns, _rules, _run_id, _quarantined_at
}

// With nothing to quarantine, the other row-level tests are counted in the quarantine's scan and
// RunTests takes those counts as they are; once a row is quarantined, no count is handed over
// (the other tests must judge the rows that stay).
TEST_F(ExpectationsTest, QuarantineScanCountsTheOtherRowTestsWhenItKeepsEveryRow) {
  std::vector<TestSpec> specs = {
      Parse("{name: qtd_ok, expect: qtd >= 0, action: quarantine}"),
      Parse("{name: preco_presente, not_null: preco, action: fail}"),
      Parse("{name: moedas, accepted_values: {column: moeda, values: [BRL, USD, EUR]}}"),
      Parse("{name: chave, unique: [pedido_id, seq]}"),  // not row-level: not counted here
      Parse("{name: perdido, expect: no_such_column > 0}"),
  };
  std::vector<const TestSpec*> others = {&specs[1], &specs[2], &specs[3]};
  Result<QuarantineSplit> split = SplitQuarantine({&specs[0]}, context_, "q", "run-1", others);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_EQ(split->rows, 0);
  EXPECT_EQ(split->counted.size(), 2u);
  EXPECT_EQ(split->counted[&specs[1]], 1);
  EXPECT_EQ(split->counted[&specs[2]], 1);
  std::vector<TestResult> results = RunTests(others, context_, split->counted);
  ASSERT_EQ(results.size(), 3u);
  for (size_t i = 0; i < results.size(); ++i) {
    TestResult alone = RunTest(*others[i], context_);
    EXPECT_EQ(results[i].status, alone.status) << alone.name;
    EXPECT_EQ(results[i].failing_rows, alone.failing_rows) << alone.name;
    EXPECT_EQ(results[i].message, alone.message) << alone.name;
  }
  // A rider repeating a rule (the quarantine's, or another rider's) shares its count.
  TestSpec same_rule = Parse("{name: qtd_ok_de_novo, expect: qtd >= 0, action: fail}");
  TestSpec same_rider = Parse("{name: preco_de_novo, not_null: preco, action: warn}");
  split = SplitQuarantine({&specs[0]}, context_, "q", "run-1",
                          {&specs[1], &same_rule, &specs[2], &same_rider});
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_EQ(split->rows, 0);
  EXPECT_EQ(split->counted.size(), 4u);
  EXPECT_EQ(split->counted[&specs[1]], 1);
  EXPECT_EQ(split->counted[&same_rule], 0);
  EXPECT_EQ(split->counted[&specs[2]], 1);
  EXPECT_EQ(split->counted[&same_rider], 1);
  // A rider that cannot be bound leaves every rider to RunTests, which reports its error.
  split = SplitQuarantine({&specs[0]}, context_, "q", "run-1", {&specs[1], &specs[4]});
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_TRUE(split->counted.empty());
  // Quarantined rows: nothing is handed over.
  TestSpec strict = Parse("{name: qtd_positiva, expect: qtd > 0, action: quarantine}");
  split = SplitQuarantine({&strict}, context_, "q", "run-1", others);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_EQ(split->rows, 1);
  EXPECT_TRUE(split->counted.empty());
}

// RunTests counts row-level tests in one scan but reports exactly what RunTest reports alone.
TEST_F(ExpectationsTest, RunTestsSharesOneScanAndAgreesWithEachTestAlone) {
  std::vector<TestSpec> specs = {
      Parse("{name: a, not_null: preco, action: fail}"),
      Parse("{name: b, unique: [pedido_id, seq], action: warn}"),
      Parse("{name: c, expect: qtd >= 0}"),
      Parse("{name: d, relationships: {column: pedido_id, to: bronze.pedidos, field: id}, "
            "action: warn}"),
      Parse("{name: e, accepted_values: {column: moeda, values: [BRL, USD, EUR, XXX]}}"),
      Parse("{name: f, expect: no_such_column > 0}"),
  };
  std::vector<const TestSpec*> tests;
  for (const TestSpec& t : specs) tests.push_back(&t);
  std::vector<TestResult> together = RunTests(tests, context_);
  ASSERT_EQ(together.size(), specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    TestResult alone = RunTest(specs[i], context_);
    EXPECT_EQ(together[i].name, alone.name);
    EXPECT_EQ(together[i].status, alone.status) << alone.name;
    EXPECT_EQ(together[i].failing_rows, alone.failing_rows) << alone.name;
    EXPECT_EQ(together[i].message, alone.message) << alone.name;
  }
  EXPECT_EQ(together[0].status, TestStatus::kFail);
  EXPECT_EQ(together[2].status, TestStatus::kPass);
  EXPECT_EQ(together[3].failing_rows, 1);
  EXPECT_EQ(together[5].status, TestStatus::kError);  // a broken test does not hide the others
}

TEST_F(ExpectationsTest, QuarantineMovesEachBadRowOnceWithEveryRuleItBroke) {
  ASSERT_TRUE(duck_.conn->Execute("CREATE TEMP TABLE cand AS SELECT * FROM itens").ok());
  context_.relation = "cand";
  std::vector<TestSpec> specs = {
      Parse("{name: qtd_positiva, expect: qtd > 0, action: quarantine}"),
      Parse("{name: preco_presente, not_null: preco, action: quarantine}"),
      Parse("{name: pedido_existe, relationships: {column: pedido_id, to: bronze.pedidos, "
            "field: id}, action: quarantine}"),
  };
  std::vector<const TestSpec*> tests;
  for (const TestSpec& t : specs) tests.push_back(&t);
  Result<QuarantineSplit> split = SplitQuarantine(tests, context_, "q", "run-1");
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_EQ(split->rows, 2);  // (1,2) qtd 0; (2,1) no price and no order: once
  ASSERT_EQ(split->results.size(), 3u);
  EXPECT_EQ(split->results[0].failing_rows, 1);
  EXPECT_EQ(split->results[1].failing_rows, 1);
  EXPECT_EQ(split->results[2].failing_rows, 1);
  EXPECT_EQ(split->results[0].status, TestStatus::kQuarantined);
  auto rows = duck_.conn->QueryRows(
      "SELECT pedido_id, seq, CAST(_rules AS VARCHAR), _run_id FROM q ORDER BY pedido_id");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(std::get<std::string>((*rows)[0][2]), "[qtd_positiva]");
  EXPECT_EQ(std::get<std::string>((*rows)[1][2]), "[preco_presente, pedido_existe]");
  EXPECT_EQ(std::get<std::string>((*rows)[1][3]), "run-1");
  auto left =
      duck_.conn->QueryRows("SELECT count(*) FROM cand AS t WHERE " + split->keep_condition);
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_EQ(std::get<int64_t>((*left)[0][0]), 3);  // 5 - 2: rows read = kept + quarantined
  // The quarantine keeps the candidate's columns, then the rule list and the run.
  auto columns = duck_.conn->Query("SELECT * FROM q LIMIT 0");
  ASSERT_TRUE(columns.ok());
  std::vector<std::string> names;
  for (const auto& c : (*columns)->columns()) names.push_back(c.name);
  EXPECT_THAT(names, ElementsAre("pedido_id", "seq", "qtd", "preco", "moeda", "dia", "_rules",
                                 "_run_id", "_quarantined_at"));
}

}  // namespace
}  // namespace strata::pipeline
