// Scheduling overhead of the orchestrator per task, and a 10,000-task Map's memory, against
// the bare interpreter (and bare process starts) in the same run:
//
//  1. A chain of Task states whose results are small (what strata steps return: counts,
//     ids): bare interpreter vs every event recorded in a SQLite run store (orch_runs,
//     states, attempts, events, written by the store's batching writer thread and flushed
//     before the clock stops). Target: the store adds well under 5 ms per task.
//  2. The same chain with state data that grows by one copy of the task input per state
//     (echoed results under ResultPath): how the cost follows the size of the state data.
//  3. The product path: `OrchestratorService` running a pipeline of N `strata:command` tasks
//     (`true`, fork/exec, stdin JSON, a log file per attempt, the run store) against starting
//     `true` N times by hand. Target: under 5 ms of orchestration per task.
//  4. A Map of 10,000 tasks in a child process each (bare, with the run store, and the store
//     with 1,000 items): time per item and peak RSS. Target: it finishes, and memory grows by
//     under 20 KB per item (no blow-up: the writer queue is bounded, results are O(items)).
//
//   build/bench/orchestrator_service_bench [tasks=500] [map_items=10000] [parts=1234]
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "orchestrator/interpreter.h"
#include "orchestrator/loader.h"
#include "orchestrator/service/command.h"
#include "orchestrator/service/run_store.h"
#include "orchestrator/service/service.h"

extern char** environ;

