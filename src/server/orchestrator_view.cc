#include "server/orchestrator_view.h"

#include <cstdio>
#include <ctime>
#include <map>
#include <sstream>

#include "server/runs.h"

namespace strata::server {
namespace {

using nlohmann::json;

// The UI's word for a state's or task attempt's status.
std::string StateUiStatus(const std::string& status) {
  if (status == "SUCCEEDED") return "success";
  if (status == "FAILED") return "failed";
  if (status == "CAUGHT") return "warn";
  if (status == "RUNNING") return "running";
  return status;
}

json Millis(int64_t from, int64_t to) {
  return from > 0 && to >= from ? json((to - from) / 1000) : json(nullptr);
}

std::string Joined(const std::string& error, const std::string& cause) {
  if (cause.empty()) return error;
  if (error.empty()) return cause;
  return error + ": " + cause;
}

// Edges between the top-level states of an ASL definition (Next, Default, Choices, Catch).
json Edges(const json& states) {
  json edges = json::array();
  auto add = [&edges](const std::string& from, const json& to, const char* kind) {
    if (to.is_string()) edges.push_back({{"from", from}, {"to", to}, {"kind", kind}});
  };
  for (const auto& [name, state] : states.items()) {
    if (!state.is_object()) continue;
    if (state.contains("Next")) add(name, state["Next"], "next");
    if (state.contains("Default")) add(name, state["Default"], "default");
    if (state.contains("Choices") && state["Choices"].is_array()) {
      for (const json& choice : state["Choices"]) {
        if (choice.is_object() && choice.contains("Next")) add(name, choice["Next"], "choice");
      }
    }
    if (state.contains("Catch") && state["Catch"].is_array()) {
      for (const json& c : state["Catch"]) {
        if (c.is_object() && c.contains("Next")) add(name, c["Next"], "catch");
      }
    }
  }
  return edges;
}

// Per top-level state: the last time it ran in `detail`.
json LastStates(const orch::RunDetail& detail) {
  json states = json::object();
  std::map<std::string, int> attempts;
  for (const orch::TaskAttempt& a : detail.attempts) {
    if (a.scope.empty()) ++attempts[a.state];
  }
  for (const orch::StateRun& s : detail.states) {
    if (!s.scope.empty()) continue;
    states[s.state] = {{"status", StateUiStatus(s.status)},
                       {"type", s.type},
                       {"entry", s.entry},
                       {"duration_ms", Millis(s.entered_at_micros, s.exited_at_micros)},
                       {"error", Joined(s.error, s.cause)},
                       {"retries", std::max(0, attempts[s.state] - 1)},
                       {"run_id", detail.run.run_id}};
  }
  return states;
}

}  // namespace

std::string IsoMicros(int64_t micros) {
  if (micros <= 0) return "";
  const std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(micros / 1000 % 1000));
  return buffer;
}

json OrchRunSummary(const orch::RunSummary& run) {
  return {{"run_id", run.run_id},
          {"pipeline", run.pipeline},
          {"command", run.trigger},
          {"trigger", run.trigger},
          {"trigger_info", run.trigger_info},
          {"resumed_from", run.resumed_from},
          {"status", UiStatus(run)},
          {"orchestrator_status", std::string(orch::RunStatusName(run.status))},
          {"started_at",
           IsoMicros(run.started_at_micros ? run.started_at_micros : run.queued_at_micros)},
          {"finished_at", IsoMicros(run.ended_at_micros)},
          {"duration_ms", Millis(run.started_at_micros, run.ended_at_micros)},
          {"failed_state", run.failed_state},
          {"states", run.states},
          {"failed", run.failed_states},
          {"error", Joined(run.error, run.cause)}};
}

Result<json> OrchPipelines(orch::OrchestratorService& service) {
  STRATA_ASSIGN_OR_RETURN(std::vector<orch::PipelineInfo> pipelines, service.ListPipelines());
  json out = json::array();
  for (const orch::PipelineInfo& p : pipelines) {
    orch::RunFilter filter;
    filter.pipeline = p.name;
    filter.limit = 1;
    STRATA_ASSIGN_OR_RETURN(std::vector<orch::RunSummary> runs, service.ListRuns(filter));
    const json& states = p.definition.contains("States") ? p.definition["States"] : json();
    out.push_back({{"name", p.name},
                   {"file", p.file},
                   {"description", p.description},
                   {"owner", p.owner},
                   {"kind", "state_machine"},
                   {"states", states.is_object() ? states.size() : 0},
                   {"last_run", runs.empty() ? json(nullptr) : OrchRunSummary(runs.front())},
                   {"error", p.error}});
  }
  return out;
}

