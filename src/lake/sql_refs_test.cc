#include "lake/sql_refs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lake/lake_test_util.h"

namespace strata::lake {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SqlRefsTest : public ::testing::Test {
 protected:
  void SetUp() override { duck_ = testing::OpenDuck(); }

  // "schema.table" of every reference, in order.
  std::vector<std::string> Names(const std::string& sql) {
    auto refs = FindTableRefs(*duck_.conn, sql);
    EXPECT_TRUE(refs.ok()) << refs.status();
    if (!refs.ok()) return {};
    EXPECT_TRUE(refs->parsed) << refs->reason;
    std::vector<std::string> out;
    for (const SqlTableRef& r : refs->refs) {
      out.push_back(r.schema.empty() ? r.table : r.schema + "." + r.table);
    }
    return out;
  }
  SqlRefs Refs(const std::string& sql) {
    auto refs = FindTableRefs(*duck_.conn, sql);
    EXPECT_TRUE(refs.ok()) << refs.status();
    return refs.ok() ? *refs : SqlRefs{};
  }
  testing::Duck duck_;
};

TEST_F(SqlRefsTest, FindsReferencesEverywhere) {
  EXPECT_THAT(Names("SELECT * FROM bronze.a JOIN silver.b USING (id) LEFT JOIN gold.c ON true"),
              ElementsAre("bronze.a", "silver.b", "gold.c"));
  EXPECT_THAT(Names("WITH c AS (SELECT * FROM bronze.a) SELECT * FROM c"),
              ElementsAre("bronze.a", "c"));
  EXPECT_THAT(Names("SELECT (SELECT max(id) FROM bronze.a), x FROM (SELECT 1 AS x) "
                    "WHERE x IN (SELECT id FROM silver.b) AND EXISTS (FROM gold.c)"),
              ElementsAre("bronze.a", "silver.b", "gold.c"));
  EXPECT_THAT(Names("SELECT id FROM bronze.a UNION ALL SELECT id FROM bronze.b "
                    "EXCEPT SELECT id FROM bronze.c"),
              ElementsAre("bronze.a", "bronze.b", "bronze.c"));
  EXPECT_THAT(Names("SELECT 1; SELECT * FROM gold.x"), ElementsAre("gold.x"));
}

TEST_F(SqlRefsTest, IgnoresNamesInStringsCommentsAndColumns) {
  EXPECT_THAT(Names("SELECT 'FROM bronze.fake' AS s, bronze.a.id -- FROM silver.fake\n"
                    "FROM bronze.a /* JOIN gold.fake */"),
              ElementsAre("bronze.a"));
}

TEST_F(SqlRefsTest, SpansCoverNameAndAtClauseButNotTheAlias) {
  const std::string sql =
      "SELECT * FROM \"Bronze\" . pedidos AS p(a, b) AT ( VERSION => 1 + 2 ), silver.y";
  SqlRefs refs = Refs(sql);
  ASSERT_EQ(refs.refs.size(), 2u);
  const SqlTableRef& p = refs.refs[0];
  EXPECT_EQ(p.schema, "Bronze");
  EXPECT_EQ(p.alias, "p");
  ASSERT_TRUE(p.begin.has_value());
  EXPECT_EQ(sql.substr(*p.begin, p.name_end - *p.begin), "\"Bronze\" . pedidos");
  EXPECT_EQ(sql.substr(p.at_begin, p.end - p.at_begin), "AT ( VERSION => 1 + 2 )");
  ASSERT_TRUE(p.at.has_value());
  EXPECT_EQ(p.at->unit, AtClause::Unit::kVersion);
  EXPECT_EQ(p.at->expression, "1 + 2");
  const SqlTableRef& y = refs.refs[1];
  ASSERT_TRUE(y.begin.has_value());
  EXPECT_EQ(sql.substr(*y.begin, y.end - *y.begin), "silver.y");
  EXPECT_EQ(y.name_end, y.end);
  EXPECT_FALSE(y.at.has_value());
}

TEST_F(SqlRefsTest, TimestampClauseWithParenthesesInStringsAndComments) {
  const std::string sql =
      "SELECT * FROM gold.x AT (TIMESTAMP => /* ) */ TIMESTAMP '2024-01-01 00:00:00' + "
      "INTERVAL (1) HOUR) JOIN gold.é \"at\" AT (version=>0) USING (id)";
  SqlRefs refs = Refs(sql);
  ASSERT_EQ(refs.refs.size(), 2u);
  ASSERT_TRUE(refs.refs[0].at.has_value());
  EXPECT_EQ(refs.refs[0].at->unit, AtClause::Unit::kTimestamp);
  EXPECT_EQ(refs.refs[0].at->expression,
            "/* ) */ TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (1) HOUR");
  // Byte offsets survive multi-byte characters; a quoted alias "at" is not the keyword.
  const SqlTableRef& e = refs.refs[1];
  ASSERT_TRUE(e.begin.has_value());
  EXPECT_EQ(sql.substr(*e.begin, e.name_end - *e.begin), "gold.é");
  EXPECT_EQ(sql.substr(e.at_begin, e.end - e.at_begin), "AT (version=>0)");
  EXPECT_EQ(e.at->expression, "0");
}

TEST_F(SqlRefsTest, PathsInQuotes) {
  const std::string sql = "SELECT * FROM './lake/bronze/it''s' t";
  SqlRefs refs = Refs(sql);
  ASSERT_EQ(refs.refs.size(), 1u);
  EXPECT_EQ(refs.refs[0].table, "./lake/bronze/it's");
  EXPECT_EQ(refs.refs[0].alias, "t");
  ASSERT_TRUE(refs.refs[0].begin.has_value());
  EXPECT_EQ(sql.substr(*refs.refs[0].begin, refs.refs[0].end - *refs.refs[0].begin),
            "'./lake/bronze/it''s'");
}

TEST_F(SqlRefsTest, NonSelectAndSyntaxErrorsAreNotParsed) {
  SqlRefs create = Refs("CREATE TABLE t AS SELECT * FROM bronze.a");
  EXPECT_FALSE(create.parsed);
  EXPECT_THAT(create.reason, HasSubstr("SELECT"));
  SqlRefs broken = Refs("SELEC * FROM bronze.a");
  EXPECT_FALSE(broken.parsed);
  EXPECT_THAT(broken.reason, HasSubstr("syntax error"));
}

TEST(ApplyEditsTest, ReplacesSpansInOrderAndRejectsOverlaps) {
  auto out = ApplyEdits("abcdefgh", {{6, 8, "GH"}, {0, 1, "A"}, {3, 3, "+"}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "Abc+defGH");
  EXPECT_TRUE(ApplyEdits("abcdef", {{0, 3, "x"}, {2, 4, "y"}}).status().IsInvalidArgument());
  EXPECT_TRUE(ApplyEdits("abc", {{2, 9, "x"}}).status().IsInvalidArgument());
}

}  // namespace
}  // namespace strata::lake
