#include "landing/sftp/server.h"

#include <arpa/inet.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <libssh/sftp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <list>
#include <mutex>
#include <thread>

#include "catalog/location.h"
#include "common/logging.h"
#include "landing/sftp/auth.h"
#include "landing/sftp/host_key.h"
#include "landing/sftp/intake.h"
#include "landing/sftp/orchestrator_notifier.h"
#include "landing/sftp/pipeline_trigger.h"
#include "landing/sftp/session.h"
#include "landing/sftp/users.h"
#include "landing/sftp/vpath.h"
#include "pipeline/project.h"

namespace strata::sftp {

class SftpServer::Impl {
 public:
  Impl(SftpServerOptions options, std::string root, std::string landing, std::string catalog,
       std::unique_ptr<orchestrator::service::OrchestratorService> own_orchestrator)
      : options_(std::move(options)),
        own_orchestrator_(std::move(own_orchestrator)),
        notifier_(options_.orchestrator != nullptr ? *options_.orchestrator : *own_orchestrator_),
        zone_(root, std::move(landing), std::move(catalog)),
        users_(zone_.UsersPath()),
        clock_(options_.clock != nullptr ? *options_.clock : Clock::System()),
        guard_(options_.login_limits, clock_),
        auth_(users_, guard_, clock_, options_.on_login),
        trigger_(zone_, root,
                 options_.orchestrator != nullptr ? *options_.orchestrator : *own_orchestrator_),
        intake_(zone_, root, trigger_) {
    // Arrivals are loaded into bronze here, then handed to the orchestrator's file triggers.
    trigger_.set_next(&notifier_);
  }

  ~Impl() { Stop(); }

  Status Start() {
    std::lock_guard<std::mutex> lock(lifecycle_);
    if (running_) return Status::OK();
    STRATA_RETURN_IF_ERROR(EnsureHostKey(zone_.HostKeyPath()));
    ssh_bind bind = ssh_bind_new();
    if (bind == nullptr) return Status::Internal("libssh: ssh_bind_new failed");
    std::string port = std::to_string(options_.port);
    ssh_bind_options_set(bind, SSH_BIND_OPTIONS_BINDADDR, options_.listen_address.c_str());
    ssh_bind_options_set(bind, SSH_BIND_OPTIONS_BINDPORT_STR, port.c_str());
    ssh_bind_options_set(bind, SSH_BIND_OPTIONS_HOSTKEY, zone_.HostKeyPath().c_str());
    if (ssh_bind_listen(bind) != SSH_OK) {
      Status error = Status::IOError("cannot listen on " + options_.listen_address + ":" + port +
                                     ": " + ssh_get_error(bind));
      ssh_bind_free(bind);
      return error;
    }
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    bound_port_ = 0;
    if (::getsockname(ssh_bind_get_fd(bind), reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      bound_port_ = address.ss_family == AF_INET6
                        ? ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port)
                        : ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
    }
    fingerprint_ = HostKeyFingerprint(zone_.HostKeyPath());
    bind_ = bind;
    stopping_ = false;
    // Loads left unfinished are queued before the intake recovers uploads left unrecorded, so
    // an arrival the recovery records is never queued twice.
    trigger_.Start();
    RequeueUnfinished();
    if (Status started = intake_.Start(); !started.ok()) {
      trigger_.Stop();
      bind_ = nullptr;
      ssh_bind_free(bind);
      return started;
    }
    accept_thread_ = std::thread([this] { AcceptLoop(); });
    running_ = true;
    Log().info("sftp: listening on {}:{} (host key {})", options_.listen_address, bound_port_,
               fingerprint_);
    return Status::OK();
  }

  void Stop() {
    std::lock_guard<std::mutex> lock(lifecycle_);
    if (!running_) return;
    stopping_ = true;
    if (accept_thread_.joinable()) accept_thread_.join();
    {
      // Wakes every session blocked in a read; each then cleans up and exits.
      std::lock_guard<std::mutex> sessions_lock(sessions_mutex_);
      for (SessionSlot& slot : sessions_) {
        if (slot.fd >= 0) ::shutdown(slot.fd, SHUT_RDWR);
      }
    }
    for (;;) {
      std::list<SessionSlot> finished;
      {
        std::lock_guard<std::mutex> sessions_lock(sessions_mutex_);
        if (sessions_.empty()) break;
        finished.splice(finished.end(), sessions_);
      }
      for (SessionSlot& slot : finished) {
        if (slot.thread.joinable()) slot.thread.join();
      }
    }
    ssh_bind_free(bind_);
    bind_ = nullptr;
    intake_.Stop();   // everything received is recorded and handed on ...
    trigger_.Stop();  // ... and loaded
    running_ = false;
  }

  void WaitIdle() {
    intake_.WaitIdle();
    trigger_.WaitIdle();
  }

