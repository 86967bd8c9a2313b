#include "server/http_util.h"

#include <chrono>
#include <exception>

#include "common/logging.h"
#include "common/numbers.h"

namespace strata::server {

int HttpStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kCancelled:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kConflict:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kUnsupported:
      return 501;
    case StatusCode::kResourceExhausted:
      return 503;
    case StatusCode::kTimeout:
      return 504;
    default:
      return 500;
  }
}

void SendJson(httplib::Response& response, int status, const json& body) {
  response.status = status;
  // Replacement characters instead of an exception if a value is not valid UTF-8.
  response.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace),
                       "application/json; charset=utf-8");
}

void SendError(httplib::Response& response, int status, const std::string& message) {
  SendJson(response, status, {{"error", {{"status", status}, {"message", message}}}});
}

Result<int> IntParam(const httplib::Request& request, const std::string& name, int fallback,
                     int min, int max) {
  if (!request.has_param(name.c_str())) return fallback;
  const std::string text = request.get_param_value(name.c_str());
  std::optional<long> value = ParseInteger<long>(text);
  if (!value) {
    return Status::InvalidArgument("query parameter '" + name + "' must be an integer, got '" +
                                   text + "'");
  }
  if (*value < min || *value > max) {
    return Status::InvalidArgument("query parameter '" + name + "' must be between " +
                                   std::to_string(min) + " and " + std::to_string(max) + ", got " +
                                   text);
  }
  return static_cast<int>(*value);
}

std::string StringParam(const httplib::Request& request, const std::string& name,
                        const std::string& fallback) {
  return request.has_param(name.c_str()) ? request.get_param_value(name.c_str()) : fallback;
}

Result<json> JsonBody(const httplib::Request& request) {
  if (request.body.empty()) return json::object();
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded()) return Status::InvalidArgument("request body is not valid JSON");
  if (!body.is_object()) return Status::InvalidArgument("request body must be a JSON object");
  return body;
}

std::string PathParam(const httplib::Request& request, size_t index) {
  return index < request.matches.size() ? std::string(request.matches[index]) : std::string();
}

Router::RawHandler Router::Wrap(const std::string& method, const std::string& route,
                                RawHandler handler, Need need, const std::string& action) {
  // The Router is a short-lived registration helper: the handler keeps the Metrics, not it.
  return
      [&metrics = metrics_, auth = auth_, method, route, need, action,
       handler = std::move(handler)](const httplib::Request& request, httplib::Response& response) {
        const auto start = std::chrono::steady_clock::now();
        auto observe = [&] {
          metrics.ObserveRequest(
              method, route, response.status,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        };
        Caller caller;
        if (auth && need != Need::kPublic) {
          Result<Caller> who = auth->Authenticate(request);
          Status allowed = who.ok() ? Authenticator::Authorize(*who, need, request) : who.status();
          if (!allowed.ok()) {
            if (allowed.IsUnauthenticated()) {
              response.set_header("WWW-Authenticate", "Bearer realm=\"strata\"");
            }
            SendError(response, HttpStatus(allowed), allowed.message());
            if (!action.empty()) {
              auth->Audit(who.ok() ? who->principal.user : "", action, request.path, "denied",
                          request.remote_addr, allowed.message());
            }
            observe();
            return;
          }
          caller = std::move(*who);
          SetCurrentCaller(&caller);
        }
        try {
          handler(request, response);
        } catch (const std::exception& e) {
          Log().error("{} {}: {}", method, request.path, e.what());
          SendError(response, 500, std::string("internal error: ") + e.what());
        } catch (...) {
          SendError(response, 500, "internal error");
        }
        SetCurrentCaller(nullptr);
        if (auth && !action.empty() && need != Need::kPublic) {
          const bool ok = response.status < 400;
          std::string detail = "HTTP " + std::to_string(response.status);
          if (!ok) {
            json body = json::parse(response.body, nullptr, false);
            if (body.is_object() && body.contains("error")) {
              detail += ": " + body["error"].value("message", "");
            }
          }
          auth->Audit(caller.principal.user, action, request.path, ok ? "ok" : "failed",
                      request.remote_addr, detail);
        }
        observe();
      };
}

void Router::GetRaw(const std::string& pattern, const std::string& route, RawHandler handler,
                    Need need) {
  server_.Get(pattern, Wrap("GET", route, std::move(handler), need, ""));
}

namespace {
Router::RawHandler Adapt(Router::Handler handler) {
  return
      [handler = std::move(handler)](const httplib::Request& request, httplib::Response& response) {
        ApiResult result = handler(request);
        if (result.ok()) {
          SendJson(response, result->status, result->body);
          for (const auto& [name, value] : result->headers) response.set_header(name, value);
        } else {
          SendError(response, HttpStatus(result.status()), result.status().message());
        }
      };
}
}  // namespace

void Router::Get(const std::string& pattern, const std::string& route, Handler handler, Need need) {
  server_.Get(pattern, Wrap("GET", route, Adapt(std::move(handler)), need, ""));
}

void Router::Post(const std::string& pattern, const std::string& route, Handler handler, Need need,
                  const std::string& action) {
  server_.Post(pattern, Wrap("POST", route, Adapt(std::move(handler)), need, action));
}

}  // namespace strata::server
