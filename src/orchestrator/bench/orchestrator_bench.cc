// Scheduling overhead of the interpreter: a chain of Pass states (per-state cost) and a Map of
// 10,000 trivial Task items (fan-out cost and memory). Prints the peak RSS at the end.
//
//   strata_orchestrator_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdio>
#include <string>

#include "orchestrator/interpreter.h"
#include "orchestrator/loader.h"

namespace strata::orchestrator {
namespace {

// Built with += (not "S" + std::to_string) to dodge GCC 12's -Wrestrict false positive at -O3.
std::string StateName(int i) {
  std::string name = "S";
  name += std::to_string(i);
  return name;
}

std::shared_ptr<const StateMachine> PassChain(int n) {
  Json states = Json::object();
  for (int i = 0; i < n; ++i) {
    Json s = {{"Type", "Pass"}, {"ResultPath", "$.last"}, {"Result", i}};
    if (i + 1 < n) {
      s["Next"] = StateName(i + 1);
    } else {
      s["End"] = true;
    }
    states[StateName(i)] = s;
  }
  Json def = {{"StartAt", "S0"}, {"States", states}};
  return BuildStateMachine(def).value();
}

class EchoExecutor final : public TaskExecutor {
 public:
  TaskResult Execute(const TaskRequest& request, TaskContext&) override {
    return TaskResult::Success(request.input);
  }
};

void BM_PassChain(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto machine = PassChain(n);
  Interpreter interpreter;
  Json input = {{"payload", "x"}};
  for (auto _ : state) {
    ExecutionResult r = interpreter.Run(*machine, input);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["time_per_state"] = benchmark::Counter(
      static_cast<double>(n) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::OneK::kIs1000);
}
BENCHMARK(BM_PassChain)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_Map10kTasks(benchmark::State& state) {
  auto machine = LoadDefinition(R"J({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemsPath":"$.items","MaxConcurrency":0,"ItemProcessor":{"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"strata:command","End":true}}},"End":true}}})J",
                                DefinitionFormat::kJson, "bench")
                     .value();
  EchoExecutor executor;
  InterpreterOptions options;
  options.executor = &executor;
  options.max_threads = static_cast<int>(state.range(0));
  Interpreter interpreter(options);
  Json items = Json::array();
  for (int i = 0; i < 10000; ++i) items.push_back({{"id", i}});
  Json input = {{"items", items}};
  for (auto _ : state) {
    ExecutionResult r = interpreter.Run(*machine, input);
    if (r.status != ExecutionStatus::kSucceeded || r.output.size() != 10000) {
      state.SkipWithError("map failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * 10000);
  state.counters["time_per_item"] = benchmark::Counter(
      10000.0 * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::OneK::kIs1000);
}
BENCHMARK(BM_Map10kTasks)->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace strata::orchestrator

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak RSS: %.1f MiB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);
  return 0;
}
