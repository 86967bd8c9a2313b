// Interpreter behaviour beyond the AWS conformance cases: tasks, retry timing (FakeClock),
// catch, timeouts, heartbeats, cancellation, Map concurrency and scale, events, resume.
#include "orchestrator/interpreter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "orchestrator/choice.h"
#include "orchestrator/loader.h"

namespace strata::orchestrator {
namespace {

using Fn = std::function<TaskResult(const TaskRequest&, TaskContext&)>;

class FnExecutor final : public TaskExecutor {
 public:
  explicit FnExecutor(Fn fn) : fn_(std::move(fn)) {}
  TaskResult Execute(const TaskRequest& request, TaskContext& ctx) override {
    return fn_(request, ctx);
  }

 private:
  Fn fn_;
};

class Recorder final : public ExecutionObserver {
 public:
  void OnEvent(const ExecutionEvent& e) override {
    std::lock_guard lock(mu_);
    events_.push_back(e);
  }
  std::vector<ExecutionEvent> Events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::vector<ExecutionEvent> OfType(EventType t) {
    std::vector<ExecutionEvent> out;
    for (auto& e : Events()) {
      if (e.type == t) out.push_back(e);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<ExecutionEvent> events_;
};

std::shared_ptr<const StateMachine> Machine(const std::string& json) {
  auto m = LoadDefinition(json, DefinitionFormat::kAuto, "test");
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : nullptr;
}

constexpr int64_t kStart = 1'700'000'000'000'000;

struct Harness {
  explicit Harness(Fn fn, int threads = 4) : executor(std::move(fn)) {
    InterpreterOptions o;
    o.executor = &executor;
    o.clock = &clock;
    o.max_threads = threads;
    o.random = [this] { return random_value; };
    interpreter = std::make_unique<Interpreter>(o);
  }
  ExecutionResult Run(const StateMachine& m, const Json& input, RunOptions opts = {}) {
    opts.observer = &recorder;
    return interpreter->Run(m, input, opts);
  }
  FakeClock clock{kStart};
  FnExecutor executor;
  Recorder recorder;
  double random_value = 0.5;
  std::unique_ptr<Interpreter> interpreter;
};

TEST(Interpreter, TaskIoProcessing) {
  Harness h([](const TaskRequest& r, TaskContext&) {
    EXPECT_EQ(r.resource, "strata:command");
    return TaskResult::Success(
        {{"sum", r.input["a"].get<int>() + r.input["b"].get<int>()}, {"noise", 1}});
  });
  auto m = Machine(R"J({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"strata:command",
      "InputPath":"$.args","Parameters":{"a.$":"$.x","b":2},
      "ResultSelector":{"total.$":"$.sum"},"ResultPath":"$.out","OutputPath":"$.out","End":true}}})J");
  auto r = h.Run(*m, {{"args", {{"x", 40}}}});
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded) << r.error.value_or("") << r.cause.value_or("");
  EXPECT_EQ(r.output, Json::parse(R"J({"total":42})J"));
}

constexpr char kRetryMachine[] = R"J({"StartAt":"T","States":{"T":{"Type":"Task",
    "Resource":"strata:command","Retry":[{"ErrorEquals":["Other"],"MaxAttempts":9},
    {"ErrorEquals":["Flaky"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":4,
     "MaxDelaySeconds":10%s}],"End":true}}})J";

std::string RetryMachine(const std::string& extra = "") {
  char buf[1024];
  std::snprintf(buf, sizeof(buf), kRetryMachine, extra.c_str());
  return buf;
}

