// JSONata, as used by `QueryLanguage: JSONata` states (`"{% $states.input.x + 1 %}"`).
//
// Two levels of support, deliberately:
//  * Syntax: Parse() accepts the full JSONata grammar (paths, predicates, operators, blocks,
//    lambdas, regexes, transforms, ...) so validation rejects malformed expressions exactly
//    like the reference validator does.
//  * Evaluation: a documented subset -- literals, `$states`/variables, member paths (mapping
//    over arrays), arithmetic, comparison, `and`/`or`, `&`, `? :`, `in`, array/object
//    constructors, `( a; b )` blocks with `:=`, and the functions $exists, $count, $sum, $string,
//    $number, $not, $length, $uppercase, $lowercase, $round, $abs, $floor, $ceil. Anything else
//    makes CheckEvaluable() return Unsupported, which the definition loader reports for the
//    state and field, so a machine never fails half-way because of an unsupported construct.
//
// Parsed expressions are immutable and thread-safe to evaluate concurrently.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace strata::orchestrator {

using Json = nlohmann::json;

class JsonataExpr {
 public:
  // Parses the expression text (without the "{% %}" fence).
  static Result<JsonataExpr> Parse(std::string_view text);

  JsonataExpr();
  ~JsonataExpr();
  JsonataExpr(const JsonataExpr&);
  JsonataExpr& operator=(const JsonataExpr&);
  JsonataExpr(JsonataExpr&&) noexcept;
  JsonataExpr& operator=(JsonataExpr&&) noexcept;

  const std::string& text() const { return text_; }
  // OK when Evaluate() supports every construct used; Unsupported naming the first one if not.
  Status CheckEvaluable() const;
  // Evaluates with `bindings` (an object: variable name without '$' -> value; "states" holds
  // {input, context, result?, errorOutput?}). Returns nullopt for JSONata's "undefined".
  // InvalidArgument on type errors (the interpreter reports States.QueryEvaluationError).
  Result<std::optional<Json>> Evaluate(const Json& bindings) const;

  struct Node;

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
};

// If `s` is a "{% expr %}" string (fence with the surrounding spaces, single line, as AWS
// tooling requires) returns the expression text; otherwise nullopt.
std::optional<std::string_view> JsonataFenceBody(std::string_view s);
// True when `s` starts with "{%" (and so was meant to be a JSONata expression).
bool LooksLikeJsonata(std::string_view s);

}  // namespace strata::orchestrator
