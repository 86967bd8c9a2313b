// Runs as the API and the web UI show them, over the orchestrator service's run store (the one
// owner of runs): runs of the project's built-in pipeline (orch::kProjectPipeline, `strata run`)
// in the shapes of their run record (pipeline/run_record.h), state machine runs through
// orchestrator_view.h. Statuses get the UI's words here, at the boundary: success, failed,
// running, and cancelled (project runs) or aborted (state machines) for ABORTED.
// Thread safety: pure functions over a thread-safe service.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"
#include "orchestrator/service/service.h"
#include "pipeline/graph.h"
#include "pipeline/project.h"

namespace strata::server {

using nlohmann::json;
namespace orch = orchestrator::service;

// The UI's word for a run's status (see above).
std::string UiStatus(const orch::RunSummary& run);
// The stored statuses a UI word stands for (empty = all); InvalidArgument for an unknown word.
Result<std::vector<orch::RunStatus>> StatusesFor(const std::string& ui_status);

// A project run as a record: the run record it ended with (its output) or, before it has one,
// one made from its states (tables finished with their results, the others "running"; pass
// nullptr for none) with the UI status.
json ProjectRecord(const orch::RunSummary& run, const std::vector<orch::StateRun>* states);

// One entry of GET /api/runs: {"run_id", "pipeline", "command", "status", "started_at",
// "finished_at", "duration_ms", "states": n, "failed": n, "error", "trigger", ...}.
json RunListItem(const orch::RunSummary& run);
// GET /api/runs/{id}: the entry plus "states" (table or state -> result) and "selection".
Result<json> RunView(orch::OrchestratorService& service, const std::string& run_id);
// GET /api/runs/{id}/logs: {"run_id", "lines": [{state, level, message}]} (one state's only
// when `state` is set).
Result<json> RunLogsView(orch::OrchestratorService& service, const std::string& run_id,
                         const std::string& state);

// {"run_id", "pipeline", "command", "status", "started_at", "finished_at", "duration_ms",
//  "states": n, "failed": n, "error": first failure} of a project run's record.
json RunSummary(const json& record, const std::string& pipeline);

// The states of a project run's record for the pipeline page: table -> {status, duration_ms,
// error, rows_written, rows_quarantined, retries, tests}.
json RunStates(const json& record);

// Log lines of a project run's record, in order: {"state", "level" (info|warn|error),
// "message"}.
json RunLogs(const json& record);

// The project's pipeline: {"name", "description", "owner", "states": [{"name", "type",
// "resource", "layer"}], "edges": [{"from", "to"}]}.
json ProjectPipeline(const pipeline::Project& project, const pipeline::ModelGraph* graph);

}  // namespace strata::server