TEST(Interpreter, RetryBackoffAndMaxDelayWithFakeClock) {
  std::atomic<int> calls{0};
  Harness h([&](const TaskRequest& r, TaskContext&) {
    EXPECT_EQ(r.attempt, calls + 1);
    if (++calls <= 4) return TaskResult::Failure("Flaky", "try again");
    return TaskResult::Success("done");
  });
  auto m = Machine(RetryMachine());
  auto r = h.Run(*m, Json::object());
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(calls, 5);
  std::vector<int64_t> delays;
  for (auto& e : h.recorder.OfType(EventType::kRetryScheduled)) delays.push_back(e.delay_micros);
  // 2s, 2*3=6s, 18s capped to 10s, 54s capped to 10s.
  EXPECT_THAT(delays, testing::ElementsAre(2'000'000, 6'000'000, 10'000'000, 10'000'000));
  EXPECT_EQ(h.clock.NowMicros() - kStart, 28'000'000);
  EXPECT_EQ(h.recorder.OfType(EventType::kTaskFailed).size(), 4u);
}

TEST(Interpreter, RetryExhaustionFailsWithTheTaskError) {
  std::atomic<int> calls{0};
  Harness h([&](const TaskRequest&, TaskContext&) {
    ++calls;
    return TaskResult::Failure("Flaky", "still broken");
  });
  auto r = h.Run(*Machine(RetryMachine()), Json::object());
  ASSERT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error, "Flaky");
  EXPECT_EQ(r.cause, "still broken");
  EXPECT_EQ(calls, 5);  // 1 + MaxAttempts
  EXPECT_EQ(r.failed_state, "T");
}

TEST(Interpreter, FullJitterStaysWithinBounds) {
  std::atomic<int> calls{0};
  Harness h([&](const TaskRequest&, TaskContext&) {
    return ++calls <= 4 ? TaskResult::Failure("Flaky") : TaskResult::Success(1);
  });
  h.random_value = 0.25;
  auto r = h.Run(*Machine(RetryMachine(R"J(,"JitterStrategy":"FULL")J")), Json::object());
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded);
  std::vector<int64_t> delays;
  for (auto& e : h.recorder.OfType(EventType::kRetryScheduled)) delays.push_back(e.delay_micros);
  EXPECT_THAT(delays, testing::ElementsAre(500'000, 1'500'000, 2'500'000, 2'500'000));

  // With real randomness every delay lies in [0, capped backoff].
  InterpreterOptions o;
  FakeClock clock(kStart);
  std::atomic<int> n{0};
  FnExecutor ex([&](const TaskRequest&, TaskContext&) {
    return ++n % 5 != 0 ? TaskResult::Failure("Flaky") : TaskResult::Success(1);
  });
  o.executor = &ex;
  o.clock = &clock;
  Interpreter interp(o);
  Recorder rec;
  RunOptions ro;
  ro.observer = &rec;
  auto machine = Machine(RetryMachine(R"J(,"JitterStrategy":"FULL")J"));
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(interp.Run(*machine, 1, ro).status, ExecutionStatus::kSucceeded);
  const int64_t caps[] = {2'000'000, 6'000'000, 10'000'000, 10'000'000};
  auto retries = rec.OfType(EventType::kRetryScheduled);
  ASSERT_EQ(retries.size(), 80u);
  for (size_t i = 0; i < retries.size(); ++i) {
    EXPECT_GE(retries[i].delay_micros, 0);
    EXPECT_LE(retries[i].delay_micros, caps[i % 4]);
  }
}

TEST(Interpreter, CatchRoutesErrorsAndKeepsInputWithResultPath) {
  Harness h([](const TaskRequest&, TaskContext&) { return TaskResult::Failure("Boom", "why"); });
  auto m = Machine(R"J({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"strata:command","Next":"Done",
           "Catch":[{"ErrorEquals":["Other"],"Next":"Done"},
                    {"ErrorEquals":["States.TaskFailed","Boom"],"ResultPath":"$.err","Next":"Handle"}]},
      "Handle":{"Type":"Pass","End":true},"Done":{"Type":"Succeed"}}})J");
  auto r = h.Run(*m, {{"keep", 1}});
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.output, Json::parse(R"J({"keep":1,"err":{"Error":"Boom","Cause":"why"}})J"));
  auto caught = h.recorder.OfType(EventType::kErrorCaught);
  ASSERT_EQ(caught.size(), 1u);
  EXPECT_EQ(caught[0].next, "Handle");
}

