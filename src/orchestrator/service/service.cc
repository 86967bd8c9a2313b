// OrchestratorService: runs (queue, workers, cancellation watchdog) and run history. Pipelines
// files are pipeline_file.cc, triggers and backfill are triggers.cc.
#include "orchestrator/service/service.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "catalog/catalog.h"
#include "catalog/location.h"
#include "common/logging.h"
#include "lake/lake.h"
#include "orchestrator/interpreter.h"
#include "orchestrator/service/pipeline_file.h"
#include "orchestrator/service/service_internal.h"
#include "pipeline/run_record.h"

namespace strata::orchestrator::service {
namespace fs = std::filesystem;

namespace {

RunStatus FromExecution(ExecutionStatus status) {
  switch (status) {
    case ExecutionStatus::kSucceeded:
      return RunStatus::kSucceeded;
    case ExecutionStatus::kAborted:
      return RunStatus::kAborted;
    case ExecutionStatus::kFailed:
      break;
  }
  return RunStatus::kFailed;
}

}  // namespace

OrchestratorService::OrchestratorService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OrchestratorService::~OrchestratorService() { Shutdown(false); }

std::string DefaultWorkerId() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
  return std::string(host) + ":" + std::to_string(getpid());
}

Result<std::unique_ptr<OrchestratorService>> OrchestratorService::Open(
    const ServiceOptions& options) {
  if (options.recover_lost_runs && options.lost_after_micros < 3 * options.heartbeat_micros) {
    return Status::InvalidArgument(
        "runs count as lost after " + std::to_string(options.lost_after_micros / 1000) +
        " ms without a heartbeat, but heartbeats come every " +
        std::to_string(options.heartbeat_micros / 1000) +
        " ms: the lost-after time must be at least 3 times the heartbeat");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  std::error_code ec;
  fs::path root = fs::absolute(options.project_dir, ec).lexically_normal();
  if (ec || !fs::is_regular_file(root / "strata.yaml")) {
    return Status::NotFound("no strata project at " + options.project_dir +
                            " (strata.yaml not found)");
  }
  impl->root = root.string();
  if (!impl->root.empty() && impl->root.back() == '/') impl->root.pop_back();
  impl->clock = options.clock != nullptr ? options.clock : &Clock::System();
  impl->worker = options.worker_id.empty() ? DefaultWorkerId() : options.worker_id;
  impl->log_dir = (root / ".strata" / "logs").string();
  STRATA_ASSIGN_OR_RETURN(impl->catalog_location,
                          catalog::ResolveCatalogLocation(impl->root, options.catalog));
  STRATA_ASSIGN_OR_RETURN(impl->store, RunStore::Open(impl->catalog_location, impl->clock));
  impl->executor = std::make_unique<StrataExecutor>(impl->root);
  InterpreterOptions io;
  io.executor = impl->executor.get();
  io.clock = impl->clock;
  io.max_threads = std::max(1, options.max_threads_per_run);
  impl->interpreter = std::make_unique<Interpreter>(std::move(io));
  Impl* raw = impl.get();
  int workers = std::max(1, options.max_concurrent_runs);
  for (int i = 0; i < workers; ++i) impl->workers.emplace_back([raw] { raw->WorkerLoop(); });
  impl->watchdog = std::thread([raw] { raw->WatchdogLoop(); });
  return std::unique_ptr<OrchestratorService>(new OrchestratorService(std::move(impl)));
}

void OrchestratorService::Shutdown(bool cancel_running) {
  Impl& s = *impl_;
  std::deque<std::string> dropped;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.stopped) return;
    s.stopping = true;
    dropped.swap(s.pending);
    s.cancel_all = cancel_running;
    if (cancel_running) {
      for (auto& [id, active] : s.running) active->cancel.Cancel("the orchestrator shut down");
    }
    s.cv.notify_all();
  }
  // A worker leaves runs it did not start QUEUED: another worker takes them.
  for (const std::string& id : dropped) {
    if (s.options.claim_queued) continue;
    (void)s.store->RequestCancel(id, "the orchestrator shut down before the run started");
  }
  for (std::thread& t : s.workers) t.join();
  s.workers.clear();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.stopped = true;
    s.stopped_cv.notify_all();
  }
  if (s.watchdog.joinable()) s.watchdog.join();
  s.store->Flush();
}

