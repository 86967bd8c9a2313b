// The run store on SQLite and on a real PostgreSQL (catalog_test_util.h starts one): workers
// sharing one catalog claim each queued run exactly once, cancellation is a flag other
// processes see, trigger keys fire once, and observer events become states and attempts.
#include "orchestrator/service/run_store.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "catalog/catalog.h"
#include "catalog/catalog_test_util.h"
#include "catalog/store.h"
#include "orchestrator/interpreter.h"
#include "orchestrator/loader.h"

namespace strata::orchestrator::service {
namespace {

class RunStoreTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      auto& pg = catalog::testing::PgTestServer::Get();
      ASSERT_TRUE(pg.ok()) << pg.error();
      location_ = pg.CreateDatabase();
      ASSERT_FALSE(location_.empty());
    } else {
      location_ = dir_.path() + "/catalog.db";
    }
  }
  std::unique_ptr<RunStore> Open() {
    auto store = RunStore::Open(location_, nullptr);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }
  NewRun Queued(const std::string& id) {
    return NewRun{id, "p", "manual", "", "", "", "", Json{{"StartAt", "A"}}, Json::object()};
  }

  catalog::testing::TempDir dir_;
  std::string location_;
};

TEST_P(RunStoreTest, WorkersSharingACatalogClaimEachRunOnce) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  const int runs = 30;
  for (int i = 0; i < runs; ++i) {
    ASSERT_TRUE(a->CreateRun(Queued("r" + std::to_string(100 + i))).ok());
  }
  std::mutex mu;
  std::multiset<std::string> claimed;
  auto worker = [&](RunStore* store, const std::string& name) {
    while (true) {
      auto next = store->ClaimNextRun(name);
      ASSERT_TRUE(next.ok()) << next.status();
      if (!next->has_value()) return;
      std::lock_guard<std::mutex> lock(mu);
      claimed.insert(**next);
    }
  };
  std::thread t1(worker, a.get(), "w1");
  std::thread t2(worker, b.get(), "w2");
  t1.join();
  t2.join();
  EXPECT_EQ(claimed.size(), static_cast<size_t>(runs));
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(),
            static_cast<size_t>(runs));
  auto running = a->ListRuns({.pipeline = "p", .statuses = {RunStatus::kRunning}, .limit = 100});
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->size(), static_cast<size_t>(runs));
  // A claimed run cannot be claimed again.
  auto again = b->ClaimRun("r100", "w2");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

TEST_P(RunStoreTest, CancellationIsAFlagOtherStoresSee) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->CreateRun(Queued("queued")).ok());
  ASSERT_TRUE(a->CreateRun(Queued("running")).ok());
  ASSERT_TRUE(*a->ClaimRun("running", "w1"));
  ASSERT_TRUE(b->RequestCancel("queued", "no longer needed").ok());
  ASSERT_TRUE(b->RequestCancel("running", "stop").ok());
  EXPECT_TRUE(b->RequestCancel("missing", "x").IsNotFound());
  auto queued = a->LoadRun("queued");
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(queued->summary.status, "ABORTED");  // nobody ran it: it ends at once
  auto requests = a->CancelRequests("w1");
  ASSERT_TRUE(requests.ok());
  ASSERT_EQ(requests->size(), 1u);
  EXPECT_EQ((*requests)[0].first, "running");
  EXPECT_EQ((*requests)[0].second, "stop");
  EXPECT_TRUE(a->CancelRequests("w2")->empty());
  EXPECT_FALSE(*a->ClaimRun("queued", "w1"));
}

TEST_P(RunStoreTest, TriggerKeysFireOnce) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(*a->MarkTrigger("cron|p|0 6 * * *|123", "r1"));
  EXPECT_FALSE(*b->MarkTrigger("cron|p|0 6 * * *|123", "r2"));
  EXPECT_TRUE(*b->MarkTrigger("cron|p|0 6 * * *|124", "r2"));
}

