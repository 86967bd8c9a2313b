// Evaluation of the supported JSONata subset (see jsonata.h).
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "orchestrator/jsonata_internal.h"

namespace strata::orchestrator::jsonata_internal {
namespace {

using Node = JsonataExpr::Node;

using Value = std::optional<Json>;

const std::set<std::string>& SupportedFunctions() {
  static const auto* fns = new std::set<std::string>{
      "exists",    "count",     "sum",   "string", "number", "not", "length",
      "uppercase", "lowercase", "round", "abs",    "floor",  "ceil"};
  return *fns;
}

Status CheckNodeImpl(const Node& n) {
  static const std::set<std::string> kOk = {"num",  "str",    "bool",  "null",  "var",
                                            "name", "binary", "unary", "path",  "cond",
                                            "bind", "block",  "array", "object"};
  if (n.kind == "call") {
    const Node& fn = *n.kids[0];
    if (fn.kind != "var" || SupportedFunctions().count(fn.op) == 0) {
      return Status::Unsupported("JSONata function call '" +
                                 (fn.kind == "var" ? "$" + fn.op : std::string("(expr)")) +
                                 "' is not supported by strata's JSONata evaluator");
    }
  } else if (kOk.count(n.kind) == 0) {
    return Status::Unsupported("JSONata construct '" + n.kind +
                               "' is not supported by strata's JSONata evaluator");
  } else if (n.kind == "binary" && (n.op == "?:" || n.op == "??")) {
    return Status::Unsupported("JSONata operator '" + n.op + "' is not supported");
  }
  for (size_t i = n.kind == "call" ? 1 : 0; i < n.kids.size(); ++i) {
    STRATA_RETURN_IF_ERROR(CheckNodeImpl(*n.kids[i]));
  }
  return Status::OK();
}

Status TypeError(const std::string& what) {
  return Status::InvalidArgument("JSONata evaluation error: " + what);
}

// Member access with JSONata's implicit mapping over arrays (results flattened).
Value Member(const Value& base, const std::string& name) {
  if (!base) return std::nullopt;
  if (base->is_object()) {
    auto it = base->find(name);
    if (it == base->end()) return std::nullopt;
    return *it;
  }
  if (base->is_array()) {
    Json out = Json::array();
    for (const Json& item : *base) {
      Value v = Member(Value(item), name);
      if (!v) continue;
      if (v->is_array()) {
        for (const Json& x : *v) out.push_back(x);
      } else {
        out.push_back(*v);
      }
    }
    if (out.empty()) return std::nullopt;
    if (out.size() == 1) return out[0];
    return out;
  }
  return std::nullopt;
}

struct Env {
  std::map<std::string, Json> vars;
};

Result<Value> Eval(const Node& n, const Value& context, Env& env);

Result<double> Num(const Value& v, const std::string& op) {
  if (!v || !v->is_number()) return TypeError("operands of '" + op + "' must be numbers");
  return v->get<double>();
}

Json NumberJson(double d) {
  if (std::floor(d) == d && std::fabs(d) < 9e15) return Json(static_cast<int64_t>(d));
  return Json(d);
}

std::string Stringify(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::floor(d) == d && std::fabs(d) < 9e15) return std::to_string(static_cast<int64_t>(d));
  }
  return v.dump();
}

