#include "orchestrator/validator.h"

#include <cmath>
#include <deque>
#include <set>
#include <string_view>

#include "orchestrator/choice.h"
#include "orchestrator/intrinsics.h"
#include "orchestrator/json_path.h"
#include "orchestrator/jsonata.h"
#include "orchestrator/posix_regex.h"
#include "orchestrator/validator_internal.h"

namespace strata::orchestrator {

std::string ValidationError::ToString() const {
  std::string out;
  if (!state.empty()) out += "state '" + state + "': ";
  if (!field.empty()) out += "field '" + field + "': ";
  return out + message;
}

namespace {

using validator_internal::Checker;
using validator_internal::Where;

const std::set<std::string>& AllowedFields(std::string_view type, bool jsonata) {
  static const auto* table = new std::map<std::string, std::set<std::string>>{
      {"Pass/P",
       {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result", "Assign"}},
      {"Pass/J", {"Next", "End", "Output", "Assign"}},
      {"Task/P",
       {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector",
        "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
        "HeartbeatSecondsPath", "Retry", "Catch", "Credentials", "Assign"}},
      {"Task/J",
       {"Next", "End", "Resource", "Arguments", "Output", "Assign", "TimeoutSeconds",
        "HeartbeatSeconds", "Retry", "Catch", "Credentials"}},
      {"Choice/P", {"Choices", "Default", "InputPath", "OutputPath", "Assign"}},
      {"Choice/J", {"Choices", "Default", "Output", "Assign"}},
      {"Wait/P",
       {"Next", "End", "InputPath", "OutputPath", "Seconds", "SecondsPath", "Timestamp",
        "TimestampPath", "Assign"}},
      {"Wait/J", {"Next", "End", "Output", "Assign", "Seconds", "Timestamp"}},
      {"Succeed/P", {"InputPath", "OutputPath"}},
      {"Succeed/J", {"Output"}},
      {"Fail/P", {"Error", "ErrorPath", "Cause", "CausePath"}},
      {"Fail/J", {"Error", "Cause"}},
      {"Parallel/P",
       {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector",
        "Branches", "Retry", "Catch", "Assign"}},
      {"Parallel/J",
       {"Next", "End", "Branches", "Arguments", "Output", "Assign", "Retry", "Catch"}},
      {"Map/P",
       {"Next",
        "End",
        "InputPath",
        "OutputPath",
        "ResultPath",
        "Parameters",
        "ResultSelector",
        "ItemsPath",
        "ItemSelector",
        "Iterator",
        "ItemProcessor",
        "ItemReader",
        "ItemBatcher",
        "ResultWriter",
        "MaxConcurrency",
        "MaxConcurrencyPath",
        "ToleratedFailureCount",
        "ToleratedFailureCountPath",
        "ToleratedFailurePercentage",
        "ToleratedFailurePercentagePath",
        "Label",
        "Retry",
        "Catch",
        "Assign"}},
      {"Map/J",
       {"Next", "End", "Items", "ItemSelector", "Iterator", "ItemProcessor", "ItemReader",
        "ItemBatcher", "ResultWriter", "MaxConcurrency", "ToleratedFailureCount",
        "ToleratedFailurePercentage", "Label", "Output", "Assign", "Retry", "Catch"}},
  };
  static const std::set<std::string> kEmpty;
  auto it = table->find(std::string(type) + (jsonata ? "/J" : "/P"));
  return it == table->end() ? kEmpty : it->second;
}

bool IsInteger(const Json& v) {
  return v.is_number_integer() ||
         (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
}

bool IsRfc3339(const std::string& s) { return ParseTimestampMicros(s).has_value(); }

bool IsValidResource(const std::string& r) {
  // arn:<partition>:<service>:<region>:<account>:<type>:<name>[:<qualifier>]
  static const PosixRegex arn(
      R"(arn:(aws|aws-cn|aws-us-gov):[a-z0-9-]+:[a-z0-9-]*:[0-9]*:[a-zA-Z-]+:[A-Za-z0-9_.-]+(:(\$LATEST|[A-Za-z0-9_-]+))?)",
      true);
  static const PosixRegex cfn(R"([$][{][^}]+[}])", false);
  static const PosixRegex strata(R"(strata:[a-z][a-z0-9_-]*(:.*)?)", true);
  return arn.Matches(r) || cfn.Matches(r) || strata.Matches(r);
}

const std::set<std::string>& ComparisonOps() {
  static const auto* ops = new std::set<std::string>{"StringEquals",
                                                     "StringLessThan",
                                                     "StringGreaterThan",
                                                     "StringLessThanEquals",
                                                     "StringGreaterThanEquals",
                                                     "StringMatches",
                                                     "NumericEquals",
                                                     "NumericLessThan",
                                                     "NumericGreaterThan",
                                                     "NumericLessThanEquals",
                                                     "NumericGreaterThanEquals",
                                                     "BooleanEquals",
                                                     "TimestampEquals",
                                                     "TimestampLessThan",
                                                     "TimestampGreaterThan",
                                                     "TimestampLessThanEquals",
                                                     "TimestampGreaterThanEquals",
                                                     "IsNull",
                                                     "IsPresent",
                                                     "IsNumeric",
                                                     "IsString",
                                                     "IsBoolean",
                                                     "IsTimestamp"};
  return *ops;
}

// Checks one comparison/boolean rule. `top` rules carry Next.
void CheckChoiceRule(Checker& c, const Json& rule, const Where& w, const std::string& field,
                     bool top, bool jsonata) {
  if (!rule.is_object()) {
    c.Add(w, field, "a choice rule must be an object");
    return;
  }
  if (jsonata) {
    for (const auto& [k, v] : rule.items()) {
      if (k != "Condition" && k != "Next" && k != "Comment" && k != "Assign" && k != "Output") {
        c.Add(w, field + "." + k, "unknown field in a JSONata choice rule");
      }
    }
    if (!rule.contains("Condition"))
      c.Add(w, field, "missing required field 'Condition'");
    else if (!rule["Condition"].is_boolean())
      c.CheckJsonataString(rule["Condition"], w, field + ".Condition", true);
    if (!rule.contains("Next")) c.Add(w, field, "missing required field 'Next'");
    if (rule.contains("Assign")) c.CheckJsonataTemplate(rule["Assign"], w, field + ".Assign");
    return;
  }
  int ops = 0;
  std::string op;
  for (const auto& [k, v] : rule.items()) {
    std::string base = k;
    if (base.size() > 4 && base.substr(base.size() - 4) == "Path" &&
        ComparisonOps().count(base.substr(0, base.size() - 4)) && base.rfind("Is", 0) != 0 &&
        base != "StringMatchesPath") {
      base = base.substr(0, base.size() - 4);
    }
    if (k == "And" || k == "Or" || k == "Not" || ComparisonOps().count(base)) {
      ++ops;
      op = k;
    } else if (k == "Variable" || k == "Comment" || (top && (k == "Next" || k == "Assign"))) {
      // fine
    } else {
      c.Add(w, field + "." + k,
            top && k == "End" ? "a choice rule cannot use 'End'; use Next"
                              : "unknown field in a choice rule");
    }
  }
  if (ops != 1) {
    c.Add(w, field,
          ops == 0 ? "a choice rule needs exactly one comparison or And/Or/Not"
                   : "a choice rule has more than one comparison operator");
    return;
  }
  if (top && !rule.contains("Next")) c.Add(w, field, "missing required field 'Next'");
  if (!top && rule.contains("Next")) c.Add(w, field + ".Next", "nested rules cannot have 'Next'");
  if (top && rule.contains("Assign")) c.CheckPayloadTemplate(rule["Assign"], w, field + ".Assign");
  const Json& v = rule[op];
  if (op == "And" || op == "Or") {
    if (!v.is_array() || v.empty()) {
      c.Add(w, field + "." + op, "must be a non-empty array of rules");
      return;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      CheckChoiceRule(c, v[i], w, field + "." + op + "[" + std::to_string(i) + "]", false, false);
    }
    return;
  }
  if (op == "Not") {
    CheckChoiceRule(c, v, w, field + ".Not", false, false);
    return;
  }
  if (!rule.contains("Variable")) {
    c.Add(w, field, "missing required field 'Variable'");
  } else {
    c.CheckPath(rule["Variable"], w, field + ".Variable", Checker::PathKind::kAny, false);
  }
  bool is_path = op.size() > 4 && op.substr(op.size() - 4) == "Path" && op != "StringMatches";
  if (is_path) {
    c.CheckPath(v, w, field + "." + op, Checker::PathKind::kAny, false);
    return;
  }
  bool ok = true;
  if (op.rfind("String", 0) == 0 || op.rfind("Timestamp", 0) == 0) ok = v.is_string();
  if (op.rfind("Numeric", 0) == 0) ok = v.is_number();
  if (op == "BooleanEquals" || op.rfind("Is", 0) == 0) ok = v.is_boolean();
  if (ok && op.rfind("Timestamp", 0) == 0) ok = IsRfc3339(v.get<std::string>());
  if (!ok) c.Add(w, field + "." + op, "has the wrong type for " + op);
}

}  // namespace

namespace validator_internal {

void Checker::Add(const Where& w, const std::string& field, std::string message) {
  errors.push_back(
      {w.pointer + (field.empty() ? "" : "/" + field), w.state, field, std::move(message)});
}

void Checker::CheckPath(const Json& v, const Where& w, const std::string& field, PathKind kind,
                        bool allow_null) {
  if (v.is_null() && allow_null) return;
  if (!v.is_string()) {
    Add(w, field, allow_null ? "must be a string path or null" : "must be a string path");
    return;
  }
  if (!options.check_paths) return;
  const std::string& s = v.get_ref<const std::string&>();
  if (kind == PathKind::kPathOrIntrinsic && LooksLikeIntrinsic(s)) {
    auto call = IntrinsicCall::Parse(s);
    if (!call.ok()) Add(w, field, call.status().message());
    return;
  }
  auto path = JsonPath::Parse(s);
  if (!path.ok()) {
    Add(w, field, path.status().message());
    return;
  }
  if (kind == PathKind::kResult && (path->root() != PathRoot::kInput || !path->IsDefinite())) {
    Add(w, field, "'" + s + "' must be a reference path into the state input (like $.a.b)");
  }
  if (kind == PathKind::kReference && !path->IsDefinite()) {
    Add(w, field, "'" + s + "' must be a reference path");
  }
}

void Checker::CheckPayloadTemplate(const Json& v, const Where& w, const std::string& field) {
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      CheckPayloadTemplate(v[i], w, field + "[" + std::to_string(i) + "]");
    }
    return;
  }
  if (!v.is_object()) return;
  std::set<std::string> seen;
  for (const auto& [key, value] : v.items()) {
    bool dynamic = key.size() > 2 && key.substr(key.size() - 2) == ".$";
    std::string plain = dynamic ? key.substr(0, key.size() - 2) : key;
    if (!seen.insert(plain).second) {
      Add(w, field + "." + key, "duplicate field '" + plain + "' once the '.$' suffix is removed");
    }
    if (dynamic) {
      CheckPath(value, w, field + "." + key, PathKind::kPathOrIntrinsic, false);
    } else {
      CheckPayloadTemplate(value, w, field + "." + key);
    }
  }
}

void Checker::CheckJsonataString(const Json& v, const Where& w, const std::string& field,
                                 bool required) {
  if (!v.is_string()) {
    if (required) Add(w, field, "must be a JSONata expression string \"{% ... %}\"");
    return;
  }
  const std::string& s = v.get_ref<const std::string&>();
  auto body = JsonataFenceBody(s);
  if (!body) {
    if (required || LooksLikeJsonata(s)) {
      Add(w, field, "a JSONata expression must be written \"{% <expression> %}\" on one line");
    }
    return;
  }
  if (!options.check_paths) return;
  auto expr = JsonataExpr::Parse(*body);
  if (!expr.ok()) Add(w, field, expr.status().message());
}

void Checker::CheckJsonataTemplate(const Json& v, const Where& w, const std::string& field) {
  if (v.is_string()) {
    CheckJsonataString(v, w, field, false);
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      CheckJsonataTemplate(v[i], w, field + "[" + std::to_string(i) + "]");
    }
  } else if (v.is_object()) {
    for (const auto& [key, value] : v.items()) CheckJsonataTemplate(value, w, field + "." + key);
  }
}

void Checker::CheckNumber(const Json& v, const Where& w, const std::string& field, bool jsonata,
                          double min, double max, bool integer) {
  if (jsonata && v.is_string()) {
    CheckJsonataString(v, w, field, true);
    return;
  }
  if (!v.is_number() || (integer && !IsInteger(v))) {
    Add(w, field, integer ? "must be an integer" : "must be a number");
    return;
  }
  double d = v.get<double>();
  if (d < min || d > max) {
    Add(w, field, "must be between " + Json(min).dump() + " and " + Json(max).dump());
  }
}

void Checker::AtMostOne(const Json& obj, const Where& w, const std::string& a, const std::string& b,
                        const std::string& prefix) {
  if (obj.is_object() && obj.contains(a) && obj.contains(b)) {
    Add(w, prefix + b, "'" + a + "' and '" + b + "' are mutually exclusive");
  }
}

void Checker::CheckRetryCatch(const Json& state, const Where& w, bool jsonata,
                              const std::set<std::string>& scope) {
  if (state.contains("Retry")) {
    const Json& retry = state["Retry"];
    if (!retry.is_array()) {
      Add(w, "Retry", "must be an array");
    } else {
      for (size_t i = 0; i < retry.size(); ++i) {
        std::string f = "Retry[" + std::to_string(i) + "]";
        const Json& r = retry[i];
        if (!r.is_object()) {
          Add(w, f, "must be an object");
          continue;
        }
        for (const auto& [k, v] : r.items()) {
          static const std::set<std::string> kAllowed = {
              "ErrorEquals",     "IntervalSeconds", "MaxAttempts", "BackoffRate",
              "MaxDelaySeconds", "JitterStrategy",  "Comment"};
          if (!kAllowed.count(k)) Add(w, f + "." + k, "unknown field");
        }
        CheckErrorEquals(r, w, f, i + 1 == retry.size());
        if (r.contains("IntervalSeconds")) {
          CheckNumber(r["IntervalSeconds"], w, f + ".IntervalSeconds", false, 1, 99999999, true);
        }
        if (r.contains("MaxAttempts")) {
          CheckNumber(r["MaxAttempts"], w, f + ".MaxAttempts", false, 0, 99999999, true);
        }
        if (r.contains("BackoffRate")) {
          CheckNumber(r["BackoffRate"], w, f + ".BackoffRate", false, 1, 1e9, false);
        }
        if (r.contains("MaxDelaySeconds")) {
          CheckNumber(r["MaxDelaySeconds"], w, f + ".MaxDelaySeconds", false, 1, 31622400, true);
        }
        if (r.contains("JitterStrategy") && r["JitterStrategy"] != "FULL" &&
            r["JitterStrategy"] != "NONE") {
          Add(w, f + ".JitterStrategy", "must be \"FULL\" or \"NONE\"");
        }
      }
    }
  }
  if (state.contains("Catch")) {
    const Json& catches = state["Catch"];
    if (!catches.is_array()) {
      Add(w, "Catch", "must be an array");
      return;
    }
    for (size_t i = 0; i < catches.size(); ++i) {
      std::string f = "Catch[" + std::to_string(i) + "]";
      const Json& c = catches[i];
      if (!c.is_object()) {
        Add(w, f, "must be an object");
        continue;
      }
      for (const auto& [k, v] : c.items()) {
        static const std::set<std::string> kPath = {"ErrorEquals", "Next", "ResultPath", "Comment",
                                                    "Assign"};
        static const std::set<std::string> kJsonata = {"ErrorEquals", "Next", "Output", "Comment",
                                                       "Assign"};
        if (!(jsonata ? kJsonata : kPath).count(k)) Add(w, f + "." + k, "unknown field");
      }
      CheckErrorEquals(c, w, f, i + 1 == catches.size());
      if (!c.contains("Next") || !c["Next"].is_string()) {
        Add(w, f + ".Next", "missing required string field 'Next'");
      } else if (!scope.count(c["Next"].get<std::string>())) {
        Add(w, f + ".Next",
            "target '" + c["Next"].get<std::string>() + "' does not exist in this scope");
      }
      if (c.contains("ResultPath") && !jsonata) {
        CheckPath(c["ResultPath"], w, f + ".ResultPath", PathKind::kResult, true);
      }
      if (c.contains("Output") && jsonata) CheckJsonataTemplate(c["Output"], w, f + ".Output");
      if (c.contains("Assign")) {
        if (jsonata)
          CheckJsonataTemplate(c["Assign"], w, f + ".Assign");
        else
          CheckPayloadTemplate(c["Assign"], w, f + ".Assign");
      }
    }
  }
}

void Checker::CheckErrorEquals(const Json& obj, const Where& w, const std::string& f, bool last) {
  if (!obj.contains("ErrorEquals")) {
    Add(w, f, "missing required field 'ErrorEquals'");
    return;
  }
  const Json& ee = obj["ErrorEquals"];
  if (!ee.is_array() || ee.empty()) {
    Add(w, f + ".ErrorEquals", "must be a non-empty array of error names");
    return;
  }
  for (const Json& e : ee) {
    if (!e.is_string()) {
      Add(w, f + ".ErrorEquals", "error names must be strings");
      return;
    }
    if (e == "States.ALL" && (ee.size() != 1 || !last)) {
      Add(w, f + ".ErrorEquals", "States.ALL must appear alone and in the last retrier/catcher");
    }
  }
}

}  // namespace validator_internal

std::vector<ValidationError> ValidateDefinition(const Json& definition,
                                                const ValidationOptions& options) {
  Checker checker(options);
  checker.CheckMachine(definition, "", false, validator_internal::MachineKind::kTop);
  return std::move(checker.errors);
}

Status Validate(const Json& definition, const ValidationOptions& options) {
  std::vector<ValidationError> errors = ValidateDefinition(definition, options);
  if (errors.empty()) return Status::OK();
  std::string message = "invalid state machine definition:";
  for (const auto& e : errors) message += "\n  " + e.ToString();
  return Status::InvalidArgument(message);
}

namespace validator_internal {

// Exposed for validator_states.cc.
const std::set<std::string>& AllowedFieldsFor(std::string_view type, bool jsonata) {
  return AllowedFields(type, jsonata);
}
bool IsIntegerValue(const Json& v) { return IsInteger(v); }
bool IsTimestampString(const std::string& s) { return IsRfc3339(s); }
bool IsResourceString(const std::string& s) { return IsValidResource(s); }
void CheckRule(Checker& c, const Json& rule, const Where& w, const std::string& field, bool top,
               bool jsonata) {
  CheckChoiceRule(c, rule, w, field, top, jsonata);
}

}  // namespace validator_internal

}  // namespace strata::orchestrator
