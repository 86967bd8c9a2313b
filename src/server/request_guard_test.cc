#include "server/request_guard.h"

#include <gtest/gtest.h>

namespace strata::server {
namespace {

RequestPolicy Loopback() {
  RequestPolicy policy;
  policy.bind_host = "127.0.0.1";
  policy.port = 8080;
  return policy;
}

httplib::Request Make(const std::string& method, const std::string& host,
                      const std::string& origin = "") {
  httplib::Request request;
  request.method = method;
  request.path = "/api/pipelines/project/runs";
  if (!host.empty()) request.set_header("Host", host);
  if (!origin.empty()) request.set_header("Origin", origin);
  return request;
}

TEST(RequestGuardTest, HostMustNameTheServer) {
  RequestPolicy policy = Loopback();
  EXPECT_TRUE(HostAllowed(policy, "127.0.0.1:8080"));
  EXPECT_TRUE(HostAllowed(policy, "localhost:8080"));
  EXPECT_TRUE(HostAllowed(policy, "LOCALHOST:8080"));
  EXPECT_TRUE(HostAllowed(policy, "[::1]:8080"));
  EXPECT_FALSE(HostAllowed(policy, "evil.example"));
  EXPECT_FALSE(HostAllowed(policy, "evil.example:8080"));  // DNS rebinding to 127.0.0.1
  EXPECT_FALSE(HostAllowed(policy, "localhost:9999"));
  EXPECT_FALSE(HostAllowed(policy, "localhost"));  // port 80
  EXPECT_FALSE(HostAllowed(policy, "10.0.0.5:8080"));
  EXPECT_FALSE(HostAllowed(policy, "::1:8080"));  // IPv6 without brackets
  EXPECT_FALSE(HostAllowed(policy, "localhost:80a"));
  EXPECT_FALSE(HostAllowed(policy, "local host:8080"));
  EXPECT_FALSE(HostAllowed(policy, ""));

  policy.allowed_hosts = {"strata.internal", "proxy.example:443"};
  EXPECT_TRUE(HostAllowed(policy, "strata.internal"));
  EXPECT_TRUE(HostAllowed(policy, "strata.internal:8080"));
  EXPECT_TRUE(HostAllowed(policy, "proxy.example:443"));
  EXPECT_FALSE(HostAllowed(policy, "proxy.example:8443"));
  policy.allowed_hosts = {"*"};
  EXPECT_TRUE(HostAllowed(policy, "anything.example"));

  // Listening on every address, any IP literal names the server; names still must be listed.
  RequestPolicy everywhere = Loopback();
  everywhere.bind_host = "0.0.0.0";
  EXPECT_TRUE(HostAllowed(everywhere, "10.0.0.5:8080"));
  EXPECT_TRUE(HostAllowed(everywhere, "[fe80::1]:8080"));
  EXPECT_FALSE(HostAllowed(everywhere, "myhost.lan:8080"));
}

TEST(RequestGuardTest, OriginIsTheServersOwnOrAllowed) {
  RequestPolicy policy = Loopback();
  EXPECT_TRUE(OriginAllowed(policy, "http://127.0.0.1:8080", "127.0.0.1:8080"));
  EXPECT_TRUE(OriginAllowed(policy, "http://localhost:8080", "localhost:8080"));
  EXPECT_FALSE(OriginAllowed(policy, "http://localhost:8080", "127.0.0.1:8080"));
  EXPECT_FALSE(OriginAllowed(policy, "https://127.0.0.1:8080", "127.0.0.1:8080"));
  EXPECT_FALSE(OriginAllowed(policy, "http://evil.example", "127.0.0.1:8080"));
  EXPECT_FALSE(OriginAllowed(policy, "null", "127.0.0.1:8080"));
  policy.allowed_origins = {"https://app.example.com"};
  EXPECT_TRUE(OriginAllowed(policy, "https://app.example.com", "127.0.0.1:8080"));
  EXPECT_TRUE(OriginAllowed(policy, "https://app.example.com:443", "127.0.0.1:8080"));
  EXPECT_FALSE(OriginAllowed(policy, "http://app.example.com", "127.0.0.1:8080"));
  policy.tls = true;
  EXPECT_TRUE(OriginAllowed(policy, "https://127.0.0.1:8080", "127.0.0.1:8080"));
}

TEST(RequestGuardTest, RefusesForeignHostsAndCrossSiteMutations) {
  RequestPolicy policy = Loopback();
  httplib::Response response;
  auto refused = CheckRequest(policy, Make("GET", "evil.example:8080"), response);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 421);
  EXPECT_NE(refused->message.find("evil.example"), std::string::npos);
  refused = CheckRequest(policy, Make("GET", ""), response);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);

