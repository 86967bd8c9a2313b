// Cron expressions for pipeline schedules: five fields (minute hour day-of-month month
// day-of-week), evaluated in UTC. Each field takes `*`, numbers, ranges `a-b`, steps `*/n` and
// `a-b/n`, and lists `a,b`; months and weekdays also take names (JAN, MON); weekday 7 is Sunday.
// As in Vixie cron, when both day fields are restricted a day matching either one matches.
// Shortcuts: @yearly @annually @monthly @weekly @daily @midnight @hourly.
// Immutable after Parse; thread-safe.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>

#include "common/result.h"

namespace strata::orchestrator::service {

class CronSchedule {
 public:
  // InvalidArgument naming the field and the bad text ("cron '61 * * * *': minute: 61 is out
  // of range 0-59").
  static Result<CronSchedule> Parse(const std::string& expression);

  const std::string& expression() const { return expression_; }
  // Whether the minute containing `micros` (UTC) matches.
  bool Matches(int64_t micros) const;
  // The first matching minute strictly after `micros` (its start, in micros), searching up to
  // five years ahead; -1 if none (e.g. "0 0 30 2 *").
  int64_t Next(int64_t micros) const;

 private:
  std::string expression_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1-31
  std::bitset<13> months_;   // 1-12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
};

}  // namespace strata::orchestrator::service
