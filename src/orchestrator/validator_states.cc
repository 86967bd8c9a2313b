// Per-machine and per-state checks of the validator (see validator.h).
#include <deque>
#include <map>

#include "orchestrator/jsonata.h"
#include "orchestrator/validator_internal.h"

namespace strata::orchestrator::validator_internal {
namespace {

constexpr size_t kMaxStateNameLength = 80;

std::string EscapePointer(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

// Transition targets of one state (Next, Default, Choices[].Next, Catch[].Next).
std::vector<std::string> Targets(const Json& s) {
  std::vector<std::string> out;
  auto add = [&](const Json& obj, const char* key) {
    if (obj.is_object() && obj.contains(key) && obj[key].is_string()) {
      out.push_back(obj[key].get<std::string>());
    }
  };
  add(s, "Next");
  add(s, "Default");
  for (const char* list : {"Choices", "Catch"}) {
    if (s.contains(list) && s[list].is_array()) {
      for (const Json& item : s[list]) add(item, "Next");
    }
  }
  return out;
}

bool IsJsonata(const Json& s, bool inherited) {
  if (s.is_object() && s.contains("QueryLanguage") && s["QueryLanguage"].is_string()) {
    return s["QueryLanguage"] == "JSONata";
  }
  return inherited;
}

}  // namespace

void Checker::CheckMachine(const Json& m, const std::string& pointer, bool jsonata,
                           MachineKind kind) {
  Where mw{pointer, ""};
  if (!m.is_object()) {
    Add(mw, "", "a state machine must be a JSON object");
    return;
  }
  for (const auto& [k, v] : m.items()) {
    bool ok = k == "StartAt" || k == "States" || k == "Comment";
    if (kind == MachineKind::kTop) {
      ok = ok || k == "Version" || k == "TimeoutSeconds" || k == "QueryLanguage";
    }
    if (kind == MachineKind::kItemProcessor) ok = ok || k == "ProcessorConfig";
    if (!ok) Add(mw, k, "unknown field");
  }
  if (m.contains("QueryLanguage")) {
    if (m["QueryLanguage"] != "JSONPath" && m["QueryLanguage"] != "JSONata") {
      Add(mw, "QueryLanguage", "must be \"JSONPath\" or \"JSONata\"");
    }
    jsonata = m["QueryLanguage"] == "JSONata";
  }
  if (m.contains("TimeoutSeconds")) {
    CheckNumber(m["TimeoutSeconds"], mw, "TimeoutSeconds", false, 1, 99999999, true);
  }
  if (m.contains("Version") && !m["Version"].is_string()) Add(mw, "Version", "must be a string");
  if (m.contains("Comment") && !m["Comment"].is_string()) Add(mw, "Comment", "must be a string");
  if (m.contains("ProcessorConfig")) {
    const Json& pc = m["ProcessorConfig"];
    if (!pc.is_object()) {
      Add(mw, "ProcessorConfig", "must be an object");
    } else {
      for (const auto& [k, v] : pc.items()) {
        if (k == "Mode" && v != "INLINE" && v != "DISTRIBUTED") {
          Add(mw, "ProcessorConfig.Mode", "must be \"INLINE\" or \"DISTRIBUTED\"");
        } else if (k == "ExecutionType" && v != "STANDARD" && v != "EXPRESS") {
          Add(mw, "ProcessorConfig.ExecutionType", "must be \"STANDARD\" or \"EXPRESS\"");
        } else if (k != "Mode" && k != "ExecutionType") {
          Add(mw, "ProcessorConfig." + k, "unknown field");
        }
      }
    }
  }
  if (!m.contains("States") || !m["States"].is_object() || m["States"].empty()) {
    Add(mw, "States", "missing or empty 'States' object");
    return;
  }
  const Json& states = m["States"];
  std::set<std::string> scope;
  for (const auto& [name, s] : states.items()) scope.insert(name);
  if (!m.contains("StartAt") || !m["StartAt"].is_string()) {
    Add(mw, "StartAt", "missing required string field 'StartAt'");
  } else if (!scope.count(m["StartAt"].get<std::string>())) {
    Add(mw, "StartAt", "state '" + m["StartAt"].get<std::string>() + "' does not exist");
  }

  bool has_terminal = false;
  for (const auto& [name, s] : states.items()) {
    std::string sp = pointer + "/States/" + EscapePointer(name);
    if (name.size() > kMaxStateNameLength) {
      Add({sp, name}, "", "state name is longer than 80 characters");
    }
    if (name.empty()) Add({sp, name}, "", "state name is empty");
    if (!all_names.insert(name).second) {
      Add({sp, name}, "", "duplicate state name (names must be unique in the whole machine)");
    }
    if (s.is_object()) {
      if (s.contains("End") && s["End"] == true) has_terminal = true;
      if (s.contains("Type") && (s["Type"] == "Succeed" || s["Type"] == "Fail")) {
        has_terminal = true;
      }
    }
    CheckState(name, s, sp, jsonata, scope);
  }
  if (!has_terminal) {
    Add(mw, "States", "no terminal state (End: true, Succeed or Fail)");
  }

  // Reachability from StartAt.
  if (m.contains("StartAt") && m["StartAt"].is_string() &&
      scope.count(m["StartAt"].get<std::string>())) {
    std::set<std::string> seen = {m["StartAt"].get<std::string>()};
    std::deque<std::string> todo = {m["StartAt"].get<std::string>()};
    while (!todo.empty()) {
      std::string cur = todo.front();
      todo.pop_front();
      for (const std::string& t : Targets(states[cur])) {
        if (scope.count(t) && seen.insert(t).second) todo.push_back(t);
      }
    }
    for (const auto& [name, s] : states.items()) {
      if (!seen.count(name)) {
        Add({pointer + "/States/" + EscapePointer(name), name}, "",
            "state is not reachable from StartAt");
      }
    }
  }
}

void Checker::CheckState(const std::string& name, const Json& s, const std::string& pointer,
                         bool machine_jsonata, const std::set<std::string>& scope) {
  Where w{pointer, name};
  if (!s.is_object()) {
    Add(w, "", "a state must be a JSON object");
    return;
  }
  if (!s.contains("Type") || !s["Type"].is_string()) {
    Add(w, "Type", "missing required string field 'Type'");
    return;
  }
  const std::string type = s["Type"].get<std::string>();
  static const std::set<std::string> kTypes = {"Pass",    "Task", "Choice",   "Wait",
                                               "Succeed", "Fail", "Parallel", "Map"};
  if (!kTypes.count(type)) {
    Add(w, "Type", "unknown state type '" + type + "'");
    return;
  }
  if (s.contains("QueryLanguage") && s["QueryLanguage"] != "JSONPath" &&
      s["QueryLanguage"] != "JSONata") {
    Add(w, "QueryLanguage", "must be \"JSONPath\" or \"JSONata\"");
  }
  if (machine_jsonata && s.contains("QueryLanguage") && s["QueryLanguage"] == "JSONPath") {
    // AWS lets a JSONata machine contain JSONPath states; nothing to report.
  }
  const bool jsonata = IsJsonata(s, machine_jsonata);
  const auto& allowed = AllowedFieldsFor(type, jsonata);
  for (const auto& [k, v] : s.items()) {
    if (k == "Type" || k == "Comment" || k == "QueryLanguage") continue;
    if (!allowed.count(k)) {
      bool other = AllowedFieldsFor(type, !jsonata).count(k) > 0;
      Add(w, k,
          other ? std::string("field is not allowed in a ") + (jsonata ? "JSONata" : "JSONPath") +
                      " state"
                : "unknown field for a " + type + " state");
    }
  }
  if (s.contains("Comment") && !s["Comment"].is_string()) Add(w, "Comment", "must be a string");

  // Transitions.
  bool terminal_type = type == "Succeed" || type == "Fail" || type == "Choice";
  if (!terminal_type) {
    bool has_next = s.contains("Next"), has_end = s.contains("End");
    if (has_next && has_end) Add(w, "End", "'Next' and 'End' cannot both be set");
    if (!has_next && !has_end) Add(w, "Next", "a " + type + " state needs 'Next' or 'End'");
    if (has_end && s["End"] != true) Add(w, "End", "must be true");
  }
  if (s.contains("Next")) {
    if (!s["Next"].is_string()) {
      Add(w, "Next", "must be a string");
    } else if (!scope.count(s["Next"].get<std::string>())) {
      Add(w, "Next", "target '" + s["Next"].get<std::string>() + "' does not exist in this scope");
    }
  }

  // Common I/O fields.
  if (!jsonata) {
    for (const char* f : {"InputPath", "OutputPath"}) {
      if (s.contains(f)) CheckPath(s[f], w, f, PathKind::kAny, true);
    }
    if (s.contains("ResultPath"))
      CheckPath(s["ResultPath"], w, "ResultPath", PathKind::kResult, true);
    for (const char* f : {"Parameters", "ResultSelector"}) {
      if (s.contains(f)) CheckPayloadTemplate(s[f], w, f);
    }
    if (s.contains("ResultSelector") && !s["ResultSelector"].is_object()) {
      Add(w, "ResultSelector", "must be an object");
    }
    if (s.contains("Assign")) CheckPayloadTemplate(s["Assign"], w, "Assign");
  } else {
    for (const char* f : {"Arguments", "Output"}) {
      if (!s.contains(f)) continue;
      if (s[f].is_string())
        CheckJsonataString(s[f], w, f, true);
      else
        CheckJsonataTemplate(s[f], w, f);
    }
    if (s.contains("Assign")) {
      if (!s["Assign"].is_object()) Add(w, "Assign", "must be an object");
      CheckJsonataTemplate(s["Assign"], w, "Assign");
    }
  }

  if (type == "Task") {
    if (!s.contains("Resource")) {
      Add(w, "Resource", "missing required field 'Resource'");
    } else if (s["Resource"].is_string()) {
      if (options.check_arn && !IsResourceString(s["Resource"].get<std::string>())) {
        Add(w, "Resource",
            "'" + s["Resource"].get<std::string>() +
                "' is not a valid resource (an ARN, ${...} or strata:<step>)");
      }
    } else if (!s["Resource"].is_object()) {
      Add(w, "Resource", "must be a string");
    }
    AtMostOne(s, w, "TimeoutSeconds", "TimeoutSecondsPath");
    AtMostOne(s, w, "HeartbeatSeconds", "HeartbeatSecondsPath");
    for (const char* f : {"TimeoutSeconds", "HeartbeatSeconds"}) {
      if (s.contains(f)) CheckNumber(s[f], w, f, jsonata, 1, 99999999, true);
    }
    for (const char* f : {"TimeoutSecondsPath", "HeartbeatSecondsPath"}) {
      if (s.contains(f)) CheckPath(s[f], w, f, PathKind::kReference, false);
    }
    if (s.contains("TimeoutSeconds") && s.contains("HeartbeatSeconds") &&
        s["TimeoutSeconds"].is_number() && s["HeartbeatSeconds"].is_number() &&
        s["HeartbeatSeconds"].get<double>() >= s["TimeoutSeconds"].get<double>()) {
      Add(w, "HeartbeatSeconds", "must be smaller than TimeoutSeconds");
    }
    if (s.contains("Credentials")) {
      if (!s["Credentials"].is_object())
        Add(w, "Credentials", "must be an object");
      else if (jsonata)
        CheckJsonataTemplate(s["Credentials"], w, "Credentials");
      else
        CheckPayloadTemplate(s["Credentials"], w, "Credentials");
    }
  }
  if (type == "Task" || type == "Parallel" || type == "Map") {
    CheckRetryCatch(s, w, jsonata, scope);
  }

  if (type == "Choice") {
    if (!s.contains("Choices") || !s["Choices"].is_array() || s["Choices"].empty()) {
      Add(w, "Choices", "must be a non-empty array");
    } else {
      for (size_t i = 0; i < s["Choices"].size(); ++i) {
        const Json& rule = s["Choices"][i];
        std::string f = "Choices[" + std::to_string(i) + "]";
        CheckRule(*this, rule, w, f, true, jsonata);
        if (rule.is_object() && rule.contains("Next")) {
          if (!rule["Next"].is_string()) {
            Add(w, f + ".Next", "must be a string");
          } else if (!scope.count(rule["Next"].get<std::string>())) {
            Add(w, f + ".Next",
                "target '" + rule["Next"].get<std::string>() + "' does not exist in this scope");
          }
        }
      }
    }
    if (s.contains("Default")) {
      if (!s["Default"].is_string()) {
        Add(w, "Default", "must be a string");
      } else if (!scope.count(s["Default"].get<std::string>())) {
        Add(w, "Default",
            "target '" + s["Default"].get<std::string>() + "' does not exist in this scope");
      }
    }
  }

  if (type == "Wait") {
    int n = 0;
    for (const char* f : {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"}) {
      n += s.contains(f) ? 1 : 0;
    }
    if (n != 1) {
      Add(w, "Seconds",
          "exactly one of Seconds, SecondsPath, Timestamp, TimestampPath is required");
    }
    if (s.contains("Seconds")) CheckNumber(s["Seconds"], w, "Seconds", jsonata, 0, 99999999, true);
    if (s.contains("Timestamp")) {
      const Json& t = s["Timestamp"];
      if (jsonata && t.is_string() && LooksLikeJsonata(t.get<std::string>())) {
        CheckJsonataString(t, w, "Timestamp", true);
      } else if (!t.is_string() || !IsTimestampString(t.get<std::string>())) {
        Add(w, "Timestamp", "must be an RFC 3339 timestamp like 2016-03-14T01:59:00Z");
      }
    }
    for (const char* f : {"SecondsPath", "TimestampPath"}) {
      if (s.contains(f)) CheckPath(s[f], w, f, PathKind::kReference, false);
    }
  }

  if (type == "Fail") {
    AtMostOne(s, w, "Error", "ErrorPath");
    AtMostOne(s, w, "Cause", "CausePath");
    for (const char* f : {"Error", "Cause"}) {
      if (!s.contains(f)) continue;
      if (!s[f].is_string())
        Add(w, f, "must be a string");
      else if (jsonata)
        CheckJsonataString(s[f], w, f, false);
    }
    for (const char* f : {"ErrorPath", "CausePath"}) {
      if (s.contains(f)) CheckPath(s[f], w, f, PathKind::kPathOrIntrinsic, false);
    }
  }

  if (type == "Parallel") {
    if (!s.contains("Branches") || !s["Branches"].is_array() || s["Branches"].empty()) {
      Add(w, "Branches", "must be a non-empty array of state machines");
    } else {
      for (size_t i = 0; i < s["Branches"].size(); ++i) {
        const Json& b = s["Branches"][i];
        if (!b.is_object()) {
          Add(w, "Branches[" + std::to_string(i) + "]", "a branch must be an object");
          continue;
        }
        CheckMachine(b, pointer + "/Branches/" + std::to_string(i), jsonata, MachineKind::kBranch);
      }
    }
  }

  if (type == "Map") {
    int processors = (s.contains("ItemProcessor") ? 1 : 0) + (s.contains("Iterator") ? 1 : 0);
    if (processors != 1) {
      Add(w, "ItemProcessor", "exactly one of ItemProcessor and Iterator is required");
    }
    for (const char* f : {"ItemProcessor", "Iterator"}) {
      if (!s.contains(f)) continue;
      if (!s[f].is_object())
        Add(w, f, "must be an object");
      else
        CheckMachine(s[f], pointer + "/" + f, jsonata, MachineKind::kItemProcessor);
    }
    AtMostOne(s, w, "ItemSelector", "Parameters");
    AtMostOne(s, w, "MaxConcurrency", "MaxConcurrencyPath");
    AtMostOne(s, w, "ToleratedFailureCount", "ToleratedFailureCountPath");
    AtMostOne(s, w, "ToleratedFailurePercentage", "ToleratedFailurePercentagePath");
    AtMostOne(s, w, "Items", "ItemsPath");
    if (s.contains("ItemsPath")) CheckPath(s["ItemsPath"], w, "ItemsPath", PathKind::kAny, false);
    if (s.contains("ItemSelector")) {
      if (jsonata)
        CheckJsonataTemplate(s["ItemSelector"], w, "ItemSelector");
      else
        CheckPayloadTemplate(s["ItemSelector"], w, "ItemSelector");
    }
    if (s.contains("Items")) {
      if (s["Items"].is_string())
        CheckJsonataString(s["Items"], w, "Items", true);
      else if (!s["Items"].is_array())
        Add(w, "Items", "must be an array or a JSONata expression");
    }
    if (s.contains("MaxConcurrency")) {
      CheckNumber(s["MaxConcurrency"], w, "MaxConcurrency", jsonata, 0, 99999999, true);
    }
    if (s.contains("ToleratedFailureCount")) {
      CheckNumber(s["ToleratedFailureCount"], w, "ToleratedFailureCount", jsonata, 0, 1e12, true);
    }
    if (s.contains("ToleratedFailurePercentage")) {
      CheckNumber(s["ToleratedFailurePercentage"], w, "ToleratedFailurePercentage", jsonata, 0, 100,
                  false);
    }
    for (const char* f :
         {"MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath"}) {
      if (s.contains(f)) CheckPath(s[f], w, f, PathKind::kReference, false);
    }
    if (s.contains("ItemReader")) {
      const Json& r = s["ItemReader"];
      if (!r.is_object()) {
        Add(w, "ItemReader", "must be an object");
      } else if (r.contains("ReaderConfig")) {
        AtMostOne(r["ReaderConfig"], w, "MaxItems", "MaxItemsPath", "ItemReader.ReaderConfig.");
      }
    }
    if (s.contains("ItemBatcher")) {
      const Json& b = s["ItemBatcher"];
      if (!b.is_object()) {
        Add(w, "ItemBatcher", "must be an object");
      } else {
        AtMostOne(b, w, "MaxItemsPerBatch", "MaxItemsPerBatchPath", "ItemBatcher.");
        AtMostOne(b, w, "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", "ItemBatcher.");
      }
    }
    if (s.contains("ResultWriter") && !s["ResultWriter"].is_object()) {
      Add(w, "ResultWriter", "must be an object");
    }
  }
}

}  // namespace strata::orchestrator::validator_internal
