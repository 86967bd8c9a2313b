// OrchestratorService's state, shared by service.cc (runs) and triggers.cc (schedules, file
// arrivals, backfill). Not a public header.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "orchestrator/interpreter.h"
#include "orchestrator/service/pipeline_file.h"
#include "orchestrator/service/run_store.h"
#include "orchestrator/service/service.h"
#include "orchestrator/service/strata_executor.h"

namespace strata::orchestrator::service {

struct OrchestratorService::Impl {
  ServiceOptions options;
  std::string root;  // absolute project directory
  std::string catalog_location;
  std::string log_dir;
  std::string worker;
  Clock* clock = nullptr;
  std::unique_ptr<RunStore> store;
  std::unique_ptr<StrataExecutor> executor;
  std::unique_ptr<Interpreter> interpreter;

  struct Active {
    CancellationSource cancel;
  };
  std::mutex mu;
  std::condition_variable cv;  // pending work / stopping: workers wait on it
  // The watchdog waits apart: a notify_one on `cv` that woke it would leave a run queued.
  std::condition_variable stopped_cv;
  std::condition_variable done_cv;  // a local run finished
  std::deque<std::string> pending;
  std::map<std::string, std::shared_ptr<Active>> running;
  bool stopping = false;
  bool cancel_all = false;
  bool stopped = false;
  std::vector<std::thread> workers;
  std::thread watchdog;

  std::mutex catalog_mu;
  std::unique_ptr<catalog::Catalog> catalog;

  // Scheduler state: the clock time of the previous tick (-1 before the first).
  std::mutex scheduler_mu;
  int64_t last_tick = -1;
  std::set<std::string> warned;  // pipeline errors already logged (once each)

  int64_t last_recover = 0;  // monotonic micros of the last lost-run check

  // Project runs of this process run one at a time: they commit to the same lake.
  std::mutex project_mu;

  void WorkerLoop();
  void WatchdogLoop();
  // Claims `run_id` (if still QUEUED) and runs it.
  void Execute(const std::string& run_id);
  // Runs a run this process has claimed, and records its end.
  void RunClaimed(const std::string& run_id);
  // A claimed run is `running` here (its cancellation reaches it) until Finish records its end.
  std::shared_ptr<Active> Track(const std::string& run_id);
  void Finish(const std::string& run_id, const RunEnd& end);
  RunEnd ExecuteMachine(const std::string& run_id, const StoredRun& stored, Active& active);
  // project_run.cc: a claimed run of kProjectPipeline, its end and the runner's record.
  struct ProjectOutcome {
    RunEnd end;
    Result<pipeline::RunRecord> record = Status::Internal("the project did not run");
  };
  ProjectOutcome ExecuteProject(const std::string& run_id, const ProjectRunOptions& options,
                                Active& active);
  // The new run of kProjectPipeline `options` describe (QUEUED when created).
  NewRun NewProjectRun(const ProjectRunOptions& options);
  Result<std::string> ResumeProject(const StoredRun& old, const std::string& trigger,
                                    bool queue_only);
  // Marks runs of dead workers FAILED and resumes them (ServiceOptions::recover_lost_runs).
  void RecoverLost();
  void Notify(const std::string& run_id, const std::string& status);
  // Part of SchedulerTick: starts runs for new Delta versions of trigger tables (triggers.cc).
  void TickTableTriggers(const std::vector<PipelineInfo>& pipelines, int64_t now,
                         std::vector<std::string>& started);
  // Records the run QUEUED; runs it here unless `queue_only` or options.queue_only.
  Result<std::string> Enqueue(NewRun run, bool queue_only = false);
  Result<std::string> ResumeRun(const std::string& run_id, const std::string& trigger,
                                bool queue_only);
  Result<LoadedPipeline> Load(const std::string& name);
  // Starts `pipeline`; `run_id` "" = a new id.
  Result<std::string> Start(const std::string& pipeline, const Json& input,
                            const StartOptions& opts, const std::string& run_id);
  // Registers the pipeline and its states in the catalog (best effort: logged on failure).
  void SyncCatalog(const PipelineInfo& info);
};

// A project run's input ({"command", "select", "layer"}) and back; InvalidArgument naming the
// field when a stored input is not one.
Json ProjectRunInput(const pipeline::RunOptions& run);
Result<ProjectRunOptions> ProjectRunFromInput(const Json& input);

}  // namespace strata::orchestrator::service