Result<json> OrchPipeline(orch::OrchestratorService& service, const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(orch::PipelineInfo p, service.GetPipeline(name));
  json states = json::array();
  const json definition_states =
      p.definition.contains("States") ? p.definition["States"] : json::object();
  for (const auto& [state_name, state] : definition_states.items()) {
    states.push_back({{"name", state_name},
                      {"type", state.value("Type", "")},
                      {"resource", state.value("Resource", "")},
                      {"description", state.value("Comment", "")},
                      {"retry", state.contains("Retry")},
                      {"catch", state.contains("Catch")},
                      {"end", state.value("End", false)}});
  }
  json triggers = json::array();
  for (const auto& t : p.file_triggers) {
    triggers.push_back({{"source", t.source}, {"pattern", t.pattern}});
  }
  json table_triggers = json::array();
  for (const auto& t : p.table_triggers) table_triggers.push_back({{"table", t.table}});
  json out = {{"name", p.name},
              {"file", p.file},
              {"description", p.description},
              {"owner", p.owner},
              {"tags", p.tags},
              {"kind", "state_machine"},
              {"start_at", p.definition.value("StartAt", "")},
              {"schedules", p.schedules},
              {"file_triggers", triggers},
              {"table_triggers", table_triggers},
              {"states", states},
              {"edges", Edges(definition_states)},
              {"last_run", nullptr},
              {"last_states", json::object()},
              {"active_run", nullptr}};
  orch::RunFilter filter;
  filter.pipeline = name;
  filter.limit = 1;
  STRATA_ASSIGN_OR_RETURN(std::vector<orch::RunSummary> runs, service.ListRuns(filter));
  if (!runs.empty()) {
    STRATA_ASSIGN_OR_RETURN(orch::RunDetail detail, service.GetRun(runs.front().run_id));
    out["last_run"] = OrchRunSummary(detail.run);
    out["last_states"] = LastStates(detail);
    if (!detail.run.finished()) out["active_run"] = out["last_run"];
  }
  return out;
}

Result<json> OrchRun(orch::OrchestratorService& service, const std::string& run_id) {
  STRATA_ASSIGN_OR_RETURN(orch::RunDetail detail, service.GetRun(run_id));
  json out = OrchRunSummary(detail.run);
  json states = json::object();
  std::map<std::string, int> attempts;
  for (const orch::TaskAttempt& a : detail.attempts) ++attempts[a.scope + "\n" + a.state];
  for (const orch::StateRun& s : detail.states) {
    const std::string key = s.scope.empty() ? s.state : s.scope + "/" + s.state;
    states[key] = {{"status", StateUiStatus(s.status)},
                   {"type", s.type},
                   {"duration_ms", Millis(s.entered_at_micros, s.exited_at_micros)},
                   {"error", Joined(s.error, s.cause)},
                   {"retries", std::max(0, attempts[s.scope + "\n" + s.state] - 1)},
                   {"rows_written", nullptr},
                   {"rows_quarantined", nullptr}};
  }
  out["states"] = states;
  json list = json::array();
  for (const orch::TaskAttempt& a : detail.attempts) {
    list.push_back({{"scope", a.scope},
                    {"state", a.state},
                    {"resource", a.resource},
                    {"attempt", a.attempt},
                    {"status", StateUiStatus(a.status)},
                    {"error", Joined(a.error, a.cause)},
                    {"duration_ms", Millis(a.started_at_micros, a.ended_at_micros)}});
  }
  out["attempts"] = list;
  json events = json::array();
  for (const orch::RunEvent& e : detail.events) {
    events.push_back({{"seq", e.seq},
                      {"type", e.type},
                      {"scope", e.scope},
                      {"state", e.state},
                      {"time", IsoMicros(e.time_micros)},
                      {"detail", e.detail}});
  }
  out["events"] = events;
  out["selection"] = json::object();
  return out;
}

Result<json> OrchLogs(orch::OrchestratorService& service, const std::string& run_id,
                      const std::string& state) {
  STRATA_ASSIGN_OR_RETURN(orch::RunDetail detail, service.GetRun(run_id));
  json lines = json::array();
  for (const orch::RunEvent& e : detail.events) {
    if (!state.empty() && e.state != state) continue;
    std::string message = IsoMicros(e.time_micros) + " " + e.type;
    for (const char* key : {"error", "cause", "attempt"}) {
      if (e.detail.is_object() && e.detail.contains(key)) {
        message +=
            std::string(" ") + key + "=" +
            (e.detail[key].is_string() ? e.detail[key].get<std::string>() : e.detail[key].dump());
      }
    }
    const bool bad = e.type.find("Failed") != std::string::npos ||
                     e.type.find("Aborted") != std::string::npos ||
                     e.type.find("TimedOut") != std::string::npos;
    lines.push_back({{"state", e.state}, {"level", bad ? "error" : "info"}, {"message", message}});
  }
  Result<std::string> logs =
      state.empty() ? service.ReadRunLogs(run_id) : service.ReadTaskLog(run_id, state);
  if (logs.ok()) {
    std::istringstream in(*logs);
    std::string line;
    while (std::getline(in, line)) {
      lines.push_back({{"state", state}, {"level", "info"}, {"message", line}});
    }
  } else if (!logs.status().IsNotFound()) {
    return logs.status();
  }
  return json{{"run_id", run_id}, {"lines", lines}};
}

}  // namespace strata::server
