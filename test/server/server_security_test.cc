// `strata serve` against the probes of issue 16, over real loopback sockets: a cross-site POST,
// a foreign Host header, what /api/health tells, a chunked body past the limit, slow headers,
// a query past its memory limit, more queries than allowed at once, an extension download,
// HTTPS with a self-signed certificate; and authentication: the first start's admin, login,
// sessions with CSRF tokens, no credentials on every route of the OpenAPI document, and a role
// matrix (analyst, engineer, admin) with the audit trail.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "access/access.h"
#include "server/serve_process.h"
#include "test_util.h"

namespace strata::test {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Everything the peer sends until it closes or `timeout_ms` passes.
std::string ReadUntilClosed(int fd, int timeout_ms) {
  std::string out;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  char buffer[4096];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n > 0) out.append(buffer, static_cast<size_t>(n));
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
  }
  return out;
}

std::string Hex(size_t n) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%zx", n);
  return buffer;
}

class ServerSecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    project_ = dir_->path() + "/seguro";
    std::filesystem::create_directories(project_);
    std::ofstream(project_ + "/strata.yaml") << "name: seguro\n";
    std::filesystem::create_directories(project_ + "/pipelines");
    std::ofstream(project_ + "/pipelines/nota.yaml")
        << "StartAt: Nota\nStates:\n  Nota: {Type: Pass, End: true}\n";
    server_ = new ServeProcess(
        project_, {"--max-body-mb", "1", "--header-timeout-ms", "2000", "--sql-memory-limit",
                   "100MB", "--sql-max-concurrent", "1", "--sql-queue-ms", "300"});
    port_ = server_->port();
    host_ = "127.0.0.1:" + std::to_string(port_);
    // The first start made `admin` and showed its password once; tokens for one user per role.
    const std::string out = server_->Stdout();
    const std::string marker = "created user 'admin' with password ";
    const size_t at = out.find(marker);
    ASSERT_NE(at, std::string::npos) << out;
    admin_password_ =
        out.substr(at + marker.size(), out.find(' ', at + marker.size()) - at - marker.size());
    auto access = access::AccessControl::Open(project_ + "/.strata/catalog.db");
    ASSERT_TRUE(access.ok()) << access.status().message();
    ASSERT_TRUE((*access)->AddUser("ana", "ana-password", {"analyst"}).ok());
    ASSERT_TRUE((*access)->AddUser("edu", "edu-password", {"engineer"}).ok());
    for (const char* user : {"admin", "ana", "edu"}) {
      auto token = (*access)->CreateToken(user, "security_test", 0);
      ASSERT_TRUE(token.ok()) << token.status().message();
      (*tokens_)[user] = token->secret;
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  // A client with the token of `user` ("" = no credentials).
  static httplib::Client Client(const std::string& user = "admin") {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(60, 0);
    if (!user.empty()) client.set_bearer_token_auth((*tokens_)[user].c_str());
    return client;
  }
  static json Body(const httplib::Result& result) {
    return result ? json::parse(result->body, nullptr, false) : json();
  }
  static std::string Message(const httplib::Result& result) {
    json body = Body(result);
    return body.contains("error") ? body["error"].value("message", "") : std::string();
  }
  static void ExpectHealthy() {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(2, 0);
    client.set_connection_timeout(2, 0);
    const auto start = Clock::now();
    httplib::Result health = client.Get("/api/health");
    ASSERT_TRUE(health) << httplib::to_string(health.error());
    EXPECT_EQ(health->status, 200);
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  }

  static TempDir* dir_;
  static std::string project_;
  static ServeProcess* server_;
  static int port_;
  static std::string host_;
  static std::string admin_password_;
  static std::map<std::string, std::string>* tokens_;
};

TempDir* ServerSecurityTest::dir_ = nullptr;
std::string ServerSecurityTest::project_;
ServeProcess* ServerSecurityTest::server_ = nullptr;
int ServerSecurityTest::port_ = 0;
std::string ServerSecurityTest::host_;
std::string ServerSecurityTest::admin_password_;
std::map<std::string, std::string>* ServerSecurityTest::tokens_ =
    new std::map<std::string, std::string>();