// --- Impl: workers -----------------------------------------------------------------------

void OrchestratorService::Impl::WorkerLoop() {
  bool claimed_last = false;
  while (true) {
    std::string run_id;
    {
      std::unique_lock<std::mutex> lock(mu);
      auto ready = [&] { return stopping || !pending.empty(); };
      if (!options.claim_queued) {
        cv.wait(lock, ready);
      } else if (!claimed_last) {
        // Idle: poll the shared queue. Right after a run, look again at once (a backlog of
        // queued runs is taken back to back, not one per poll interval).
        cv.wait_for(lock,
                    std::chrono::microseconds(std::max<int64_t>(options.claim_poll_micros, 10'000)),
                    ready);
      }
      if (!pending.empty()) {
        run_id = pending.front();
        pending.pop_front();
      } else if (stopping) {
        return;
      }
    }
    claimed_last = false;
    if (!run_id.empty()) {
      Execute(run_id);
      continue;
    }
    if (!options.claim_queued) continue;
    // A read first: idle workers do not take the write lock to find an empty queue.
    auto any = store->HasQueuedRuns();
    if (!any.ok()) {
      Log().warn("worker {}: cannot read the run queue: {}", worker, any.status().message());
      continue;
    }
    if (!*any) continue;
    auto next = store->ClaimNextRun(worker);
    if (!next.ok()) {
      Log().warn("worker {}: cannot claim a run: {}", worker, next.status().message());
      continue;
    }
    if (!next->has_value()) continue;
    claimed_last = true;
    RunClaimed(**next);
  }
}

void OrchestratorService::Impl::Notify(const std::string& run_id, const std::string& status) {
  if (options.on_run) options.on_run(run_id, status);
}

void OrchestratorService::Impl::Execute(const std::string& run_id) {
  auto claimed = store->ClaimRun(run_id, worker);
  if (!claimed.ok()) {
    Log().error("run {}: cannot claim: {}", run_id, claimed.status().message());
    return;
  }
  if (!*claimed) return;  // cancelled while queued, or another worker took it
  RunClaimed(run_id);
}

void OrchestratorService::Impl::RunClaimed(const std::string& run_id) {
  std::shared_ptr<Active> active = Track(run_id);
  Notify(run_id, std::string(RunStatusName(RunStatus::kRunning)));
  RunEnd end;
  auto stored = store->LoadRun(run_id);
  if (stored.ok() && stored->summary.pipeline == kProjectPipeline) {
    Result<ProjectRunOptions> queued = ProjectRunFromInput(stored->summary.input);
    if (queued.ok()) {
      end = ExecuteProject(run_id, *queued, *active).end;
    } else {
      end.error = "States.Runtime";
      end.cause = queued.status().message();
    }
  } else if (stored.ok()) {
    end = ExecuteMachine(run_id, *stored, *active);
  } else {
    end.error = "States.Runtime";
    end.cause = stored.status().message();
  }
  Finish(run_id, end);
}

RunEnd OrchestratorService::Impl::ExecuteMachine(const std::string& run_id, const StoredRun& stored,
                                                 Active& active) {
  RunEnd end;
  auto compiled = CompileDefinition(stored.definition, "run " + run_id);
  if (!compiled.ok()) {
    end.error = "States.Runtime";
    end.cause = compiled.status().message();
    return end;
  }
  std::unique_ptr<ExecutionObserver> observer = store->NewObserver(run_id, log_dir);
  RunOptions ro;
  ro.execution_id = run_id;
  ro.execution_name = run_id;
  ro.state_machine_name = stored.summary.pipeline;
  ro.observer = observer.get();
  ro.cancel = active.cancel.Token();
  ro.start_at = stored.start_at;
  ExecutionResult r = interpreter->Run(**compiled, stored.summary.input, ro);
  end.status = FromExecution(r.status);
  if (r.status == ExecutionStatus::kSucceeded) end.output = r.output;
  end.error = r.error.value_or("");
  end.cause = r.cause.value_or("");
  end.failed_state = r.failed_state;
  end.failed_state_input = r.failed_state_input;
  return end;
}

std::shared_ptr<OrchestratorService::Impl::Active> OrchestratorService::Impl::Track(
    const std::string& run_id) {
  auto active = std::make_shared<Active>();
  std::lock_guard<std::mutex> lock(mu);
  running[run_id] = active;
  if (stopping && cancel_all) active->cancel.Cancel("the orchestrator shut down");
  return active;
}

void OrchestratorService::Impl::Finish(const std::string& run_id, const RunEnd& end) {
  Status finished = store->FinishRun(run_id, end);
  if (!finished.ok()) Log().error("run {}: cannot record the end: {}", run_id, finished.message());
  Notify(run_id, finished.ok() ? std::string(RunStatusName(end.status)) : "LOST");
  std::lock_guard<std::mutex> lock(mu);
  running.erase(run_id);
  done_cv.notify_all();
}

void OrchestratorService::Impl::RecoverLost() {
  auto lost = store->RecoverLostRuns(clock->NowMicros() - options.lost_after_micros);
  if (!lost.ok()) {
    Log().warn("cannot check for lost runs: {}", lost.status().message());
    return;
  }
  for (const RunSummary& run : *lost) {
    Log().warn("run {} of {}: {}", run.run_id, run.pipeline, run.cause);
    // A project run is the work of the process that started it (strata run, an SFTP load whose
    // restart loads its arrivals again): it stays FAILED for a person to resume.
    if (run.pipeline == kProjectPipeline) continue;
    // A run that kills its worker every time (out of memory, say) is not resumed forever.
    int recoveries = 0;
    std::string previous = run.trigger == "recover" ? run.resumed_from : "";
    while (!previous.empty() && recoveries < options.max_recoveries) {
      ++recoveries;
      auto before = store->LoadRun(previous);
      if (!before.ok() || before->summary.trigger != "recover") break;
      previous = before->summary.resumed_from;
    }
    if (recoveries >= options.max_recoveries) {
      Log().error("run {}: lost {} times in a row; left FAILED (resume it by hand)", run.run_id,
                  recoveries + 1);
      continue;
    }
    auto resumed = ResumeRun(run.run_id, "recover", false);
    if (resumed.ok()) {
      Log().warn("run {}: resumed as run {}", run.run_id, *resumed);
    } else {
      Log().error("run {}: cannot resume: {}", run.run_id, resumed.status().message());
    }
  }
}

void OrchestratorService::Impl::WatchdogLoop() {
  int64_t last_heartbeat = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu);
      if (stopped_cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopped; })) {
        return;
      }
    }
    const int64_t now = Clock::System().MonotonicMicros();
    if (options.recover_lost_runs &&
        now - last_recover >=
            std::clamp<int64_t>(options.lost_after_micros / 4, 500'000, 10'000'000)) {
      last_recover = now;
      bool stopping_now;
      {
        std::lock_guard<std::mutex> lock(mu);
        stopping_now = stopping;
      }
      if (!stopping_now) RecoverLost();
    }
    std::vector<std::string> ids;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (auto& [id, a] : running) ids.push_back(id);
    }
    if (ids.empty()) continue;
    auto requests = store->CancelRequests(worker);
    if (requests.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      for (auto& [id, reason] : *requests) {
        if (auto it = running.find(id); it != running.end()) {
          it->second->cancel.Cancel(reason.empty() ? "cancelled" : reason);
        }
      }
    }
    if (now - last_heartbeat >= options.heartbeat_micros) {
      store->Heartbeat(ids);
      last_heartbeat = now;
    }
  }
}

