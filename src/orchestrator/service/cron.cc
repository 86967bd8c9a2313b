#include "orchestrator/service/cron.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>
#include <vector>

#include "common/civil_date.h"
#include "common/numbers.h"

namespace strata::orchestrator::service {
namespace {

constexpr int64_t kMinute = 60'000'000;
constexpr int64_t kDay = 24 * 60 * kMinute;

struct FieldSpec {
  const char* name;
  int min, max;
  std::map<std::string, int> names;
};

const FieldSpec kFields[5] = {
    {"minute", 0, 59, {}},
    {"hour", 0, 23, {}},
    {"day of month", 1, 31, {}},
    {"month",
     1,
     12,
     {{"JAN", 1},
      {"FEB", 2},
      {"MAR", 3},
      {"APR", 4},
      {"MAY", 5},
      {"JUN", 6},
      {"JUL", 7},
      {"AUG", 8},
      {"SEP", 9},
      {"OCT", 10},
      {"NOV", 11},
      {"DEC", 12}}},
    // 7 is accepted as Sunday and folded to 0.
    {"day of week",
     0,
     7,
     {{"SUN", 0}, {"MON", 1}, {"TUE", 2}, {"WED", 3}, {"THU", 4}, {"FRI", 5}, {"SAT", 6}}},
};

Result<int> ParseValue(const std::string& text, const FieldSpec& field, const std::string& where) {
  std::string upper = text;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (auto it = field.names.find(upper); it != field.names.end()) return it->second;
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      })) {
    return Status::InvalidArgument(where + ": '" + text + "' is not a number");
  }
  if (text.size() > 4) return Status::InvalidArgument(where + ": " + text + " is out of range");
  int v = ParseInteger<int>(text).value_or(-1);
  if (v < field.min || v > field.max) {
    return Status::InvalidArgument(where + ": " + text + " is out of range " +
                                   std::to_string(field.min) + "-" + std::to_string(field.max));
  }
  return v;
}

// Parses one field into `bits` (indexed by value); returns whether it was restricted (not *).
Result<bool> ParseField(const std::string& text, const FieldSpec& field, const std::string& where,
                        std::vector<bool>& bits) {
  bits.assign(field.max + 1, false);
  bool restricted = text != "*" && text != "?";
  std::stringstream parts(text);
  std::string part;
  bool any = false;
  while (std::getline(parts, part, ',')) {
    any = true;
    int step = 1;
    std::string range = part;
    if (size_t slash = part.find('/'); slash != std::string::npos) {
      range = part.substr(0, slash);
      std::string step_text = part.substr(slash + 1);
      if (step_text.empty() || step_text.size() > 3 ||
          !std::all_of(step_text.begin(), step_text.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
          ParseInteger<int>(step_text).value_or(0) == 0) {
        return Status::InvalidArgument(where + ": bad step in '" + part + "'");
      }
      step = *ParseInteger<int>(step_text);
    }
    int lo = field.min, hi = field.max;
    if (range == "*" || range == "?") {
      if (field.max == 7) hi = 6;
    } else if (size_t dash = range.find('-'); dash != std::string::npos) {
      STRATA_ASSIGN_OR_RETURN(lo, ParseValue(range.substr(0, dash), field, where));
      STRATA_ASSIGN_OR_RETURN(hi, ParseValue(range.substr(dash + 1), field, where));
      if (lo > hi) {
        return Status::InvalidArgument(where + ": range '" + range + "' goes backwards");
      }
    } else {
      STRATA_ASSIGN_OR_RETURN(lo, ParseValue(range, field, where));
      // "5/15" means 5, 20, 35, 50 (from 5 to the end, every 15).
      hi = part.find('/') != std::string::npos ? field.max : lo;
    }
    for (int v = lo; v <= hi; v += step) bits[v] = true;
  }
  if (!any) return Status::InvalidArgument(where + ": empty field");
  return restricted;
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(const std::string& expression) {
  static const std::map<std::string, std::string> kShortcuts = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"}};
  std::string text = expression;
  if (auto it = kShortcuts.find(text); it != kShortcuts.end()) text = it->second;
  std::stringstream in(text);
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  const std::string where = "cron '" + expression + "'";
  if (fields.size() != 5) {
    return Status::InvalidArgument(where +
                                   ": expected 5 fields (minute hour day-of-month month "
                                   "day-of-week), found " +
                                   std::to_string(fields.size()));
  }
  CronSchedule cron;
  cron.expression_ = expression;
  std::vector<bool> bits;
  for (int i = 0; i < 5; ++i) {
    STRATA_ASSIGN_OR_RETURN(
        bool restricted, ParseField(fields[i], kFields[i], where + ": " + kFields[i].name, bits));
    for (size_t v = 0; v < bits.size(); ++v) {
      if (!bits[v]) continue;
      switch (i) {
        case 0:
          cron.minutes_.set(v);
          break;
        case 1:
          cron.hours_.set(v);
          break;
        case 2:
          cron.days_.set(v);
          break;
        case 3:
          cron.months_.set(v);
          break;
        case 4:
          cron.weekdays_.set(v % 7);
          break;
      }
    }
    if (i == 2) cron.days_restricted_ = restricted;
    if (i == 4) cron.weekdays_restricted_ = restricted;
  }
  return cron;
}

bool CronSchedule::Matches(int64_t micros) const {
  int64_t days = micros >= 0 ? micros / kDay : (micros - kDay + 1) / kDay;
  int64_t in_day = micros - days * kDay;
  int minute = static_cast<int>(in_day / kMinute % 60);
  int hour = static_cast<int>(in_day / (60 * kMinute));
  CivilDate date = CivilFromDays(days);
  int weekday = (Weekday(days) + 1) % 7;  // civil_date: 0 = Monday; cron: 0 = Sunday
  if (!minutes_[minute] || !hours_[hour] || !months_[date.month]) return false;
  bool day_ok = days_[date.day];
  bool weekday_ok = weekdays_[weekday];
  if (days_restricted_ && weekdays_restricted_) return day_ok || weekday_ok;
  return day_ok && weekday_ok;
}

int64_t CronSchedule::Next(int64_t micros) const {
  int64_t t = (micros >= 0 ? micros / kMinute : (micros - kMinute + 1) / kMinute) * kMinute;
  t += kMinute;
  const int64_t limit = t + 5 * 366 * kDay;
  while (t < limit) {
    int64_t days = t >= 0 ? t / kDay : (t - kDay + 1) / kDay;
    // Skip whole days that cannot match, then whole hours.
    if (!Matches(days * kDay + 0) && !Matches(t)) {
      CivilDate date = CivilFromDays(days);
      int weekday = (Weekday(days) + 1) % 7;
      bool day_ok = days_[date.day], weekday_ok = weekdays_[weekday];
      bool date_ok = (days_restricted_ && weekdays_restricted_) ? (day_ok || weekday_ok)
                                                                : (day_ok && weekday_ok);
      if (!months_[date.month] || !date_ok) {
        t = (days + 1) * kDay;
        continue;
      }
      int hour = static_cast<int>((t - days * kDay) / (60 * kMinute));
      if (!hours_[hour]) {
        t = days * kDay + (hour + 1) * 60 * kMinute;
        continue;
      }
    }
    if (Matches(t)) return t;
    t += kMinute;
  }
  return -1;
}

}  // namespace strata::orchestrator::service
