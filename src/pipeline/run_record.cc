#include "pipeline/run_record.h"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <random>

namespace strata::pipeline {

std::string IsoTime(int64_t micros) {
  time_t seconds = static_cast<time_t>(micros / 1000000);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  char buffer[80];  // the widest ints GCC can imagine; real output is 24 bytes
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>((micros / 1000) % 1000));
  return buffer;
}

namespace {

template <typename T>
nlohmann::ordered_json Optional(const std::optional<T>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

}  // namespace

const char* NodeStatusName(NodeStatus status) {
  switch (status) {
    case NodeStatus::kSuccess:
      return "success";
    case NodeStatus::kWarn:
      return "warn";
    case NodeStatus::kFailed:
      return "failed";
    case NodeStatus::kSkipped:
      return "skipped";
  }
  return "?";
}

int NodeResult::tests_passed() const {
  int n = 0;
  for (const TestResult& t : tests) n += t.status == TestStatus::kPass;
  return n;
}
int NodeResult::tests_failed() const {
  int n = 0;
  for (const TestResult& t : tests) n += t.Blocks();
  return n;
}
int NodeResult::tests_warned() const {
  int n = 0;
  for (const TestResult& t : tests) {
    n += t.status == TestStatus::kWarn || t.status == TestStatus::kQuarantined;
  }
  return n;
}

bool RunRecord::ok() const {
  for (const NodeResult& node : nodes) {
    if (node.status == NodeStatus::kFailed || node.status == NodeStatus::kSkipped) return false;
  }
  return true;
}

std::string NewRunId(int64_t micros) {
  time_t seconds = static_cast<time_t>(micros / 1000000);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &utc);
  std::random_device entropy;
  char suffix[8];
  std::snprintf(suffix, sizeof(suffix), "%06x", entropy() & 0xffffff);
  return std::string(stamp) + "-" + suffix;
}

namespace {

nlohmann::ordered_json NodeJson(const NodeResult& node) {
  using json = nlohmann::ordered_json;
  json files = json::array();
  for (const ingest::FileOutcome& file : node.files) {
    files.push_back({{"file", file.file},
                     {"sha256", file.sha256},
                     {"size_bytes", file.size_bytes},
                     {"state", std::string(ingest::FileStateName(file.state))},
                     {"reason", file.reason},
                     {"rows_read", file.rows_read},
                     {"rows_loaded", file.rows_loaded},
                     {"rows_quarantined", file.rows_quarantined}});
  }
  json tests = json::array();
  for (const TestResult& test : node.tests) {
    tests.push_back({{"name", test.name},
                     {"kind", TestKindName(test.kind)},
                     {"action", TestActionName(test.action)},
                     {"status", TestStatusName(test.status)},
                     {"failing_rows", test.failing_rows},
                     {"message", test.message},
                     {"duration_ms", test.millis}});
  }
  return {{"table", node.table},
          {"kind", node.is_source ? "source" : "model"},
          {"layer", node.layer},
          {"materialized", node.materialized},
          {"status", NodeStatusName(node.status)},
          {"error", node.error},
          {"rows_written", node.rows_written},
          {"rows_quarantined", node.rows_quarantined},
          {"table_version", Optional(node.table_version)},
          {"quarantine_version", Optional(node.quarantine_version)},
          {"duration_ms", node.millis},
          {"owner", node.owner},
          {"tags", node.tags},
          {"files", files},
          {"tests", tests}};
}

}  // namespace

std::string NodeResultJson(const NodeResult& node) {
  return NodeJson(node).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string RunRecordJson(const RunRecord& record) {
  using json = nlohmann::ordered_json;
  json nodes = json::array();
  for (const NodeResult& node : record.nodes) nodes.push_back(NodeJson(node));
  json out = {{"schema", "strata.run/1"},
              {"run_id", record.run_id},
              {"project", record.project},
              {"command", record.command},
              {"selection", {{"names", record.selected_names}, {"layer", record.selected_layer}}},
              {"started_at", IsoTime(record.started_at_micros)},
              {"finished_at", IsoTime(record.finished_at_micros)},
              {"duration_ms", (record.finished_at_micros - record.started_at_micros) / 1000},
              {"status", record.cancelled ? "cancelled"
                         : record.ok()    ? "success"
                                          : "failed"},
              {"catalog", {{"synced", record.catalog_synced}, {"error", record.catalog_error}}},
              {"nodes", nodes}};
  // Errors may quote outside text; a record is still written whole.
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace strata::pipeline
