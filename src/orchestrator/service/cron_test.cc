#include "orchestrator/service/cron.h"

#include <gtest/gtest.h>

#include "common/civil_date.h"

namespace strata::orchestrator::service {
namespace {

int64_t At(int y, int mo, int d, int h, int mi) {
  return ((DaysFromCivil(y, mo, d) * 24 + h) * 60 + mi) * 60'000'000LL;
}

TEST(CronTest, DailyAtSix) {
  auto cron = CronSchedule::Parse("0 6 * * *");
  ASSERT_TRUE(cron.ok()) << cron.status();
  EXPECT_EQ(cron->Next(At(2025, 1, 31, 5, 59)), At(2025, 1, 31, 6, 0));
  EXPECT_EQ(cron->Next(At(2025, 1, 31, 6, 0)), At(2025, 2, 1, 6, 0));
  EXPECT_TRUE(cron->Matches(At(2025, 1, 31, 6, 0) + 30'000'000));
  EXPECT_FALSE(cron->Matches(At(2025, 1, 31, 6, 1)));
}

TEST(CronTest, StepsRangesListsAndNames) {
  auto cron = CronSchedule::Parse("*/15 9-17 * JAN,mar MON-FRI");
  ASSERT_TRUE(cron.ok()) << cron.status();
  // 2025-01-04 is a Saturday: the next match is Monday the 6th at 09:00.
  EXPECT_EQ(cron->Next(At(2025, 1, 4, 12, 0)), At(2025, 1, 6, 9, 0));
  EXPECT_EQ(cron->Next(At(2025, 1, 6, 9, 0)), At(2025, 1, 6, 9, 15));
  EXPECT_EQ(cron->Next(At(2025, 1, 31, 17, 45)), At(2025, 3, 3, 9, 0));  // Feb skipped
}

TEST(CronTest, DayOfMonthOrWeekdayWhenBothRestricted) {
  auto cron = CronSchedule::Parse("0 0 13 * 5");  // the 13th or any Friday
  ASSERT_TRUE(cron.ok());
  EXPECT_EQ(cron->Next(At(2025, 6, 1, 0, 0)), At(2025, 6, 6, 0, 0));    // Friday 6th
  EXPECT_EQ(cron->Next(At(2025, 6, 10, 0, 0)), At(2025, 6, 13, 0, 0));  // 13th (also Friday)
  auto sunday = CronSchedule::Parse("0 12 * * 7");
  ASSERT_TRUE(sunday.ok());
  EXPECT_EQ(sunday->Next(At(2025, 6, 1, 13, 0)), At(2025, 6, 8, 12, 0));
}

TEST(CronTest, ShortcutsAndImpossibleDates) {
  auto hourly = CronSchedule::Parse("@hourly");
  ASSERT_TRUE(hourly.ok());
  EXPECT_EQ(hourly->Next(At(2025, 1, 1, 10, 30)), At(2025, 1, 1, 11, 0));
  auto feb30 = CronSchedule::Parse("0 0 30 2 *");
  ASSERT_TRUE(feb30.ok());
  EXPECT_EQ(feb30->Next(At(2025, 1, 1, 0, 0)), -1);
  auto leap = CronSchedule::Parse("0 0 29 2 *");
  ASSERT_TRUE(leap.ok());
  EXPECT_EQ(leap->Next(At(2025, 1, 1, 0, 0)), At(2028, 2, 29, 0, 0));
}

TEST(CronTest, BadExpressionsNameTheField) {
  auto bad = CronSchedule::Parse("61 * * * *");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("minute: 61 is out of range 0-59"), std::string::npos)
      << bad.status();
  bad = CronSchedule::Parse("* * *");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("expected 5 fields"), std::string::npos);
  bad = CronSchedule::Parse("* * * FOO *");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("month: 'FOO' is not a number"), std::string::npos)
      << bad.status();
  bad = CronSchedule::Parse("*/0 * * * *");
  ASSERT_FALSE(bad.ok());
  bad = CronSchedule::Parse("5-1 * * * *");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("goes backwards"), std::string::npos);
}

}  // namespace
}  // namespace strata::orchestrator::service
