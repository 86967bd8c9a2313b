#include "server/auth.h"

#include "common/logging.h"

namespace strata::server {
namespace {

thread_local const Caller* current_caller = nullptr;

constexpr int kMaxFailedLogins = 10;
constexpr auto kFailureWindow = std::chrono::seconds(60);

bool IsMutation(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// Compares without stopping at the first difference, so timing tells nothing of the token.
bool SameSecret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// The value of cookie `name` in a Cookie header ("a=1; strata_session=xyz"), or "".
std::string CookieValue(const std::string& header, const std::string& name) {
  size_t at = 0;
  while (at < header.size()) {
    size_t end = header.find(';', at);
    if (end == std::string::npos) end = header.size();
    std::string pair = header.substr(at, end - at);
    const size_t first = pair.find_first_not_of(' ');
    pair = first == std::string::npos ? "" : pair.substr(first);
    if (pair.rfind(name + "=", 0) == 0) return pair.substr(name.size() + 1);
    at = end + 1;
  }
  return "";
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "none" : out;
}

}  // namespace

const Caller* CurrentCaller() { return current_caller; }
void SetCurrentCaller(const Caller* caller) { current_caller = caller; }

std::string NeedName(Need need) {
  switch (need) {
    case Need::kPublic:
      return "none";
    case Need::kUser:
      return "read";
    case Need::kRun:
      return "run";
    case Need::kEdit:
      return "edit";
    case Need::kAdmin:
      return "admin";
  }
  return "admin";
}

Result<Caller> Authenticator::Authenticate(const httplib::Request& request) const {
  const std::string authorization = request.get_header_value("Authorization");
  if (!authorization.empty()) {
    if (authorization.rfind("Bearer ", 0) != 0 || authorization.size() <= 7) {
      return Status::Unauthenticated(
          "the Authorization header must be 'Bearer <token>' (strata token create)");
    }
    STRATA_ASSIGN_OR_RETURN(access::Principal principal,
                            access_.AuthenticateToken(authorization.substr(7)));
    return Caller{std::move(principal), "", ""};
  }
  const std::string session = CookieValue(request.get_header_value("Cookie"), kSessionCookie);
  if (!session.empty()) {
    Result<std::pair<access::Principal, access::Session>> found =
        access_.AuthenticateSession(session);
    if (!found.ok()) {
      return Status::Unauthenticated("the session has expired or ended: log in again");
    }
    return Caller{std::move(found->first), session, found->second.csrf_token};
  }
  return Status::Unauthenticated(
      "authentication required: send 'Authorization: Bearer <token>' (strata token create) or "
      "log in (POST /api/login)");
}

Status Authenticator::Authorize(const Caller& caller, Need need, const httplib::Request& request) {
  if (IsMutation(request.method) && !caller.session_id.empty() &&
      !SameSecret(request.get_header_value("X-CSRF-Token"), caller.csrf_token)) {
    return Status::PermissionDenied(
        "missing or wrong X-CSRF-Token: a change made with a session cookie must carry the "
        "session's CSRF token (POST /api/login and GET /api/me give it)");
  }
  const access::Principal& who = caller.principal;
  bool allowed = true;
  switch (need) {
    case Need::kPublic:
    case Need::kUser:
      break;
    case Need::kRun:
      allowed = who.Can(access::Privilege::kRun);
      break;
    case Need::kEdit:
      allowed = who.Can(access::Privilege::kEdit);
      break;
    case Need::kAdmin:
      allowed = who.IsAdmin();
      break;
  }
  if (allowed) return Status::OK();
  return Status::PermissionDenied("user '" + who.user + "' (roles: " + Join(who.roles) +
                                  ") lacks the '" + NeedName(need) + "' privilege for " +
                                  request.method + " " + request.path);
}

Result<std::pair<access::Session, access::Principal>> Authenticator::Login(
    const std::string& user, const std::string& password, const std::string& address) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(failures_mutex_);
    if (failures_.size() > 10000) {  // many addresses: forget those whose minute is over
      std::erase_if(failures_,
                    [&](const auto& f) { return now - f.second.since > kFailureWindow; });
    }
    Failures& failures = failures_[address];
    if (now - failures.since > kFailureWindow) failures = {0, now};
    if (failures.count >= kMaxFailedLogins) {
      Audit(user, "login", "user:" + user, "denied", address, "too many failed logins");
      return Status::ResourceExhausted("too many failed logins from " + address +
                                       ": wait a minute before trying again");
    }
  }
  Result<access::Principal> principal = access_.AuthenticatePassword(user, password);
  if (!principal.ok()) {
    {
      std::lock_guard lock(failures_mutex_);
      ++failures_[address].count;
    }
    Audit(user, "login", "user:" + user, "failed", address, principal.status().message());
    if (principal.status().IsUnauthenticated()) {
      return Status::Unauthenticated("invalid user name or password");
    }
    return principal.status();
  }
  STRATA_ASSIGN_OR_RETURN(access::Session session, access_.CreateSession(principal->user));
  Audit(principal->user, "login", "user:" + principal->user, "ok", address);
  return std::make_pair(std::move(session), std::move(*principal));
}

std::string Authenticator::SessionCookie(const std::string& session_id) const {
  return std::string(kSessionCookie) + "=" + session_id +
         "; Path=/; Max-Age=" + std::to_string(session_ttl_seconds_) +
         "; HttpOnly; SameSite=Strict" + (tls_ ? "; Secure" : "");
}

std::string Authenticator::ExpiredCookie() const {
  return std::string(kSessionCookie) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" +
         (tls_ ? "; Secure" : "");
}

void Authenticator::Audit(const std::string& user, const std::string& action,
                          const std::string& target, const std::string& outcome,
                          const std::string& address, const std::string& detail) const {
  access::AuditEvent event;
  event.user = user;
  event.action = action;
  event.target = target;
  event.outcome = outcome;
  event.address = address;
  event.detail = detail;
  if (Status written = access_.Audit(std::move(event)); !written.ok()) {
    Log().error("audit: cannot record {} {} by '{}': {}", action, target, user, written.message());
  }
}

}  // namespace strata::server
