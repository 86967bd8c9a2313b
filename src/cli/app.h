// The strata command line. RunCli parses argv, runs one subcommand and returns the process exit
// code: 0 on success, 1 when the command failed, 2 for bad usage. Errors are one line on `err`
// ("strata: error: ..."); data goes to `out`.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>
#include <string>

#include "common/status.h"

namespace strata::cli {

// State shared by all subcommands: the streams and the options every command accepts.
struct CommandContext {
  std::ostream* out;
  std::ostream* err;
  std::string log_level = "warn";
  // Set by the chosen subcommand's parse callback; run after parsing succeeded.
  std::function<Status()> action;
};

// Each subcommand file adds itself to the app (see sql_command.cc).
void AddSqlCommand(CLI::App& app, CommandContext& context);
// run, test (run_command.cc); init, demo (project_commands.cc).
void AddRunCommands(CLI::App& app, CommandContext& context);
void AddProjectCommands(CLI::App& app, CommandContext& context);
void AddCatalogCommand(CLI::App& app, CommandContext& context);
void AddLineageCommand(CLI::App& app, CommandContext& context);
void AddTableCommand(CLI::App& app, CommandContext& context);

int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

// "strata 0.1.0 (DuckDB v1.4.4)".
std::string VersionString();

}  // namespace strata::cli
