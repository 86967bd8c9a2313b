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
#include <filesystem>
#include <list>
#include <mutex>
#include <thread>

#include "catalog/location.h"
#include "common/logging.h"
#include "landing/sftp/intake.h"
#include "landing/sftp/orchestrator_notifier.h"
#include "landing/sftp/pipeline_trigger.h"
#include "landing/sftp/session.h"
#include "landing/sftp/users.h"
#include "landing/sftp/vpath.h"
#include "pipeline/project.h"

namespace strata::sftp {
namespace {

namespace fs = std::filesystem;
constexpr int kMaxAuthAttempts = 20;

struct KeyFree {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using Key = std::unique_ptr<ssh_key_struct, KeyFree>;

bool KeyMatches(ssh_key offered, const std::vector<std::string>& authorized) {
  for (const std::string& line : authorized) {
    size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    std::string type = line.substr(0, space);
    std::string rest = line.substr(space + 1);
    std::string base64 = rest.substr(0, rest.find(' '));
    ssh_key stored = nullptr;
    if (ssh_pki_import_pubkey_base64(base64.c_str(), ssh_key_type_from_name(type.c_str()),
                                     &stored) != SSH_OK) {
      continue;
    }
    Key owned(stored);
    if (ssh_key_cmp(offered, stored, SSH_KEY_CMP_PUBLIC) == 0) return true;
  }
  return false;
}

}  // namespace

Status EnsureHostKey(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) == 0) return Status::OK();
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  ssh_key key = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
    return Status::IOError("cannot generate an ed25519 host key");
  }
  Key owned(key);
  const std::string temp = path + ".tmp";
  if (ssh_pki_export_privkey_file(key, nullptr, nullptr, nullptr, temp.c_str()) != SSH_OK) {
    return Status::IOError("cannot write the host key to " + temp);
  }
  ::chmod(temp.c_str(), 0600);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot move the host key to " + path);
  }
  return Status::OK();
}

