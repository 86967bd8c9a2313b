// Runs of a project as the API shows them, from the pipeline runner's records
// (`.strata/runs/*.json`, pipeline/run_record.h) plus the run started through the API that is
// still going (ProjectRunner). The project is one pipeline: its states are the sources and
// models, its edges the model graph.
// Thread safety: LoadRunRecords is a pure read; ProjectRunner is thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "pipeline/graph.h"
#include "pipeline/project.h"
#include "pipeline/runner.h"

namespace strata::server {

using nlohmann::json;

// Every readable record in `runs_dir`, newest first. Unreadable files are skipped and named in
// `warnings` (one bad file never hides the others). A missing directory is no runs.
std::vector<json> LoadRunRecords(const std::string& runs_dir,
                                 std::vector<std::string>* warnings = nullptr);

// {"run_id", "pipeline", "command", "status", "started_at", "finished_at", "duration_ms",
//  "states": n, "failed": n, "error": first failure}. Status: success, failed, cancelled or
//  running.
json RunSummary(const json& record, const std::string& pipeline);

// The states of a run for the pipeline page: table -> {status, duration_ms, error, rows_written,
// rows_quarantined, retries, tests}.
json RunStates(const json& record);

// Log lines of a run, in order: {"state", "level" (info|warn|error), "message"}.
json RunLogs(const json& record);

// The project's pipeline: {"name", "description", "owner", "states": [{"name", "type",
// "resource", "layer"}], "edges": [{"from", "to"}]}.
json ProjectPipeline(const pipeline::Project& project, const pipeline::ModelGraph* graph);

// Runs the project in the background (pipeline::RunProject), one at a time.
class ProjectRunner {
 public:
  explicit ProjectRunner(const pipeline::Project& project) : project_(project) {}
  ~ProjectRunner();  // waits for the run in progress

  // Starts a run of `names` (empty = everything). FailedPrecondition if a run is in progress.
  // `on_finish` runs on the run's thread after the record is written. Returns the provisional
  // id ("active-N") under which the run is listed until its record exists.
  Result<std::string> Start(const std::vector<std::string>& names, std::function<void()> on_finish);
  // The run in progress as a record-shaped JSON (status "running"), or null.
  json Active() const;
  // Asks the run in progress to stop (pipeline::CancelToken: nothing more starts, running
  // statements are interrupted, what was committed stays). `id` is its provisional id.
  // NotFound if `id` is not the run in progress; returns at once, the run ends soon after
  // with status "cancelled". Cancelling twice is fine.
  Status Cancel(const std::string& id);
  // The record id a finished provisional id became ("" if unknown or still running).
  std::string Resolve(const std::string& provisional) const;
  bool running() const;

 private:
  const pipeline::Project& project_;
  mutable std::mutex mutex_;
  std::thread thread_;
  bool running_ = false;
  int next_ = 1;
  json active_;
  std::shared_ptr<pipeline::CancelToken> cancel_;  // of the run in progress
  std::map<std::string, std::string> finished_;    // provisional -> run_id
};

}  // namespace strata::server
