// A run's SQL is confined to the project's lake and landing (confinement.h): models and custom
// SQL tests that reach for other files fail with an error naming the model, nothing is
// committed, and the run's own work (sources, models reading the lake, Delta commits and
// checkpoints) still works.
#include "pipeline/confinement.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "pipeline/pipeline_test_util.h"
#include "pipeline/runner.h"

namespace strata::pipeline {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::ScratchProject;

class ConfinementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    p_.Write("strata.yaml", "name: c\nengine: {threads: 2}\n");
    p_.Write("sources/s.yaml",
             "sources:\n  - {name: pedidos, files: 'p*.csv', columns: [{name: id, type: "
             "BIGINT}]}\n");
    p_.Write("landing/p1.csv", "id\n1\n2\n");
    // What a model must never see: the SFTP users, the secrets, the project's files.
    p_.Write(".strata/sftp/users.json", "{\"users\": [{\"name\": \"acme\", \"hash\": \"x\"}]}\n");
    p_.Write(".strata/secrets", "PG_PASSWORD=S3cretPassw0rd\n");
    fs::permissions(p_.path() + "/.strata/secrets", fs::perms::owner_read | fs::perms::owner_write);
  }

  Result<RunRecord> Run(RunOptions options = {}) {
    Result<Project> project = LoadProject(p_.path());
    if (!project.ok()) return project.status();
    project_ = std::move(*project);
    return RunProject(project_, options);
  }

  static const NodeResult* Node(const RunRecord& record, const std::string& table) {
    for (const NodeResult& node : record.nodes) {
      if (node.table == table) return &node;
    }
    return nullptr;
  }

  ScratchProject p_;
  Project project_;
};

TEST_F(ConfinementTest, ModelsReadingOutsideTheLakeAndLandingFailAndCommitNothing) {
  const std::string root = p_.path();
  const std::vector<std::pair<std::string, std::string>> probes = {
      {"passwd", "SELECT * FROM read_csv('/etc/passwd', sep = ':', header = false)"},
      {"root_glob", "SELECT * FROM glob('/root/*')"},
      {"sftp_users", "SELECT * FROM read_json('" + root + "/.strata/sftp/users.json')"},
      {"secrets", "SELECT * FROM read_text('" + root + "/.strata/secrets')"},
      {"dotdot", "SELECT * FROM read_text('" + root + "/landing/../.strata/secrets')"},
      {"project_file", "SELECT * FROM read_text('" + root + "/strata.yaml')"},
      {"in_list", "SELECT * FROM read_csv(['" + root + "/landing/p1.csv', '/etc/passwd'])"},
  };
  for (const auto& [name, sql] : probes) p_.Write("models/silver/" + name + ".sql", sql);
  // Allowed: the lake through its tables, and the landing read directly.
  p_.Write("models/silver/ok.sql", "SELECT id FROM bronze.pedidos");
  p_.Write("models/silver/landed.sql", "SELECT * FROM read_csv('" + root + "/landing/p1.csv')");

  Result<RunRecord> record = Run();
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_FALSE(record->ok());
  for (const auto& [name, sql] : probes) {
    const NodeResult* node = Node(*record, "silver." + name);
    ASSERT_NE(node, nullptr) << name;
    EXPECT_EQ(node->status, NodeStatus::kFailed) << name;
    EXPECT_THAT(node->error, HasSubstr("model silver." + name +
                                       " may read only the project's lake and landing directories"))
        << name;
    EXPECT_THAT(node->error, HasSubstr("Permission Error: Cannot access file")) << name;
    EXPECT_FALSE(node->table_version.has_value()) << name;
    EXPECT_FALSE(fs::exists(root + "/lake/silver/" + name)) << name;
    // Nothing of what was read leaks into the error either.
    EXPECT_THAT(node->error, ::testing::Not(HasSubstr("S3cretPassw0rd"))) << name;
    EXPECT_THAT(node->error, ::testing::Not(HasSubstr("root:x:0"))) << name;
  }
  for (const char* table : {"bronze.pedidos", "silver.ok", "silver.landed"}) {
    const NodeResult* node = Node(*record, table);
    ASSERT_NE(node, nullptr) << table;
    EXPECT_EQ(node->status, NodeStatus::kSuccess) << table << ": " << node->error;
    EXPECT_EQ(node->rows_written, 2) << table;
  }
}

TEST_F(ConfinementTest, CustomSqlTestsAreConfinedToo) {
  p_.Write("models/silver/t.sql", "SELECT id FROM bronze.pedidos");
  p_.Write("models/silver/t.yaml",
           "tests:\n  - {name: espia, action: fail, sql: \"SELECT * FROM read_text('" + p_.path() +
               "/.strata/secrets')\"}\n");
  Result<RunRecord> record = Run();
  ASSERT_TRUE(record.ok()) << record.status();
  const NodeResult* node = Node(*record, "silver.t");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->status, NodeStatus::kFailed);
  EXPECT_THAT(node->error, HasSubstr("test 'espia' could not run"));
  EXPECT_THAT(node->error,
              HasSubstr("its SQL may read only the project's lake and landing directories"));
  EXPECT_THAT(node->error, ::testing::Not(HasSubstr("S3cretPassw0rd")));
  EXPECT_FALSE(fs::exists(p_.path() + "/lake/silver/t"));
}

TEST_F(ConfinementTest, CommitsAndCheckpointsStillWork) {
  // Eleven commits of one table: the tenth triggers a checkpoint, whose staging JSON must be
  // readable by the confined connection (it sits in the table's _delta_log/).
  p_.Write("models/silver/n.sql", "SELECT count(*) AS n FROM bronze.pedidos");
  for (int i = 0; i < 11; ++i) {
    Result<RunRecord> record = Run();
    ASSERT_TRUE(record.ok()) << record.status();
    const NodeResult* node = Node(*record, "silver.n");
    ASSERT_NE(node, nullptr);
    ASSERT_EQ(node->status, NodeStatus::kSuccess) << node->error;
  }
  EXPECT_TRUE(
      fs::exists(p_.path() + "/lake/silver/n/_delta_log/00000000000000000010.checkpoint.parquet"));
  for (const auto& entry : fs::directory_iterator(p_.path() + "/lake/silver/n/_delta_log")) {
    EXPECT_EQ(entry.path().filename().string().find("strata-tmp"), std::string::npos)
        << entry.path();  // the staging JSON is gone
  }
}

TEST_F(ConfinementTest, ALandingOrLakeHoldingDotStrataIsRefused) {
  for (const char* yaml : {"name: c\nlanding: .\n", "name: c\nstorage: .\n"}) {
    p_.Write("strata.yaml", yaml);
    Result<RunRecord> record = Run();
    ASSERT_FALSE(record.ok()) << yaml;
    EXPECT_EQ(record.status().code(), StatusCode::kFailedPrecondition) << yaml;
    EXPECT_THAT(record.status().message(), HasSubstr("holds the project's .strata/")) << yaml;
  }
}

TEST(ExplainConfinementTest, OnlyPermissionDeniedIsExplained) {
  Status other = Status::InvalidArgument("Binder Error: x");
  EXPECT_EQ(ExplainConfinement(other, "model a.b").message(), "Binder Error: x");
  Status denied = ExplainConfinement(Status::IOError("Permission Error: f"), "model a.b");
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(denied.message(),
              HasSubstr("model a.b may read only the project's lake and landing directories"));
  EXPECT_THAT(denied.message(), HasSubstr("Permission Error: f"));
}

}  // namespace
}  // namespace strata::pipeline
