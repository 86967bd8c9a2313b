// The OpenAPI 3.0 document of the API (served at /api/openapi.json). server_api_test checks
// that every path here answers and every API route is described.
#include <nlohmann/json.hpp>

#include "server/context.h"

namespace strata::server {
namespace {

json Param(const std::string& name, const std::string& in, const std::string& type,
           const std::string& description, bool required = false) {
  return {{"name", name},
          {"in", in},
          {"required", required || in == "path"},
          {"description", description},
          {"schema", {{"type", type}}}};
}

json Responses(const std::string& ok_description, int ok = 200) {
  const json error_ref = {{"$ref", "#/components/schemas/Error"}};
  auto error = [&](const std::string& why) {
    return json{{"description", why}, {"content", {{"application/json", {{"schema", error_ref}}}}}};
  };
  return {{std::to_string(ok),
           {{"description", ok_description},
            {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}},
          {"400", error("bad parameter")},
          {"401", error("no, bad or expired credentials")},
          {"403", error("the user lacks the privilege, or a session's X-CSRF-Token is missing")},
          {"404", error("not found")},
          {"500", error("server error")}};
}

json Op(const std::string& summary, json parameters, json responses, const std::string& tag) {
  return {{"summary", summary},
          {"tags", {tag}},
          {"parameters", std::move(parameters)},
          {"responses", std::move(responses)}};
}

json Body(const json& properties, const std::vector<std::string>& required) {
  return {
      {"required", !required.empty()},
      {"content",
       {{"application/json",
         {{"schema", {{"type", "object"}, {"properties", properties}, {"required", required}}}}}}}};
}

}  // namespace

json OpenApiDocument() {
  const json name = Param("name", "path", "string", "table name (layer.name)");
  json paths = json::object();
  paths["/api/health"]["get"] =
      Op("Liveness: {status: ok} and nothing else", json::array(), Responses("ok"), "server");
  paths["/api/health"]["get"]["security"] = json::array();  // no credentials needed
  paths["/api/status"]["get"] =
      Op("The project's name, the engine, the orchestrator and the last "
         "catalog refresh",
         json::array(), Responses("status"), "server");
  paths["/api/openapi.json"]["get"] =
      Op("This document", json::array(), Responses("OpenAPI document"), "server");
  paths["/api/tables"]["get"] = Op(
      "Tables in the catalog", json::array({Param("layer", "query", "string", "only this layer")}),
      Responses("{tables: [...], count}"), "catalog");
  paths["/api/tables/{name}"]["get"] = Op(
      "Table detail: schema, PII classifications, tags, owner, description, schema versions, "
      "Delta history, statistics, runs, sample rows",
      json::array({name, Param("sample", "query", "integer", "sample rows (0-1000, default 20)"),
                   Param("pii", "query", "string",
                         "show: PII-classified columns unmasked in the sample (default masked)")}),
      Responses("table detail"), "catalog");
  paths["/api/tables/{name}/sample"]["get"] =
      Op("Sample rows", json::array({name, Param("limit", "query", "integer", "1-10000")}),
         Responses("{columns, rows, row_count, truncated, elapsed_ms}"), "catalog");
  paths["/api/tables/{name}/profile"]["get"] =
      Op("Column statistics (DuckDB SUMMARIZE)", json::array({name}),
         Responses("{columns, rows, ...}"), "catalog");
  paths["/api/search"]["get"] =
      Op("Ranked full-text search over tables, columns, files, pipelines",
         json::array({Param("q", "query", "string", "words to find", true),
                      Param("limit", "query", "integer", "1-200, default 20")}),
         Responses("{query, results: [{name, kind, description, owner, score}]}"), "catalog");
  paths["/api/lineage/{name}"]["get"] = Op(
      "Lineage graph of a table, file or column",
      json::array(
          {Param("name", "path", "string", "table, file or column (layer.table.column)"),
           Param("direction", "query", "string", "upstream (default), downstream, both"),
           Param("level", "query", "string", "table (default) or column (every column of a table)"),
           Param("depth", "query", "integer", "0 = unlimited (default), up to 100")}),
      Responses("{root, nodes: [{name, kind, depth, layer}], edges: [{from, to, level}]}"),
      "lineage");
  paths["/api/catalog/refresh"]["get"] = Op("When the catalog was last synced from the lake",
                                            json::array(), Responses("refresh state"), "catalog");
  paths["/api/catalog/refresh"]["post"] =
      Op("Sync the lake, project and run records into the catalog", json::array(),
         Responses("refresh state"), "catalog");
  json sql_get = Op(
      "Run one read-only SELECT over the lake (layer.name tables, AT (VERSION => n))",
      json::array({Param("q", "query", "string", "the SELECT", true),
                   Param("limit", "query", "integer", "rows returned at most"),
                   Param("timeout_ms", "query", "integer", "time limit (capped by the server)")}),
      Responses("{columns, rows, row_count, truncated, elapsed_ms}"), "sql");
  sql_get["responses"]["403"] = {{"description", "not a read-only statement (refused)"}};
  sql_get["responses"]["504"] = {{"description", "the query ran past its time limit"}};
  paths["/api/sql"]["get"] = sql_get;
  json sql_post = sql_get;
  sql_post["parameters"] = json::array();
  sql_post["requestBody"] = Body({{"sql", {{"type", "string"}}},
                                  {"limit", {{"type", "integer"}}},
                                  {"timeout_ms", {{"type", "integer"}}}},
                                 {"sql"});
  paths["/api/sql"]["post"] = sql_post;
  paths["/api/sources"]["get"] =
      Op("Database sources (sources/*.yaml with kind): per source its follower under strata serve "
         "(state starting|following|retrying|stopped|not followed, failures in a row, "
         "last_error, retry_in_ms) and per table the state, committed position, lag_seconds, "
         "lag_bytes, last_commit_ms, rows and error; no passwords",
         json::array(),
         Responses("{sources: [{name, connection, follow, follower, tables, error}]}"), "sources");
  paths["/api/dashboards"]["get"] =
      Op("Dashboards of the project (dashboards/*.yaml)", json::array(),
         Responses("{dashboards: [...]}"), "dashboards");
  paths["/api/dashboards/{name}"]["get"] =
      Op("A dashboard's definition",
         json::array({Param("name", "path", "string", "dashboard file name without .yaml")}),
         Responses("{name, title, charts: [...]}"), "dashboards");
  paths["/api/dashboards/{name}/charts/{chart}"]["get"] =
      Op("The data of one chart (its SQL, run read-only)",
         json::array({Param("name", "path", "string", "dashboard"),
                      Param("chart", "path", "string", "chart id")}),
         Responses("{chart, data: {columns, rows, ...}}"), "dashboards");
  const json pipeline =
      Param("name", "path", "string",
            "pipeline: \"project\" (every source and model) or a pipelines/*.yaml name");
  paths["/api/pipelines"]["get"] =
      Op("Pipelines", json::array(), Responses("{pipelines: [...]}"), "runs");
  paths["/api/pipelines/{name}"]["get"] =
      Op("A pipeline: states, edges, and the last run of each state", json::array({pipeline}),
         Responses("pipeline"), "runs");
  json start =
      Op("Start a run", json::array({pipeline}), Responses("{run_id, status}", 202), "runs");
  start["requestBody"] =
      Body({{"states",
             {{"type", "array"},
              {"items", {{"type", "string"}}},
              {"description", "project pipeline: the tables to run (default all)"}}},
            {"input",
             {{"type", "object"}, {"description", "state machine pipelines: the run's input"}}}},
           {});
  start["responses"]["404"] = {{"description", "no such pipeline"}};
  paths["/api/pipelines/{name}/runs"]["post"] = start;
  const json run = Param("id", "path", "string", "run id");
  paths["/api/runs"]["get"] =
      Op("Runs, newest first",
         json::array({Param("limit", "query", "integer", "1-1000, default 50"),
                      Param("status", "query", "string",
                            "success, failed, cancelled (project runs), aborted (state machines) "
                            "or running"),
                      Param("pipeline", "query", "string", "only this pipeline")}),
         Responses("{runs: [...]}"), "runs");
  paths["/api/runs/{id}"]["get"] =
      Op("A run and the state of each of its states", json::array({run}), Responses("run"), "runs");
  paths["/api/runs/{id}/logs"]["get"] =
      Op("Log lines of a run",
         json::array({run, Param("state", "query", "string", "only this state")}),
         Responses("{run_id, lines: [{state, level, message}]}"), "runs");
  json resume = Op("Resume a failed or cancelled run (runs what failed or was skipped)",
                   json::array({run}), Responses("{run_id, status}", 202), "runs");
  resume["responses"]["409"] = {{"description", "the run did not fail and was not cancelled"}};
  paths["/api/runs/{id}/resume"]["post"] = resume;
  json cancel =
      Op("Cancel a running run. State machines abort; the project's run (strata run as the API "
         "started it) starts nothing more and interrupts its running tables, which commit "
         "nothing (tables committed before stay), then ends with status cancelled",
         json::array({run}), Responses("{run_id, status: cancelling}: the run stops shortly", 202),
         "runs");
  cancel["responses"]["409"] = {{"description", "the run is not running"}};
  paths["/api/runs/{id}/cancel"]["post"] = cancel;
  json login =
      Op("Log in: sets the session cookie (strata_session) and returns the CSRF token "
         "that mutations made with it must send in X-CSRF-Token",
         json::array(), Responses("{user, roles, privileges, csrf_token, expires_at}"), "auth");
  login["requestBody"] = Body({{"user", {{"type", "string"}}}, {"password", {{"type", "string"}}}},
                              {"user", "password"});
  login["security"] = json::array();
  paths["/api/login"]["post"] = login;
  paths["/api/logout"]["post"] =
      Op("End the session and clear its cookie", json::array(), Responses("logged out"), "auth");
  paths["/api/me"]["get"] =
      Op("Who is asking: user, roles, privileges (and the CSRF token of a "
         "session)",
         json::array(), Responses("{user, roles, privileges}"), "auth");
  paths["/api/audit"]["get"] =
      Op("The audit trail, newest first (admin)",
         json::array({Param("user", "query", "string", "only this user"),
                      Param("action", "query", "string", "only this action, or a prefix (run.)"),
                      Param("since", "query", "string", "ISO-8601"),
                      Param("limit", "query", "integer", "1-10000, default 100")}),
         Responses("{events: [{at, user, action, target, outcome, address, detail}]}"), "auth");
  paths["/metrics"]["get"] = {
      {"summary", "Prometheus metrics (text exposition format 0.0.4)"},
      {"tags", {"server"}},
      {"responses",
       {{"200", {{"description", "metrics"}, {"content", {{"text/plain", json::object()}}}}}}}};

  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "strata API"},
        {"version", "1"},
        {"description",
         "Catalog, lineage, read-only SQL, dashboards and runs of one strata project. Errors "
         "are JSON: {\"error\": {\"status\", \"message\"}}."}}},
      {"paths", paths},
      {"security", json::array({{{"bearer", json::array()}}, {{"session", json::array()}}})},
      {"components",
       {{"securitySchemes",
         {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
          {"session", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "strata_session"}}}}},
        {"schemas",
         {{"Error",
           {{"type", "object"},
            {"required", {"error"}},
            {"properties",
             {{"error",
               {{"type", "object"},
                {"properties",
                 {{"status", {{"type", "integer"}}}, {"message", {{"type", "string"}}}}}}}}}}}}}}}};
}

}  // namespace strata::server
