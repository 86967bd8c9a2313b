// The TaskExecutor for strata steps. Resource syntax (Parameters may use ".$" paths as usual):
//
//   strata:ingest    {select: [source, ...]}        new landing files into bronze; no select =
//                                                   every source of the project
//   strata:model     {select: [name, ...], layer: silver}   build models (and test them before
//                                                   committing); no select/layer = every model
//   strata:test      {select: [...], layer: gold}   run the tests of committed tables only
//   strata:command   {command: "sh text" | [argv...], env: {K: V}, cwd: dir, input: JSON}
//
// `strata:<kind>:<name>` is short for {select: [name]}. Names follow `strata run --select`
// (layer.name or name; +name / name+ add upstream / downstream).
//
// Results: ingest/model/test return {"run_record": the run's id (its tables are recorded in the
// catalog under it), "status", "nodes": [{table, status,
// rows_written, rows_quarantined, tests_passed, tests_failed, error}]}; when a node fails the
// task fails with States.TaskFailed and a cause listing the failed nodes. A command's result
// is its stdout parsed as JSON (else its last line as JSON, else {"stdout": text}; empty =
// null); exit status non-zero is States.TaskFailed with the exit status and stderr's tail in
// the cause. The command gets `input` (e.g. "input.$": "$" for the state's input; default: the
// effective task input) as JSON on stdin and STRATA_RUN_ID,
// STRATA_STATE, STRATA_ATTEMPT, STRATA_PROJECT in its environment; cwd defaults to the
// project root. Cancellation (run cancelled, TimeoutSeconds) terminates its process group;
// output counts as a heartbeat. Ingest and model steps of one process run one at a time (they
// commit to the same lake); cancelling one lets its current commit finish.
//
// Logs: each attempt appends to the file the run store chose for it (SetCurrentTaskLog);
// commands log their stdout and stderr, ingest/model/test one line per table.
// Thread-safe.
#pragma once

#include <mutex>
#include <string>

#include "common/status.h"
#include "orchestrator/executor.h"

namespace strata::orchestrator::service {

// Checks a Task resource at load time: strata kinds must be known and commands need a
// `command` parameter. Non-strata resources (ARNs) pass: they fail at run time.
Status CheckStepResource(const std::string& resource, const Json& parameters);

// The log file of the task attempt about to run on this thread; set by the run store's
// observer on TaskStarted (it runs on the thread that then calls Execute). "" = no log.
void SetCurrentTaskLog(const std::string& path);
const std::string& CurrentTaskLog();

class StrataExecutor final : public TaskExecutor {
 public:
  // `project_root`: absolute directory of strata.yaml.
  explicit StrataExecutor(std::string project_root);
  TaskResult Execute(const TaskRequest& request, TaskContext& ctx) override;

 private:
  TaskResult RunProjectStep(const std::string& kind, const Json& params, const TaskRequest& request,
                            TaskContext& ctx);
  TaskResult RunCommandStep(const Json& params, const TaskRequest& request, TaskContext& ctx);

  std::string project_root_;
  std::mutex lake_mu_;  // one ingest/model step at a time
};

}  // namespace strata::orchestrator::service
