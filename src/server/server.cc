#include "server/server.h"

#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

#include "catalog/location.h"
#include "common/logging.h"
#include "engine/engine.h"
#include "server/catalog_refresh.h"
#include "server/connection.h"
#include "server/context.h"
#include "server/orchestrator_view.h"
#include "server/request_guard.h"
#include "server/table_policy.h"

namespace strata::server {

Result<std::optional<lake::Lake>> ServerContext::Lake() const {
  Result<lake::Lake> lake = lake::Lake::Open(project.StoragePath());
  if (!lake.ok()) {
    if (lake.status().IsNotFound()) return std::optional<lake::Lake>();  // nothing ran yet
    return lake.status();
  }
  return std::optional<lake::Lake>(std::move(*lake));
}

Result<QueryService> ServerContext::Queries() const {
  STRATA_ASSIGN_OR_RETURN(std::optional<lake::Lake> lake, Lake());
  QuerySettings settings;
  settings.threads = options.sql_threads;
  settings.memory_limit = options.sql_memory_limit;
  settings.gate = query_gate.get();
  settings.queue_ms = options.sql_queue_ms;
  return QueryService(std::move(lake), lake_dir, std::move(settings));
}

QueryLimits ServerContext::Limits(int max_rows) {
  QueryLimits limits{std::min(max_rows, options.sql_max_rows), options.sql_timeout_ms};
  if (const Caller* caller = CurrentCaller()) limits.policy = TablePolicy(caller->principal, *this);
  return limits;
}

Status ServerContext::RefreshCatalog() {
  STRATA_ASSIGN_OR_RETURN(std::optional<lake::Lake> lake, Lake());
  std::vector<std::string> warnings;
  std::vector<json> records;
  if (orchestrator) {
    orchestrator::service::RunFilter filter;
    filter.pipeline = orchestrator::service::kProjectPipeline;
    filter.limit = 1'000'000;
    STRATA_ASSIGN_OR_RETURN(std::vector<orchestrator::service::RunSummary> runs,
                            orchestrator->ListRuns(filter));
    for (orchestrator::service::RunSummary& run : runs) {
      if (run.output.is_object()) records.push_back(std::move(run.output));
    }
  }
  RefreshReport report;
  if (lake) {
    STRATA_ASSIGN_OR_RETURN(report, WithCatalog([&](catalog::Catalog& c) {
                              return server::RefreshCatalog(project, *lake, c, records);
                            }));
  }
  for (const std::string& w : warnings) report.warnings.push_back(w);
  std::lock_guard lock(refresh_mutex_);
  refresh_state_ = {{"refreshed_at", catalog::NowIso8601()},
                    {"tables", report.tables},
                    {"runs", report.runs},
                    {"warnings", report.warnings}};
  return Status::OK();
}

json ServerContext::RefreshState() const {
  std::lock_guard lock(refresh_mutex_);
  return refresh_state_;
}

class ServerImpl {
 public:
  std::unique_ptr<ServerContext> context;
  std::unique_ptr<TlsContext> tls;  // outlives `http`, which uses it
  std::unique_ptr<GuardedServer> http;
  RequestPolicy policy;  // complete once the port is bound, before the first request
  std::string first_start_notice;
  std::thread listener;
  std::atomic<bool> listen_failed{false};
  std::string host;
  int port = 0;
  std::mutex mutex;
  bool stopped = false;

  ~ServerImpl() {
    if (http) http->stop();
    if (listener.joinable()) listener.join();
    context->source_followers.reset();  // no request reads them any more
    if (context->orchestrator) {
      context->orchestrator->Shutdown(/*cancel_running=*/true);
      context->orchestrator.reset();
    }
  }