TEST_P(RunStoreTest, LostRunsAreMarkedOnceAndTheirWorkerCannotFinishThem) {
  FakeClock clock(1'000'000'000);
  auto a = RunStore::Open(location_, &clock);
  auto b = RunStore::Open(location_, &clock);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->CreateRun(Queued("dead")).ok());
  ASSERT_TRUE((*a)->CreateRun(Queued("alive")).ok());
  ASSERT_TRUE((*a)->CreateRun(Queued("waiting")).ok());
  ASSERT_TRUE(*(*a)->ClaimRun("dead", "w-dead"));
  ASSERT_TRUE(*(*a)->ClaimRun("alive", "w-alive"));
  clock.Advance(60'000'000);
  (*a)->Heartbeat({"alive"});
  (*a)->Flush();
  // Both stores look at once; only one marks the run, only the stale one, never a queued one.
  std::vector<RunSummary> marked_a, marked_b;
  std::thread ta([&] { marked_a = (*a)->RecoverLostRuns(clock.NowMicros() - 30'000'000).value(); });
  std::thread tb([&] { marked_b = (*b)->RecoverLostRuns(clock.NowMicros() - 30'000'000).value(); });
  ta.join();
  tb.join();
  ASSERT_EQ(marked_a.size() + marked_b.size(), 1u);
  const RunSummary& lost = marked_a.empty() ? marked_b[0] : marked_a[0];
  EXPECT_EQ(lost.run_id, "dead");
  EXPECT_EQ(lost.status, "FAILED");
  EXPECT_EQ(lost.error, kWorkerLostError);
  EXPECT_NE(lost.cause.find("worker w-dead stopped heartbeating"), std::string::npos) << lost.cause;
  EXPECT_EQ((*a)->LoadRun("alive")->summary.status, "RUNNING");
  EXPECT_EQ((*a)->LoadRun("waiting")->summary.status, "QUEUED");
  EXPECT_TRUE((*b)->RecoverLostRuns(clock.NowMicros() - 30'000'000)->empty());
  // The worker was only slow: it learns its run was taken (as a cancel request), and its
  // late outcome does not overwrite the recovery.
  auto requests = (*a)->CancelRequests("w-dead");
  ASSERT_TRUE(requests.ok());
  ASSERT_EQ(requests->size(), 1u);
  EXPECT_NE((*requests)[0].second.find("recovered this run as lost"), std::string::npos);
  RunEnd end;
  end.status = RunStatus::kSucceeded;
  Status late = (*a)->FinishRun("dead", end);
  EXPECT_EQ(late.code(), StatusCode::kFailedPrecondition) << late;
  EXPECT_EQ((*a)->LoadRun("dead")->summary.status, "FAILED");
  EXPECT_TRUE((*a)->FinishRun("alive", end).ok());
  EXPECT_TRUE(*(*a)->HasQueuedRuns());
  ASSERT_TRUE((*a)->ClaimNextRun("w").ok());
  EXPECT_FALSE(*(*b)->HasQueuedRuns());
}

class Echo final : public TaskExecutor {
 public:
  TaskResult Execute(const TaskRequest& r, TaskContext&) override {
    if (r.input.value("fail", false) && r.attempt == 1) return TaskResult::Failure("Boom", "once");
    return TaskResult::Success(r.input);
  }
};

