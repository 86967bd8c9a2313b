#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/logging.h"
#include "common/result.h"
#include "common/status.h"

namespace strata {
namespace {

Result<int> ParsePositive(int v) {
  if (v <= 0) return Status::InvalidArgument("value " + std::to_string(v) + " is not positive");
  return v;
}

Result<int> Doubled(int v) {
  STRATA_ASSIGN_OR_RETURN(int parsed, ParsePositive(v));
  return parsed * 2;
}

Status CheckBoth(int a, int b) {
  STRATA_RETURN_IF_ERROR(ParsePositive(a).status());
  STRATA_RETURN_IF_ERROR(ParsePositive(b).status());
  return Status::OK();
}

TEST(StatusTest, OkHasNoMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = Status::Conflict("version 3 already exists");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsConflict());
  EXPECT_EQ(s.ToString(), "conflict: version 3 already exists");
  EXPECT_EQ(StatusCodeName(StatusCode::kNotFound), "not_found");
}

TEST(StatusTest, WithContextPrefixesErrorsOnly) {
  EXPECT_EQ(Status::NotFound("no file").WithContext("table bronze.x").message(),
            "table bronze.x: no file");
  EXPECT_TRUE(Status::OK().WithContext("anything").ok());
}

TEST(ResultTest, ValueAndErrorPropagate) {
  Result<int> good = Doubled(21);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  Result<int> bad = Doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  EXPECT_EQ(bad.status().message(), "value -1 is not positive");
  EXPECT_EQ(bad.value_or(7), 7);
  EXPECT_TRUE(CheckBoth(1, 2).ok());
  EXPECT_EQ(CheckBoth(1, 0).message(), "value 0 is not positive");
}

TEST(ResultTest, HoldsMoveOnlyTypes) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(ResultTest, OkStatusBecomesInternalError) {
  Result<int> r = Status::OK();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> r = Status::NotFound("x");
  EXPECT_DEATH((void)r.value(), "value of failed Result: not_found: x");
}

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.NowMicros(), 1000);
  clock.SleepForMicros(500);
  EXPECT_EQ(clock.NowMicros(), 1500);
  clock.Set(10);
  EXPECT_EQ(clock.MonotonicMicros(), 10);
}

TEST(ClockTest, SystemClockIsMonotonic) {
  Clock& clock = Clock::System();
  int64_t a = clock.MonotonicMicros();
  clock.SleepForMicros(1000);
  EXPECT_GE(clock.MonotonicMicros() - a, 1000);
  EXPECT_GT(clock.NowMicros(), 1'600'000'000'000'000);  // after 2020
}

TEST(LoggingTest, RejectsUnknownLevel) {
  EXPECT_TRUE(InitLogging("info").ok());
  EXPECT_EQ(Log().level(), spdlog::level::info);
  Status bad = InitLogging("loud");
  EXPECT_TRUE(bad.IsInvalidArgument());
  EXPECT_NE(bad.message().find("loud"), std::string::npos);
  EXPECT_TRUE(InitLogging("off").ok());
  EXPECT_TRUE(InitLogging("warn").ok());
}

}  // namespace
}  // namespace strata
