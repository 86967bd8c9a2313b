#include "common/numbers.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace strata {
namespace {

TEST(ParseIntegerTest, ReadsWholeText) {
  EXPECT_EQ(ParseInteger<int64_t>("42"), 42);
  EXPECT_EQ(ParseInteger<int64_t>("-7"), -7);
  EXPECT_EQ(ParseInteger<int64_t>("+7"), 7);
  EXPECT_EQ(ParseInteger<int>("0"), 0);
  EXPECT_EQ(ParseInteger<int64_t>("9223372036854775807"), std::numeric_limits<int64_t>::max());
}

TEST(ParseIntegerTest, RefusesGarbageAndOverflowWithoutThrowing) {
  EXPECT_FALSE(ParseInteger<int64_t>(""));
  EXPECT_FALSE(ParseInteger<int64_t>("+"));
  EXPECT_FALSE(ParseInteger<int64_t>("+-1"));
  EXPECT_FALSE(ParseInteger<int64_t>(" 1"));
  EXPECT_FALSE(ParseInteger<int64_t>("1 "));
  EXPECT_FALSE(ParseInteger<int64_t>("12abc"));
  EXPECT_FALSE(ParseInteger<int64_t>("99999999999999999999"));
  EXPECT_FALSE(ParseInteger<int>("9999999999"));
  EXPECT_FALSE(ParseInteger<unsigned>("-1"));
}

TEST(ParseDoubleTest, ReadsDecimalAndExponent) {
  EXPECT_EQ(ParseDouble("1.5"), 1.5);
  EXPECT_EQ(ParseDouble(".5"), 0.5);
  EXPECT_EQ(ParseDouble("+2e3"), 2000.0);
  EXPECT_EQ(ParseDouble("-1"), -1.0);
  EXPECT_EQ(ParseDouble("99999999999999999999"), 1e20);
}

TEST(ParseDoubleTest, RefusesGarbageAndOutOfRange) {
  EXPECT_FALSE(ParseDouble(""));
  EXPECT_FALSE(ParseDouble("1.5x"));
  EXPECT_FALSE(ParseDouble("1e999"));
  EXPECT_FALSE(ParseDouble("abc"));
}

}  // namespace
}  // namespace strata
