#include "orchestrator/service/pipeline_file.h"

#include <gtest/gtest.h>

namespace strata::orchestrator::service {
namespace {

std::string ErrorOf(const std::string& text, const std::string& file = "pipelines/p.yaml") {
  auto loaded = ParsePipeline("p", file, text);
  if (loaded.ok()) return "";
  return loaded.status().message();
}

TEST(PipelineFileTest, ReadsStrataKeysAndKeepsAslApart) {
  auto loaded = ParsePipeline("daily", "pipelines/daily.yaml", R"(
description: Loads bronze
owner: time-dados
tags: [bronze, core]
schedule: "0 6 * * *"
triggers:
  - file: "pedidos*.csv"
  - source: clientes
    file: ""
StartAt: Load
States:
  Load:
    Type: Task
    Resource: strata:ingest
    Parameters: {select: [pedidos]}
    End: true
)");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->info.description, "Loads bronze");
  EXPECT_EQ(loaded->info.owner, "time-dados");
  EXPECT_EQ(loaded->info.tags, (std::vector<std::string>{"bronze", "core"}));
  EXPECT_EQ(loaded->info.schedules, (std::vector<std::string>{"0 6 * * *"}));
  ASSERT_EQ(loaded->info.file_triggers.size(), 2u);
  EXPECT_EQ(loaded->info.file_triggers[0].pattern, "pedidos*.csv");
  EXPECT_EQ(loaded->info.file_triggers[1].source, "clientes");
  EXPECT_FALSE(loaded->info.definition.contains("owner"));
  EXPECT_EQ(loaded->info.definition["StartAt"], "Load");
  ASSERT_NE(loaded->machine, nullptr);
}

TEST(PipelineFileTest, AslJsonAsIsWithCommentAsDescription) {
  auto loaded = ParsePipeline("asl", "pipelines/asl.json",
                              R"({"Comment":"from AWS","StartAt":"P","States":{"P":{"Type":"Pass",
                              "End":true}}})");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->info.description, "from AWS");
}

TEST(PipelineFileTest, ErrorsNameFileLineStateAndField) {
  std::string e = ErrorOf(R"(StartAt: Load
States:
  Load:
    Type: Task
    Resource: strata:ingset
    End: true
)");
  EXPECT_NE(e.find("pipelines/p.yaml:5: state 'Load': field 'Resource': unknown strata step "
                   "'strata:ingset'"),
            std::string::npos)
      << e;

  e = ErrorOf(R"(StartAt: Run
States:
  Run:
    Type: Task
    Resource: strata:command
    End: true
)");
  EXPECT_NE(e.find("state 'Run': field 'Parameters.command'"), std::string::npos) << e;

  e = ErrorOf(R"(StartAt: Build
States:
  Build:
    Type: Task
    Resource: strata:model
    Parameters: {selct: [x]}
    End: true
)");
  EXPECT_NE(e.find("state 'Build': field 'Parameters.selct': not a parameter of strata:model"),
            std::string::npos)
      << e;

  e = ErrorOf(R"(StartAt: A
States:
  A:
    Type: Pass
    Next: B
)");
  EXPECT_NE(e.find("pipelines/p.yaml:5: state 'A': field 'Next'"), std::string::npos) << e;

  e = ErrorOf("owner: x\nschedul: '* * * * *'\nStartAt: A\nStates: {A: {Type: Succeed}}\n");
  EXPECT_NE(e.find("pipelines/p.yaml:2: field 'schedul': unknown pipeline key"), std::string::npos)
      << e;

  e = ErrorOf("schedule: '0 25 * * *'\nStartAt: A\nStates: {A: {Type: Succeed}}\n");
  EXPECT_NE(e.find("pipelines/p.yaml:1: field 'schedule': cron '0 25 * * *': hour"),
            std::string::npos)
      << e;

  e = ErrorOf("triggers: [{pattern: x}]\nStartAt: A\nStates: {A: {Type: Succeed}}\n");
  EXPECT_NE(e.find("field 'triggers[0]'"), std::string::npos) << e;

  // A nested Map's task is checked too.
  e = ErrorOf(R"(StartAt: M
States:
  M:
    Type: Map
    ItemProcessor:
      StartAt: T
      States:
        T: {Type: Task, Resource: "strata:nope", End: true}
    End: true
)");
  EXPECT_NE(e.find("pipelines/p.yaml:8: state 'T': field 'Resource'"), std::string::npos) << e;
}

// A path index beyond int64 aborted `strata pipeline list` (uncaught std::out_of_range).
TEST(PipelineFileTest, IndexBeyondInt64IsAnErrorNamingTheFile) {
  std::string e = ErrorOf(R"({"StartAt": "A", "States": {"A": {"Type": "Pass",
      "InputPath": "$.a[99999999999999999999]", "End": true}}})",
                          "pipelines/big.json");
  EXPECT_NE(e.find("pipelines/big.json"), std::string::npos) << e;
  EXPECT_NE(e.find("state 'A': field 'InputPath'"), std::string::npos) << e;
  EXPECT_NE(e.find("integer out of range"), std::string::npos) << e;
}

}  // namespace
}  // namespace strata::orchestrator::service
