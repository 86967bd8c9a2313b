// Compiling a validated ASL document into the StateMachine model (definition.h).
#include "orchestrator/definition.h"

#include "orchestrator/validator.h"

namespace strata::orchestrator {

std::string_view StateTypeName(StateType type) {
  switch (type) {
    case StateType::kPass:
      return "Pass";
    case StateType::kTask:
      return "Task";
    case StateType::kChoice:
      return "Choice";
    case StateType::kWait:
      return "Wait";
    case StateType::kSucceed:
      return "Succeed";
    case StateType::kFail:
      return "Fail";
    case StateType::kParallel:
      return "Parallel";
    case StateType::kMap:
      return "Map";
  }
  return "?";
}

// ---- PayloadTemplate ----

Result<PayloadTemplate> PayloadTemplate::CompileJsonPath(const Json& value,
                                                         const std::string& where) {
  PayloadTemplate t;
  if (value.is_object()) {
    t.kind_ = Kind::kObject;
    for (const auto& [key, v] : value.items()) {
      bool dynamic = key.size() > 2 && key.compare(key.size() - 2, 2, ".$") == 0;
      if (!dynamic) {
        STRATA_ASSIGN_OR_RETURN(PayloadTemplate child, CompileJsonPath(v, where + "." + key));
        t.members_.emplace_back(key, std::move(child));
        continue;
      }
      PayloadTemplate child;
      if (!v.is_string()) return Status::InvalidArgument(where + "." + key + ": must be a string");
      const std::string& text = v.get_ref<const std::string&>();
      if (LooksLikeIntrinsic(text)) {
        auto call = IntrinsicCall::Parse(text);
        if (!call.ok()) return call.status().WithContext(where + "." + key);
        child.kind_ = Kind::kIntrinsic;
        child.intrinsic_ = std::move(call).value();
      } else {
        auto path = JsonPath::Parse(text);
        if (!path.ok()) return path.status().WithContext(where + "." + key);
        child.kind_ = Kind::kPath;
        child.path_ = std::move(path).value();
      }
      t.members_.emplace_back(key.substr(0, key.size() - 2), std::move(child));
    }
  } else if (value.is_array()) {
    t.kind_ = Kind::kArray;
    for (size_t i = 0; i < value.size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(PayloadTemplate child,
                              CompileJsonPath(value[i], where + "[" + std::to_string(i) + "]"));
      t.items_.push_back(std::move(child));
    }
  } else {
    t.literal_ = value;
  }
  return t;
}

Result<PayloadTemplate> PayloadTemplate::CompileJsonata(const Json& value,
                                                        const std::string& where) {
  PayloadTemplate t;
  if (value.is_object()) {
    t.kind_ = Kind::kObject;
    for (const auto& [key, v] : value.items()) {
      STRATA_ASSIGN_OR_RETURN(PayloadTemplate child, CompileJsonata(v, where + "." + key));
      t.members_.emplace_back(key, std::move(child));
    }
  } else if (value.is_array()) {
    t.kind_ = Kind::kArray;
    for (size_t i = 0; i < value.size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(PayloadTemplate child,
                              CompileJsonata(value[i], where + "[" + std::to_string(i) + "]"));
      t.items_.push_back(std::move(child));
    }
  } else if (value.is_string() && JsonataFenceBody(value.get_ref<const std::string&>())) {
    auto body = *JsonataFenceBody(value.get_ref<const std::string&>());
    auto expr = JsonataExpr::Parse(body);
    if (!expr.ok()) return expr.status().WithContext(where);
    Status evaluable = expr->CheckEvaluable();
    if (!evaluable.ok()) return evaluable.WithContext(where);
    t.kind_ = Kind::kJsonata;
    t.jsonata_ = std::move(expr).value();
  } else {
    t.literal_ = value;
  }
  return t;
}

Result<Json> PayloadTemplate::Evaluate(const PathScope& scope, const IntrinsicEnv& env) const {
  switch (kind_) {
    case Kind::kLiteral:
      return literal_;
    case Kind::kPath: {
      auto v = path_.Evaluate(scope);
      if (!v.ok()) {
        return Status::NotFound("The JSONPath '" + path_.text() +
                                "' could not be found in the input");
      }
      return v;
    }
    case Kind::kIntrinsic:
      return intrinsic_.Evaluate(scope, env);
    case Kind::kJsonata:
      return Status::Internal("JSONata template evaluated in JSONPath mode");
    case Kind::kObject: {
      Json out = Json::object();
      for (const auto& [key, child] : members_) {
        auto v = child.Evaluate(scope, env);
        if (!v.ok()) {
          if (v.status().IsNotFound() && child.kind_ == Kind::kPath) {
            return Status::NotFound("The JSONPath '" + child.path_.text() +
                                    "' specified for the field '" + key +
                                    ".$' could not be found in the input");
          }
          return v.status();
        }
        out[key] = std::move(v).value();
      }
      return out;
    }
    case Kind::kArray: {
      Json out = Json::array();
      for (const auto& child : items_) {
        STRATA_ASSIGN_OR_RETURN(Json v, child.Evaluate(scope, env));
        out.push_back(std::move(v));
      }
      return out;
    }
  }
  return Status::Internal("bad template kind");
}

Result<std::optional<Json>> PayloadTemplate::EvaluateJsonata(const Json& bindings) const {
  switch (kind_) {
    case Kind::kJsonata:
      return jsonata_.Evaluate(bindings);
    case Kind::kObject: {
      Json out = Json::object();
      for (const auto& [key, child] : members_) {
        STRATA_ASSIGN_OR_RETURN(std::optional<Json> v, child.EvaluateJsonata(bindings));
        if (v) out[key] = std::move(*v);
      }
      return std::optional<Json>(std::move(out));
    }
    case Kind::kArray: {
      Json out = Json::array();
      for (const auto& child : items_) {
        STRATA_ASSIGN_OR_RETURN(std::optional<Json> v, child.EvaluateJsonata(bindings));
        if (v) out.push_back(std::move(*v));
      }
      return std::optional<Json>(std::move(out));
    }
    default:
      return std::optional<Json>(literal_);
  }
}

// ---- compiling a machine ----

namespace {

class Compiler {
 public:
  Result<std::shared_ptr<const StateMachine>> Machine(const Json& m, QueryLanguage inherited) {
    auto sm = std::make_shared<StateMachine>();
    sm->query_language = inherited;
    if (m.contains("QueryLanguage")) sm->query_language = QL(m["QueryLanguage"]);
    sm->start_at = m.value("StartAt", "");
    sm->comment = m.value("Comment", "");
    if (m.contains("TimeoutSeconds")) sm->timeout_seconds = m["TimeoutSeconds"].get<double>();
    if (m.contains("ProcessorConfig") && m["ProcessorConfig"].value("Mode", "INLINE") != "INLINE") {
      return Status::Unsupported(
          "Map ProcessorConfig.Mode DISTRIBUTED is not supported; use INLINE");
    }
    for (const auto& [name, s] : m["States"].items()) {
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<State> state,
                              CompileState(name, s, sm->query_language));
      sm->by_name[state->name] = state.get();
      sm->states.push_back(std::move(state));
    }
    return std::shared_ptr<const StateMachine>(std::move(sm));
  }

