// Choice rule evaluation and the timestamp/wildcard helpers it needs. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/result.h"
#include "orchestrator/definition.h"

namespace strata::orchestrator {

// Evaluates a JSONPath-mode rule. As in AWS: a comparison whose operands have different JSON
// types is false; IsPresent is false for a missing Variable; any other rule whose Variable (or
// *Path operand) selects nothing returns NotFound ("Invalid path ..."), reported as
// States.Runtime.
Result<bool> EvaluateChoiceRule(const ChoiceRule& rule, const PathScope& scope);

// RFC 3339 ("2016-03-14T01:59:00Z", "...T01:59:00.123+02:00") -> microseconds since the epoch.
std::optional<int64_t> ParseTimestampMicros(std::string_view text);
// Formats microseconds since the epoch as "2016-03-14T01:59:00.123Z" (millisecond precision).
std::string FormatTimestampMicros(int64_t micros);

// StringMatches: '*' matches any run of characters; "\*" is a literal star, "\\" a backslash.
bool StringMatchesPattern(std::string_view value, std::string_view pattern);

}  // namespace strata::orchestrator
