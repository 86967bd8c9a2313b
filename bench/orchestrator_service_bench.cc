// Per-task overhead of the run store: the same state machines run on the bare interpreter and
// with every event recorded in a SQLite catalog (orch_runs/states/attempts/events, written by
// the store's batching writer thread, flushed before the clock stops). Prints the time per
// task of both, the ratio, and whether the recorded run stays under the 5 ms/task target.
//
//   build/bench/orchestrator_service_bench [tasks=500] [map_items=2000]
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "orchestrator/interpreter.h"
#include "orchestrator/loader.h"
#include "orchestrator/service/run_store.h"

namespace strata::orchestrator::service {
namespace {

class EchoExecutor final : public TaskExecutor {
 public:
  TaskResult Execute(const TaskRequest& request, TaskContext&) override {
    return TaskResult::Success(request.input);
  }
};

std::shared_ptr<const StateMachine> TaskChain(int n) {
  Json states = Json::object();
  for (int i = 0; i < n; ++i) {
    std::string name = "T";
    name += std::to_string(i);
    Json s = {{"Type", "Task"}, {"Resource", "strata:command"}, {"ResultPath", "$.last"}};
    if (i + 1 < n) {
      std::string next = "T";
      next += std::to_string(i + 1);
      s["Next"] = next;
    } else {
      s["End"] = true;
    }
    states[name] = s;
  }
  return BuildStateMachine(Json{{"StartAt", "T0"}, {"States", states}}).value();
}

std::shared_ptr<const StateMachine> TaskMap() {
  return LoadDefinition(R"J({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
      "MaxConcurrency":4,"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"strata:command","End":true}}},"End":true}}})J",
                        DefinitionFormat::kJson, "bench")
      .value();
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Median of `rounds` timings of `fn`.
template <typename Fn>
double Median(int rounds, Fn fn) {
  std::vector<double> t;
  for (int i = 0; i < rounds; ++i) t.push_back(fn());
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

int Main(int argc, char** argv) {
  const int tasks = argc > 1 ? std::atoi(argv[1]) : 500;
  const int items = argc > 2 ? std::atoi(argv[2]) : 2000;
  std::string dir = (std::filesystem::temp_directory_path() / "strata-orch-bench-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) return 1;
  auto store = RunStore::Open(dir + "/catalog.db", nullptr);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  EchoExecutor executor;
  InterpreterOptions io;
  io.executor = &executor;
  io.max_threads = 4;
  Interpreter interpreter(io);
  int run_number = 0;

  auto run = [&](const StateMachine& machine, const Json& input, bool recorded) {
    auto start = std::chrono::steady_clock::now();
    RunOptions ro;
    std::unique_ptr<ExecutionObserver> observer;
    if (recorded) {
      ro.execution_id = "bench-" + std::to_string(++run_number);
      NewRun nr{ro.execution_id, "bench", "manual", "", "", "", "", Json::object(), input};
      (void)(*store)->CreateRun(nr);
      (void)(*store)->ClaimRun(ro.execution_id, "bench");
      observer = (*store)->NewObserver(ro.execution_id, "");
      ro.observer = observer.get();
    }
    ExecutionResult r = interpreter.Run(machine, input, ro);
    if (r.status != ExecutionStatus::kSucceeded) std::abort();
    if (recorded) {
      RunEnd end;
      end.status = "SUCCEEDED";
      end.output = r.output;
      (void)(*store)->FinishRun(ro.execution_id, end);
      (*store)->Flush();
    }
    return Seconds(start);
  };

  auto chain = TaskChain(tasks);
  Json input = {{"payload", std::string(200, 'x')}};
  run(*chain, input, false);  // warm up
  run(*chain, input, true);
  double bare = Median(5, [&] { return run(*chain, input, false); });
  double stored = Median(5, [&] { return run(*chain, input, true); });
  double bare_ms = bare * 1e3 / tasks, stored_ms = stored * 1e3 / tasks;
  std::printf(
      "chain of %d tasks: bare %.4f ms/task, with run store %.4f ms/task, ratio %.1fx, "
      "store adds %.4f ms/task\n",
      tasks, bare_ms, stored_ms, stored_ms / bare_ms, stored_ms - bare_ms);

  auto map = TaskMap();
  Json list = Json::array();
  for (int i = 0; i < items; ++i) list.push_back({{"id", i}});
  Json map_input = {{"items", list}};
  double map_bare = Median(3, [&] { return run(*map, map_input, false); });
  double map_stored = Median(3, [&] { return run(*map, map_input, true); });
  double mb = map_bare * 1e3 / items, ms = map_stored * 1e3 / items;
  std::printf("map of %d tasks: bare %.4f ms/item, with run store %.4f ms/item, ratio %.1fx\n",
              items, mb, ms, ms / mb);
  bool ok = stored_ms < 5.0 && ms < 5.0;
  std::printf("target < 5 ms scheduling overhead per task with the run store: %s\n",
              ok ? "met" : "MISSED");
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace strata::orchestrator::service

int main(int argc, char** argv) { return strata::orchestrator::service::Main(argc, argv); }
