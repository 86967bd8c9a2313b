// Where a project's catalog lives: `catalog:` in strata.yaml (a SQLite path relative to the
// project, or a postgresql:// URL), defaulting to .strata/catalog.db. A deliberately small
// reader of that one top-level key, until the pipeline layer's project loader serves it.
#pragma once

#include <string>

#include "common/result.h"

namespace strata::catalog {

// `override_location` (from --catalog) wins when not empty. NotFound if `project_dir` does not
// exist; InvalidArgument if `catalog:` is present but empty or not a plain scalar.
Result<std::string> ResolveCatalogLocation(const std::string& project_dir,
                                           const std::string& override_location);

}  // namespace strata::catalog
