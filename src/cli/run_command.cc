// strata run / strata test: run a project's pipeline, or only its tests.
#include <memory>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/pipeline_support.h"
#include "cli/run_output.h"
#include "cli/source_sync.h"
#include "orchestrator/service/service.h"
#include "pipeline/project.h"
#include "pipeline/runner.h"

namespace strata::cli {
namespace {

struct RunCommandOptions {
  std::string project = ".";
  std::vector<std::string> select;
  std::string layer;
  bool json = false;
  int workers = 0;
  bool full_refresh = false;
};

Status RunPipeline(const RunCommandOptions& options, bool test_only, CommandContext& context) {
  STRATA_ASSIGN_OR_RETURN(pipeline::Project project, pipeline::LoadProject(options.project));
  if (!test_only) {
    // Database sources first: each is brought up to the source's current position (the first
    // time: a snapshot), so the models see it.
    Result<nlohmann::json> synced =
        SyncDatabaseSources(project, {}, options.json ? nullptr : context.err);
    if (!synced.ok()) return synced.status().WithContext("database sources");
  }
  pipeline::RunOptions run;
  run.selection.names = options.select;
  run.selection.layer = options.layer;
  run.test_only = test_only;
  run.workers = options.workers;
  run.full_refresh = options.full_refresh;
  if (!options.json) run.progress = TerminalProgress(*context.err);
  // Ctrl-C (or SIGTERM) cancels the run instead of killing it: the table being built commits
  // nothing, those already committed stay, and the record says cancelled.
  InterruptGuard guard;
  run.cancel =
      std::make_shared<pipeline::CancelToken>([] { return InterruptGuard::Interrupted(); });
  STRATA_ASSIGN_OR_RETURN(pipeline::RunRecord record, RunProjectPipeline(project, run));
  if (options.json) {
    *context.out << pipeline::RunRecordJson(record);
  } else {
    WriteRunSummary(record, *context.out);
  }
  return RunOutcome(record);
}

void AddCommand(CLI::App& app, CommandContext& context, bool test_only) {
  auto options = std::make_shared<RunCommandOptions>();
  CLI::App* command =
      test_only
          ? app.add_subcommand("test",
                               "Run the tests of a project's tables as they are in the lake "
                               "(nothing is loaded or committed)")
          : app.add_subcommand("run",
                               "Run a project: load new landing files into bronze, build every "
                               "model in dependency order, test each layer");
  command->add_option("--project", options->project, "Project directory (holds strata.yaml)")
      ->capture_default_str();
  command
      ->add_option("--select", options->select,
                   "Only these sources/models: layer.name or name; +name adds its upstream, "
                   "name+ its downstream")
      ->expected(1, -1);
  command->add_option("--layer", options->layer, "Only this layer (bronze, silver, gold, ...)");
  command
      ->add_option("--workers", options->workers,
                   "Tables built in parallel (0 = up to 4, by cores)")
      ->check(CLI::NonNegativeNumber);
  command->add_flag("--json", options->json, "Print the run record as JSON instead of a table");
  if (!test_only) {
    command->add_flag("--full-refresh", options->full_refresh,
                      "Rebuild incremental tables from all their input (apply_changes: every "
                      "change of the source table)");
  }
  command->callback([options, &context, test_only] {
    context.action = [options, &context, test_only] {
      return RunPipeline(*options, test_only, context);
    };
  });
}

}  // namespace

void AddRunCommands(CLI::App& app, CommandContext& context) {
  AddCommand(app, context, false);
  AddCommand(app, context, true);
}

}  // namespace strata::cli
