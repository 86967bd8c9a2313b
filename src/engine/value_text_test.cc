// DataChunk::Text() against DuckDB itself: every case selects a value next to
// CAST(value AS VARCHAR) in the same query and requires the two to be identical, so the
// expectations are DuckDB's, not ours.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace strata::engine {
namespace {

class ValueTextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open({});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto conn = db_->Connect();
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = std::move(*conn);
    ASSERT_TRUE(conn_->Execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'a,b', 'NULL')").ok());
  }

  // Runs `SELECT v, CAST(v AS VARCHAR), typeof(v) FROM (<from>)` and compares every row;
  // returns the number of non-null rows compared.
  int CompareAll(const std::string& from) {
    std::string sql = "SELECT v, CAST(v AS VARCHAR), typeof(v) FROM (" + from + ")";
    auto result = conn_->Query(sql);
    EXPECT_TRUE(result.ok()) << sql << ": " << result.status();
    if (!result.ok()) return 0;
    int compared = 0;
    while (true) {
      auto chunk = (*result)->Next();
      EXPECT_TRUE(chunk.ok()) << chunk.status();
      if (!chunk.ok() || *chunk == nullptr) break;
      const DataChunk& c = **chunk;
      for (int64_t row = 0; row < c.size(); ++row) {
        EXPECT_EQ(c.IsNull(0, row), c.IsNull(1, row)) << sql;
        if (c.IsNull(0, row)) continue;
        auto expected = c.GetString(1, row);
        EXPECT_TRUE(expected.ok()) << expected.status();
        EXPECT_EQ(c.Text(0, row), expected.value_or("<error>")) << "in " << sql << " row " << row;
        ++compared;
      }
    }
    return compared;
  }

  // One expression: its text and its type name must match DuckDB's.
  void CompareExpression(const std::string& expr) {
    SCOPED_TRACE(expr);
    std::string sql = "SELECT " + expr + " AS v";
    EXPECT_EQ(CompareAll(sql), 1) << expr;
    auto result = conn_->Query("SELECT v, typeof(v) FROM (" + sql + ")");
    ASSERT_TRUE(result.ok()) << result.status();
    auto chunk = (*result)->Next();
    ASSERT_TRUE(chunk.ok() && *chunk != nullptr);
    EXPECT_EQ((*result)->columns()[0].type_name, (*chunk)->Text(1, 0)) << expr;
  }

  std::unique_ptr<Database> db_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(ValueTextTest, Integers) {
  for (const char* e :
       {"true", "false", "(-128)::TINYINT", "127::TINYINT", "(-32768)::SMALLINT", "0::INTEGER",
        "(-2147483648)::INTEGER", "(-9223372036854775808)::BIGINT", "9223372036854775807::BIGINT",
        "255::UTINYINT", "65535::USMALLINT", "4294967295::UINTEGER",
        "18446744073709551615::UBIGINT", "(-170141183460469231731687303715884105728)::HUGEINT",
        "170141183460469231731687303715884105727::HUGEINT", "(-1)::HUGEINT",
        "340282366920938463463374607431768211455::UHUGEINT", "0::UHUGEINT"}) {
    CompareExpression(e);
  }
}

TEST_F(ValueTextTest, FloatingPoint) {
  for (const char* e : {"1.0::DOUBLE",
                        "0.1::DOUBLE",
                        "1e20::DOUBLE",
                        "1e15::DOUBLE",
                        "1e16::DOUBLE",
                        "9999999999999998::DOUBLE",
                        "1.5e-5::DOUBLE",
                        "0.0001::DOUBLE",
                        "0.00012345::DOUBLE",
                        "'-0.0'::DOUBLE",
                        "'inf'::DOUBLE",
                        "'-inf'::DOUBLE",
                        "'nan'::DOUBLE",
                        "123456789.0::DOUBLE",
                        "1.7976931348623157e308::DOUBLE",
                        "5e-324::DOUBLE",
                        "2.2250738585072014e-308::DOUBLE",
                        "(1/3)::DOUBLE",
                        "(-2/3)::DOUBLE",
                        "123.456::DOUBLE",
                        "3.4028235e38::FLOAT",
                        "0.1::FLOAT",
                        "1e-7::FLOAT",
                        "'-0.0'::FLOAT",
                        "'nan'::FLOAT",
                        "'inf'::FLOAT",
                        "'-inf'::FLOAT",
                        "16777217::FLOAT",
                        "1.17549435e-38::FLOAT",
                        "1e-45::FLOAT"}) {
    CompareExpression(e);
  }
}

TEST_F(ValueTextTest, ManyRandomDoublesAndFloatsAcrossChunks) {
  // Spans many magnitudes and several chunks (rows beyond the first 2048).
  EXPECT_EQ(CompareAll("SELECT ((hash(i) % 2000000) / 1000.0 - 1000) * "
                       "pow(10, (hash(i * 7) % 60)::INTEGER - 30) AS v FROM range(5000) t(i)"),
            5000);
  EXPECT_EQ(CompareAll("SELECT (((hash(i) % 2000000) / 1000.0 - 1000) * "
                       "pow(10, (hash(i * 7) % 60)::INTEGER - 30))::FLOAT AS v "
                       "FROM range(3000) t(i)"),
            3000);
  EXPECT_EQ(CompareAll("SELECT i / 7 AS v FROM range(-3000, 3000) t(i)"), 6000);
}

