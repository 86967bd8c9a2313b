// The orchestrator as a product: a project's pipelines (pipelines/*.yaml, ASL JSON accepted as
// is), runs started by hand, by cron schedules, by file arrivals or by a backfill, every run
// recorded in the catalog database (run store), task logs, resume, cancel.
//
//   STRATA_ASSIGN_OR_RETURN(auto service, OrchestratorService::Open({.project_dir = "."}));
//   STRATA_ASSIGN_OR_RETURN(std::string run_id, service->StartRun("importau_chain", {}));
//   STRATA_ASSIGN_OR_RETURN(RunSummary done, service->WaitRun(run_id));
//
// Who uses it: the CLI (strata run / demo / pipeline / runs / scheduler), the HTTP server (list
// pipelines, start/resume/cancel runs, show runs and logs) and the SFTP landing zone (its loads,
// NotifyFileArrived).
//
// The service is the one owner of runs. Besides the state machines of pipelines/*.yaml, every
// project has the built-in pipeline kProjectPipeline: what `strata run` does (pipeline/runner.h:
// sources, then models in dependency order, each tested before its commit), whose states are
// the project's tables. `strata run`, `strata demo`, the API's project runs and the SFTP loads
// are runs of it (RunProject, StartProjectRun), in the same store, with the id the runner gives
// the catalog's lineage and OpenLineage; they resume (only what failed, was skipped or
// cancelled runs again) and cancel like any other run.
//
// Runs are asynchronous: StartRun records the run (QUEUED) and returns its id at once; a
// worker thread of this service claims it (RUNNING) and drives the interpreter. Each run is
// recorded in the catalog database (tables orch_runs, orch_states, orch_attempts, orch_events;
// migration 3): run, state entered/exited, attempt, input, output, error, timing. Reads
// (ListRuns, GetRun, ReadTaskLog) see runs of every process sharing the catalog, so
// `strata runs list` in one terminal shows the run another terminal started.
//
// Cancellation works across processes: Cancel marks the run in the catalog and the process
// running it (this one or another) notices within about 200 ms, fires the run's cancellation
// token, kills running command tasks and records the run ABORTED.
//
// Thread safety: every method may be called from any thread concurrently. The service owns
// its threads; the destructor cancels nothing but waits for running runs to finish (call
// Shutdown(true) first to cancel them).
// Errors: NotFound for an unknown pipeline or run id (the message names it), InvalidArgument
// for a bad definition (file, line, state and field) or bad input JSON, FailedPrecondition for
// a resume of a run that did not fail, the catalog's statuses for database failures.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/run_status.h"
#include "common/status.h"
#include "pipeline/runner.h"

namespace strata::orchestrator::service {

using Json = nlohmann::json;

// The pipeline every project has: its sources and models as `strata run` runs them.
inline constexpr const char* kProjectPipeline = "project";

// The status of a run (common/run_status.h), as stored and shown by the CLI and `--json`.
using strata::IsFinished;
using strata::ParseRunStatus;
using strata::RunStatus;
using strata::RunStatusName;

struct ServiceOptions {
  std::string project_dir = ".";  // holds strata.yaml; pipelines/ and landing/ are in it
  std::string catalog{};          // "" = the project's (strata.yaml `catalog:`)
  Clock* clock = nullptr;         // not owned; nullptr = Clock::System() (tests: FakeClock)
  int max_concurrent_runs = 4;    // runs executing at once in this process
  int max_threads_per_run = 8;    // Parallel/Map workers of one run
  std::string worker_id{};        // "" = hostname:pid; recorded on the runs this process claims
  // The scheduler starts file triggers only for files unchanged for this long (real time), so
  // a file still being copied into landing/ is not taken half-written.
  int64_t file_settle_micros = 2'000'000;