TEST_F(ServerSecurityTest, HealthSaysOnlyOk) {
  httplib::Result health = Client().Get("/api/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(Body(health), json({{"status", "ok"}})) << health->body;
  EXPECT_EQ(health->get_header_value("Access-Control-Allow-Origin"), "");
}

TEST_F(ServerSecurityTest, ForeignHostIsRefused) {
  httplib::Result evil = Client().Get("/api/health", {{"Host", "evil.example"}});
  ASSERT_TRUE(evil);
  EXPECT_EQ(evil->status, 421);
  EXPECT_NE(Message(evil).find("evil.example"), std::string::npos) << evil->body;
  // DNS rebinding: a name that resolves to 127.0.0.1, with the right port, is still refused.
  httplib::Result rebound =
      Client().Get("/api/status", {{"Host", "evil.example:" + std::to_string(port_)}});
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 421);
  httplib::Result local =
      Client().Get("/api/health", {{"Host", "localhost:" + std::to_string(port_)}});
  ASSERT_TRUE(local);
  EXPECT_EQ(local->status, 200);
}

TEST_F(ServerSecurityTest, CrossSitePostIsRefused) {
  // What a page on evil.example can send without a preflight: a text/plain POST.
  httplib::Result start = Client().Post("/api/pipelines/project/runs",
                                        {{"Origin", "http://evil.example"}}, "{}", "text/plain");
  ASSERT_TRUE(start);
  EXPECT_EQ(start->status, 403) << start->body;
  EXPECT_NE(Message(start).find("cross-site"), std::string::npos) << start->body;
  EXPECT_EQ(start->get_header_value("Access-Control-Allow-Origin"), "");
  httplib::Result cancel =
      Client().Post("/api/runs/x/cancel", {{"Origin", "null"}}, "", "text/plain");
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->status, 403);
  httplib::Result runs = Client().Get("/api/runs");
  ASSERT_TRUE(runs);
  EXPECT_EQ(Body(runs)["runs"].size(), 0u) << runs->body;  // nothing was started (test order)
  // The attempt is in the audit trail, with where it came from.
  httplib::Result audit = Client().Get("/api/audit?action=request.refused");
  ASSERT_TRUE(audit);
  EXPECT_NE(audit->body.find("POST /api/pipelines/project/runs"), std::string::npos) << audit->body;
  EXPECT_NE(audit->body.find("127.0.0.1"), std::string::npos) << audit->body;
  // The server's own pages may post.
  httplib::Result own = Client().Post("/api/sql", {{"Origin", "http://" + host_}},
                                      R"j({"sql": "SELECT 42 AS n"})j", "application/json");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200) << own->body;
}

TEST_F(ServerSecurityTest, ChunkedBodyPastTheLimitIsRefused) {
  // Under the limit, a chunked body is read as any other.
  httplib::Client client = Client();
  const std::string small = R"j({"sql": "SELECT 7 AS n"})j";
  httplib::Result ok = client.Post(
      "/api/sql",
      [&small](size_t offset, httplib::DataSink& sink) {
        if (offset < small.size()) {
          sink.write(small.data() + offset, small.size() - offset);
        } else {
          sink.done();
        }
        return true;
      },
      "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;

  // 100 MB in 64 KiB chunks: the server must stop near its 1 MiB limit with a 413.
  int fd = Connect(port_);
  ASSERT_GE(fd, 0);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string pending = "POST /api/sql HTTP/1.1\r\nHost: " + host_ +
                        "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string data(64 * 1024, 'x');
  size_t sent = 0, queued = 0;
  std::string answer;
  while (queued < 100u * 1024 * 1024) {
    pollfd p{fd, POLLIN | POLLOUT, 0};
    if (poll(&p, 1, 5000) <= 0) break;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      answer = ReadUntilClosed(fd, 3000);
      break;
    }
    if (pending.empty()) {
      pending = Hex(data.size()) + "\r\n" + data + "\r\n";
      queued += data.size();
    }
    const ssize_t n = send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) break;
    if (n > 0) {
      pending.erase(0, static_cast<size_t>(n));
      sent += static_cast<size_t>(n);
    }
  }
  close(fd);
  EXPECT_LT(sent, 32u * 1024 * 1024) << "the server kept reading past its limit";
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 300);
  EXPECT_NE(answer.find("exceeds the limit"), std::string::npos) << answer.substr(0, 300);
  // A declared length past the limit is refused before the body is read.
  httplib::Result big =
      Client().Post("/api/sql", std::string(2 * 1024 * 1024, ' '), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  ExpectHealthy();
}

