// Pipeline files: `pipelines/NAME.yaml` (or .yml, or ASL `.json` as is). A file is an Amazon
// States Language document plus a few strata keys, which are lower-case so they never collide
// with ASL's capitalised ones:
//
//   description: Loads the landing files into bronze.   # default: the ASL Comment
//   owner: time-engenharia
//   tags: [bronze]
//   schedule: "0 6 * * *"          # or a list; 5-field cron in UTC (cron.h)
//   triggers:                       # a file landed: start a run with input {"file": {...}}
//     - file: "pedidos*.csv"        # glob on the landing-relative path (or its base name)
//       source: pedidos             # optional: only files of this landing source
//     - table: bronze.pedidos       # each new committed Delta version of the table starts a
//                                   # run with input {"table", "version", "operation"}
//   StartAt: Load
//   States: {...}
//
// Task resources are strata steps (strata_executor.h): strata:ingest, strata:model,
// strata:test, strata:command. Errors name the file, the line (YAML), the state and the field:
// "pipelines/x.yaml:12: state 'Load': field 'Resource': unknown strata step 'strata:ingset'".
// Pure functions; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "orchestrator/definition.h"
#include "orchestrator/service/service.h"

namespace strata::orchestrator::service {

struct LoadedPipeline {
  PipelineInfo info;
  std::shared_ptr<const StateMachine> machine;
};

// Parses and checks `text` as the pipeline `name`; `file` names it in messages.
Result<LoadedPipeline> ParsePipeline(const std::string& name, const std::string& file,
                                     const std::string& text);
// Reads `<project_root>/<file>`.
Result<LoadedPipeline> LoadPipelineFile(const std::string& project_root, const std::string& file);
// Project-relative paths of every pipelines/*.yaml|*.yml|*.json, sorted; none if no pipelines/.
std::vector<std::string> PipelineFiles(const std::string& project_root);
// The pipeline `name` of the project at `root`; NotFound naming close names.
Result<LoadedPipeline> LoadNamedPipeline(const std::string& root, const std::string& name);
// "pipelines/daily.yaml" -> "daily".
std::string PipelineName(const std::string& file);

// Compiles a stored ASL document (resume re-runs what the failed run ran).
Result<std::shared_ptr<const StateMachine>> CompileDefinition(const Json& definition,
                                                              const std::string& source);

}  // namespace strata::orchestrator::service