  // --- sharing a catalog between processes (`strata worker`) ---
  // Idle run threads also claim QUEUED runs of any process from the catalog (polling every
  // claim_poll_micros), not only the runs this process started.
  bool claim_queued = false;
  int64_t claim_poll_micros = 1'000'000;
  // Runs started by this process are only recorded QUEUED, for workers to claim (scheduler
  // --queue); StartOptions::queue_only does the same for one run.
  bool queue_only = false;
  // How often this process refreshes the heartbeat of the runs it executes.
  int64_t heartbeat_micros = 1'000'000;
  // Every RUNNING run whose heartbeat is older than lost_after_micros (its worker was killed
  // or its host lost) is marked FAILED (error Strata.WorkerLost, the cause names the worker)
  // and resumed as a new run (trigger "recover") from the state it was in; a run recovered
  // max_recoveries times in a row is left FAILED. Off by default (workers and schedulers
  // turn it on); the first process to notice does it, once. With recovery on,
  // lost_after_micros must be at least 3 * heartbeat_micros, or a live process would take its
  // own runs for lost (Open returns InvalidArgument). Lost runs of kProjectPipeline are marked
  // FAILED but not resumed (the process that ran them owned the work: `strata pipeline resume`).
  bool recover_lost_runs = false;
  int64_t lost_after_micros = 30'000'000;
  int max_recoveries = 3;
  // Called (from service threads) when this process claims a run ("RUNNING") and when one of
  // its runs ends (the final status's name, or "LOST"); for progress output. Must be
  // thread-safe.
  std::function<void(const std::string& run_id, const std::string& status)> on_run{};
};

// One pipeline file, loaded and checked.
struct PipelineInfo {
  std::string name{};  // the file name without extension ("importau_chain")
  std::string file{};  // project-relative ("pipelines/importau_chain.yaml")
  std::string description{};
  std::string owner{};
  std::vector<std::string> tags{};
  std::vector<std::string> schedules{};  // cron expressions (5 fields, UTC)
  struct FileTrigger {
    std::string source{};   // "" = any; else a landing source (sources/*.yaml table name)
    std::string pattern{};  // glob on the landing-relative path ("pedidos*.csv")
  };
  std::vector<FileTrigger> file_triggers{};
  // A new committed Delta version of a table (by anyone: a run, a CDC batch, another process)
  // starts a run with input {"table": "layer.name", "version": N, "operation": "WRITE"}.
  struct TableTrigger {
    std::string table{};  // "bronze.pedidos", or "pedidos" (the project's only table so named)
  };
  std::vector<TableTrigger> table_triggers{};
  Json definition{};    // the ASL document (strata keys removed)
  std::string error{};  // non-empty when the file does not load (ListPipelines keeps going)
};

struct RunSummary {
  std::string run_id{};
  std::string pipeline{};  // a pipelines/*.yaml name or kProjectPipeline
  RunStatus status = RunStatus::kQueued;
  std::string trigger{};       // manual, schedule, file, table, backfill, resume, recover
  std::string trigger_info{};  // cron expression, landing path, table@version, backfill date,
                               // resumed run id
  std::string resumed_from{};  // the failed run a resume continues ("" otherwise)
  std::string partition{};     // backfill date (YYYY-MM-DD) or ""
  std::string worker{};        // who ran it
  // Project runs: {"command": "run" | "test", "select": [names], "layer": ""}.
  Json input{};
  // SUCCEEDED state machines: their output. Project runs, however they ended: the run record
  // (pipeline/run_record.h, "strata.run/1").
  Json output{};
  std::string error{}, cause{};  // FAILED / ABORTED
  std::string failed_state{};    // FAILED: top-level state to resume from
  int64_t queued_at_micros = 0, started_at_micros = 0, ended_at_micros = 0;  // 0 = not yet
  bool cancel_requested = false;
  int states = 0;         // top-level states entered so far (a project run: its tables)
  int failed_states = 0;  // of which failed
  bool finished() const { return IsFinished(status); }
};

// One run of one state (a loop re-entering a state makes another). `scope` as in
// orchestrator/observer.h: "" at top level, "Fanout/2" inside Parallel branch 2 / Map item 2.
struct StateRun {
  std::string scope{}, state{}, type{};
  int entry = 1;         // 1 for the first time this (scope, state) ran, 2 the second, ...
  std::string status{};  // RUNNING, SUCCEEDED, FAILED, CAUGHT
  Json input{}, output{};
  std::string error{}, cause{};
  int64_t entered_at_micros = 0, exited_at_micros = 0;
};

struct TaskAttempt {
  std::string scope{}, state{}, resource{};
  int attempt = 1;
  std::string status{};  // RUNNING, SUCCEEDED, FAILED
  Json input{}, output{};
  std::string error{}, cause{};
  int64_t started_at_micros = 0, ended_at_micros = 0;
  std::string log{};  // log file path ("" if the step keeps none)
};

struct RunEvent {
  int64_t seq = 0;
  std::string type{};  // observer.h EventTypeName: ExecutionStarted, TaskFailed, ...
  std::string scope{}, state{};
  int64_t time_micros = 0;
  Json detail{};  // the event's fields (input, output, error, cause, attempt, index, ...)
};

struct RunDetail {
  RunSummary run;
  std::vector<StateRun> states{};       // in entry order
  std::vector<TaskAttempt> attempts{};  // in start order
  std::vector<RunEvent> events{};       // in order
};

struct StartOptions {
  std::string trigger = "manual";
  std::string trigger_info{};
  std::string partition{};
  bool queue_only = false;  // record it QUEUED for a `strata worker`; do not run it here
};

struct RunFilter {
  std::string pipeline{};             // "" = all
  std::vector<RunStatus> statuses{};  // empty = all
  int limit = 100;                    // newest first
};

// A run of kProjectPipeline.
struct ProjectRunOptions {
  // What to run and how: selection, test_only, workers; `progress` and `cancel` are honoured
  // by RunProject (in the caller's thread), not by queued runs. run_id and sync_catalog are
  // the service's.
  pipeline::RunOptions run{};
  std::string trigger = "manual";  // manual, file (an SFTP load), resume, recover
  std::string trigger_info{};
  // The project as the caller loaded it (RunProject only; nullptr = load it from disk). It may
  // differ from the files (the SFTP loads point the landing at the arrived files).
  const pipeline::Project* project = nullptr;
};

// What the SFTP landing zone (or any ingest path) reports when a file is complete.
struct FileArrival {
  std::string source{};  // landing source name (sources/*.yaml table name), "" if unknown
  std::string path{};    // landing-relative path ("pedidos/2025-01-31.csv")
  int64_t size_bytes = 0;
  std::string sha256{};  // hex
};

struct BackfillOptions {
  std::string from{}, to{};  // inclusive dates, YYYY-MM-DD
  int concurrency = 2;
  Json input = Json::object();  // merged with {"date": "YYYY-MM-DD"} per run
};

struct BackfillItem {
  std::string date{};
  std::string run_id{};  // "" when skipped
  std::string status{};  // SKIPPED (an earlier run succeeded), SUCCEEDED, FAILED, ABORTED
};

// Pipeline files of the project in `project_dir`, read without opening the catalog (what
// OrchestratorService::ListPipelines / GetPipeline return).
Result<std::vector<PipelineInfo>> ListProjectPipelines(const std::string& project_dir);
Result<PipelineInfo> GetProjectPipeline(const std::string& project_dir, const std::string& name);

class OrchestratorService {
 public:
  // Loads the project's configuration and opens (migrating) its catalog. Pipelines are read
  // from disk on every call that needs them, so edits are picked up without a restart.
  static Result<std::unique_ptr<OrchestratorService>> Open(const ServiceOptions& options);
  ~OrchestratorService();
  OrchestratorService(const OrchestratorService&) = delete;
  OrchestratorService& operator=(const OrchestratorService&) = delete;

