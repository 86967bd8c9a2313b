#include "server/request_guard.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>

#include "common/numbers.h"

namespace strata::server {
namespace {

struct HostPort {
  std::string host;  // lower case, IPv6 without brackets
  std::optional<int> port;
};

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

bool IsHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

// "example.com", "example.com:8080", "[::1]:8080", "127.0.0.1"; nullopt when malformed.
std::optional<HostPort> ParseHostPort(const std::string& text) {
  HostPort out;
  std::string rest;
  if (!text.empty() && text[0] == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos) return std::nullopt;
    out.host = Lower(text.substr(1, close - 1));
    unsigned char buffer[16];
    if (inet_pton(AF_INET6, out.host.c_str(), buffer) != 1) return std::nullopt;
    rest = text.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') return std::nullopt;
  } else {
    const size_t colon = text.find(':');
    if (colon != std::string::npos && text.find(':', colon + 1) != std::string::npos) {
      return std::nullopt;  // an IPv6 address needs brackets
    }
    out.host = Lower(text.substr(0, colon));
    if (out.host.empty() || !std::all_of(out.host.begin(), out.host.end(), IsHostChar)) {
      return std::nullopt;
    }
    if (colon != std::string::npos) rest = text.substr(colon);
  }
  if (!rest.empty()) {
    std::optional<int> port = ParseInteger<int>(rest.substr(1));
    if (!port || *port < 1 || *port > 65535) return std::nullopt;
    out.port = port;
  }
  return out;
}

struct Origin {
  std::string scheme;
  HostPort where;  // port filled in from the scheme when absent
};

std::optional<Origin> ParseOrigin(const std::string& text) {
  const size_t sep = text.find("://");
  if (sep == std::string::npos) return std::nullopt;
  Origin origin;
  origin.scheme = Lower(text.substr(0, sep));
  if (origin.scheme != "http" && origin.scheme != "https") return std::nullopt;
  std::string rest = text.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  std::optional<HostPort> where = ParseHostPort(rest);
  if (!where) return std::nullopt;
  origin.where = std::move(*where);
  if (!origin.where.port) origin.where.port = origin.scheme == "https" ? 443 : 80;
  return origin;
}

bool SameOrigin(const Origin& a, const Origin& b) {
  return a.scheme == b.scheme && a.where.host == b.where.host && a.where.port == b.where.port;
}

bool AllowedCrossOrigin(const RequestPolicy& policy, const Origin& origin) {
  for (const std::string& entry : policy.allowed_origins) {
    std::optional<Origin> allowed = ParseOrigin(entry);
    if (allowed && SameOrigin(*allowed, origin)) return true;
  }
  return false;
}

bool IsMutation(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

std::string Limit(size_t bytes) {
  return bytes % (1024 * 1024) == 0 ? std::to_string(bytes / (1024 * 1024)) + " MiB"
                                    : std::to_string(bytes) + " bytes";
}

}  // namespace

bool HostAllowed(const RequestPolicy& policy, const std::string& host) {
  std::optional<HostPort> asked = ParseHostPort(host);
  if (!asked) return false;
  const int port = asked->port.value_or(policy.tls ? 443 : 80);
  for (const std::string& entry : policy.allowed_hosts) {
    if (entry == "*") return true;
    std::optional<HostPort> allowed = ParseHostPort(entry);
    if (allowed && allowed->host == asked->host && (!allowed->port || *allowed->port == port)) {
      return true;
    }
  }
  if (port != policy.port) return false;
  const std::string bind = Lower(policy.bind_host);
  if (asked->host == "localhost" || asked->host == "127.0.0.1" || asked->host == "::1" ||
      asked->host == bind) {
    return true;
  }
  // Listening on every address: the machine's addresses are not known here, but an IP literal
  // cannot be rebound by DNS.
  const bool wildcard = bind.empty() || bind == "0.0.0.0" || bind == "::";
  return wildcard && IsIpLiteral(asked->host);
}

bool OriginAllowed(const RequestPolicy& policy, const std::string& origin,
                   const std::string& host) {
  std::optional<Origin> from = ParseOrigin(origin);
  if (!from) return false;  // "null" (sandboxed pages, file://) and malformed origins
  std::optional<Origin> own = ParseOrigin((policy.tls ? "https://" : "http://") + host);
  return (own && SameOrigin(*own, *from)) || AllowedCrossOrigin(policy, *from);
}

std::optional<Refused> CheckRequest(const RequestPolicy& policy, const httplib::Request& request,
                                    httplib::Response& response) {
  const std::string host = request.get_header_value("Host");
  if (host.empty()) return Refused{400, "the request has no Host header"};
  if (!HostAllowed(policy, host)) {
    return Refused{421, "Host '" + host + "' does not name this server: ask for it as " +
                            "localhost:" + std::to_string(policy.port) + " or " + policy.bind_host +
                            ":" + std::to_string(policy.port) +
                            ", or start it with --allowed-host NAME"};
  }
  const std::string origin = request.get_header_value("Origin");
  if (!origin.empty()) {
    std::optional<Origin> from = ParseOrigin(origin);
    const bool cross_allowed = from && AllowedCrossOrigin(policy, *from);
    if (cross_allowed) {
      response.set_header("Access-Control-Allow-Origin", origin);
      response.set_header("Access-Control-Allow-Credentials", "true");
      response.set_header("Vary", "Origin");
    }
    if (request.method == "OPTIONS") {
      if (!cross_allowed) {
        return Refused{403, "cross-origin requests from '" + origin +
                                "' are not allowed (start the server with --allowed-origin)"};
      }
      response.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE");
      response.set_header("Access-Control-Allow-Headers",
                          "Authorization, Content-Type, X-CSRF-Token");
      response.set_header("Access-Control-Max-Age", "600");
      return Refused{204, ""};
    }
    if (IsMutation(request.method) && !OriginAllowed(policy, origin, host)) {
      return Refused{403, "cross-site request refused: Origin '" + origin +
                              "' is not this server's own origin; trusted sites may be allowed "
                              "with --allowed-origin"};
    }
  }
  const std::string encoding = request.get_header_value("Content-Encoding");
  if (!encoding.empty() && Lower(encoding) != "identity") {
    return Refused{415,
                   "request bodies must not be compressed (Content-Encoding: " + encoding + ")"};
  }
  const bool has_length = request.has_header("Content-Length");
  if (request.has_header("Transfer-Encoding")) {
    if (Lower(request.get_header_value("Transfer-Encoding")) != "chunked") {
      return Refused{501, "only the chunked transfer coding is supported"};
    }
    if (has_length) return Refused{400, "both Content-Length and Transfer-Encoding were sent"};
  }
  if (has_length) {
    std::optional<uint64_t> length =
        ParseInteger<uint64_t>(request.get_header_value("Content-Length"));
    if (!length) return Refused{400, "Content-Length is not a number"};
    if (*length > policy.max_body_bytes) {
      return Refused{413, "request body of " + std::to_string(*length) +
                              " bytes exceeds the limit of " + Limit(policy.max_body_bytes)};
    }
  }
  return std::nullopt;
}

}  // namespace strata::server
