// Data routes: read-only SQL and dashboards.
#include "server/context.h"
#include "server/dashboards.h"

namespace strata::server {
namespace {

// A refused write is 403: the request was understood and will not be run.
ApiResult QueryReply(const Result<QueryJson>& result, Refusal refusal) {
  if (result.ok()) return Ok(*result);
  if (refusal == Refusal::kNotReadOnly || refusal == Refusal::kOutsideLake ||
      refusal == Refusal::kExtension) {
    return Ok({{"error", {{"status", 403}, {"message", result.status().message()}}}}, 403);
  }
  return result.status();
}

Result<Dashboard> FindDashboard(ServerContext& context, const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Dashboard> dashboards, LoadDashboards(context.project.root));
  for (Dashboard& d : dashboards) {
    if (d.name == name) return std::move(d);
  }
  return Status::NotFound("no dashboard '" + name + "' in " + context.project.root +
                          "/dashboards/");
}

}  // namespace

void RegisterDataRoutes(Router& router, ServerContext& context) {
  auto run_sql = [&context](const std::string& sql, int limit, int timeout_ms) -> ApiResult {
    STRATA_ASSIGN_OR_RETURN(QueryService queries, context.Queries());
    QueryLimits limits = context.Limits(limit);
    if (timeout_ms > 0) limits.timeout_ms = std::min(timeout_ms, context.options.sql_timeout_ms);
    Refusal refusal = Refusal::kNone;
    Result<QueryJson> result = queries.RunReadOnly(sql, limits, &refusal);
    return QueryReply(result, refusal);
  };
  router.Post(
      "/api/sql", "/api/sql",
      [&context, run_sql](const httplib::Request& request) -> ApiResult {
        STRATA_ASSIGN_OR_RETURN(json body, JsonBody(request));
        if (!body.contains("sql") || !body["sql"].is_string()) {
          return Status::InvalidArgument("request body needs \"sql\": the SELECT to run");
        }
        int limit = 1000, timeout_ms = 0;
        if (body.contains("limit")) {
          if (!body["limit"].is_number_integer() || body["limit"].get<int64_t>() < 1 ||
              body["limit"].get<int64_t>() > context.options.sql_max_rows) {
            return Status::InvalidArgument("\"limit\" must be an integer from 1 to " +
                                           std::to_string(context.options.sql_max_rows));
          }
          limit = body["limit"].get<int>();
        }
        if (body.contains("timeout_ms")) {
          if (!body["timeout_ms"].is_number_integer() || body["timeout_ms"].get<int64_t>() < 1 ||
              body["timeout_ms"].get<int64_t>() > 3600000) {
            return Status::InvalidArgument("\"timeout_ms\" must be an integer from 1 to 3600000");
          }
          timeout_ms = body["timeout_ms"].get<int>();
        }
        return run_sql(body["sql"].get<std::string>(), limit, timeout_ms);
      },
      Need::kUser, "");
  router.Get(
      "/api/sql", "/api/sql", [&context, run_sql](const httplib::Request& request) -> ApiResult {
        const std::string sql = StringParam(request, "q");
        if (sql.empty())
          return Status::InvalidArgument("query parameter 'q' (the SELECT) is required");
        STRATA_ASSIGN_OR_RETURN(int limit,
                                IntParam(request, "limit", 1000, 1, context.options.sql_max_rows));
        STRATA_ASSIGN_OR_RETURN(int timeout_ms, IntParam(request, "timeout_ms", 0, 0, 3600000));
        return run_sql(sql, limit, timeout_ms);
      });

  router.Get("/api/dashboards", "/api/dashboards",
             [&context](const httplib::Request&) -> ApiResult {
               STRATA_ASSIGN_OR_RETURN(std::vector<Dashboard> dashboards,
                                       LoadDashboards(context.project.root));
               json list = json::array();
               for (const Dashboard& d : dashboards) {
                 list.push_back({{"name", d.name},
                                 {"title", d.title},
                                 {"description", d.description},
                                 {"charts", d.charts.size()}});
               }
               return Ok({{"dashboards", list}});
             });
  router.Get(R"(/api/dashboards/([^/]+))", "/api/dashboards/{name}",
             [&context](const httplib::Request& request) -> ApiResult {
               STRATA_ASSIGN_OR_RETURN(Dashboard d, FindDashboard(context, PathParam(request, 1)));
               return Ok(DashboardJson(d));
             });
  router.Get(R"(/api/dashboards/([^/]+)/charts/([^/]+))", "/api/dashboards/{name}/charts/{chart}",
             [&context](const httplib::Request& request) -> ApiResult {
               STRATA_ASSIGN_OR_RETURN(Dashboard d, FindDashboard(context, PathParam(request, 1)));
               const std::string id = PathParam(request, 2);
               for (const ChartSpec& chart : d.charts) {
                 if (chart.id != id) continue;
                 STRATA_ASSIGN_OR_RETURN(QueryService queries, context.Queries());
                 Refusal refusal = Refusal::kNone;
                 QueryLimits limits = context.Limits(5000);
                 Result<QueryJson> data = queries.RunReadOnly(chart.sql, limits, &refusal);
                 if (!data.ok()) {
                   return Status(data.status().code(),
                                 d.file + ": chart " + id + ": " + data.status().message());
                 }
                 return Ok({{"chart", id}, {"data", *data}});
               }
               return Status::NotFound("dashboard '" + d.name + "' has no chart '" + id + "'");
             });
}

}  // namespace strata::server
