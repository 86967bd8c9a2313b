// The run store: every run (state machines and the project's built-in pipeline), state run,
// task attempt and event in the catalog database (tables orch_runs, orch_states, orch_attempts,
// orch_events, orch_triggers, orch_cursors; the store migrates them itself, run_store_schema.cc),
// so any process sharing the catalog -- `strata runs`, the HTTP server, other workers -- sees
// the history.
//
// Writes go through one writer thread with its own connection: observer events are queued
// (the interpreter never waits for the database) and written in batches, one transaction per
// batch; run-level changes (create, claim, finish, cancel, trigger firings) wait for their
// write. Reads use a second connection. A failed event write is logged and does not fail the
// run.
//
// Sharing one PostgreSQL catalog between workers (the design `strata worker` will use):
//  * runs are queued rows; ClaimNextRun moves the oldest QUEUED run to RUNNING in one
//    statement with FOR UPDATE SKIP LOCKED, so two workers never take the same run and never
//    wait on each other; ClaimRun claims a given run (QUEUED -> RUNNING, else false);
//  * the claimer refreshes heartbeat_at while the run executes (a stale heartbeat identifies
//    a dead worker's runs, to be re-queued and resumed from their failed/unfinished state);
//  * cancellation is a flag on the run row that the claiming worker polls;
//  * trigger firings are unique keys in orch_triggers, so two schedulers fire a cron minute or
//    a landed file once.
// On SQLite the same statements run without SKIP LOCKED (the database lock serialises).
//
// Thread safety: all methods are thread-safe. Observers returned by NewObserver are
// thread-safe (the interpreter calls them from many threads) and must not outlive the store.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "orchestrator/observer.h"
#include "orchestrator/service/service.h"

namespace strata::catalog {
class Store;
}

namespace strata::orchestrator::service {

// Creates the run store's tables or brings them up to date (ledger orch_schema_migrations);
// adopts the tables catalog migrations 3 and 5 made before the store owned its schema.
// FailedPrecondition if a newer strata migrated them.
Status MigrateRunStore(catalog::Store& store);

struct NewRun {
  std::string run_id, pipeline, trigger, trigger_info, resumed_from, start_at, partition;
  Json definition;  // the ASL as run (resume re-runs it)
  Json input;
};

// What a worker needs to execute a claimed run.
struct StoredRun {
  RunSummary summary;
  Json definition;
  std::string start_at;
  Json failed_state_input;  // FAILED runs: the input of summary.failed_state
};

struct RunEnd {
  RunStatus status = RunStatus::kFailed;  // SUCCEEDED, FAILED or ABORTED
  Json output;                            // stored unless null
  std::string error, cause, failed_state;
  Json failed_state_input;
};

class RunStore {
 public:
  // Opens two connections to the catalog at `location` (migrating it). `clock` not owned.
  static Result<std::unique_ptr<RunStore>> Open(const std::string& location, Clock* clock);
  ~RunStore();  // writes what is queued, then stops the writer
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  Status CreateRun(const NewRun& run);
  // QUEUED -> RUNNING for `run_id`; false if it was not QUEUED (another worker took it).
  Result<bool> ClaimRun(const std::string& run_id, const std::string& worker);
  // The oldest QUEUED run, claimed; nullopt when none.
  Result<std::optional<std::string>> ClaimNextRun(const std::string& worker);
  // Whether any run is QUEUED (a cheap read, so idle workers poll without taking write locks).
  Result<bool> HasQueuedRuns();
  // Records the outcome (after every queued event of the run is written). FailedPrecondition
  // when the run is no longer RUNNING (another process recovered it as lost meanwhile): the
  // recorded outcome is kept.
  Status FinishRun(const std::string& run_id, const RunEnd& end);
  // Marks every RUNNING run whose heartbeat is older than `stale_before_micros` FAILED with
  // error kWorkerLostError and a cause naming the worker and its last heartbeat. Returns the
  // runs this call marked (a run is marked by one caller only, even with several processes
  // recovering at once).
  Result<std::vector<RunSummary>> RecoverLostRuns(int64_t stale_before_micros);
  // Sets the cancel flag; a QUEUED run is ABORTED at once. NotFound for an unknown run.
  Status RequestCancel(const std::string& run_id, const std::string& reason);
  // Runs of `worker` that are RUNNING with the cancel flag set, and runs of `worker` another
  // process recovered as lost within the last hour: (run_id, reason).
  Result<std::vector<std::pair<std::string, std::string>>> CancelRequests(
      const std::string& worker);
  // Refreshes heartbeat_at of these runs (queued, not waited for).
  void Heartbeat(const std::vector<std::string>& run_ids);
  // Inserts a trigger key; true when new (this caller fires), false when already fired.
  Result<bool> MarkTrigger(const std::string& key, const std::string& run_id);
  // Trigger cursors (orch_cursors): how far a trigger has looked (a table
  // trigger: the last Delta version it fired for). nullopt when never set.
  Result<std::optional<int64_t>> GetCursor(const std::string& key);
  // Sets the cursor to `position` unless it is already further (cursors never go back, so
  // schedulers racing on one cursor leave the furthest position).
  Status AdvanceCursor(const std::string& key, int64_t position);
  // Sets the cursor to `position`, also backwards (a table dropped and made again).
  Status ResetCursor(const std::string& key, int64_t position);

  Result<StoredRun> LoadRun(const std::string& run_id);
  Result<std::vector<RunSummary>> ListRuns(const RunFilter& filter);
  Result<RunDetail> GetDetail(const std::string& run_id);
  // Whether a run of `pipeline` for `partition` SUCCEEDED.
  Result<bool> PartitionSucceeded(const std::string& pipeline, const std::string& partition);

  // An observer recording the events of `run_id`; task logs go under `log_dir/<run_id>/`.
  std::unique_ptr<ExecutionObserver> NewObserver(const std::string& run_id,
                                                 const std::string& log_dir);
  // Waits until everything queued so far is written.
  void Flush();

  struct Impl;

 private:
  explicit RunStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The error of a run whose worker stopped heartbeating (killed, host lost).
inline constexpr const char* kWorkerLostError = "Strata.WorkerLost";

// JSON documents above this size are stored as {"truncated": true, "bytes": N, "head": ...}.
inline constexpr size_t kMaxStoredJson = 1 << 20;
// Event rows (RunEvent::detail input/output) keep documents up to this size whole and a head
// of bigger ones; states and attempts keep them whole (up to kMaxStoredJson).
inline constexpr size_t kMaxEventJson = 4096;

}  // namespace strata::orchestrator::service
