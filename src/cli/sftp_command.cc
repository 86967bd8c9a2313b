// strata sftp serve | user add|remove|list | arrivals: the project's embedded SFTP server
// (src/landing/sftp), its virtual users and the record of every file that arrived.
#include <signal.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "catalog/arrivals.h"
#include "catalog/location.h"
#include "cli/app.h"
#include "cli/sftp_audit.h"
#include "landing/sftp/landing_zone.h"
#include "landing/sftp/server.h"
#include "landing/sftp/users.h"
#include "pipeline/project.h"

namespace strata::cli {
namespace {

struct SftpOptions {
  std::string project = ".";
  std::string listen = "127.0.0.1";
  int port = 2222;
  int max_sessions = 64;
  int idle_timeout = 600;
  int login_grace = 20;
  int max_unauthenticated = 64;
  int max_unauthenticated_per_address = 8;
  sftp::LoginLimits login_limits;
  std::string name;
  std::vector<std::string> keys;
  bool password_stdin = false;
  bool read_only = false;
  bool json = false;
  std::string partner;
  std::string state;
  int limit = 100;
};

Result<std::unique_ptr<sftp::LandingZone>> ProjectZone(const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(pipeline::Project project, pipeline::LoadProjectConfig(dir));
  STRATA_ASSIGN_OR_RETURN(std::string catalog, catalog::ResolveCatalogLocation(project.root, ""));
  return std::make_unique<sftp::LandingZone>(project.root, project.LandingPath(), catalog);
}

Status Serve(const SftpOptions& options, CommandContext& context) {
  sftp::SftpServerOptions server_options;
  server_options.project_dir = options.project;
  server_options.listen_address = options.listen;
  server_options.port = options.port;
  server_options.max_sessions = options.max_sessions;
  server_options.idle_timeout_seconds = options.idle_timeout;
  server_options.login_grace_seconds = options.login_grace;
  server_options.max_unauthenticated = options.max_unauthenticated;
  server_options.max_unauthenticated_per_address = options.max_unauthenticated_per_address;
  server_options.login_limits = options.login_limits;
  STRATA_ASSIGN_OR_RETURN(server_options.on_login, SftpLoginAudit(options.project));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<sftp::SftpServer> server,
                          sftp::SftpServer::Create(server_options));
  // Block the stop signals before any thread starts, so only this thread receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  STRATA_RETURN_IF_ERROR(server->Start());
  *context.out << "SFTP server listening on " << options.listen << ":" << server->port()
               << " (host key " << server->host_key_fingerprint() << "); Ctrl-C stops it"
               << std::endl;
  int received = 0;
  sigwait(&stop_signals, &received);
  *context.out << "stopping: finishing arrivals already received" << std::endl;
  server->Stop();
  return Status::OK();
}

Status AddUser(const SftpOptions& options, CommandContext& context) {
  STRATA_ASSIGN_OR_RETURN(auto owned_zone, ProjectZone(options.project));
  sftp::LandingZone& zone = *owned_zone;
  sftp::SftpUser user;
  user.name = options.name;
  user.read_only = options.read_only;
  for (const std::string& file : options.keys) {
    std::ifstream in(file);
    if (!in) return Status::NotFound("public key file " + file + " cannot be read");
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line[0] != '#') user.public_keys.push_back(line);
    }
  }
  if (options.password_stdin) {
    std::string password;
    std::getline(std::cin, password);
    while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) {
      password.pop_back();
    }
    STRATA_ASSIGN_OR_RETURN(user.password_hash, sftp::HashPassword(password));
  }
  STRATA_RETURN_IF_ERROR(sftp::UserStore(zone.UsersPath()).Add(user));
  STRATA_RETURN_IF_ERROR(zone.EnsurePartner(user.name));
  *context.out << "SFTP user " << user.name << " added (" << user.public_keys.size()
               << " key(s), password " << (user.password_hash.empty() ? "no" : "yes")
               << (user.read_only ? ", read-only" : ", read-write") << "); files land in "
               << zone.PartnerRoot(user.name) << "/\n";
  return Status::OK();
}

