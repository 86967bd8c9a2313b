// Services sharing one catalog as `strata worker` uses them: runs recorded QUEUED by one
// process (queue_only) are executed by a claiming service; a run whose worker stopped
// heartbeating is marked lost and resumed where it was, once, by a recovering service.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "orchestrator/service/run_store.h"
#include "orchestrator/service/service.h"
#include "pipeline/pipeline_test_util.h"

namespace strata::orchestrator::service {
namespace {

using pipeline::testing::ScratchProject;

// A adds {"a": 1}; B echoes its input (what it got from A) as its result.
constexpr const char* kTwoSteps = R"(StartAt: A
States:
  A:
    Type: Task
    Resource: strata:command
    Parameters:
      command: 'echo "{\"a\": 1}"'
    ResultPath: $.a
    Next: B
  B:
    Type: Task
    Resource: strata:command
    Parameters:
      command: 'cat'
      input.$: $
    ResultPath: $.b
    End: true
)";

class WorkerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    project_.Write("strata.yaml", "name: t\n");
    project_.Write("pipelines/two.yaml", kTwoSteps);
  }
  std::unique_ptr<OrchestratorService> Open(ServiceOptions options) {
    options.project_dir = project_.path();
    auto service = OrchestratorService::Open(options);
    EXPECT_TRUE(service.ok()) << service.status();
    return service.ok() ? std::move(*service) : nullptr;
  }
  ScratchProject project_;
};

TEST_F(WorkerServiceTest, QueuedRunsAreExecutedByAClaimingService) {
  ServiceOptions producer_options;
  producer_options.queue_only = true;
  auto producer = Open(producer_options);
  ASSERT_TRUE(producer);
  auto id = producer->StartRun("two", Json{{"n", 1}});
  ASSERT_TRUE(id.ok()) << id.status();
  // A normal service can queue one run too.
  auto plain = Open({});
  ASSERT_TRUE(plain);
  auto id2 = plain->StartRun("two", Json{{"n", 2}}, {.queue_only = true});
  ASSERT_TRUE(id2.ok()) << id2.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(producer->GetRun(*id)->run.status, "QUEUED");
  EXPECT_EQ(producer->GetRun(*id2)->run.status, "QUEUED");

  ServiceOptions worker_options;
  worker_options.claim_queued = true;
  worker_options.claim_poll_micros = 50'000;
  worker_options.worker_id = "the-worker";
  int claimed = 0;
  std::mutex mu;
  worker_options.on_run = [&](const std::string&, const std::string& status) {
    std::lock_guard<std::mutex> lock(mu);
    claimed += status == "RUNNING";
  };
  auto worker = Open(worker_options);
  ASSERT_TRUE(worker);
  for (const std::string& run : {*id, *id2}) {
    auto done = producer->WaitRun(run, 60'000'000);
    ASSERT_TRUE(done.ok()) << done.status();
    EXPECT_EQ(done->status, "SUCCEEDED") << done->cause;
    EXPECT_EQ(done->worker, "the-worker");
    EXPECT_EQ(done->output["b"]["a"]["a"], 1);
  }
  worker->Shutdown(false);
  EXPECT_EQ(claimed, 2);
}

TEST_F(WorkerServiceTest, RecoveryRefusesALostAfterTimeWithinThreeHeartbeats) {
  ServiceOptions options;
  options.project_dir = project_.path();
  options.recover_lost_runs = true;
  options.heartbeat_micros = 1'000'000;
  options.lost_after_micros = 2'999'999;
  auto refused = OrchestratorService::Open(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("at least 3 times the heartbeat"), std::string::npos)
      << refused.status();
  options.lost_after_micros = 3'000'000;
  EXPECT_TRUE(OrchestratorService::Open(options).ok());
  options.recover_lost_runs = false;  // without recovery the time is not used
  options.lost_after_micros = 1;
  EXPECT_TRUE(OrchestratorService::Open(options).ok());
}

TEST_F(WorkerServiceTest, ALostRunIsMarkedAndResumedAfterItsLastFinishedState) {
  // A worker that died after A: its run is RUNNING, A's exit (next: B) is recorded, and its
  // heartbeat is a minute old.
  FakeClock past(Clock::System().NowMicros() - 60'000'000);
  std::string location = project_.path() + "/.strata/catalog.db";
  auto ghost = RunStore::Open(location, &past);
  ASSERT_TRUE(ghost.ok()) << ghost.status();
  auto info = GetProjectPipeline(project_.path(), "two");
  ASSERT_TRUE(info.ok()) << info.status();
  NewRun run{"lost-1", "two", "manual", "", "", "", "", info->definition, Json{{"n", 7}}};
  ASSERT_TRUE((*ghost)->CreateRun(run).ok());
  ASSERT_TRUE(*(*ghost)->ClaimRun("lost-1", "ghost:1"));
  {
    auto observer = (*ghost)->NewObserver("lost-1", "");
    ExecutionEvent entered;
    entered.type = EventType::kStateEntered;
    entered.state = "A";
    entered.state_type = StateType::kTask;
    entered.input = Json{{"n", 7}};
    observer->OnEvent(entered);
    ExecutionEvent exited = entered;
    exited.type = EventType::kStateExited;
    exited.output = Json{{"n", 7}, {"a", {{"a", 1}}}};
    exited.next = "B";
    observer->OnEvent(exited);
  }
  (*ghost)->Flush();

  ServiceOptions options;
  options.recover_lost_runs = true;
  // The ghost's heartbeat is 60 s old; this service's own runs beat every 0.1 s, well within
  // the 1 s that would make them look lost too.
  options.lost_after_micros = 1'000'000;
  options.heartbeat_micros = 100'000;
  auto recovering = Open(options);
  ASSERT_TRUE(recovering);
  std::string resumed;
  for (int i = 0; i < 300 && resumed.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto runs = recovering->ListRuns({.pipeline = "two"});
    ASSERT_TRUE(runs.ok());
    for (const RunSummary& r : *runs) {
      if (r.resumed_from == "lost-1" && r.finished()) resumed = r.run_id;
    }
  }
  ASSERT_FALSE(resumed.empty());
  auto lost = recovering->GetRun("lost-1");
  ASSERT_TRUE(lost.ok());
  EXPECT_EQ(lost->run.status, "FAILED");
  EXPECT_EQ(lost->run.error, kWorkerLostError);
  EXPECT_NE(lost->run.cause.find("worker ghost:1 stopped heartbeating"), std::string::npos)
      << lost->run.cause;
  auto again = recovering->GetRun(resumed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->run.status, "SUCCEEDED") << again->run.cause;
  EXPECT_EQ(again->run.trigger, "recover");
  ASSERT_EQ(again->states.size(), 1u);  // only B ran, with what A had produced
  EXPECT_EQ(again->states[0].state, "B");
  EXPECT_EQ(again->run.output["b"]["a"]["a"], 1);
  EXPECT_EQ(again->run.output["n"], 7);
  // Recovered once: no second resume of the same run.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  int resumes = 0;
  auto all = recovering->ListRuns({.pipeline = "two"});
  ASSERT_TRUE(all.ok());
  for (const RunSummary& r : *all) {
    resumes += r.resumed_from == "lost-1";
  }
  EXPECT_EQ(resumes, 1);
}

}  // namespace
}  // namespace strata::orchestrator::service
