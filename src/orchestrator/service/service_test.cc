// OrchestratorService on a scratch project whose pipelines run command tasks (shell), with the
// run store on a SQLite catalog inside the project.
#include "orchestrator/service/service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "common/civil_date.h"
#include "pipeline/pipeline_test_util.h"

namespace strata::orchestrator::service {
namespace {

using pipeline::testing::ScratchProject;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { project_.Write("strata.yaml", "name: t\n"); }

  std::unique_ptr<OrchestratorService> Open(Clock* clock = nullptr) {
    ServiceOptions options;
    options.project_dir = project_.path();
    options.clock = clock;
    options.file_settle_micros = 0;
    auto service = OrchestratorService::Open(options);
    EXPECT_TRUE(service.ok()) << service.status();
    return service.ok() ? std::move(*service) : nullptr;
  }

  RunSummary RunToEnd(OrchestratorService& service, const std::string& pipeline,
                      const Json& input = Json::object()) {
    auto id = service.StartRun(pipeline, input);
    EXPECT_TRUE(id.ok()) << id.status();
    if (!id.ok()) return {};
    auto done = service.WaitRun(*id, 60'000'000);
    EXPECT_TRUE(done.ok()) << done.status();
    return done.ok() ? *done : RunSummary{};
  }

  ScratchProject project_;
};

TEST_F(ServiceTest, CommandResultFlowsAndEverythingIsRecorded) {
  project_.Write("pipelines/hello.yaml", R"(
description: says hello
owner: me
StartAt: Hello
States:
  Hello:
    Type: Task
    Resource: strata:command
    Parameters:
      command: 'cat >/dev/null; echo progress >&2; echo "{\"greeting\": \"hi $NAME\"}"'
      env: {NAME: ana}
    ResultPath: $.hello
    Next: Done
  Done: {Type: Succeed}
)");
  auto service = Open();
  ASSERT_NE(service, nullptr);
  auto pipelines = service->ListPipelines();
  ASSERT_TRUE(pipelines.ok()) << pipelines.status();
  ASSERT_EQ(pipelines->size(), 1u);
  EXPECT_EQ((*pipelines)[0].owner, "me");

  RunSummary run = RunToEnd(*service, "hello", {{"x", 1}});
  EXPECT_EQ(run.status, "SUCCEEDED") << run.error << " " << run.cause;
  EXPECT_EQ(run.output["hello"]["greeting"], "hi ana");
  EXPECT_EQ(run.output["x"], 1);
  EXPECT_EQ(run.trigger, "manual");

  auto detail = service->GetRun(run.run_id);
  ASSERT_TRUE(detail.ok()) << detail.status();
  ASSERT_EQ(detail->states.size(), 2u);
  EXPECT_EQ(detail->states[0].state, "Hello");
  EXPECT_EQ(detail->states[0].status, "SUCCEEDED");
  ASSERT_EQ(detail->attempts.size(), 1u);
  EXPECT_EQ(detail->attempts[0].status, "SUCCEEDED");
  EXPECT_EQ(detail->events.front().type, "ExecutionStarted");
  EXPECT_EQ(detail->events.back().type, "ExecutionSucceeded");
  auto log = service->ReadTaskLog(run.run_id, "Hello");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_NE(log->find("progress"), std::string::npos) << *log;
  EXPECT_NE(log->find("hi ana"), std::string::npos) << *log;

  auto runs = service->ListRuns({});
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].run_id, run.run_id);
}

