// Validation of ASL documents: the structural rules of the official ASL JSON Schema (required
// and allowed fields per state type and query language, field types and ranges) plus the
// semantic rules AWS enforces on deploy: Next/Default/Catch targets exist in the same scope,
// every state is reachable, each (sub-)machine has a terminal state, state names are unique
// and at most 80 characters, exactly one of Next/End, mutually exclusive fields (Seconds vs
// SecondsPath, ...), JSONPath / intrinsic / JSONata syntax, payload templates without keys that
// collide once ".$" is stripped, and the Task Resource format.
//
// Duplicate JSON object keys cannot be seen in a parsed value; the loader (loader.h) rejects
// them while parsing.
//
// Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace strata::orchestrator {

using Json = nlohmann::json;

struct ValidationOptions {
  // Check the syntax of paths, intrinsic calls and JSONata expressions.
  bool check_paths = true;
  // Check Task "Resource" strings: an AWS ARN (`arn:<partition>:<service>:<region>:<account>:
  // <type>:<name>[:<qualifier>]`), a CloudFormation substitution `${...}`, a CloudFormation
  // object ({"Ref": ...} / {"Fn::GetAtt": ...}), or a strata step URI `strata:<kind>[:...]`.
  bool check_arn = true;
};

struct ValidationError {
  std::string pointer;  // JSON pointer of the offending value ("/States/A/Next")
  std::string state;    // the state's name ("" for machine-level errors)
  std::string field;    // the field ("Next", "Retry[0].ErrorEquals", ...)
  std::string message;

  // "state 'A': field 'Next': target 'B' does not exist".
  std::string ToString() const;
};

// Returns every problem found (empty when valid).
std::vector<ValidationError> ValidateDefinition(const Json& definition,
                                                const ValidationOptions& options = {});

// OK, or InvalidArgument whose message lists the problems, one per line.
Status Validate(const Json& definition, const ValidationOptions& options = {});

}  // namespace strata::orchestrator
