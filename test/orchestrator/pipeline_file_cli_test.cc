// Project files that used to crash or exhaust `strata`: every one must end in an error naming the
// file, quickly, with exit code 1 (issue 15, "No crash from any project file").
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "pipeline/project_test_util.h"
#include "test_util.h"

namespace strata::test {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Ten levels of ten aliases: 10^10 list items once expanded, in under 500 bytes.
std::string AliasBomb() {
  std::string text = "StartAt: A\nStates: {A: {Type: Pass, End: true}}\n";
  text += "x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int level = 1; level <= 9; ++level) {
    std::string prev = "*x" + std::to_string(level - 1);
    text += "x" + std::to_string(level) + ": &x" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) text += (i ? "," : "") + prev;
    text += "]\n";
  }
  return text;
}

class PipelineFileCliTest : public ::testing::Test {
 protected:
  // A project with strata.yaml and one pipeline file `name` holding `text`.
  std::string Project(const std::string& name, const std::string& text) {
    std::string project = dir_.path() + "/p";
    WriteText(project + "/strata.yaml", "name: p\n");
    WriteText(project + "/pipelines/" + name, text);
    return project;
  }
  TempDir dir_;
};

TEST_F(PipelineFileCliTest, IndexBeyondInt64InAPathIsAnErrorNotAnAbort) {
  std::string project =
      Project("big.json", R"({"StartAt": "A", "States": {"A": {"Type": "Pass", )"
                          R"("InputPath": "$.a[99999999999999999999]", "End": true}}})");
  CommandResult list = RunStrata({"pipeline", "list", "--project", project});
  EXPECT_EQ(list.exit_code, 1) << list.out << list.err;
  EXPECT_TRUE(Contains(list.out, "pipelines/big.json")) << list.out;
  EXPECT_TRUE(Contains(list.out, "InputPath")) << list.out;
  EXPECT_TRUE(Contains(list.out, "integer out of range")) << list.out;
  CommandResult run = RunStrata({"pipeline", "run", "big", "--project", project});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_TRUE(Contains(run.err, "pipelines/big.json")) << run.err;
}

TEST_F(PipelineFileCliTest, YamlAliasBombIsRefusedQuicklyNamingTheFile) {
  const std::string bomb = AliasBomb();
  ASSERT_LT(bomb.size(), 600u);
  std::string project = Project("bomb.yaml", bomb);
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"pipeline", "list", "--project", project},
        std::vector<std::string>{"pipeline", "show", "bomb", "--project", project},
        std::vector<std::string>{"pipeline", "run", "bomb", "--project", project}}) {
    auto start = std::chrono::steady_clock::now();
    CommandResult r = RunStrata(command);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(r.exit_code, 1) << command[1] << ": " << r.out << r.err;
    EXPECT_TRUE(Contains(r.out + r.err, "pipelines/bomb.yaml"))
        << command[1] << ": " << r.out << r.err;
    EXPECT_TRUE(Contains(r.out + r.err, "too large after alias expansion"))
        << command[1] << ": " << r.out << r.err;
    // Unbounded, this took 17 s and 3 GB; the budget walk takes well under a second.
    EXPECT_LT(seconds, 30.0) << command[1];
  }
}

}  // namespace
}  // namespace strata::test