TEST(Interpreter, StatesAllDoesNotCatchRuntimeErrors) {
  Harness h([](const TaskRequest&, TaskContext&) { return TaskResult::Success(1); });
  auto m = Machine(R"J({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"strata:command","InputPath":"$.missing","End":true,
           "Catch":[{"ErrorEquals":["States.ALL"],"Next":"H"}]},"H":{"Type":"Succeed"}}})J");
  auto r = h.Run(*m, Json::object());
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error, "States.Runtime");
}

TEST(Interpreter, TaskTimeoutCancelsTheTask) {
  std::atomic<bool> saw_cancel{false};
  Harness h([&](const TaskRequest& r, TaskContext& ctx) {
    EXPECT_EQ(r.timeout_seconds, 5);
    static_cast<FakeClock&>(ctx.clock()).Advance(6'000'000);
    saw_cancel = ctx.cancellation().WaitFor(10'000'000);
    return TaskResult::Success("too late");
  });
  auto m = Machine(R"J({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"strata:command",
      "TimeoutSeconds":5,"End":true}}})J");
  auto r = h.Run(*m, Json::object());
  EXPECT_TRUE(saw_cancel);
  ASSERT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error, "States.Timeout");
}

TEST(Interpreter, HeartbeatTimeout) {
  Harness h([&](const TaskRequest&, TaskContext& ctx) {
    auto& clock = static_cast<FakeClock&>(ctx.clock());
    for (int i = 0; i < 3; ++i) {
      clock.Advance(1'000'000);
      ctx.Heartbeat();
    }
    EXPECT_FALSE(ctx.cancellation().IsCancelled());
    clock.Advance(3'000'000);  // silence longer than HeartbeatSeconds
    ctx.cancellation().WaitFor(10'000'000);
    return TaskResult::Success(1);
  });
  auto m = Machine(R"J({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"strata:command",
      "TimeoutSeconds":100,"HeartbeatSeconds":2,"End":true}}})J");
  auto r = h.Run(*m, Json::object());
  EXPECT_EQ(r.error, "States.HeartbeatTimeout");
}

TEST(Interpreter, CancellationStopsRunningTasksInAllBranches) {
  std::atomic<int> started{0}, cancelled{0};
  Harness h([&](const TaskRequest&, TaskContext& ctx) {
    ++started;
    if (ctx.cancellation().WaitFor(20'000'000)) ++cancelled;
    return TaskResult::Success(1);
  });
  auto m = Machine(R"J({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"strata:command","End":true}}},
      {"StartAt":"B","States":{"B":{"Type":"Task","Resource":"strata:command","End":true}}}]}}})J");
  CancellationSource cancel;
  std::thread canceller([&] {
    while (started < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    cancel.Cancel("user asked");
  });
  RunOptions opts;
  opts.cancel = cancel.Token();
  auto t0 = std::chrono::steady_clock::now();
  auto r = h.Run(*m, Json::object(), opts);
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(r.status, ExecutionStatus::kAborted);
  EXPECT_EQ(r.cause, "user asked");
  EXPECT_EQ(cancelled, 2);
  EXPECT_EQ(h.recorder.OfType(EventType::kExecutionAborted).size(), 1u);
}

TEST(Interpreter, ExecutionTimeoutSeconds) {
  Harness h([&](const TaskRequest&, TaskContext& ctx) {
    static_cast<FakeClock&>(ctx.clock()).Advance(20'000'000);
    ctx.cancellation().WaitFor(10'000'000);
    return TaskResult::Success(1);
  });
  auto m = Machine(R"J({"TimeoutSeconds":10,"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"strata:command","End":true}}})J");
  auto r = h.Run(*m, Json::object());
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error, "States.Timeout");
}

constexpr char kMapMachine[] = R"J({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
    "MaxConcurrency":%d,"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
    "Resource":"strata:command","End":true}}},"End":true}}})J";

std::string MapMachine(int max_concurrency) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), kMapMachine, max_concurrency);
  return buf;
}

