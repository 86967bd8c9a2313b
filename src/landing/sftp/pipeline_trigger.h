// PipelineTrigger: the ArrivalHandler that loads arrived files itself, as runs of the project's
// built-in pipeline (OrchestratorService::RunProject, trigger "file": `strata runs list` shows
// them), until the orchestrator's file trigger takes over.
//
// Arrivals queue; one worker thread takes everything queued, groups it by source and runs, per
// source, RunProject selecting just that source with exactly the arrived files
// (RunOptions::files): each read from its archived content with the SHA-256 the intake computed,
// so a half-written upload, a newer upload to the same name or another partner's unfinished file
// is never seen, and no file is hashed twice. The source's patterns apply to the partner-relative
// path ("pedidos*.csv" takes acme's "pedidos.csv"), and bronze rows carry
// _source_file = "<partner>/<path>". Loads are serialised: one at a time in this process and,
// through an flock on .strata/sftp/ingest.lock, across processes, so two Delta commits never race.
// Outcomes go to the catalog (file_arrivals): loaded (rows), already_loaded (same content
// before), or failed; a resumed arrival (its load unfinished when the process stopped) whose
// content is in the table while no other arrival of it is recorded as loaded was committed by
// that unfinished load: it is recorded loaded (rows unknown) and goes on to the next handler; a
// file the ingest refuses as a whole (empty, header not matching the contract, unreadable) is moved
// to rejected/ with the reason. A run that fails for reasons of its own (lake unwritable) marks the
// arrivals failed and leaves the partner's files in place. After a load that committed new rows,
// the arrival goes on to the next handler (set_next). Thread safety: OnArrival from any thread;
// Start/Stop/WaitIdle from the owner; Stop finishes every queued load, then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "landing/sftp/arrival.h"
#include "landing/sftp/landing_zone.h"
#include "orchestrator/service/service.h"

namespace strata::sftp {

class PipelineTrigger : public ArrivalHandler {
 public:
  // `service` records and runs the loads; not owned, must outlive the trigger.
  PipelineTrigger(LandingZone& zone, std::string project_dir,
                  orchestrator::service::OrchestratorService& service);
  ~PipelineTrigger() override;
  PipelineTrigger(const PipelineTrigger&) = delete;
  PipelineTrigger& operator=(const PipelineTrigger&) = delete;

  void Start();
  void Stop();
  void OnArrival(const Arrival& arrival) override;
  // Where arrivals go once their load committed new rows (state "loaded"), e.g. the
  // orchestrator's file triggers (orchestrator_notifier.h); nullptr = nowhere. Not owned; set
  // before Start.
  void set_next(ArrivalHandler* next) { next_ = next; }
  // Blocks until every queued arrival has been loaded (or has failed).
  void WaitIdle();

 private:
  void Loop();
  void LoadBatch(const std::string& source, const std::vector<Arrival>& arrivals);
  void Finish(const Arrival& arrival, catalog::ArrivalRecord record);
  // Whether an arrival of the same content is recorded as loaded (true when it cannot tell).
  bool LoadedByAnotherArrival(const Arrival& arrival);

  LandingZone& zone_;
  std::string project_dir_;
  orchestrator::service::OrchestratorService& service_;
  ArrivalHandler* next_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Arrival> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace strata::sftp
