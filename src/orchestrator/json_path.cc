#include "orchestrator/json_path.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <utility>

#include "common/numbers.h"
#include "common/utf8.h"
#include "orchestrator/nesting.h"
#include "orchestrator/posix_regex.h"

namespace strata::orchestrator {

// A filter/script expression node. Paths inside are relative to `@` (the candidate) or `$`.
struct JsonPath::Expr {
  enum class Kind { kLiteral, kCurrent, kRoot, kNot, kAnd, kOr, kCompare, kAdd, kSub, kRegex };
  Kind kind = Kind::kLiteral;
  Json literal;
  std::vector<std::shared_ptr<const Segment>> path;  // for kCurrent / kRoot
  std::string op;                                    // for kCompare
  std::shared_ptr<const Expr> lhs, rhs;
  std::shared_ptr<const PosixRegex> regex;
};

struct JsonPath::Segment {
  enum class Kind { kChild, kIndex, kWildcard, kSlice, kUnion, kFilter, kScript, kDescend };
  Kind kind = Kind::kChild;
  std::string name;                      // kChild
  int64_t index = 0;                     // kIndex
  std::optional<int64_t> start, end;     // kSlice
  int64_t step = 1;                      // kSlice
  std::vector<Json> keys;                // kUnion: strings (members) or integers (indices)
  std::shared_ptr<const Expr> expr;      // kFilter / kScript
  std::shared_ptr<const Segment> inner;  // kDescend: what to match at every depth
};

namespace {

using Segment = JsonPath::Segment;
using Expr = JsonPath::Expr;
using SegmentList = std::vector<std::shared_ptr<const Segment>>;

// In expressions, names also stop at arithmetic operators (`@.length-1`).
bool IsNameChar(char c, bool in_expr = false) {
  if (in_expr && (c == '-' || c == '+' || c == '*' || c == '/')) return false;
  return !(c == '.' || c == '[' || c == ']' || c == '(' || c == ')' || c == ',' || c == '\'' ||
           c == '"' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '=' || c == '!' ||
           c == '<' || c == '>' || c == '&' || c == '|' || c == '@' || c == '$' || c == '?');
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Status Error(std::string_view what) const {
    return Status::InvalidArgument("invalid JSONPath '" + std::string(s_) + "': " +
                                   std::string(what) + " at offset " + std::to_string(pos_));
  }
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek(size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }
  bool Consume(std::string_view token) {
    if (s_.substr(pos_, token.size()) == token) {
      pos_ += token.size();
      return true;
    }
    return false;
  }
  void SkipSpace() {
    while (!AtEnd() && std::isspace(static_cast<unsigned char>(Peek()))) ++pos_;
  }
  size_t pos() const { return pos_; }

  std::string ParseName(bool in_expr = false) {
    size_t start = pos_;
    while (!AtEnd() && IsNameChar(Peek(), in_expr)) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }

  Result<int64_t> ParseInt() {
    size_t start = pos_;
    if (Peek() == '-') ++pos_;
    if (!std::isdigit(static_cast<unsigned char>(Peek()))) return Error("expected an integer");
    while (std::isdigit(static_cast<unsigned char>(Peek()))) ++pos_;
    std::optional<int64_t> value = ParseInteger<int64_t>(s_.substr(start, pos_ - start));
    if (!value) return Error("integer out of range");
    return *value;
  }

  Result<std::string> ParseQuoted() {
    char quote = Peek();
    ++pos_;
    std::string out;
    while (!AtEnd() && Peek() != quote) {
      if (Peek() == '\\' && pos_ + 1 < s_.size()) ++pos_;
      out += Peek();
      ++pos_;
    }
    if (AtEnd()) return Error("unterminated string");
    ++pos_;
    return out;
  }

  // Parses segments until the end of input or a character that cannot continue a path.
  Status ParseSegments(SegmentList& out, bool in_expr) {
    while (!AtEnd()) {
      char c = Peek();
      if (c == '.') {
        if (Consume("..")) {
          auto seg = std::make_shared<Segment>();
          seg->kind = Segment::Kind::kDescend;
          if (Peek() == '[') {
            STRATA_ASSIGN_OR_RETURN(seg->inner, ParseBracket());
          } else if (Consume("*")) {
            auto inner = std::make_shared<Segment>();
            inner->kind = Segment::Kind::kWildcard;
            seg->inner = inner;
          } else {
            std::string name = ParseName(in_expr);
            if (name.empty()) return Error("expected a member name after '..'");
            auto inner = std::make_shared<Segment>();
            inner->name = std::move(name);
            seg->inner = inner;
          }
          out.push_back(seg);
          continue;
        }
        ++pos_;
        auto seg = std::make_shared<Segment>();
        if (Consume("*")) {
          seg->kind = Segment::Kind::kWildcard;
        } else {
          seg->name = ParseName(in_expr);
          if (seg->name.empty()) return Error("expected a member name after '.'");
        }
        out.push_back(seg);
      } else if (c == '[') {
        STRATA_ASSIGN_OR_RETURN(auto seg, ParseBracket());
        out.push_back(seg);
      } else if (in_expr) {
        return Status::OK();
      } else {
        return Error(std::string("unexpected character '") + c + "'");
      }
    }
    return Status::OK();
  }

  Result<std::shared_ptr<const Segment>> ParseBracket() {
    ++pos_;  // '['
    SkipSpace();
    auto seg = std::make_shared<Segment>();
    if (Consume("*")) {
      seg->kind = Segment::Kind::kWildcard;
    } else if (Consume("?(")) {
      seg->kind = Segment::Kind::kFilter;
      STRATA_ASSIGN_OR_RETURN(seg->expr, ParseOr());
      SkipSpace();
      if (!Consume(")")) return Error("expected ')' closing the filter");
    } else if (Peek() == '(') {
      ++pos_;
      seg->kind = Segment::Kind::kScript;
      STRATA_ASSIGN_OR_RETURN(seg->expr, ParseOr());
      SkipSpace();
      if (!Consume(")")) return Error("expected ')' closing the script");
    } else if (Peek() == '\'' || Peek() == '"') {
      std::vector<Json> keys;
      while (true) {
        SkipSpace();
        if (Peek() != '\'' && Peek() != '"') return Error("expected a quoted member name");
        STRATA_ASSIGN_OR_RETURN(std::string name, ParseQuoted());
        keys.emplace_back(std::move(name));
        SkipSpace();
        if (!Consume(",")) break;
      }
      if (keys.size() == 1) {
        seg->name = keys[0].get<std::string>();
      } else {
        seg->kind = Segment::Kind::kUnion;
        seg->keys = std::move(keys);
      }
    } else {
      // Index, union of indices, or slice.
      std::optional<int64_t> first;
      if (Peek() != ':') {
        STRATA_ASSIGN_OR_RETURN(first, ParseInt());
      }
      SkipSpace();
      if (Peek() == ':') {
        seg->kind = Segment::Kind::kSlice;
        seg->start = first;
        ++pos_;
        SkipSpace();
        if (Peek() != ':' && Peek() != ']') {
          STRATA_ASSIGN_OR_RETURN(seg->end, ParseInt());
        }
        SkipSpace();
        if (Consume(":")) {
          SkipSpace();
          if (Peek() != ']') {
            STRATA_ASSIGN_OR_RETURN(seg->step, ParseInt());
            if (seg->step == 0) return Error("slice step must not be 0");
          }
        }
      } else if (Peek() == ',') {
        seg->kind = Segment::Kind::kUnion;
        seg->keys.emplace_back(*first);
        while (Consume(",")) {
          SkipSpace();
          STRATA_ASSIGN_OR_RETURN(int64_t i, ParseInt());
          seg->keys.emplace_back(i);
          SkipSpace();
        }
      } else {
        seg->kind = Segment::Kind::kIndex;
        seg->index = *first;
      }
    }
    SkipSpace();
    if (!Consume("]")) return Error("expected ']'");
    return std::shared_ptr<const Segment>(seg);
  }

  // ---- filter / script expressions ----
  Result<std::shared_ptr<const Expr>> ParseOr() {
    STRATA_ASSIGN_OR_RETURN(auto lhs, ParseAnd());
    while (true) {
      SkipSpace();
      if (!Consume("||")) return lhs;
      STRATA_ASSIGN_OR_RETURN(auto rhs, ParseAnd());
      lhs = Binary(Expr::Kind::kOr, "", lhs, rhs);
    }
  }
  Result<std::shared_ptr<const Expr>> ParseAnd() {
    STRATA_ASSIGN_OR_RETURN(auto lhs, ParseUnary());
    while (true) {
      SkipSpace();
      if (!Consume("&&")) return lhs;
      STRATA_ASSIGN_OR_RETURN(auto rhs, ParseUnary());
      lhs = Binary(Expr::Kind::kAnd, "", lhs, rhs);
    }
  }
  Result<std::shared_ptr<const Expr>> ParseUnary() {
    NestingGuard guard(depth_);
    if (guard.too_deep()) return Error("expression nested too deeply");
    SkipSpace();
    if (Peek() == '!' && Peek(1) != '=') {
      ++pos_;
      STRATA_ASSIGN_OR_RETURN(auto operand, ParseUnary());
      return Binary(Expr::Kind::kNot, "", operand, nullptr);
    }
    return ParseCompare();
  }
  Result<std::shared_ptr<const Expr>> ParseCompare() {
    STRATA_ASSIGN_OR_RETURN(auto lhs, ParseAdditive());
    SkipSpace();
    for (std::string_view op : {"==", "!=", "<=", ">=", "=~", "<", ">"}) {
      if (Consume(op)) {
        SkipSpace();
        if (op == "=~") {
          if (Peek() != '/') return Error("expected a /regex/ after '=~'");
          STRATA_ASSIGN_OR_RETURN(auto rx, ParseRegex());
          return Binary(Expr::Kind::kRegex, "", lhs, rx);
        }
        STRATA_ASSIGN_OR_RETURN(auto rhs, ParseAdditive());
        return Binary(Expr::Kind::kCompare, std::string(op), lhs, rhs);
      }
    }
    return lhs;
  }
  Result<std::shared_ptr<const Expr>> ParseAdditive() {
    STRATA_ASSIGN_OR_RETURN(auto lhs, ParsePrimary());
    while (true) {
      SkipSpace();
      if (Consume("+")) {
        STRATA_ASSIGN_OR_RETURN(auto rhs, ParsePrimary());
        lhs = Binary(Expr::Kind::kAdd, "", lhs, rhs);
      } else if (Peek() == '-') {
        ++pos_;
        STRATA_ASSIGN_OR_RETURN(auto rhs, ParsePrimary());
        lhs = Binary(Expr::Kind::kSub, "", lhs, rhs);
      } else {
        return lhs;
      }
    }
  }
  Result<std::shared_ptr<const Expr>> ParseRegex() {
    ++pos_;  // '/'
    std::string pattern;
    while (!AtEnd() && Peek() != '/') {
      if (Peek() == '\\' && pos_ + 1 < s_.size()) pattern += s_[pos_++];
      pattern += s_[pos_++];
    }
    if (!Consume("/")) return Error("unterminated regex");
    bool icase = false;
    while (Peek() == 'i' || Peek() == 'g' || Peek() == 'm') {
      if (Peek() == 'i') icase = true;
      ++pos_;
    }
    auto e = std::make_shared<Expr>();
    e->kind = Expr::Kind::kLiteral;
    e->regex = std::make_shared<const PosixRegex>(pattern, /*full_match=*/true, icase,
                                                  /*ecmascript_escapes=*/true);
    if (!e->regex->ok()) return Error("invalid regex");
    return std::shared_ptr<const Expr>(e);
  }
  Result<std::shared_ptr<const Expr>> ParsePrimary() {
    SkipSpace();
    auto e = std::make_shared<Expr>();
    char c = Peek();
    if (c == '(') {
      ++pos_;
      STRATA_ASSIGN_OR_RETURN(auto inner, ParseOr());
      SkipSpace();
      if (!Consume(")")) return Error("expected ')'");
      return inner;
    }
    if (c == '@' || c == '$') {
      ++pos_;
      e->kind = c == '@' ? Expr::Kind::kCurrent : Expr::Kind::kRoot;
      STRATA_RETURN_IF_ERROR(ParseSegments(e->path, /*in_expr=*/true));
      return std::shared_ptr<const Expr>(e);
    }
    if (c == '\'' || c == '"') {
      STRATA_ASSIGN_OR_RETURN(std::string str, ParseQuoted());
      e->literal = std::move(str);
      return std::shared_ptr<const Expr>(e);
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      size_t start = pos_;
      if (c == '-') ++pos_;
      while (std::isdigit(static_cast<unsigned char>(Peek())) || Peek() == '.' || Peek() == 'e' ||
             Peek() == 'E')
        ++pos_;
      std::string num(s_.substr(start, pos_ - start));
      try {
        e->literal = Json::parse(num);
      } catch (const Json::exception&) {
        return Error("invalid number '" + num + "'");
      }
      return std::shared_ptr<const Expr>(e);
    }
    std::string word = ParseName(/*in_expr=*/true);
    if (word.empty()) return Error("expected an operand");
    // Bare words: keywords, otherwise a string (jayway tolerates `@.key == value`).
    if (word == "true") {
      e->literal = true;
    } else if (word == "false") {
      e->literal = false;
    } else if (word == "null") {
      e->literal = nullptr;
    } else {
      e->literal = word;
    }
    return std::shared_ptr<const Expr>(e);
  }

  static std::shared_ptr<const Expr> Binary(Expr::Kind kind, std::string op,
                                            std::shared_ptr<const Expr> lhs,
                                            std::shared_ptr<const Expr> rhs) {
    auto e = std::make_shared<Expr>();
    e->kind = kind;
    e->op = std::move(op);
    e->lhs = std::move(lhs);
    e->rhs = std::move(rhs);
    return e;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
  int depth_ = 0;  // NestingGuard
};

// ---- evaluation ----

void Apply(const SegmentList& segs, size_t i, const Json& node, const Json& root,
           std::vector<const Json*>& out);

std::optional<Json> EvalExpr(const Expr& e, const Json& current, const Json& root);

bool Truthy(const std::optional<Json>& v) {
  if (!v) return false;
  if (v->is_boolean()) return v->get<bool>();
  return !v->is_null();
}

std::optional<Json> EvalRelPath(const SegmentList& path, const Json& start, const Json& root) {
  // `.length` on an array (jayway's script extension) yields its size.
  if (!path.empty() && path.back()->kind == Segment::Kind::kChild &&
      path.back()->name == "length") {
    SegmentList prefix(path.begin(), path.end() - 1);
    std::vector<const Json*> base;
    Apply(prefix, 0, start, root, base);
    if (base.size() == 1 && base[0]->is_array()) return Json(base[0]->size());
  }
  std::vector<const Json*> matches;
  Apply(path, 0, start, root, matches);
  if (matches.empty()) return std::nullopt;
  return *matches.front();
}

std::optional<Json> EvalExpr(const Expr& e, const Json& current, const Json& root) {
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      return e.literal;
    case Expr::Kind::kCurrent:
      return EvalRelPath(e.path, current, root);
    case Expr::Kind::kRoot:
      return EvalRelPath(e.path, root, root);
    case Expr::Kind::kNot:
      return Json(!Truthy(EvalExpr(*e.lhs, current, root)));
    case Expr::Kind::kAnd:
      return Json(Truthy(EvalExpr(*e.lhs, current, root)) &&
                  Truthy(EvalExpr(*e.rhs, current, root)));
    case Expr::Kind::kOr:
      return Json(Truthy(EvalExpr(*e.lhs, current, root)) ||
                  Truthy(EvalExpr(*e.rhs, current, root)));
    case Expr::Kind::kAdd:
    case Expr::Kind::kSub: {
      auto a = EvalExpr(*e.lhs, current, root);
      auto b = EvalExpr(*e.rhs, current, root);
      if (!a || !b || !a->is_number() || !b->is_number()) return std::nullopt;
      if (a->is_number_integer() && b->is_number_integer()) {
        int64_t x = a->get<int64_t>(), y = b->get<int64_t>(), r = 0;
        bool overflow = e.kind == Expr::Kind::kAdd ? __builtin_add_overflow(x, y, &r)
                                                   : __builtin_sub_overflow(x, y, &r);
        if (!overflow) return Json(r);  // else as doubles, like JSON numbers beyond int64
      }
      double x = a->get<double>(), y = b->get<double>();
      return Json(e.kind == Expr::Kind::kAdd ? x + y : x - y);
    }
    case Expr::Kind::kRegex: {
      auto a = EvalExpr(*e.lhs, current, root);
      if (!a || !a->is_string() || !e.rhs->regex) return Json(false);
      return Json(e.rhs->regex->Matches(a->get<std::string>()));
    }
    case Expr::Kind::kCompare: {
      auto a = EvalExpr(*e.lhs, current, root);
      auto b = EvalExpr(*e.rhs, current, root);
      if (!a || !b) return Json(e.op == "!=" && a.has_value() != b.has_value());
      if (e.op == "==") return Json(*a == *b);
      if (e.op == "!=") return Json(*a != *b);
      bool comparable = (a->is_number() && b->is_number()) || (a->is_string() && b->is_string());
      if (!comparable) return Json(false);
      if (e.op == "<") return Json(*a < *b);
      if (e.op == "<=") return Json(*a <= *b);
      if (e.op == ">") return Json(*a > *b);
      return Json(*a >= *b);
    }
  }
  return std::nullopt;
}

int64_t NormalizeIndex(int64_t i, int64_t size) { return i < 0 ? i + size : i; }

void ApplyOne(const Segment& seg, const Json& node, const Json& root,
              const std::function<void(const Json&)>& emit);

void Descend(const Segment& inner, const Json& node, const Json& root,
             const std::function<void(const Json&)>& emit) {
  ApplyOne(inner, node, root, emit);
  if (node.is_object() || node.is_array()) {
    for (const auto& child : node) Descend(inner, child, root, emit);
  }
}

void ApplyOne(const Segment& seg, const Json& node, const Json& root,
              const std::function<void(const Json&)>& emit) {
  switch (seg.kind) {
    case Segment::Kind::kChild:
      if (node.is_object()) {
        auto it = node.find(seg.name);
        if (it != node.end()) emit(*it);
      }
      return;
    case Segment::Kind::kIndex:
      if (node.is_array()) {
        int64_t i = NormalizeIndex(seg.index, static_cast<int64_t>(node.size()));
        if (i >= 0 && i < static_cast<int64_t>(node.size())) emit(node[static_cast<size_t>(i)]);
      }
      return;
    case Segment::Kind::kWildcard:
      if (node.is_object() || node.is_array()) {
        for (const auto& child : node) emit(child);
      }
      return;
    case Segment::Kind::kUnion:
      for (const Json& key : seg.keys) {
        if (key.is_string() && node.is_object()) {
          auto it = node.find(key.get<std::string>());
          if (it != node.end()) emit(*it);
        } else if (key.is_number_integer() && node.is_array()) {
          int64_t i = NormalizeIndex(key.get<int64_t>(), static_cast<int64_t>(node.size()));
          if (i >= 0 && i < static_cast<int64_t>(node.size())) emit(node[static_cast<size_t>(i)]);
        }
      }
      return;
    case Segment::Kind::kSlice: {
      if (!node.is_array()) return;
      int64_t n = static_cast<int64_t>(node.size());
      int64_t step = seg.step;
      if (step > 0) {
        int64_t start = seg.start ? std::clamp(NormalizeIndex(*seg.start, n), int64_t{0}, n) : 0;
        int64_t end = seg.end ? std::clamp(NormalizeIndex(*seg.end, n), int64_t{0}, n) : n;
        for (int64_t i = start; i < end;) {
          emit(node[static_cast<size_t>(i)]);
          if (__builtin_add_overflow(i, step, &i)) break;
        }
      } else {
        int64_t start =
            seg.start ? std::clamp(NormalizeIndex(*seg.start, n), int64_t{-1}, n - 1) : n - 1;
        int64_t end = seg.end ? std::clamp(NormalizeIndex(*seg.end, n), int64_t{-1}, n - 1) : -1;
        for (int64_t i = start; i > end;) {
          emit(node[static_cast<size_t>(i)]);
          if (__builtin_add_overflow(i, step, &i)) break;
        }
      }
      return;
    }
    case Segment::Kind::kFilter:
      if (node.is_array() || node.is_object()) {
        for (const auto& child : node) {
          if (Truthy(EvalExpr(*seg.expr, child, root))) emit(child);
        }
      }
      return;
    case Segment::Kind::kScript: {
      auto v = EvalExpr(*seg.expr, node, root);
      if (!v) return;
      if (v->is_number_integer() && node.is_array()) {
        int64_t i = NormalizeIndex(v->get<int64_t>(), static_cast<int64_t>(node.size()));
        if (i >= 0 && i < static_cast<int64_t>(node.size())) emit(node[static_cast<size_t>(i)]);
      } else if (v->is_string() && node.is_object()) {
        auto it = node.find(v->get<std::string>());
        if (it != node.end()) emit(*it);
      }
      return;
    }
    case Segment::Kind::kDescend:
      Descend(*seg.inner, node, root, emit);
      return;
  }
}

void Apply(const SegmentList& segs, size_t i, const Json& node, const Json& root,
           std::vector<const Json*>& out) {
  if (i == segs.size()) {
    out.push_back(&node);
    return;
  }
  ApplyOne(*segs[i], node, root, [&](const Json& child) { Apply(segs, i + 1, child, root, out); });
}

}  // namespace

JsonPath::JsonPath() : text_("$") {}
JsonPath::~JsonPath() = default;
JsonPath::JsonPath(const JsonPath&) = default;
JsonPath& JsonPath::operator=(const JsonPath&) = default;
JsonPath::JsonPath(JsonPath&&) noexcept = default;
JsonPath& JsonPath::operator=(JsonPath&&) noexcept = default;

bool LooksLikePath(std::string_view text) { return !text.empty() && text[0] == '$'; }

Result<JsonPath> JsonPath::Parse(std::string_view text) {
  // Member names and literals end up in JSON documents, whose writer throws on non-UTF-8.
  if (FindInvalidUtf8(text) != std::string_view::npos) {
    return Status::InvalidArgument("invalid JSONPath: not UTF-8 text");
  }
  JsonPath path;
  path.text_ = std::string(text);
  Parser p(text);
  if (!p.Consume("$")) return p.Error("a path must start with '$'");
  if (p.Consume("$")) {
    path.root_ = PathRoot::kContext;
  } else if (!p.AtEnd() && p.Peek() != '.' && p.Peek() != '[') {
    std::string name = p.ParseName();
    if (name.empty()) return p.Error("expected '.', '[' or a variable name after '$'");
    path.root_ = PathRoot::kVariable;
    path.variable_ = std::move(name);
  }
  STRATA_RETURN_IF_ERROR(p.ParseSegments(path.segments_, /*in_expr=*/false));
  return path;
}

bool JsonPath::IsDefinite() const {
  for (const auto& seg : segments_) {
    if (seg->kind != Segment::Kind::kChild && seg->kind != Segment::Kind::kIndex) return false;
  }
  return true;
}

bool JsonPath::IsRoot() const { return segments_.empty(); }

Result<Json> JsonPath::Evaluate(const PathScope& scope) const {
  const Json* doc = nullptr;
  switch (root_) {
    case PathRoot::kInput:
      doc = scope.input;
      break;
    case PathRoot::kContext:
      doc = scope.context;
      break;
    case PathRoot::kVariable:
      if (scope.variables != nullptr && scope.variables->is_object()) {
        auto it = scope.variables->find(variable_);
        if (it != scope.variables->end()) doc = &*it;
      }
      break;
  }
  if (doc == nullptr) return Status::NotFound("Invalid path '" + text_ + "'");
  return EvaluateOn(*doc);
}

Result<Json> JsonPath::EvaluateOn(const Json& document) const {
  std::vector<const Json*> matches;
  Apply(segments_, 0, document, document, matches);
  if (IsDefinite()) {
    if (matches.empty()) return Status::NotFound("Invalid path '" + text_ + "'");
    return *matches.front();
  }
  Json out = Json::array();
  for (const Json* m : matches) out.push_back(*m);
  return out;
}

const Json* JsonPath::Find(const Json& document) const {
  std::vector<const Json*> matches;
  Apply(segments_, 0, document, document, matches);
  return matches.empty() ? nullptr : matches.front();
}

Status JsonPath::Assign(Json& document, Json value) const {
  if (!IsDefinite()) {
    return Status::InvalidArgument("'" + text_ + "' is not a reference path");
  }
  Json* node = &document;
  for (const auto& seg : segments_) {
    if (seg->kind == Segment::Kind::kChild) {
      if (node->is_null()) *node = Json::object();
      if (!node->is_object()) {
        return Status::FailedPrecondition("Unable to apply ResultPath '" + text_ + "': '" +
                                          seg->name + "' is not inside an object");
      }
      node = &(*node)[seg->name];
    } else {
      if (!node->is_array()) {
        return Status::FailedPrecondition("Unable to apply ResultPath '" + text_ +
                                          "': index on a non-array");
      }
      int64_t i = NormalizeIndex(seg->index, static_cast<int64_t>(node->size()));
      if (i < 0 || i >= static_cast<int64_t>(node->size())) {
        return Status::FailedPrecondition("Unable to apply ResultPath '" + text_ +
                                          "': index out of range");
      }
      node = &(*node)[static_cast<size_t>(i)];
    }
  }
  *node = std::move(value);
  return Status::OK();
}

}  // namespace strata::orchestrator