namespace strata::orchestrator::service {
namespace {

// Returns what a strata step returns: a small object, whatever the input.
class SmallResultExecutor final : public TaskExecutor {
 public:
  TaskResult Execute(const TaskRequest&, TaskContext&) override {
    return TaskResult::Success(Json{{"rows", 1234}, {"status", "SUCCEEDED"}, {"run_record", "r"}});
  }
};

// Returns its input: under ResultPath each state's data holds all earlier ones.
class EchoExecutor final : public TaskExecutor {
 public:
  TaskResult Execute(const TaskRequest& request, TaskContext&) override {
    return TaskResult::Success(request.input);
  }
};

std::string Name(int i) { return "T" + std::to_string(i); }

std::shared_ptr<const StateMachine> TaskChain(int n) {
  Json states = Json::object();
  for (int i = 0; i < n; ++i) {
    Json s = {{"Type", "Task"}, {"Resource", "strata:command"}, {"ResultPath", "$.last"}};
    if (i + 1 < n) {
      s["Next"] = Name(i + 1);
    } else {
      s["End"] = true;
    }
    states[Name(i)] = s;
  }
  return BuildStateMachine(Json{{"StartAt", "T0"}, {"States", states}}).value();
}

std::shared_ptr<const StateMachine> TaskMap() {
  return LoadDefinition(R"J({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
      "MaxConcurrency":8,"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"strata:command","End":true}}},"End":true}}})J",
                        DefinitionFormat::kJson, "bench")
      .value();
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double Median(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

template <typename Fn>
double Median(int rounds, Fn fn) {
  std::vector<double> t;
  for (int i = 0; i < rounds; ++i) t.push_back(fn());
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

std::string TempDir() {
  std::string dir = (std::filesystem::temp_directory_path() / "strata-orch-bench-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) std::abort();
  return dir;
}

// Runs state machines bare or recorded in one run store.
class Runner {
 public:
  Runner(RunStore* store, TaskExecutor* executor) : store_(store) {
    InterpreterOptions io;
    io.executor = executor;
    io.max_threads = 4;
    interpreter_ = std::make_unique<Interpreter>(io);
  }
  // Seconds for one run, flushed to the database when recorded.
  double Run(const StateMachine& machine, const Json& input, bool recorded) {
    auto start = std::chrono::steady_clock::now();
    RunOptions ro;
    std::unique_ptr<ExecutionObserver> observer;
    if (recorded) {
      static int runs = 0;  // unique across Runners sharing a store
      ro.execution_id = "bench-" + std::to_string(++runs);
      NewRun nr{ro.execution_id, "bench", "manual", "", "", "", "", Json::object(), input};
      if (!store_->CreateRun(nr).ok() || !store_->ClaimRun(ro.execution_id, "bench").ok()) {
        std::abort();
      }
      observer = store_->NewObserver(ro.execution_id, "");
      ro.observer = observer.get();
    }
    ExecutionResult r = interpreter_->Run(machine, input, ro);
    if (r.status != ExecutionStatus::kSucceeded) std::abort();
    if (recorded) {
      RunEnd end;
      end.status = RunStatus::kSucceeded;
      end.output = r.output;
      if (!store_->FinishRun(ro.execution_id, end).ok()) std::abort();
      store_->Flush();
    }
    return Seconds(start);
  }

 private:
  RunStore* store_;
  std::unique_ptr<Interpreter> interpreter_;
};

bool Check(const char* what, bool ok) {
  std::printf("%s: %s\n", ok ? "PASS" : "FAIL", what);
  return ok;
}

// --- 4. the Map, in a child process so its peak RSS is its own -------------------------------

int MapChild(bool recorded, int items) {
  std::string dir = TempDir();
  std::unique_ptr<RunStore> store;
  if (recorded) {
    auto opened = RunStore::Open(dir + "/catalog.db", nullptr);
    if (!opened.ok()) return 1;
    store = std::move(*opened);
  }
  SmallResultExecutor executor;
  Runner runner(store.get(), &executor);
  Json list = Json::array();
  for (int i = 0; i < items; ++i) list.push_back({{"id", i}, {"file", "f" + std::to_string(i)}});
  double seconds = runner.Run(*TaskMap(), Json{{"items", list}}, recorded);
  store.reset();
  std::filesystem::remove_all(dir);
  // VmHWM, not getrusage: ru_maxrss survives exec, so a child spawned by a big parent would
  // report the parent's size.
  long hwm_kb = -1;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) hwm_kb = std::atol(line.c_str() + 6);
  }
  std::printf("%d %.6f %ld\n", items, seconds, hwm_kb);
  return 0;
}

struct MapResult {
  double seconds = 0;
  long rss_kb = 0;
  bool ok = false;
};

MapResult SpawnMap(bool recorded, int items) {
  std::string out = TempDir();
  std::string file = out + "/out.txt";
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::string mode = recorded ? "store" : "bare";
  std::string n = std::to_string(items);
  std::vector<char*> argv = {self.data(), const_cast<char*>("--map-child"), mode.data(), n.data(),
                             nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  MapResult r;
  if (posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), environ) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    std::ifstream in(file);
    int got = 0;
    r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && (in >> got >> r.seconds >> r.rss_kb) &&
           got == items;
  }
  posix_spawn_file_actions_destroy(&actions);
  std::filesystem::remove_all(out);
  return r;
}

// --- 3. the product path -------------------------------------------------------------------

double SpawnTrueTimes(int n) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    pid_t pid = 0;
    char* argv[] = {const_cast<char*>("true"), nullptr};
    if (posix_spawnp(&pid, "true", nullptr, nullptr, argv, environ) != 0) std::abort();
    int status = 0;
    waitpid(pid, &status, 0);
  }
  return Seconds(start);
}

// Seconds for the service to run a pipeline of `n` `true` commands, or < 0 on failure.
double ServiceChain(OrchestratorService& service, const std::string& pipeline) {
  auto start = std::chrono::steady_clock::now();
  auto id = service.StartRun(pipeline, Json::object());
  if (!id.ok()) return -1;
  auto done = service.WaitRun(*id);
  if (!done.ok() || done->status != "SUCCEEDED") {
    std::fprintf(
        stderr, "service run: %s\n",
        done.ok() ? (done->error + " " + done->cause).c_str() : done.status().ToString().c_str());
    return -1;
  }
  return Seconds(start);
}

int Main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--map-child") == 0) {
    return MapChild(std::strcmp(argv[2], "store") == 0, std::atoi(argv[3]));
  }
  const int tasks = argc > 1 ? std::atoi(argv[1]) : 500;
  const int items = argc > 2 ? std::atoi(argv[2]) : 10000;
  const std::string parts = argc > 3 ? argv[3] : "1234";  // which measurements to run
  auto part = [&](char c) { return parts.find(c) != std::string::npos; };
  bool ok = true;
  std::string dir = TempDir();
  auto store = RunStore::Open(dir + "/catalog.db", nullptr);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }

  // 1. Small results.
  if (part('1')) {
    SmallResultExecutor executor;
    Runner runner(store->get(), &executor);
    auto chain = TaskChain(tasks);
    Json input = {{"payload", std::string(1000, 'x')}};
    runner.Run(*chain, input, false);  // warm up
    runner.Run(*chain, input, true);
    double bare = Median(5, [&] { return runner.Run(*chain, input, false); }) * 1e3 / tasks;
    double stored = Median(5, [&] { return runner.Run(*chain, input, true); }) * 1e3 / tasks;
    std::printf(
        "chain of %d tasks, 1 KB state data: bare interpreter %.4f ms/task, with run store %.4f "
        "ms/task (ratio %.1fx); the store adds %.4f ms/task\n",
        tasks, bare, stored, stored / bare, stored - bare);
    ok &= Check("run store adds < 5 ms per task (chain, 1 KB state)", stored - bare < 5.0);
  }

  // 2. Growing state data.
  if (part('2')) {
    EchoExecutor executor;
    Runner runner(store->get(), &executor);
    const int n = tasks;
    auto chain = TaskChain(n);
    Json input = {{"payload", std::string(200, 'x')}};
    double bare = Median(3, [&] { return runner.Run(*chain, input, false); }) * 1e3 / n;
    double stored = Median(3, [&] { return runner.Run(*chain, input, true); }) * 1e3 / n;
    // State i holds i copies of the ~230-byte payload level: the average is n/2 of them.
    double avg_kb = n / 2.0 * 0.23;
    std::printf(
        "chain of %d tasks, state data growing to %.0f KB (avg %.0f KB): bare %.4f ms/task, with "
        "run store %.4f ms/task (ratio %.1fx); %.4f ms per task per 100 KB of state data\n",
        n, n * 0.23, avg_kb, bare, stored, stored / bare, (stored - bare) / avg_kb * 100);
  }

  // 3. The product path: OrchestratorService + strata:command.
  if (part('3')) {
    std::string project = dir + "/project";
    std::filesystem::create_directories(project + "/pipelines");
    std::ofstream(project + "/strata.yaml") << "name: bench\ncatalog: " << dir << "/service.db\n";
    const int n = std::min(tasks, 200);
    std::ofstream yaml(project + "/pipelines/chain.yaml");
    yaml << "StartAt: T0\nStates:\n";
    for (int i = 0; i < n; ++i) {
      yaml << "  " << Name(i) << ":\n    Type: Task\n    Resource: strata:command\n"
           << "    Parameters: {command: [\"true\"]}\n    ResultPath: $.last\n"
           << (i + 1 < n ? "    Next: " + Name(i + 1) + "\n" : "    End: true\n");
    }
    yaml.close();
    auto service = OrchestratorService::Open({.project_dir = project});
    if (!service.ok()) {
      std::fprintf(stderr, "%s\n", service.status().ToString().c_str());
      return 1;
    }
    SpawnTrueTimes(20);
    (void)ServiceChain(**service, "chain");  // warm up
    // The command runner alone (pipes, poll, log file, reaping) splits the cost. The three are
    // interleaved round by round so a busy machine slows them alike.
    CommandSpec spec;
    spec.argv = {"true"};
    spec.log_path = dir + "/cmd.log";
    CancellationSource never;
    std::vector<double> bares, runners, fulls;
    for (int round = 0; round < 5; ++round) {
      bares.push_back(SpawnTrueTimes(n) * 1e3 / n);
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < n; ++i) {
        if (!RunCommand(spec, never.Token(), {}).ok()) std::abort();
      }
      runners.push_back(Seconds(start) * 1e3 / n);
      fulls.push_back(ServiceChain(**service, "chain") * 1e3 / n);
    }
    double bare = Median(bares), runner = Median(runners), full = Median(fulls);
    std::printf("  (the command runner alone: %.3f ms/task)\n", runner);
    std::printf(
        "pipeline of %d strata:command tasks (`true`): starting `true` by hand %.3f ms/task, "
        "through OrchestratorService %.3f ms/task (ratio %.2fx); orchestration %.3f ms/task\n",
        n, bare, full, full / bare, full - bare);
    ok &= Check("orchestration < 5 ms per command task (service, run store, logs)",
                full > 0 && full - bare < 5.0);
  }

  // 4. The 10,000-task Map.
  if (part('4')) {
    MapResult bare = SpawnMap(false, items);
    MapResult small = SpawnMap(true, items / 10);
    MapResult big = SpawnMap(true, items);
    std::printf(
        "map of %d tasks: bare %.4f ms/item, peak RSS %.1f MB; with run store %.4f ms/item "
        "(ratio %.1fx), peak RSS %.1f MB (%.1f MB with %d items)\n",
        items, bare.seconds * 1e3 / items, bare.rss_kb / 1024.0, big.seconds * 1e3 / items,
        big.seconds / bare.seconds, big.rss_kb / 1024.0, small.rss_kb / 1024.0, items / 10);
    double per_item_kb = static_cast<double>(big.rss_kb - small.rss_kb) / (items - items / 10);
    std::printf("memory per Map item with the run store: %.2f KB (store/bare peak RSS %.2fx)\n",
                per_item_kb, static_cast<double>(big.rss_kb) / bare.rss_kb);
    ok &= Check("the Map finishes bare and with the run store", bare.ok && small.ok && big.ok);
    ok &= Check("Map memory grows < 20 KB per item with the run store", per_item_kb < 20.0);
    ok &= Check("Map with the run store adds < 5 ms per task",
                (big.seconds - bare.seconds) * 1e3 / items < 5.0);
  }
  store->reset();
  std::filesystem::remove_all(dir);
  std::printf("%s\n", ok ? "all targets met" : "SOME TARGETS MISSED");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace strata::orchestrator::service

int main(int argc, char** argv) { return strata::orchestrator::service::Main(argc, argv); }
