// The server's defences, in process on loopback with libssh clients and a FakeClock: brute force
// lockout, the pre-auth flood of one address, the login grace time and the session limit.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libssh/libssh.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "landing/sftp/server.h"
#include "landing/sftp/sftp_test_util.h"
#include "landing/sftp/users.h"

namespace strata::sftp {
namespace {

constexpr int64_t kSecond = 1'000'000;
constexpr const char* kPassword = "correct horse battery";

void WriteProject(const std::string& dir) {
  std::filesystem::create_directories(dir + "/sources");
  std::ofstream(dir + "/strata.yaml") << "name: sftptest\n";
}

// Every login event the server reported.
class Events {
 public:
  std::function<void(const LoginEvent&)> Hook() {
    return [this](const LoginEvent& event) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(event);
    };
  }
  std::vector<LoginEvent> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(events_, {});
  }

 private:
  std::mutex mu_;
  std::vector<LoginEvent> events_;
};

struct SessionFree {
  void operator()(ssh_session session) const {
    ssh_disconnect(session);
    ssh_free(session);
  }
};
using Session = std::unique_ptr<ssh_session_struct, SessionFree>;

// A libssh client connected (key exchange done) from `from` to the server; null if it was not.
Session Connect(int port, const std::string& user, const std::string& from = "127.0.0.1") {
  Session session(ssh_new());
  unsigned int p = static_cast<unsigned int>(port);
  long timeout = 5;  // libssh's client waits this long after the server's disconnect
  bool no = false;
  ssh_options_set(session.get(), SSH_OPTIONS_HOST, "127.0.0.1");
  ssh_options_set(session.get(), SSH_OPTIONS_PORT, &p);
  ssh_options_set(session.get(), SSH_OPTIONS_USER, user.c_str());
  ssh_options_set(session.get(), SSH_OPTIONS_BINDADDR, from.c_str());
  ssh_options_set(session.get(), SSH_OPTIONS_TIMEOUT, &timeout);
  ssh_options_set(session.get(), SSH_OPTIONS_PROCESS_CONFIG, &no);
  if (ssh_connect(session.get()) != SSH_OK) return nullptr;
  return session;
}

// One password login on a fresh connection: SSH_AUTH_SUCCESS, SSH_AUTH_DENIED or SSH_AUTH_ERROR.
int TryPassword(int port, const std::string& user, const std::string& password,
                const std::string& from = "127.0.0.1") {
  Session session = Connect(port, user, from);
  if (!session) return SSH_AUTH_ERROR;
  return ssh_userauth_password(session.get(), nullptr, password.c_str());
}

// A plain TCP connection from `from` that says nothing; -1 if it cannot connect.
int RawConnect(int port, const std::string& from = "127.0.0.1") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, from.c_str(), &local.sin_addr);
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<uint16_t>(port));
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Whether the server hung up `fd` within `millis` (its banner is read and ignored).
bool ClosedWithin(int fd, int millis) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(millis);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd wait{fd, POLLIN, 0};
    if (::poll(&wait, 1, 50) <= 0) continue;
    char buffer[512];
    if (::recv(fd, buffer, sizeof buffer, 0) <= 0) return true;
  }
  return false;
}

// Waits (up to 5 s) for the server's first bytes on `fd`, its banner: the server has accepted the
// connection (and started its grace time) by then.
bool ReadBanner(int fd) {
  pollfd wait{fd, POLLIN, 0};
  char buffer[512];
  return ::poll(&wait, 1, 5000) == 1 && ::recv(fd, buffer, sizeof buffer, 0) > 0;
}

class ServerGuardTest : public ::testing::Test {
 protected:
  void StartServer(SftpServerOptions options) {
    WriteProject(dir_.path());
    options.project_dir = dir_.path();
    options.port = 0;
    options.clock = &clock_;
    options.on_login = events_.Hook();
    auto server = SftpServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    UserStore users(server_->landing_zone().UsersPath());
    SftpUser acme{.name = "acme"};
    auto hash = HashPassword(kPassword);
    ASSERT_TRUE(hash.ok());
    acme.password_hash = *hash;
    ASSERT_TRUE(users.Add(acme).ok());
    SftpUser beta = acme;
    beta.name = "beta";
    ASSERT_TRUE(users.Add(beta).ok());
    ASSERT_TRUE(server_->Start().ok());
  }
  int port() const { return server_->port(); }

  testing::TempDir dir_;
  FakeClock clock_{1'000'000 * kSecond};
  Events events_;
  std::unique_ptr<SftpServer> server_;
};