Status RemoveUser(const SftpOptions& options, CommandContext& context) {
  STRATA_ASSIGN_OR_RETURN(auto owned_zone, ProjectZone(options.project));
  sftp::LandingZone& zone = *owned_zone;
  STRATA_RETURN_IF_ERROR(sftp::UserStore(zone.UsersPath()).Remove(options.name));
  *context.out << "SFTP user " << options.name << " removed (its files stay in "
               << zone.PartnerRoot(options.name) << "/)\n";
  return Status::OK();
}

Status ListUsers(const SftpOptions& options, CommandContext& context) {
  STRATA_ASSIGN_OR_RETURN(auto owned_zone, ProjectZone(options.project));
  sftp::LandingZone& zone = *owned_zone;
  STRATA_ASSIGN_OR_RETURN(std::vector<sftp::SftpUser> users,
                          sftp::UserStore(zone.UsersPath()).List());
  if (options.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const sftp::SftpUser& user : users) {
      list.push_back({{"name", user.name},
                      {"keys", user.public_keys.size()},
                      {"password", !user.password_hash.empty()},
                      {"read_only", user.read_only},
                      {"created_at", user.created_at},
                      {"root", zone.PartnerRoot(user.name)}});
    }
    *context.out << list.dump(2) << "\n";
    return Status::OK();
  }
  for (const sftp::SftpUser& user : users) {
    *context.out << user.name << "  keys=" << user.public_keys.size()
                 << "  password=" << (user.password_hash.empty() ? "no" : "yes") << "  "
                 << (user.read_only ? "read-only" : "read-write") << "\n";
  }
  if (users.empty()) *context.out << "no SFTP users (add one with 'strata sftp user add')\n";
  return Status::OK();
}

Status ListArrivals(const SftpOptions& options, CommandContext& context) {
  STRATA_ASSIGN_OR_RETURN(auto owned_zone, ProjectZone(options.project));
  sftp::LandingZone& zone = *owned_zone;
  catalog::ArrivalFilter filter;
  filter.partner = options.partner;
  filter.state = options.state;
  filter.limit = options.limit;
  STRATA_ASSIGN_OR_RETURN(std::vector<catalog::ArrivalRecord> arrivals, zone.List(filter));
  if (options.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const catalog::ArrivalRecord& a : arrivals) {
      nlohmann::json row = {{"id", a.id},
                            {"partner", a.partner},
                            {"path", a.path},
                            {"source", a.source},
                            {"size_bytes", a.size_bytes},
                            {"sha256", a.sha256},
                            {"received_at", a.received_at},
                            {"state", a.state},
                            {"reason", a.reason},
                            {"stored_as", a.stored_as},
                            {"run_id", a.run_id},
                            {"updated_at", a.updated_at}};
      row["rows_loaded"] = a.rows_loaded ? nlohmann::json(*a.rows_loaded) : nlohmann::json();
      row["rows_quarantined"] =
          a.rows_quarantined ? nlohmann::json(*a.rows_quarantined) : nlohmann::json();
      list.push_back(std::move(row));
    }
    *context.out << list.dump(2) << "\n";
    return Status::OK();
  }
  for (const catalog::ArrivalRecord& a : arrivals) {
    *context.out << a.received_at << "  " << a.partner << "/" << a.path << "  " << a.size_bytes
                 << " B  " << a.state;
    if (a.rows_loaded) *context.out << " (" << *a.rows_loaded << " rows)";
    if (!a.reason.empty()) *context.out << ": " << a.reason;
    *context.out << "\n";
  }
  if (arrivals.empty()) *context.out << "no arrivals recorded\n";
  return Status::OK();
}

