// Who is asking (internal to the server layer): every route but the public ones authenticates
// its request, by `Authorization: Bearer <token>` (access tokens, `strata token create`) or by
// the session cookie `strata_session` that POST /api/login sets (HttpOnly, SameSite=Strict,
// Secure under TLS). A mutation made with a session cookie must also carry the session's CSRF
// token in X-CSRF-Token (a bearer token cannot be sent by another site, a cookie can).
//
// Errors: Unauthenticated (401) for no, malformed, unknown or expired credentials, with one
// message per kind so nothing is learnt about which users exist; PermissionDenied (403) for a
// missing or wrong CSRF token and for a privilege the caller's roles lack, naming the privilege.
// Thread safety: an Authenticator may be used from every worker thread at once (AccessControl
// serialises itself); CurrentCaller() is per thread.
#pragma once

#include <httplib.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "access/access.h"
#include "common/result.h"
#include "common/status.h"

namespace strata::server {

// What a route asks of its caller.
enum class Need {
  kPublic,  // nobody needs to log in (health, login, the web UI's files)
  kUser,    // any authenticated user (reading)
  kRun,     // start, cancel, resume runs
  kEdit,    // change catalog metadata
  kAdmin,   // users, grants, the audit trail
};

struct Caller {
  access::Principal principal;
  std::string session_id;  // "" when authenticated by a token
  std::string csrf_token;  // the session's
};

inline constexpr char kSessionCookie[] = "strata_session";

class Authenticator {
 public:
  Authenticator(access::AccessControl& access, bool tls, int64_t session_ttl_seconds)
      : access_(access), tls_(tls), session_ttl_seconds_(session_ttl_seconds) {}

  Result<Caller> Authenticate(const httplib::Request& request) const;
  // Whether `caller` may make `request` to a route needing `need` (and, for a mutation with a
  // session, whether its CSRF token matches).
  static Status Authorize(const Caller& caller, Need need, const httplib::Request& request);

  // POST /api/login: the session and its cookie, or Unauthenticated; audits either way. A client
  // address with 10 failed logins in a minute waits until that minute is over (ResourceExhausted).
  Result<std::pair<access::Session, access::Principal>> Login(const std::string& user,
                                                              const std::string& password,
                                                              const std::string& address);
  std::string SessionCookie(const std::string& session_id) const;
  std::string ExpiredCookie() const;

  // Appends to the audit trail; a failure to write it is logged, never the caller's error.
  void Audit(const std::string& user, const std::string& action, const std::string& target,
             const std::string& outcome, const std::string& address,
             const std::string& detail = "") const;

  access::AccessControl& access() const { return access_; }

 private:
  access::AccessControl& access_;
  bool tls_;
  int64_t session_ttl_seconds_;
  struct Failures {
    int count = 0;
    std::chrono::steady_clock::time_point since;
  };
  std::mutex failures_mutex_;
  std::map<std::string, Failures> failures_;  // by client address
};

// The caller of the request this worker thread serves (set by the Router around handlers of
// authenticated routes), or nullptr.
const Caller* CurrentCaller();
void SetCurrentCaller(const Caller* caller);

// "read", "run", ...: what a Need asks, for messages.
std::string NeedName(Need need);

}  // namespace strata::server
