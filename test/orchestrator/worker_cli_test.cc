// strata worker as a user meets it, on a SQLite catalog and on a real PostgreSQL server (started
// on loopback as an unprivileged user by catalog_test_util.h): runs queued with
// `strata pipeline run NAME --queue` are executed by two worker processes, each exactly once;
// a worker killed with SIGKILL in the middle of a run is noticed by the other one (no
// heartbeat), the run is marked FAILED (Strata.WorkerLost) and resumed from the state it was in.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "catalog/catalog_test_util.h"
#include "orchestrator/background.h"
#include "pipeline/project_test_util.h"
#include "test_util.h"

namespace strata::test {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// A writes the run id to marks/a.txt; B writes "<run id> <its shell's pid>" to b_start.txt,
// waits while marks/block exists, then writes the run id to b_done.txt.
constexpr const char* kPipeline = R"(description: two steps for the worker tests
owner: tests
StartAt: A
States:
  A:
    Type: Task
    Resource: strata:command
    Parameters:
      command: 'echo "$STRATA_RUN_ID" >> marks/a.txt; echo "{\"a\": 1}"'
    ResultPath: $.a
    Next: B
  B:
    Type: Task
    Resource: strata:command
    Parameters:
      command: 'echo "$STRATA_RUN_ID $$" >> marks/b_start.txt; while [ -f marks/block ]; do sleep 0.1; done; sleep 0.2; echo "$STRATA_RUN_ID" >> marks/b_done.txt'
    ResultPath: $.b
    End: true
)";

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(ReadFile(path));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

class WorkerCliTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    project_ = dir_.path() + "/p";
    std::string yaml = "name: p\n";
    if (GetParam()) {
      auto& pg = catalog::testing::PgTestServer::Get();
      ASSERT_TRUE(pg.ok()) << pg.error();
      std::string url = pg.CreateDatabase();
      ASSERT_FALSE(url.empty());
      yaml += "catalog: " + url + "\n";
    }
    WriteText(project_ + "/strata.yaml", yaml);
    WriteText(project_ + "/pipelines/two_steps.yaml", kPipeline);
    fs::create_directories(project_ + "/marks");
  }

  std::unique_ptr<Background> StartWorker(const std::string& name) {
    auto w = std::make_unique<Background>(
        dir_.path(),
        std::vector<std::string>{"worker", "--project", project_, "--name", name, "--concurrency",
                                 "2", "--poll", "0.2", "--lost-after", "5", "--heartbeat", "0.5"},
        name);
    Background* raw = w.get();
    EXPECT_TRUE(Eventually(60, [&] {
      return raw->err().find("executing queued runs") != std::string::npos;
    })) << raw->err();
    return w;
  }

  std::string Queue(const std::string& input = "{}") {
    CommandResult r = RunStrata(
        {"pipeline", "run", "two_steps", "--queue", "--input", input, "--project", project_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string id = r.out.substr(0, r.out.find('\n'));
    EXPECT_FALSE(id.empty()) << r.out;
    return id;
  }

  Json Runs() {
    CommandResult r = RunStrata({"runs", "list", "--project", project_, "--json"});
    if (r.exit_code != 0) return Json::array();
    Json j = Json::parse(r.out, nullptr, false);
    return j.is_discarded() ? Json::array() : j;
  }

  std::map<std::string, Json> RunsById() {
    std::map<std::string, Json> out;
    for (const Json& r : Runs()) out[r["run_id"].get<std::string>()] = r;
    return out;
  }

  TempDir dir_;
  std::string project_;
};

TEST_P(WorkerCliTest, TwoWorkersRunEachQueuedRunExactlyOnce) {
  auto w1 = StartWorker("w1");
  auto w2 = StartWorker("w2");
  // Runs hold at B until four of them are in B at once: each worker takes two at a time, so both
  // have claimed runs by then, however fast one of them polls or the runs are queued.
  WriteText(project_ + "/marks/block", "");
  std::set<std::string> queued;
  for (int i = 0; i < 8; ++i) queued.insert(Queue());
  ASSERT_EQ(queued.size(), 8u);
  ASSERT_TRUE(Eventually(60, [&] { return Lines(project_ + "/marks/b_start.txt").size() >= 4; }))
      << w1->err() << w2->err();
  fs::remove(project_ + "/marks/block");
  // Queued, not run by the command that queued them.
  bool all_done = Eventually(120, [&] {
    auto runs = RunsById();
    int done = 0;
    for (const std::string& id : queued)
      done += runs.count(id) && runs[id]["status"] == "SUCCEEDED";
    return done == 8;
  });
  auto runs = RunsById();
  ASSERT_TRUE(all_done) << Runs().dump(2) << w1->err() << w2->err();
  std::set<std::string> workers;
  for (const std::string& id : queued) workers.insert(runs[id]["worker"].get<std::string>());
  EXPECT_EQ(workers, (std::set<std::string>{"w1", "w2"}));
  // Each run's steps ran once: one line per run in each mark file.
  for (const char* mark : {"a.txt", "b_done.txt"}) {
    std::vector<std::string> lines = Lines(project_ + "/marks/" + mark);
    EXPECT_EQ(lines.size(), 8u) << mark;
    EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()), queued) << mark;
  }
  EXPECT_EQ(runs.size(), 8u);  // no extra (recovered) runs
  w1->Signal(SIGTERM);
  w2->Signal(SIGTERM);
  EXPECT_EQ(w1->Wait(30), 0) << w1->err();
  EXPECT_EQ(w2->Wait(30), 0) << w2->err();
  EXPECT_NE(w1->err().find("finished run"), std::string::npos) << w1->err();
}

