// Shared by `strata pipeline`, `strata runs` and `strata scheduler` (pipeline_command.cc,
// runs_command.cc, scheduler_command.cc): opening the orchestrator service of a project,
// Ctrl-C handling, waiting for a run with terminal progress, and the human summaries.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "cli/app.h"
#include "orchestrator/service/service.h"
#include "pipeline/project.h"
#include "pipeline/runner.h"

namespace strata::cli {

struct PipelineCliOptions {
  std::string project = ".";
  std::string catalog;  // --catalog overrides strata.yaml's
  bool json = false;
};

// Adds --project, --catalog and --json to `command`.
void AddPipelineCliOptions(CLI::App* command, PipelineCliOptions& options);

// With `create` false (reading commands), a missing SQLite catalog is NotFound instead of a new
// empty database.
Result<std::unique_ptr<orchestrator::service::OrchestratorService>> OpenService(
    const PipelineCliOptions& options, int max_concurrent_runs = 4, bool create = true);
// The same with the rest of `base` (worker and scheduler settings); project, catalog and
// max_concurrent_runs come from `options` / `max_concurrent_runs`.
Result<std::unique_ptr<orchestrator::service::OrchestratorService>> OpenService(
    const PipelineCliOptions& options, int max_concurrent_runs,
    orchestrator::service::ServiceOptions base);

// Runs the project's built-in pipeline (`strata run`, `strata test`, `strata demo`) in this
// thread as a run of the project's run store (orchestrator/service/service.h RunProject), so
// `strata runs show` finds the id the record carries.
Result<pipeline::RunRecord> RunProjectPipeline(const pipeline::Project& project,
                                               const pipeline::RunOptions& run);

// SIGINT/SIGTERM set a flag instead of killing the process while the guard lives (so runs are
// cancelled and recorded, not left RUNNING).
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  static bool Interrupted();
};

// Waits for `run_id`; on a terminal (and without --json) prints each state as it finishes on
// `err`. Ctrl-C cancels the run and keeps waiting for it to stop.
Result<orchestrator::service::RunSummary> WaitWithProgress(
    orchestrator::service::OrchestratorService& service, const std::string& run_id,
    bool show_progress, std::ostream& err);

// Prints the run (detail JSON with --json, else a summary with its states) and returns OK only
// if it SUCCEEDED (else FailedPrecondition naming the error and where to look).
Status ReportRun(orchestrator::service::OrchestratorService& service,
                 const orchestrator::service::RunSummary& run, bool json, std::ostream& out);

// "12.3s", "450ms".
std::string FormatMillis(int64_t millis);

}  // namespace strata::cli