TEST_F(ServerSecurityTest, SlowHeadersDoNotStarveTheServer) {
  const std::string request =
      "GET /api/health HTTP/1.1\r\nHost: " + host_ + "\r\nX-Slow: " + std::string(500, 'a');
  std::vector<int> fds;
  for (int i = 0; i < 8; ++i) {
    fds.push_back(Connect(port_));
    ASSERT_GE(fds.back(), 0);
  }
  std::atomic<bool> stop{false};
  std::vector<Clock::time_point> closed_at(fds.size());
  const auto start = Clock::now();
  std::thread trickle([&] {
    for (size_t at = 0; !stop && at < request.size(); ++at) {
      for (size_t i = 0; i < fds.size(); ++i) {
        if (closed_at[i] != Clock::time_point()) continue;
        char sink[256];
        const ssize_t got = recv(fds[i], sink, sizeof(sink), MSG_DONTWAIT);
        if (got == 0 || send(fds[i], &request[at], 1, MSG_NOSIGNAL) < 0 ||
            (got < 0 && errno != EAGAIN)) {
          closed_at[i] = Clock::now();
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  for (int i = 0; i < 5; ++i) {
    ExpectHealthy();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  // The header timeout (2 s here) ends each slow connection although it keeps sending.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  stop = true;
  trickle.join();
  for (size_t i = 0; i < fds.size(); ++i) {
    EXPECT_NE(closed_at[i], Clock::time_point()) << "slow connection " << i << " still open";
    if (closed_at[i] != Clock::time_point()) {
      EXPECT_LT(closed_at[i] - start, std::chrono::milliseconds(4500)) << i;
    }
    close(fds[i]);
  }
}

TEST_F(ServerSecurityTest, QueryPastTheMemoryLimitFails) {
  const auto start = Clock::now();
  httplib::Result bomb = Client().Post(
      "/api/sql",
      R"j({"sql": "SELECT count(*) FROM (SELECT DISTINCT range FROM range(100000000))"})j",
      "application/json");
  ASSERT_TRUE(bomb);
  EXPECT_EQ(bomb->status, 400) << bomb->body;
  EXPECT_NE(Message(bomb).find("more memory than the limit of 100MB"), std::string::npos)
      << bomb->body;
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(30));
  ExpectHealthy();
}

TEST_F(ServerSecurityTest, ExtraQueriesAreBusyAndHealthAnswers) {
  std::thread slow([] {
    httplib::Result result = Client().Post(
        "/api/sql",
        R"j({"sql": "SELECT sum(a.range * b.range) FROM range(100000000) a, range(100000) b",
            "timeout_ms": 3000})j",
        "application/json");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 504) << result->body;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  httplib::Result busy = Client().Post("/api/sql", R"j({"sql": "SELECT 1"})j", "application/json");
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503) << busy->body;
  EXPECT_EQ(Message(busy).rfind("busy:", 0), 0u) << busy->body;
  ExpectHealthy();
  slow.join();
  httplib::Result after = Client().Post("/api/sql", R"j({"sql": "SELECT 1"})j", "application/json");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200) << after->body;
}

TEST_F(ServerSecurityTest, ExtensionsAreNeitherDownloadedNorLoaded) {
  const auto start = Clock::now();
  httplib::Result scan = Client().Post(
      "/api/sql", R"j({"sql": "SELECT * FROM sqlite_scan('x.db', 't')"})j", "application/json");
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->status, 403) << scan->body;
  // Refused by the caller's access policy before DuckDB sees it: no table function reads files.
  EXPECT_NE(Message(scan).find("sqlite_scan() is not allowed here"), std::string::npos)
      << scan->body;
  httplib::Result delta = Client().Post(
      "/api/sql", R"j({"sql": "SELECT * FROM delta_scan('/tmp/x')"})j", "application/json");
  ASSERT_TRUE(delta);
  EXPECT_EQ(delta->status, 403) << delta->body;
  // A scalar function of a loadable extension gets past the policy: DuckDB itself refuses to
  // install or load it, at once, without the network.
  httplib::Result spatial = Client().Post(
      "/api/sql", R"j({"sql": "SELECT st_point(1, 2)"})j", "application/json");
  ASSERT_TRUE(spatial);
  EXPECT_EQ(spatial->status, 403) << spatial->body;
  EXPECT_NE(Message(spatial).find("extensions are not installed or loaded"), std::string::npos)
      << spatial->body;
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST_F(ServerSecurityTest, LoginSessionsAndCsrf) {
  httplib::Client client = Client("");
  httplib::Result wrong = client.Post(
      "/api/login", json({{"user", "admin"}, {"password", "not-it"}}).dump(), "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(Message(wrong), "invalid user name or password");
  httplib::Result login =
      client.Post("/api/login", json({{"user", "admin"}, {"password", admin_password_}}).dump(),
                  "application/json");
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 200) << login->body;
  const std::string cookie = login->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("strata_session="), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << cookie;  // plain HTTP here
  const std::string session = cookie.substr(0, cookie.find(';'));
  const std::string csrf = Body(login)["csrf_token"];
  ASSERT_FALSE(csrf.empty());
  EXPECT_EQ(Body(login)["user"], "admin");

  httplib::Result me = client.Get("/api/me", {{"Cookie", session}});
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200);
  EXPECT_EQ(Body(me)["csrf_token"], csrf);
  EXPECT_EQ(Body(me)["privileges"]["admin"], true);
  // A change with the cookie alone is refused; with the session's CSRF token it goes through.
  httplib::Result bare =
      client.Post("/api/catalog/refresh", {{"Cookie", session}}, "{}", "application/json");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 403);
  EXPECT_NE(Message(bare).find("X-CSRF-Token"), std::string::npos) << bare->body;
  httplib::Result forged =
      client.Post("/api/catalog/refresh", {{"Cookie", session}, {"X-CSRF-Token", csrf + "x"}}, "{}",
                  "application/json");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 403);
  httplib::Result refresh =
      client.Post("/api/catalog/refresh", {{"Cookie", session}, {"X-CSRF-Token", csrf}}, "{}",
                  "application/json");
  ASSERT_TRUE(refresh);
  EXPECT_EQ(refresh->status, 200) << refresh->body;

  httplib::Result logout = client.Post("/api/logout", {{"Cookie", session}, {"X-CSRF-Token", csrf}},
                                       "{}", "application/json");
  ASSERT_TRUE(logout);
  EXPECT_EQ(logout->status, 200);
  EXPECT_NE(logout->get_header_value("Set-Cookie").find("Max-Age=0"), std::string::npos);
  httplib::Result after = client.Get("/api/me", {{"Cookie", session}});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401);

  // Both logins are in the audit trail with the client's address.
  httplib::Result audit = Client().Get("/api/audit?action=login");
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->status, 200) << audit->body;
  bool failed = false, ok = false;
  const json events = Body(audit)["events"];
  for (const json& e : events) {
    EXPECT_EQ(e["address"], "127.0.0.1") << e;
    if (e["outcome"] == "failed" && e["user"] == "admin") failed = true;
    if (e["outcome"] == "ok" && e["user"] == "admin") ok = true;
  }
  EXPECT_TRUE(failed && ok) << audit->body;
}