  std::vector<GaugeSample> Gauges() {
    std::vector<GaugeSample> gauges;
    std::map<std::string, int> by_status = {{"success", 0}, {"failed", 0}, {"running", 0}};
    if (context->orchestrator) {
      orchestrator::service::RunFilter filter;
      filter.limit = 100000;
      auto runs = context->orchestrator->ListRuns(filter);
      if (runs.ok()) {
        for (const auto& run : *runs) ++by_status[UiStatus(run)];
      }
    }
    for (const auto& [status, count] : by_status) {
      gauges.push_back({"strata_runs", "Pipeline runs of the project by status.",
                        "status=\"" + EscapeLabel(status) + "\"", static_cast<double>(count)});
    }
    std::map<std::string, int> by_layer = {{"bronze", 0}, {"silver", 0}, {"gold", 0}};
    Result<std::optional<lake::Lake>> lake = context->Lake();
    if (lake.ok() && *lake) {
      Result<std::vector<lake::TableName>> tables = (*lake)->ListTables();
      if (tables.ok()) {
        for (const lake::TableName& t : *tables) ++by_layer[t.layer];
      }
    }
    for (const auto& [layer, count] : by_layer) {
      gauges.push_back({"strata_tables", "Delta tables in the lake by layer.",
                        "layer=\"" + EscapeLabel(layer) + "\"", static_cast<double>(count)});
    }
    return gauges;
  }

  // Users and sessions; on the first start (no user yet) the `admin` user, whose password is
  // STRATA_ADMIN_PASSWORD or a random one shown once in first_start_notice.
  Status OpenAccess(const ServerOptions& options) {
    access::AccessOptions access_options;
    access_options.session_ttl_seconds = options.session_ttl_seconds;
    STRATA_ASSIGN_OR_RETURN(context->access,
                            access::AccessControl::Open(context->catalog_location, access_options));
    const char* given = std::getenv("STRATA_ADMIN_PASSWORD");
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> created,
                            context->access->EnsureAdmin(given ? given : ""));
    if (created) {
      first_start_notice = given && *given
                               ? "created user 'admin' with the password in STRATA_ADMIN_PASSWORD"
                               : "created user 'admin' with password " + *created +
                                     " (shown once: change it with `strata user passwd admin`)";
    }
    context->auth = std::make_unique<Authenticator>(
        *context->access, !options.tls_cert_file.empty(), options.session_ttl_seconds);
    return Status::OK();
  }

