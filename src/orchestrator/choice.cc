#include "orchestrator/choice.h"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

namespace strata::orchestrator {

std::optional<int64_t> ParseTimestampMicros(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  auto digits = [&](size_t pos, size_t n) -> std::optional<int> {
    if (pos + n > s.size()) return std::nullopt;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2), mi = digits(14, 2),
       se = digits(17, 2);
  if (!y || !mo || !d || !h || !mi || !se) return std::nullopt;
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *se > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t frac_us = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int64_t scale = 100000;
    size_t start = pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      frac_us += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    auto oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
    if (!oh || !om || pos + 3 >= s.size() || s[pos + 3] != ':') return std::nullopt;
    offset_s = (*oh * 3600 + *om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  // Days from civil (Howard Hinnant's algorithm).
  int yy = *y - (*mo <= 2 ? 1 : 0);
  int era = (yy >= 0 ? yy : yy - 399) / 400;
  unsigned yoe = static_cast<unsigned>(yy - era * 400);
  unsigned mp = static_cast<unsigned>(*mo + (*mo > 2 ? -3 : 9));
  unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(*d) - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
  int64_t secs = days * 86400 + *h * 3600 + *mi * 60 + *se - offset_s;
  return secs * 1'000'000 + frac_us;
}

std::string FormatTimestampMicros(int64_t micros) {
  std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // generous: the compiler cannot bound tm fields
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((micros / 1000) % 1000));
  return buf;
}

bool StringMatchesPattern(std::string_view value, std::string_view pattern) {
  // Iterative wildcard matching with backtracking to the last '*'.
  struct Tok {
    char c;
    bool star;
  };
  std::vector<Tok> toks;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      toks.push_back({pattern[++i], false});
    } else {
      toks.push_back({pattern[i], pattern[i] == '*'});
    }
  }
  size_t v = 0, p = 0, star = std::string::npos, mark = 0;
  while (v < value.size()) {
    if (p < toks.size() && !toks[p].star && toks[p].c == value[v]) {
      ++v;
      ++p;
    } else if (p < toks.size() && toks[p].star) {
      star = p++;
      mark = v;
    } else if (star != std::string::npos) {
      p = star + 1;
      v = ++mark;
    } else {
      return false;
    }
  }
  while (p < toks.size() && toks[p].star) ++p;
  return p == toks.size();
}

namespace {

bool Compare(const std::string& op, const Json& a, const Json& b) {
  auto order = [&](auto x, auto y) {
    if (op.ends_with("GreaterThanEquals")) return x >= y;
    if (op.ends_with("LessThanEquals")) return x <= y;
    if (op.ends_with("GreaterThan")) return x > y;
    if (op.ends_with("LessThan")) return x < y;
    return x == y;
  };
  if (op.rfind("String", 0) == 0) {
    if (!a.is_string() || !b.is_string()) return false;
    return order(a.get_ref<const std::string&>(), b.get_ref<const std::string&>());
  }
  if (op.rfind("Numeric", 0) == 0) {
    if (!a.is_number() || !b.is_number()) return false;
    if (a.is_number_integer() && b.is_number_integer()) {
      return order(a.get<int64_t>(), b.get<int64_t>());
    }
    return order(a.get<double>(), b.get<double>());
  }
  if (op == "BooleanEquals") return a.is_boolean() && b.is_boolean() && a == b;
  if (op.rfind("Timestamp", 0) == 0) {
    if (!a.is_string() || !b.is_string()) return false;
    auto x = ParseTimestampMicros(a.get_ref<const std::string&>());
    auto y = ParseTimestampMicros(b.get_ref<const std::string&>());
    if (!x || !y) return false;
    return order(*x, *y);
  }
  return false;
}

}  // namespace

Result<bool> EvaluateChoiceRule(const ChoiceRule& rule, const PathScope& scope) {
  switch (rule.kind) {
    case ChoiceRule::Kind::kAnd:
      for (const auto& c : rule.children) {
        STRATA_ASSIGN_OR_RETURN(bool v, EvaluateChoiceRule(c, scope));
        if (!v) return false;
      }
      return true;
    case ChoiceRule::Kind::kOr:
      for (const auto& c : rule.children) {
        STRATA_ASSIGN_OR_RETURN(bool v, EvaluateChoiceRule(c, scope));
        if (v) return true;
      }
      return false;
    case ChoiceRule::Kind::kNot: {
      STRATA_ASSIGN_OR_RETURN(bool v, EvaluateChoiceRule(rule.children[0], scope));
      return !v;
    }
    case ChoiceRule::Kind::kCondition:
      return Status::Internal("JSONata condition evaluated as a JSONPath rule");
    case ChoiceRule::Kind::kCompare:
      break;
  }
  auto var = rule.variable.Evaluate(scope);
  const std::string& op = rule.op;
  if (op == "IsPresent") {
    bool present = var.ok();
    return present == rule.value.get<bool>();
  }
  if (!var.ok()) {
    return Status::NotFound("Invalid path '" + rule.variable.text() +
                            "': The choice state's condition path references an invalid value.");
  }
  const Json& v = *var;
  if (op.rfind("Is", 0) == 0) {
    bool expected = rule.value.get<bool>();
    bool actual = false;
    if (op == "IsNull") actual = v.is_null();
    if (op == "IsNumeric") actual = v.is_number();
    if (op == "IsString") actual = v.is_string();
    if (op == "IsBoolean") actual = v.is_boolean();
    if (op == "IsTimestamp") {
      actual = v.is_string() && ParseTimestampMicros(v.get_ref<const std::string&>()).has_value();
    }
    return actual == expected;
  }
  if (op == "StringMatches") {
    return v.is_string() && StringMatchesPattern(v.get_ref<const std::string&>(),
                                                 rule.value.get_ref<const std::string&>());
  }
  if (rule.value_is_path) {
    auto other = rule.value_path.Evaluate(scope);
    if (!other.ok()) {
      return Status::NotFound("Invalid path '" + rule.value_path.text() +
                              "': The choice state's condition path references an invalid value.");
    }
    return Compare(op, v, *other);
  }
  return Compare(op, v, rule.value);
}

}  // namespace strata::orchestrator
