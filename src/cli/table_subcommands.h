// The pieces of `strata table` that live outside table_command.cc: info and history
// (table_info.cc), the maintenance commands (table_maintenance.cc) and check (table_check.cc).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "cli/app.h"
#include "common/status.h"

namespace strata::cli {

// `table` is layer.name or a path; `lake_flag` is --lake (see lake_support.h).
Status RunTableInfo(const std::string& lake_flag, const std::string& table,
                    std::optional<int64_t> version, bool json, std::ostream& out);
// Newest first; `limit` 0 = all.
Status RunTableHistory(const std::string& lake_flag, const std::string& table, int64_t limit,
                       bool json, std::ostream& out);

// Adds vacuum, optimize and checkpoint under `table`.
void AddTableMaintenanceCommands(CLI::App* table, CommandContext& context);

// Adds `check` (table_check.cc): the Delta protocol conformance of a table, a path or the lake.
void AddTableCheckCommand(CLI::App* table, CommandContext& context);

}  // namespace strata::cli
