#include "pipeline/database_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "pipeline/pipeline_test_util.h"
#include "pipeline/project.h"

namespace strata::pipeline {
namespace {

using ::testing::HasSubstr;
using testing::ScratchProject;

constexpr const char* kErp = R"yaml(sources:
  - name: erp
    kind: mysql
    connection: mysql://strata@127.0.0.1:3307/erp
    password: ${secret:erp_password}
    tables: [clientes, pedidos]
    commit_interval: 250ms
    commit_rows: 5000
    bronze: erp_{table}
    on_lost_position: resnapshot
    follow: true
  - name: files
    files: "x*.csv"
)yaml";

TEST(DatabaseSourceTest, ParsesAMysqlSourceBesideFileSources) {
  ScratchProject p;
  p.Write("strata.yaml", "name: demo\nstorage: lake\n");
  p.Write("sources/erp.yaml", kErp);
  Result<Project> project = LoadProject(p.path());
  ASSERT_TRUE(project.ok()) << project.status();
  ASSERT_EQ(project->sources.size(), 1u);
  ASSERT_EQ(project->database_sources.size(), 1u);
  const DatabaseSourceSpec& erp = project->database_sources[0];
  EXPECT_EQ(erp.spec.connection.port, 3307);
  EXPECT_EQ(erp.spec.connection.database, "erp");
  EXPECT_EQ(erp.spec.commit_interval_ms, 250);
  EXPECT_EQ(erp.spec.commit_rows, 5000);
  EXPECT_TRUE(erp.follow);
  EXPECT_TRUE(erp.spec.resnapshot_on_lost_position);
  EXPECT_EQ(erp.spec.BronzeTable("pedidos").ToString(), "bronze.erp_pedidos");
  EXPECT_EQ(erp.password, "${secret:erp_password}");

  p.Write(".strata/secrets", "erp_password=hunter2\n");
  chmod((p.path() + "/.strata/secrets").c_str(), 0600);
  Result<ingest::mysql::MysqlSourceSpec> resolved =
      ResolveDatabaseSource(erp, project->SecretsPath());
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->connection.password, "hunter2");
}

TEST(DatabaseSourceTest, BadFieldsNameTheFileLineAndField) {
  ScratchProject p;
  p.Write("strata.yaml", "name: demo\nstorage: lake\n");
  auto error = [&](const std::string& yaml) {
    p.Write("sources/erp.yaml", yaml);
    Result<Project> project = LoadProject(p.path());
    EXPECT_FALSE(project.ok());
    return project.ok() ? std::string() : project.status().message();
  };
  EXPECT_THAT(error("sources:\n  - name: erp\n    kind: mysql\n    connection: "
                    "mysql://strata@h/erp\n    password: hunter2\n"),
              AllOf(HasSubstr("sources/erp.yaml:5"), HasSubstr("${secret:NAME}"),
                    ::testing::Not(HasSubstr("hunter2"))));
  EXPECT_THAT(error("sources:\n  - name: erp\n    kind: mysql\n    connection: "
                    "mysql://strata:pw@h/erp\n"),
              HasSubstr("holds a password"));
  EXPECT_THAT(error("sources:\n  - name: erp\n    kind: oracle\n    connection: x\n"),
              HasSubstr("kind"));
  EXPECT_THAT(error("sources:\n  - name: erp\n    kind: mysql\n    connection: "
                    "mysql://s@h/erp\n    commit_interval: soon\n"),
              HasSubstr("duration"));
  EXPECT_THAT(error("sources:\n  - name: erp\n    kind: mysql\n    connection: "
                    "mysql://s@h/erp\n    tabels: [a]\n"),
              HasSubstr("tabels"));
  EXPECT_THAT(error("sources:\n  - name: erp\n    kind: mysql\n    connection: "
                    "mysql://s@h/erp\n    on_lost_position: skip\n"),
              AllOf(HasSubstr("sources/erp.yaml:5"), HasSubstr("on_lost_position"),
                    HasSubstr("fail or resnapshot"), HasSubstr("skip")));
}

}  // namespace
}  // namespace strata::pipeline
