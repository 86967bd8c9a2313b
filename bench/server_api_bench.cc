// strata serve: what the HTTP layer costs. The same operations are timed through the server
// (a real loopback socket, one request per connection, as a browser without keep-alive does)
// and in-process (the catalog search, the read-only query path) on the ImportAu project, and
// the ratio printed. Target: HTTP adds less than 2x to a search and to a small query.
//
//   build/bench/server_api_bench [requests=200]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "access/access.h"
#include "catalog/catalog.h"
#include "demo/importau_generator.h"
#include "pipeline/project.h"
#include "pipeline/runner.h"
#include "pipeline/scaffold.h"
#include "server/query.h"
#include "server/server.h"

namespace {

using Clock = std::chrono::steady_clock;

// An admin's API token, sent with every request (every route but health needs one).
std::string g_token;

// One HTTP/1.1 request on a fresh connection; returns the status code (0 on socket errors).
int Http(int port, const std::string& method, const std::string& path, const std::string& body) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return 0;
  }
  std::string request =
      method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
      "Authorization: Bearer " + g_token + "\r\n";
  if (!body.empty()) {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  if (send(fd, request.data(), request.size(), 0) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return 0;
  }
  std::string response;
  char buffer[65536];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) response.append(buffer, n);
  close(fd);
  return response.size() > 12 ? std::atoi(response.c_str() + 9) : 0;
}

struct Stats {
  double p50 = 0, p95 = 0;
};

Stats Time(int requests, const std::function<bool()>& call) {
  std::vector<double> ms;
  for (int i = 0; i < requests; ++i) {
    const auto start = Clock::now();
    if (!call()) {
      std::fprintf(stderr, "a call failed\n");
      std::exit(1);
    }
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 95 / 100)]};
}

void Report(const char* what, const Stats& http, const Stats& direct) {
  std::printf(
      "%-34s http p50 %8.2f ms p95 %8.2f ms | in-process p50 %8.2f ms p95 %8.2f ms | "
      "ratio p50 %.2fx\n",
      what, http.p50, http.p95, direct.p50, direct.p95, http.p50 / direct.p50);
}

}  // namespace

int main(int argc, char** argv) {
  const int requests = argc > 1 ? std::atoi(argv[1]) : 200;
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("strata-server-bench-" + std::to_string(getpid())))
          .string();
  auto fail = [&dir](const std::string& what) {
    std::fprintf(stderr, "server_api_bench: %s\n", what.c_str());
    std::filesystem::remove_all(dir);
    return 1;
  };
  if (auto s =
          strata::pipeline::WriteProjectFiles(dir, strata::pipeline::ImportAuProjectFiles(), true);
      !s.ok()) {
    return fail(s.message());
  }
  strata::demo::ImportAuOptions generate;
  if (auto g = strata::demo::GenerateImportAu(dir + "/landing", generate); !g.ok()) {
    return fail(g.status().message());
  }
  auto project = strata::pipeline::LoadProject(dir);
  if (!project.ok()) return fail(project.status().message());
  auto run = strata::pipeline::RunProject(*project, {});
  if (!run.ok() || !run->ok()) return fail("the ImportAu run failed");

  {
    auto access = strata::access::AccessControl::Open(dir + "/.strata/catalog.db");
    if (!access.ok()) return fail(access.status().message());
    if (auto s = (*access)->AddUser("bench", "bench-password-1", {"admin"}); !s.ok()) {
      return fail(s.message());
    }
    auto token = (*access)->CreateToken("bench", "server_api_bench", 0);
    if (!token.ok()) return fail(token.status().message());
    g_token = token->secret;
  }
  strata::server::ServerOptions options;
  options.project_dir = dir;
  options.port = 0;
  auto server = strata::server::Server::Start(options);
  if (!server.ok()) return fail(server.status().message());
  const int port = (*server)->port();
  std::printf("ImportAu scale 1 at %s, %d requests each, server on port %d\n", dir.c_str(),
              requests, port);

  auto catalog = strata::catalog::Catalog::Open(dir + "/.strata/catalog.db");
  if (!catalog.ok()) return fail(catalog.status().message());
  Report(
      "search 'risco cambial'",
      Time(requests, [&] { return Http(port, "GET", "/api/search?q=risco%20cambial", "") == 200; }),
      Time(requests, [&] { return (*catalog)->Search("risco cambial", 20).ok(); }));

  auto lake = strata::lake::Lake::Open(project->StoragePath());
  if (!lake.ok()) return fail(lake.status().message());
  strata::server::QueryService queries(*lake, project->StoragePath(), {});
  const std::string sql =
      "SELECT moeda, sum(variacao_cambial_brl) FROM gold.agregado_fluxo_de_caixa_mensal GROUP BY "
      "moeda";
  Report("read-only SQL (gold aggregate)",
         Time(requests,
              [&] {
                return Http(port, "POST", "/api/sql",
                            "{\"sql\": \"" + sql + "\", \"limit\": 100}") == 200;
              }),
         Time(requests, [&] {
           return queries.RunReadOnly(sql, {100, 30000}).ok();
         }));
  Report("table detail (+20-row sample)",
         Time(requests,
              [&] {
                return Http(port, "GET", "/api/tables/gold.agregado_fluxo_de_caixa_mensal", "") ==
                       200;
              }),
         Time(requests, [&] {
           return (*catalog)->GetAsset("gold.agregado_fluxo_de_caixa_mensal").ok() &&
                  queries
                      .RunTrusted("SELECT * FROM gold.agregado_fluxo_de_caixa_mensal LIMIT 20",
                                  {20, 30000})
                      .ok();
         }));
  (*server)->Stop();
  (void)(*server)->Wait();
  server->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