 private:
  static QueryLanguage QL(const Json& v) {
    return v == "JSONata" ? QueryLanguage::kJsonata : QueryLanguage::kJsonPath;
  }

  static std::string Where(const std::string& state, const std::string& field) {
    return "state '" + state + "': field '" + field + "'";
  }

  static Result<OptionalPath> Path(const Json& s, const char* field, const std::string& state) {
    OptionalPath p;
    if (!s.contains(field)) return p;
    if (s[field].is_null()) {
      p.mode = OptionalPath::Mode::kNull;
      return p;
    }
    auto path = JsonPath::Parse(s[field].get<std::string>());
    if (!path.ok()) return path.status().WithContext(Where(state, field));
    p.mode = OptionalPath::Mode::kPath;
    p.path = std::move(path).value();
    return p;
  }

  static Result<std::optional<PayloadTemplate>> Template(const Json& s, const char* field,
                                                         const std::string& state, bool jsonata) {
    if (!s.contains(field)) return std::optional<PayloadTemplate>();
    auto t = jsonata ? PayloadTemplate::CompileJsonata(s[field], Where(state, field))
                     : PayloadTemplate::CompileJsonPath(s[field], Where(state, field));
    if (!t.ok()) return t.status();
    return std::optional<PayloadTemplate>(std::move(t).value());
  }

