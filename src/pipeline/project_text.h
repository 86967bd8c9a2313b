// One project file parsed from text rather than from the project directory: for tools and the
// fuzz target (fuzz/project_yaml_fuzz.cc). Thread-safe (pure functions).
#pragma once

#include <string>

#include "common/status.h"
#include "pipeline/project.h"

namespace strata::pipeline {

// One project file's text, parsed into `project` the way LoadProject parses that file on disk
// (what LoadProject adds on top: reading directories, model names from paths, one definition per
// table). kModel is a model's .sql (its `/*--- ... ---*/` header) and kModelMeta its .yaml; both
// append a ModelSpec with an empty table name. `display` names the file in messages. Errors as
// LoadProject.
enum class ProjectFile { kConfig, kSources, kModel, kModelMeta };
Status ParseProjectText(ProjectFile kind, std::string text, const std::string& display,
                        Project& project);

}  // namespace strata::pipeline
