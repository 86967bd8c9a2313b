// strata serve: one process with the HTTP API, the web UI, Prometheus metrics and dashboards
// over a project.
//
//   ServerOptions options;
//   options.project_dir = "importau";
//   options.port = 8080;                         // 0 = any free port (tests)
//   STRATA_ASSIGN_OR_RETURN(auto server, Server::Start(options));
//   std::cout << "listening on " << server->port();
//   server->Wait();                              // until Stop() (e.g. from a signal handler)
//
// Contract:
//  - Start loads the project (InvalidArgument naming the file on a bad project, NotFound when
//    there is no strata.yaml), opens its catalog (creating it) and its orchestrator service
//    (every run), refreshes the catalog from the lake and the project runs' records
//    (catalog_refresh.h) unless disabled, and binds the socket
//    (IOError naming host:port when it cannot). It returns once the server accepts requests.
//  - TLS: with tls_cert_file and tls_key_file set, it serves HTTPS only (InvalidArgument naming
//    the file when they cannot be loaded, or when only one is given).
//  - Users (access/access.h) live in the catalog database; on the first start, with no user,
//    Start creates `admin` (see first_start_notice). Every route but the public ones needs a
//    bearer token or a session cookie (401), and its privilege (403); logins and mutations are
//    audited with the client's address.
//  - Every request passes request_guard.h (Host, Origin, body framing and size) and the
//    connection limits of connection.h before a handler sees it; /api/health answers
//    {"status": "ok"} and nothing else.
//  - Every API error is JSON {"error": {"status": N, "message": "..."}} with a 4xx/5xx status;
//    a handler's exception becomes a 500 of that form, never a crash.
//  - Stop may be called from any thread (not from a signal handler: set a flag and call it
//    from a normal thread); it stops accepting, finishes the requests in flight and returns.
//    The destructor stops the database source followers (each commits what it read completely)
//    and cancels the runs this process is running (the orchestrator's shutdown), waiting for
//    both.
// Thread safety: Start/Stop/Wait/port from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "orchestrator/service/service.h"

namespace strata::server {

struct ServerOptions {
  std::string project_dir = ".";
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 = pick a free port
  // Read-only SQL: rows returned at most (callers may ask for fewer) and the time limit.
  int sql_max_rows = 10000;
  int sql_timeout_ms = 30000;
  // Sync the project's tables, lineage and runs into the catalog at start and after runs.
  bool refresh_catalog = true;
  // Per-query limits of the API's queries (SQL, samples, profiles, dashboards): DuckDB threads
  // (0 = every core), memory (DuckDB syntax, "" = DuckDB's 80% of RAM; nothing spills to disk),
  // and how many run at once (extra ones wait up to sql_queue_ms for a slot, then get 503).
  int sql_threads = 2;
  std::string sql_memory_limit = "1GB";
  int sql_max_concurrent = 4;
  int sql_queue_ms = 2000;
  // Who may ask (request_guard.h): Host names besides the listening address and localhost
  // ("name", "name:port", "*"), and origins allowed cross-origin (CORS) and to send mutations.
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> allowed_origins;
  // Request limits (connection.h): the request line and headers must arrive within
  // header_timeout_ms, a body within body_timeout_ms and max_body_bytes (any framing).
  size_t max_body_bytes = 8 * 1024 * 1024;
  int header_timeout_ms = 10000;
  int body_timeout_ms = 60000;
  // Connections served at once; more wait for a thread. Slow clients are bounded by the
  // timeouts above, so they hold a thread for seconds, not forever.
  int http_threads = 64;
  // Every route but /api/health, /api/login and the web UI's files needs a token or a session
  // (auth.h); /metrics too unless metrics_public. Web sessions last session_ttl_seconds.
  bool metrics_public = false;
  int64_t session_ttl_seconds = 12 * 3600;
  // HTTPS with this PEM certificate (chain) and key; both empty = plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Follow the database sources marked `follow: true` (landing/followers/followers.h) while the
  // server runs; a failing follower is retried and reported by GET /api/sources, never fatal.
  bool follow_sources = true;
};

class ServerImpl;

class Server {
 public:
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  const std::string& host() const;
  bool tls() const;  // serving HTTPS
  // When Start created the first user (`admin`: the catalog had none), the line to show the
  // operator once: it holds the generated password (or names STRATA_ADMIN_PASSWORD); else "".
  const std::string& first_start_notice() const;
  // The project's orchestrator service (pipelines/*.yaml), shared with what runs beside the
  // server in the same process (the SFTP landing zone's file triggers); nullptr if it could not
  // be opened. Owned by the server; valid until it is destroyed.
  orchestrator::service::OrchestratorService* orchestrator() const;
  void Stop();
  // Blocks until the server stopped (Stop, or the listener failed: then its error).
  Status Wait();

 private:
  explicit Server(std::unique_ptr<ServerImpl> impl);
  std::unique_ptr<ServerImpl> impl_;
};

}  // namespace strata::server
