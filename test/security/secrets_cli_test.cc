// Secrets never leak (issue 16): `strata run` and friends on a project whose PostgreSQL catalog
// is written with a password, once unreachable and once on a real server that demands the
// password, and every place the password could end up is searched for it: stdout, stderr,
// every file under the project (.strata/, lake/, landing/), and every table of the catalog
// database (which also holds the run store). The safe ways to give the password (PGPASSWORD,
// a password file, ${secret:NAME} in strata.yaml) work, and --catalog with a password warns.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "catalog/pg_test_server.h"
#include "catalog/store.h"
#include "test_util.h"

namespace strata::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPassword = "S3cretPassw0rd";

void Write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Sets an environment variable for the scope (the strata processes inherit it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

class SecretsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    project_ = dir_.path() + "/p";
    Write(project_ + "/sources/s.yaml",
          "sources:\n  - {name: pedidos, files: 'p*.csv', columns: [{name: id, type: BIGINT}]}\n");
    Write(project_ + "/landing/p1.csv", "id\n1\n2\n");
    Write(project_ + "/models/silver/total.sql", "SELECT count(*) AS n FROM bronze.pedidos");
  }

  void WriteProject(const std::string& catalog) {
    Write(project_ + "/strata.yaml", "name: p\nengine: {threads: 2}\ncatalog: " + catalog + "\n");
  }

  // Runs strata and remembers what it printed, for the final search.
  CommandResult Strata(const std::vector<std::string>& args) {
    CommandResult r = RunStrata(args);
    printed_ += r.out + r.err;
    ExpectNoPassword("stdout/stderr of strata " + args[0], r.out + r.err);
    return r;
  }

  static void ExpectNoPassword(const std::string& where, const std::string& text) {
    EXPECT_EQ(text.find(kPassword), std::string::npos) << where << " holds the password:\n" << text;
  }

  // Every file under the project (.strata/, lake/, landing/, ...).
  void ExpectNoPasswordInFiles() {
    int files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(project_)) {
      // Where the user wrote it: the secrets file, and strata.yaml in the inline-URL cases.
      if (!entry.is_regular_file() || entry.path() == project_ + "/.strata/secrets" ||
          entry.path() == project_ + "/strata.yaml") {
        continue;
      }
      ++files;
      ExpectNoPassword(entry.path().string(), Slurp(entry.path()));
    }
    EXPECT_GT(files, 0);
  }

  // Every row of every table of the catalog database, as text.
  void ExpectNoPasswordInDatabase(const std::string& admin_url) {
    auto store = catalog::OpenPostgresStore(admin_url);
    ASSERT_TRUE(store.ok()) << store.status();
    auto tables = (*store)->Query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND "
        "table_type = 'BASE TABLE'");
    ASSERT_TRUE(tables.ok()) << tables.status();
    EXPECT_GT(tables->size(), 3u);  // the catalog's and the run store's tables are there
    for (const catalog::SqlRow& table : *tables) {
      auto rows = (*store)->Query("SELECT CAST(t AS TEXT) FROM \"" + table.Text(0) + "\" t");
      ASSERT_TRUE(rows.ok()) << rows.status();
      for (const catalog::SqlRow& row : *rows)
        ExpectNoPassword("table " + table.Text(0), row.Text(0));
    }
  }

  TempDir dir_;
  std::string project_;
  std::string printed_;
};

TEST_F(SecretsCliTest, AnUnreachableCatalogNeverPrintsOrStoresItsPassword) {
  const std::string pw = kPassword;
  // In the userinfo, as a query parameter, and malformed so that libpq echoes the URL or the
  // token ("invalid percent-encoded token", "end of string reached ... in URI").
  for (const std::string& url :
       {"postgresql://u:" + pw + "@127.0.0.1:1/db",
        "postgresql://u@127.0.0.1:1/db?sslmode=disable&password=" + pw,
        "postgresql://u:" + pw + "%zz@127.0.0.1:1/db", "postgresql://u:" + pw + "@[::1/db"}) {
    SCOPED_TRACE(url);
    WriteProject(url);
    CommandResult run = Strata({"run", "--project", project_});
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.err.find("catalog postgresql://u"), std::string::npos) << run.err;
    CommandResult json = Strata({"run", "--project", project_, "--json"});
    EXPECT_NE(json.exit_code, 0);
    Strata({"runs", "list", "--project", project_});
    Strata({"catalog", "search", "pedidos", "--project", project_});
    // The same URL on the command line: refused the same way, and a warning names the safe ways.
    CommandResult flag = Strata({"runs", "list", "--project", project_, "--catalog", url});
    EXPECT_NE(flag.exit_code, 0);
    EXPECT_NE(flag.err.find("warning: --catalog"), std::string::npos) << flag.err;
    EXPECT_NE(flag.err.find("PGPASSWORD"), std::string::npos) << flag.err;
    EXPECT_NE(flag.err.find("${secret:NAME}"), std::string::npos) << flag.err;
    ExpectNoPasswordInFiles();
  }
}