// --- Impl: starting runs -----------------------------------------------------------------

Result<std::string> OrchestratorService::Impl::Enqueue(NewRun run, bool queue_only) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (stopping) return Status::FailedPrecondition("the orchestrator is shutting down");
  }
  if (run.run_id.empty()) run.run_id = pipeline::NewRunId(clock->NowMicros());
  STRATA_RETURN_IF_ERROR(store->CreateRun(run));
  if (queue_only || options.queue_only) return run.run_id;  // a worker claims it
  std::lock_guard<std::mutex> lock(mu);
  pending.push_back(run.run_id);
  cv.notify_one();
  return run.run_id;
}

void OrchestratorService::Impl::SyncCatalog(const PipelineInfo& info) {
  std::lock_guard<std::mutex> lock(catalog_mu);
  if (!catalog) {
    auto opened = catalog::Catalog::Open(catalog_location);
    if (!opened.ok()) {
      Log().warn("pipeline {}: catalog not updated: {}", info.name, opened.status().message());
      return;
    }
    catalog = std::move(*opened);
  }
  catalog::PipelineMetadata meta;
  meta.name = info.name;
  meta.description = info.description;
  meta.owner = info.owner;
  meta.tags = info.tags;
  const Json& states = info.definition.value("States", Json::object());
  for (auto it = states.begin(); it != states.end(); ++it) {
    catalog::PipelineState st;
    st.name = it.key();
    st.type = it.value().value("Type", "");
    st.description = it.value().value("Comment", "");
    st.resource = it.value().value("Resource", "");
    meta.states.push_back(std::move(st));
  }
  Status s = catalog->UpsertPipeline(meta);
  if (!s.ok()) Log().warn("pipeline {}: catalog not updated: {}", info.name, s.message());
}

