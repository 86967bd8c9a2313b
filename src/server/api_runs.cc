// Pipeline and run routes, over the project's run records and the runner (runs.h).
#include <algorithm>

#include "server/context.h"
#include "server/orchestrator_view.h"

namespace strata::server {
namespace {

bool IsProject(const std::string& name) { return name == kProjectPipeline; }

// Project records have ids "YYYYMMDDTHHMMSSZ-xxxxxx" or "active-N"; anything else is asked of
// the orchestrator.
bool IsOrchestratorRun(ServerContext& context, const std::string& id) {
  if (!context.orchestrator || id.rfind("active-", 0) == 0) return false;
  for (const json& record : LoadRunRecords(context.project.RunsPath())) {
    if (record["run_id"] == id) return false;
  }
  return true;
}

orch::OrchestratorService& Orchestrator(ServerContext& context) { return *context.orchestrator; }

Status NoPipeline(ServerContext& context, const std::string& name) {
  return Status::NotFound(
      "no pipeline '" + name + "' (the project's is '" + kProjectPipeline + "'" +
      (context.orchestrator ? std::string(", others are pipelines/*.yaml")
                            : "; the orchestrator is unavailable: " + context.orchestrator_error) +
      ")");
}

// The record of `id` (a run id or an "active-N" id), or the active run.
Result<json> FindRun(ServerContext& context, const std::string& id) {
  json active = context.runner->Active();
  if (!active.is_null() && active["run_id"] == id) return active;
  std::string wanted = id;
  if (id.rfind("active-", 0) == 0) {
    wanted = context.runner->Resolve(id);
    if (wanted.empty()) return Status::NotFound("run '" + id + "' is unknown or wrote no record");
  }
  for (json& record : LoadRunRecords(context.project.RunsPath())) {
    if (record["run_id"] == wanted) return std::move(record);
  }
  return Status::NotFound("no run '" + id + "' in " + context.project.RunsPath());
}

json PipelineJson(ServerContext& context) {
  json p = ProjectPipeline(context.project, context.graph ? &*context.graph : nullptr);
  if (!context.graph_error.empty()) p["graph_error"] = context.graph_error;
  std::vector<json> records = LoadRunRecords(context.project.RunsPath());
  // Each state coloured by its latest run: a partial run (a resume) only covers some states.
  json last_states = json::object();
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    json states = RunStates(*it);  // items() does not keep a temporary alive
    for (auto& [state, info] : states.items()) {
      info["run_id"] = (*it)["run_id"];
      last_states[state] = info;
    }
  }
  p["name"] = kProjectPipeline;
  p["title"] = context.project.config.name;
  p["last_run"] = records.empty() ? json(nullptr) : RunSummary(records.front(), p["name"]);
  p["last_states"] = last_states;
  p["active_run"] = context.runner->Active();
  // A run in progress shows on the graph as it goes: its finished nodes and the running ones.
  if (!p["active_run"].is_null()) {
    for (const json& node : p["active_run"]["nodes"]) {
      json info = {{"status", node.value("status", "running")},
                   {"duration_ms", node.value("duration_ms", json(nullptr))},
                   {"error", node.value("error", "")},
                   {"rows_written", node.value("rows_written", json(nullptr))},
                   {"retries", 0},
                   {"run_id", p["active_run"]["run_id"]}};
      last_states[node.value("table", "")] = info;
    }
    p["last_states"] = last_states;
  }
  return p;
}

ApiResult StartRun(ServerContext& context, const std::vector<std::string>& names) {
  STRATA_ASSIGN_OR_RETURN(std::string id, context.runner->Start(names, [&context] {
    if (context.options.refresh_catalog) (void)context.RefreshCatalog();
  }));
  return Ok({{"run_id", id}, {"status", "running"}, {"states", names}}, 202);
}

}  // namespace