TEST_F(ServerGuardTest, BruteForceLocksOutUntilTheLockoutPasses) {
  SftpServerOptions options;
  options.login_limits = {.max_failures = 5,
                          .failure_window_seconds = 60,
                          .lockout_seconds = 300,
                          .failure_delay_ms = 250,
                          .max_failure_delay_ms = 4000};
  StartServer(options);
  const int64_t started = clock_.NowMicros();
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(TryPassword(port(), "acme", "guess" + std::to_string(i)), SSH_AUTH_DENIED) << i;
  }
  // Held answers: 250 + 500 + 1000 + 2000 + 4000 ms for the failures, 4 s for each locked try.
  EXPECT_GE(clock_.NowMicros() - started, 7'750'000 + 5 * 4 * kSecond);
  std::vector<LoginEvent> events = events_.Take();
  ASSERT_EQ(events.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(events[i].outcome,
              i < 5 ? LoginEvent::Outcome::kFailed : LoginEvent::Outcome::kLocked)
        << i << " " << events[i].detail;
    EXPECT_EQ(events[i].user, "acme");
    EXPECT_EQ(events[i].address, "127.0.0.1");
    EXPECT_EQ(events[i].method, "password");
    EXPECT_EQ(events[i].detail.find("guess"), std::string::npos) << "a password in an event";
  }
  EXPECT_EQ(events[0].detail, "wrong password");
  EXPECT_NE(events[5].detail.find("address locked out for"), std::string::npos);

  // The right password is refused while locked, from this address and (for this user) from
  // another; another user from another address is not held up.
  EXPECT_EQ(TryPassword(port(), "acme", kPassword), SSH_AUTH_DENIED);
  EXPECT_EQ(TryPassword(port(), "acme", kPassword, "127.0.0.2"), SSH_AUTH_DENIED);
  EXPECT_EQ(TryPassword(port(), "beta", kPassword, "127.0.0.2"), SSH_AUTH_SUCCESS);
  events = events_.Take();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].outcome, LoginEvent::Outcome::kLocked);
  EXPECT_EQ(events[1].outcome, LoginEvent::Outcome::kLocked);
  EXPECT_NE(events[1].detail.find("user locked out"), std::string::npos) << events[1].detail;
  EXPECT_EQ(events[2].outcome, LoginEvent::Outcome::kAccepted);
  EXPECT_EQ(events[2].address, "127.0.0.2");

  clock_.Advance(301 * kSecond);
  EXPECT_EQ(TryPassword(port(), "acme", kPassword), SSH_AUTH_SUCCESS);
  events = events_.Take();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].outcome, LoginEvent::Outcome::kAccepted);
}

TEST_F(ServerGuardTest, AFloodFromOneAddressLeavesOtherAddressesTheirLogins) {
  SftpServerOptions options;
  options.max_unauthenticated_per_address = 4;
  options.max_unauthenticated = 16;
  StartServer(options);
  std::vector<int> flood;
  for (int i = 0; i < 10; ++i) {
    flood.push_back(RawConnect(port()));
    ASSERT_GE(flood.back(), 0);
  }
  // (Each kept connection's grace time starts at its accept; ClosedWithin below reads the banner.)
  // The first four wait for their login; the six past the per-address limit are closed.
  int closed = 0;
  for (int i = 0; i < 10; ++i) {
    const bool hung_up = ClosedWithin(flood[i], i < 4 ? 300 : 3000);
    EXPECT_EQ(hung_up, i >= 4) << i;
    closed += hung_up ? 1 : 0;
  }
  EXPECT_EQ(closed, 6);
  // Another address logs in while the flood holds its four.
  EXPECT_EQ(TryPassword(port(), "acme", kPassword, "127.0.0.2"), SSH_AUTH_SUCCESS);
  // The flooding address gets no fifth, until the grace time ends its idle four.
  EXPECT_EQ(TryPassword(port(), "beta", kPassword), SSH_AUTH_ERROR);
  clock_.Advance(21 * kSecond);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(ClosedWithin(flood[i], 3000)) << i;
  for (int fd : flood) ::close(fd);
  EXPECT_EQ(TryPassword(port(), "beta", kPassword), SSH_AUTH_SUCCESS);
}

// The grace time runs from the accept, however the client behaves meanwhile.
TEST_F(ServerGuardTest, TheLoginGraceTimeClosesAConnectionThatDoesNotLogIn) {
  SftpServerOptions options;
  options.login_grace_seconds = 20;
  StartServer(options);
  int fd = RawConnect(port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(ReadBanner(fd));
  const std::string banner = "SSH-2.0-Trickle_1.0\r\n";
  ASSERT_EQ(::send(fd, banner.data(), banner.size(), 0), static_cast<ssize_t>(banner.size()));
  clock_.Advance(19 * kSecond);
  EXPECT_FALSE(ClosedWithin(fd, 600)) << "closed before the grace time";
  clock_.Advance(1 * kSecond);
  EXPECT_TRUE(ClosedWithin(fd, 3000)) << "kept past the grace time";
  ::close(fd);
  // A client that logs in in time is not touched by it.
  Session session = Connect(port(), "acme");
  ASSERT_TRUE(session);
  ASSERT_EQ(ssh_userauth_password(session.get(), nullptr, kPassword), SSH_AUTH_SUCCESS);
}

TEST_F(ServerGuardTest, LoginsPastMaxSessionsAreRefusedNotCountedAsFailures) {
  SftpServerOptions options;
  options.max_sessions = 1;
  StartServer(options);
  Session first = Connect(port(), "acme");
  ASSERT_TRUE(first);
  ASSERT_EQ(ssh_userauth_password(first.get(), nullptr, kPassword), SSH_AUTH_SUCCESS);
  EXPECT_NE(TryPassword(port(), "beta", kPassword), SSH_AUTH_SUCCESS);
  std::vector<LoginEvent> events = events_.Take();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].outcome, LoginEvent::Outcome::kRefused);
  EXPECT_EQ(events[1].user, "beta");
  first.reset();
  bool admitted = false;
  for (int i = 0; i < 50 && !admitted; ++i) {  // the first session's slot frees once it ended
    admitted = TryPassword(port(), "beta", kPassword) == SSH_AUTH_SUCCESS;
    if (!admitted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(admitted);
}

}  // namespace
}  // namespace strata::sftp