  // --- pipelines -----------------------------------------------------------------------
  // Every pipelines/*.yaml|*.yml|*.json, sorted by name; files that do not load are listed
  // with `error` set.
  Result<std::vector<PipelineInfo>> ListPipelines();
  // NotFound (with close names) / InvalidArgument (the definition error) .
  Result<PipelineInfo> GetPipeline(const std::string& name);

  // --- runs ----------------------------------------------------------------------------
  // Validates and records a new run, queues it and returns its id without waiting.
  Result<std::string> StartRun(const std::string& pipeline, const Json& input,
                               const StartOptions& options = {});
  // Re-runs a FAILED (or ABORTED) run from the top-level state that failed, with the input
  // that state had, as a new run (trigger "resume", resumed_from = run_id) of the definition
  // the failed run ran. When the run failed in a Fail state reached through a Catch, the
  // state whose error was caught is re-run; an aborted run resumes at the state it was in.
  // A project run resumes the tables that failed, were skipped or cancelled (what succeeded
  // stays committed). Returns the new run's id.
  Result<std::string> Resume(const std::string& run_id, bool queue_only = false);
  // Asks the run to stop (any process). OK if it already finished (nothing to do).
  Status Cancel(const std::string& run_id, const std::string& reason = "cancelled by user");
  // Runs kProjectPipeline in the calling thread, recorded like any run (QUEUED, RUNNING, then
  // SUCCEEDED / FAILED / ABORTED when cancelled, with the record as output and one state per
  // table), and returns its record; the record's run_id is the run's id. Cancel (any process)
  // or options.run.cancel stop it. Errors are the store's, and the runner's failures of the
  // run itself (the project's SQL, an unusable lake), after the run is recorded FAILED.
  Result<pipeline::RunRecord> RunProject(const ProjectRunOptions& options);
  // Queues a run of kProjectPipeline for a run thread of this service (or, with queue_only, any
  // worker); returns its id at once.
  Result<std::string> StartProjectRun(const ProjectRunOptions& options, bool queue_only = false);
  // Blocks until the run finished (or `timeout_micros` of real time passed: Timeout).
  Result<RunSummary> WaitRun(const std::string& run_id, int64_t timeout_micros = -1);

