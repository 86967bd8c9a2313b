// SourceFollowers against a real MariaDB: a follow: true source followed into bronze and stopped
// cleanly; a wrong password retried with a growing backoff, its error shown (never the
// password) while the other follower goes on; a source without follow: true is only reported.
#include "landing/followers/followers.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "ingest/mysql/mariadb_test_server.h"
#include "pipeline/project.h"

namespace strata::followers {
namespace {

using ingest::mysql::testing::MariaDbTestServer;
using Json = nlohmann::json;

class FollowersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server().ok()) << server().error();
    const char* tmp = std::getenv("STRATA_TEST_TMP");
    dir_ = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") /
           ("followers-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "sources");
    std::ofstream(dir_ / "strata.yaml") << "name: followers\nstorage: lake\n";
    database_ = server().CreateDatabase("fol");
    ASSERT_FALSE(database_.empty());
    Sql("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20))");
    Sql("INSERT INTO items VALUES (1, 'a'), (2, 'b')");
    WriteSecrets(MariaDbTestServer::kPassword, "not-the-password");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  static MariaDbTestServer& server() { return MariaDbTestServer::Get(); }
  void Sql(const std::string& sql) { ASSERT_EQ(server().Sql(database_, sql), "") << sql; }

  // .strata/secrets (0600), replaced in one rename: the followers read it at every attempt.
  void WriteSecrets(const std::string& good, const std::string& wrong) {
    std::filesystem::create_directories(dir_ / ".strata");
    const std::filesystem::path tmp = dir_ / ".strata" / "secrets.tmp";
    std::ofstream(tmp) << "good=" << good << "\nwrong=" << wrong << "\n";
    std::filesystem::permissions(
        tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::filesystem::rename(tmp, dir_ / ".strata" / "secrets");
  }
  // A database source item of sources/NAME.yaml whose password is the secret `password`.
  void WriteSource(const std::string& name, const std::string& password, bool follow) {
    std::ofstream(dir_ / "sources" / (name + ".yaml"))
        << "sources:\n  - name: " << name
        << "\n    kind: mysql\n    connection: " << server().Url(database_)
        << "\n    password: ${secret:" << password
        << "}\n    tables: [items]\n    commit_interval: 100ms\n    follow: "
        << (follow ? "true" : "false") << "\n";
  }
  pipeline::Project Project() {
    auto project = pipeline::LoadProject(dir_.string());
    EXPECT_TRUE(project.ok()) << project.status();
    return project.ok() ? *project : pipeline::Project{};
  }
  static const Json* Find(const Json& report, const std::string& source) {
    for (const Json& s : report["sources"]) {
      if (s["name"] == source) return &s;
    }
    return nullptr;
  }
  // Polls Report() until `done` holds (or 60 s pass); returns the last report.
  static Json WaitFor(SourceFollowers& followers, const std::function<bool(const Json&)>& done) {
    Json report;
    for (int i = 0; i < 600; ++i) {
      report = followers.Report();
      if (done(report)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return report;
  }

  std::filesystem::path dir_;
  std::string database_;
};

int64_t Rows(const Json& source) {
  return source["tables"].empty() ? -1 : source["tables"][0]["rows"].get<int64_t>();
}

TEST_F(FollowersTest, FollowsIntoBronzeUntilStopped) {
  WriteSource("erp", "good", true);
  WriteSource("idle", "good", false);
  std::unique_ptr<SourceFollowers> followers = SourceFollowers::Start(Project(), {});
  Json report = WaitFor(*followers, [](const Json& r) {
    const Json* erp = Find(r, "erp");
    return erp != nullptr && Rows(*erp) == 2 && (*erp)["tables"][0]["state"] == "following";
  });
  const Json* erp = Find(report, "erp");
  ASSERT_NE(erp, nullptr) << report.dump(2);
  ASSERT_EQ(Rows(*erp), 2) << report.dump(2);
  EXPECT_EQ((*erp)["tables"][0]["state"], "following") << report.dump(2);
  EXPECT_EQ((*erp)["follower"]["state"], "following");
  EXPECT_EQ((*erp)["tables"][0]["bronze"], "bronze.erp_items");
  const Json* idle = Find(report, "idle");
  ASSERT_NE(idle, nullptr);
  EXPECT_EQ((*idle)["follower"]["state"], "not followed");
  EXPECT_EQ(Rows(*idle), 0) << "a source not followed is only reported: " << report.dump(2);

  Sql("INSERT INTO items VALUES (3, 'c')");
  Sql("UPDATE items SET name = 'z' WHERE id = 1");
  report = WaitFor(*followers, [](const Json& r) { return Rows(*Find(r, "erp")) == 4; });
  EXPECT_EQ(Rows(*Find(report, "erp")), 4) << "2 snapshot rows, an insert, an update";
  EXPECT_EQ((*Find(report, "erp"))["tables"][0]["lag_bytes"], 0) << report.dump(2);

  const auto stopping = std::chrono::steady_clock::now();
  followers->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(5));
  report = followers->Report();
  EXPECT_EQ((*Find(report, "erp"))["follower"]["state"], "stopped");
  EXPECT_EQ((*Find(report, "erp"))["tables"][0]["state"], "stopped") << report.dump(2);
  EXPECT_EQ((*Find(report, "erp"))["follower"]["failures"], 0);
}

TEST_F(FollowersTest, WrongPasswordIsRetriedWithBackoffAndReportedWithoutThePassword) {
  WriteSource("erp", "good", true);
  WriteSource("bad", "wrong", true);
  FollowerOptions options;
  options.initial_backoff_ms = 100;
  options.max_backoff_ms = 400;
  std::unique_ptr<SourceFollowers> followers = SourceFollowers::Start(Project(), options);
  Json report = WaitFor(*followers, [](const Json& r) {
    return (*Find(r, "bad"))["follower"]["failures"].get<int64_t>() >= 4 &&
           Rows(*Find(r, "erp")) == 2;
  });
  const Json& bad = *Find(report, "bad");
  EXPECT_GE(bad["follower"]["failures"].get<int64_t>(), 4) << report.dump(2);
  EXPECT_EQ(bad["follower"]["state"], "retrying");
  EXPECT_LE(bad["follower"]["retry_in_ms"].get<int64_t>(), 400) << "the backoff is capped";
  const std::string error = bad["follower"]["last_error"];
  EXPECT_NE(error.find("Access denied"), std::string::npos) << error;
  EXPECT_NE(error.find("source bad"), std::string::npos) << error;
  // The source status (from its state file) shows the error on every table.
  ASSERT_EQ(bad["tables"].size(), 1u) << report.dump(2);
  EXPECT_EQ(bad["tables"][0]["state"], "error");
  EXPECT_NE(bad["tables"][0]["error"].get<std::string>().find("Access denied"), std::string::npos);
  EXPECT_EQ(report.dump().find("not-the-password"), std::string::npos) << report.dump(2);
  EXPECT_EQ(report.dump().find(MariaDbTestServer::kPassword), std::string::npos);
  // The other follower is not held up by it.
  EXPECT_EQ(Rows(*Find(report, "erp")), 2) << report.dump(2);
  EXPECT_EQ((*Find(report, "erp"))["follower"]["state"], "following");

  // The password fixed: the next attempt follows and the error state is over.
  WriteSecrets(MariaDbTestServer::kPassword, MariaDbTestServer::kPassword);
  report = WaitFor(*followers, [](const Json& r) {
    const Json& b = *Find(r, "bad");
    return Rows(b) == 2 && b["tables"][0]["state"] == "following";
  });
  EXPECT_EQ((*Find(report, "bad"))["tables"][0]["state"], "following") << report.dump(2);
  EXPECT_EQ((*Find(report, "bad"))["follower"]["state"], "following");
  followers->Stop();
}

}  // namespace
}  // namespace strata::followers