TEST_P(RunStoreTest, ObserverRecordsStatesAttemptsAndLoops) {
  auto store = Open();
  ASSERT_TRUE(store);
  // Loop: T runs twice (the second time after Count's choice), failing once the first time.
  auto machine = LoadDefinition(R"J({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"strata:command","ResultPath":null,
           "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":1,"MaxAttempts":1}],"Next":"C"},
      "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":0,"Next":"Again"}],
           "Default":"Done"},
      "Again":{"Type":"Pass","Result":1,"ResultPath":"$.n","Next":"T"},
      "Done":{"Type":"Succeed"}}})J",
                                DefinitionFormat::kJson, "t")
                     .value();
  FakeClock clock(1'000'000);
  Echo echo;
  InterpreterOptions io;
  io.executor = &echo;
  io.clock = &clock;
  Interpreter interpreter(io);
  ASSERT_TRUE(store->CreateRun(Queued("loop")).ok());
  ASSERT_TRUE(*store->ClaimRun("loop", "w"));
  auto observer = store->NewObserver("loop", "");
  RunOptions ro;
  ro.execution_id = "loop";
  ro.observer = observer.get();
  ExecutionResult r = interpreter.Run(*machine, Json{{"n", 0}, {"fail", true}}, ro);
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded);
  RunEnd end;
  end.status = RunStatus::kSucceeded;
  end.output = r.output;
  ASSERT_TRUE(store->FinishRun("loop", end).ok());
  auto detail = store->GetDetail("loop");
  ASSERT_TRUE(detail.ok()) << detail.status();
  EXPECT_EQ(detail->run.status, "SUCCEEDED");
  std::vector<int> t_entries;
  for (const StateRun& s : detail->states) {
    if (s.state == "T") t_entries.push_back(s.entry);
    EXPECT_EQ(s.status, "SUCCEEDED") << s.state;
  }
  EXPECT_EQ(t_entries, (std::vector<int>{1, 2}));
  // T#1: attempt 1 failed (Boom), attempt 2 succeeded; T#2: attempt 1 failed, 2 succeeded.
  ASSERT_EQ(detail->attempts.size(), 4u);
  EXPECT_EQ(detail->attempts[0].status, "FAILED");
  EXPECT_EQ(detail->attempts[0].error, "Boom");
  EXPECT_EQ(detail->attempts[1].status, "SUCCEEDED");
  EXPECT_EQ(detail->attempts[1].attempt, 2);
  EXPECT_EQ(detail->events.front().type, "ExecutionStarted");
  EXPECT_EQ(detail->events.back().type, "ExecutionSucceeded");
  for (size_t i = 0; i < detail->events.size(); ++i) {
    EXPECT_EQ(detail->events[i].seq, static_cast<int64_t>(i + 1));
  }
}

// A catalog migrated before the run store owned its schema (catalog migrations 3 and 5 made the
// orch_* tables; no orch_schema_migrations) keeps its runs and goes on working: the store adopts
// the tables instead of creating them again.
TEST_P(RunStoreTest, AdoptsTheTablesOfACatalogMigratedBefore) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->CreateRun(Queued("old")).ok());
  }
  {
    auto raw = catalog::OpenStore(location_);
    ASSERT_TRUE(raw.ok()) << raw.status();
    ASSERT_TRUE(catalog::Migrate(**raw).ok());
    // What a catalog of the previous layout holds: its own ledger with versions 1-5 (3 and 5
    // made the orch_* tables), no ledger of the run store.
    ASSERT_TRUE((*raw)->Execute("DROP TABLE orch_schema_migrations").ok());
    ASSERT_TRUE((*raw)
                    ->Execute("UPDATE schema_migrations SET name = 'orchestrator runs, states, "
                              "task attempts, events and trigger firings' WHERE version = 3")
                    .ok());
  }
  auto store = Open();
  ASSERT_TRUE(store);
  auto old = store->LoadRun("old");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->summary.status, RunStatus::kQueued);
  ASSERT_TRUE(store->CreateRun(Queued("new")).ok());
  EXPECT_TRUE(store->AdvanceCursor("k", 3).ok());
  auto raw = catalog::OpenStore(location_);
  ASSERT_TRUE(raw.ok());
  auto ledger = (*raw)->Query("SELECT version, name FROM orch_schema_migrations ORDER BY version");
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  ASSERT_EQ(ledger->size(), 2u);
  EXPECT_NE((*ledger)[0].Text(1).find("adopted"), std::string::npos);
  // The catalog itself opens as before.
  EXPECT_TRUE(catalog::Catalog::Open(location_).ok());
}

INSTANTIATE_TEST_SUITE_P(Stores, RunStoreTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Postgres" : "Sqlite"; });

}  // namespace
}  // namespace strata::orchestrator::service