TEST(Interpreter, MapRespectsMaxConcurrency) {
  for (int limit : {1, 3}) {
    std::atomic<int> active{0}, peak{0};
    // With a limit above 1, iterations wait (up to a shared deadline) for a second one to be
    // running, so overlap does not depend on how fast a loaded machine wakes threads.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    Harness h(
        [&](const TaskRequest& r, TaskContext&) {
          int now = ++active;
          int p = peak.load();
          while (now > p && !peak.compare_exchange_weak(p, now)) {
          }
          while (limit > 1 && peak < 2 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(3));
          --active;
          return TaskResult::Success(r.input.get<int>() * 2);
        },
        /*threads=*/8);
    Json items = Json::array();
    for (int i = 0; i < 24; ++i) items.push_back(i);
    auto r = h.Run(*Machine(MapMachine(limit)), {{"items", items}});
    ASSERT_EQ(r.status, ExecutionStatus::kSucceeded);
    EXPECT_EQ(r.output[23], 46);
    EXPECT_LE(peak, limit);
    if (limit > 1) {
      EXPECT_GT(peak, 1) << "iterations never overlapped";
    }
  }
}

TEST(Interpreter, TenThousandItemMapUsesBoundedThreads) {
  std::atomic<int> active{0}, peak{0};
  Harness h(
      [&](const TaskRequest& r, TaskContext&) {
        int now = ++active;
        int p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        --active;
        return TaskResult::Success(r.input.get<int>() + 1);
      },
      /*threads=*/4);
  Json items = Json::array();
  for (int i = 0; i < 10000; ++i) items.push_back(i);
  RunOptions opts;
  auto r = h.interpreter->Run(*Machine(MapMachine(0)), {{"items", items}}, opts);
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded);
  ASSERT_EQ(r.output.size(), 10000u);
  EXPECT_EQ(r.output[9999], 10000);
  EXPECT_LE(peak, 5);  // 4 pool threads + the caller
}

TEST(Interpreter, MapFailureFailsFastAndToleranceCounts) {
  Harness h([](const TaskRequest& r, TaskContext&) {
    return r.input.get<int>() % 5 == 4
               ? TaskResult::Failure("Bad", std::to_string(r.input.get<int>()))
               : TaskResult::Success(r.input);
  });
  Json items = Json::array();
  for (int i = 0; i < 10; ++i) items.push_back(i);
  auto r = h.Run(*Machine(MapMachine(1)), {{"items", items}});
  EXPECT_EQ(r.error, "Bad");
  EXPECT_EQ(r.cause, "4");

  auto tolerant = [](int count) {
    return R"J({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
      "ToleratedFailureCount":)J" +
           std::to_string(count) + R"J(,"ItemProcessor":{"StartAt":"T",
      "States":{"T":{"Type":"Task","Resource":"strata:command","End":true}}},"End":true}}})J";
  };
  auto ok = h.Run(*Machine(tolerant(2)), {{"items", items}});
  ASSERT_EQ(ok.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(ok.output[4], Json::parse(R"J({"Error":"Bad","Cause":"4"})J"));
  auto over = h.Run(*Machine(tolerant(1)), {{"items", items}});
  EXPECT_EQ(over.error, "States.ExceedToleratedFailureThreshold");
}

TEST(Interpreter, EventsCarryScopesInputsAndOutputs) {
  Harness h([](const TaskRequest& r, TaskContext&) { return TaskResult::Success(r.input); });
  auto m = Machine(R"J({"StartAt":"A","States":{"A":{"Type":"Pass","Result":[1,2],"Next":"M"},
      "M":{"Type":"Map","ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"strata:command","End":true}}},"End":true}}})J");
  auto r = h.Run(*m, {{"in", 1}});
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded);
  std::vector<std::string> top;
  std::set<std::string> scopes;
  for (const auto& e : h.recorder.Events()) {
    scopes.insert(e.scope);
    if (e.scope.empty()) top.push_back(std::string(EventTypeName(e.type)) + ":" + e.state);
    EXPECT_EQ(e.execution_id, "exec");
  }
  EXPECT_THAT(top, testing::ElementsAre("ExecutionStarted:", "StateEntered:A", "StateExited:A",
                                        "StateEntered:M", "StateExited:M", "ExecutionSucceeded:"));
  EXPECT_THAT(scopes, testing::UnorderedElementsAre("", "M/0", "M/1"));
  auto entered = h.recorder.OfType(EventType::kStateEntered);
  EXPECT_EQ(entered[0].input, Json::parse(R"J({"in":1})J"));
}

