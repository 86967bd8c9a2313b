// strata serve: the HTTP API, web UI and metrics of a project, its SFTP landing zone, its
// scheduler (cron schedules and file triggers of pipelines/*.yaml) and the followers of its
// `follow: true` database sources (run by the server), until SIGINT or SIGTERM.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "cli/app.h"
#include "cli/sftp_audit.h"
#include "landing/sftp/server.h"
#include "server/server.h"

namespace strata::cli {
namespace {

struct ServeOptions {
  std::string project = ".";
  std::string host = "127.0.0.1";
  int port = 8080;
  int sql_timeout_ms = 30000;
  int sql_max_rows = 10000;
  bool no_refresh = false;
  int sftp_port = 2222;  // -1: no SFTP server
  int sftp_idle_timeout = 600;
  bool no_scheduler = false;
  bool no_follow = false;
  int sql_threads = 2;
  std::string sql_memory_limit = "1GB";
  int sql_max_concurrent = 4;
  int sql_queue_ms = 2000;
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> allowed_origins;
  int max_body_mb = 8;
  int header_timeout_ms = 10000;
  int body_timeout_ms = 60000;
  int http_threads = 64;
  std::string tls_cert;
  std::string tls_key;
  bool metrics_public = false;
};

// SIGINT/SIGTERM are blocked in every thread (the server's threads inherit the mask) and taken
// by one thread with sigwait, which stops the server: a clean shutdown, never work done inside
// a signal handler. SIGUSR1 wakes that thread when the server stopped for another reason.
Status RunServe(const ServeOptions& options, CommandContext& context) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &signals, &previous);
  struct RestoreMask {
    sigset_t mask;
    ~RestoreMask() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{previous};

  server::ServerOptions server_options;
  server_options.project_dir = options.project;
  server_options.host = options.host;
  server_options.port = options.port;
  server_options.sql_timeout_ms = options.sql_timeout_ms;
  server_options.sql_max_rows = options.sql_max_rows;
  server_options.refresh_catalog = !options.no_refresh;
  server_options.follow_sources = !options.no_follow;
  server_options.sql_threads = options.sql_threads;
  server_options.sql_memory_limit = options.sql_memory_limit;
  server_options.sql_max_concurrent = options.sql_max_concurrent;
  server_options.sql_queue_ms = options.sql_queue_ms;
  server_options.allowed_hosts = options.allowed_hosts;
  server_options.allowed_origins = options.allowed_origins;
  server_options.max_body_bytes = static_cast<size_t>(options.max_body_mb) * 1024 * 1024;
  server_options.header_timeout_ms = options.header_timeout_ms;
  server_options.body_timeout_ms = options.body_timeout_ms;
  server_options.http_threads = options.http_threads;
  server_options.tls_cert_file = options.tls_cert;
  server_options.tls_key_file = options.tls_key;
  server_options.metrics_public = options.metrics_public;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<server::Server> server,
                          server::Server::Start(server_options));
  // The landing zone shares the server's orchestrator, so an upload's file triggers start the
  // pipelines whose runs the web UI shows.
  std::unique_ptr<sftp::SftpServer> sftp;
  if (options.sftp_port >= 0) {
    sftp::SftpServerOptions sftp_options;
    sftp_options.project_dir = options.project;
    sftp_options.listen_address = options.host;
    sftp_options.port = options.sftp_port;
    sftp_options.idle_timeout_seconds = options.sftp_idle_timeout;
    sftp_options.orchestrator = server->orchestrator();
    STRATA_ASSIGN_OR_RETURN(sftp_options.on_login, SftpLoginAudit(options.project));
    STRATA_ASSIGN_OR_RETURN(sftp, sftp::SftpServer::Create(sftp_options));
    if (Status started = sftp->Start(); !started.ok()) {
      server->Stop();
      return Status(started.code(), "SFTP landing zone: " + started.message() +
                                        " (--sftp-port -1 serves without it)");
    }
  }
  if (!server->first_start_notice().empty()) {
    *context.out << "strata serve: " << server->first_start_notice() << "\n";
  }
  *context.out << "strata serve: project " << std::filesystem::absolute(options.project).string()
               << "\nlistening on " << (server->tls() ? "https" : "http") << "://" << server->host()
               << ":" << server->port() << "/ (Ctrl+C stops)";
  if (sftp) *context.out << "\nSFTP landing zone on " << options.host << ":" << sftp->port();
  *context.out << std::endl;
  // The scheduler polls once a second, as `strata scheduler` does; runs it starts are the
  // orchestrator's, so the API and the UI show them like any other.
  std::atomic<bool> stop_scheduler{false};
  std::thread scheduler;
  if (!options.no_scheduler && server->orchestrator() != nullptr) {
    scheduler = std::thread([&server, &stop_scheduler, &context] {
      Status status = server->orchestrator()->RunScheduler([&] { return stop_scheduler.load(); });
      if (!status.ok()) *context.err << "strata serve: scheduler stopped: " << status << std::endl;
    });
  }

