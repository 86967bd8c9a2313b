#include "orchestrator/service/strata_executor.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "orchestrator/service/command.h"
#include "pipeline/project.h"
#include "pipeline/runner.h"

namespace strata::orchestrator::service {
namespace fs = std::filesystem;
namespace {

thread_local std::string current_log;

const std::set<std::string>& Kinds() {
  static const std::set<std::string> kinds = {"ingest", "model", "test", "command"};
  return kinds;
}

// "strata:model:silver.x" -> ("model", "silver.x"); non-strata -> ("", "").
std::pair<std::string, std::string> SplitResource(const std::string& resource) {
  if (resource.rfind("strata:", 0) != 0) return {"", ""};
  std::string rest = resource.substr(7);
  size_t colon = rest.find(':');
  if (colon == std::string::npos) return {rest, ""};
  return {rest.substr(0, colon), rest.substr(colon + 1)};
}

std::string KnownKinds() { return "ingest, model, test, command"; }

void AppendLogTo(const std::string& path, const std::string& line) {
  if (path.empty()) return;
  std::ofstream log(path, std::ios::app);
  log << line << "\n";
}

void AppendLog(const std::string& line) { AppendLogTo(current_log, line); }

Result<std::vector<std::string>> Strings(const Json& params, const char* key) {
  std::vector<std::string> out;
  if (!params.is_object() || !params.contains(key) || params[key].is_null()) return out;
  const Json& v = params[key];
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
    return out;
  }
  if (!v.is_array()) {
    return Status::InvalidArgument(std::string("parameter '") + key +
                                   "' must be a string or a list of strings");
  }
  for (const Json& item : v) {
    if (!item.is_string()) {
      return Status::InvalidArgument(std::string("parameter '") + key + "' must list strings only");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

void SetCurrentTaskLog(const std::string& path) { current_log = path; }
const std::string& CurrentTaskLog() { return current_log; }

Status CheckStepResource(const std::string& resource, const Json& parameters) {
  auto [kind, arg] = SplitResource(resource);
  if (resource.rfind("strata:", 0) != 0) return Status::OK();
  if (!Kinds().count(kind)) {
    return Status::InvalidArgument("field 'Resource': unknown strata step '" + resource +
                                   "' (known: " + KnownKinds() + ")");
  }
  static const std::map<std::string, std::set<std::string>> kAllowed = {
      {"ingest", {"select"}},
      {"model", {"select", "layer"}},
      {"test", {"select", "layer"}},
      {"command", {"command", "env", "cwd", "input"}}};
  bool has_command = false;
  if (parameters.is_object()) {
    for (auto it = parameters.begin(); it != parameters.end(); ++it) {
      std::string key = it.key();
      if (key.size() > 2 && key.compare(key.size() - 2, 2, ".$") == 0) {
        key.resize(key.size() - 2);
      }
      if (!kAllowed.at(kind).count(key)) {
        std::string allowed;
        for (const std::string& a : kAllowed.at(kind)) allowed += (allowed.empty() ? "" : ", ") + a;
        return Status::InvalidArgument("field 'Parameters." + it.key() + "': not a parameter of " +
                                       resource + " (it takes: " + allowed + ")");
      }
      if (key == "command") has_command = true;
    }
  } else if (!parameters.is_null()) {
    return Status::InvalidArgument("field 'Parameters': " + resource + " takes an object");
  }
  if (kind == "command" && !has_command && arg.empty()) {
    return Status::InvalidArgument(
        "field 'Parameters.command': strata:command needs the program to run (a string for "
        "/bin/sh -c, or a list of arguments)");
  }
  return Status::OK();
}

StrataExecutor::StrataExecutor(std::string project_root) : project_root_(std::move(project_root)) {}

TaskResult StrataExecutor::Execute(const TaskRequest& request, TaskContext& ctx) {
  auto [kind, arg] = SplitResource(request.resource);
  if (!Kinds().count(kind)) {
    return TaskResult::Failure("States.TaskFailed",
                               "resource '" + request.resource +
                                   "' is not a strata step (known: strata:" + KnownKinds() + ")");
  }
  Json params = request.input;
  if (!arg.empty()) {
    if (!params.is_object()) params = Json::object();
    if (kind == "command") {
      if (!params.contains("command")) params["command"] = arg;
    } else if (!params.contains("select")) {
      params["select"] = Json::array({arg});
    }
  }
  if (kind == "command") return RunCommandStep(params, request, ctx);
  return RunProjectStep(kind, params, request, ctx);
}

TaskResult StrataExecutor::RunProjectStep(const std::string& kind, const Json& params,
                                          const TaskRequest& request, TaskContext& ctx) {
  auto select = Strings(params, "select");
  if (!select.ok()) return TaskResult::Failure("States.TaskFailed", select.status().message());
  std::string layer;
  if (params.is_object() && params.contains("layer") && params["layer"].is_string()) {
    layer = params["layer"].get<std::string>();
  }
  auto project = pipeline::LoadProject(project_root_);
  if (!project.ok()) return TaskResult::Failure("States.TaskFailed", project.status().message());

  pipeline::RunOptions options;
  options.selection.names = *select;
  options.selection.layer = layer;
  options.test_only = kind == "test";
  // The step's tables are part of this run: catalog runs, lineage and quarantine rows carry its id.
  options.run_id = request.execution_id;
  if (kind == "ingest" && options.selection.names.empty()) {
    for (const pipeline::SourceSpec& s : project->sources) {
      options.selection.names.push_back(s.spec.table.ToString());
    }
    if (options.selection.names.empty()) {
      return TaskResult::Failure("States.TaskFailed", "the project has no sources to ingest");
    }
  }
  if (kind == "model" && options.selection.names.empty() && layer.empty()) {
    for (const pipeline::ModelSpec& m : project->models) {
      options.selection.names.push_back(m.table.ToString());
    }
    if (options.selection.names.empty()) {
      return TaskResult::Failure("States.TaskFailed", "the project has no models to build");
    }
  }
  // The runner reports from its own worker threads: the log path travels by value.
  options.progress = [&ctx, log = current_log](const pipeline::ProgressEvent& e) {
    ctx.Heartbeat();
    if (e.kind != pipeline::ProgressEvent::Kind::kFinished || e.result == nullptr) return;
    const pipeline::NodeResult& n = *e.result;
    std::ostringstream line;
    line << "[" << e.done << "/" << e.total << "] " << n.table << " "
         << pipeline::NodeStatusName(n.status) << " rows_written=" << n.rows_written
         << " rows_quarantined=" << n.rows_quarantined << " tests_passed=" << n.tests_passed()
         << " tests_failed=" << n.tests_failed() << " " << n.millis << "ms";
    if (!n.error.empty()) line << " error: " << n.error;
    AppendLogTo(log, line.str());
  };
  AppendLog("[strata] " + request.resource + " select=" + Json(options.selection.names).dump() +
            (layer.empty() ? "" : " layer=" + layer) + " (attempt " +
            std::to_string(request.attempt) + ")");

  std::unique_lock<std::mutex> lock(lake_mu_, std::defer_lock);
  if (kind != "test") {
    // Wait for the lake, but give up if the task is cancelled meanwhile.
    while (!lock.try_lock()) {
      if (ctx.cancellation().WaitFor(50'000)) {
        return TaskResult::Failure("States.TaskFailed", "cancelled while waiting for the lake");
      }
    }
  }
  // Cancelling the task cancels the project run: the table being built commits nothing.
  options.cancel = std::make_shared<pipeline::CancelToken>(
      [token = ctx.cancellation()] { return token.IsCancelled(); });
  auto record = pipeline::RunProject(*project, options);
  if (record.ok() && record->cancelled) {
    AppendLog("[strata] stopped: " + ctx.cancellation().Reason());
    return TaskResult::Failure("States.TaskFailed", "cancelled: " + ctx.cancellation().Reason());
  }
  if (!record.ok()) {
    AppendLog("[strata] failed: " + record.status().message());
    return TaskResult::Failure("States.TaskFailed", record.status().message());
  }
  Json nodes = Json::array();
  std::string failures;
  for (const pipeline::NodeResult& n : record->nodes) {
    nodes.push_back({{"table", n.table},
                     {"status", pipeline::NodeStatusName(n.status)},
                     {"rows_written", n.rows_written},
                     {"rows_quarantined", n.rows_quarantined},
                     {"tests_passed", n.tests_passed()},
                     {"tests_failed", n.tests_failed()},
                     {"error", n.error}});
    if (n.status == pipeline::NodeStatus::kFailed || n.status == pipeline::NodeStatus::kSkipped) {
      failures += (failures.empty() ? "" : "; ") + n.table + " " +
                  pipeline::NodeStatusName(n.status) + (n.error.empty() ? "" : ": " + n.error);
    }
  }
  Json result = {{"run_record", record->run_id},
                 {"status", record->ok() ? "success" : "failed"},
                 {"nodes", nodes}};
  AppendLog("[strata] " + kind + " of run " + record->run_id + ": " +
            (record->ok() ? "success" : "failed"));
  if (!record->ok()) return TaskResult::Failure("States.TaskFailed", kind + " failed: " + failures);
  return TaskResult::Success(std::move(result));
}

TaskResult StrataExecutor::RunCommandStep(const Json& params, const TaskRequest& request,
                                          TaskContext& ctx) {
  CommandSpec spec;
  const Json& command =
      params.is_object() && params.contains("command") ? params["command"] : Json(nullptr);
  if (command.is_string()) {
    spec.argv = {"/bin/sh", "-c", command.get<std::string>()};
  } else if (command.is_array() && !command.empty()) {
    for (const Json& a : command) {
      spec.argv.push_back(a.is_string() ? a.get<std::string>() : a.dump());
    }
  } else {
    return TaskResult::Failure("States.TaskFailed",
                               "strata:command: parameter 'command' must be a string or a "
                               "non-empty list");
  }
  spec.cwd = project_root_;
  if (params.contains("cwd") && params["cwd"].is_string()) {
    fs::path cwd = params["cwd"].get<std::string>();
    spec.cwd = (cwd.is_absolute() ? cwd : fs::path(project_root_) / cwd).string();
  }
  if (params.contains("env") && params["env"].is_object()) {
    for (auto it = params["env"].begin(); it != params["env"].end(); ++it) {
      spec.env[it.key()] =
          it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
    }
  }
  spec.env["STRATA_RUN_ID"] = request.execution_id;
  spec.env["STRATA_STATE"] = request.state_name;
  spec.env["STRATA_ATTEMPT"] = std::to_string(request.attempt);
  spec.env["STRATA_PROJECT"] = project_root_;
  spec.log_path = current_log;

  // The task input goes to stdin through a file beside the log (or a temp file).
  std::string input_path = !current_log.empty()
                               ? current_log + ".input.json"
                               : (fs::temp_directory_path() /
                                  ("strata-input-" + request.execution_id + "-" +
                                   std::to_string(reinterpret_cast<uintptr_t>(&ctx)) + ".json"))
                                     .string();
  {
    std::ofstream in(input_path, std::ios::binary | std::ios::trunc);
    // Parameters.input (e.g. "input.$": "$", the state's input) if given, else the effective
    // input (the Parameters themselves).
    const Json& stdin_json =
        params.is_object() && params.contains("input") ? params["input"] : request.input;
    in << stdin_json.dump();
  }
  spec.stdin_path = input_path;
  AppendLog("[strata] " + Json(spec.argv).dump() + " in " + spec.cwd + " (attempt " +
            std::to_string(request.attempt) + ")");
  auto outcome = RunCommand(spec, ctx.cancellation(), [&ctx] { ctx.Heartbeat(); });
  if (current_log.empty()) {
    std::error_code ec;
    fs::remove(input_path, ec);
  }
  if (!outcome.ok()) {
    AppendLog("[strata] " + outcome.status().message());
    return TaskResult::Failure("States.TaskFailed", outcome.status().message());
  }
  if (outcome->cancelled) {
    AppendLog("[strata] stopped: " + ctx.cancellation().Reason());
    return TaskResult::Failure("States.TaskFailed", "cancelled: " + ctx.cancellation().Reason());
  }
  if (outcome->exit_code != 0) {
    std::string how = outcome->signal != 0 ? "killed by signal " + std::to_string(outcome->signal)
                                           : "exit status " + std::to_string(outcome->exit_code);
    AppendLog("[strata] " + how);
    std::string tail = outcome->stderr_tail;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
    return TaskResult::Failure("States.TaskFailed", "command " + Json(spec.argv).dump() +
                                                        " failed (" + how + ")" +
                                                        (tail.empty() ? "" : ": " + tail));
  }
  AppendLog("[strata] exit status 0");
  const std::string& text = outcome->stdout_text;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return TaskResult::Success(nullptr);
  Json parsed = Json::parse(text, nullptr, false);
  if (!parsed.is_discarded()) return TaskResult::Success(std::move(parsed));
  std::string trimmed = text.substr(0, text.find_last_not_of(" \t\r\n") + 1);
  size_t nl = trimmed.rfind('\n');
  Json last =
      Json::parse(nl == std::string::npos ? trimmed : trimmed.substr(nl + 1), nullptr, false);
  if (!last.is_discarded() && (last.is_object() || last.is_array())) {
    return TaskResult::Success(std::move(last));
  }
  return TaskResult::Success(Json{{"stdout", text}});
}

}  // namespace strata::orchestrator::service
