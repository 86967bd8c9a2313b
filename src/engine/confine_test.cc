// DatabaseOptions' lockdown against the real DuckDB: no extension is installed or auto-loaded,
// confined databases touch files only under their allowed directories, and a locked
// configuration cannot be changed by the SQL that runs on it.
#include "engine/confine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "engine/engine.h"

namespace strata::engine {
namespace {

namespace fs = std::filesystem;

class ConfineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("STRATA_TEST_TMP");
    root_ = fs::path(base != nullptr ? base : fs::temp_directory_path().string()) /
            ("confine_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "lake");
    fs::create_directories(root_ / "landing");
    fs::create_directories(root_ / "lakehouse");  // shares a prefix with "lake"
    fs::create_directories(root_ / ".strata");
    Write(root_ / "lake" / "t.csv", "id,name\n1,a\n");
    Write(root_ / "landing" / "in.json", "{\"id\": 7}\n");
    Write(root_ / "lakehouse" / "x.csv", "id\n9\n");
    Write(root_ / "lakehouse" / "y.csv", "id\n8\n");
    Write(root_ / ".strata" / "secrets", "PG=S3cret\n");
  }
  void TearDown() override { fs::remove_all(root_); }

  static void Write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

  std::unique_ptr<Connection> Open(bool confine, bool lock) {
    Confinement confinement;
    confinement.lock_configuration = lock;
    confinement.allowed_directories = {(root_ / "lake").string(),
                                       (root_ / "landing").string() + "/"};
    confinement.allowed_files = {(root_ / "lakehouse" / "x.csv").string()};
    auto db = confine ? OpenConfined({}, confinement) : Database::Open({});
    if (!db.ok()) {
      ADD_FAILURE() << db.status();
      return nullptr;
    }
    db_ = std::move(*db);
    auto conn = db_->Connect();
    if (!conn.ok()) {
      ADD_FAILURE() << conn.status();
      return nullptr;
    }
    return std::move(*conn);
  }

  std::string Q(const fs::path& path) { return QuoteLiteral(path.string()); }