TEST_F(ServiceTest, FailingCommandIsRetriedThenCaughtThenResumed) {
  // Fails until the flag file exists; the Catch records the failure and the run fails.
  project_.Write("pipelines/flaky.yaml", R"(
StartAt: Work
States:
  Work:
    Type: Task
    Resource: strata:command
    Parameters:
      command: 'if [ -f ok.flag ]; then echo "{\"done\": true}"; else echo "no flag here" >&2; exit 3; fi'
    Retry:
      - ErrorEquals: [States.TaskFailed]
        IntervalSeconds: 1
        BackoffRate: 1
        MaxAttempts: 2
    Catch:
      - ErrorEquals: [States.ALL]
        ResultPath: $.failure
        Next: Record
    Next: Done
  Record:
    Type: Task
    Resource: strata:command
    Parameters:
      command: 'cat > failure.json'
      input.$: $
    ResultPath: null
    Next: Failed
  Failed: {Type: Fail, Error: WorkFailed, Cause: see failure.json}
  Done: {Type: Succeed}
)");
  auto service = Open();
  ASSERT_NE(service, nullptr);
  RunSummary run = RunToEnd(*service, "flaky");
  EXPECT_EQ(run.status, "FAILED");
  EXPECT_EQ(run.error, "WorkFailed");
  auto detail = service->GetRun(run.run_id);
  ASSERT_TRUE(detail.ok());
  int work_attempts = 0;
  for (const TaskAttempt& a : detail->attempts) {
    if (a.state != "Work") continue;
    ++work_attempts;
    EXPECT_EQ(a.error, "States.TaskFailed");
    EXPECT_NE(a.cause.find("exit status 3"), std::string::npos) << a.cause;
    EXPECT_NE(a.cause.find("no flag here"), std::string::npos) << a.cause;
  }
  EXPECT_EQ(work_attempts, 3);  // 1 + 2 retries
  bool caught = false;
  for (const StateRun& s : detail->states) caught |= s.state == "Work" && s.status == "CAUGHT";
  EXPECT_TRUE(caught);
  std::ifstream failure(project_.path() + "/failure.json");
  Json recorded = Json::parse(failure, nullptr, false);
  ASSERT_FALSE(recorded.is_discarded());
  EXPECT_EQ(recorded["failure"]["Error"], "States.TaskFailed");

  // The failed state is the Fail state reached through the Catch: resume re-runs the caught
  // state (Work), which now succeeds.
  EXPECT_EQ(run.failed_state, "Failed");
  project_.Write("ok.flag", "");
  auto redo = service->Resume(run.run_id);
  ASSERT_TRUE(redo.ok()) << redo.status();
  auto redone = service->WaitRun(*redo, 60'000'000);
  ASSERT_TRUE(redone.ok());
  EXPECT_EQ(redone->status, "SUCCEEDED") << redone->cause;
  EXPECT_EQ(redone->output["done"], true);
  std::filesystem::remove(project_.path() + "/ok.flag");

  project_.Write("pipelines/strict.yaml", R"(
StartAt: Prepare
States:
  Prepare: {Type: Pass, Result: {"ready": true}, ResultPath: $.prep, Next: Work}
  Work:
    Type: Task
    Resource: strata:command
    Parameters:
      command: 'if [ -f ok.flag ]; then cat; else echo "no flag" >&2; exit 1; fi'
      input.$: $
    End: true
)");
  RunSummary strict = RunToEnd(*service, "strict", {{"n", 7}});
  ASSERT_EQ(strict.status, "FAILED");
  EXPECT_EQ(strict.failed_state, "Work");
  project_.Write("ok.flag", "");
  auto resumed_id = service->Resume(strict.run_id);
  ASSERT_TRUE(resumed_id.ok()) << resumed_id.status();
  auto resumed = service->WaitRun(*resumed_id, 60'000'000);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->status, "SUCCEEDED") << resumed->cause;
  EXPECT_EQ(resumed->resumed_from, strict.run_id);
  EXPECT_EQ(resumed->output["n"], 7);  // the input Work had, Prepare not re-run
  EXPECT_EQ(resumed->output["prep"]["ready"], true);
  auto resumed_detail = service->GetRun(*resumed_id);
  ASSERT_TRUE(resumed_detail.ok());
  ASSERT_EQ(resumed_detail->states.size(), 1u);
  EXPECT_EQ(resumed_detail->states[0].state, "Work");

  auto again = service->Resume(*resumed_id);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("only FAILED or ABORTED"), std::string::npos);
}

