// The status of a run: one typed vocabulary for every layer that records runs -- the
// orchestrator's run store (a run of a pipeline: a state machine or the project's built-in one)
// and the catalog (the run of one table within it). Stored and printed by name
// (RunStatusName); front ends map it to their own words at their boundary only (the web UI's
// success/failed/..., OpenLineage's event types in catalog/openlineage.h).
// Pure functions; thread-safe.
#pragma once

#include <ostream>
#include <string_view>

#include "common/result.h"

namespace strata {

enum class RunStatus { kQueued, kRunning, kSucceeded, kFailed, kAborted };

// "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "ABORTED".
std::string_view RunStatusName(RunStatus status);
// The status a name stands for; InvalidArgument naming the known ones.
Result<RunStatus> ParseRunStatus(std::string_view name);

inline bool IsFinished(RunStatus status) {
  return status == RunStatus::kSucceeded || status == RunStatus::kFailed ||
         status == RunStatus::kAborted;
}

// Statuses compare with and print as their names (tests, logs).
inline bool operator==(RunStatus status, std::string_view name) {
  return RunStatusName(status) == name;
}
std::ostream& operator<<(std::ostream& out, RunStatus status);

}  // namespace strata