Result<LoadedPipeline> LoadNamedPipeline(const std::string& root, const std::string& name) {
  std::vector<std::string> files = PipelineFiles(root);
  std::vector<std::string> names;
  for (const std::string& file : files) {
    if (PipelineName(file) == name) return LoadPipelineFile(root, file);
    names.push_back(PipelineName(file));
  }
  std::string message = "pipeline '" + name + "' not found in " + root + "/pipelines";
  std::vector<std::string> close = lake::CloseNames(name, names, 3);
  if (!close.empty()) {
    message += " (did you mean ";
    for (size_t i = 0; i < close.size(); ++i) message += (i ? ", " : "") + close[i];
    message += "?)";
  }
  return Status::NotFound(message);
}

Result<LoadedPipeline> OrchestratorService::Impl::Load(const std::string& name) {
  return LoadNamedPipeline(root, name);
}

Result<std::string> OrchestratorService::Impl::Start(const std::string& pipeline, const Json& input,
                                                     const StartOptions& opts,
                                                     const std::string& run_id) {
  if (pipeline == kProjectPipeline) {
    STRATA_ASSIGN_OR_RETURN(ProjectRunOptions project,
                            ProjectRunFromInput(input.is_null() ? Json::object() : input));
    project.run.run_id = run_id;
    project.trigger = opts.trigger;
    project.trigger_info = opts.trigger_info;
    return Enqueue(NewProjectRun(project), opts.queue_only);
  }
  STRATA_ASSIGN_OR_RETURN(LoadedPipeline loaded, Load(pipeline));
  SyncCatalog(loaded.info);
  NewRun run;
  run.run_id = run_id;
  run.pipeline = pipeline;
  run.trigger = opts.trigger.empty() ? "manual" : opts.trigger;
  run.trigger_info = opts.trigger_info;
  run.partition = opts.partition;
  run.definition = loaded.info.definition;
  run.input = input.is_null() ? Json::object() : input;
  return Enqueue(std::move(run), opts.queue_only);
}

