// The SFTP server under attack, through the real OpenSSH client (and sshpass) against
// `strata sftp serve`: password guessing is logged and locked out (the right password too, until
// the lockout passes), a flood of idle connections from one address neither takes the slots of
// another address nor outlives the login grace time.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "sftp/sftp_harness.h"

namespace strata::test::sftp {
namespace {

using Clock = std::chrono::steady_clock;

int Occurrences(const std::string& text, const std::string& needle) {
  int count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// A plain TCP connection from `from` to the server that says nothing; -1 if it cannot connect.
int IdleConnection(int port, const std::string& from) {
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

// Whether the server hung up `fd` within `millis` (what it sends first, its banner, is ignored).
bool ClosedWithin(int fd, int millis) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(millis);
  while (Clock::now() < deadline) {
    pollfd wait{fd, POLLIN, 0};
    if (::poll(&wait, 1, 50) <= 0) continue;
    char buffer[512];
    if (::recv(fd, buffer, sizeof buffer, 0) <= 0) return true;
  }
  return false;
}

TEST(SftpGuardTest, PasswordGuessingIsLoggedAndLockedOutUntilTheLockoutPasses) {
  SftpProject p;
  const std::string right = "Right-Horse-7731";
  p.AddPasswordUser("acme", right);
  p.AddKeyUser("beta");
  p.StartServer({"--max-login-failures", "5", "--login-failure-window", "60", "--lockout", "15",
                 "--login-failure-delay-ms", "100", "--max-login-failure-delay-ms", "400"});
  Clock::time_point locked_at;
  for (int i = 0; i < 10; ++i) {
    CommandResult guess = p.SftpWithPassword("acme", "guess-" + std::to_string(i), "ls\n");
    EXPECT_NE(guess.exit_code, 0) << i << guess.out << guess.err;
    if (i == 4) locked_at = Clock::now();  // the fifth failure locked: the lockout ends after this
  }
  std::string log = p.ServerLog();
  // Five failures, each logged with the user, the address and the method, then a lockout of the
  // address and of the user's passwords; every later try is refused as locked. (An attempt whose
  // check began before the lock may still end as a failure after it.)
  const std::string failed = "failed login for 'acme' from 127.0.0.1 (password: wrong password)";
  const size_t lock_line =
      log.find("address 127.0.0.1 locked out for 15 s: 5 failed logins within 60 s");
  ASSERT_NE(lock_line, std::string::npos) << log;
  EXPECT_EQ(Occurrences(log.substr(0, lock_line), failed), 5) << log;
  EXPECT_LE(Occurrences(log, failed), 7) << log;
  EXPECT_NE(log.find("user 'acme' locked out of password logins for 15 s"), std::string::npos);
  EXPECT_GE(Occurrences(log,
                        "login for 'acme' from 127.0.0.1 (password) refused: address locked "
                        "out for"),
            5)
      << log;

  // While locked, the right password is refused: from this address, and for this user from any.
  CommandResult locked = p.SftpWithPassword("acme", right, "ls\n");
  EXPECT_NE(locked.exit_code, 0) << locked.out;
  p.set_client_address("127.0.0.2");
  CommandResult elsewhere = p.SftpWithPassword("acme", right, "ls\n");
  EXPECT_NE(elsewhere.exit_code, 0) << elsewhere.out;
  log = p.ServerLog();
  EXPECT_NE(log.find("login for 'acme' from 127.0.0.2 (password) refused: user locked out for"),
            std::string::npos)
      << log;
  // Another partner, from another address, with a key, is not held up.
  CommandResult beta = p.Sftp("beta", "ls\n");
  EXPECT_EQ(beta.exit_code, 0) << beta.err << p.ServerLog();
  EXPECT_TRUE(p.WaitForLog("login of 'beta' from 127.0.0.2 (publickey)", 10)) << p.ServerLog();

  // Once the lockout passed, the right password logs in.
  p.set_client_address("");
  std::this_thread::sleep_until(locked_at + std::chrono::seconds(16));
  CommandResult later = p.SftpWithPassword("acme", right, "ls\n");
  EXPECT_EQ(later.exit_code, 0) << later.err << p.ServerLog();
  EXPECT_TRUE(p.WaitForLog("login of 'acme' from 127.0.0.1 (password)", 10)) << p.ServerLog();
  // No password, wrong or right, is ever logged.
  log = p.ServerLog();
  EXPECT_EQ(log.find("guess-"), std::string::npos) << log;
  EXPECT_EQ(log.find(right), std::string::npos) << log;
  // The project's audit log holds every attempt too (what `strata audit` shows), no password.
  CommandResult audit =
      RunStrata({"audit", "--project", p.dir(), "--action", "sftp.login", "--json"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  int failed_events = 0, accepted_events = 0;
  for (const nlohmann::json& event : nlohmann::json::parse(audit.out)) {
    EXPECT_EQ(event["action"], "sftp.login");
    if (event["outcome"] == "ok") ++accepted_events;
    if (event["detail"].get<std::string>().find("wrong password") != std::string::npos) {
      EXPECT_EQ(event["user"], "acme");
      EXPECT_EQ(event["address"], "127.0.0.1");
      ++failed_events;
    }
  }
  EXPECT_GE(failed_events, 5) << audit.out;
  EXPECT_GE(accepted_events, 2) << audit.out;  // beta, then acme after the lockout
  EXPECT_GE(Occurrences(audit.out, "locked"), 1) << audit.out;
  EXPECT_EQ(audit.out.find("guess-"), std::string::npos) << audit.out;
  EXPECT_EQ(audit.out.find(right), std::string::npos) << audit.out;
}

// The attack that locked a partner out: 70 idle TCP connections from one address.
TEST(SftpGuardTest, AFloodOfIdleConnectionsFromOneAddressLeavesAnotherPartnerIn) {
  SftpProject p;
  p.AddKeyUser("acme");
  p.StartServer({"--max-unauthenticated-per-address", "4", "--login-grace", "10"});
  // One at a time, each answered before the next: the first four get the server's banner and
  // wait for their login; every later one is closed at once.
  std::vector<int> flood;
  int closed = 0;
  for (int i = 0; i < 70; ++i) {
    flood.push_back(IdleConnection(p.port(), "127.0.0.1"));
    ASSERT_GE(flood.back(), 0) << i;
    if (i < 4) {
      pollfd banner{flood.back(), POLLIN, 0};
      EXPECT_EQ(::poll(&banner, 1, 5000), 1) << i;
      EXPECT_FALSE(ClosedWithin(flood.back(), 50)) << i;
    } else {
      closed += ClosedWithin(flood.back(), 3000) ? 1 : 0;
    }
  }
  EXPECT_EQ(closed, 66) << p.ServerLog();
  EXPECT_EQ(Occurrences(p.ServerLog(),
                        "closing a connection from 127.0.0.1: 4 connections from "
                        "it not logged in yet (per-address limit)"),
            66);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(ClosedWithin(flood[i], 10)) << i;
  // A partner from another address logs in and uploads while the flood holds its four.
  WriteText(p.work() + "/hello.txt", "hello\n");
  p.set_client_address("127.0.0.2");
  CommandResult partner = p.Sftp("acme", "put hello.txt\nls\n");
  EXPECT_EQ(partner.exit_code, 0) << partner.err << p.ServerLog();
  EXPECT_EQ(ReadText(p.dir() + "/landing/acme/hello.txt"), "hello\n");
  // From the flooding address nobody gets in ...
  p.set_client_address("");
  EXPECT_NE(p.Sftp("acme", "ls\n").exit_code, 0);
  // ... until the login grace time closed its idle four; then a login from it works again.
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(ClosedWithin(flood[i], 15000)) << i;
  for (int wait = 0; wait < 50 && Occurrences(p.ServerLog(), "(login grace time)") < 4; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the log line follows the close
  }
  EXPECT_EQ(Occurrences(p.ServerLog(),
                        "connection from 127.0.0.1 closed: no login within 10 s "
                        "(login grace time)"),
            4)
      << p.ServerLog();
  for (int fd : flood) ::close(fd);
  CommandResult again = p.Sftp("acme", "ls\n");
  EXPECT_EQ(again.exit_code, 0) << again.err << p.ServerLog();
}

TEST(SftpGuardTest, TheLoginGraceTimeClosesAnIdleConnection) {
  SftpProject p;
  p.StartServer({"--login-grace", "2"});
  const auto started = Clock::now();
  int fd = IdleConnection(p.port(), "127.0.0.1");
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(ClosedWithin(fd, 1200)) << "closed long before the grace time";
  EXPECT_TRUE(ClosedWithin(fd, 5000)) << "kept past the grace time";
  EXPECT_GE(Clock::now() - started, std::chrono::milliseconds(1900));
  ::close(fd);
  EXPECT_TRUE(
      p.WaitForLog("connection from 127.0.0.1 closed: no login within 2 s (login grace "
                   "time)",
                   5))
      << p.ServerLog();
  // The limits are checked at the command line.
  for (const std::vector<std::string>& bad : {std::vector<std::string>{"--lockout", "0"},
                                              {"--login-grace", "0"},
                                              {"--max-unauthenticated-per-address", "0"},
                                              {"--max-login-failures", "-1"}}) {
    std::vector<std::string> argv = {"sftp", "serve", "--project", p.dir()};
    argv.insert(argv.end(), bad.begin(), bad.end());
    CommandResult refused = RunStrata(argv);
    EXPECT_NE(refused.exit_code, 0) << bad[0];
    EXPECT_NE((refused.out + refused.err).find(bad[0]), std::string::npos) << refused.err;
  }
}

}  // namespace
}  // namespace strata::test::sftp