  static Result<JsonataExpr> Jsonata(const Json& v, const std::string& where) {
    if (!v.is_string()) return Status::InvalidArgument(where + ": not a JSONata expression");
    auto body = JsonataFenceBody(v.get_ref<const std::string&>());
    if (!body) return Status::InvalidArgument(where + ": not a JSONata expression");
    auto expr = JsonataExpr::Parse(*body);
    if (!expr.ok()) return expr.status().WithContext(where);
    Status evaluable = expr->CheckEvaluable();
    if (!evaluable.ok()) return evaluable.WithContext(where);
    return expr;
  }

  static Result<DynamicNumber> Number(const Json& s, const std::string& field,
                                      const std::string& state) {
    DynamicNumber n;
    if (s.contains(field)) {
      if (s[field].is_string()) {
        STRATA_ASSIGN_OR_RETURN(n.jsonata, Jsonata(s[field], Where(state, field)));
      } else {
        n.literal = s[field].get<double>();
      }
    }
    std::string path_field = field + "Path";
    if (s.contains(path_field)) {
      auto p = JsonPath::Parse(s[path_field].get<std::string>());
      if (!p.ok()) return p.status().WithContext(Where(state, path_field));
      n.path = std::move(p).value();
    }
    return n;
  }

  Result<ChoiceRule> Rule(const Json& r, const std::string& state, bool jsonata) {
    ChoiceRule rule;
    rule.next = r.value("Next", "");
    if (jsonata) {
      rule.kind = ChoiceRule::Kind::kCondition;
      if (r["Condition"].is_boolean()) {
        rule.condition_literal = r["Condition"].get<bool>();
      } else {
        STRATA_ASSIGN_OR_RETURN(rule.condition,
                                Jsonata(r["Condition"], Where(state, "Choices.Condition")));
      }
      STRATA_ASSIGN_OR_RETURN(rule.assign, Template(r, "Assign", state, true));
      return rule;
    }
    STRATA_ASSIGN_OR_RETURN(rule.assign, Template(r, "Assign", state, false));
    for (const char* op : {"And", "Or"}) {
      if (!r.contains(op)) continue;
      rule.kind = op[0] == 'A' ? ChoiceRule::Kind::kAnd : ChoiceRule::Kind::kOr;
      for (const Json& child : r[op]) {
        STRATA_ASSIGN_OR_RETURN(ChoiceRule c, Rule(child, state, false));
        rule.children.push_back(std::move(c));
      }
      return rule;
    }
    if (r.contains("Not")) {
      rule.kind = ChoiceRule::Kind::kNot;
      STRATA_ASSIGN_OR_RETURN(ChoiceRule c, Rule(r["Not"], state, false));
      rule.children.push_back(std::move(c));
      return rule;
    }
    rule.kind = ChoiceRule::Kind::kCompare;
    auto var = JsonPath::Parse(r["Variable"].get<std::string>());
    if (!var.ok()) return var.status().WithContext(Where(state, "Choices.Variable"));
    rule.variable = std::move(var).value();
    for (const auto& [k, v] : r.items()) {
      if (k == "Variable" || k == "Next" || k == "Comment" || k == "Assign") continue;
      rule.op = k;
      if (k.size() > 4 && k.compare(k.size() - 4, 4, "Path") == 0) {
        rule.op = k.substr(0, k.size() - 4);
        rule.value_is_path = true;
        auto p = JsonPath::Parse(v.get<std::string>());
        if (!p.ok()) return p.status().WithContext(Where(state, "Choices." + k));
        rule.value_path = std::move(p).value();
      } else {
        rule.value = v;
      }
    }
    return rule;
  }

