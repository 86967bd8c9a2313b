// OrchestratorNotifier: the ArrivalHandler that tells the orchestrator a file arrived, so every
// pipeline with a file trigger bound to its source (or matching its path) starts
// (OrchestratorService::NotifyFileArrived). PipelineTrigger calls it after the file's bronze
// load committed new data, so those pipelines see the rows; the path it reports is
// landing-relative ("acme/pedidos.csv").
// Thread safety: as OrchestratorService (any thread); OnArrival returns once the runs are
// queued, not finished. The service must outlive the notifier.
#pragma once

#include "landing/sftp/arrival.h"
#include "orchestrator/service/service.h"

namespace strata::sftp {

class OrchestratorNotifier : public ArrivalHandler {
 public:
  explicit OrchestratorNotifier(orchestrator::service::OrchestratorService& service)
      : service_(service) {}
  void OnArrival(const Arrival& arrival) override;

 private:
  orchestrator::service::OrchestratorService& service_;
};

}  // namespace strata::sftp
