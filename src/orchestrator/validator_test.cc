// The validation corpus (asl-validator's 112 definitions, labelled by file-name prefix) plus
// targeted checks that errors name the state and the field.
#include "orchestrator/validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "orchestrator/loader.h"

namespace strata::orchestrator {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(STRATA_SHARED_DIR) / "conformance/asl/validation";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> out;
  if (!fs::exists(kCorpus)) return out;
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    if (entry.path().extension() == ".json") out.push_back(entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Parses (rejecting duplicate keys) and validates with `options`; returns the problems.
std::string Problems(const std::string& file, const ValidationOptions& options = {}) {
  auto doc = ParseDefinitionText(ReadFile(kCorpus / file), DefinitionFormat::kJson, file);
  if (!doc.ok()) return doc.status().message();
  std::string out;
  for (const auto& e : ValidateDefinition(*doc, options)) out += e.ToString() + "\n";
  return out;
}

TEST(ValidationCorpus, HasAllFiles) { EXPECT_EQ(CorpusFiles().size(), 112u); }

class ValidationCorpusTest : public testing::TestWithParam<std::string> {};

TEST_P(ValidationCorpusTest, VerdictMatchesFileName) {
  const std::string& file = GetParam();
  const bool expect_valid = file.rfind("valid-", 0) == 0;
  std::string problems = Problems(file);
  if (expect_valid) {
    EXPECT_EQ(problems, "") << file;
  } else {
    EXPECT_NE(problems, "") << file << " was accepted";
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, ValidationCorpusTest, testing::ValuesIn(CorpusFiles()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// The README's option-dependent files: invalid by default, valid with the check turned off.
TEST(ValidationCorpus, OptionDependentFiles) {
  ValidationOptions no_paths;
  no_paths.check_paths = false;
  EXPECT_EQ(Problems("invalid-json-path.json", no_paths), "");
  EXPECT_EQ(Problems("invalid-payload-template.asl.json", no_paths), "");
  ValidationOptions no_arn;
  no_arn.check_arn = false;
  EXPECT_EQ(Problems("invalid-cfn-definition-substitutions.json", no_arn), "");
  EXPECT_NE(Problems("invalid-json-path.json"), "");
  EXPECT_NE(Problems("invalid-payload-template.asl.json"), "");
  EXPECT_NE(Problems("invalid-cfn-definition-substitutions.json"), "");
}

// ---- errors name the state and the field ----

std::vector<ValidationError> Errors(const char* json) {
  auto doc = ParseDefinitionText(json, DefinitionFormat::kJson, "test.json");
  EXPECT_TRUE(doc.ok()) << doc.status();
  if (!doc.ok()) return {};
  return ValidateDefinition(*doc);
}

MATCHER_P2(IsError, state, field, "") { return arg.state == state && arg.field == field; }

TEST(Validator, UnknownNextNamesStateAndField) {
  auto errors = Errors(R"J({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}})J");
  EXPECT_THAT(errors, testing::Contains(IsError("A", "Next")));
}

TEST(Validator, NextWithEnd) {
  auto errors = Errors(R"J({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A","End":true}}})J");
  EXPECT_THAT(errors, testing::Contains(IsError("A", "End")));
}

TEST(Validator, RetryFieldIsNamedWithIndex) {
  auto errors = Errors(R"J({"StartAt":"A","States":{"A":{"Type":"Task","Resource":"strata:command",
      "Retry":[{"ErrorEquals":["X"]},{"ErrorEquals":["Y"],"BackoffRate":0.5}],"End":true}}})J");
  EXPECT_THAT(errors, testing::Contains(IsError("A", "Retry[1].BackoffRate")));
}

TEST(Validator, StatesAllMustBeLast) {
  auto errors = Errors(R"J({"StartAt":"A","States":{"A":{"Type":"Task","Resource":"strata:command",
      "Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["Y"]}],"End":true}}})J");
  EXPECT_THAT(errors, testing::Contains(IsError("A", "Retry[0].ErrorEquals")));
}

TEST(Validator, BadIntrinsicInParameters) {
  auto errors = Errors(R"J({"StartAt":"A","States":{"A":{"Type":"Pass",
      "Parameters":{"x.$":"States.Nope($.a)"},"End":true}}})J");
  ASSERT_THAT(errors, testing::Contains(IsError("A", "Parameters.x.$")));
}

TEST(Validator, UnreachableAndNoTerminal) {
  auto errors = Errors(R"J({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"},
      "B":{"Type":"Pass","Next":"A"}}})J");
  EXPECT_THAT(errors, testing::Contains(IsError("B", "")));
  EXPECT_THAT(errors, testing::Contains(IsError("", "States")));
}

TEST(Validator, ChoiceRuleFieldPath) {
  auto errors = Errors(R"J({"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[
      {"And":[{"Variable":"$.a","NumericEquals":"1"}],"Next":"D"}],"Default":"D"},
      "D":{"Type":"Succeed"}}})J");
  EXPECT_THAT(errors, testing::Contains(IsError("C", "Choices[0].And[0].NumericEquals")));
}

TEST(Validator, StrataResourcesAreAccepted) {
  EXPECT_THAT(Errors(R"J({"StartAt":"A","States":{"A":{"Type":"Task",
      "Resource":"strata:model:silver.orders","End":true}}})J"),
              testing::IsEmpty());
  EXPECT_THAT(Errors(R"J({"StartAt":"A","States":{"A":{"Type":"Task",
      "Resource":"model","End":true}}})J"),
              testing::Contains(IsError("A", "Resource")));
}

