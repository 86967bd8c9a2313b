// Internal to the JSONata implementation (jsonata.cc parses, jsonata_eval.cc evaluates).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "orchestrator/jsonata.h"

namespace strata::orchestrator {

struct JsonataExpr::Node {
  // kind: "num", "str", "bool", "null", "var", "name", "regex", "wild", "descend", "parent",
  // "binary" (op), "unary" (op "-"), "path" (lhs . rhs), "filter" (lhs [rhs]), "group"
  // (lhs {pairs}), "call" (lhs (args)), "cond" (a ? b : c), "bind" ($x := v), "block",
  // "array", "object", "lambda", "transform", "sort", "focus", "index", "chain".
  std::string kind;
  std::string op;  // operator, or the name for "var"/"name"
  Json value;      // literal value
  std::vector<std::shared_ptr<const Node>> kids;
};

namespace jsonata_internal {

// OK when the evaluator supports every construct under `node`.
Status CheckNode(const JsonataExpr::Node& node);
// Evaluates `root` with variables from `bindings` (an object). nullopt = undefined.
Result<std::optional<Json>> EvaluateRoot(const JsonataExpr::Node& root, const Json& bindings);

}  // namespace jsonata_internal
}  // namespace strata::orchestrator
