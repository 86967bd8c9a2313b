#include "server/runs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/logging.h"
#include "pipeline/runner.h"

namespace strata::server {

std::vector<json> LoadRunRecords(const std::string& runs_dir, std::vector<std::string>* warnings) {
  std::vector<json> records;
  std::error_code error;
  if (!std::filesystem::is_directory(runs_dir, error)) return records;
  for (const auto& entry : std::filesystem::directory_iterator(runs_dir, error)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    json record = json::parse(text.str(), nullptr, false);
    if (record.is_discarded() || !record.is_object() || !record.contains("run_id") ||
        !record["run_id"].is_string()) {
      if (warnings) warnings->push_back(entry.path().string() + ": not a run record");
      continue;
    }
    records.push_back(std::move(record));
  }
  std::sort(records.begin(), records.end(), [](const json& a, const json& b) {
    return a["run_id"].get<std::string>() > b["run_id"].get<std::string>();
  });
  return records;
}

json RunSummary(const json& record, const std::string& pipeline) {
  int failed = 0, states = 0;
  std::string error;
  if (record.contains("nodes") && record["nodes"].is_array()) {
    for (const json& node : record["nodes"]) {
      ++states;
      if (node.value("status", "") == "failed") {
        ++failed;
        if (error.empty()) error = node.value("table", "") + ": " + node.value("error", "");
      }
    }
  }
  if (error.empty() && record.value("status", "") == "cancelled") {
    error = std::string(pipeline::kCancelledByUser);
  }
  return {{"run_id", record.value("run_id", "")},
          {"pipeline", pipeline},
          {"command", record.value("command", "run")},
          {"status", record.value("status", "")},
          {"started_at", record.value("started_at", "")},
          {"finished_at", record.value("finished_at", "")},
          {"duration_ms", record.value("duration_ms", json(nullptr))},
          {"states", states},
          {"failed", failed},
          {"error", error}};
}

json RunStates(const json& record) {
  json states = json::object();
  if (!record.contains("nodes") || !record["nodes"].is_array()) return states;
  for (const json& node : record["nodes"]) {
    json tests = json::array();
    if (node.contains("tests") && node["tests"].is_array()) tests = node["tests"];
    states[node.value("table", "")] = {
        {"status", node.value("status", "")},
        {"duration_ms", node.value("duration_ms", json(nullptr))},
        {"error", node.value("error", "")},
        {"rows_written", node.value("rows_written", json(nullptr))},
        {"rows_quarantined", node.value("rows_quarantined", json(nullptr))},
        {"retries", node.value("retries", 0)},
        {"tests", tests}};
  }
  return states;
}

json RunLogs(const json& record) {
  json lines = json::array();
  auto add = [&lines](const std::string& state, const char* level, const std::string& message) {
    lines.push_back({{"state", state}, {"level", level}, {"message", message}});
  };
  add("", "info",
      "run " + record.value("run_id", "") + " (" + record.value("command", "run") +
          ") started at " + record.value("started_at", ""));
  if (record.contains("nodes") && record["nodes"].is_array()) {
    for (const json& node : record["nodes"]) {
      const std::string table = node.value("table", "");
      const std::string status = node.value("status", "");
      if (node.contains("files") && node["files"].is_array()) {
        for (const json& file : node["files"]) {
          const std::string state = file.value("state", "");
          std::string line = "file " + file.value("file", "") + ": " + state;
          if (state == "loaded") {
            line += ", " + std::to_string(file.value("rows_loaded", 0)) + " rows loaded, " +
                    std::to_string(file.value("rows_quarantined", 0)) + " quarantined";
          }
          if (!file.value("reason", "").empty()) line += " (" + file.value("reason", "") + ")";
          add(table, state == "failed" || state == "rejected" ? "warn" : "info", line);
        }
      }
      if (node.contains("tests") && node["tests"].is_array()) {
        for (const json& test : node["tests"]) {
          const std::string result = test.value("status", "");
          std::string line = "test " + test.value("name", "") + ": " + result;
          if (!test.value("message", "").empty()) line += ": " + test.value("message", "");
          add(table, result == "pass" ? "info" : result == "warn" ? "warn" : "error", line);
        }
      }
      std::string line = status + " in " + std::to_string(node.value("duration_ms", 0)) + " ms, " +
                         std::to_string(node.value("rows_written", 0)) + " rows written";
      if (!node.value("error", "").empty()) line += ": " + node.value("error", "");
      add(table, status == "failed" ? "error" : status == "success" ? "info" : "warn", line);
    }
  }
  const std::string run_status = record.value("status", "");
  add("",
      run_status == "failed"      ? "error"
      : run_status == "cancelled" ? "warn"
                                  : "info",
      "run " + record.value("status", "") + " at " + record.value("finished_at", ""));
  return lines;
}

json ProjectPipeline(const pipeline::Project& project, const pipeline::ModelGraph* graph) {
  json states = json::array();
  json edges = json::array();
  for (const pipeline::SourceSpec& source : project.sources) {
    states.push_back({{"name", source.spec.table.ToString()},
                      {"type", "Task"},
                      {"resource", "ingest:" + source.spec.name},
                      {"layer", source.spec.table.layer},
                      {"description", source.spec.description}});
  }
  if (graph != nullptr) {
    for (const pipeline::ModelNode& node : graph->nodes) {
      const std::string name = node.model->table.ToString();
      states.push_back({{"name", name},
                        {"type", "Task"},
                        {"resource", "model:" + name},
                        {"layer", node.model->table.layer},
                        {"description", node.model->description}});
      for (const lake::TableName& read : node.reads) {
        edges.push_back({{"from", read.ToString()}, {"to", name}});
      }
    }
  } else {
    for (const pipeline::ModelSpec& model : project.models) {
      states.push_back({{"name", model.table.ToString()},
                        {"type", "Task"},
                        {"resource", "model:" + model.table.ToString()},
                        {"layer", model.table.layer},
                        {"description", model.description}});
    }
  }
  return {{"name", project.config.name},
          {"description", project.config.description},
          {"owner", project.config.owner},
          {"kind", "project"},
          {"states", states},
          {"edges", edges}};
}

ProjectRunner::~ProjectRunner() {
  std::thread thread;
  {
    std::lock_guard lock(mutex_);
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
}

bool ProjectRunner::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

Result<std::string> ProjectRunner::Start(const std::vector<std::string>& names,
                                         std::function<void()> on_finish) {
  std::lock_guard lock(mutex_);
  if (running_) {
    return Status::FailedPrecondition("a run of " + project_.config.name +
                                      " is already in progress (" + active_.value("run_id", "") +
                                      ")");
  }
  if (thread_.joinable()) thread_.join();  // the previous run's thread has finished
  const std::string id = "active-" + std::to_string(next_++);
  running_ = true;
  active_ = {{"run_id", id},        {"project", project_.config.name},
             {"command", "run"},    {"selection", {{"names", names}, {"layer", ""}}},
             {"started_at", ""},    {"finished_at", ""},
             {"status", "running"}, {"nodes", json::array()}};
  cancel_ = std::make_shared<pipeline::CancelToken>();
  thread_ = std::thread([this, id, names, cancel = cancel_, on_finish = std::move(on_finish)] {
    pipeline::RunOptions options;
    options.selection.names = names;
    options.cancel = cancel;
    options.progress = [this](const pipeline::ProgressEvent& event) {
      std::lock_guard lock(mutex_);
      json& nodes = active_["nodes"];
      json* node = nullptr;
      for (json& n : nodes) {
        if (n["table"] == event.table) node = &n;
      }
      if (node == nullptr) {
        nodes.push_back({{"table", event.table}, {"status", "running"}});
        node = &nodes.back();
      }
      if (event.kind == pipeline::ProgressEvent::Kind::kFinished && event.result != nullptr) {
        (*node)["status"] = pipeline::NodeStatusName(event.result->status);
        (*node)["error"] = event.result->error;
        (*node)["duration_ms"] = event.result->millis;
        (*node)["rows_written"] = event.result->rows_written;
      }
      active_["done"] = event.done;
      active_["total"] = event.total;
    };
    Result<pipeline::RunRecord> record = pipeline::RunProject(project_, options);
    {
      std::lock_guard lock(mutex_);
      if (record.ok()) {
        finished_[id] = record->run_id;
      } else {
        Log().error("run {} of {} failed: {}", id, project_.config.name, record.status().message());
        finished_[id] = "";
        active_["status"] = "failed";
        active_["error"] = record.status().message();
      }
    }
    if (on_finish) on_finish();
    std::lock_guard lock(mutex_);
    running_ = false;
  });
  return id;
}

Status ProjectRunner::Cancel(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (!running_ || active_.value("run_id", "") != id || !cancel_) {
    return Status::NotFound("run '" + id + "' is not the run of " + project_.config.name +
                            " in progress");
  }
  cancel_->Cancel();
  active_["cancel_requested"] = true;
  return Status::OK();
}

json ProjectRunner::Active() const {
  std::lock_guard lock(mutex_);
  return running_ ? active_ : json(nullptr);
}

std::string ProjectRunner::Resolve(const std::string& provisional) const {
  std::lock_guard lock(mutex_);
  auto it = finished_.find(provisional);
  return it == finished_.end() ? "" : it->second;
}

}  // namespace strata::server
