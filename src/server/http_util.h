// HTTP plumbing shared by the API handlers (internal to the server layer; includes httplib).
//
// Handlers return an ApiResult: a JSON body with a status, or a Status error that becomes
// {"error": {"status": N, "message": "..."}} with the matching HTTP code (HttpStatus). The
// Router wraps every handler: exceptions become 500s, and every request is counted and timed in
// the Metrics under its route pattern.
#pragma once

#include <httplib.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "server/auth.h"
#include "server/metrics.h"

namespace strata::server {

using nlohmann::json;

// 400 InvalidArgument, 401 Unauthenticated, 403 PermissionDenied, 404 NotFound, 409
// AlreadyExists/Conflict/FailedPrecondition, 501 Unsupported, 503 ResourceExhausted, 504 Timeout,
// 499->400 Cancelled, else 500.
int HttpStatus(const Status& status);

void SendJson(httplib::Response& response, int status, const json& body);
void SendError(httplib::Response& response, int status, const std::string& message);

struct JsonReply {
  int status = 200;
  json body;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Set-Cookie
};
using ApiResult = Result<JsonReply>;
inline JsonReply Ok(json body, int status = 200) { return JsonReply{status, std::move(body), {}}; }

// Query parameters, checked: InvalidArgument naming the parameter and what was wrong.
Result<int> IntParam(const httplib::Request& request, const std::string& name, int fallback,
                     int min, int max);
std::string StringParam(const httplib::Request& request, const std::string& name,
                        const std::string& fallback = "");
// The request body as a JSON object (empty body = {}); InvalidArgument if it is not one.
Result<json> JsonBody(const httplib::Request& request);
// A path capture (regex group `index`), URL-decoded by httplib already.
std::string PathParam(const httplib::Request& request, size_t index);

// Registers routes. Every route says what it needs of its caller (auth.h): the Router
// authenticates and authorizes the request before the handler runs (401/403 JSON errors), makes
// the caller CurrentCaller() while it runs, and audits the routes given an `action` (every
// mutation) with the outcome and the client's address.
class Router {
 public:
  // `auth` null = no authentication (tests of handlers alone).
  Router(httplib::Server& server, Metrics& metrics, Authenticator* auth)
      : server_(server), metrics_(metrics), auth_(auth) {}

  using Handler = std::function<ApiResult(const httplib::Request&)>;
  // `pattern` is an httplib regex; `route` names it in metrics ("/api/tables/{name}").
  void Get(const std::string& pattern, const std::string& route, Handler handler,
           Need need = Need::kUser);
  // `action` ("run.start") audits every call; "" for reads sent as POST (/api/sql).
  void Post(const std::string& pattern, const std::string& route, Handler handler, Need need,
            const std::string& action);
  // Raw handlers (text bodies: /metrics, static assets), still counted and protected.
  using RawHandler = std::function<void(const httplib::Request&, httplib::Response&)>;
  void GetRaw(const std::string& pattern, const std::string& route, RawHandler handler, Need need);

  Metrics& metrics() { return metrics_; }

 private:
  RawHandler Wrap(const std::string& method, const std::string& route, RawHandler handler,
                  Need need, const std::string& action);
  httplib::Server& server_;
  Metrics& metrics_;
  Authenticator* auth_;
};

}  // namespace strata::server
