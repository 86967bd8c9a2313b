#include "landing/sftp/pipeline_trigger.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <map>
#include <set>
#include <stdexcept>

#include "common/logging.h"
#include "landing/sftp/intake.h"
#include "pipeline/runner.h"

namespace strata::sftp {
namespace {

// An flock held for the lifetime of the object (released on close).
class ScopedFlock {
 public:
  explicit ScopedFlock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~ScopedFlock() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFlock(const ScopedFlock&) = delete;
  ScopedFlock& operator=(const ScopedFlock&) = delete;
  bool locked() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

catalog::ArrivalRecord RecordFor(const Arrival& arrival) {
  catalog::ArrivalRecord record;
  record.id = arrival.id;
  record.partner = arrival.partner;
  record.path = arrival.path;
  record.source = arrival.source;
  return record;
}

}  // namespace

PipelineTrigger::PipelineTrigger(LandingZone& zone, std::string project_dir,
                                 orchestrator::service::OrchestratorService& service)
    : zone_(zone), project_dir_(std::move(project_dir)), service_(service) {}

PipelineTrigger::~PipelineTrigger() { Stop(); }

void PipelineTrigger::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void PipelineTrigger::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PipelineTrigger::OnArrival(const Arrival& arrival) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(arrival);
  }
  wake_.notify_all();
}

void PipelineTrigger::WaitIdle() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void PipelineTrigger::Loop() {
  for (;;) {
    std::map<std::string, std::vector<Arrival>> batches;  // by source
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      // Take everything queued, except a second version of a name already in this round: it
      // waits for the next round, so each version is loaded as its own file, in order.
      std::set<std::string> names;
      std::deque<Arrival> later;
      for (Arrival& arrival : queue_) {
        if (!names.insert(arrival.partner + "/" + arrival.path).second) {
          later.push_back(std::move(arrival));
        } else {
          batches[arrival.source].push_back(std::move(arrival));
        }
      }
      queue_ = std::move(later);
      busy_ = true;
    }
    for (const auto& [source, arrivals] : batches) LoadBatch(source, arrivals);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      busy_ = !queue_.empty();
    }
    idle_.notify_all();
  }
}

void PipelineTrigger::Finish(const Arrival& arrival, catalog::ArrivalRecord record) {
  if (record.state == "failed" && !record.reason.empty() && record.stored_as.empty()) {
    Log().info("sftp: {}/{} not loaded: {}", arrival.partner, arrival.path, record.reason);
  }
  Status updated = zone_.Update(record);
  if (!updated.ok()) Log().error("sftp: cannot record load outcome: {}", updated.message());
}

bool PipelineTrigger::LoadedByAnotherArrival(const Arrival& arrival) {
  Result<std::vector<catalog::ArrivalRecord>> loaded =
      zone_.List({.state = "loaded", .sha256 = arrival.sha256, .limit = 1});
  if (!loaded.ok()) {
    // Unknown: take the content as another arrival's, which fires nothing twice.
    Log().error("sftp: cannot look up arrivals of {}: {}", arrival.sha256,
                loaded.status().message());
    return true;
  }
  return !loaded->empty();
}