TEST(Loader, DuplicateJsonKeysAreRejected) {
  auto doc = ParseDefinitionText(R"J({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,
      "End":true}}})J",
                                 DefinitionFormat::kJson, "dup.json");
  ASSERT_FALSE(doc.ok());
  EXPECT_THAT(doc.status().message(), testing::HasSubstr("duplicate key 'End'"));
  EXPECT_THAT(doc.status().message(), testing::HasSubstr("/States/A"));
}

TEST(Loader, JsonSyntaxErrorHasLine) {
  auto doc =
      ParseDefinitionText("{\n\"StartAt\": \"A\",\n  oops\n}", DefinitionFormat::kJson, "bad.json");
  ASSERT_FALSE(doc.ok());
  EXPECT_THAT(doc.status().message(), testing::HasSubstr("bad.json:3:"));
}

constexpr char kYaml[] = R"J(Comment: daily load
StartAt: Load
States:
  Load:
    Type: Task
    Resource: strata:ingest:orders
    Retry:
      - ErrorEquals: [States.TaskFailed]
        IntervalSeconds: 2
    Next: Transfrom
  Transform:
    Type: Pass
    End: true
)J";

TEST(Loader, YamlErrorsNameFileLineStateAndField) {
  auto m = LoadDefinition(kYaml, DefinitionFormat::kYaml, "pipelines/daily.yaml");
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(),
              testing::HasSubstr("pipelines/daily.yaml:10: state 'Load': field 'Next'"));
  EXPECT_THAT(m.status().message(),
              testing::HasSubstr("pipelines/daily.yaml:11: state 'Transform'"));
}

TEST(Loader, YamlDefinitionLoadsWithTypedScalars) {
  std::string fixed = kYaml;
  fixed.replace(fixed.find("Transfrom"), 9, "Transform");
  auto m = LoadDefinition(fixed, DefinitionFormat::kAuto, "daily.yaml");
  ASSERT_TRUE(m.ok()) << m.status();
  const State* load = (*m)->Find("Load");
  ASSERT_NE(load, nullptr);
  ASSERT_EQ(load->retry.size(), 1u);
  EXPECT_EQ(load->retry[0].interval_seconds, 2);
  EXPECT_TRUE((*m)->Find("Transform")->end);
}

TEST(Loader, YamlDuplicateKey) {
  auto m =
      LoadDefinition("StartAt: A\nStartAt: B\nStates: {}\n", DefinitionFormat::kYaml, "d.yaml");
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), testing::HasSubstr("d.yaml:2: duplicate key 'StartAt'"));
}

TEST(Loader, UnsupportedDistributedMapIsReportedAtLoad) {
  auto m = LoadDefinitionFile((kCorpus / "valid-map-distributed.asl.json").string());
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(m.status().IsUnsupported()) << m.status();
  EXPECT_THAT(m.status().message(), testing::HasSubstr("state 'Map'"));
}

TEST(Loader, UnsupportedJsonataFunctionIsReportedAtLoad) {
  auto m = LoadDefinition(R"J({"QueryLanguage":"JSONata","StartAt":"X","States":{"X":{
      "Type":"Pass","Output":"{% $uuid() %}","End":true}}})J",
                          DefinitionFormat::kJson, "j.json");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(m.status().IsUnsupported()) << m.status();
  EXPECT_THAT(m.status().message(), testing::HasSubstr("state 'X': field 'Output'"));
}

// Inputs that used to abort or exhaust the process (issue 15): each is an error naming the file.
TEST(Loader, IndexBeyondInt64IsAnErrorNamingStateAndField) {
  auto m = LoadDefinition(R"J({"StartAt":"A","States":{"A":{"Type":"Pass",
      "InputPath":"$.a[99999999999999999999]","End":true}}})J",
                          DefinitionFormat::kJson, "pipelines/big.json");
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), testing::HasSubstr("pipelines/big.json"));
  EXPECT_THAT(m.status().message(), testing::HasSubstr("state 'A': field 'InputPath'"));
  EXPECT_THAT(m.status().message(), testing::HasSubstr("integer out of range"));
}

TEST(Loader, YamlAliasBombIsRefusedNamingTheFile) {
  std::string text = "StartAt: A\nStates: {A: {Type: Pass, End: true}}\n";
  text += "x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int level = 1; level <= 9; ++level) {
    text += "x" + std::to_string(level) + ": &x" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) text += (i ? "," : "") + ("*x" + std::to_string(level - 1));
    text += "]\n";
  }
  auto m = LoadDefinition(text, DefinitionFormat::kYaml, "pipelines/bomb.yaml");
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), testing::HasSubstr("pipelines/bomb.yaml"));
  EXPECT_THAT(m.status().message(), testing::HasSubstr("too large after alias expansion"));
}

TEST(Loader, DeepNestingAndHugeNumbersAreErrors) {
  std::string deep = R"J({"StartAt":"A","States":{"A":{"Type":"Pass","Result":)J";
  deep += std::string(5000, '[') + std::string(5000, ']') + R"J(,"End":true}}})J";
  auto m = LoadDefinition(deep, DefinitionFormat::kJson, "deep.json");
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), testing::HasSubstr("deep.json: nested deeper than 256"));

  m = LoadDefinition("StartAt: A\nStates: {A: {Type: Pass, Result: 1e999, End: true}}\n",
                     DefinitionFormat::kYaml, "num.yaml");
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), testing::HasSubstr("num.yaml:2: number 1e999 is out of range"));
  m = LoadDefinition(
      "StartAt: A\nStates: {A: {Type: Pass, Result: 99999999999999999999, End: "
      "true}}\n",
      DefinitionFormat::kYaml, "num.yaml");
  ASSERT_TRUE(m.ok()) << m.status();  // an integer beyond int64 is a double, as in JSON
}

}  // namespace
}  // namespace strata::orchestrator