Result<Value> CallFunction(const std::string& fn, const std::vector<Value>& args) {
  auto arg = [&](size_t i) -> Value { return i < args.size() ? args[i] : std::nullopt; };
  if (fn == "exists") return Value(Json(arg(0).has_value()));
  if (fn == "count") {
    Value a = arg(0);
    if (!a) return Value(Json(0));
    return Value(Json(a->is_array() ? a->size() : 1));
  }
  if (fn == "sum") {
    Value a = arg(0);
    if (!a) return Value(Json(0));
    double total = 0;
    if (a->is_array()) {
      for (const Json& x : *a) {
        if (!x.is_number()) return TypeError("$sum needs an array of numbers");
        total += x.get<double>();
      }
    } else {
      STRATA_ASSIGN_OR_RETURN(total, Num(a, "$sum"));
    }
    return Value(NumberJson(total));
  }
  if (fn == "string") {
    Value a = arg(0);
    if (!a) return Value();
    return Value(Json(Stringify(*a)));
  }
  if (fn == "number") {
    Value a = arg(0);
    if (!a) return Value();
    if (a->is_number()) return a;
    if (a->is_string()) {
      Json parsed = Json::parse(a->get<std::string>(), nullptr, false);
      if (parsed.is_number()) return Value(parsed);
    }
    if (a->is_boolean()) return Value(Json(a->get<bool>() ? 1 : 0));
    return TypeError("$number cannot convert the argument");
  }
  if (fn == "not") {
    Value a = arg(0);
    if (!a) return Value();
    bool truthy =
        !(a->is_null() || (a->is_boolean() && !a->get<bool>()) ||
          (a->is_number() && a->get<double>() == 0) ||
          (a->is_string() && a->get<std::string>().empty()) || (a->is_array() && a->empty()));
    return Value(Json(!truthy));
  }
  if (fn == "length") {
    Value a = arg(0);
    if (!a) return Value();
    if (!a->is_string()) return TypeError("$length needs a string");
    const std::string& s = a->get_ref<const std::string&>();
    size_t count = 0;
    for (unsigned char c : s) count += (c & 0xC0) != 0x80;
    return Value(Json(count));
  }
  if (fn == "uppercase" || fn == "lowercase") {
    Value a = arg(0);
    if (!a) return Value();
    if (!a->is_string()) return TypeError("$" + fn + " needs a string");
    std::string s = a->get<std::string>();
    for (char& c : s) {
      c = static_cast<char>(fn == "uppercase" ? std::toupper(static_cast<unsigned char>(c))
                                              : std::tolower(static_cast<unsigned char>(c)));
    }
    return Value(Json(s));
  }
  if (fn == "round" || fn == "abs" || fn == "floor" || fn == "ceil") {
    Value a = arg(0);
    if (!a) return Value();
    STRATA_ASSIGN_OR_RETURN(double d, Num(a, "$" + fn));
    if (fn == "abs") return Value(NumberJson(std::fabs(d)));
    if (fn == "floor") return Value(NumberJson(std::floor(d)));
    if (fn == "ceil") return Value(NumberJson(std::ceil(d)));
    double r = std::nearbyint(d);  // JSONata rounds half to even, as nearbyint does by default
    return Value(NumberJson(r));
  }
  return Status::Unsupported("JSONata function $" + fn + " is not supported");
}

Result<Value> EvalBinary(const Node& n, const Value& context, Env& env) {
  const std::string& op = n.op;
  STRATA_ASSIGN_OR_RETURN(Value a, Eval(*n.kids[0], context, env));
  if (op == "and" || op == "or") {
    auto truthy = [](const Value& v) {
      if (!v) return false;
      if (v->is_boolean()) return v->get<bool>();
      if (v->is_null()) return false;
      if (v->is_number()) return v->get<double>() != 0;
      if (v->is_string()) return !v->get<std::string>().empty();
      if (v->is_array()) return !v->empty();
      return true;
    };
    if (op == "and" && !truthy(a)) return Value(Json(false));
    if (op == "or" && truthy(a)) return Value(Json(true));
    STRATA_ASSIGN_OR_RETURN(Value b, Eval(*n.kids[1], context, env));
    return Value(Json(truthy(b)));
  }
  STRATA_ASSIGN_OR_RETURN(Value b, Eval(*n.kids[1], context, env));
  if (op == "&") {
    return Value(Json((a ? Stringify(*a) : "") + (b ? Stringify(*b) : "")));
  }
  if (op == "=" || op == "!=") {
    if (!a || !b) return Value(Json(false));
    return Value(Json(op == "=" ? *a == *b : *a != *b));
  }
  if (op == "in") {
    if (!a || !b) return Value(Json(false));
    if (b->is_array()) {
      for (const Json& x : *b) {
        if (x == *a) return Value(Json(true));
      }
      return Value(Json(false));
    }
    return Value(Json(*a == *b));
  }
  if (op == "<" || op == "<=" || op == ">" || op == ">=") {
    if (!a || !b) return Value();
    bool nums = a->is_number() && b->is_number();
    bool strs = a->is_string() && b->is_string();
    if (!nums && !strs)
      return TypeError("operands of '" + op + "' must both be numbers or strings");
    bool r = op == "<" ? *a < *b : op == "<=" ? *a <= *b : op == ">" ? *a > *b : *a >= *b;
    return Value(Json(r));
  }
  if (!a || !b) return Value();
  STRATA_ASSIGN_OR_RETURN(double x, Num(a, op));
  STRATA_ASSIGN_OR_RETURN(double y, Num(b, op));
  if (op == "+") return Value(NumberJson(x + y));
  if (op == "-") return Value(NumberJson(x - y));
  if (op == "*") return Value(NumberJson(x * y));
  if (op == "/") {
    if (y == 0) return TypeError("division by zero");
    return Value(NumberJson(x / y));
  }
  if (op == "%") {
    if (y == 0) return TypeError("division by zero");
    return Value(NumberJson(std::fmod(x, y)));
  }
  return Status::Unsupported("JSONata operator '" + op + "' is not supported");
}

