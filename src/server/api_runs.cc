// Pipeline and run routes, over the orchestrator service (the one owner of runs; views in runs.h).
#include <algorithm>

#include "server/context.h"
#include "server/orchestrator_view.h"

namespace strata::server {
namespace {

bool IsProject(const std::string& name) { return name == orch::kProjectPipeline; }

// Runs live in the orchestrator service's run store; without it the server has none to show.
Result<orch::OrchestratorService*> Orchestrator(ServerContext& context) {
  if (!context.orchestrator) {
    return Status::FailedPrecondition("runs are unavailable: the orchestrator did not open: " +
                                      context.orchestrator_error);
  }
  return context.orchestrator.get();
}

Status NoPipeline(ServerContext& context, const std::string& name) {
  return Status::NotFound(
      "no pipeline '" + name + "' (the project's is '" + orch::kProjectPipeline + "'" +
      (context.orchestrator ? std::string(", others are pipelines/*.yaml")
                            : "; the orchestrator is unavailable: " + context.orchestrator_error) +
      ")");
}

// The recent runs of the project's pipeline, newest first (their records, or the states so far).
constexpr int kProjectHistory = 100;

Result<json> PipelineJson(ServerContext& context) {
  json p = ProjectPipeline(context.project, context.graph ? &*context.graph : nullptr);
  if (!context.graph_error.empty()) p["graph_error"] = context.graph_error;
  p["name"] = orch::kProjectPipeline;
  p["title"] = context.project.config.name;
  p["last_run"] = nullptr;
  p["last_states"] = json::object();
  p["active_run"] = nullptr;
  if (!context.orchestrator) return p;
  orch::RunFilter filter;
  filter.pipeline = orch::kProjectPipeline;
  filter.limit = kProjectHistory;
  STRATA_ASSIGN_OR_RETURN(std::vector<orch::RunSummary> runs,
                          context.orchestrator->ListRuns(filter));
  // Each state coloured by its latest run: a partial run (a resume) only covers some states.
  // A run in progress shows on the graph as it goes: its finished tables and the running ones.
  json last_states = json::object();
  for (const orch::RunSummary& run : runs) {
    std::vector<orch::StateRun> states;
    if (!run.finished()) {
      STRATA_ASSIGN_OR_RETURN(orch::RunDetail detail, context.orchestrator->GetRun(run.run_id));
      states = std::move(detail.states);
      if (p["active_run"].is_null()) {
        p["active_run"] = RunListItem(detail.run);
        p["active_run"]["done"] = detail.run.states;
        if (detail.run.cancel_requested) p["active_run"]["cancel_requested"] = true;
      }
    }
    json run_states = RunStates(ProjectRecord(run, &states));
    for (auto& [state, info] : run_states.items()) {
      if (last_states.contains(state)) continue;
      info["run_id"] = run.run_id;
      last_states[state] = info;
    }
  }
  if (!runs.empty()) p["last_run"] = RunListItem(runs.front());
  p["last_states"] = last_states;
  return p;
}

// Reads the "states" of a project run request: the tables to run (empty = all).
Result<std::vector<std::string>> RequestedStates(const json& body) {
  std::vector<std::string> names;
  if (!body.contains("states")) return names;
  if (!body["states"].is_array()) {
    return Status::InvalidArgument("\"states\" must be a list of table names");
  }
  for (const json& s : body["states"]) {
    if (!s.is_string()) return Status::InvalidArgument("\"states\" must be a list of table names");
    names.push_back(s.get<std::string>());
  }
  return names;
}

}  // namespace

void RegisterRunRoutes(Router& router, ServerContext& context) {
  router.Get("/api/pipelines", "/api/pipelines", [&context](const httplib::Request&) -> ApiResult {
    STRATA_ASSIGN_OR_RETURN(json p, PipelineJson(context));
    json list = json::array({{{"name", p["name"]},
                              {"title", p["title"]},
                              {"description", p["description"]},
                              {"kind", p["kind"]},
                              {"states", p["states"].size()},
                              {"last_run", p["last_run"]},
                              {"error", ""}}});
    if (context.orchestrator) {
      STRATA_ASSIGN_OR_RETURN(json more, OrchPipelines(*context.orchestrator));
      for (json& item : more) list.push_back(std::move(item));
    }
    return Ok({{"pipelines", list}, {"orchestrator_error", context.orchestrator_error}});
  });
  router.Get(R"(/api/pipelines/([^/]+))", "/api/pipelines/{name}",
             [&context](const httplib::Request& request) -> ApiResult {
               const std::string name = PathParam(request, 1);
               if (IsProject(name)) {
                 STRATA_ASSIGN_OR_RETURN(json p, PipelineJson(context));
                 return Ok(p);
               }
               if (!context.orchestrator) return NoPipeline(context, name);
               STRATA_ASSIGN_OR_RETURN(json p, OrchPipeline(*context.orchestrator, name));
               return Ok(p);
             });
  router.Post(
      R"(/api/pipelines/([^/]+)/runs)", "/api/pipelines/{name}/runs",
      [&context](const httplib::Request& request) -> ApiResult {
        const std::string name = PathParam(request, 1);
        STRATA_ASSIGN_OR_RETURN(json body, JsonBody(request));
        if (!context.orchestrator) return NoPipeline(context, name);
        if (IsProject(name)) {
          orch::ProjectRunOptions run;
          STRATA_ASSIGN_OR_RETURN(run.run.selection.names, RequestedStates(body));
          STRATA_ASSIGN_OR_RETURN(std::string id, context.orchestrator->StartProjectRun(run));
          return Ok({{"run_id", id}, {"status", "running"}, {"states", run.run.selection.names}},
                    202);
        }
        const json input = body.contains("input") ? body["input"] : json::object();
        if (!input.is_object()) {
          return Status::InvalidArgument("\"input\" must be a JSON object");
        }
        STRATA_ASSIGN_OR_RETURN(std::string id, context.orchestrator->StartRun(name, input));
        return Ok({{"run_id", id}, {"status", "running"}}, 202);
      },
      Need::kRun, "run.start");

  router.Get("/api/runs", "/api/runs", [&context](const httplib::Request& request) -> ApiResult {
    STRATA_ASSIGN_OR_RETURN(int limit, IntParam(request, "limit", 50, 1, 1000));
    const std::string status = StringParam(request, "status");
    const std::string pipeline = StringParam(request, "pipeline");
    STRATA_ASSIGN_OR_RETURN(orch::OrchestratorService * service, Orchestrator(context));
    if (!pipeline.empty() && !IsProject(pipeline)) {
      STRATA_RETURN_IF_ERROR(service->GetPipeline(pipeline).status());
    }
    orch::RunFilter filter;
    filter.pipeline = pipeline;
    STRATA_ASSIGN_OR_RETURN(filter.statuses, StatusesFor(status));
    filter.limit = limit;
    STRATA_ASSIGN_OR_RETURN(std::vector<orch::RunSummary> found, service->ListRuns(filter));
    json runs = json::array();
    for (const orch::RunSummary& run : found) {
      // "cancelled" and "aborted" both stand for ABORTED: the word says which kind of run.
      if (status.empty() || UiStatus(run) == status) runs.push_back(RunListItem(run));
    }
    return Ok({{"runs", runs}});
  });
  router.Get(R"(/api/runs/([^/]+))", "/api/runs/{id}",
             [&context](const httplib::Request& request) -> ApiResult {
               STRATA_ASSIGN_OR_RETURN(orch::OrchestratorService * service, Orchestrator(context));
               STRATA_ASSIGN_OR_RETURN(json run, RunView(*service, PathParam(request, 1)));
               return Ok(run);
             });
  router.Get(R"(/api/runs/([^/]+)/logs)", "/api/runs/{id}/logs",
             [&context](const httplib::Request& request) -> ApiResult {
               STRATA_ASSIGN_OR_RETURN(orch::OrchestratorService * service, Orchestrator(context));
               STRATA_ASSIGN_OR_RETURN(json logs, RunLogsView(*service, PathParam(request, 1),
                                                              StringParam(request, "state")));
               return Ok(logs);
             });
  router.Post(R"(/api/runs/([^/]+)/resume)", "/api/runs/{id}/resume",
              [&context](const httplib::Request& request) -> ApiResult {
                const std::string id = PathParam(request, 1);
                STRATA_ASSIGN_OR_RETURN(orch::OrchestratorService * service, Orchestrator(context));
                STRATA_ASSIGN_OR_RETURN(std::string resumed, service->Resume(id));
                json out = {{"run_id", resumed}, {"status", "running"}, {"resumed_from", id}};
                STRATA_ASSIGN_OR_RETURN(orch::RunDetail run, service->GetRun(resumed));
                if (run.run.pipeline == orch::kProjectPipeline) {
                  out["states"] = run.run.input.value("select", json::array());
                }
                return Ok(out, 202);
              },
              Need::kRun, "run.resume");
  router.Post(R"(/api/runs/([^/]+)/cancel)", "/api/runs/{id}/cancel",
              [&context](const httplib::Request& request) -> ApiResult {
                const std::string id = PathParam(request, 1);
                STRATA_ASSIGN_OR_RETURN(orch::OrchestratorService * service, Orchestrator(context));
                STRATA_ASSIGN_OR_RETURN(orch::RunDetail run, service->GetRun(id));
                if (run.run.finished()) {
                  return Status::FailedPrecondition("run " + id + " is not running (it is " +
                                                    UiStatus(run.run) + ")");
                }
                STRATA_RETURN_IF_ERROR(service->Cancel(id, "cancelled from the web UI/API"));
                return Ok({{"run_id", id}, {"status", "cancelling"}}, 202);
              },
              Need::kRun, "run.cancel");
}

}  // namespace strata::server
