// Database sources for the CLI: choosing them by name and bringing them up to date (used by
// `strata run` before the models, and `strata source sync`).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "common/result.h"
#include "ingest/mysql/source.h"
#include "pipeline/project.h"

namespace strata::cli {

// The project's database sources named in `names` (all when empty; with `follow_only`, those
// marked follow: true). NotFound naming an unknown source.
Result<std::vector<const pipeline::DatabaseSourceSpec*>> ChooseDatabaseSources(
    const pipeline::Project& project, const std::vector<std::string>& names, bool follow_only);

// Syncs the chosen sources one after the other; progress lines go to `progress` if not null.
// Returns a JSON array of reports; the first failure stops and is returned.
Result<nlohmann::json> SyncDatabaseSources(const pipeline::Project& project,
                                           const std::vector<std::string>& names,
                                           std::ostream* progress);

nlohmann::json SyncReportJson(const std::string& source, const ingest::mysql::SyncReport& r);

}  // namespace strata::cli