  Result<std::vector<RunSummary>> ListRuns(const RunFilter& filter = {});
  Result<RunDetail> GetRun(const std::string& run_id);
  // The log of a task attempt; attempt 0 = the last attempt of that state. NotFound if the
  // run, the state or its log does not exist.
  Result<std::string> ReadTaskLog(const std::string& run_id, const std::string& state,
                                  int attempt = 0, const std::string& scope = "");
  // All task logs of a run, in order, each headed by "== scope/state attempt N ==".
  Result<std::string> ReadRunLogs(const std::string& run_id);

  // --- triggers ------------------------------------------------------------------------
  // Starts every pipeline with a file trigger matching the arrival (source and pattern), with
  // input {"file": {"source", "path", "size_bytes", "sha256"}}. Returns the run ids started.
  Result<std::vector<std::string>> NotifyFileArrived(const FileArrival& arrival);
  // One scheduler pass at the clock's now: starts runs for cron schedules due since the last
  // pass (at most once per schedule per minute, never catching up on missed history), and
  // for new landing files (landing/ scanned, files already seen are remembered in the
  // catalog) matching a file trigger. Returns the run ids started.
  Result<std::vector<std::string>> SchedulerTick();
  // Calls SchedulerTick every `poll_micros` of the clock until `stop()` returns true.
  Status RunScheduler(const std::function<bool()>& stop, int64_t poll_micros = 1'000'000);

  // Runs the pipeline once per date in [from, to], at most `concurrency` at a time, skipping
  // dates whose earlier run of this pipeline SUCCEEDED. Blocks until all are done.
  Result<std::vector<BackfillItem>> Backfill(const std::string& pipeline,
                                             const BackfillOptions& options);

  // Cancels (cancel_running) or lets finish every run of this process; then no new run starts.
  void Shutdown(bool cancel_running);

  struct Impl;

 private:
  explicit OrchestratorService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::orchestrator::service
