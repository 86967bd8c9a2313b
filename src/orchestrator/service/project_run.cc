// OrchestratorService's built-in pipeline kProjectPipeline: `strata run` (pipeline/runner.h) as a
// run in the run store. The runner does the work; this file records it like any run: the run
// row (QUEUED, RUNNING, then its end with the record as output), and one state per table,
// entered when the table starts and exited (output: the node) or failed when it ends, so any
// process sees a project run go table by table. Cancel and the watchdog's cross-process cancel
// fire the run's token, which the runner's CancelToken watches; resume re-runs what did not
// succeed.
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/logging.h"
#include "orchestrator/service/service_internal.h"
#include "pipeline/run_record.h"

namespace strata::orchestrator::service {
namespace {

// What the store keeps as the definition of a project run (nothing runs it: RunClaimed sends
// kProjectPipeline to ExecuteProject).
Json ProjectDefinition() {
  return {{"Comment",
           "the project's built-in pipeline: sources, then models in dependency order, each "
           "tested before its commit (strata run)"}};
}

// Relays the runner's progress to the run's observer as state events (one state per table),
// then to the caller's own progress callback. The runner calls it one event at a time.
class ProjectProgress {
 public:
  ProjectProgress(ExecutionObserver& observer, Clock& clock,
                  std::function<void(const pipeline::ProgressEvent&)> next)
      : observer_(observer), clock_(clock), next_(std::move(next)) {}

  void operator()(const pipeline::ProgressEvent& e) {
    if (e.kind == pipeline::ProgressEvent::Kind::kStarted) {
      Enter(e.table);
    } else if (e.result != nullptr) {
      Enter(e.table);  // a table skipped before it started is entered as it ends
      const pipeline::NodeResult& node = *e.result;
      ExecutionEvent out = Event(EventType::kStateExited, e.table);
      out.duration_micros = node.millis * 1000;
      if (node.status == pipeline::NodeStatus::kSuccess ||
          node.status == pipeline::NodeStatus::kWarn) {
        out.output = Json::parse(pipeline::NodeResultJson(node), nullptr, false);
      } else {
        out.type = EventType::kStateFailed;
        out.error = node.status == pipeline::NodeStatus::kFailed ? "Strata.TableFailed"
                                                                 : "Strata.TableSkipped";
        out.cause = node.error;
      }
      observer_.OnEvent(out);
    }
    if (next_) next_(e);
  }

 private:
  ExecutionEvent Event(EventType type, const std::string& table) {
    ExecutionEvent event;
    event.type = type;
    event.state = table;
    event.time_micros = clock_.NowMicros();
    return event;
  }
  void Enter(const std::string& table) {
    if (!entered_.insert(table).second) return;
    ExecutionEvent event = Event(EventType::kStateEntered, table);
    event.state_type = StateType::kTask;
    observer_.OnEvent(event);
  }