  int port() const { return bound_port_; }
  const std::string& fingerprint() const { return fingerprint_; }
  LandingZone& zone() { return zone_; }

 private:
  // A connection's phase: counted as not logged in (kLogin), or in max_sessions (the rest).
  enum Phase : int { kLogin, kLoggedIn, kServing };

  struct SessionSlot {
    std::thread thread;
    int fd = -1;              // the session's socket while it runs; -1 once it is closed
    std::string address;      // the client's IP address
    std::string limit_key;    // what the per-address limits count by (LimitKey)
    int64_t accepted_at = 0;  // clock_.MonotonicMicros() at accept
    std::atomic<bool> done{false};
    std::atomic<int> phase{kLogin};         // written under sessions_mutex_
    std::atomic<bool> serving_sftp{false};  // logged in, SFTP running: the idle limit applies
    bool idle_closed = false;               // guarded by sessions_mutex_
    bool grace_closed = false;              // guarded by sessions_mutex_
    SessionActivity activity;
  };

  // Shuts the socket of every connection that did not reach its SFTP session within the login
  // grace time: whatever it is blocked in returns, and its thread logs it and ends. A hard
  // deadline from accept, unlike libssh's per-read timeout, which a client resets by trickling
  // a byte at a time. Runs on the accept thread.
  void CloseLateLogins() {
    const int64_t now = clock_.MonotonicMicros();
    const int64_t grace = int64_t{options_.login_grace_seconds} * 1'000'000;
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    for (SessionSlot& slot : sessions_) {
      if (slot.fd < 0 || slot.grace_closed || slot.phase.load() == kServing) continue;
      if (now - slot.accepted_at < grace) continue;
      slot.grace_closed = true;
      ::shutdown(slot.fd, SHUT_RDWR);
    }
  }

  bool GraceClosed(SessionSlot& slot) {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    return slot.grace_closed;
  }

  // Takes a logged-in session slot for `slot` (its credentials were good); false, logged, when
  // max_sessions are already logged in. Runs on the connection's thread.
  bool Admit(SessionSlot& slot, const SftpUser& user) {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    int logged_in = 0;
    for (const SessionSlot& other : sessions_) {
      logged_in += other.fd >= 0 && other.phase.load() != kLogin ? 1 : 0;
    }
    if (logged_in >= options_.max_sessions) {
      Log().warn("sftp: refusing the login of '{}' from {}: {} sessions already open", user.name,
                 slot.address, logged_in);
      return false;
    }
    slot.phase = kLoggedIn;
    return true;
  }

  // Whether a new connection from `key` may wait for its login: false (logged) past the
  // per-address or the total limit of connections not logged in. Caller holds sessions_mutex_.
  bool MayConnect(const std::string& address, const std::string& key) {
    int from_key = 0, waiting = 0;
    for (const SessionSlot& slot : sessions_) {
      if (slot.phase.load() != kLogin || slot.fd < 0 || slot.grace_closed) continue;
      ++waiting;
      from_key += slot.limit_key == key ? 1 : 0;
    }
    if (from_key >= options_.max_unauthenticated_per_address) {
      Log().warn(
          "sftp: closing a connection from {}: {} connections from it not logged in yet "
          "(per-address limit)",
          address, from_key);
      return false;
    }
    if (waiting >= options_.max_unauthenticated) {
      Log().warn("sftp: closing a connection from {}: {} connections not logged in yet (limit)",
                 address, waiting);
      return false;
    }
    return true;
  }

  // Closes the read side of every SFTP session idle for longer than the limit: its blocked read
  // returns, the session thread logs it and ends it as if the client had left (open uploads stay
  // partial, never arrivals). Runs on the accept thread.
  void CloseIdleSessions() {
    if (options_.idle_timeout_seconds <= 0) return;
    const int64_t limit_ms = int64_t{options_.idle_timeout_seconds} * 1000;
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    for (SessionSlot& slot : sessions_) {
      if (slot.fd < 0 || slot.idle_closed || !slot.serving_sftp.load()) continue;
      if (slot.activity.IdleMillis() < limit_ms) continue;
      slot.idle_closed = true;
      ::shutdown(slot.fd, SHUT_RD);
    }
  }

  bool IdleClosed(SessionSlot& slot) {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    return slot.idle_closed;
  }

