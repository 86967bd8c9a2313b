// The state-machine definition model: an immutable, compiled form of an ASL document.
//
// Build one with LoadDefinition (loader.h) from JSON/YAML text, or BuildStateMachine from an
// already-parsed JSON value. Building first runs Validate (validator.h), then compiles every
// path, intrinsic, JSONata expression and payload template, so the interpreter never meets a
// syntax error at run time. Constructs that are valid ASL but that strata cannot execute
// (distributed Map, ItemReader/ResultWriter, ItemBatcher, JSONata beyond the supported subset)
// fail the build with Unsupported naming the state and field.
//
// A StateMachine is immutable after building and safe to share between threads and executions
// (hold it by shared_ptr).
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "orchestrator/intrinsics.h"
#include "orchestrator/json_path.h"
#include "orchestrator/jsonata.h"

namespace strata::orchestrator {

enum class StateType { kPass, kTask, kChoice, kWait, kSucceed, kFail, kParallel, kMap };
enum class QueryLanguage { kJsonPath, kJsonata };

std::string_view StateTypeName(StateType type);

// A compiled payload template (Parameters, ResultSelector, ItemSelector, Arguments, Output,
// Assign, ...). In JSONPath mode, keys ending in ".$" hold a path or an intrinsic call; in
// JSONata mode, strings of the form "{% expr %}" are expressions. Everything else is literal.
class PayloadTemplate {
 public:
  enum class Kind { kLiteral, kPath, kIntrinsic, kJsonata, kObject, kArray };

  PayloadTemplate() = default;
  // Compiles `value`. `where` names the state and field for error messages.
  static Result<PayloadTemplate> CompileJsonPath(const Json& value, const std::string& where);
  static Result<PayloadTemplate> CompileJsonata(const Json& value, const std::string& where);

  Kind kind() const { return kind_; }
  const Json& literal() const { return literal_; }

  // JSONPath mode. NotFound when a path selects nothing (States.Runtime), InvalidArgument when
  // an intrinsic fails (States.IntrinsicFailure).
  Result<Json> Evaluate(const PathScope& scope, const IntrinsicEnv& env) const;
  // JSONata mode: `bindings` as for JsonataExpr::Evaluate. Undefined members are dropped.
  Result<std::optional<Json>> EvaluateJsonata(const Json& bindings) const;

 private:
  Kind kind_ = Kind::kLiteral;
  Json literal_;
  JsonPath path_;
  IntrinsicCall intrinsic_;
  JsonataExpr jsonata_;
  std::vector<std::pair<std::string, PayloadTemplate>> members_;  // kObject (keys without .$)
  std::vector<PayloadTemplate> items_;                            // kArray
};

// InputPath/OutputPath/ResultPath: absent (default "$"), explicit null, or a path.
struct OptionalPath {
  enum class Mode { kDefault, kNull, kPath } mode = Mode::kDefault;
  JsonPath path;
};

enum class JitterStrategy { kNone, kFull };

struct Retrier {
  std::vector<std::string> error_equals;
  double interval_seconds = 1;
  int max_attempts = 3;
  double backoff_rate = 2.0;
  std::optional<double> max_delay_seconds;
  JitterStrategy jitter = JitterStrategy::kNone;
};

struct Catcher {
  std::vector<std::string> error_equals;
  std::string next;
  OptionalPath result_path;               // JSONPath mode
  std::optional<PayloadTemplate> output;  // JSONata mode
  std::optional<PayloadTemplate> assign;
};

struct ChoiceRule {
  enum class Kind { kAnd, kOr, kNot, kCompare, kCondition };
  Kind kind = Kind::kCompare;
  std::string op;              // "StringEquals", "IsPresent", ... (without a "Path" suffix)
  bool value_is_path = false;  // the *Path variants
  JsonPath variable;
  Json value;
  JsonPath value_path;
  std::vector<ChoiceRule> children;  // And / Or / Not
  JsonataExpr condition;             // JSONata "Condition"
  std::optional<bool> condition_literal;
  std::string next;  // top-level rules only
  std::optional<PayloadTemplate> assign;
};

struct StateMachine;

// A number that is either literal, read from a path, or computed by JSONata.
struct DynamicNumber {
  std::optional<double> literal;
  std::optional<JsonPath> path;
  std::optional<JsonataExpr> jsonata;
  bool present() const { return literal || path || jsonata; }
};

struct State {
  std::string name;
  StateType type = StateType::kPass;
  QueryLanguage query_language = QueryLanguage::kJsonPath;
  std::string comment;
  std::string next;  // empty when End or a terminal type
  bool end = false;
  // The definition mentions the context object ("$$" or "$states.context"), so the
  // interpreter builds it for this state (it copies the execution input: not free).
  bool uses_context = false;

  // JSONPath I/O processing.
  OptionalPath input_path, output_path, result_path;
  std::optional<PayloadTemplate> parameters, result_selector;
  // JSONata I/O processing.
  std::optional<PayloadTemplate> arguments, output, assign;

  std::optional<Json> result;  // Pass

  // Task
  std::string resource;  // string form; CloudFormation objects are dumped
  DynamicNumber timeout_seconds, heartbeat_seconds;
  std::optional<PayloadTemplate> credentials;
  std::vector<Retrier> retry;
  std::vector<Catcher> catch_;

  // Choice
  std::vector<ChoiceRule> choices;
  std::string default_next;

  // Wait
  DynamicNumber seconds;
  std::optional<std::string> timestamp;
  std::optional<JsonPath> timestamp_path;
  std::optional<JsonataExpr> timestamp_jsonata;

  // Fail: literal, path/intrinsic (JSONPath) or JSONata.
  std::optional<PayloadTemplate> error, cause;

  // Parallel
  std::vector<std::shared_ptr<const StateMachine>> branches;

  // Map
  std::shared_ptr<const StateMachine> iterator;
  OptionalPath items_path;
  std::optional<PayloadTemplate> items;  // JSONata "Items"
  std::optional<PayloadTemplate> item_selector;
  DynamicNumber max_concurrency;
  DynamicNumber tolerated_failure_count, tolerated_failure_percentage;
};

struct StateMachine {
  std::string comment;
  std::string start_at;
  QueryLanguage query_language = QueryLanguage::kJsonPath;
  std::optional<double> timeout_seconds;
  // Declaration order is kept for listing; lookup by name.
  std::vector<std::unique_ptr<const State>> states;
  std::map<std::string, const State*, std::less<>> by_name;

  const State* Find(std::string_view name) const {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
  }
};

struct ValidationOptions;

// Validates `definition` (see validator.h) and compiles it. InvalidArgument lists every
// validation error ("state 'X': field 'Next': ..."); Unsupported names what strata cannot run.
Result<std::shared_ptr<const StateMachine>> BuildStateMachine(const Json& definition);
Result<std::shared_ptr<const StateMachine>> BuildStateMachine(const Json& definition,
                                                              const ValidationOptions& options);

}  // namespace strata::orchestrator
