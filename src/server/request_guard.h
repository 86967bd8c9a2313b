// Checks every request passes before routing (internal to the server layer): that it is meant
// for this server, that a browser on another site cannot make it change anything, and that
// its body is one the server will read.
//
//  - Host: must name the server (DNS rebinding defence): an IP literal when the server listens on
//    every address, else the address it listens on, or localhost, 127.0.0.1, [::1], each with
//    the server's port; or a name of `allowed_hosts` ("name" for any port, "name:port", or "*"
//    for any Host, behind a proxy that checks it). Else 421 (400 when there is no Host).
//  - Origin: a mutation (POST, PUT, PATCH, DELETE) whose Origin header is present must come from
//    the server's own origin (its scheme and the Host it was asked by) or one of
//    `allowed_origins` ("https://app.example.com"); else 403. Cross-site form posts and fetches
//    cannot forge this header, so this stops CSRF for clients without a CSRF token.
//  - CORS: none unless the request's Origin is one of `allowed_origins`: then the answer carries
//    Access-Control-Allow-Origin for it, and a preflight (OPTIONS) is answered 204.
//  - Bodies: Content-Encoding is refused (415: a compressed body could inflate past the limit),
//    so are transfer codings other than chunked (501) and a Content-Length over
//    `max_body_bytes` (413, before the body is read).
// Every refusal is a JSON error ({"error": {"status", "message"}}) whose message says what to
// change.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace strata::server {

struct RequestPolicy {
  std::string bind_host;  // what the server listens on ("127.0.0.1", "0.0.0.0", "::")
  int port = 0;           // the bound port
  bool tls = false;
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> allowed_origins;
  size_t max_body_bytes = 8 * 1024 * 1024;
};

struct Refused {
  int status = 400;
  std::string message;
};

// Why `request` must not be routed, or nullopt. Adds the CORS headers to `response` when its
// Origin is allowed.
std::optional<Refused> CheckRequest(const RequestPolicy& policy, const httplib::Request& request,
                                    httplib::Response& response);

// Whether the Host header value `host` names the server (exposed for tests).
bool HostAllowed(const RequestPolicy& policy, const std::string& host);

// Whether `origin` ("http://127.0.0.1:8080") is the server's own origin when asked as `host`,
// or one of `allowed_origins`.
bool OriginAllowed(const RequestPolicy& policy, const std::string& origin, const std::string& host);

}  // namespace strata::server