void PipelineTrigger::LoadBatch(const std::string& source_name,
                                const std::vector<Arrival>& arrivals) {
  auto fail_all = [&](const std::string& reason) {
    for (const Arrival& arrival : arrivals) {
      catalog::ArrivalRecord record = RecordFor(arrival);
      record.state = "failed";
      record.reason = reason;
      Finish(arrival, record);
    }
  };
  Result<pipeline::Project> loaded = pipeline::LoadProject(project_dir_);
  if (!loaded.ok()) return fail_all("the project does not load: " + loaded.status().message());
  const pipeline::Project& project = *loaded;
  const pipeline::SourceSpec* source = nullptr;
  for (const pipeline::SourceSpec& candidate : project.sources) {
    if (candidate.spec.name == source_name) source = &candidate;
  }
  if (source == nullptr)
    return fail_all("source '" + source_name + "' is no longer in the project");

  orchestrator::service::ProjectRunOptions options;
  options.run.selection.names = {source->spec.table.ToString()};
  options.run.workers = 1;
  // Exactly the arrived files, read from their archived content (a newer upload to the same
  // name is another arrival), with the hash the intake computed; the source's patterns apply
  // to the partner-relative path, as the intake matched it.
  std::vector<ingest::LandedFile>& files = options.run.files[source_name];
  for (const Arrival& arrival : arrivals) {
    files.push_back({.name = arrival.partner + "/" + arrival.path,
                     .matched_name = arrival.path,
                     .content_path = arrival.content_path,
                     .sha256 = arrival.sha256});
  }
  options.trigger = "file";
  options.trigger_info = arrivals.front().partner + "/" + arrivals.front().path;
  if (arrivals.size() > 1) {
    options.trigger_info += " and " + std::to_string(arrivals.size() - 1) + " more";
  }
  options.project = &project;
  Result<pipeline::RunRecord> run = [&]() -> Result<pipeline::RunRecord> {
    ScopedFlock lock(zone_.StateDir() + "/ingest.lock");
    if (!lock.locked()) return Status::IOError("cannot lock " + zone_.StateDir() + "/ingest.lock");
    // One partner's file must never take the server down: whatever escapes the run (a bug
    // below this layer) fails this load, recorded, and the server goes on.
    try {
      return service_.RunProject(options);
    } catch (const std::exception& error) {
      Log().error("sftp: the load of {} threw: {}", source_name, error.what());
      return Status::Internal(std::string("the load stopped on an internal error: ") +
                              error.what());
    }
  }();
  if (!run.ok()) return fail_all("the load did not run: " + run.status().message());
  PauseForTest("loaded");

  const pipeline::NodeResult* node = nullptr;
  for (const pipeline::NodeResult& candidate : run->nodes) {
    if (candidate.is_source && candidate.table == source->spec.table.ToString()) node = &candidate;
  }
  for (const Arrival& arrival : arrivals) {
    catalog::ArrivalRecord record = RecordFor(arrival);
    record.run_id = run->run_id;
    const ingest::FileOutcome* outcome = nullptr;
    if (node != nullptr) {
      for (const ingest::FileOutcome& file : node->files) {
        if (file.file == arrival.partner + "/" + arrival.path) outcome = &file;
      }
    }
    if (outcome == nullptr) {
      record.state = "failed";
      record.reason = node != nullptr && !node->error.empty()
                          ? node->error
                          : "the load of " + arrival.table + " did not report this file";
      Finish(arrival, record);
      continue;
    }
    record.rows_loaded = outcome->rows_loaded;
    record.rows_quarantined = outcome->rows_quarantined;
    record.reason = outcome->reason;
    switch (outcome->state) {
      case ingest::FileState::kLoaded:
        record.state = "loaded";
        break;
      case ingest::FileState::kAlreadyLoaded:
        record.state = "already_loaded";
        if (arrival.resumed && !LoadedByAnotherArrival(arrival)) {
          // Its own load committed, then the process stopped before recording it: the rows are
          // this arrival's, and what follows a load (the file triggers) is still owed.
          record.state = "loaded";
          record.rows_loaded.reset();  // the commit is not this run's: its counts are unknown
          record.rows_quarantined.reset();
          record.reason = "loaded before the server stopped; recorded at restart";
        }
        break;
      case ingest::FileState::kRejected:
      case ingest::FileState::kFailed: {
        record.state = "failed";
        Result<std::string> moved =
            zone_.Reject(arrival.partner, arrival.path, arrival.content_path, outcome->reason);
        if (moved.ok()) {
          record.stored_as = *moved;
          RemoveIfSameFile(arrival.landing_file, arrival.landing_device, arrival.landing_inode);
        } else {
          record.reason += "; and it could not be moved to rejected/: " + moved.status().message();
        }
        break;
      }
    }
    Finish(arrival, record);
    if (record.state == "loaded" && next_ != nullptr) next_->OnArrival(arrival);
  }
}

}  // namespace strata::sftp