void RegisterRunRoutes(Router& router, ServerContext& context) {
  router.Get("/api/pipelines", "/api/pipelines", [&context](const httplib::Request&) -> ApiResult {
    json p = PipelineJson(context);
    json list = json::array({{{"name", p["name"]},
                              {"title", p["title"]},
                              {"description", p["description"]},
                              {"kind", p["kind"]},
                              {"states", p["states"].size()},
                              {"last_run", p["last_run"]},
                              {"error", ""}}});
    if (context.orchestrator) {
      STRATA_ASSIGN_OR_RETURN(json more, OrchPipelines(Orchestrator(context)));
      for (json& item : more) list.push_back(std::move(item));
    }
    return Ok({{"pipelines", list}, {"orchestrator_error", context.orchestrator_error}});
  });
  router.Get(R"(/api/pipelines/([^/]+))", "/api/pipelines/{name}",
             [&context](const httplib::Request& request) -> ApiResult {
               const std::string name = PathParam(request, 1);
               if (IsProject(name)) return Ok(PipelineJson(context));
               if (!context.orchestrator) return NoPipeline(context, name);
               STRATA_ASSIGN_OR_RETURN(json p, OrchPipeline(Orchestrator(context), name));
               return Ok(p);
             });
  router.Post(R"(/api/pipelines/([^/]+)/runs)", "/api/pipelines/{name}/runs",
              [&context](const httplib::Request& request) -> ApiResult {
                const std::string name = PathParam(request, 1);
                STRATA_ASSIGN_OR_RETURN(json body, JsonBody(request));
                if (!IsProject(name)) {
                  if (!context.orchestrator) return NoPipeline(context, name);
                  const json input = body.contains("input") ? body["input"] : json::object();
                  if (!input.is_object()) {
                    return Status::InvalidArgument("\"input\" must be a JSON object");
                  }
                  STRATA_ASSIGN_OR_RETURN(std::string id,
                                          Orchestrator(context).StartRun(name, input));
                  return Ok({{"run_id", id}, {"status", "running"}}, 202);
                }
                std::vector<std::string> names;
                if (body.contains("states")) {
                  if (!body["states"].is_array()) {
                    return Status::InvalidArgument("\"states\" must be a list of table names");
                  }
                  for (const json& s : body["states"]) {
                    if (!s.is_string()) {
                      return Status::InvalidArgument("\"states\" must be a list of table names");
                    }
                    names.push_back(s.get<std::string>());
                  }
                }
                return StartRun(context, names);
              });

  router.Get("/api/runs", "/api/runs", [&context](const httplib::Request& request) -> ApiResult {
    STRATA_ASSIGN_OR_RETURN(int limit, IntParam(request, "limit", 50, 1, 1000));
    const std::string status = StringParam(request, "status");
    const std::string pipeline = StringParam(request, "pipeline");
    std::vector<json> runs;
    if (pipeline.empty() || IsProject(pipeline)) {
      json active = context.runner->Active();
      if (!active.is_null() && (status.empty() || status == "running")) {
        runs.push_back(RunSummary(active, kProjectPipeline));
      }
      for (const json& record : LoadRunRecords(context.project.RunsPath())) {
        if (static_cast<int>(runs.size()) >= limit) break;
        if (!status.empty() && record.value("status", "") != status) continue;
        runs.push_back(RunSummary(record, kProjectPipeline));
      }
    }
    if (context.orchestrator && !IsProject(pipeline)) {
      orch::RunFilter filter;
      filter.pipeline = pipeline;
      filter.limit = limit;
      STRATA_ASSIGN_OR_RETURN(auto orchestrated, Orchestrator(context).ListRuns(filter));
      for (const auto& run : orchestrated) {
        json summary = OrchRunSummary(run);
        if (status.empty() || summary["status"] == status) runs.push_back(std::move(summary));
      }
    } else if (!pipeline.empty() && !IsProject(pipeline)) {
      return NoPipeline(context, pipeline);
    }
    // Newest first across both sources (ISO-8601 UTC strings sort by time; running first).
    std::stable_sort(runs.begin(), runs.end(), [](const json& a, const json& b) {
      const bool ra = a["status"] == "running", rb = b["status"] == "running";
      if (ra != rb) return ra;
      return a.value("started_at", "") > b.value("started_at", "");
    });
    if (static_cast<int>(runs.size()) > limit) runs.resize(limit);
    return Ok({{"runs", runs}});
  });
  router.Get(R"(/api/runs/([^/]+))", "/api/runs/{id}",
             [&context](const httplib::Request& request) -> ApiResult {
               const std::string id = PathParam(request, 1);
               if (IsOrchestratorRun(context, id)) {
                 STRATA_ASSIGN_OR_RETURN(json run, OrchRun(Orchestrator(context), id));
                 return Ok(run);
               }
               STRATA_ASSIGN_OR_RETURN(json record, FindRun(context, id));
               json j = RunSummary(record, kProjectPipeline);
               j["states"] = RunStates(record);
               j["selection"] = record.value("selection", json::object());
               if (record.value("cancel_requested", false)) j["cancel_requested"] = true;
               return Ok(j);
             });
  router.Get(R"(/api/runs/([^/]+)/logs)", "/api/runs/{id}/logs",
             [&context](const httplib::Request& request) -> ApiResult {
               const std::string id = PathParam(request, 1);
               const std::string state = StringParam(request, "state");
               if (IsOrchestratorRun(context, id)) {
                 STRATA_ASSIGN_OR_RETURN(json logs, OrchLogs(Orchestrator(context), id, state));
                 return Ok(logs);
               }
               STRATA_ASSIGN_OR_RETURN(json record, FindRun(context, id));
               json lines = RunLogs(record);
               if (!state.empty()) {
                 json only = json::array();
                 for (const json& line : lines) {
                   if (line["state"] == state) only.push_back(line);
                 }
                 lines = only;
               }
               return Ok({{"run_id", record["run_id"]}, {"lines", lines}});
             });
  router.Post(
      R"(/api/runs/([^/]+)/resume)", "/api/runs/{id}/resume",
      [&context](const httplib::Request& request) -> ApiResult {
        const std::string id = PathParam(request, 1);
        if (IsOrchestratorRun(context, id)) {
          STRATA_ASSIGN_OR_RETURN(std::string resumed, Orchestrator(context).Resume(id));
          return Ok({{"run_id", resumed}, {"status", "running"}, {"resumed_from", id}}, 202);
        }
        STRATA_ASSIGN_OR_RETURN(json record, FindRun(context, id));
        const std::string status = record.value("status", "");
        if (status != "failed" && status != "cancelled") {
          return Status::FailedPrecondition("run " + record.value("run_id", "") + " is " + status +
                                            ": only a failed or cancelled run can be resumed");
        }
        // Resume = run again what failed or was skipped, cancelled nodes included (what
        // succeeded stays committed).
        std::vector<std::string> names;
        for (const json& node : record["nodes"]) {
          const std::string s = node.value("status", "");
          if (s == "failed" || s == "skipped") names.push_back(node.value("table", ""));
        }
        return StartRun(context, names);
      });
  router.Post(
      R"(/api/runs/([^/]+)/cancel)", "/api/runs/{id}/cancel",
      [&context](const httplib::Request& request) -> ApiResult {
        const std::string id = PathParam(request, 1);
        if (IsOrchestratorRun(context, id)) {
          STRATA_ASSIGN_OR_RETURN(json run, OrchRun(Orchestrator(context), id));
          if (run["status"] != "running") {
            return Status::FailedPrecondition("run " + id + " is not running (it is " +
                                              run["status"].get<std::string>() + ")");
          }
          STRATA_RETURN_IF_ERROR(Orchestrator(context).Cancel(id, "cancelled from the web UI/API"));
          return Ok({{"run_id", id}, {"status", "cancelling"}}, 202);
        }
        STRATA_ASSIGN_OR_RETURN(json record, FindRun(context, id));
        if (record.value("status", "") != "running") {
          return Status::FailedPrecondition("run " + record.value("run_id", "") +
                                            " is not running (it is " + record.value("status", "") +
                                            ")");
        }
        // Only the run in progress can be running: the records on disk are finished runs.
        // The runner stops starting nodes and interrupts the running ones; tables committed
        // stay, an interrupted table commits nothing, and the record ends "cancelled".
        STRATA_RETURN_IF_ERROR(context.runner->Cancel(record.value("run_id", "")));
        return Ok({{"run_id", record.value("run_id", "")}, {"status", "cancelling"}}, 202);
      });
}

}  // namespace strata::server
