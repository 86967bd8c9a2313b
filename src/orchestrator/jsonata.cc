#include "orchestrator/jsonata.h"

#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <vector>

namespace strata::orchestrator {

struct JsonataExpr::Node {
  // kind: "num", "str", "bool", "null", "var", "name", "regex", "wild", "descend", "parent",
  // "binary" (op), "unary" (op "-"), "path" (lhs . rhs), "filter" (lhs [rhs]), "group"
  // (lhs {pairs}), "call" (lhs (args)), "cond" (a ? b : c), "bind" ($x := v), "block",
  // "array", "object", "lambda", "transform", "sort", "focus", "index", "chain".
  std::string kind;
  std::string op;    // operator, or the name for "var"/"name"
  Json value;        // literal value
  std::vector<std::shared_ptr<const Node>> kids;
};

namespace {

using Node = JsonataExpr::Node;
using NodePtr = std::shared_ptr<const Node>;

struct Token {
  enum Type { kEnd, kOp, kNum, kStr, kName, kVar, kRegex } type = kEnd;
  std::string text;
  Json value;
  size_t pos = 0;
};

const std::map<std::string, int>& BindingPowers() {
  static const auto* bp = new std::map<std::string, int>{
      {".", 75},  {"[", 80},  {"]", 0},   {"{", 70},  {"}", 0},   {"(", 80},  {")", 0},
      {",", 0},   {"@", 80},  {"#", 80},  {";", 0},   {":", 0},   {"?", 20},  {"+", 50},
      {"-", 50},  {"*", 60},  {"/", 60},  {"%", 60},  {"|", 20},  {"=", 40},  {"<", 40},
      {">", 40},  {"^", 40},  {"**", 60}, {"..", 20}, {":=", 10}, {"!=", 40}, {"<=", 40},
      {">=", 40}, {"~>", 40}, {"?:", 40}, {"??", 40}, {"and", 30}, {"or", 25}, {"in", 40},
      {"&", 50}};
  return *bp;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Status Error(std::string_view what, size_t pos) const {
    return Status::InvalidArgument("invalid JSONata expression '" + std::string(s_) + "': " +
                                   std::string(what) + " at offset " + std::to_string(pos));
  }

  Result<NodePtr> ParseAll() {
    STRATA_RETURN_IF_ERROR(Advance(/*prefix=*/true));
    STRATA_ASSIGN_OR_RETURN(NodePtr root, Expression(0));
    if (tok_.type != Token::kEnd) return Error("unexpected '" + tok_.text + "'", tok_.pos);
    return root;
  }

 private:
  // Reads the next token. `prefix` says an operand is expected, where '/' starts a regex.
  Status Advance(bool prefix) {
    while (pos_ < s_.size()) {
      if (std::isspace(static_cast<unsigned char>(s_[pos_]))) {
        ++pos_;
      } else if (s_.substr(pos_, 2) == "/*") {
        size_t end = s_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) return Error("unterminated comment", pos_);
        pos_ = end + 2;
      } else {
        break;
      }
    }
    tok_ = Token();
    tok_.pos = pos_;
    if (pos_ >= s_.size()) return Status::OK();
    char c = s_[pos_];
    if (prefix && c == '/') {
      size_t i = pos_ + 1;
      std::string pattern;
      while (i < s_.size() && s_[i] != '/') {
        if (s_[i] == '\\' && i + 1 < s_.size()) pattern += s_[i++];
        pattern += s_[i++];
      }
      if (i >= s_.size()) return Error("unterminated regex", pos_);
      ++i;
      while (i < s_.size() && (s_[i] == 'i' || s_[i] == 'm')) ++i;
      if (pattern.empty()) return Error("empty regex", pos_);
      tok_.type = Token::kRegex;
      tok_.text = std::string(s_.substr(pos_, i - pos_));
      pos_ = i;
      return Status::OK();
    }
    for (std::string_view two : {"..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"}) {
      if (s_.substr(pos_, 2) == two) {
        tok_.type = Token::kOp;
        tok_.text = std::string(two);
        pos_ += 2;
        return Status::OK();
      }
    }
    if (std::string_view("[]{}(),@#;:?+-*/%|=<>^&.").find(c) != std::string_view::npos) {
      tok_.type = Token::kOp;
      tok_.text = std::string(1, c);
      ++pos_;
      return Status::OK();
    }
    if (c == '"' || c == '\'') {
      std::string out;
      size_t i = pos_ + 1;
      while (i < s_.size() && s_[i] != c) {
        if (s_[i] == '\\' && i + 1 < s_.size()) {
          char e = s_[++i];
          switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            default: out += e;
          }
        } else {
          out += s_[i];
        }
        ++i;
      }
      if (i >= s_.size()) return Error("unterminated string", pos_);
      tok_.type = Token::kStr;
      tok_.value = std::move(out);
      tok_.text = "string";
      pos_ = i + 1;
      return Status::OK();
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t i = pos_;
      if (s_[i] == '0') {
        ++i;
      } else {
        while (i < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i]))) ++i;
      }
      if (i + 1 < s_.size() && s_[i] == '.' && std::isdigit(static_cast<unsigned char>(s_[i + 1]))) {
        ++i;
        while (i < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i]))) ++i;
      }
      if (i < s_.size() && (s_[i] == 'e' || s_[i] == 'E')) {
        size_t j = i + 1;
        if (j < s_.size() && (s_[j] == '+' || s_[j] == '-')) ++j;
        if (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j]))) {
          i = j;
          while (i < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i]))) ++i;
        }
      }
      tok_.type = Token::kNum;
      tok_.text = std::string(s_.substr(pos_, i - pos_));
      tok_.value = Json::parse(tok_.text);
      pos_ = i;
      return Status::OK();
    }
    if (c == '`') {
      size_t end = s_.find('`', pos_ + 1);
      if (end == std::string_view::npos) return Error("unterminated `name`", pos_);
      tok_.type = Token::kName;
      tok_.text = std::string(s_.substr(pos_ + 1, end - pos_ - 1));
      pos_ = end + 1;
      return Status::OK();
    }
    auto is_name = [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' ||
             static_cast<unsigned char>(ch) >= 0x80;
    };
    if (c == '$') {
      size_t i = pos_ + 1;
      if (i < s_.size() && s_[i] == '$') {
        ++i;
      } else {
        while (i < s_.size() && is_name(s_[i])) ++i;
      }
      tok_.type = Token::kVar;
      tok_.text = std::string(s_.substr(pos_ + 1, i - pos_ - 1));
      pos_ = i;
      return Status::OK();
    }
    if (is_name(c)) {
      size_t i = pos_;
      while (i < s_.size() && is_name(s_[i])) ++i;
      std::string word(s_.substr(pos_, i - pos_));
      pos_ = i;
      if (word == "and" || word == "or" || word == "in") {
        tok_.type = Token::kOp;
      } else {
        tok_.type = Token::kName;
      }
      tok_.text = std::move(word);
      return Status::OK();
    }
    return Error(std::string("unexpected character '") + c + "'", pos_);
  }

  bool IsOp(std::string_view op) const { return tok_.type == Token::kOp && tok_.text == op; }

  Status Expect(std::string_view op, bool prefix_after) {
    if (!IsOp(op)) {
      return Error("expected '" + std::string(op) + "'" +
                       (tok_.type == Token::kEnd ? " before the end" : ", got '" + tok_.text + "'"),
                   tok_.pos);
    }
    return Advance(prefix_after);
  }

  int Lbp() const {
    if (tok_.type != Token::kOp) return 0;
    auto it = BindingPowers().find(tok_.text);
    return it == BindingPowers().end() ? 0 : it->second;
  }

  static NodePtr Make(std::string kind, std::string op, std::vector<NodePtr> kids,
                      Json value = nullptr) {
    auto n = std::make_shared<Node>();
    n->kind = std::move(kind);
    n->op = std::move(op);
    n->kids = std::move(kids);
    n->value = std::move(value);
    return n;
  }

  Result<NodePtr> Expression(int rbp) {
    STRATA_ASSIGN_OR_RETURN(NodePtr left, Nud());
    while (rbp < Lbp()) {
      STRATA_ASSIGN_OR_RETURN(left, Led(std::move(left)));
    }
    return left;
  }

  // Comma-separated expressions up to `close`; the current token is the first one.
  Result<std::vector<NodePtr>> List(std::string_view close) {
    std::vector<NodePtr> items;
    if (!IsOp(close)) {
      while (true) {
        STRATA_ASSIGN_OR_RETURN(NodePtr item, Expression(0));
        items.push_back(std::move(item));
        if (!IsOp(",")) break;
        STRATA_RETURN_IF_ERROR(Advance(true));
      }
    }
    STRATA_RETURN_IF_ERROR(Expect(close, false));
    return items;
  }

  Result<std::vector<NodePtr>> ObjectPairs() {
    std::vector<NodePtr> kids;
    if (!IsOp("}")) {
      while (true) {
        STRATA_ASSIGN_OR_RETURN(NodePtr key, Expression(0));
        STRATA_RETURN_IF_ERROR(Expect(":", true));
        STRATA_ASSIGN_OR_RETURN(NodePtr value, Expression(0));
        kids.push_back(std::move(key));
        kids.push_back(std::move(value));
        if (!IsOp(",")) break;
        STRATA_RETURN_IF_ERROR(Advance(true));
      }
    }
    STRATA_RETURN_IF_ERROR(Expect("}", false));
    return kids;
  }

  Result<NodePtr> Nud() {
    Token t = tok_;
    switch (t.type) {
      case Token::kEnd:
        return Error("unexpected end of expression", t.pos);
      case Token::kNum:
        STRATA_RETURN_IF_ERROR(Advance(false));
        return Make("num", "", {}, t.value);
      case Token::kStr:
        STRATA_RETURN_IF_ERROR(Advance(false));
        return Make("str", "", {}, t.value);
      case Token::kRegex:
        STRATA_RETURN_IF_ERROR(Advance(false));
        return Make("regex", t.text, {});
      case Token::kVar:
        STRATA_RETURN_IF_ERROR(Advance(false));
        return Make("var", t.text, {});
      case Token::kName: {
        STRATA_RETURN_IF_ERROR(Advance(false));
        if (t.text == "true" || t.text == "false") return Make("bool", "", {}, t.text == "true");
        if (t.text == "null") return Make("null", "", {});
        if ((t.text == "function" || t.text == "λ") && IsOp("(")) return Lambda();
        return Make("name", t.text, {});
      }
      case Token::kOp:
        break;
    }
    const std::string op = t.text;
    if (op == "-") {
      STRATA_RETURN_IF_ERROR(Advance(true));
      STRATA_ASSIGN_OR_RETURN(NodePtr operand, Expression(70));
      return Make("unary", "-", {operand});
    }
    if (op == "*" || op == "**" || op == "%") {
      STRATA_RETURN_IF_ERROR(Advance(false));
      return Make(op == "*" ? "wild" : op == "**" ? "descend" : "parent", op, {});
    }
    if (op == "(") {
      STRATA_RETURN_IF_ERROR(Advance(true));
      std::vector<NodePtr> exprs;
      while (!IsOp(")")) {
        STRATA_ASSIGN_OR_RETURN(NodePtr e, Expression(0));
        exprs.push_back(std::move(e));
        if (!IsOp(";")) break;
        STRATA_RETURN_IF_ERROR(Advance(true));
      }
      STRATA_RETURN_IF_ERROR(Expect(")", false));
      return Make("block", "", std::move(exprs));
    }
    if (op == "[") {
      STRATA_RETURN_IF_ERROR(Advance(true));
      std::vector<NodePtr> items;
      if (!IsOp("]")) {
        while (true) {
          STRATA_ASSIGN_OR_RETURN(NodePtr item, Expression(0));
          if (IsOp("..")) {
            STRATA_RETURN_IF_ERROR(Advance(true));
            STRATA_ASSIGN_OR_RETURN(NodePtr hi, Expression(0));
            item = Make("range", "..", {item, hi});
          }
          items.push_back(std::move(item));
          if (!IsOp(",")) break;
          STRATA_RETURN_IF_ERROR(Advance(true));
        }
      }
      STRATA_RETURN_IF_ERROR(Expect("]", false));
      return Make("array", "", std::move(items));
    }
    if (op == "{") {
      STRATA_RETURN_IF_ERROR(Advance(true));
      STRATA_ASSIGN_OR_RETURN(auto kids, ObjectPairs());
      return Make("object", "", std::move(kids));
    }
    if (op == "|") {  // transform: | location | update [, delete] |
      STRATA_RETURN_IF_ERROR(Advance(true));
      // '|' binds at 20, so parsing at 20 stops at the closing bars.
      STRATA_ASSIGN_OR_RETURN(NodePtr loc, Expression(20));
      STRATA_RETURN_IF_ERROR(Expect("|", true));
      STRATA_ASSIGN_OR_RETURN(NodePtr upd, Expression(20));
      std::vector<NodePtr> kids = {loc, upd};
      if (IsOp(",")) {
        STRATA_RETURN_IF_ERROR(Advance(true));
        STRATA_ASSIGN_OR_RETURN(NodePtr del, Expression(0));
        kids.push_back(std::move(del));
      }
      STRATA_RETURN_IF_ERROR(Expect("|", false));
      return Make("transform", "", std::move(kids));
    }
    return Error("unexpected '" + op + "'", t.pos);
  }

  Result<NodePtr> Lambda() {
    STRATA_RETURN_IF_ERROR(Advance(true));  // '('
    std::vector<NodePtr> kids;
    if (!IsOp(")")) {
      while (true) {
        if (tok_.type != Token::kVar) return Error("lambda parameters must be $names", tok_.pos);
        kids.push_back(Make("var", tok_.text, {}));
        STRATA_RETURN_IF_ERROR(Advance(false));
        if (!IsOp(",")) break;
        STRATA_RETURN_IF_ERROR(Advance(true));
      }
    }
    STRATA_RETURN_IF_ERROR(Expect(")", false));
    if (IsOp("<")) {  // optional signature <...>
      while (tok_.type != Token::kEnd && !IsOp(">")) STRATA_RETURN_IF_ERROR(Advance(false));
      STRATA_RETURN_IF_ERROR(Expect(">", false));
    }
    STRATA_RETURN_IF_ERROR(Expect("{", true));
    STRATA_ASSIGN_OR_RETURN(NodePtr body, Expression(0));
    STRATA_RETURN_IF_ERROR(Expect("}", false));
    kids.push_back(std::move(body));
    return Make("lambda", "", std::move(kids));
  }

  Result<NodePtr> Led(NodePtr left) {
    Token t = tok_;
    const std::string op = t.text;
    int bp = Lbp();
    if (op == "(") {
      STRATA_RETURN_IF_ERROR(Advance(true));
      std::vector<NodePtr> args = {left};
      if (!IsOp(")")) {
        while (true) {
          if (IsOp("?")) {  // partial application placeholder
            STRATA_RETURN_IF_ERROR(Advance(false));
            args.push_back(Make("placeholder", "?", {}));
          } else {
            STRATA_ASSIGN_OR_RETURN(NodePtr arg, Expression(0));
            args.push_back(std::move(arg));
          }
          if (!IsOp(",")) break;
          STRATA_RETURN_IF_ERROR(Advance(true));
        }
      }
      STRATA_RETURN_IF_ERROR(Expect(")", false));
      return Make("call", "", std::move(args));
    }
    if (op == "[") {
      STRATA_RETURN_IF_ERROR(Advance(true));
      if (IsOp("]")) {
        STRATA_RETURN_IF_ERROR(Advance(false));
        return Make("keeparray", "", {left});
      }
      STRATA_ASSIGN_OR_RETURN(NodePtr pred, Expression(0));
      STRATA_RETURN_IF_ERROR(Expect("]", false));
      return Make("filter", "", {left, pred});
    }
    if (op == "{") {
      STRATA_RETURN_IF_ERROR(Advance(true));
      STRATA_ASSIGN_OR_RETURN(auto kids, ObjectPairs());
      kids.insert(kids.begin(), left);
      return Make("group", "", std::move(kids));
    }
    if (op == "?") {
      STRATA_RETURN_IF_ERROR(Advance(true));
      STRATA_ASSIGN_OR_RETURN(NodePtr then, Expression(0));
      std::vector<NodePtr> kids = {left, then};
      if (IsOp(":")) {
        STRATA_RETURN_IF_ERROR(Advance(true));
        STRATA_ASSIGN_OR_RETURN(NodePtr otherwise, Expression(0));
        kids.push_back(std::move(otherwise));
      }
      return Make("cond", "", std::move(kids));
    }
    if (op == ":=") {
      if (left->kind != "var") return Error("left side of ':=' must be a $variable", t.pos);
      STRATA_RETURN_IF_ERROR(Advance(true));
      STRATA_ASSIGN_OR_RETURN(NodePtr value, Expression(bp - 1));  // right associative
      return Make("bind", left->op, {value});
    }
    if (op == "@" || op == "#") {
      STRATA_RETURN_IF_ERROR(Advance(true));
      if (tok_.type != Token::kVar) return Error("expected a $variable after '" + op + "'", tok_.pos);
      std::string name = tok_.text;
      STRATA_RETURN_IF_ERROR(Advance(false));
      return Make(op == "@" ? "focus" : "index", name, {left});
    }
    if (op == "^") {
      STRATA_RETURN_IF_ERROR(Advance(true));
      STRATA_RETURN_IF_ERROR(Expect("(", true));
      std::vector<NodePtr> kids = {left};
      while (true) {
        if (IsOp("<") || IsOp(">")) STRATA_RETURN_IF_ERROR(Advance(true));
        STRATA_ASSIGN_OR_RETURN(NodePtr term, Expression(0));
        kids.push_back(std::move(term));
        if (!IsOp(",")) break;
        STRATA_RETURN_IF_ERROR(Advance(true));
      }
      STRATA_RETURN_IF_ERROR(Expect(")", false));
      return Make("sort", "", std::move(kids));
    }
    if (op == "." || op == "~>" || op == "..") {
      STRATA_RETURN_IF_ERROR(Advance(true));
      STRATA_ASSIGN_OR_RETURN(NodePtr right, Expression(bp));
      return Make(op == "." ? "path" : op == "~>" ? "chain" : "range", op, {left, right});
    }
    // Plain binary operators.
    static const std::set<std::string> kBinary = {"+", "-", "*", "/", "%", "=", "!=", "<", "<=",
                                                  ">", ">=", "&", "and", "or", "in", "?:", "??"};
    if (kBinary.count(op) == 0) return Error("unexpected '" + op + "'", t.pos);
    STRATA_RETURN_IF_ERROR(Advance(true));
    STRATA_ASSIGN_OR_RETURN(NodePtr right, Expression(bp));
    return Make("binary", op, {left, right});
  }

  std::string_view s_;
  size_t pos_ = 0;
  Token tok_;
};