TEST(Interpreter, WaitUsesTheClockAndResumeStartsAtAState) {
  Harness h(nullptr);
  auto m = Machine(R"J({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"Next":"U"},
      "U":{"Type":"Wait","TimestampPath":"$.at","Next":"F"},
      "F":{"Type":"Fail","ErrorPath":"$.e","Cause":"stop"}}})J");
  auto r = h.Run(*m, {{"at", "2023-11-15T00:00:00Z"}, {"e", "E"}});
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error, "E");
  EXPECT_EQ(r.failed_state, "F");
  // 1700000000 + 3600 s, then until 2023-11-15T00:00:00Z (1700006400).
  EXPECT_EQ(h.clock.NowMicros(), 1'700'006'400'000'000);
  RunOptions resume;
  resume.start_at = "F";
  auto again = h.Run(*m, {{"e", "Other"}}, resume);
  EXPECT_EQ(again.error, "Other");
}

TEST(Choice, OperatorsAndErrors) {
  auto m = Machine(R"J({"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[
      {"Variable":"$.s","StringMatches":"log-*.csv","Next":"A"},
      {"And":[{"Variable":"$.t","TimestampGreaterThan":"2020-01-01T00:00:00Z"},
              {"Not":{"Variable":"$.n","NumericLessThanPath":"$.min"}}],"Next":"B"},
      {"Variable":"$.x","IsPresent":false,"Next":"D"}],"Default":"E"},
      "A":{"Type":"Pass","Result":"A","End":true},"B":{"Type":"Pass","Result":"B","End":true},
      "D":{"Type":"Pass","Result":"D","End":true},"E":{"Type":"Pass","Result":"E","End":true}}})J");
  Harness h(nullptr);
  EXPECT_EQ(h.Run(*m, {{"s", "log-1.csv"}}).output, "A");
  EXPECT_EQ(h.Run(*m, {{"s", 1}, {"t", "2021-05-01T10:00:00+02:00"}, {"n", 5}, {"min", 3}}).output,
            "B");
  EXPECT_EQ(h.Run(*m, {{"s", "x"}, {"t", "2019-01-01T00:00:00Z"}, {"n", 5}, {"min", 3}}).output,
            "D");
  EXPECT_EQ(h.Run(*m, {{"s", "x"}, {"t", "x"}, {"n", 1}, {"min", 3}, {"x", 1}}).output, "E");
  auto missing = h.Run(*m, {{"s", "x"}});  // $.t is missing: a runtime error, as in AWS
  EXPECT_EQ(missing.error, "States.Runtime");
  EXPECT_TRUE(StringMatchesPattern("a*b", "a\\*b"));
  EXPECT_FALSE(StringMatchesPattern("axb", "a\\*b"));
  EXPECT_TRUE(StringMatchesPattern("", "*"));
  EXPECT_EQ(ParseTimestampMicros("1970-01-01T00:00:01.5Z"), 1'500'000);
  EXPECT_FALSE(ParseTimestampMicros("2020-13-01T00:00:00Z").has_value());
}

TEST(Interpreter, NoChoiceMatchedAndMissingExecutor) {
  Harness h(nullptr);
  InterpreterOptions o;
  Interpreter no_executor(o);
  auto t = Machine(R"J({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"strata:command",
      "End":true}}})J");
  EXPECT_EQ(no_executor.Run(*t, 1).error, "States.TaskFailed");
  auto c = Machine(R"J({"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[
      {"Variable":"$","NumericEquals":1,"Next":"S"}]},"S":{"Type":"Succeed"}}})J");
  EXPECT_EQ(h.Run(*c, 2).error, "States.NoChoiceMatched");
}

}  // namespace
}  // namespace strata::orchestrator