class SftpServer::Impl {
 public:
  Impl(SftpServerOptions options, std::string root, std::string landing, std::string catalog,
       std::unique_ptr<orchestrator::service::OrchestratorService> own_orchestrator)
      : options_(std::move(options)),
        own_orchestrator_(std::move(own_orchestrator)),
        notifier_(options_.orchestrator != nullptr ? *options_.orchestrator : *own_orchestrator_),
        zone_(root, std::move(landing), std::move(catalog)),
        users_(zone_.UsersPath()),
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
    Key host;
    ssh_key loaded = nullptr;
    if (ssh_pki_import_privkey_file(zone_.HostKeyPath().c_str(), nullptr, nullptr, nullptr,
                                    &loaded) == SSH_OK) {
      host.reset(loaded);
      unsigned char* hash = nullptr;
      size_t hash_length = 0;
      if (ssh_get_publickey_hash(loaded, SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_length) == 0) {
        char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_length);
        if (text != nullptr) fingerprint_ = text;
        ssh_string_free_char(text);
        ssh_clean_pubkey_hash(&hash);
      }
    }
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
  struct SessionSlot {
    std::thread thread;
    int fd = -1;  // the session's socket while it runs; -1 once it is closed
    std::atomic<bool> done{false};
    std::atomic<bool> serving_sftp{false};  // logged in, SFTP running: the idle limit applies
    bool idle_closed = false;               // guarded by sessions_mutex_
    SessionActivity activity;
  };

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
      struct pollfd listener = {ssh_bind_get_fd(bind_), POLLIN, 0};
      if (::poll(&listener, 1, 200) <= 0) continue;
      ssh_session session = ssh_new();
      if (session == nullptr) continue;
      if (ssh_bind_accept(bind_, session) != SSH_OK) {
        ssh_free(session);
        continue;
      }
      std::lock_guard<std::mutex> lock(sessions_mutex_);
      if (static_cast<int>(sessions_.size()) >= options_.max_sessions) {
        Log().warn("sftp: refusing a connection: {} sessions already open", sessions_.size());
        ssh_disconnect(session);
        ssh_free(session);
        continue;
      }
      SessionSlot& slot = sessions_.emplace_back();
      slot.fd = ssh_get_fd(session);
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

  // Authentication: publickey (keys from users.json) or password (salted hash). Returns the
  // user, or nullopt when the client gave up, failed too often or the connection dropped.
  std::optional<SftpUser> Authenticate(ssh_session session) {
    ssh_set_auth_methods(session, SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_PASSWORD);
    for (int attempt = 0; attempt < kMaxAuthAttempts && !stopping_;) {
      ssh_message message = ssh_message_get(session);
      if (message == nullptr) return std::nullopt;
      std::optional<SftpUser> accepted;
      bool handled = false;
      if (ssh_message_type(message) == SSH_REQUEST_AUTH) {
        const char* name = ssh_message_auth_user(message);
        Result<std::optional<SftpUser>> user =
            users_.Find(name == nullptr ? std::string() : std::string(name));
        const SftpUser* known = user.ok() && user->has_value() ? &**user : nullptr;
        int method = ssh_message_subtype(message);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        if (method == SSH_AUTH_METHOD_PUBLICKEY && known != nullptr &&
            KeyMatches(ssh_message_auth_pubkey(message), known->public_keys)) {
          enum ssh_publickey_state_e state = ssh_message_auth_publickey_state(message);
          if (state == SSH_PUBLICKEY_STATE_NONE) {
            ssh_message_auth_reply_pk_ok_simple(message);  // the key would do: now sign
            handled = true;
          } else if (state == SSH_PUBLICKEY_STATE_VALID) {
            accepted = *known;
          }
        } else if (method == SSH_AUTH_METHOD_PASSWORD && known != nullptr &&
                   !known->password_hash.empty()) {
          const char* password = ssh_message_auth_password(message);
          if (password != nullptr && VerifyPassword(known->password_hash, password)) {
            accepted = *known;
          }
        }
#pragma GCC diagnostic pop
        if (accepted) {
          ssh_message_auth_reply_success(message, 0);
          ssh_message_free(message);
          return accepted;
        }
        if (!handled) {
          if (method != SSH_AUTH_METHOD_NONE) ++attempt;
          ssh_message_auth_set_methods(message,
                                       SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_PASSWORD);
          ssh_message_reply_default(message);
        }
      } else {
        ssh_message_reply_default(message);
      }
      ssh_message_free(message);
    }
    return std::nullopt;
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

  void RunSession(ssh_session session, SessionSlot& slot) {
    long login_timeout = options_.login_timeout_seconds;  // libssh wants a long
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &login_timeout);
    if (ssh_handle_key_exchange(session) != SSH_OK) {
      Log().info("sftp: key exchange failed: {}", ssh_get_error(session));
      return;
    }
    std::optional<SftpUser> user = Authenticate(session);
    if (!user) return;
    if (Status made = zone_.EnsurePartner(user->name); !made.ok()) {
      Log().error("sftp: {}", made.message());
      return;
    }
    ssh_channel channel = OpenSftpChannel(session);
    if (channel == nullptr) return;
    long no_timeout = 0;  // 0: blocking reads wait as long as the client stays connected
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &no_timeout);
    sftp_session sftp = sftp_server_new(session, channel);
    if (sftp != nullptr && sftp_server_init(sftp) == 0) {
      Log().info("sftp: {} connected", user->name);
      SessionContext context{user->name, user->read_only, &zone_, &intake_,
                             options_.idle_timeout_seconds > 0 ? &slot.activity : nullptr};
      slot.activity.End();  // the idle clock starts now
      slot.serving_sftp = true;
      ServeSftp(sftp, context);
      slot.serving_sftp = false;
      if (IdleClosed(slot)) {
        Log().info("sftp: {} disconnected: no SFTP request for {} s (idle limit)", user->name,
                   options_.idle_timeout_seconds);
      } else {
        Log().info("sftp: {} left", user->name);
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