TEST_P(WorkerCliTest, AKilledWorkersRunIsMarkedLostAndResumedByTheOther) {
  std::map<std::string, std::unique_ptr<Background>> workers;
  workers["w1"] = StartWorker("w1");
  workers["w2"] = StartWorker("w2");
  WriteText(project_ + "/marks/block", "");
  const std::string id = Queue();
  // B is running (blocked) in one of the workers.
  ASSERT_TRUE(Eventually(60, [&] { return !Lines(project_ + "/marks/b_start.txt").empty(); }))
      << workers["w1"]->err() << workers["w2"]->err();
  std::string owner = RunsById()[id]["worker"];
  ASSERT_TRUE(owner == "w1" || owner == "w2") << owner;
  const std::string survivor = owner == "w1" ? "w2" : "w1";
  // The worker dies, and with it its command (a lost host takes its processes along).
  workers[owner]->Signal(SIGKILL);
  EXPECT_EQ(workers[owner]->Wait(10), 128 + SIGKILL);
  std::istringstream first(Lines(project_ + "/marks/b_start.txt")[0]);
  std::string started_id;
  pid_t shell = 0;
  first >> started_id >> shell;
  EXPECT_EQ(started_id, id);
  ASSERT_GT(shell, 0);
  kill(-shell, SIGKILL);
  fs::remove(project_ + "/marks/block");

  std::string recovered;
  bool done = Eventually(90, [&] {
    for (const Json& r : Runs()) {
      if (r["resumed_from"] == id && r["status"] == "SUCCEEDED") {
        recovered = r["run_id"];
        return true;
      }
    }
    return false;
  });
  ASSERT_TRUE(done) << Runs().dump(2) << workers[survivor]->err();
  auto runs = RunsById();
  const Json& lost = runs[id];
  EXPECT_EQ(lost["status"], "FAILED");
  EXPECT_EQ(lost["error"], "Strata.WorkerLost");
  EXPECT_NE(lost["cause"].get<std::string>().find("worker " + owner + " stopped heartbeating"),
            std::string::npos)
      << lost["cause"];
  const Json& again = runs[recovered];
  EXPECT_EQ(again["trigger"], "recover");
  EXPECT_EQ(again["worker"], survivor);
  EXPECT_EQ(runs.size(), 2u);
  // Resumed at B with the input B had: A did not run again, B finished once.
  EXPECT_EQ(Lines(project_ + "/marks/a.txt"), std::vector<std::string>{id});
  EXPECT_EQ(Lines(project_ + "/marks/b_done.txt"), std::vector<std::string>{recovered});
  CommandResult show = RunStrata({"runs", "show", recovered, "--project", project_, "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  Json detail = Json::parse(show.out);
  for (const Json& s : detail["states"]) EXPECT_NE(s["state"], "A");
  EXPECT_EQ(detail["output"]["a"], (Json{{"a", 1}})) << detail["output"];
  EXPECT_NE(workers[survivor]->err().find("stopped heartbeating"), std::string::npos)
      << workers[survivor]->err();
  workers[survivor]->Signal(SIGTERM);
  EXPECT_EQ(workers[survivor]->Wait(30), 0) << workers[survivor]->err();
}

INSTANTIATE_TEST_SUITE_P(Catalogs, WorkerCliTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Postgres" : "Sqlite"; });

TEST(WorkerCliBadInputTest, ClearErrors) {
  TempDir dir;
  const std::string project = dir.path() + "/p";
  WriteText(project + "/strata.yaml", "name: p\n");
  WriteText(project + "/pipelines/two_steps.yaml", kPipeline);
  CommandResult r =
      RunStrata({"worker", "--project", project, "--lost-after", "2", "--heartbeat", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--lost-after must be at least 3 times --heartbeat"), std::string::npos)
      << r.err;
  r = RunStrata({"pipeline", "run", "two_step", "--queue", "--project", project});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("pipeline 'two_step' not found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("two_steps"), std::string::npos) << r.err;  // did you mean
  r = RunStrata({"pipeline", "run", "two_steps", "--wait", "--project", project});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--wait goes with --queue"), std::string::npos) << r.err;
  r = RunStrata({"worker", "--project", dir.path() + "/nowhere"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("strata.yaml not found"), std::string::npos) << r.err;
  // Nothing was queued by the failed commands.
  r = RunStrata({"runs", "list", "--project", project, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out).size(), 0u);
}

}  // namespace
}  // namespace strata::test
