// The orchestrator service's pipelines and runs (orchestrator/service/service.h) in the shapes
// the API serves for project runs too (runs.h): run summaries, per-state results for the
// pipeline page, and log lines. Statuses are mapped to the UI's words (runs.h UiStatus; a
// state's CAUGHT -> warn).
// Thread safety: the service is thread-safe; these functions hold no state.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"
#include "orchestrator/service/service.h"

namespace strata::server {

namespace orch = orchestrator::service;

nlohmann::json OrchRunSummary(const orch::RunSummary& run);
// {"pipelines": [...]} entries: name, description, kind "state_machine", states, last_run, error.
Result<nlohmann::json> OrchPipelines(orch::OrchestratorService& service);
// Like ProjectPipeline (runs.h) plus "last_run", "last_states", "start_at", "schedules",
// "file_triggers", "table_triggers".
Result<nlohmann::json> OrchPipeline(orch::OrchestratorService& service, const std::string& name);
// Summary plus "states" (by "scope/state" or "state") and "attempts", "events".
Result<nlohmann::json> OrchRun(orch::OrchestratorService& service, const std::string& run_id);
// {"run_id", "lines": [{state, level, message}]}: events then task logs; one state's only when
// `state` is set.
Result<nlohmann::json> OrchLogs(orch::OrchestratorService& service, const std::string& run_id,
                                const std::string& state);

// "2025-01-31T12:00:00.123Z" for micros since the epoch; "" for 0.
std::string IsoMicros(int64_t micros);

}  // namespace strata::server
