// Loading state-machine definitions from text: Amazon States Language JSON as is, or the same
// structure written in YAML (`pipelines/*.yaml`).
//
// JSON objects with duplicate keys are rejected (the value would otherwise silently be the
// last one). YAML errors, and validation errors of YAML definitions, carry the file line.
// Library exceptions (nlohmann, yaml-cpp) are caught here and become InvalidArgument.
//
// Pure functions; thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "orchestrator/definition.h"
#include "orchestrator/validator.h"

namespace strata::orchestrator {

enum class DefinitionFormat { kAuto, kJson, kYaml };

// JSON pointer ("/States/A/Next") -> 1-based line, filled for YAML input.
using LineMap = std::map<std::string, int>;

// Parses text into a JSON value. kAuto picks JSON when the first non-blank character is '{'.
// `source` names the file in messages. InvalidArgument on syntax errors ("file.yaml:12:3: ...")
// and duplicate keys.
Result<Json> ParseDefinitionText(std::string_view text, DefinitionFormat format,
                                 std::string_view source, LineMap* lines = nullptr);

// Parses, validates and compiles. Validation errors are listed one per line, each naming the
// state and the field, and for YAML the line ("pipeline.yaml:14: state 'Load': field 'Next':
// target 'Lod' does not exist in this scope").
Result<std::shared_ptr<const StateMachine>> LoadDefinition(std::string_view text,
                                                           DefinitionFormat format,
                                                           std::string_view source,
                                                           const ValidationOptions& options = {});

// Validates and compiles an already parsed document (`lines` from ParseDefinitionText, may be
// empty). For callers that remove their own keys first (orchestrator/service pipeline files).
Result<std::shared_ptr<const StateMachine>> LoadDefinitionJson(
    const Json& doc, const LineMap& lines, std::string_view source,
    const ValidationOptions& options = {});

// Reads `path` (format from the extension: .json/.asl.json -> JSON, .yaml/.yml -> YAML).
// NotFound / IOError when the file cannot be read.
Result<std::shared_ptr<const StateMachine>> LoadDefinitionFile(
    const std::string& path, const ValidationOptions& options = {});

}  // namespace strata::orchestrator