// A server that demands the password: the URL carries it, then each safe way does.
TEST_F(SecretsCliTest, AWorkingCatalogNeverPrintsOrStoresItsPassword) {
  auto& pg = catalog::testing::PgTestServer::Get();
  ASSERT_TRUE(pg.ok()) << pg.error();
  const std::string url = pg.CreatePasswordDatabase("secretuser", kPassword);
  ASSERT_FALSE(url.empty());
  const std::string authority = "postgresql://secretuser";
  const std::string with_password =
      authority + ":" + kPassword + url.substr(authority.size());  // ...:pw@127.0.0.1:port/db

  // Without any password the server refuses: the ways below are really what logs in.
  WriteProject(url);
  CommandResult refused = Strata({"run", "--project", project_});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("password"), std::string::npos) << refused.err;

  WriteProject(with_password);
  CommandResult run = Strata({"run", "--project", project_, "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("\"synced\": true"), std::string::npos) << run.out;
  CommandResult warned =
      Strata({"runs", "list", "--project", project_, "--catalog", with_password});
  EXPECT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_NE(warned.err.find("warning: --catalog"), std::string::npos) << warned.err;
  EXPECT_EQ(Strata({"catalog", "search", "pedidos", "--project", project_}).exit_code, 0);

  {  // PGPASSWORD: libpq takes it when the URL has no password.
    ScopedEnv env("PGPASSWORD", kPassword);
    WriteProject(url);
    CommandResult r = Strata({"run", "--project", project_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("warning: --catalog"), std::string::npos) << r.err;
  }
  {  // A password file (PGPASSFILE; ~/.pgpass is the same file at its default place).
    std::string pgpass = dir_.path() + "/pgpass";
    Write(pgpass, "127.0.0.1:*:*:secretuser:" + std::string(kPassword) + "\n");
    chmod(pgpass.c_str(), 0600);
    ScopedEnv env("PGPASSFILE", pgpass);
    CommandResult r = Strata({"run", "--project", project_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  {  // ${secret:NAME} in strata.yaml, from .strata/secrets (0600; refused when wider).
    WriteProject(authority + ":${secret:PG_PASSWORD}" + url.substr(authority.size()));
    Write(project_ + "/.strata/secrets", "PG_PASSWORD=" + std::string(kPassword) + "\n");
    chmod((project_ + "/.strata/secrets").c_str(), 0644);
    CommandResult wide = Strata({"run", "--project", project_});
    EXPECT_NE(wide.exit_code, 0);
    EXPECT_NE(wide.err.find("chmod 600"), std::string::npos) << wide.err;
    chmod((project_ + "/.strata/secrets").c_str(), 0600);
    CommandResult r = Strata({"run", "--project", project_, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"synced\": true"), std::string::npos) << r.out;
    EXPECT_EQ(Strata({"runs", "list", "--project", project_}).exit_code, 0);
  }
  {  // ${env:NAME} works the same way.
    ScopedEnv env("STRATA_TEST_PG_PASSWORD", kPassword);
    WriteProject(authority + ":${env:STRATA_TEST_PG_PASSWORD}" + url.substr(authority.size()));
    CommandResult r = Strata({"run", "--project", project_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  ExpectNoPasswordInFiles();
  ExpectNoPasswordInDatabase(pg.Url(url.substr(url.rfind('/') + 1)));
  ExpectNoPassword("everything printed", printed_);
}

}  // namespace
}  // namespace strata::test