// --- public API ---------------------------------------------------------------------------

Result<std::vector<PipelineInfo>> ListProjectPipelines(const std::string& project_dir) {
  std::vector<PipelineInfo> out;
  for (const std::string& file : PipelineFiles(project_dir)) {
    auto loaded = LoadPipelineFile(project_dir, file);
    if (loaded.ok()) {
      out.push_back(std::move(loaded->info));
    } else {
      PipelineInfo bad;
      bad.name = PipelineName(file);
      bad.file = file;
      bad.error = loaded.status().message();
      out.push_back(std::move(bad));
    }
  }
  return out;
}

Result<PipelineInfo> GetProjectPipeline(const std::string& project_dir, const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(LoadedPipeline loaded, LoadNamedPipeline(project_dir, name));
  return loaded.info;
}

Result<std::vector<PipelineInfo>> OrchestratorService::ListPipelines() {
  return ListProjectPipelines(impl_->root);
}

Result<PipelineInfo> OrchestratorService::GetPipeline(const std::string& name) {
  return GetProjectPipeline(impl_->root, name);
}

Result<std::string> OrchestratorService::StartRun(const std::string& pipeline, const Json& input,
                                                  const StartOptions& options) {
  return impl_->Start(pipeline, input, options, "");
}

Result<std::string> OrchestratorService::Resume(const std::string& run_id, bool queue_only) {
  return impl_->ResumeRun(run_id, "resume", queue_only);
}

Result<std::string> OrchestratorService::Impl::ResumeRun(const std::string& run_id,
                                                         const std::string& trigger,
                                                         bool queue_only) {
  STRATA_ASSIGN_OR_RETURN(StoredRun old, store->LoadRun(run_id));
  if (old.summary.status != RunStatus::kFailed && old.summary.status != RunStatus::kAborted) {
    return Status::FailedPrecondition("run '" + run_id + "' is " +
                                      std::string(RunStatusName(old.summary.status)) +
                                      ": only FAILED or ABORTED runs can be resumed");
  }
  if (old.summary.pipeline == kProjectPipeline) return ResumeProject(old, trigger, queue_only);
  std::string state = old.summary.failed_state;
  Json input = old.failed_state_input;
  STRATA_ASSIGN_OR_RETURN(RunDetail detail, store->GetDetail(run_id));
  // A Catch that routes to a Fail state (record the failure, then fail) makes the Fail state
  // the failed one; re-running it would only fail again. Resume the state whose error was
  // caught instead, with the input it had.
  bool failed_in_fail_state = false;
  for (const StateRun& s : detail.states) {
    if (s.scope.empty() && s.state == state && s.type == "Fail") failed_in_fail_state = true;
  }
  if (failed_in_fail_state) {
    for (auto it = detail.states.rbegin(); it != detail.states.rend(); ++it) {
      if (it->scope.empty() && it->status == "CAUGHT") {
        state = it->state;
        input = it->input;
        break;
      }
    }
  }
  if (state.empty()) {
    // Aborted (or failed before recording a state): the last top-level state that did not
    // finish, with the input it had.
    for (auto it = detail.states.rbegin(); it != detail.states.rend(); ++it) {
      if (it->scope.empty() && it->status != "SUCCEEDED" && it->status != "CAUGHT") {
        state = it->state;
        input = it->input;
        break;
      }
    }
  }
  if (state.empty()) {
    // Every recorded top-level state finished (a lost worker died between two states, before
    // the next one was recorded): go on where the last one led, with its output.
    for (auto it = detail.events.rbegin(); it != detail.events.rend(); ++it) {
      if (it->scope.empty() && it->type == "StateExited" && it->detail.is_object()) {
        std::string next = it->detail.value("next", "");
        for (auto st = detail.states.rbegin(); !next.empty() && st != detail.states.rend(); ++st) {
          if (st->scope.empty() && st->state == it->state && st->status == "SUCCEEDED") {
            state = next;
            input = st->output;
            break;
          }
        }
        break;
      }
    }
  }
  NewRun run;
  run.pipeline = old.summary.pipeline;
  run.trigger = trigger;
  run.trigger_info = run_id;
  run.resumed_from = run_id;
  run.partition = old.summary.partition;
  run.definition = old.definition;
  if (state.empty()) {
    run.input = old.summary.input;  // nothing ran: start over
  } else {
    run.start_at = state;
    run.input = input;
  }
  return Enqueue(std::move(run), queue_only);
}