TEST_F(ServiceTest, CancelKillsALongCommand) {
  project_.Write("pipelines/long.yaml", R"(
StartAt: Sleep
States:
  Sleep:
    Type: Task
    Resource: strata:command
    Parameters: {command: 'echo started; exec sleep 60'}
    End: true
)");
  auto service = Open();
  ASSERT_NE(service, nullptr);
  auto id = service->StartRun("long", Json::object());
  ASSERT_TRUE(id.ok());
  // Wait until the command is running (its log has "started").
  for (int i = 0; i < 200; ++i) {
    auto log = service->ReadTaskLog(*id, "Sleep");
    if (log.ok() && log->find("started") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(service->Cancel(*id, "stop it").ok());
  auto done = service->WaitRun(*id, 50'000'000);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->status, "ABORTED");
  // Well under the command's 60 s, with room for a loaded machine.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(40));
  auto log = service->ReadTaskLog(*id, "Sleep");
  ASSERT_TRUE(log.ok());
  EXPECT_NE(log->find("cancelled (stop it)"), std::string::npos) << *log;
  EXPECT_TRUE(service->Cancel(*id).ok());  // finished: nothing to do
  EXPECT_TRUE(service->Cancel("nope").IsNotFound());
}

TEST_F(ServiceTest, CronScheduleFiresOncePerMinuteOnAFakeClock) {
  project_.Write("pipelines/nightly.yaml", R"(
schedule: "0 6 * * *"
StartAt: P
States: {P: {Type: Pass, End: true}}
)");
  const int64_t day = DaysFromCivil(2025, 1, 31) * 86'400'000'000LL;
  FakeClock clock(day + (5 * 60 + 59) * 60'000'000LL);  // 05:59
  auto service = Open(&clock);
  ASSERT_NE(service, nullptr);
  auto first = service->SchedulerTick();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->empty());
  clock.Advance(30'000'000);  // 05:59:30
  EXPECT_TRUE(service->SchedulerTick()->empty());
  clock.Advance(45'000'000);  // 06:00:15
  auto fired = service->SchedulerTick();
  ASSERT_TRUE(fired.ok());
  ASSERT_EQ(fired->size(), 1u);
  clock.Advance(10'000'000);
  EXPECT_TRUE(service->SchedulerTick()->empty());  // same minute: once
  auto run = service->WaitRun((*fired)[0], 30'000'000);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->status, "SUCCEEDED");
  EXPECT_EQ(run->trigger, "schedule");
  EXPECT_EQ(run->input["schedule"]["time"], "2025-01-31T06:00Z");
  // A second scheduler on the same catalog does not fire the same minute again.
  FakeClock other(day + (5 * 60 + 59) * 60'000'000LL);
  auto second = Open(&other);
  ASSERT_TRUE(second->SchedulerTick().ok());
  other.Advance(90'000'000);
  EXPECT_TRUE(second->SchedulerTick()->empty());
  // The next day fires again.
  clock.Advance(24 * 3600 * 1'000'000LL);
  EXPECT_EQ(service->SchedulerTick()->size(), 1u);
}