  // Arrivals recorded as received whose load never finished (the process stopped first): their
  // content is in the archive, so they are loaded now. The partner's copy is left alone.
  void RequeueUnfinished() {
    Result<std::vector<catalog::ArrivalRecord>> pending =
        zone_.List({.state = "received", .limit = 100000});
    if (!pending.ok()) {
      Log().error("sftp: cannot read unfinished arrivals: {}", pending.status().message());
      return;
    }
    for (auto it = pending->rbegin(); it != pending->rend(); ++it) {  // oldest first
      Arrival arrival;
      arrival.id = it->id;
      arrival.partner = it->partner;
      arrival.path = it->path;
      arrival.source = it->source;
      arrival.sha256 = it->sha256;
      arrival.size_bytes = it->size_bytes;
      arrival.content_path = zone_.ObjectPath(it->sha256);
      arrival.landing_file = zone_.PartnerRoot(it->partner) + "/" + it->path;
      arrival.received_at = it->received_at;
      arrival.resumed = true;
      struct stat info;
      if (::stat(arrival.content_path.c_str(), &info) != 0) {
        Log().error("sftp: arrival {} ({}/{}): archived content {} is missing", it->id, it->partner,
                    it->path, arrival.content_path);
        continue;
      }
      Log().info("sftp: loading arrival {} ({}/{}) left unfinished", it->id, it->partner, it->path);
      trigger_.OnArrival(arrival);
    }
  }

  void ReapFinished() {
    std::list<SessionSlot> finished;
    {
      std::lock_guard<std::mutex> lock(sessions_mutex_);
      for (auto it = sessions_.begin(); it != sessions_.end();) {
        if (it->done.load()) {
          auto next = std::next(it);
          finished.splice(finished.end(), sessions_, it);
          it = next;
        } else {
          ++it;
        }
      }
    }
    for (SessionSlot& slot : finished) slot.thread.join();
  }

  void AcceptLoop() {
    while (!stopping_) {
      ReapFinished();
      CloseIdleSessions();
      CloseLateLogins();
      struct pollfd listener = {ssh_bind_get_fd(bind_), POLLIN, 0};
      if (::poll(&listener, 1, 200) <= 0) continue;
      // The address is checked on the bare socket: a connection past the limits costs a close,
      // not a libssh session (only this thread adds slots, so the check stays true below).
      const int fd = ::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      const std::string address = PeerAddress(fd);
      const std::string key = LimitKey(address);
      bool admitted;
      {
        std::lock_guard<std::mutex> lock(sessions_mutex_);
        admitted = MayConnect(address, key);
      }
      if (!admitted) {
        ::close(fd);
        continue;
      }
      ssh_session session = ssh_new();
      if (session == nullptr) {
        ::close(fd);
        continue;
      }
      if (ssh_bind_accept_fd(bind_, session, fd) != SSH_OK) {
        Log().warn("sftp: cannot set up a session for {}: {}", address, ssh_get_error(bind_));
        ssh_free(session);  // closes the socket if libssh took it
        continue;
      }
      std::lock_guard<std::mutex> lock(sessions_mutex_);
      SessionSlot& slot = sessions_.emplace_back();
      slot.fd = ssh_get_fd(session);
      slot.address = address;
      slot.limit_key = key;
      slot.accepted_at = clock_.MonotonicMicros();
      slot.thread = std::thread([this, session, &slot] {
        RunSession(session, slot);
        {
          std::lock_guard<std::mutex> inner(sessions_mutex_);
          slot.fd = -1;
        }
        ssh_disconnect(session);
        ssh_free(session);
        slot.done = true;
      });
    }
  }

  // Waits for a session channel with the "sftp" subsystem; other requests are refused.
  ssh_channel OpenSftpChannel(ssh_session session) {
    ssh_channel channel = nullptr;
    while (!stopping_) {
      ssh_message message = ssh_message_get(session);
      if (message == nullptr) return nullptr;
      int type = ssh_message_type(message);
      int subtype = ssh_message_subtype(message);
      if (type == SSH_REQUEST_CHANNEL_OPEN && subtype == SSH_CHANNEL_SESSION &&
          channel == nullptr) {
        channel = ssh_message_channel_request_open_reply_accept(message);
      } else if (type == SSH_REQUEST_CHANNEL && subtype == SSH_CHANNEL_REQUEST_SUBSYSTEM &&
                 channel != nullptr &&
                 std::string_view(ssh_message_channel_request_subsystem(message)) == "sftp") {
        ssh_message_channel_request_reply_success(message);
        ssh_message_free(message);
        return channel;
      } else {
        ssh_message_reply_default(message);
      }
      ssh_message_free(message);
    }
    return nullptr;
  }