TEST_F(ValueTextTest, Decimals) {
  for (const char* e : {"12.50::DECIMAL(4,2)", "(-0.05)::DECIMAL(4,3)", "123.456::DECIMAL(9,3)",
                        "123.456::DECIMAL(18,10)", "123.456::DECIMAL(38,10)", "12::DECIMAL(4,0)",
                        "(-99999999999999999999999999999999999999)::DECIMAL(38,0)",
                        "0.000001::DECIMAL(38,37)", "(-1.5)::DECIMAL(18,1)"}) {
    CompareExpression(e);
  }
}

TEST_F(ValueTextTest, StringsAndBlobs) {
  for (const char* e :
       {"'hello'", "''", "'it''s'", "'über 😀'", "'a,b'", "'\\x00\\xFFab\\x5C\\x27\\x22 x'::BLOB",
        "''::BLOB", "'plain text'::BLOB", "encode('é')", "'101010111'::BIT", "'1'::BIT",
        "'0000000011111111'::BIT", "123456789012345678901234567890::BIGNUM", "(-5)::BIGNUM",
        "0::BIGNUM", "(-123456789012345678901234567890123)::BIGNUM", "255::BIGNUM"}) {
    CompareExpression(e);
  }
}

TEST_F(ValueTextTest, DatesTimesAndIntervals) {
  for (const char* e : {"DATE '2024-01-31'",
                        "'0001-01-01'::DATE - 1",
                        "'0044-03-15 (BC)'::DATE",
                        "'infinity'::DATE",
                        "'-infinity'::DATE",
                        "'10000-01-01'::DATE",
                        "'0099-03-04'::DATE",
                        "'1969-12-31'::DATE",
                        "'12:34:56.25'::TIME",
                        "'24:00:00'::TIME",
                        "'00:00:00'::TIME",
                        "'12:34:56.000001'::TIME",
                        "'12:34:56+05:30'::TIMETZ",
                        "'12:34:56-08'::TIMETZ",
                        "'12:34:56.5+00'::TIMETZ",
                        "'01:02:03+05:30:15'::TIMETZ",
                        "'12:34:56.123456789'::TIME_NS",
                        "'2024-01-31 12:34:56.5'::TIMESTAMP",
                        "'2024-01-31 00:00:00'::TIMESTAMP",
                        "'1969-12-31 23:59:59.999999'::TIMESTAMP",
                        "'0044-03-15 (BC) 10:00:00'::TIMESTAMP",
                        "'infinity'::TIMESTAMP",
                        "'-infinity'::TIMESTAMP",
                        "'2024-01-31 12:34:56.123456789'::TIMESTAMP_NS",
                        "'1960-01-31 12:34:56.000000001'::TIMESTAMP_NS",
                        "'-infinity'::TIMESTAMP_NS",
                        "'2024-01-31 12:34:56.12'::TIMESTAMP_MS",
                        "'1900-01-31 12:34:56.12'::TIMESTAMP_MS",
                        "'2024-01-31 12:34:56'::TIMESTAMP_S",
                        "'1800-01-01 00:00:01'::TIMESTAMP_S",
                        "'2024-01-31 12:34:56.5+02'::TIMESTAMPTZ",
                        "'infinity'::TIMESTAMPTZ",
                        "'1500-06-01 00:00:00+00'::TIMESTAMPTZ",
                        "INTERVAL '1 year 2 months 3 days 04:05:06.789'",
                        "INTERVAL '0 seconds'",
                        "INTERVAL '-1 day'",
                        "INTERVAL '-36 hours'",
                        "INTERVAL '14 months'",
                        "INTERVAL '1 month -1 day'",
                        "INTERVAL '1 microsecond'",
                        "INTERVAL '-1 year -2 months'",
                        "INTERVAL '100 hours 0.5 seconds'",
                        "INTERVAL '-1 second' * 0.5",
                        "INTERVAL '2 days 1 second'",
                        "INTERVAL '1000 years'"}) {
    CompareExpression(e);
  }
}

TEST_F(ValueTextTest, UuidsAndEnums) {
  for (const char* e : {"'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID",
                        "'00000000-0000-0000-0000-000000000000'::UUID",
                        "'ffffffff-ffff-ffff-ffff-ffffffffffff'::UUID",
                        "'7fffffff-0000-0000-0000-000000000001'::UUID", "'sad'::mood",
                        "'a,b'::mood", "['ok'::mood, 'a,b'::mood, 'NULL'::mood, NULL]"}) {
    CompareExpression(e);
  }
}