TEST_F(ServiceTest, FileTriggerFiresOnArrivalAndOnLandingScan) {
  project_.Write("pipelines/on_file.yaml", R"(
triggers:
  - file: "pedidos*.csv"
StartAt: Echo
States:
  Echo:
    Type: Task
    Resource: strata:command
    Parameters: {command: cat, input.$: $}
    End: true
)");
  auto service = Open();
  ASSERT_NE(service, nullptr);
  project_.Write("landing/pedidos_1.csv", "a\n1\n");
  project_.Write("landing/clientes.csv", "a\n1\n");
  auto started = service->SchedulerTick();
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_EQ(started->size(), 1u);
  auto run = service->WaitRun((*started)[0], 30'000'000);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, "SUCCEEDED");
  EXPECT_EQ(run->trigger, "file");
  EXPECT_EQ(run->output["file"]["path"], "pedidos_1.csv");
  EXPECT_EQ(run->output["file"]["size_bytes"], 4);
  EXPECT_EQ(run->output["file"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_TRUE(service->SchedulerTick()->empty());  // seen

  // Arrival notified by the landing zone: fires once, and the scan does not fire it again.
  project_.Write("landing/pedidos_2.csv", "a\n2\n");
  FileArrival arrival{"", "pedidos_2.csv", 4, "ab12"};
  auto notified = service->NotifyFileArrived(arrival);
  ASSERT_TRUE(notified.ok()) << notified.status();
  EXPECT_EQ(notified->size(), 1u);
  EXPECT_TRUE(service->NotifyFileArrived(arrival)->empty());
  EXPECT_TRUE(service->SchedulerTick()->empty());
  EXPECT_TRUE(service->NotifyFileArrived({"", "clientes.csv", 4, "cd"})->empty());
  EXPECT_FALSE(service->NotifyFileArrived({"", "../etc/passwd", 4, "cd"}).ok());
}

TEST_F(ServiceTest, BackfillSkipsDatesAlreadySuccessful) {
  // Fails for 2025-01-02 until the flag exists.
  project_.Write("pipelines/daily.yaml", R"(
StartAt: Load
States:
  Load:
    Type: Task
    Resource: strata:command
    Parameters:
      command.$: States.Format('if [ "{}" = 2025-01-02 ] && [ ! -f fixed.flag ]; then exit 1; fi; echo {}', $.date, $.date)
    End: true
)");
  auto service = Open();
  ASSERT_NE(service, nullptr);
  BackfillOptions options;
  options.from = "2025-01-01";
  options.to = "2025-01-03";
  options.concurrency = 2;
  auto first = service->Backfill("daily", options);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].status, "SUCCEEDED");
  EXPECT_EQ((*first)[1].status, "FAILED");
  EXPECT_EQ((*first)[2].status, "SUCCEEDED");
  project_.Write("fixed.flag", "");
  auto second = service->Backfill("daily", options);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)[0].status, "SKIPPED");
  EXPECT_EQ((*second)[1].status, "SUCCEEDED");
  EXPECT_EQ((*second)[2].status, "SKIPPED");
  auto runs = service->ListRuns({.pipeline = "daily"});
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(runs->size(), 4u);

  options.to = "2024-12-01";
  EXPECT_TRUE(service->Backfill("daily", options).status().IsInvalidArgument());
  options.to = "2025-02-30";
  EXPECT_TRUE(service->Backfill("daily", options).status().IsInvalidArgument());
  EXPECT_TRUE(
      service->Backfill("nope", {.from = "2025-01-01", .to = "2025-01-01"}).status().IsNotFound());
}

TEST_F(ServiceTest, BadPipelinesAreListedWithTheirErrorAndCannotStart) {
  project_.Write("pipelines/good.yaml", "StartAt: A\nStates: {A: {Type: Succeed}}\n");
  project_.Write("pipelines/bad.yaml", "StartAt: A\nStates: {A: {Type: Pass, Next: B}}\n");
  auto service = Open();
  ASSERT_NE(service, nullptr);
  auto list = service->ListPipelines();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "bad");
  EXPECT_NE((*list)[0].error.find("pipelines/bad.yaml:2: state 'A': field 'Next'"),
            std::string::npos)
      << (*list)[0].error;
  EXPECT_TRUE(service->StartRun("bad", {}).status().IsInvalidArgument());
  auto missing = service->StartRun("godo", {});
  ASSERT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.status().message().find("did you mean good"), std::string::npos)
      << missing.status();
  EXPECT_TRUE(service->GetRun("nope").status().IsNotFound());
}

}  // namespace
}  // namespace strata::orchestrator::service
