#include "server/runs.h"

#include <algorithm>
#include <sstream>

#include "common/logging.h"
#include "pipeline/runner.h"
#include "server/orchestrator_view.h"

namespace strata::server {

json RunSummary(const json& record, const std::string& pipeline) {
  int failed = 0, states = 0;
  std::string error;
  if (record.contains("nodes") && record["nodes"].is_array()) {
    for (const json& node : record["nodes"]) {
      ++states;
      if (node.value("status", "") == "failed") {
        ++failed;
        if (error.empty()) error = node.value("table", "") + ": " + node.value("error", "");
      }
    }
  }
  if (error.empty() && record.value("status", "") == "cancelled") {
    error = std::string(pipeline::kCancelledByUser);
  }
  return {{"run_id", record.value("run_id", "")},
          {"pipeline", pipeline},
          {"command", record.value("command", "run")},
          {"status", record.value("status", "")},
          {"started_at", record.value("started_at", "")},
          {"finished_at", record.value("finished_at", "")},
          {"duration_ms", record.value("duration_ms", json(nullptr))},
          {"states", states},
          {"failed", failed},
          {"error", error}};
}

json RunStates(const json& record) {
  json states = json::object();
  if (!record.contains("nodes") || !record["nodes"].is_array()) return states;
  for (const json& node : record["nodes"]) {
    json tests = json::array();
    if (node.contains("tests") && node["tests"].is_array()) tests = node["tests"];
    states[node.value("table", "")] = {
        {"status", node.value("status", "")},
        {"duration_ms", node.value("duration_ms", json(nullptr))},
        {"error", node.value("error", "")},
        {"rows_written", node.value("rows_written", json(nullptr))},
        {"rows_quarantined", node.value("rows_quarantined", json(nullptr))},
        {"retries", node.value("retries", 0)},
        {"tests", tests}};
  }
  return states;
}

json RunLogs(const json& record) {
  json lines = json::array();
  auto add = [&lines](const std::string& state, const char* level, const std::string& message) {
    lines.push_back({{"state", state}, {"level", level}, {"message", message}});
  };
  add("", "info",
      "run " + record.value("run_id", "") + " (" + record.value("command", "run") +
          ") started at " + record.value("started_at", ""));
  if (record.contains("nodes") && record["nodes"].is_array()) {
    for (const json& node : record["nodes"]) {
      const std::string table = node.value("table", "");
      const std::string status = node.value("status", "");
      if (node.contains("files") && node["files"].is_array()) {
        for (const json& file : node["files"]) {
          const std::string state = file.value("state", "");
          std::string line = "file " + file.value("file", "") + ": " + state;
          if (state == "loaded") {
            line += ", " + std::to_string(file.value("rows_loaded", 0)) + " rows loaded, " +
                    std::to_string(file.value("rows_quarantined", 0)) + " quarantined";
          }
          if (!file.value("reason", "").empty()) line += " (" + file.value("reason", "") + ")";
          add(table, state == "failed" || state == "rejected" ? "warn" : "info", line);
        }
      }
      if (node.contains("tests") && node["tests"].is_array()) {
        for (const json& test : node["tests"]) {
          const std::string result = test.value("status", "");
          std::string line = "test " + test.value("name", "") + ": " + result;
          if (!test.value("message", "").empty()) line += ": " + test.value("message", "");
          add(table, result == "pass" ? "info" : result == "warn" ? "warn" : "error", line);
        }
      }
      std::string line = status + " in " + std::to_string(node.value("duration_ms", 0)) + " ms, " +
                         std::to_string(node.value("rows_written", 0)) + " rows written";
      if (!node.value("error", "").empty()) line += ": " + node.value("error", "");
      add(table, status == "failed" ? "error" : status == "success" ? "info" : "warn", line);
    }
  }
  const std::string run_status = record.value("status", "");
  add("",
      run_status == "failed"      ? "error"
      : run_status == "cancelled" ? "warn"
                                  : "info",
      "run " + record.value("status", "") + " at " + record.value("finished_at", ""));
  return lines;
}

json ProjectPipeline(const pipeline::Project& project, const pipeline::ModelGraph* graph) {
  json states = json::array();
  json edges = json::array();
  for (const pipeline::SourceSpec& source : project.sources) {
    states.push_back({{"name", source.spec.table.ToString()},
                      {"type", "Task"},
                      {"resource", "ingest:" + source.spec.name},
                      {"layer", source.spec.table.layer},
                      {"description", source.spec.description}});
  }
  if (graph != nullptr) {
    for (const pipeline::ModelNode& node : graph->nodes) {
      const std::string name = node.model->table.ToString();
      states.push_back({{"name", name},
                        {"type", "Task"},
                        {"resource", "model:" + name},
                        {"layer", node.model->table.layer},
                        {"description", node.model->description}});
      for (const lake::TableName& read : node.reads) {
        edges.push_back({{"from", read.ToString()}, {"to", name}});
      }
    }
  } else {
    for (const pipeline::ModelSpec& model : project.models) {
      states.push_back({{"name", model.table.ToString()},
                        {"type", "Task"},
                        {"resource", "model:" + model.table.ToString()},
                        {"layer", model.table.layer},
                        {"description", model.description}});
    }
  }
  return {{"name", project.config.name},
          {"description", project.config.description},
          {"owner", project.config.owner},
          {"kind", "project"},
          {"states", states},
          {"edges", edges}};
}

std::string UiStatus(const orch::RunSummary& run) {
  switch (run.status) {
    case orch::RunStatus::kQueued:
    case orch::RunStatus::kRunning:
      return "running";
    case orch::RunStatus::kSucceeded:
      return "success";
    case orch::RunStatus::kFailed:
      return "failed";
    case orch::RunStatus::kAborted:
      break;
  }
  return run.pipeline == orch::kProjectPipeline ? "cancelled" : "aborted";
}

Result<std::vector<orch::RunStatus>> StatusesFor(const std::string& ui_status) {
  using S = orch::RunStatus;
  if (ui_status.empty()) return std::vector<S>{};
  if (ui_status == "running") return std::vector<S>{S::kQueued, S::kRunning};
  if (ui_status == "success") return std::vector<S>{S::kSucceeded};
  if (ui_status == "failed") return std::vector<S>{S::kFailed};
  if (ui_status == "cancelled" || ui_status == "aborted") return std::vector<S>{S::kAborted};
  return Status::InvalidArgument("unknown status '" + ui_status +
                                 "' (known: success, failed, cancelled, aborted, running)");
}

json ProjectRecord(const orch::RunSummary& run, const std::vector<orch::StateRun>* states) {
  json record;
  if (run.output.is_object() && run.output.contains("nodes")) {
    record = run.output;
  } else {
    const json select =
        run.input.is_object() && run.input.contains("select") ? run.input["select"] : json::array();
    const int64_t started = run.started_at_micros ? run.started_at_micros : run.queued_at_micros;
    record = {
        {"run_id", run.run_id},
        {"command", run.input.is_object() ? run.input.value("command", "run") : "run"},
        {"selection",
         {{"names", select}, {"layer", run.input.is_object() ? run.input.value("layer", "") : ""}}},
        {"started_at", IsoMicros(started)},
        {"finished_at", IsoMicros(run.ended_at_micros)},
        {"duration_ms", run.ended_at_micros && started
                            ? json((run.ended_at_micros - started) / 1000)
                            : json(nullptr)},
        {"status", UiStatus(run)},
        {"nodes", json::array()}};
    if (run.finished() && !run.cause.empty()) record["error"] = run.cause;
    for (const orch::StateRun& s : states ? *states : std::vector<orch::StateRun>{}) {
      if (!s.scope.empty()) continue;
      if (s.output.is_object()) {
        record["nodes"].push_back(s.output);
      } else if (s.status == "FAILED") {
        record["nodes"].push_back(
            {{"table", s.state},
             {"status", s.error == "Strata.TableSkipped" ? "skipped" : "failed"},
             {"error", s.cause}});
      } else {
        record["nodes"].push_back({{"table", s.state}, {"status", "running"}});
      }
    }
  }
  if (run.cancel_requested) record["cancel_requested"] = true;
  return record;
}

json RunListItem(const orch::RunSummary& run) {
  json item;
  if (run.pipeline == orch::kProjectPipeline) {
    const json record = ProjectRecord(run, nullptr);
    item = RunSummary(record, run.pipeline);
    if (item["error"] == "" && record.contains("error")) item["error"] = record["error"];
    if (!run.output.is_object()) {  // no record yet: the states so far
      item["states"] = run.states;
      item["failed"] = run.failed_states;
    }
    item["trigger"] = run.trigger;
    item["trigger_info"] = run.trigger_info;
    item["resumed_from"] = run.resumed_from;
    item["orchestrator_status"] = std::string(orch::RunStatusName(run.status));
  } else {
    item = OrchRunSummary(run);
  }
  return item;
}

Result<json> RunView(orch::OrchestratorService& service, const std::string& run_id) {
  STRATA_ASSIGN_OR_RETURN(orch::RunDetail detail, service.GetRun(run_id));
  if (detail.run.pipeline != orch::kProjectPipeline) return OrchRun(service, run_id);
  const json record = ProjectRecord(detail.run, &detail.states);
  json out = RunListItem(detail.run);
  out["states"] = RunStates(record);
  out["selection"] = record.value("selection", json::object());
  if (detail.run.cancel_requested) out["cancel_requested"] = true;
  return out;
}

Result<json> RunLogsView(orch::OrchestratorService& service, const std::string& run_id,
                         const std::string& state) {
  STRATA_ASSIGN_OR_RETURN(orch::RunDetail detail, service.GetRun(run_id));
  if (detail.run.pipeline != orch::kProjectPipeline) return OrchLogs(service, run_id, state);
  json lines = RunLogs(ProjectRecord(detail.run, &detail.states));
  if (!state.empty()) {
    json only = json::array();
    for (const json& line : lines) {
      if (line["state"] == state) only.push_back(line);
    }
    lines = only;
  }
  return json{{"run_id", run_id}, {"lines", lines}};
}

}  // namespace strata::server
