// Pipeline and run routes, over the project's run records and the runner (runs.h).
#include "server/context.h"

namespace strata::server {
namespace {

Status CheckPipeline(const ServerContext& context, const std::string& name) {
  if (name != context.project.config.name) {
    return Status::NotFound("no pipeline '" + name + "' (this project has '" +
                            context.project.config.name + "')");
  }
  return Status::OK();
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
  p["last_run"] = records.empty() ? json(nullptr) : RunSummary(records.front(), p["name"]);
  p["last_states"] = last_states;
  p["active_run"] = context.runner->Active();
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
    return Ok({{"pipelines", json::array({{{"name", p["name"]},
                                           {"description", p["description"]},
                                           {"kind", p["kind"]},
                                           {"states", p["states"].size()},
                                           {"last_run", p["last_run"]}}})}});
  });
  router.Get(R"(/api/pipelines/([^/]+))", "/api/pipelines/{name}",
             [&context](const httplib::Request& request) -> ApiResult {
               STRATA_RETURN_IF_ERROR(CheckPipeline(context, PathParam(request, 1)));
               return Ok(PipelineJson(context));
             });
  router.Post(R"(/api/pipelines/([^/]+)/runs)", "/api/pipelines/{name}/runs",
              [&context](const httplib::Request& request) -> ApiResult {
                STRATA_RETURN_IF_ERROR(CheckPipeline(context, PathParam(request, 1)));
                STRATA_ASSIGN_OR_RETURN(json body, JsonBody(request));
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
    if (!pipeline.empty()) STRATA_RETURN_IF_ERROR(CheckPipeline(context, pipeline));
    json runs = json::array();
    json active = context.runner->Active();
    if (!active.is_null() && (status.empty() || status == "running")) {
      runs.push_back(RunSummary(active, context.project.config.name));
    }
    for (const json& record : LoadRunRecords(context.project.RunsPath())) {
      if (static_cast<int>(runs.size()) >= limit) break;
      if (!status.empty() && record.value("status", "") != status) continue;
      runs.push_back(RunSummary(record, context.project.config.name));
    }
    return Ok({{"runs", runs}});
  });
  router.Get(R"(/api/runs/([^/]+))", "/api/runs/{id}",
             [&context](const httplib::Request& request) -> ApiResult {
               STRATA_ASSIGN_OR_RETURN(json record, FindRun(context, PathParam(request, 1)));
               json j = RunSummary(record, context.project.config.name);
               j["states"] = RunStates(record);
               j["selection"] = record.value("selection", json::object());
               return Ok(j);
             });
  router.Get(R"(/api/runs/([^/]+)/logs)", "/api/runs/{id}/logs",
             [&context](const httplib::Request& request) -> ApiResult {
               STRATA_ASSIGN_OR_RETURN(json record, FindRun(context, PathParam(request, 1)));
               json lines = RunLogs(record);
               const std::string state = StringParam(request, "state");
               if (!state.empty()) {
                 json only = json::array();
                 for (const json& line : lines) {
                   if (line["state"] == state) only.push_back(line);
                 }
                 lines = only;
               }
               return Ok({{"run_id", record["run_id"]}, {"lines", lines}});
             });
  router.Post(R"(/api/runs/([^/]+)/resume)", "/api/runs/{id}/resume",
              [&context](const httplib::Request& request) -> ApiResult {
                STRATA_ASSIGN_OR_RETURN(json record, FindRun(context, PathParam(request, 1)));
                if (record.value("status", "") != "failed") {
                  return Status::FailedPrecondition("run " + record.value("run_id", "") + " is " +
                                                    record.value("status", "") +
                                                    ": only a failed run can be resumed");
                }
                // Resume = run again what failed or was skipped (what succeeded stays committed).
                std::vector<std::string> names;
                for (const json& node : record["nodes"]) {
                  const std::string s = node.value("status", "");
                  if (s == "failed" || s == "skipped") names.push_back(node.value("table", ""));
                }
                return StartRun(context, names);
              });
  router.Post(R"(/api/runs/([^/]+)/cancel)", "/api/runs/{id}/cancel",
              [&context](const httplib::Request& request) -> ApiResult {
                STRATA_ASSIGN_OR_RETURN(json record, FindRun(context, PathParam(request, 1)));
                if (record.value("status", "") != "running") {
                  return Status::FailedPrecondition("run " + record.value("run_id", "") +
                                                    " is not running (it is " +
                                                    record.value("status", "") + ")");
                }
                return Status::Unsupported(
                    "the project runner commits each table as one transaction and cannot stop "
                    "between them; cancelling needs the orchestrator service");
              });
}

}  // namespace strata::server