// The brute-force and flood limits of `strata sftp serve` (landing/sftp/login_guard.h).
void AddLoginLimitOptions(CLI::App* serve, SftpOptions& options) {
  serve
      ->add_option("--login-grace", options.login_grace,
                   "Seconds a connection has to log in and open SFTP before it is closed")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  serve
      ->add_option("--max-unauthenticated", options.max_unauthenticated,
                   "Connections not logged in yet, at most, in all")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  serve
      ->add_option("--max-unauthenticated-per-address", options.max_unauthenticated_per_address,
                   "Connections not logged in yet, at most, from one client address")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sftp::LoginLimits& limits = options.login_limits;
  serve
      ->add_option("--max-login-failures", limits.max_failures,
                   "Failed logins (per address, per user) within the window that lock it out "
                   "(0 = never lock)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  serve
      ->add_option("--login-failure-window", limits.failure_window_seconds,
                   "Seconds within which failed logins are counted")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  serve->add_option("--lockout", limits.lockout_seconds, "Seconds a lockout lasts")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  serve
      ->add_option("--login-failure-delay-ms", limits.failure_delay_ms,
                   "Delay of the answer to a failed login, doubled for each recent failure "
                   "(0 = none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 60000));
  serve
      ->add_option("--max-login-failure-delay-ms", limits.max_failure_delay_ms,
                   "The longest such delay (also the delay of a locked-out attempt)")
      ->capture_default_str()
      ->check(CLI::Range(0, 60000));
}

}  // namespace

void AddSftpCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<SftpOptions>();
  CLI::App* sftp = app.add_subcommand(
      "sftp", "The project's SFTP server: partners upload files that load into bronze");
  sftp->require_subcommand(1);
  auto project_option = [&](CLI::App* command) {
    command->add_option("--project", options->project, "Project directory (holds strata.yaml)")
        ->capture_default_str();
  };
  auto bind = [options, &context](CLI::App* command,
                                  Status (*run)(const SftpOptions&, CommandContext&)) {
    command->callback([options, &context, run] {
      context.action = [options, &context, run] { return run(*options, context); };
    });
  };

  CLI::App* serve = sftp->add_subcommand(
      "serve", "Run the SFTP server until Ctrl-C (uploads are validated, recorded and loaded)");
  project_option(serve);
  serve->add_option("--port", options->port, "TCP port (0 = any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  serve->add_option("--listen", options->listen, "Address to listen on")->capture_default_str();
  serve->add_option("--max-sessions", options->max_sessions, "Logged-in sessions at once, at most")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  serve
      ->add_option("--idle-timeout", options->idle_timeout,
                   "Close a session after this many seconds without an SFTP request (0 = never)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  AddLoginLimitOptions(serve, *options);
  bind(serve, Serve);

  CLI::App* user = sftp->add_subcommand("user", "Manage SFTP users (partners)");
  user->require_subcommand(1);
  CLI::App* add = user->add_subcommand("add", "Add a user; its files land in landing/NAME/");
  add->add_option("name", options->name, "User name (a-z, 0-9, '_', '-')")->required();
  project_option(add);
  add->add_option("--key", options->keys, "OpenSSH public key file (.pub); repeatable");
  add->add_flag("--password-stdin", options->password_stdin,
                "Read a password from the first line of stdin (stored as a salted hash)");
  add->add_flag("--read-only", options->read_only, "May list and download, never upload");
  bind(add, AddUser);
  CLI::App* remove = user->add_subcommand("remove", "Remove a user (its files stay)");
  remove->add_option("name", options->name, "User name")->required();
  project_option(remove);
  bind(remove, RemoveUser);
  CLI::App* list = user->add_subcommand("list", "List users");
  project_option(list);
  list->add_flag("--json", options->json, "JSON output");
  bind(list, ListUsers);

  CLI::App* arrivals = sftp->add_subcommand(
      "arrivals", "Files that arrived and what became of them (loaded, rejected, failed, ...)");
  project_option(arrivals);
  arrivals->add_option("--partner", options->partner, "Only this partner");
  arrivals->add_option("--state", options->state,
                       "Only this state: received, loaded, already_loaded, rejected, failed");
  arrivals->add_option("--limit", options->limit, "Newest N")->capture_default_str();
  arrivals->add_flag("--json", options->json, "JSON output");
  bind(arrivals, ListArrivals);
}

}  // namespace strata::cli