// ---- evaluation of the supported subset ----

using Value = std::optional<Json>;

const std::set<std::string>& SupportedFunctions() {
  static const auto* fns = new std::set<std::string>{
      "exists", "count", "sum", "string", "number", "not", "length", "uppercase",
      "lowercase", "round", "abs", "floor", "ceil"};
  return *fns;
}

Status CheckNode(const Node& n) {
  static const std::set<std::string> kOk = {"num",  "str",   "bool", "null",  "var",
                                            "name", "binary", "unary", "path", "cond",
                                            "bind", "block", "array", "object"};
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
    STRATA_RETURN_IF_ERROR(CheckNode(*n.kids[i]));
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
    bool truthy = !(a->is_null() || (a->is_boolean() && !a->get<bool>()) ||
                    (a->is_number() && a->get<double>() == 0) ||
                    (a->is_string() && a->get<std::string>().empty()) ||
                    (a->is_array() && a->empty()));
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
    if (!nums && !strs) return TypeError("operands of '" + op + "' must both be numbers or strings");
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

JsonataExpr::JsonataExpr() = default;
JsonataExpr::~JsonataExpr() = default;
JsonataExpr::JsonataExpr(const JsonataExpr&) = default;
JsonataExpr& JsonataExpr::operator=(const JsonataExpr&) = default;
JsonataExpr::JsonataExpr(JsonataExpr&&) noexcept = default;
JsonataExpr& JsonataExpr::operator=(JsonataExpr&&) noexcept = default;

Result<JsonataExpr> JsonataExpr::Parse(std::string_view text) {
  Parser parser(text);
  STRATA_ASSIGN_OR_RETURN(NodePtr root, parser.ParseAll());
  JsonataExpr expr;
  expr.text_ = std::string(text);
  expr.root_ = std::move(root);
  return expr;
}

Status JsonataExpr::CheckEvaluable() const {
  if (!root_) return Status::Internal("empty JSONata expression");
  Status s = CheckNode(*root_);
  if (!s.ok()) return Status::Unsupported(s.message() + " (in '" + text_ + "')");
  return s;
}

Result<std::optional<Json>> JsonataExpr::Evaluate(const Json& bindings) const {
  if (!root_) return Status::Internal("empty JSONata expression");
  Env env;
  if (bindings.is_object()) {
    for (auto it = bindings.begin(); it != bindings.end(); ++it) env.vars[it.key()] = it.value();
  }
  return Eval(*root_, std::nullopt, env);
}

std::optional<std::string_view> JsonataFenceBody(std::string_view s) {
  if (s.size() < 7 || s.substr(0, 3) != "{% " || s.substr(s.size() - 3) != " %}") {
    return std::nullopt;
  }
  std::string_view body = s.substr(3, s.size() - 6);
  // Mirrors the reference validator's /^\{% .+ %\}$/: one line, non-empty.
  if (body.empty() || body.find_first_of("\n\r") != std::string_view::npos) return std::nullopt;
  return body;
}

bool LooksLikeJsonata(std::string_view s) { return s.substr(0, 2) == "{%"; }

}  // namespace strata::orchestrator