  std::thread waiter([&signals, &server, &context] {
    int received = 0;
    sigwait(&signals, &received);
    if (received != SIGUSR1) {
      *context.err << "strata serve: " << (received == SIGINT ? "SIGINT" : "SIGTERM")
                   << ", shutting down" << std::endl;
    }
    server->Stop();
  });
  Status status = server->Wait();
  pthread_kill(waiter.native_handle(), SIGUSR1);  // no-op if it already took a signal
  waiter.join();
  stop_scheduler = true;
  if (scheduler.joinable()) scheduler.join();
  if (sftp) sftp->Stop();  // before the server: it uses the server's orchestrator
  server.reset();  // stops the followers, cancels the runs it was running and waits for them
  return status;
}

// Who may ask, HTTPS, and the limits that keep one client from holding the server.
void AddServeLimitOptions(CLI::App& serve, ServeOptions& options) {
  serve
      .add_option("--sql-threads", options.sql_threads,
                  "DuckDB threads of one API query (0 = every core)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  serve
      .add_option("--sql-memory-limit", options.sql_memory_limit,
                  "Memory one API query may use (DuckDB syntax, e.g. 1GB); past it the query fails")
      ->capture_default_str();
  serve
      .add_option("--sql-max-concurrent", options.sql_max_concurrent,
                  "API queries run at once; more wait --sql-queue-ms, then get 503")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  serve.add_option("--sql-queue-ms", options.sql_queue_ms, "How long a query waits for its turn")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  serve.add_option("--allowed-host", options.allowed_hosts,
                   "A Host name clients may use besides localhost and the listening address "
                   "(NAME, NAME:PORT or * for any; repeatable)");
  serve.add_option("--allowed-origin", options.allowed_origins,
                   "An origin (https://app.example.com) allowed cross-origin requests and "
                   "mutations (CORS; repeatable). None by default");
  serve.add_option("--max-body-mb", options.max_body_mb, "Largest request body, in MiB")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  serve
      .add_option("--header-timeout-ms", options.header_timeout_ms,
                  "Time a client has to send a request's line and headers")
      ->check(CLI::Range(100, 600000))
      ->capture_default_str();
  serve
      .add_option("--body-timeout-ms", options.body_timeout_ms,
                  "Time a client has to send a request's body")
      ->check(CLI::Range(100, 3600000))
      ->capture_default_str();
  serve.add_option("--http-threads", options.http_threads, "Connections served at once")
      ->check(CLI::Range(4, 4096))
      ->capture_default_str();
  serve.add_option("--tls-cert", options.tls_cert,
                   "PEM certificate (chain): serve HTTPS (with --tls-key)");
  serve.add_option("--tls-key", options.tls_key, "PEM private key of --tls-cert");
  serve.add_flag("--metrics-public", options.metrics_public,
                 "Serve /metrics without credentials (for a Prometheus without a token)");
}

}  // namespace

void AddServeCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* serve =
      app.add_subcommand("serve", "Serve the project's HTTP API, web UI and Prometheus metrics");
  serve->add_option("--project", options->project, "Project directory (holds strata.yaml)")
      ->capture_default_str();
  serve->add_option("--host", options->host, "Address to listen on")->capture_default_str();
  serve->add_option("--port", options->port, "Port to listen on (0 = any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  serve
      ->add_option("--sql-timeout-ms", options->sql_timeout_ms,
                   "Time limit of one read-only SQL query")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  serve->add_option("--sql-max-rows", options->sql_max_rows, "Rows one SQL query returns at most")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  serve
      ->add_option("--sftp-port", options->sftp_port,
                   "Port of the SFTP landing zone (0 = any free port, -1 = none)")
      ->check(CLI::Range(-1, 65535))
      ->capture_default_str();
  serve
      ->add_option("--sftp-idle-timeout", options->sftp_idle_timeout,
                   "Close an SFTP session after this many seconds without a request (0 = never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  AddServeLimitOptions(*serve, *options);
  serve->add_flag("--no-scheduler", options->no_scheduler,
                  "Do not start pipelines on their cron schedules and file triggers");
  serve->add_flag("--no-follow", options->no_follow,
                  "Do not follow the database sources marked follow: true");
  serve->add_flag("--no-refresh", options->no_refresh,
                  "Do not sync the lake and run records into the catalog at start");
  serve->callback([options, &context] {
    context.action = [options, &context] { return RunServe(*options, context); };
  });
}

}  // namespace strata::cli
