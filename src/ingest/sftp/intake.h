// ArrivalIntake: turns a completed upload into a recorded arrival.
//
// Submit() runs in the session thread when an upload handle is closed (or a temporary name is
// renamed): it takes a hard link of the file at once (a snapshot: later writes to that name go
// to a new file, see session.cc) and queues it, so the client gets its reply immediately. The
// intake thread then, per upload in order: hashes it (SHA-256, streamed), archives the content
// under objects/<sha256>, matches the name against the project's sources (reloaded each time,
// so source edits apply without a restart), records the arrival in the catalog, and either hands
// it to the ArrivalHandler or moves it to rejected/ with the reason (state "rejected").
// Thread safety: Submit from any thread; Start/Stop/WaitIdle from the owner. Stop processes
// everything already submitted, then joins.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"
#include "ingest/sftp/arrival.h"
#include "ingest/sftp/landing_zone.h"

namespace strata::sftp {

class ArrivalIntake {
 public:
  // `zone` and `handler` must outlive the intake.
  ArrivalIntake(LandingZone& zone, std::string project_dir, ArrivalHandler& handler);
  ~ArrivalIntake();
  ArrivalIntake(const ArrivalIntake&) = delete;
  ArrivalIntake& operator=(const ArrivalIntake&) = delete;

  void Start();
  void Stop();
  // `real_path` is the partner's file, `path` its partner-relative name.
  Status Submit(const std::string& partner, const std::string& path, const std::string& real_path);
  // Blocks until every submitted upload has been processed.
  void WaitIdle();

 private:
  struct Pending {
    std::string partner, path, real_path, spool_path, received_at;
    uint64_t device = 0, inode = 0;
  };
  void Loop();
  void Process(const Pending& upload);

  LandingZone& zone_;
  std::string project_dir_;
  ArrivalHandler& handler_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Pending> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  uint64_t next_spool_ = 0;
  std::thread thread_;
};

// SHA-256 (hex) and size of a file, read in 1 MiB blocks.
Result<std::pair<std::string, int64_t>> HashFile(const std::string& path);

}  // namespace strata::sftp