  ExecutionObserver& observer_;
  Clock& clock_;
  std::function<void(const pipeline::ProgressEvent&)> next_;
  std::set<std::string> entered_;
};

// The end of a project run from its record: SUCCEEDED, ABORTED (a cancel stopped a table),
// or FAILED naming how many tables failed and the first failure.
RunEnd EndOf(const pipeline::RunRecord& record, const std::string& cancel_reason) {
  RunEnd end;
  end.output = Json::parse(pipeline::RunRecordJson(record), nullptr, false);
  if (record.ok()) {
    end.status = RunStatus::kSucceeded;
    return end;
  }
  int failed = 0, skipped = 0;
  std::string first;
  for (const pipeline::NodeResult& node : record.nodes) {
    failed += node.status == pipeline::NodeStatus::kFailed;
    skipped += node.status == pipeline::NodeStatus::kSkipped;
    if (first.empty() && node.status == pipeline::NodeStatus::kFailed) {
      first = node.table + ": " + node.error;
    }
  }
  end.status = record.cancelled ? RunStatus::kAborted : RunStatus::kFailed;
  end.error = record.cancelled ? "Strata.Cancelled" : "Strata.TablesFailed";
  end.cause = record.cancelled
                  ? (cancel_reason.empty() ? pipeline::kCancelledByUser : cancel_reason)
                  : std::to_string(failed) + " failed, " + std::to_string(skipped) + " skipped" +
                        (first.empty() ? "" : "; " + first);
  return end;
}

}  // namespace

Json ProjectRunInput(const pipeline::RunOptions& run) {
  return {{"command", run.test_only ? "test" : "run"},
          {"select", run.selection.names},
          {"layer", run.selection.layer}};
}

Result<ProjectRunOptions> ProjectRunFromInput(const Json& input) {
  ProjectRunOptions options;
  if (!input.is_object()) {
    return Status::InvalidArgument("a project run's input must be an object, not " + input.dump());
  }
  const std::string command = input.value("command", "run");
  if (command != "run" && command != "test") {
    return Status::InvalidArgument("project run input: field 'command' must be run or test, not '" +
                                   command + "'");
  }
  options.run.test_only = command == "test";
  if (input.contains("select")) {
    if (!input["select"].is_array()) {
      return Status::InvalidArgument("project run input: field 'select' must be a list of names");
    }
    for (const Json& name : input["select"]) {
      if (!name.is_string()) {
        return Status::InvalidArgument("project run input: field 'select' must be a list of names");
      }
      options.run.selection.names.push_back(name.get<std::string>());
    }
  }
  if (input.contains("layer") && input["layer"].is_string()) {
    options.run.selection.layer = input["layer"].get<std::string>();
  }
  return options;
}

NewRun OrchestratorService::Impl::NewProjectRun(const ProjectRunOptions& options) {
  NewRun run;
  run.run_id = options.run.run_id;
  run.pipeline = kProjectPipeline;
  run.trigger = options.trigger.empty() ? "manual" : options.trigger;
  run.trigger_info = options.trigger_info;
  run.definition = ProjectDefinition();
  run.input = ProjectRunInput(options.run);
  return run;
}

OrchestratorService::Impl::ProjectOutcome OrchestratorService::Impl::ExecuteProject(
    const std::string& run_id, const ProjectRunOptions& options, Active& active) {
  ProjectOutcome out;
  std::optional<pipeline::Project> loaded;
  const pipeline::Project* project = options.project;
  if (project == nullptr) {
    Result<pipeline::Project> read = pipeline::LoadProject(root);
    if (!read.ok()) {
      out.end.error = "Strata.ProjectInvalid";
      out.end.cause = read.status().message();
      out.record = read.status();
      return out;
    }
    loaded = std::move(*read);
    project = &*loaded;
  }
  std::unique_ptr<ExecutionObserver> observer = store->NewObserver(run_id, "");
  pipeline::RunOptions run = options.run;
  run.run_id = run_id;
  run.sync_catalog = !run.test_only;
  auto progress = std::make_shared<ProjectProgress>(*observer, *clock, options.run.progress);
  run.progress = [progress](const pipeline::ProgressEvent& e) { (*progress)(e); };
  // The run's token (Cancel, any process, or a shutdown) and the caller's own (Ctrl-C).
  CancellationToken token = active.cancel.Token();
  std::shared_ptr<const pipeline::CancelToken> caller = options.run.cancel;
  run.cancel = std::make_shared<pipeline::CancelToken>(
      [token, caller] { return token.IsCancelled() || (caller && caller->cancelled()); });
  {
    std::lock_guard<std::mutex> lock(project_mu);
    out.record = pipeline::RunProject(*project, run);
  }
  if (!out.record.ok()) {
    out.end.error = "Strata.RunFailed";
    out.end.cause = out.record.status().message();
    return out;
  }
  out.end = EndOf(*out.record, token.Reason());
  return out;
}

Result<std::string> OrchestratorService::Impl::ResumeProject(const StoredRun& old,
                                                             const std::string& trigger,
                                                             bool queue_only) {
  STRATA_ASSIGN_OR_RETURN(ProjectRunOptions options, ProjectRunFromInput(old.summary.input));
  // The tables that did not succeed (failed, skipped, cancelled); what succeeded stays
  // committed. A run that left no record (its process died, or the project did not load)
  // runs its selection again.
  std::vector<std::string> again;
  const Json& record = old.summary.output;
  if (record.is_object() && record.contains("nodes") && record["nodes"].is_array()) {
    for (const Json& node : record["nodes"]) {
      const std::string status = node.value("status", "");
      if (status == "failed" || status == "skipped") again.push_back(node.value("table", ""));
    }
  }
  if (!again.empty()) {
    options.run.selection.names = again;
    options.run.selection.layer.clear();
  }
  options.trigger = trigger;
  options.trigger_info = old.summary.run_id;
  NewRun run = NewProjectRun(options);
  run.resumed_from = old.summary.run_id;
  return Enqueue(std::move(run), queue_only);
}

Result<pipeline::RunRecord> OrchestratorService::RunProject(const ProjectRunOptions& options) {
  Impl& s = *impl_;
  NewRun run = s.NewProjectRun(options);
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.stopping) return Status::FailedPrecondition("the orchestrator is shutting down");
  }
  if (run.run_id.empty()) run.run_id = pipeline::NewRunId(s.clock->NowMicros());
  STRATA_RETURN_IF_ERROR(s.store->CreateRun(run));
  STRATA_ASSIGN_OR_RETURN(bool claimed, s.store->ClaimRun(run.run_id, s.worker));
  if (!claimed) {
    return Status::Cancelled("run '" + run.run_id + "' was cancelled before it started");
  }
  std::shared_ptr<Impl::Active> active = s.Track(run.run_id);
  s.Notify(run.run_id, std::string(RunStatusName(RunStatus::kRunning)));
  Impl::ProjectOutcome out = s.ExecuteProject(run.run_id, options, *active);
  s.Finish(run.run_id, out.end);
  return std::move(out.record);
}

Result<std::string> OrchestratorService::StartProjectRun(const ProjectRunOptions& options,
                                                         bool queue_only) {
  return impl_->Enqueue(impl_->NewProjectRun(options), queue_only);
}

}  // namespace strata::orchestrator::service