  refused = CheckRequest(policy, Make("POST", "127.0.0.1:8080", "http://evil.example"), response);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_NE(refused->message.find("cross-site"), std::string::npos);
  EXPECT_FALSE(response.has_header("Access-Control-Allow-Origin"));
  // Reading cross-site gets no CORS header (the browser keeps the answer from the page).
  EXPECT_FALSE(
      CheckRequest(policy, Make("GET", "127.0.0.1:8080", "http://evil.example"), response));
  EXPECT_FALSE(response.has_header("Access-Control-Allow-Origin"));
  EXPECT_FALSE(
      CheckRequest(policy, Make("POST", "127.0.0.1:8080", "http://127.0.0.1:8080"), response));
  EXPECT_FALSE(CheckRequest(policy, Make("POST", "127.0.0.1:8080"), response));  // curl
  refused =
      CheckRequest(policy, Make("OPTIONS", "127.0.0.1:8080", "http://evil.example"), response);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
}

TEST(RequestGuardTest, CorsOnlyForAllowedOrigins) {
  RequestPolicy policy = Loopback();
  policy.allowed_origins = {"https://app.example.com"};
  httplib::Response response;
  auto answered =
      CheckRequest(policy, Make("OPTIONS", "127.0.0.1:8080", "https://app.example.com"), response);
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->status, 204);
  EXPECT_EQ(response.get_header_value("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_NE(response.get_header_value("Access-Control-Allow-Headers").find("X-CSRF-Token"),
            std::string::npos);
  httplib::Response post;
  EXPECT_FALSE(
      CheckRequest(policy, Make("POST", "127.0.0.1:8080", "https://app.example.com"), post));
  EXPECT_EQ(post.get_header_value("Access-Control-Allow-Origin"), "https://app.example.com");
}

TEST(RequestGuardTest, RefusesBodiesItWillNotRead) {
  RequestPolicy policy = Loopback();
  policy.max_body_bytes = 1024;
  httplib::Response response;
  httplib::Request big = Make("POST", "127.0.0.1:8080");
  big.set_header("Content-Length", "1025");
  auto refused = CheckRequest(policy, big, response);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
  EXPECT_NE(refused->message.find("1025"), std::string::npos);
  httplib::Request fits = Make("POST", "127.0.0.1:8080");
  fits.set_header("Content-Length", "1024");
  EXPECT_FALSE(CheckRequest(policy, fits, response));
  httplib::Request bad = Make("POST", "127.0.0.1:8080");
  bad.set_header("Content-Length", "12abc");
  EXPECT_EQ(CheckRequest(policy, bad, response)->status, 400);
  httplib::Request gzip = Make("POST", "127.0.0.1:8080");
  gzip.set_header("Content-Encoding", "gzip");
  EXPECT_EQ(CheckRequest(policy, gzip, response)->status, 415);
  httplib::Request coded = Make("POST", "127.0.0.1:8080");
  coded.set_header("Transfer-Encoding", "gzip, chunked");
  EXPECT_EQ(CheckRequest(policy, coded, response)->status, 501);
  httplib::Request both = Make("POST", "127.0.0.1:8080");
  both.set_header("Transfer-Encoding", "chunked");
  both.set_header("Content-Length", "10");
  EXPECT_EQ(CheckRequest(policy, both, response)->status, 400);
}

}  // namespace
}  // namespace strata::server
