// The JSON shapes of catalog objects that more than one front end prints (the CLI's --json and
// the HTTP API), so both always agree. Pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"

namespace strata::catalog {

// {"name", "kind", "depth"}
nlohmann::json LineageNodeJson(const LineageNode& node);
// {"from", "to", "level", "kind", "transformation", "subtype", "job", "run_id", "to_version"}
nlohmann::json LineageEdgeJson(const LineageEdgeInfo& edge);

}  // namespace strata::catalog
