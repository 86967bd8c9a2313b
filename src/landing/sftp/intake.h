// ArrivalIntake: turns a completed upload into a recorded arrival, exactly once, even across
// crashes.
//
// Submit() runs in the session thread when an upload handle is closed (or a temporary name is
// renamed): it takes a hard link of the file at once (a snapshot: later writes to that name go
// to a new file, see session.cc) into a spool entry with the arrival's facts, and queues it, so
// the client gets its reply immediately. The intake thread then, per upload in order: hashes it
// (SHA-256, streamed), archives the content under objects/<sha256>, matches the name against the
// project's sources (reloaded each time, so source edits apply without a restart), records the
// arrival in the catalog, and either hands it to the ArrivalHandler or moves it to rejected/ with
// the reason (state "rejected"). The spool entry goes once the catalog holds the arrival.
//
// Spool layout: .strata/sftp/spool/<owner>/ per running intake, with a `lock` file it holds an
// flock on, and one directory per upload, <seq>/{content,arrival.json} (published by a rename,
// so an entry is whole or absent). arrival.json gains the hash once it is computed, before the
// content moves to the archive.
// Recovery: Start() adopts the entries of every owner whose lock is free (the process died),
// moving them into its own directory (a second crash leaves them to the next start), and
// processes them first, oldest first. An entry whose arrival the catalog already holds (the
// process died after recording it) is not recorded again: a "received" one is loaded by the
// server's own restart of unfinished loads, a rejected one is not moved to rejected/ twice.
// Test hook: STRATA_TEST_SFTP_PAUSE_AT=hash|archived|recorded makes the intake thread log
// "sftp: test hook: paused at <point>" and stop there for good (tests kill -9 the process);
// =loaded does the same to the loading thread once a load ran, before its outcome is recorded.
// Thread safety: Submit from any thread; Start/Stop/WaitIdle from the owner. Stop processes
// everything already submitted, then joins.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "landing/sftp/arrival.h"
#include "landing/sftp/landing_zone.h"
#include "landing/sftp/spool.h"

namespace strata::sftp {

// The test hook above: blocks the calling thread for good when STRATA_TEST_SFTP_PAUSE_AT is
// `point`; returns at once otherwise.
void PauseForTest(const char* point);

class ArrivalIntake {
 public:
  // `zone` and `handler` must outlive the intake.
  ArrivalIntake(LandingZone& zone, std::string project_dir, ArrivalHandler& handler);
  ~ArrivalIntake();
  ArrivalIntake(const ArrivalIntake&) = delete;
  ArrivalIntake& operator=(const ArrivalIntake&) = delete;

  // Takes its spool directory and queues the entries left by dead processes (see above).
  // IOError when the spool cannot be made.
  Status Start();
  void Stop();
  // `real_path` is the partner's file, `path` its partner-relative name.
  Status Submit(const std::string& partner, const std::string& path, const std::string& real_path);
  // Blocks until every submitted upload has been processed.
  void WaitIdle();

 private:
  struct Pending {
    SpoolEntry entry;
    bool recovered = false;  // left by a process that died: maybe recorded already
  };
  void Loop();
  void Process(Pending& upload);
  // The catalog's record of a recovered upload, if the process that died had made it.
  Result<std::optional<catalog::ArrivalRecord>> AlreadyRecorded(const SpoolEntry& entry);

  LandingZone& zone_;
  std::string project_dir_;
  ArrivalHandler& handler_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Pending> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::unique_ptr<SpoolOwner> spool_;  // while started
  std::thread thread_;
};

// SHA-256 (hex) and size of a file, read in 1 MiB blocks.
Result<std::pair<std::string, int64_t>> HashFile(const std::string& path);

}  // namespace strata::sftp