// Every route of the OpenAPI document answers 401 without credentials (and with a bad token),
// except the health check and the login itself.
TEST_F(ServerSecurityTest, NoCredentialsNoAnswerOnEveryRoute) {
  httplib::Result doc = Client().Get("/api/openapi.json");
  ASSERT_TRUE(doc);
  ASSERT_EQ(doc->status, 200);
  int checked = 0;
  const json paths = Body(doc)["paths"];
  for (const auto& [path, methods] : paths.items()) {
    std::string concrete;
    for (size_t i = 0; i < path.size(); ++i) {
      if (path[i] == '{') {
        concrete += "x";
        i = path.find('}', i);
      } else {
        concrete += path[i];
      }
    }
    for (const auto& [method, op] : methods.items()) {
      for (const std::string& who : {std::string(""), std::string("bad")}) {
        httplib::Client client("127.0.0.1", port_);
        if (who == "bad") client.set_bearer_token_auth("strata_nope_nope");
        httplib::Result result = method == "get"
                                     ? client.Get(concrete.c_str())
                                     : client.Post(concrete.c_str(), "{}", "application/json");
        ASSERT_TRUE(result) << method << " " << concrete;
        if (path == "/api/health") {
          EXPECT_EQ(result->status, 200);
        } else if (path == "/api/login") {
          EXPECT_NE(result->status, 200) << result->body;
        } else {
          EXPECT_EQ(result->status, 401) << method << " " << path << ": " << result->body;
          EXPECT_NE(Message(result), "") << result->body;
        }
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 40);
  httplib::Result metrics = Client("").Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 401);
  httplib::Result page = Client("").Get("/");  // the login page itself
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
}

// analyst reads but cannot start runs; engineer runs; admin reads the audit trail.
TEST_F(ServerSecurityTest, RoleMatrix) {
  for (const char* user : {"ana", "edu", "admin"}) {
    httplib::Result runs = Client(user).Get("/api/runs");
    ASSERT_TRUE(runs);
    EXPECT_EQ(runs->status, 200) << user;
    httplib::Result me = Client(user).Get("/api/me");
    ASSERT_TRUE(me);
    EXPECT_EQ(Body(me)["user"], user);
  }
  httplib::Result refused =
      Client("ana").Post("/api/pipelines/nota/runs", "{}", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403) << refused->body;
  EXPECT_NE(Message(refused).find("'run' privilege"), std::string::npos) << refused->body;
  EXPECT_EQ(Client("ana").Post("/api/catalog/refresh", "{}", "application/json")->status, 403);
  EXPECT_EQ(Client("ana").Get("/api/audit")->status, 403);

  httplib::Result started =
      Client("edu").Post("/api/pipelines/nota/runs", "{}", "application/json");
  ASSERT_TRUE(started);
  EXPECT_EQ(started->status, 202) << started->body;
  EXPECT_EQ(Client("edu").Post("/api/catalog/refresh", "{}", "application/json")->status, 200);
  EXPECT_EQ(Client("edu").Get("/api/audit")->status, 403);
  httplib::Result by_admin =
      Client("admin").Post("/api/pipelines/nota/runs", "{}", "application/json");
  ASSERT_TRUE(by_admin);
  EXPECT_EQ(by_admin->status, 202);

  httplib::Result audit = Client("admin").Get("/api/audit?action=run.");
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->status, 200) << audit->body;
  std::map<std::string, std::string> outcome_by_user;
  const json events = Body(audit)["events"];
  for (const json& e : events) {
    EXPECT_EQ(e["address"], "127.0.0.1") << e;
    // (the attempts without credentials of the test before are there too, with no user)
    if (e["target"] != "/api/pipelines/nota/runs") continue;
    outcome_by_user[e["user"]] = e["outcome"];
  }
  EXPECT_EQ(outcome_by_user["ana"], "denied") << audit->body;
  EXPECT_EQ(outcome_by_user["edu"], "ok") << audit->body;
  EXPECT_EQ(outcome_by_user["admin"], "ok") << audit->body;
}