  Result<std::unique_ptr<State>> CompileState(const std::string& name, const Json& s,
                                              QueryLanguage machine_ql) {
    auto st = std::make_unique<State>();
    st->name = name;
    static const std::map<std::string, StateType> kTypes = {
        {"Pass", StateType::kPass},         {"Task", StateType::kTask},
        {"Choice", StateType::kChoice},     {"Wait", StateType::kWait},
        {"Succeed", StateType::kSucceed},   {"Fail", StateType::kFail},
        {"Parallel", StateType::kParallel}, {"Map", StateType::kMap}};
    st->type = kTypes.at(s["Type"].get<std::string>());
    st->query_language = s.contains("QueryLanguage") ? QL(s["QueryLanguage"]) : machine_ql;
    const bool jsonata = st->query_language == QueryLanguage::kJsonata;
    st->comment = s.value("Comment", "");
    st->next = s.value("Next", "");
    st->end = s.value("End", false);
    const std::string text = s.dump();
    st->uses_context =
        text.find("$$") != std::string::npos || text.find("$states.context") != std::string::npos;
    STRATA_ASSIGN_OR_RETURN(st->input_path, Path(s, "InputPath", name));
    STRATA_ASSIGN_OR_RETURN(st->output_path, Path(s, "OutputPath", name));
    STRATA_ASSIGN_OR_RETURN(st->result_path, Path(s, "ResultPath", name));
    STRATA_ASSIGN_OR_RETURN(st->parameters, Template(s, "Parameters", name, false));
    STRATA_ASSIGN_OR_RETURN(st->result_selector, Template(s, "ResultSelector", name, false));
    STRATA_ASSIGN_OR_RETURN(st->arguments, Template(s, "Arguments", name, true));
    STRATA_ASSIGN_OR_RETURN(st->output, Template(s, "Output", name, true));
    STRATA_ASSIGN_OR_RETURN(st->assign, Template(s, "Assign", name, jsonata));
    if (s.contains("Result")) st->result = s["Result"];

    if (st->type == StateType::kTask) {
      st->resource =
          s["Resource"].is_string() ? s["Resource"].get<std::string>() : s["Resource"].dump();
      STRATA_ASSIGN_OR_RETURN(st->timeout_seconds, Number(s, "TimeoutSeconds", name));
      STRATA_ASSIGN_OR_RETURN(st->heartbeat_seconds, Number(s, "HeartbeatSeconds", name));
      STRATA_ASSIGN_OR_RETURN(st->credentials, Template(s, "Credentials", name, jsonata));
    }
    if (s.contains("Retry")) {
      for (const Json& r : s["Retry"]) {
        Retrier retrier;
        retrier.error_equals = r["ErrorEquals"].get<std::vector<std::string>>();
        retrier.interval_seconds = r.value("IntervalSeconds", 1.0);
        retrier.max_attempts = r.value("MaxAttempts", 3);
        retrier.backoff_rate = r.value("BackoffRate", 2.0);
        if (r.contains("MaxDelaySeconds"))
          retrier.max_delay_seconds = r["MaxDelaySeconds"].get<double>();
        retrier.jitter = r.value("JitterStrategy", "NONE") == "FULL" ? JitterStrategy::kFull
                                                                     : JitterStrategy::kNone;
        st->retry.push_back(std::move(retrier));
      }
    }
    if (s.contains("Catch")) {
      for (const Json& c : s["Catch"]) {
        Catcher catcher;
        catcher.error_equals = c["ErrorEquals"].get<std::vector<std::string>>();
        catcher.next = c["Next"].get<std::string>();
        STRATA_ASSIGN_OR_RETURN(catcher.result_path, Path(c, "ResultPath", name));
        STRATA_ASSIGN_OR_RETURN(catcher.output, Template(c, "Output", name, true));
        STRATA_ASSIGN_OR_RETURN(catcher.assign, Template(c, "Assign", name, jsonata));
        st->catch_.push_back(std::move(catcher));
      }
    }
    if (st->type == StateType::kChoice) {
      for (const Json& r : s["Choices"]) {
        STRATA_ASSIGN_OR_RETURN(ChoiceRule rule, Rule(r, name, jsonata));
        st->choices.push_back(std::move(rule));
      }
      st->default_next = s.value("Default", "");
    }
    if (st->type == StateType::kWait) {
      STRATA_ASSIGN_OR_RETURN(st->seconds, Number(s, "Seconds", name));
      if (s.contains("Timestamp")) {
        const std::string& ts = s["Timestamp"].get_ref<const std::string&>();
        if (jsonata && JsonataFenceBody(ts)) {
          STRATA_ASSIGN_OR_RETURN(st->timestamp_jsonata,
                                  Jsonata(s["Timestamp"], Where(name, "Timestamp")));
        } else {
          st->timestamp = ts;
        }
      }
      if (s.contains("TimestampPath")) {
        auto p = JsonPath::Parse(s["TimestampPath"].get<std::string>());
        if (!p.ok()) return p.status().WithContext(Where(name, "TimestampPath"));
        st->timestamp_path = std::move(p).value();
      }
    }
    if (st->type == StateType::kFail) {
      for (const char* f : {"Error", "Cause"}) {
        std::optional<PayloadTemplate>& dst = f[0] == 'E' ? st->error : st->cause;
        std::string path_field = std::string(f) + "Path";
        if (s.contains(f)) {
          STRATA_ASSIGN_OR_RETURN(dst, Template(s, f, name, jsonata));
        } else if (s.contains(path_field)) {
          // ErrorPath/CausePath behave like a ".$" template member.
          Json wrapper = {{"v.$", s[path_field]}};
          auto t = PayloadTemplate::CompileJsonPath(wrapper, Where(name, path_field));
          if (!t.ok()) return t.status();
          dst = std::move(t).value();
        }
      }
    }
    if (st->type == StateType::kParallel) {
      for (const Json& b : s["Branches"]) {
        STRATA_ASSIGN_OR_RETURN(auto branch, Machine(b, st->query_language));
        st->branches.push_back(std::move(branch));
      }
    }
    if (st->type == StateType::kMap) {
      for (const char* f : {"ItemReader", "ItemBatcher", "ResultWriter"}) {
        if (s.contains(f)) {
          return Status::Unsupported(Where(name, f) +
                                     ": distributed Map features are not supported");
        }
      }
      const Json& proc = s.contains("ItemProcessor") ? s["ItemProcessor"] : s["Iterator"];
      auto it = Machine(proc, st->query_language);
      if (!it.ok()) return it.status().WithContext(Where(name, "ItemProcessor"));
      st->iterator = std::move(it).value();
      STRATA_ASSIGN_OR_RETURN(st->items_path, Path(s, "ItemsPath", name));
      STRATA_ASSIGN_OR_RETURN(st->items, Template(s, "Items", name, true));
      const char* selector = s.contains("ItemSelector") ? "ItemSelector" : "Parameters";
      STRATA_ASSIGN_OR_RETURN(st->item_selector, Template(s, selector, name, jsonata));
      if (!s.contains("ItemSelector")) st->parameters.reset();  // legacy Parameters = selector
      STRATA_ASSIGN_OR_RETURN(st->max_concurrency, Number(s, "MaxConcurrency", name));
      STRATA_ASSIGN_OR_RETURN(st->tolerated_failure_count,
                              Number(s, "ToleratedFailureCount", name));
      STRATA_ASSIGN_OR_RETURN(st->tolerated_failure_percentage,
                              Number(s, "ToleratedFailurePercentage", name));
    }
    return st;
  }
};

}  // namespace

Result<std::shared_ptr<const StateMachine>> BuildStateMachine(const Json& definition) {
  return BuildStateMachine(definition, ValidationOptions{});
}

Result<std::shared_ptr<const StateMachine>> BuildStateMachine(const Json& definition,
                                                              const ValidationOptions& options) {
  STRATA_RETURN_IF_ERROR(Validate(definition, options));
  Compiler compiler;
  try {
    return compiler.Machine(definition, QueryLanguage::kJsonPath);
  } catch (const Json::exception& e) {
    // Validation guarantees the shapes we read; reaching this is a validator gap.
    return Status::InvalidArgument(std::string("invalid state machine definition: ") + e.what());
  }
}

}  // namespace strata::orchestrator
