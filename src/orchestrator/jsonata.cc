#include "orchestrator/jsonata.h"

#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "common/numbers.h"
#include "common/utf8.h"
#include "orchestrator/jsonata_internal.h"
#include "orchestrator/nesting.h"

namespace strata::orchestrator {

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
      {".", 75},  {"[", 80},  {"]", 0},    {"{", 70},  {"}", 0},   {"(", 80},
      {")", 0},   {",", 0},   {"@", 80},   {"#", 80},  {";", 0},   {":", 0},
      {"?", 20},  {"+", 50},  {"-", 50},   {"*", 60},  {"/", 60},  {"%", 60},
      {"|", 20},  {"=", 40},  {"<", 40},   {">", 40},  {"^", 40},  {"**", 60},
      {"..", 20}, {":=", 10}, {"!=", 40},  {"<=", 40}, {">=", 40}, {"~>", 40},
      {"?:", 40}, {"??", 40}, {"and", 30}, {"or", 25}, {"in", 40}, {"&", 50}};
  return *bp;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Status Error(std::string_view what, size_t pos) const {
    return Status::InvalidArgument("invalid JSONata expression '" + std::string(s_) +
                                   "': " + std::string(what) + " at offset " + std::to_string(pos));
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
            case 'n':
              out += '\n';
              break;
            case 't':
              out += '\t';
              break;
            case 'r':
              out += '\r';
              break;
            case 'b':
              out += '\b';
              break;
            case 'f':
              out += '\f';
              break;
            default:
              out += e;
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
      if (i + 1 < s_.size() && s_[i] == '.' &&
          std::isdigit(static_cast<unsigned char>(s_[i + 1]))) {
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
      if (std::optional<int64_t> n = ParseInteger<int64_t>(tok_.text)) {
        tok_.value = *n;
      } else if (std::optional<double> d = ParseDouble(tok_.text)) {
        tok_.value = *d;
      } else {
        return Error("number out of range '" + tok_.text + "'", pos_);
      }
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
    NestingGuard guard(depth_);
    if (guard.too_deep()) return Error("expression nested too deeply", tok_.pos);
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
      if (tok_.type != Token::kVar)
        return Error("expected a $variable after '" + op + "'", tok_.pos);
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
    static const std::set<std::string> kBinary = {"+",   "-",  "*",  "/",  "%",  "=",
                                                  "!=",  "<",  "<=", ">",  ">=", "&",
                                                  "and", "or", "in", "?:", "??"};
    if (kBinary.count(op) == 0) return Error("unexpected '" + op + "'", t.pos);
    STRATA_RETURN_IF_ERROR(Advance(true));
    STRATA_ASSIGN_OR_RETURN(NodePtr right, Expression(bp));
    return Make("binary", op, {left, right});
  }

  std::string_view s_;
  size_t pos_ = 0;
  int depth_ = 0;  // NestingGuard
  Token tok_;
};

}  // namespace

JsonataExpr::JsonataExpr() = default;
JsonataExpr::~JsonataExpr() = default;
JsonataExpr::JsonataExpr(const JsonataExpr&) = default;
JsonataExpr& JsonataExpr::operator=(const JsonataExpr&) = default;
JsonataExpr::JsonataExpr(JsonataExpr&&) noexcept = default;
JsonataExpr& JsonataExpr::operator=(JsonataExpr&&) noexcept = default;

Result<JsonataExpr> JsonataExpr::Parse(std::string_view text) {
  // Its strings end up in JSON documents, whose writer throws on anything but UTF-8.
  if (FindInvalidUtf8(text) != std::string_view::npos) {
    return Status::InvalidArgument("invalid JSONata expression: not UTF-8 text");
  }
  Parser parser(text);
  STRATA_ASSIGN_OR_RETURN(NodePtr root, parser.ParseAll());
  JsonataExpr expr;
  expr.text_ = std::string(text);
  expr.root_ = std::move(root);
  return expr;
}

Status JsonataExpr::CheckEvaluable() const {
  if (!root_) return Status::Internal("empty JSONata expression");
  Status s = jsonata_internal::CheckNode(*root_);
  if (!s.ok()) return Status::Unsupported(s.message() + " (in '" + text_ + "')");
  return s;
}

Result<std::optional<Json>> JsonataExpr::Evaluate(const Json& bindings) const {
  if (!root_) return Status::Internal("empty JSONata expression");
  return jsonata_internal::EvaluateRoot(*root_, bindings);
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