TEST(ServeTlsTest, ServesHttpsWithTheGivenCertificate) {
  TempDir dir;
  const std::string project = dir.path() + "/tls";
  std::filesystem::create_directories(project);
  std::ofstream(project + "/strata.yaml") << "name: tls\n";
  const std::string cert = dir.path() + "/cert.pem", key = dir.path() + "/key.pem";
  const std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
      key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  CommandResult half = RunStrata(
      {"serve", "--project", project, "--port", "0", "--sftp-port", "-1", "--tls-cert", cert});
  EXPECT_EQ(half.exit_code, 1);
  EXPECT_NE(half.err.find("both a certificate and a key"), std::string::npos) << half.err;
  CommandResult wrong = RunStrata({"serve", "--project", project, "--port", "0", "--sftp-port",
                                   "-1", "--tls-cert", key, "--tls-key", key});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find(key), std::string::npos) << wrong.err;

  ServeProcess server(project, {"--tls-cert", cert, "--tls-key", key});
  EXPECT_NE(server.Stdout().find("listening on https://"), std::string::npos);
  httplib::SSLClient client("127.0.0.1", server.port());
  client.set_ca_cert_path(cert.c_str());
  client.enable_server_certificate_verification(true);
  httplib::Result health = client.Get("/api/health");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, R"j({"status":"ok"})j");
  // The session cookie is Secure under TLS (the admin password is the one STRATA_ADMIN_PASSWORD
  // would give; here the first start generated it).
  const std::string out = server.Stdout();
  const std::string marker = "created user 'admin' with password ";
  const size_t at = out.find(marker);
  ASSERT_NE(at, std::string::npos) << out;
  const std::string password =
      out.substr(at + marker.size(), out.find(' ', at + marker.size()) - at - marker.size());
  httplib::Result login = client.Post(
      "/api/login", json({{"user", "admin"}, {"password", password}}).dump(), "application/json");
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 200) << login->body;
  EXPECT_NE(login->get_header_value("Set-Cookie").find("; Secure"), std::string::npos);
  // Plain HTTP to the HTTPS port gets no answer.
  httplib::Client plain("127.0.0.1", server.port());
  plain.set_read_timeout(3, 0);
  httplib::Result refused = plain.Get("/api/health");
  EXPECT_TRUE(!refused || refused->status != 200);
}

}  // namespace
}  // namespace strata::test