TEST_F(ValueTextTest, ListsQuoteLikeDuckDB) {
  for (const char* e : {
           "[1, 2, NULL]",
           "['a', 'b c', ' x', 'it''s', 'a,b', 'NULL', 'Null', '', 'q\"x', '[x]', '{y}', 'k:v', "
           "'a=b', 'back\\slash', 'x' || chr(9), chr(9) || 'y', 'a' || chr(10) || 'b', ' ', 'a ']",
           "[]::INTEGER[]",
           "[[]::INTEGER[]]",
           "[[1, 2], [3], NULL]",
           "[DATE '2024-01-31', '0001-01-01'::DATE - 1, 'infinity'::DATE]",
           "[INTERVAL '1 day 2 hours']",
           "[TIME '12:00:00']",
           "[TIMESTAMPTZ '2024-01-01 00:00:00+00']",
           "[1.5::DOUBLE, 1e20, 'nan'::DOUBLE, '-0.0'::DOUBLE]",
           "[1.5::FLOAT, 0.1::FLOAT]",
           "[1.25::DECIMAL(5,2)]",
           "['\\x01a,'::BLOB, 'xy'::BLOB, '\\x01'::BLOB]",
           "[true, false]",
           "['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID]",
           "['1011'::BIT]",
           "[12345678901234567890123::HUGEINT]",
           "['a\\b,']",
       }) {
    CompareExpression(e);
  }
}

TEST_F(ValueTextTest, StructsMapsArraysUnions) {
  for (const char* e : {
           "{'a': 1, 'b': 'hello', 'c d': 'x y', 'it''s': NULL::INTEGER}",
           "{'k''q': 1, 'a b': 2, 'a\\b': 3}",
           "{'a': NULL::INTEGER[]}",
           "{'a': {'b': 'x y', 'c': 'x,y'}}",
           "[NULL::STRUCT(a INTEGER), {'a': 1}]",
           "row(1, 'a,b')",
           "[row(1, 2)]",
           "MAP {1: 'a', 2: 'b c'}",
           "MAP {'k': [1, 2]}",
           "MAP {'a b': 'c,d', '': NULL}",
           "MAP {}::MAP(INTEGER, INTEGER)",
           "MAP {'k': {'a': 'b,c'}}",
           "[MAP {1: 2}]",
           "[1, 2]::INTEGER[2]",
           "[{'a': 'x,y'}]::STRUCT(a VARCHAR)[1]",
           "[['a,b']]::VARCHAR[][1]",
           "[['a,b']]::VARCHAR[1][1]",
           "[NULL, 'NULL', '']::VARCHAR[3]",
           "['a,b', 'c']::VARCHAR[2]",
           "{'a': ['x,y']::VARCHAR[1]}",
           "MAP {['k,1']::VARCHAR[1]: 1}",
           "[DATE '0000-01-01']::DATE[1]",
           "union_value(num := 2)::UNION(num INTEGER, str VARCHAR)",
           "'x,y'::UNION(num INTEGER, str VARCHAR)",
           "{'u': union_value(s := 'x,y')::UNION(i INTEGER, s VARCHAR)}",
           "[union_value(s := 'x,y')::UNION(i INTEGER, s VARCHAR), NULL]",
           "union_value(l := ['a,b'])::UNION(i INTEGER, l VARCHAR[])",
       }) {
    CompareExpression(e);
  }
}

TEST_F(ValueTextTest, NullsInsideAVectorAndTableColumns) {
  ASSERT_TRUE(conn_
                  ->Execute("CREATE TABLE t(i INTEGER, s VARCHAR, l INTEGER[], "
                            "st STRUCT(a INTEGER, b VARCHAR), m MAP(VARCHAR, DOUBLE))")
                  .ok());
  ASSERT_TRUE(conn_
                  ->Execute("INSERT INTO t SELECT CASE WHEN i % 3 = 0 THEN NULL ELSE i END, "
                            "CASE WHEN i % 5 = 0 THEN NULL ELSE 'v' || i END, "
                            "CASE WHEN i % 7 = 0 THEN NULL ELSE [i, NULL, i + 1] END, "
                            "CASE WHEN i % 11 = 0 THEN NULL ELSE {'a': i, 'b': 'x,' || i} END, "
                            "MAP {'k' || i: i / 3} FROM range(4000) r(i)")
                  .ok());
  EXPECT_EQ(CompareAll("SELECT i AS v FROM t"), 4000 - 1334);
  EXPECT_EQ(CompareAll("SELECT s AS v FROM t"), 4000 - 800);
  EXPECT_EQ(CompareAll("SELECT l AS v FROM t"), 4000 - 572);
  EXPECT_EQ(CompareAll("SELECT st AS v FROM t"), 4000 - 364);
  EXPECT_EQ(CompareAll("SELECT m AS v FROM t"), 4000);
  EXPECT_EQ(CompareAll("SELECT list(st) AS v FROM t GROUP BY i % 10"), 11);  // with i NULL
}

}  // namespace
}  // namespace strata::engine
