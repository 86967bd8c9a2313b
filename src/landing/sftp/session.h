// One authenticated SFTP session: the protocol loop over libssh's sftp server API, with every
// path confined by vpath.h. Internal to the sftp layer (server.cc starts it).
#pragma once

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "landing/sftp/intake.h"
#include "landing/sftp/landing_zone.h"

namespace strata::sftp {

// When a session last had an SFTP request, for the server's idle limit. The session thread
// marks each request's start and end; the server's accept thread reads it. Thread-safe.
class SessionActivity {
 public:
  SessionActivity() { End(); }
  void Begin() { serving_ = true; }
  void End() {
    last_ = Now();
    serving_ = false;
  }
  // Milliseconds since the last request was answered; 0 while one is being served (a slow
  // request, e.g. copying a big file before an append, is activity, not idleness).
  int64_t IdleMillis() const { return serving_ ? 0 : Now() - last_; }

 private:
  static int64_t Now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  std::atomic<int64_t> last_{0};
  std::atomic<bool> serving_{false};
};

struct SessionContext {
  std::string partner;
  bool read_only = false;
  LandingZone* zone = nullptr;
  ArrivalIntake* intake = nullptr;
  SessionActivity* activity = nullptr;  // may be null (no idle limit)
};

// Serves SFTP requests on `sftp` (initialised) until the client leaves or the connection drops.
// Uploads still open at that point are not arrivals (their partial content stays in place, so
// the client can resume it with `reput`); each is logged with the bytes received.
void ServeSftp(sftp_session sftp, const SessionContext& context);

}  // namespace strata::sftp
