#include "landing/sftp/orchestrator_notifier.h"

#include "common/logging.h"

namespace strata::sftp {

void OrchestratorNotifier::OnArrival(const Arrival& arrival) {
  orchestrator::service::FileArrival file;
  file.source = arrival.source;
  file.path = arrival.partner + "/" + arrival.path;
  file.size_bytes = arrival.size_bytes;
  file.sha256 = arrival.sha256;
  Result<std::vector<std::string>> started = service_.NotifyFileArrived(file);
  if (!started.ok()) {
    Log().error("sftp: pipelines for {} not started: {}", file.path, started.status().message());
    return;
  }
  for (const std::string& run : *started) {
    Log().info("sftp: {} started pipeline run {}", file.path, run);
  }
}

}  // namespace strata::sftp