Result<Value> Eval(const Node& n, const Value& context, Env& env) {
  const std::string& k = n.kind;
  if (k == "num" || k == "str" || k == "bool") return Value(n.value);
  if (k == "null") return Value(Json(nullptr));
  if (k == "var") {
    if (n.op.empty()) return context;
    auto it = env.vars.find(n.op);
    if (it == env.vars.end()) return Value();
    return Value(it->second);
  }
  if (k == "name") return Member(context, n.op);
  if (k == "path") {
    STRATA_ASSIGN_OR_RETURN(Value base, Eval(*n.kids[0], context, env));
    const Node& rhs = *n.kids[1];
    if (rhs.kind == "name") return Member(base, rhs.op);
    return Eval(rhs, base, env);
  }
  if (k == "unary") {
    STRATA_ASSIGN_OR_RETURN(Value v, Eval(*n.kids[0], context, env));
    if (!v) return Value();
    STRATA_ASSIGN_OR_RETURN(double d, Num(v, "-"));
    return Value(NumberJson(-d));
  }
  if (k == "binary") return EvalBinary(n, context, env);
  if (k == "cond") {
    STRATA_ASSIGN_OR_RETURN(Value c, Eval(*n.kids[0], context, env));
    bool truthy = c && !(c->is_null() || (c->is_boolean() && !c->get<bool>()) ||
                         (c->is_number() && c->get<double>() == 0) ||
                         (c->is_string() && c->get<std::string>().empty()));
    if (truthy) return Eval(*n.kids[1], context, env);
    if (n.kids.size() > 2) return Eval(*n.kids[2], context, env);
    return Value();
  }
  if (k == "bind") {
    STRATA_ASSIGN_OR_RETURN(Value v, Eval(*n.kids[0], context, env));
    if (v) env.vars[n.op] = *v;
    return v;
  }
  if (k == "block") {
    Env inner = env;  // bindings are scoped to the block
    Value last;
    for (const auto& e : n.kids) {
      STRATA_ASSIGN_OR_RETURN(last, Eval(*e, context, inner));
    }
    return last;
  }
  if (k == "array") {
    Json out = Json::array();
    for (const auto& e : n.kids) {
      STRATA_ASSIGN_OR_RETURN(Value v, Eval(*e, context, env));
      if (!v) continue;
      if (v->is_array() && e->kind != "array") {
        for (const Json& x : *v) out.push_back(x);
      } else {
        out.push_back(*v);
      }
    }
    return Value(out);
  }
  if (k == "object") {
    Json out = Json::object();
    for (size_t i = 0; i + 1 < n.kids.size(); i += 2) {
      STRATA_ASSIGN_OR_RETURN(Value key, Eval(*n.kids[i], context, env));
      if (!key || !key->is_string()) return TypeError("object keys must be strings");
      STRATA_ASSIGN_OR_RETURN(Value v, Eval(*n.kids[i + 1], context, env));
      if (v) out[key->get<std::string>()] = *v;
    }
    return Value(out);
  }
  if (k == "call") {
    std::vector<Value> args;
    for (size_t i = 1; i < n.kids.size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(Value v, Eval(*n.kids[i], context, env));
      args.push_back(std::move(v));
    }
    return CallFunction(n.kids[0]->op, args);
  }
  return Status::Unsupported("JSONata construct '" + k + "' is not supported");
}

}  // namespace

Status CheckNode(const Node& node) { return CheckNodeImpl(node); }

Result<std::optional<Json>> EvaluateRoot(const Node& root, const Json& bindings) {
  Env env;
  if (bindings.is_object()) {
    for (auto it = bindings.begin(); it != bindings.end(); ++it) env.vars[it.key()] = it.value();
  }
  return Eval(root, std::nullopt, env);
}

}  // namespace strata::orchestrator::jsonata_internal