Status OrchestratorService::Cancel(const std::string& run_id, const std::string& reason) {
  STRATA_RETURN_IF_ERROR(impl_->store->RequestCancel(run_id, reason));
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (auto it = impl_->running.find(run_id); it != impl_->running.end()) {
    it->second->cancel.Cancel(reason);
  }
  return Status::OK();
}

Result<RunSummary> OrchestratorService::WaitRun(const std::string& run_id, int64_t timeout_micros) {
  const int64_t start = Clock::System().MonotonicMicros();
  while (true) {
    STRATA_ASSIGN_OR_RETURN(StoredRun run, impl_->store->LoadRun(run_id));
    if (run.summary.finished()) return run.summary;
    if (timeout_micros >= 0 && Clock::System().MonotonicMicros() - start >= timeout_micros) {
      return Status::Timeout("run '" + run_id + "' is still " +
                             std::string(RunStatusName(run.summary.status)));
    }
    // Local runs wake us when they end; runs of other processes are polled.
    std::unique_lock<std::mutex> lock(impl_->mu);
    impl_->done_cv.wait_for(lock, std::chrono::milliseconds(100));
  }
}

Result<std::vector<RunSummary>> OrchestratorService::ListRuns(const RunFilter& filter) {
  return impl_->store->ListRuns(filter);
}

Result<RunDetail> OrchestratorService::GetRun(const std::string& run_id) {
  return impl_->store->GetDetail(run_id);
}

namespace {
Result<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("task log " + path + " does not exist");
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}
}  // namespace

Result<std::string> OrchestratorService::ReadTaskLog(const std::string& run_id,
                                                     const std::string& state, int attempt,
                                                     const std::string& scope) {
  STRATA_ASSIGN_OR_RETURN(RunDetail detail, impl_->store->GetDetail(run_id));
  const TaskAttempt* found = nullptr;
  for (const TaskAttempt& a : detail.attempts) {
    if (a.state == state && a.scope == scope && (attempt == 0 || a.attempt == attempt)) found = &a;
  }
  if (found == nullptr) {
    return Status::NotFound("run '" + run_id + "' has no task attempt of state '" + state + "'" +
                            (attempt ? " (attempt " + std::to_string(attempt) + ")" : ""));
  }
  if (found->log.empty()) return Status::NotFound("state '" + state + "' kept no log");
  return ReadWhole(found->log);
}

Result<std::string> OrchestratorService::ReadRunLogs(const std::string& run_id) {
  STRATA_ASSIGN_OR_RETURN(RunDetail detail, impl_->store->GetDetail(run_id));
  std::string out;
  for (const TaskAttempt& a : detail.attempts) {
    out += "== " + (a.scope.empty() ? "" : a.scope + "/") + a.state + " attempt " +
           std::to_string(a.attempt) + " (" + a.status + ") ==\n";
    if (a.log.empty()) continue;
    auto text = ReadWhole(a.log);
    out += text.ok() ? *text : "(log missing: " + text.status().message() + ")\n";
    if (!out.empty() && out.back() != '\n') out += '\n';
  }
  return out;
}

}  // namespace strata::orchestrator::service
