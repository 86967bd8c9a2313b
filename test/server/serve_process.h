// A `strata serve` child process for tests: started on a free loopback port, stopped with
// SIGTERM (the graceful path users take), its exit code and stderr kept for checks.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace strata::test {

class ServeProcess {
 public:
  // Runs `strata serve --project DIR --port 0 EXTRA...` and waits for its "listening on" line.
  // Throws std::runtime_error (with its stderr) if it exits or does not listen within 120 s.
  ServeProcess(const std::string& project, const std::vector<std::string>& extra = {});
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  int port() const { return port_; }
  // Sends `signal` and waits; returns the exit code (128 + signal if killed by it).
  int Stop(int signal);
  std::string Stderr() const;
  std::string Stdout() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
  int exit_code_ = -1;
};

}  // namespace strata::test
