// A real MariaDB 10.11 server for tests and benchmarks (no gtest dependency).
//
// MariaDbTestServer::Get() starts Debian's mariadbd once per process on a free loopback port,
// with its own data directory under $STRATA_TEST_TMP (or /tmp), the binlog in ROW format with
// FULL row metadata and server id 1, utf8mb4 by default, and stops it at exit. The data directory
// is copied from a template made once per machine by mariadb-install-db (slow). As root the server
// runs with
// --user=root. A user `strata` with password kPassword has every privilege (incl. replication).
// Thread safety: Get() from any thread; Sql() opens its own connection per call.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "ingest/mysql/client.h"

namespace strata::ingest::mysql::testing {

class MariaDbTestServer {
 public:
  static constexpr const char* kPassword = "s3cret-Pw!";

  static MariaDbTestServer& Get() {
    static MariaDbTestServer* server = [] {
      auto* s = new MariaDbTestServer();
      std::atexit([] { Get().Stop(); });
      return s;
    }();
    return *server;
  }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }

  ConnectionSpec Spec(const std::string& database, const std::string& user = "strata") const {
    ConnectionSpec spec;
    spec.host = "127.0.0.1";
    spec.port = port_;
    spec.user = user;
    spec.password = kPassword;
    spec.database = database;
    return spec;
  }
  std::string Url(const std::string& database) const {
    return "mysql://strata@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }
  // Runs statements (one per call) as `strata` on `database`; returns the error text or "".
  std::string Sql(const std::string& database, const std::string& sql) const {
    auto client = Client::Connect(Spec(database));
    if (!client.ok()) return client.status().ToString();
    Status s = (*client)->Execute(sql);
    return s.ok() ? "" : s.ToString();
  }
  // A fresh database; returns its name.
  std::string CreateDatabase(const std::string& prefix) {
    static int counter = 0;
    std::string name = prefix + std::to_string(getpid()) + "_" + std::to_string(counter++);
    std::string err = Sql("mysql", "CREATE DATABASE " + name);
    return err.empty() ? name : "";
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 300 && waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

 private:
  MariaDbTestServer() { Start(); }

  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    close(fd);
    return port;
  }

  static int Run(const std::string& command) { return std::system(command.c_str()); }

  void Start() {
    if (!std::filesystem::exists("/usr/sbin/mariadbd")) {
      error_ = "mariadbd not found (apt-get install mariadb-server)";
      return;
    }
    const char* tmp = std::getenv("STRATA_TEST_TMP");
    std::string base = tmp != nullptr ? tmp : "/tmp";
    std::filesystem::create_directories(base);
    dir_ = base + "/mariadb-" + std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::string log = dir_ + "/install.log";
    // mariadb-install-db takes seconds: one template per machine, copied per server.
    std::string templ = "/tmp/strata-mariadb-template";
    if (!std::filesystem::exists(templ + "/mysql/db.frm")) {
      std::string staging = templ + ".tmp-" + std::to_string(getpid());
      Run("rm -rf " + staging);
      if (Run("mariadb-install-db --no-defaults --datadir=" + staging +
              " --user=root --auth-root-authentication-method=normal --skip-test-db >" + log +
              " 2>&1") != 0) {
        error_ = "mariadb-install-db failed; see " + log;
        return;
      }
      if (std::rename(staging.c_str(), templ.c_str()) != 0) Run("rm -rf " + staging);
    }
    if (Run("cp -a " + templ + " " + dir_ + "/data") != 0) {
      error_ = "cannot copy the MariaDB template " + templ;
      return;
    }
    port_ = FreePort();
    pid_ = fork();
    if (pid_ == 0) {
      std::string out = dir_ + "/server.log";
      freopen(out.c_str(), "w", stdout);
      freopen(out.c_str(), "a", stderr);
      std::string port = "--port=" + std::to_string(port_);
      std::string datadir = "--datadir=" + dir_ + "/data";
      std::string socket = "--socket=" + dir_ + "/sock";
      std::string pid = "--pid-file=" + dir_ + "/pid";
      std::string binlog = "--log-bin=" + dir_ + "/data/binlog";
      execl("/usr/sbin/mariadbd", "mariadbd", "--no-defaults", datadir.c_str(), port.c_str(),
            socket.c_str(), pid.c_str(), binlog.c_str(), "--bind-address=127.0.0.1",
            "--binlog-format=ROW", "--binlog-row-metadata=FULL", "--server-id=1", "--user=root",
            "--skip-name-resolve", "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_general_ci", "--innodb-buffer-pool-size=64M",
            "--sync-binlog=0", "--innodb-flush-log-at-trx-commit=2", "--max-connections=200",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait until it answers, then create the test user.
    for (int i = 0; i < 600; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ConnectionSpec root = Spec("mysql", "root");
      root.password = "";
      auto client = Client::Connect(root);
      if (!client.ok()) continue;
      Status s = (*client)->Execute(
          std::string("CREATE USER IF NOT EXISTS strata@'%' IDENTIFIED BY '") + kPassword + "'");
      if (s.ok()) s = (*client)->Execute("GRANT ALL PRIVILEGES ON *.* TO strata@'%'");
      if (!s.ok()) {
        error_ = s.ToString();
        return;
      }
      ok_ = true;
      return;
    }
    error_ = "mariadbd did not start; see " + dir_ + "/server.log";
  }

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool ok_ = false;
  std::string error_;
};

}  // namespace strata::ingest::mysql::testing
