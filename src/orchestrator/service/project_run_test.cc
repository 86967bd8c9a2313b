// The project's built-in pipeline in the run store, on the project `strata init` makes: a run
// is recorded under the id its record carries, with one state per table and the record as
// output; a failed run resumes only what failed; a queued run is cancelled before it starts.
#include <gtest/gtest.h>

#include "orchestrator/service/service.h"
#include "pipeline/pipeline_test_util.h"
#include "pipeline/project.h"
#include "pipeline/scaffold.h"

namespace strata::orchestrator::service {
namespace {

using pipeline::testing::ScratchProject;

class ProjectRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pipeline::WriteProjectFiles(project_.path(), pipeline::InitProjectFiles(),
                                            /*require_empty=*/false)
                    .ok());
    auto service = OrchestratorService::Open({.project_dir = project_.path()});
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = std::move(*service);
  }

  ScratchProject project_;
  std::unique_ptr<OrchestratorService> service_;
};

TEST_F(ProjectRunTest, ARunIsRecordedUnderItsRecordsId) {
  auto project = pipeline::LoadProject(project_.path());
  ASSERT_TRUE(project.ok()) << project.status();
  ProjectRunOptions options;
  options.project = &*project;
  auto record = service_->RunProject(options);
  ASSERT_TRUE(record.ok()) << record.status();
  ASSERT_TRUE(record->ok());
  auto run = service_->GetRun(record->run_id);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->run.pipeline, kProjectPipeline);
  EXPECT_EQ(run->run.status, RunStatus::kSucceeded);
  EXPECT_EQ(run->run.output["run_id"], record->run_id);
  EXPECT_EQ(run->run.output["schema"], "strata.run/1");
  EXPECT_EQ(run->run.states, static_cast<int>(record->nodes.size()));
  for (const StateRun& s : run->states) {
    EXPECT_EQ(s.status, "SUCCEEDED") << s.state;
    EXPECT_EQ(s.output["table"], s.state);
  }
  auto listed = service_->ListRuns({.pipeline = kProjectPipeline});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].states, static_cast<int>(record->nodes.size()));
  // Only failed or aborted runs resume.
  EXPECT_EQ(service_->Resume(record->run_id).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ProjectRunTest, AFailedRunResumesWhatFailed) {
  project_.Write("models/gold/resumo.sql",
                 "SELECT CAST('x' AS INTEGER) AS n FROM silver.pedidos_validos");
  auto record = service_->RunProject({});
  ASSERT_TRUE(record.ok()) << record.status();
  ASSERT_FALSE(record->ok());
  auto failed = service_->GetRun(record->run_id);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->run.status, RunStatus::kFailed);
  EXPECT_EQ(failed->run.failed_states, 1);
  EXPECT_NE(failed->run.cause.find("gold.resumo"), std::string::npos) << failed->run.cause;

  project_.Write("models/gold/resumo.sql", "SELECT count(*) AS n FROM silver.pedidos_validos");
  auto resumed = service_->Resume(record->run_id);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  auto done = service_->WaitRun(*resumed, 120'000'000);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->status, RunStatus::kSucceeded) << done->cause;
  EXPECT_EQ(done->resumed_from, record->run_id);
  EXPECT_EQ(done->input["select"], Json::array({"gold.resumo"}));
  ASSERT_EQ(done->output["nodes"].size(), 1u) << done->output;
  EXPECT_EQ(done->output["nodes"][0]["table"], "gold.resumo");
}

TEST_F(ProjectRunTest, AQueuedRunCancelledBeforeItStartsIsAborted) {
  ProjectRunOptions options;
  auto id = service_->StartProjectRun(options, /*queue_only=*/true);
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(service_->Cancel(*id).ok());
  auto done = service_->WaitRun(*id, 10'000'000);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->status, RunStatus::kAborted);
  auto bad = service_->StartRun(kProjectPipeline, Json{{"select", "x"}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata::orchestrator::service
