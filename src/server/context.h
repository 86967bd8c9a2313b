// What every API handler shares (internal to the server layer): the project, its lake, its
// catalog (one connection, serialised by a mutex: the Catalog is single-threaded), the
// orchestrator service (every run), dashboards and metrics. Created by Server::Start; lives until
// the server is destroyed.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "access/access.h"
#include "catalog/catalog.h"
#include "common/result.h"
#include "lake/lake.h"
#include "landing/followers/followers.h"
#include "orchestrator/service/service.h"
#include "pipeline/graph.h"
#include "pipeline/project.h"
#include "server/auth.h"
#include "server/http_util.h"
#include "server/metrics.h"
#include "server/query.h"
#include "server/runs.h"
#include "server/server.h"

namespace strata::server {

class ServerContext {
 public:
  ServerOptions options;
  pipeline::Project project;  // never moves after the graph points into it
  std::optional<pipeline::ModelGraph> graph;
  std::string graph_error;  // why the graph could not be built (bad model SQL)
  std::string lake_dir;     // local lake directory, "" when the storage is remote
  std::string catalog_location;
  Metrics metrics;
  // Every run: the project's built-in pipeline and those of pipelines/*.yaml (state
  // machines); null when it could not open (then `orchestrator_error` says why, and the
  // project pipeline is served without runs).
  std::unique_ptr<orchestrator::service::OrchestratorService> orchestrator;
  std::string orchestrator_error;
  // The followers of the `follow: true` database sources (none unless options.follow_sources);
  // also what GET /api/sources reports for every database source. Set once the server listens.
  std::unique_ptr<followers::SourceFollowers> source_followers;

  // Users, roles, sessions and the audit trail (in the catalog database), and how requests
  // authenticate against them.
  std::unique_ptr<access::AccessControl> access;
  std::unique_ptr<Authenticator> auth;
  // Shared by every query of the API: how many run at once.
  std::unique_ptr<QueryGate> query_gate;

  // The lake as it is now (nullopt before the first run created it).
  Result<std::optional<lake::Lake>> Lake() const;
  // A query service over the current lake, with the server's limits.
  Result<QueryService> Queries() const;
  // With the caller's access policy when a request is being served (CurrentCaller), so every
  // query of a route reads only what its user may, with PII masked (table_policy.h).
  QueryLimits Limits(int max_rows);

  // Runs `fn` with the catalog, one caller at a time.
  template <typename F>
  auto WithCatalog(F&& fn) {
    std::lock_guard lock(catalog_mutex_);
    return fn(*catalog_);
  }
  void SetCatalog(std::unique_ptr<catalog::Catalog> catalog) { catalog_ = std::move(catalog); }

  // Syncs the lake, project and the project runs' records into the catalog (catalog_refresh.h).
  Status RefreshCatalog();
  // When the last refresh finished (ISO-8601), its warnings.
  nlohmann::json RefreshState() const;

 private:
  std::mutex catalog_mutex_;
  std::unique_ptr<catalog::Catalog> catalog_;
  mutable std::mutex refresh_mutex_;
  nlohmann::json refresh_state_ = nlohmann::json::object();
};

void RegisterCatalogRoutes(Router& router, ServerContext& context);
void RegisterDataRoutes(Router& router, ServerContext& context);
void RegisterRunRoutes(Router& router, ServerContext& context);
void RegisterSourceRoutes(Router& router, ServerContext& context);
void RegisterAuthRoutes(Router& router, ServerContext& context);

// What the caller (CurrentCaller) may see of a lake table: PermissionDenied when its roles grant
// no read on it (a grant on *, its layer, the table or one of its catalog tags), else whether
// they grant unmask (PII in clear). Without authentication (no caller), everything.
Result<bool> MayUnmask(ServerContext& context, const lake::TableName& table);

// The OpenAPI 3.0 document of every route the server registers.
nlohmann::json OpenApiDocument();

// The web UI, embedded at build time (web_assets.cc is generated from web/ by web/build.mjs).
struct WebAsset {
  const char* path;  // "/index.html", "/assets/app.js"
  const unsigned char* data;
  size_t size;
  const char* content_type;
};
const std::vector<WebAsset>& WebAssets();

}  // namespace strata::server
