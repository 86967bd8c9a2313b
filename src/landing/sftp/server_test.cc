#include "landing/sftp/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "landing/sftp/intake.h"
#include "landing/sftp/sftp_test_util.h"
#include "landing/sftp/spool.h"

namespace strata::sftp {
namespace {

namespace fs = std::filesystem;

void WriteProject(const std::string& dir) {
  fs::create_directories(dir + "/sources");
  std::ofstream(dir + "/strata.yaml") << "name: sftptest\n";
  std::ofstream(dir + "/sources/pedidos.yaml")
      << "sources:\n  - name: pedidos\n    files: \"pedidos*.csv\"\n    columns:\n"
         "      - {name: pedido_id, type: BIGINT}\n      - {name: status, type: VARCHAR}\n";
}

TEST(SftpServerTest, StartStopAreIdempotentAndTheHostKeyIsKept) {
  testing::TempDir dir;
  WriteProject(dir.path());
  auto server = SftpServer::Create({.project_dir = dir.path(), .port = 0});
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)->Start().ok());
  ASSERT_TRUE((*server)->Start().ok());  // already running: nothing to do
  EXPECT_GT((*server)->port(), 0);
  EXPECT_EQ((*server)->host_key_fingerprint().rfind("SHA256:", 0), 0u);
  const std::string fingerprint = (*server)->host_key_fingerprint();
  (*server)->Stop();
  (*server)->Stop();
  ASSERT_TRUE((*server)->Start().ok());  // restartable, same key
  EXPECT_EQ((*server)->host_key_fingerprint(), fingerprint);
  // A second server cannot take the same port: a clear error naming it.
  auto other = SftpServer::Create({.project_dir = dir.path(), .port = (*server)->port()});
  ASSERT_TRUE(other.ok());
  Status busy = (*other)->Start();
  EXPECT_TRUE(busy.IsIOError()) << busy;
  EXPECT_NE(busy.message().find(std::to_string((*server)->port())), std::string::npos) << busy;
}

// A client that connects and then says nothing is disconnected after the login timeout.
TEST(SftpServerTest, SilentClientsAreDisconnected) {
  testing::TempDir dir;
  WriteProject(dir.path());
  auto server =
      SftpServer::Create({.project_dir = dir.path(), .port = 0, .login_grace_seconds = 1});
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)->Start().ok());
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>((*server)->port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  // Read the server's banner and whatever follows until it hangs up (or 20 s pass).
  bool closed = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!closed && std::chrono::steady_clock::now() < deadline) {
    pollfd wait{fd, POLLIN, 0};
    if (::poll(&wait, 1, 200) <= 0) continue;
    char buffer[512];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    closed = n <= 0;
  }
  ::close(fd);
  EXPECT_TRUE(closed) << "a silent client kept its session";
  (*server)->Stop();
}

TEST(SftpServerTest, BadProjectIsRefusedAtCreate) {
  testing::TempDir dir;
  EXPECT_FALSE(SftpServer::Create({.project_dir = dir.path() + "/missing"}).ok());
}

// An arrival recorded as received whose load never ran (the process stopped first) is loaded
// when the server starts again.
TEST(SftpServerTest, UnfinishedArrivalsAreLoadedAtStart) {
  testing::TempDir dir;
  WriteProject(dir.path());
  auto server = SftpServer::Create({.project_dir = dir.path(), .port = 0});
  ASSERT_TRUE(server.ok()) << server.status();
  LandingZone& zone = (*server)->landing_zone();
  const std::string file = dir.path() + "/incoming.csv";
  std::ofstream(file) << "pedido_id,status\n1,aberto\n2,entregue\n";
  auto hashed = HashFile(file);
  ASSERT_TRUE(hashed.ok());
  ASSERT_TRUE(LinkOrCopy(file, zone.ObjectPath(hashed->first)).ok());
  catalog::ArrivalRecord record;
  record.partner = "acme";
  record.path = "pedidos_1.csv";
  record.source = "pedidos";
  record.sha256 = hashed->first;
  record.size_bytes = hashed->second;
  record.state = "received";
  auto id = zone.Record(record);
  ASSERT_TRUE(id.ok()) << id.status();

  ASSERT_TRUE((*server)->Start().ok());
  (*server)->WaitIdle();
  auto arrivals = zone.List({});
  ASSERT_TRUE(arrivals.ok());
  ASSERT_EQ(arrivals->size(), 1u);
  EXPECT_EQ((*arrivals)[0].state, "loaded") << (*arrivals)[0].reason;
  EXPECT_EQ((*arrivals)[0].rows_loaded, 2);
}

// An upload a killed server had taken but not recorded (its spool entry, as that server left
// it: an owner directory whose lock nobody holds) is recorded and loaded at the next start, and
// the partner's refused file beside it is rejected; nothing stays in the spool.
TEST(SftpServerTest, UploadsLeftInTheSpoolAreRecordedAtStart) {
  testing::TempDir dir;
  WriteProject(dir.path());
  auto server = SftpServer::Create({.project_dir = dir.path(), .port = 0});
  ASSERT_TRUE(server.ok()) << server.status();
  LandingZone& zone = (*server)->landing_zone();
  const std::string owner = zone.SpoolDir() + "/999999-0";
  fs::create_directories(owner);
  std::ofstream(owner + "/lock").close();
  int seq = 0;
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"pedidos_9.csv", "pedido_id,status\n1,aberto\n2,entregue\n3,aberto\n"},
           {"notes.txt", "hello\n"}}) {
    const std::string landing = zone.PartnerRoot("acme") + "/" + name;
    fs::create_directories(zone.PartnerRoot("acme"));
    std::ofstream(landing) << text;
    SpoolEntry entry;
    entry.dir = owner + "/" + std::to_string(seq++);
    entry.partner = "acme";
    entry.path = name;
    entry.real_path = landing;
    entry.received_at = "2026-01-01T00:00:0" + std::to_string(seq) + "Z";
    struct stat info;
    ASSERT_EQ(::stat(landing.c_str(), &info), 0);
    entry.device = info.st_dev;
    entry.inode = info.st_ino;
    ASSERT_TRUE(LinkOrCopy(landing, entry.ContentPath()).ok());
    ASSERT_TRUE(WriteSpoolFacts(entry).ok());
  }
  ASSERT_TRUE((*server)->Start().ok());
  (*server)->WaitIdle();
  auto arrivals = zone.List({});
  ASSERT_TRUE(arrivals.ok());
  ASSERT_EQ(arrivals->size(), 2u);
  EXPECT_EQ((*arrivals)[1].path, "pedidos_9.csv");
  EXPECT_EQ((*arrivals)[1].state, "loaded") << (*arrivals)[1].reason;
  EXPECT_EQ((*arrivals)[1].rows_loaded, 3);
  EXPECT_EQ((*arrivals)[1].received_at, "2026-01-01T00:00:01Z");
  EXPECT_EQ((*arrivals)[0].state, "rejected");
  EXPECT_TRUE(fs::exists(dir.path() + "/rejected/acme/notes.txt"));
  EXPECT_FALSE(fs::exists(owner));
  (*server)->Stop();
  EXPECT_TRUE(fs::is_empty(zone.SpoolDir()));
}

}  // namespace
}  // namespace strata::sftp