  fs::path root_;
  std::unique_ptr<Database> db_;
};

TEST_F(ConfineTest, ConfinedReadsAndWritesOnlyTheAllowedDirectories) {
  auto conn = Open(/*confine=*/true, /*lock=*/true);
  ASSERT_NE(conn, nullptr);
  // Allowed: the lake (CSV, Parquet written and read back), the landing (JSON, built in) and the
  // one allowed file of a directory that is not allowed.
  EXPECT_EQ(
      *QueryInt64(*conn, "SELECT max(id) FROM read_csv(" + Q(root_ / "lakehouse/x.csv") + ")"), 9);
  EXPECT_EQ(*QueryInt64(*conn, "SELECT count(*) FROM read_csv(" + Q(root_ / "lake/t.csv") + ")"),
            1);
  EXPECT_EQ(
      *QueryInt64(*conn, "SELECT max(id) FROM read_json(" + Q(root_ / "landing/in.json") + ")"), 7);
  ASSERT_TRUE(conn->Execute("COPY (SELECT 1 AS a) TO " + Q(root_ / "lake/out.parquet")).ok());
  EXPECT_EQ(
      *QueryInt64(*conn, "SELECT sum(a) FROM read_parquet(" + Q(root_ / "lake/out.parquet") + ")"),
      1);
  // Refused: everything else, including a sibling sharing the prefix and `..` out of the lake.
  for (const std::string& sql : {
           std::string("SELECT * FROM read_csv('/etc/passwd')"),
           std::string("SELECT * FROM glob('/root/*')"),
           "SELECT * FROM read_text(" + Q(root_ / ".strata/secrets") + ")",
           "SELECT * FROM read_csv(" + Q(root_ / "lakehouse/y.csv") + ")",
           "SELECT * FROM glob(" + Q(root_ / "lakehouse/*") + ")",
           "SELECT * FROM read_csv(" + Q(root_ / "lake/../.strata/secrets") + ")",
           "SELECT * FROM read_csv([" + Q(root_ / "lake/t.csv") + ", '/etc/passwd'])",
           "COPY (SELECT 1) TO " + Q(root_ / "out.parquet"),
           "ATTACH " + Q(root_ / "other.db"),
       }) {
    Status status = conn->Execute(sql);
    EXPECT_EQ(status.code(), StatusCode::kIOError) << sql << ": " << status;
    EXPECT_TRUE(IsConfinementError(status)) << sql << ": " << status;
  }
  EXPECT_FALSE(fs::exists(root_ / "out.parquet"));
  EXPECT_FALSE(fs::exists(root_ / "other.db"));
  // No extension comes from outside the library.
  EXPECT_FALSE(conn->Execute("INSTALL httpfs").ok());
  EXPECT_FALSE(conn->Execute("LOAD httpfs").ok());
}

TEST_F(ConfineTest, LockedConfigurationCannotBeUndone) {
  auto conn = Open(/*confine=*/true, /*lock=*/true);
  ASSERT_NE(conn, nullptr);
  for (const char* sql :
       {"SET enable_external_access = true", "SET allowed_directories = ['/']",
        "SET memory_limit = '100GB'", "SET threads = 64", "SET lock_configuration = false",
        "SET autoload_known_extensions = true", "RESET allowed_directories"}) {
    Status status = conn->Execute(sql);
    EXPECT_FALSE(status.ok()) << sql;
  }
  EXPECT_TRUE(IsConfinementError(conn->Execute("SELECT * FROM read_csv('/etc/passwd')")));
  EXPECT_FALSE(IsConfinementError(conn->Execute("SELECT * FROM nowhere")));
  // Connections made after the lock still run in UTC (engine.h), whatever the host's zone.
  auto later = db_->Connect();
  ASSERT_TRUE(later.ok()) << later.status();
  auto zone = (*later)->QueryRows("SELECT current_setting('TimeZone')");
  ASSERT_TRUE(zone.ok()) << zone.status();
  EXPECT_EQ(std::get<std::string>((*zone)[0][0]), "UTC");
}

TEST_F(ConfineTest, NoExtensionIsInstalledOrAutoloaded) {
  auto conn = Open(/*confine=*/false, /*lock=*/false);
  ASSERT_NE(conn, nullptr);
  // Without autoload these name an extension that is not there, instead of fetching it.
  for (const char* sql : {"SELECT * FROM sqlite_scan('x.db', 't')", "SELECT * FROM delta_scan('x')",
                          "SELECT * FROM read_csv('https://example.com/x.csv')"}) {
    Status status = conn->Execute(sql);
    EXPECT_FALSE(status.ok()) << sql;
    EXPECT_NE(status.message().find("extension"), std::string::npos) << sql << ": " << status;
  }
  auto rows = conn->QueryRows(
      "SELECT current_setting('autoinstall_known_extensions'), "
      "current_setting('autoload_known_extensions')");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(std::get<bool>((*rows)[0][0]), false);
  EXPECT_EQ(std::get<bool>((*rows)[0][1]), false);
  // What strata uses is built in: json, parquet, icu.
  EXPECT_EQ(*QueryInt64(*conn,
                        "SELECT count(*) FROM duckdb_extensions() WHERE loaded AND extension_name "
                        "IN ('json', 'parquet', 'icu')"),
            3);
}

TEST_F(ConfineTest, UnconfinedDatabasesStillReadAnywhereAndBadDirectoriesAreRefused) {
  auto conn = Open(/*confine=*/false, /*lock=*/false);
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(
      *QueryInt64(*conn, "SELECT count(*) FROM read_csv(" + Q(root_ / "lakehouse/x.csv") + ")"), 1);
  Confinement relative;
  relative.allowed_directories = {"lake"};
  EXPECT_EQ(OpenConfined({}, relative).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata::engine
