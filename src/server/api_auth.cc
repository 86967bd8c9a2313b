// Login, logout, who am I, and the audit trail (auth.h says how requests authenticate).
#include "server/context.h"

namespace strata::server {
namespace {

json PrincipalJson(const access::Principal& who) {
  return {{"user", who.user},
          {"roles", who.roles},
          {"privileges",
           {{"read", who.Can(access::Privilege::kRead)},
            {"unmask", who.Can(access::Privilege::kUnmask)},
            {"run", who.Can(access::Privilege::kRun)},
            {"edit", who.Can(access::Privilege::kEdit)},
            {"admin", who.IsAdmin()}}}};
}

}  // namespace

void RegisterAuthRoutes(Router& router, ServerContext& context) {
  router.Post(
      "/api/login", "/api/login",
      [&context](const httplib::Request& request) -> ApiResult {
        STRATA_ASSIGN_OR_RETURN(json body, JsonBody(request));
        if (!body.contains("user") || !body["user"].is_string() || !body.contains("password") ||
            !body["password"].is_string()) {
          return Status::InvalidArgument("request body needs \"user\" and \"password\" (strings)");
        }
        auto login = context.auth->Login(body["user"].get<std::string>(),
                                         body["password"].get<std::string>(), request.remote_addr);
        if (!login.ok() && login.status().code() == StatusCode::kResourceExhausted) {
          return Ok({{"error", {{"status", 429}, {"message", login.status().message()}}}}, 429);
        }
        if (!login.ok()) return login.status();
        auto& [session, principal] = *login;
        json out = PrincipalJson(principal);
        out["csrf_token"] = session.csrf_token;
        out["expires_at"] = session.expires_at;
        JsonReply reply = Ok(std::move(out));
        reply.headers.emplace_back("Set-Cookie", context.auth->SessionCookie(session.id));
        return reply;
      },
      Need::kPublic, "");
  router.Post(
      "/api/logout", "/api/logout",
      [&context](const httplib::Request&) -> ApiResult {
        const Caller* caller = CurrentCaller();
        if (caller && !caller->session_id.empty()) {
          STRATA_RETURN_IF_ERROR(context.auth->access().EndSession(caller->session_id));
        }
        JsonReply reply = Ok({{"status", "logged out"}});
        reply.headers.emplace_back("Set-Cookie", context.auth->ExpiredCookie());
        return reply;
      },
      Need::kUser, "logout");
  router.Get("/api/me", "/api/me", [](const httplib::Request&) -> ApiResult {
    const Caller* caller = CurrentCaller();
    if (!caller) return Status::Unauthenticated("not logged in");
    json out = PrincipalJson(caller->principal);
    out["auth"] = caller->session_id.empty() ? "token" : "session";
    if (!caller->session_id.empty()) out["csrf_token"] = caller->csrf_token;
    return Ok(out);
  });
  router.Get(
      "/api/audit", "/api/audit",
      [&context](const httplib::Request& request) -> ApiResult {
        access::AuditFilter filter;
        filter.user = StringParam(request, "user");
        filter.action = StringParam(request, "action");
        filter.since = StringParam(request, "since");
        STRATA_ASSIGN_OR_RETURN(filter.limit, IntParam(request, "limit", 100, 1, 10000));
        STRATA_ASSIGN_OR_RETURN(std::vector<access::AuditEvent> events,
                                context.auth->access().ListAudit(filter));
        json list = json::array();
        for (const access::AuditEvent& e : events) {
          list.push_back({{"id", e.id},
                          {"at", e.at},
                          {"user", e.user},
                          {"action", e.action},
                          {"target", e.target},
                          {"outcome", e.outcome},
                          {"address", e.address},
                          {"detail", e.detail}});
        }
        return Ok({{"events", list}});
      },
      Need::kAdmin);
}

}  // namespace strata::server
