// Runs every execution of the ASL conformance cases (recorded against AWS Step Functions; see
// conformance/asl/README.md) through the interpreter and compares the outcome.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/clock.h"
#include "orchestrator/definition.h"
#include "orchestrator/interpreter.h"

namespace strata::orchestrator {
namespace {

namespace fs = std::filesystem;

const fs::path kCases = fs::path(STRATA_SHARED_DIR) / "conformance/asl/cases";

// Executions we cannot pass, with the reason. This list may only shrink.
const std::map<std::string, std::string>& KnownFailures() {
  static const auto* known = new std::map<std::string, std::string>{};
  return *known;
}

struct CaseExecution {
  std::string file;  // "<group>/<name>.json"
  size_t index;
  std::string Name() const {
    std::string n = file.substr(0, file.size() - 5) + "_" + std::to_string(index);
    for (char& c : n) {
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return n;
  }
};

Json ReadJson(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Json::parse(in);
}

std::vector<CaseExecution> AllExecutions() {
  std::vector<CaseExecution> out;
  if (!fs::exists(kCases)) return out;
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(kCases)) {
    if (entry.path().extension() != ".json") continue;
    files.push_back(fs::relative(entry.path(), kCases).string());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) {
    Json c = ReadJson(kCases / f);
    for (size_t i = 0; i < c["executions"].size(); ++i) out.push_back({f, i});
  }
  return out;
}

TEST(Conformance, CorpusSize) {
  std::set<std::string> files;
  auto all = AllExecutions();
  for (const auto& e : all) files.insert(e.file);
  EXPECT_EQ(files.size(), 60u);
  EXPECT_EQ(all.size(), 341u);
}

class ConformanceTest : public testing::TestWithParam<CaseExecution> {};

TEST_P(ConformanceTest, MatchesAws) {
  const CaseExecution& ce = GetParam();
  Json c = ReadJson(kCases / ce.file);
  const Json& exec = c["executions"][ce.index];
  const Json& definition = exec.contains("definition") ? exec["definition"] : c["definition"];
  const Json& expected = exec["expected"];

  auto known = KnownFailures().find(ce.Name());
  if (known != KnownFailures().end()) GTEST_SKIP() << "known failure: " << known->second;

  auto machine = BuildStateMachine(definition);
  ASSERT_TRUE(machine.ok()) << machine.status();
  FakeClock clock(1'700'000'000'000'000);
  InterpreterOptions options;
  options.clock = &clock;
  options.max_threads = 2;
  Interpreter interpreter(options);
  ExecutionResult result = interpreter.Run(**machine, exec["input"]);

  const std::string status = expected["status"].get<std::string>();
  ASSERT_EQ(std::string(ExecutionStatusName(result.status)), status)
      << "error=" << result.error.value_or("<none>") << " cause=" << result.cause.value_or("<none>")
      << " output=" << result.output.dump();
  if (status == "SUCCEEDED") {
    EXPECT_EQ(result.output, expected["output"])
        << "got " << result.output.dump() << "\nwant " << expected["output"].dump();
  } else {
    Json error = result.error ? Json(*result.error) : Json(nullptr);
    EXPECT_EQ(error, expected["error"]);
    // Causes of user-defined failures are ours to match; AWS runtime wording is optional.
    Json cause = result.cause ? Json(*result.cause) : Json(nullptr);
    EXPECT_EQ(cause, expected["cause"]);
  }
}

INSTANTIATE_TEST_SUITE_P(Aws, ConformanceTest, testing::ValuesIn(AllExecutions()),
                         [](const testing::TestParamInfo<CaseExecution>& info) {
                           return info.param.Name();
                         });

}  // namespace
}  // namespace strata::orchestrator
