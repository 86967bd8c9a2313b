// Internal to the pipeline runner: the one DuckDB database of a run is confined to the project's
// lake and landing directories (engine::OpenConfined) with its configuration locked, because it
// runs the project's own SQL (models, custom `sql:` tests): a model cannot read /etc/passwd, the
// SFTP users file, .strata/secrets or anything else outside those two directories, cannot INSTALL
// or LOAD extensions, and cannot SET its way out. Sources read the landing and every Delta write
// goes into the lake, so the run's own work is unaffected.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "engine/engine.h"
#include "ingest/file_source.h"
#include "lake/lake.h"
#include "pipeline/project.h"

namespace strata::pipeline {

// The run's database: the project's engine threads and memory limit, confined to the lake's
// local directory (none for a non-local lake), the landing and exactly the archived copies
// `files` names (RunOptions::files: SFTP arrivals are read from .strata/sftp/objects/),
// configuration locked. FailedPrecondition when the lake or the landing is the project directory
// itself or holds .strata/ (then models could read the project's secrets).
Result<std::unique_ptr<engine::Database>> OpenRunDatabase(
    const Project& project, const lake::Lake& lake,
    const std::map<std::string, std::vector<ingest::LandedFile>>& files);

// `status` unchanged, unless it is a refused file access (engine::IsConfinementError): then
// PermissionDenied saying that `who` ("model silver.x") may read only the project's lake and
// landing, with DuckDB's message naming the file.
Status ExplainConfinement(const Status& status, std::string_view who);

}  // namespace strata::pipeline
