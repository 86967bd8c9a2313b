// Reads the actions stored in Parquet checkpoint files (classic, multi-part parts, V2 checkpoints
// and their sidecars) through the engine: each action column is rendered with DuckDB's to_json
// and parsed by the same code as commit files (actions.h), so both paths agree on every field.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "storage/delta/actions.h"

namespace strata::delta {

// Actions of the Parquet files at `local_paths` (read together). `describe` names the
// checkpoint in errors. Columns a file does not have are treated as all-null.
Result<std::vector<Action>> ReadParquetActions(engine::Connection& connection,
                                               const std::vector<std::string>& local_paths,
                                               std::string_view describe);

// "['a', 'b']": a DuckDB list literal of quoted strings.
std::string SqlStringList(const std::vector<std::string>& items);

}  // namespace strata::delta
