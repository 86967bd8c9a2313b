// The login step of an SFTP connection: publickey (keys from users.json) or password (salted
// hash), under the LoginGuard's lockouts and delays; every attempt with a method is logged (user,
// client address, method; never a password) and told to the login hook. Internal to the sftp
// layer (server.cc runs it on each connection's thread).
//
// What counts towards a lockout: a wrong password, a password for an unknown user or a user
// without one, a key whose signature does not verify. A key offered that is not one of the
// user's is logged but not counted: clients offer each key they hold, and keys cannot be guessed.
// Thread safety: one Authenticator serves every connection at once (the guard and the hook must
// be thread-safe; the hook is called on the connection's thread and should return quickly).
#pragma once

#include <libssh/libssh.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "common/clock.h"
#include "landing/sftp/login_guard.h"
#include "landing/sftp/users.h"

namespace strata::sftp {

class Authenticator {
 public:
  using Hook = std::function<void(const LoginEvent&)>;
  Authenticator(const UserStore& users, LoginGuard& guard, Clock& clock, Hook hook)
      : users_(users), guard_(guard), clock_(clock), hook_(std::move(hook)) {}

  // Runs the SSH authentication of `session` (key exchange done) from `address`, whose failures
  // and lockouts are counted under `limit_key` (the address, or its IPv6 /64). `admit` is
  // asked once the credentials are good: false (no session slot) refuses the login. Returns the
  // user, or nullopt when the client gave up, failed too often on this connection, was refused,
  // the connection dropped, or `stopping` became true.
  std::optional<SftpUser> Run(ssh_session session, const std::string& address,
                              const std::string& limit_key,
                              const std::function<bool(const SftpUser&)>& admit,
                              const std::atomic<bool>& stopping);

 private:
  struct Attempt {
    std::string user;  // sanitized
    std::string address;
    std::string limit_key;  // what the guard counts by
    std::string method;
  };
  enum class Verdict { kAccepted, kKeyOk, kFailedCounted, kFailedNotCounted };

  // Checks the credentials of one auth request; `why` says what was wrong.
  Verdict Check(ssh_message message, const SftpUser* known, std::string* why);
  void Report(const Attempt& attempt, LoginEvent::Outcome outcome, const std::string& detail);
  // Logs and counts a failure; returns how long to hold the answer.
  int64_t Fail(const Attempt& attempt, const std::string& why, bool counted);
  // Sleeps `micros` on the clock in short steps, so a stopping server is not held up.
  void Hold(int64_t micros, const std::atomic<bool>& stopping);

  const UserStore& users_;
  LoginGuard& guard_;
  Clock& clock_;
  Hook hook_;
};

}  // namespace strata::sftp
