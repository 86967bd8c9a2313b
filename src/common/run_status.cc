#include "common/run_status.h"

#include <string>

namespace strata {

std::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kQueued:
      return "QUEUED";
    case RunStatus::kRunning:
      return "RUNNING";
    case RunStatus::kSucceeded:
      return "SUCCEEDED";
    case RunStatus::kFailed:
      return "FAILED";
    case RunStatus::kAborted:
      return "ABORTED";
  }
  return "FAILED";
}

Result<RunStatus> ParseRunStatus(std::string_view name) {
  for (RunStatus status : {RunStatus::kQueued, RunStatus::kRunning, RunStatus::kSucceeded,
                           RunStatus::kFailed, RunStatus::kAborted}) {
    if (RunStatusName(status) == name) return status;
  }
  return Status::InvalidArgument("unknown run status '" + std::string(name) +
                                 "' (known: QUEUED, RUNNING, SUCCEEDED, FAILED, ABORTED)");
}

std::ostream& operator<<(std::ostream& out, RunStatus status) {
  return out << RunStatusName(status);
}

}  // namespace strata
