// JSONPath as Amazon States Language uses it: `$` (the state input), `$$` (the context object)
// and `$name` (a variable), followed by dot/bracket members, indices (negative from the end),
// slices, unions, wildcards, recursive descent (`..`), filter expressions (`[?(@.a == 1)]`) and
// script indices (`[(@.length-1)]`).
//
// A path is *definite* (a "Reference Path" in the spec) when it can only select one node: only
// members and single indices. Evaluating a definite path yields that node, or NotFound; an
// indefinite path yields the JSON array of every match (possibly empty), as AWS does.
//
// Parsed paths are immutable and thread-safe to evaluate concurrently.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace strata::orchestrator {

using Json = nlohmann::json;

// What a path is evaluated against.
enum class PathRoot { kInput, kContext, kVariable };

// The documents a path can start from. `variables` is an object name -> value (may be null when
// the machine declares no variables).
struct PathScope {
  const Json* input = nullptr;
  const Json* context = nullptr;
  const Json* variables = nullptr;
};

class JsonPath {
 public:
  // Parses `text`. InvalidArgument names the offending position on bad syntax.
  static Result<JsonPath> Parse(std::string_view text);

  JsonPath();  // "$"
  ~JsonPath();
  JsonPath(const JsonPath&);
  JsonPath& operator=(const JsonPath&);
  JsonPath(JsonPath&&) noexcept;
  JsonPath& operator=(JsonPath&&) noexcept;

  const std::string& text() const { return text_; }
  PathRoot root() const { return root_; }
  // For PathRoot::kVariable: the variable name.
  const std::string& variable() const { return variable_; }
  bool IsDefinite() const;
  // True for the bare root ("$", "$$", "$var").
  bool IsRoot() const;

  // Evaluates against the document selected by root(). NotFound (message "Invalid path '...'")
  // when a definite path selects nothing or its root document is missing.
  Result<Json> Evaluate(const PathScope& scope) const;
  // Evaluates against an explicit root document, ignoring root().
  Result<Json> EvaluateOn(const Json& document) const;
  // Returns a pointer into `document` for a definite path, or nullptr when absent.
  const Json* Find(const Json& document) const;

  // Sets the node addressed by this definite path in `document` to `value`, creating missing
  // object members on the way (ResultPath semantics). FailedPrecondition when an existing node
  // on the way is not an object/array that can hold the next step.
  Status Assign(Json& document, Json value) const;

  struct Segment;
  struct Expr;

 private:
  std::string text_;
  PathRoot root_ = PathRoot::kInput;
  std::string variable_;
  std::vector<std::shared_ptr<const Segment>> segments_;
};

// True when `text` starts like a path ("$..."), as opposed to an intrinsic function call.
bool LooksLikePath(std::string_view text);

}  // namespace strata::orchestrator