  // The HTTP server with its limits, its routes, and the bound socket.
  Status LoadTls(const ServerOptions& options) {
    if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
      return Status::InvalidArgument(
          "TLS needs both a certificate and a key (--tls-cert FILE --tls-key FILE)");
    }
    if (!options.tls_cert_file.empty()) {
      STRATA_ASSIGN_OR_RETURN(tls, TlsContext::Load(options.tls_cert_file, options.tls_key_file));
    }
    return Status::OK();
  }

  Status Listen(const ServerOptions& options) {
    ConnectionLimits limits;
    limits.header_timeout_ms = options.header_timeout_ms;
    limits.body_timeout_ms = options.body_timeout_ms;
    limits.max_body_bytes = options.max_body_bytes;
    http = std::make_unique<GuardedServer>(limits, tls.get(),
                                           static_cast<size_t>(std::max(1, options.http_threads)));
    RegisterRoutes();
    host = options.host;
    if (options.port == 0) {
      port = http->bind_to_any_port(options.host.c_str());
      if (port < 0) port = 0;
    } else if (http->bind_to_port(options.host.c_str(), options.port)) {
      port = options.port;
    }
    if (port <= 0) {
      return Status::IOError("cannot listen on " + options.host + ":" +
                             std::to_string(options.port) +
                             " (in use, or not an address of this machine)");
    }
    policy.bind_host = options.host;
    policy.port = port;
    policy.tls = tls != nullptr;
    policy.allowed_hosts = options.allowed_hosts;
    policy.allowed_origins = options.allowed_origins;
    policy.max_body_bytes = options.max_body_bytes;
    return Status::OK();
  }

  void RegisterRoutes() {
    Router router(*http, context->metrics, context->auth.get());
    RegisterAuthRoutes(router, *context);
    RegisterCatalogRoutes(router, *context);
    RegisterDataRoutes(router, *context);
    RegisterRunRoutes(router, *context);
    RegisterSourceRoutes(router, *context);
    router.Get("/api/openapi.json", "/api/openapi.json",
               [](const httplib::Request&) -> ApiResult { return Ok(OpenApiDocument()); });
    // For load balancers and probes, without credentials: it says nothing about the project.
    router.Get(
        "/api/health", "/api/health",
        [](const httplib::Request&) -> ApiResult {
          return Ok({{"status", "ok"}});
        },
        Need::kPublic);
    router.Get("/api/status", "/api/status", [this](const httplib::Request&) -> ApiResult {
      return Ok({{"project", context->project.config.name},
                 {"engine", engine::EngineVersion()},
                 {"orchestrator", context->orchestrator ? "ok" : "unavailable"},
                 {"refresh", context->RefreshState()}});
    });
    router.GetRaw(
        "/metrics", "/metrics",
        [this](const httplib::Request&, httplib::Response& response) {
          response.set_content(context->metrics.Exposition(Gauges()),
                               "text/plain; version=0.0.4; charset=utf-8");
        },
        context->options.metrics_public ? Need::kPublic : Need::kUser);
    // The web UI: embedded files; any other non-API path is a page of the single-page app.
    router.GetRaw(R"(/(?!api/).*)", "/ (web UI)",
                  [](const httplib::Request& request, httplib::Response& response) {
                    static const std::map<std::string, const WebAsset*> by_path = [] {
                      std::map<std::string, const WebAsset*> m;
                      for (const WebAsset& a : WebAssets()) m[a.path] = &a;
                      return m;
                    }();
                    auto it = by_path.find(request.path);
                    // Page paths may hold dots (/table/gold.x); files live under /assets/.
                    const bool is_file =
                        request.path.rfind("/assets/", 0) == 0 || request.path == "/favicon.ico";
                    if (it == by_path.end() && !is_file) it = by_path.find("/index.html");
                    if (it == by_path.end()) {
                      SendError(response, 404, "no such file: " + request.path);
                      return;
                    }
                    const WebAsset& asset = *it->second;
                    response.set_content(reinterpret_cast<const char*>(asset.data), asset.size,
                                         asset.content_type);
                    if (request.path.rfind("/assets/", 0) == 0) {
                      response.set_header("Cache-Control", "public, max-age=3600");
                    } else {
                      response.set_header("Cache-Control", "no-cache");
                    }
                  },
                  Need::kPublic);
    http->set_error_handler([this](const httplib::Request& request, httplib::Response& response) {
      if (!response.body.empty()) return;
      ConnectionState* connection = CurrentConnection();
      if (connection && connection->body_over_limit) {
        response.set_header("Connection", "close");
        SendError(response, 413,
                  "request body exceeds the limit of " +
                      std::to_string(context->options.max_body_bytes) + " bytes");
        return;
      }
      SendError(response, response.status,
                response.status == 404 ? "no route for " + request.method + " " + request.path
                                       : std::string("HTTP ") + std::to_string(response.status));
    });
    http->set_pre_routing_handler(
        [this](const httplib::Request& request, httplib::Response& response) {
          std::optional<Refused> refused = CheckRequest(policy, request, response);
          if (!refused) return httplib::Server::HandlerResponse::Unhandled;
          response.status = refused->status;
          if (refused->status != 204) {
            SendError(response, refused->status, refused->message);
            // The body, if any, was not read: the connection cannot carry another request.
            response.set_header("Connection", "close");
            if (ConnectionState* connection = CurrentConnection()) {
              connection->close_after_response = true;
            }
            // A change refused before anyone logged in (cross-site, foreign Host) is an attempt
            // worth recording too.
            if (request.method != "GET" && request.method != "HEAD" &&
                (refused->status == 403 || refused->status == 421) && context->auth) {
              context->auth->Audit("", "request.refused", request.method + " " + request.path,
                                   "denied", request.remote_addr, refused->message);
            }
          }
          context->metrics.ObserveRequest(request.method, "(refused)", refused->status, 0);
          return httplib::Server::HandlerResponse::Handled;
        });
    http->set_exception_handler(
        [](const httplib::Request&, httplib::Response& response, std::exception_ptr error) {
          std::string message = "internal error";
          try {
            if (error) std::rethrow_exception(error);
          } catch (const std::exception& e) {
            message += std::string(": ") + e.what();
          } catch (...) {
          }
          SendError(response, 500, message);
        });
  }
};

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  auto impl = std::make_unique<ServerImpl>();
  impl->context = std::make_unique<ServerContext>();
  ServerContext& context = *impl->context;
  context.options = options;
  STRATA_RETURN_IF_ERROR(impl->LoadTls(options));  // a bad certificate changes nothing
  std::error_code error;
  if (!std::filesystem::exists(std::filesystem::path(options.project_dir) / "strata.yaml", error)) {
    return Status::NotFound("no strata.yaml in " + options.project_dir +
                            " (give --project DIR of a strata project)");
  }
  STRATA_ASSIGN_OR_RETURN(context.project, pipeline::LoadProject(options.project_dir));
  const std::string storage = context.project.StoragePath();
  if (storage.find("://") == std::string::npos || storage.rfind("file://", 0) == 0) {
    std::string dir = storage.rfind("file://", 0) == 0 ? storage.substr(7) : storage;
    context.lake_dir = std::filesystem::absolute(dir).lexically_normal().string();
    while (context.lake_dir.size() > 1 && context.lake_dir.back() == '/')
      context.lake_dir.pop_back();
  }
  STRATA_ASSIGN_OR_RETURN(context.catalog_location,
                          catalog::ResolveCatalogLocation(context.project.root, ""));
  if (context.catalog_location.find("://") == std::string::npos) {
    std::filesystem::create_directories(
        std::filesystem::path(context.catalog_location).parent_path(), error);
  }
  STRATA_ASSIGN_OR_RETURN(auto catalog, catalog::Catalog::Open(context.catalog_location));
  context.SetCatalog(std::move(catalog));
  {
    orchestrator::service::ServiceOptions orchestrator_options;
    orchestrator_options.project_dir = context.project.root;
    orchestrator_options.catalog = context.catalog_location;
    // A server runs the scheduler: like `strata scheduler`, it resumes the runs of workers that
    // died (Strata.WorkerLost).
    orchestrator_options.recover_lost_runs = true;
    auto orchestrator = orchestrator::service::OrchestratorService::Open(orchestrator_options);
    if (orchestrator.ok()) {
      context.orchestrator = std::move(*orchestrator);
    } else {
      context.orchestrator_error = orchestrator.status().message();
      Log().warn("serving without the orchestrator: {}", context.orchestrator_error);
    }
  }
  {
    // The model graph draws the pipeline; a project whose SQL does not parse still serves.
    STRATA_ASSIGN_OR_RETURN(auto database, engine::Database::Open({}));
    STRATA_ASSIGN_OR_RETURN(auto connection, database->Connect());
    std::vector<lake::TableName> lake_tables;
    STRATA_ASSIGN_OR_RETURN(std::optional<lake::Lake> lake, context.Lake());
    if (lake) {
      STRATA_ASSIGN_OR_RETURN(lake_tables, lake->ListTables());
    }
    Result<pipeline::ModelGraph> graph =
        pipeline::BuildModelGraph(context.project, *connection, lake_tables);
    if (graph.ok()) {
      context.graph = std::move(*graph);
    } else {
      context.graph_error = graph.status().message();
    }
  }
  if (options.refresh_catalog) STRATA_RETURN_IF_ERROR(context.RefreshCatalog());
  STRATA_RETURN_IF_ERROR(impl->OpenAccess(options));
  context.query_gate = std::make_unique<QueryGate>(std::max(1, options.sql_max_concurrent));
  STRATA_RETURN_IF_ERROR(impl->Listen(options));
  followers::FollowerOptions follower_options;
  follower_options.follow = options.follow_sources;
  context.source_followers = followers::SourceFollowers::Start(context.project, follower_options);
  ServerImpl* raw = impl.get();
  impl->listener = std::thread([raw] {
    if (!raw->http->listen_after_bind()) raw->listen_failed = true;
  });
  while (!impl->http->is_running() && !impl->listen_failed) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<ServerImpl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;
int Server::port() const { return impl_->port; }
orchestrator::service::OrchestratorService* Server::orchestrator() const {
  return impl_->context->orchestrator.get();
}
const std::string& Server::host() const { return impl_->host; }

bool Server::tls() const { return impl_->tls != nullptr; }
const std::string& Server::first_start_notice() const { return impl_->first_start_notice; }

void Server::Stop() { impl_->http->stop(); }

Status Server::Wait() {
  if (impl_->listener.joinable()) impl_->listener.join();
  if (impl_->listen_failed) return Status::IOError("the HTTP listener failed");
  return Status::OK();
}

}  // namespace strata::server
