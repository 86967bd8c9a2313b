// A real PostgreSQL 15 server for tests and benchmarks (no gtest dependency).
//
// PgTestServer starts PostgreSQL 15 from Debian's binaries (/usr/lib/postgresql/15/bin) on a
// free loopback port with its own data directory under /tmp, once per process (on first use),
// and stops it at exit. PostgreSQL refuses to run as root, so as root the server runs as the
// system user `strata-test` (created if missing). CreateDatabase gives each caller a fresh
// database. Thread safety: Get() is safe from any thread; CreateDatabase uses its own
// connection per call.
#pragma once

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "catalog/store.h"

namespace strata::catalog::testing {

inline int RunCommand(const std::string& command) { return std::system(command.c_str()); }

class PgTestServer {
 public:
  static PgTestServer& Get() {
    // Stopped when the test program exits (also after a failed assertion).
    static PgTestServer* server = [] {
      auto* s = new PgTestServer();
      std::atexit([] { Get().Stop(); });
      return s;
    }();
    return *server;
  }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

  // A new empty database; returns its URL.
  std::string CreateDatabase() {
    static std::atomic<int> counter{0};
    std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    auto admin = OpenPostgresStore(Url("postgres"));
    if (!admin.ok()) return "";
    if (!(*admin)->ExecuteScript("CREATE DATABASE " + name).ok()) return "";
    return Url(name);
  }
  // A new database owned by `user`, who must log in with `password` (scram-sha-256 over TCP, the
  // others keep trust): for tests of PGPASSWORD, ~/.pgpass and ${secret:...}. Returns its URL
  // without a password; "" on failure.
  std::string CreatePasswordDatabase(const std::string& user, const std::string& password) {
    static std::atomic<int> counter{0};
    std::string name = "p" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    auto admin = OpenPostgresStore(Url("postgres"));
    if (!admin.ok()) return "";
    (*admin)->ExecuteScript("CREATE ROLE " + user).ok();  // fails harmlessly if it exists
    if (!(*admin)
             ->ExecuteScript("ALTER ROLE " + user + " LOGIN PASSWORD '" + password + "'")
             .ok() ||
        !(*admin)->ExecuteScript("CREATE DATABASE " + name + " OWNER " + user).ok()) {
      return "";
    }
    std::string hba = dir_ + "/data/pg_hba.conf";
    std::string rule = "host all " + user + " 127.0.0.1/32 scram-sha-256\n";
    std::string text;
    {
      std::ifstream in(hba);
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (text.find(rule) == std::string::npos) {
      std::ofstream(hba, std::ios::trunc) << rule << text;  // the first matching line wins
      RunCommand(As() + kBin + "pg_ctl -D " + dir_ + "/data reload >/dev/null 2>&1");
    }
    std::string url = "postgresql://" + user + "@127.0.0.1:" + std::to_string(port_) + "/" + name;
    // The reload is asynchronous: wait until a login without the password is refused (so
    // the caller must not have PGPASSWORD or a password file set yet).
    for (int i = 0; i < 100; ++i) {
      if (!OpenPostgresStore(url).ok()) return url;
      usleep(50'000);
    }
    return "";
  }
  std::string Url(const std::string& db) const {
    return "postgresql://strata@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }
  void Stop() {
    if (!started_) return;
    RunCommand(As() + kBin + "pg_ctl -D " + dir_ + "/data -m immediate -w stop >/dev/null 2>&1");
    started_ = false;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

 private:
  static constexpr const char* kBin = "/usr/lib/postgresql/15/bin/";

  PgTestServer() { Start(); }

  std::string As() const { return getuid() == 0 ? "runuser -u strata-test -- " : ""; }

  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      close(fd);
      return 0;
    }
    close(fd);
    return ntohs(addr.sin_port);
  }

  void Start() {
    if (!std::filesystem::exists(std::string(kBin) + "initdb")) {
      error_ =
          "PostgreSQL binaries not found in /usr/lib/postgresql/15/bin (apt-get install "
          "postgresql)";
      return;
    }
    // /tmp, not the build tree: the unprivileged user must be able to reach the directory.
    char pattern[] = "/tmp/strata-pg-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      error_ = "mkdtemp failed";
      return;
    }
    dir_ = pattern;
    if (getuid() == 0) {
      if (getpwnam("strata-test") == nullptr &&
          RunCommand("useradd --system --no-create-home --shell /usr/sbin/nologin strata-test") !=
              0) {
        error_ = "cannot create the strata-test user for PostgreSQL";
        return;
      }
      RunCommand("chown strata-test " + dir_ + " && chmod 700 " + dir_);
    }
    port_ = FreePort();
    std::string log = dir_ + "/log";
    // initdb is slow (seconds, more on a busy machine), so one template cluster is made per
    // machine and copied for each server.
    std::string templ = "/tmp/strata-pg15-template";
    if (!std::filesystem::exists(templ + "/data/PG_VERSION")) {
      std::string staging = templ + ".tmp-" + std::to_string(getpid());
      RunCommand("rm -rf " + staging + " && mkdir -p " + staging);
      if (getuid() == 0) RunCommand("chown strata-test " + staging);
      if (RunCommand(As() + kBin + "initdb -D " + staging + "/data -U strata -A trust -E UTF8 " +
                     "--no-sync --no-instructions >" + log + " 2>&1") != 0) {
        error_ = "initdb failed; see " + log;
        return;
      }
      // Another process may have won the race: then ours is simply discarded.
      if (std::rename(staging.c_str(), templ.c_str()) != 0) RunCommand("rm -rf " + staging);
    }
    if (RunCommand("cp -a " + templ + "/data " + dir_ + "/data") != 0) {
      error_ = "cannot copy the PostgreSQL template cluster " + templ;
      return;
    }
    std::string options = "-p " + std::to_string(port_) + " -k " + dir_ +
                          " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
                          " -c full_page_writes=off";
    if (RunCommand(As() + kBin + "pg_ctl -D " + dir_ + "/data -o \"" + options + "\" -l " + dir_ +
                   "/server.log -w -t 30 start >>" + log + " 2>&1") != 0) {
      error_ = "pg_ctl start failed; see " + dir_ + "/server.log";
      return;
    }
    started_ = true;
    ok_ = true;
  }

  std::string dir_;
  int port_ = 0;
  bool ok_ = false;
  bool started_ = false;
  std::string error_;
};

}  // namespace strata::catalog::testing
