// The embedded SFTP server of a project (front door of the sftp layer).
//
//   STRATA_ASSIGN_OR_RETURN(auto server, SftpServer::Create({.project_dir = "."}));
//   STRATA_RETURN_IF_ERROR(server->Start());   // listening; returns at once
//   ...
//   server->Stop();                            // or let the destructor do it
//
// Partners are virtual users (users.h) confined to their landing prefix (vpath.h); an upload
// that is closed (or renamed from a temporary name) is an arrival: hashed, archived, matched
// against the project's sources, recorded in the catalog and loaded into bronze (intake.h,
// pipeline_trigger.h); then the orchestrator starts the pipelines triggered by it
// (orchestrator_notifier.h). The host key is generated once, at .strata/sftp/host_key.
// Connections: one thread each. Before login, at most `max_unauthenticated_per_address` per
// client address and `max_unauthenticated` in all, each for `login_grace_seconds` at most;
// logged in, at most `max_sessions`. Every login attempt is logged (user, address, method;
// never a password) and given to `on_login`; failures lock an address or a user name out for a
// while (login_guard.h).
// Thread safety: Start and Stop may be called from any thread, any number of times; Stop closes
// the listener and every session (an upload cut off this way is not an arrival), then finishes
// the arrivals already received and their loads, and returns when all threads are joined.
// Start also finishes what a process that died left: uploads taken but not recorded (spool.h)
// are recorded, and arrivals recorded but not loaded are loaded, each exactly once.
// Errors: Create fails with the project's own error if it does not load; Start with IOError if
// the address cannot be bound (naming it) or the host key cannot be made.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "landing/sftp/landing_zone.h"
#include "landing/sftp/login_guard.h"
#include "orchestrator/service/service.h"

namespace strata::sftp {

struct SftpServerOptions {
  std::string project_dir = ".";
  std::string listen_address = "127.0.0.1";
  int port = 2222;  // 0: any free port (see SftpServer::port)
  // Logged-in sessions at once; a login past it is refused (logged, not counted as failed).
  int max_sessions = 64;
  // A client must finish the key exchange, log in and open its SFTP channel within this time
  // from connecting, or it is disconnected (logged): a hard deadline, however slowly the client
  // trickles bytes, so a silent connection cannot hold a slot.
  int login_grace_seconds = 20;
  // Once the SFTP session runs, a session with no SFTP request for this long is closed (logged;
  // an upload left open is not an arrival and stays resumable). A transfer in progress sends
  // requests all the time, so it is never cut. 0 = no limit.
  int idle_timeout_seconds = 600;
  // Told of every file whose bronze load committed new rows, to start the pipelines with a file
  // trigger on it. Not owned; must outlive the server. nullptr = the server opens its own.
  orchestrator::service::OrchestratorService* orchestrator = nullptr;
  // Connections not logged in yet: at most this many at once from one client address (an IPv6
  // /64 is one address) and this many in all. A connection past either is closed at once
  // (logged), so one address flooding idle connections cannot take the login slots of others.
  int max_unauthenticated_per_address = 8;
  int max_unauthenticated = 64;
  // Failed-login lockout per address and per user name, and the delay after failures.
  LoginLimits login_limits{};
  // Called for every login attempt with a method (accepted, failed, locked out, refused), on the
  // connection's thread, after the log line: the audit's hook. Must be thread-safe and quick.
  std::function<void(const LoginEvent&)> on_login{};
  // Time of lockouts, failure delays and the login grace time; nullptr = Clock::System().
  // Not owned; must outlive the server.
  Clock* clock = nullptr;
};

class SftpServer {
 public:
  static Result<std::unique_ptr<SftpServer>> Create(const SftpServerOptions& options);
  ~SftpServer();
  SftpServer(const SftpServer&) = delete;
  SftpServer& operator=(const SftpServer&) = delete;

  Status Start();
  void Stop();
  // The bound port (after Start), 0 before.
  int port() const;
  // SHA-256 fingerprint of the host key as OpenSSH prints it ("SHA256:..."), after Start.
  std::string host_key_fingerprint() const;
  // Blocks until every arrival received so far has been recorded and loaded (tests, CLI).
  void WaitIdle();
  LandingZone& landing_zone();

  class Impl;

 private:
  explicit SftpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Creates the host key at `path` (ed25519, mode 0600) unless it exists. IOError naming the path.
Status EnsureHostKey(const std::string& path);

}  // namespace strata::sftp