  // Key exchange, login and the SFTP channel, within the login grace time. Returns the user and
  // its open channel, or nullopt (logged) when the connection ends before.
  std::optional<std::pair<SftpUser, ssh_channel>> Login(ssh_session session, SessionSlot& slot) {
    // libssh's own timeout (per blocking read) backs up the grace deadline of CloseLateLogins.
    long backstop = options_.login_grace_seconds + 2L;  // libssh wants a long
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &backstop);
    auto late = [&] {
      const int64_t elapsed = clock_.MonotonicMicros() - slot.accepted_at;
      if (!GraceClosed(slot) && elapsed < int64_t{options_.login_grace_seconds} * 1'000'000) {
        return false;
      }
      Log().info("sftp: connection from {} closed: no login within {} s (login grace time)",
                 slot.address, options_.login_grace_seconds);
      return true;
    };
    if (ssh_handle_key_exchange(session) != SSH_OK) {
      if (!late()) {
        Log().info("sftp: key exchange with {} failed: {}", slot.address, ssh_get_error(session));
      }
      return std::nullopt;
    }
    std::optional<SftpUser> user = auth_.Run(
        session, slot.address, slot.limit_key,
        [this, &slot](const SftpUser& good) { return Admit(slot, good); }, stopping_);
    if (!user) {
      if (!late()) Log().debug("sftp: connection from {} ended without a login", slot.address);
      return std::nullopt;
    }
    if (Status made = zone_.EnsurePartner(user->name); !made.ok()) {
      Log().error("sftp: {}", made.message());
      return std::nullopt;
    }
    ssh_channel channel = OpenSftpChannel(session);
    if (channel == nullptr) {
      late();
      return std::nullopt;
    }
    return std::make_pair(*user, channel);
  }

  // Marks `slot` as serving SFTP (out of the grace time's reach); false if the grace time
  // closed it first.
  bool StartServing(SessionSlot& slot) {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    if (slot.grace_closed) return false;
    slot.phase = kServing;
    return true;
  }

  void RunSession(ssh_session session, SessionSlot& slot) {
    std::optional<std::pair<SftpUser, ssh_channel>> login = Login(session, slot);
    if (!login) return;
    const SftpUser& user = login->first;
    ssh_channel channel = login->second;
    long no_timeout = 0;  // 0: blocking reads wait as long as the client stays connected
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &no_timeout);
    sftp_session sftp = sftp_server_new(session, channel);
    if (sftp != nullptr && sftp_server_init(sftp) == 0 && StartServing(slot)) {
      Log().info("sftp: {} connected", user.name);
      SessionContext context{user.name, user.read_only, &zone_, &intake_,
                             options_.idle_timeout_seconds > 0 ? &slot.activity : nullptr};
      slot.activity.End();  // the idle clock starts now
      slot.serving_sftp = true;
      ServeSftp(sftp, context);
      slot.serving_sftp = false;
      if (IdleClosed(slot)) {
        Log().info("sftp: {} disconnected: no SFTP request for {} s (idle limit)", user.name,
                   options_.idle_timeout_seconds);
      } else {
        Log().info("sftp: {} left", user.name);
      }
    }
    if (sftp != nullptr) sftp_server_free(sftp);
    ssh_channel_send_eof(channel);
    ssh_channel_close(channel);
    ssh_channel_free(channel);
  }

  SftpServerOptions options_;
  std::unique_ptr<orchestrator::service::OrchestratorService> own_orchestrator_;
  OrchestratorNotifier notifier_;
  LandingZone zone_;
  UserStore users_;
  Clock& clock_;
  LoginGuard guard_;
  Authenticator auth_;
  PipelineTrigger trigger_;
  ArrivalIntake intake_;
  std::mutex lifecycle_;
  bool running_ = false;
  std::atomic<bool> stopping_{false};
  ssh_bind bind_ = nullptr;
  int bound_port_ = 0;
  std::string fingerprint_;
  std::thread accept_thread_;
  std::mutex sessions_mutex_;
  std::list<SessionSlot> sessions_;
};

Result<std::unique_ptr<SftpServer>> SftpServer::Create(const SftpServerOptions& options) {
  STRATA_ASSIGN_OR_RETURN(pipeline::Project project, pipeline::LoadProject(options.project_dir));
  STRATA_ASSIGN_OR_RETURN(std::string catalog, catalog::ResolveCatalogLocation(project.root, ""));
  std::unique_ptr<orchestrator::service::OrchestratorService> own_orchestrator;
  if (options.orchestrator == nullptr) {
    STRATA_ASSIGN_OR_RETURN(own_orchestrator, orchestrator::service::OrchestratorService::Open(
                                                  {.project_dir = project.root}));
  }
  auto impl = std::make_unique<Impl>(options, project.root, project.LandingPath(), catalog,
                                     std::move(own_orchestrator));
  return std::unique_ptr<SftpServer>(new SftpServer(std::move(impl)));
}

SftpServer::SftpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SftpServer::~SftpServer() { Stop(); }
Status SftpServer::Start() { return impl_->Start(); }
void SftpServer::Stop() { impl_->Stop(); }
int SftpServer::port() const { return impl_->port(); }
std::string SftpServer::host_key_fingerprint() const { return impl_->fingerprint(); }
void SftpServer::WaitIdle() { impl_->WaitIdle(); }
LandingZone& SftpServer::landing_zone() { return impl_->zone(); }

}  // namespace strata::sftp
