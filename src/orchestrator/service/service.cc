// Placeholder bodies while the run store and executor land (see service.h for the contract).
#include "orchestrator/service/service.h"

namespace strata::orchestrator::service {

struct OrchestratorService::Impl {
  ServiceOptions options;
};

namespace {
Status NotYet(const char* what) {
  return Status::Unsupported(std::string("orchestrator service: ") + what + " is not ready yet");
}
}  // namespace

OrchestratorService::OrchestratorService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OrchestratorService::~OrchestratorService() = default;

Result<std::unique_ptr<OrchestratorService>> OrchestratorService::Open(
    const ServiceOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  return std::unique_ptr<OrchestratorService>(new OrchestratorService(std::move(impl)));
}

Result<std::vector<PipelineInfo>> OrchestratorService::ListPipelines() {
  return NotYet("ListPipelines");
}
Result<PipelineInfo> OrchestratorService::GetPipeline(const std::string&) {
  return NotYet("GetPipeline");
}
Result<std::string> OrchestratorService::StartRun(const std::string&, const Json&,
                                                  const StartOptions&) {
  return NotYet("StartRun");
}
Result<std::string> OrchestratorService::Resume(const std::string&) { return NotYet("Resume"); }
Status OrchestratorService::Cancel(const std::string&, const std::string&) {
  return NotYet("Cancel");
}
Result<RunSummary> OrchestratorService::WaitRun(const std::string&, int64_t) {
  return NotYet("WaitRun");
}
Result<std::vector<RunSummary>> OrchestratorService::ListRuns(const RunFilter&) {
  return NotYet("ListRuns");
}
Result<RunDetail> OrchestratorService::GetRun(const std::string&) { return NotYet("GetRun"); }
Result<std::string> OrchestratorService::ReadTaskLog(const std::string&, const std::string&, int,
                                                     const std::string&) {
  return NotYet("ReadTaskLog");
}
Result<std::string> OrchestratorService::ReadRunLogs(const std::string&) {
  return NotYet("ReadRunLogs");
}
Result<std::vector<std::string>> OrchestratorService::NotifyFileArrived(const FileArrival&) {
  return NotYet("NotifyFileArrived");
}
Result<std::vector<std::string>> OrchestratorService::SchedulerTick() {
  return NotYet("SchedulerTick");
}
Status OrchestratorService::RunScheduler(const std::function<bool()>&, int64_t) {
  return NotYet("RunScheduler");
}
Result<std::vector<BackfillItem>> OrchestratorService::Backfill(const std::string&,
                                                                const BackfillOptions&) {
  return NotYet("Backfill");
}
void OrchestratorService::Shutdown(bool) {}

}  // namespace strata::orchestrator::service
