// Intrinsic functions of Amazon States Language (`States.Format('{}', $.x)` and friends), usable
// wherever a JSONPath-mode payload template has a `.$` key, and in Fail's ErrorPath/CausePath.
//
// Compile once (at definition load), evaluate many times; a compiled call is immutable and
// thread-safe. Compile checks syntax, the function name, arity and the types of literal
// arguments (so `States.MathAdd(1, '-1')` is a definition error). Evaluation returns
// InvalidArgument with AWS-like wording when an argument has the wrong type at run time (the
// interpreter reports it as States.IntrinsicFailure) and NotFound when a path argument selects
// nothing (States.Runtime).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "orchestrator/json_path.h"

namespace strata::orchestrator {

// Randomness for States.UUID and States.MathRandom; tests may pin it. Must be thread-safe.
struct IntrinsicEnv {
  std::function<std::string()> uuid;                // a random v4 UUID
  std::function<int64_t(int64_t, int64_t)> random;  // uniform in [lo, hi)
};
// The process default: a thread-safe std::mt19937_64 seeded from std::random_device.
const IntrinsicEnv& DefaultIntrinsicEnv();

class IntrinsicCall {
 public:
  // Parses `text`, which must start with "States.". InvalidArgument names the problem.
  static Result<IntrinsicCall> Parse(std::string_view text);

  IntrinsicCall();
  ~IntrinsicCall();
  IntrinsicCall(const IntrinsicCall&);
  IntrinsicCall& operator=(const IntrinsicCall&);
  IntrinsicCall(IntrinsicCall&&) noexcept;
  IntrinsicCall& operator=(IntrinsicCall&&) noexcept;

  const std::string& text() const { return text_; }
  Result<Json> Evaluate(const PathScope& scope,
                        const IntrinsicEnv& env = DefaultIntrinsicEnv()) const;

  struct Node;

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
};

// True when `text` looks like an intrinsic call ("States.Xxx(").
bool LooksLikeIntrinsic(std::string_view text);

// Renders a JSON value the way AWS's States.Format does: strings raw, objects as {k=v, ...}.
std::string FormatArgument(const Json& value);

}  // namespace strata::orchestrator
