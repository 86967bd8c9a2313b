// Running a project: sources into bronze, then every model in dependency order, each tested
// before it is committed; or, for `strata test`, every test on the committed tables.
//
//   STRATA_ASSIGN_OR_RETURN(Project project, LoadProject("."));
//   STRATA_ASSIGN_OR_RETURN(RunRecord run, RunProject(project, {}));
//   if (!run.ok()) ...   // run.nodes says what failed, was skipped or quarantined
//
// Contract (run):
//  - Sources run first: each selected source ingests its new landing files (ingest/
//    file_source.h), then its bronze tests run: every file reconciles (rows read = rows in the
//    table + rows in quarantine, checked in the committed tables), the key is unique (warn:
//    bronze keeps every row ever landed), the table has the contract's columns and types, plus
//    the source's own tests.
//  - A model runs when everything it reads is done: its SQL is bound to the lake (views of the
//    latest versions) and computed into a candidate; its `quarantine` tests move the rows they
//    flag to a candidate quarantine (each row once, with every rule it broke and the run id);
//    then its other tests run on the candidate (a test reading the model or its __quarantine
//    sees the candidate rows). If a `fail` test fails (or a test cannot run) nothing is
//    committed and every model downstream is skipped; else the model is one Delta commit:
//    table = create-or-replace, incremental = append of rows whose key (or whole row, without
//    a key) is not in the table yet, merge = upsert on the key; then <model>__quarantine gets
//    its rows (replaced for table models, appended otherwise).
//  - Independent models run in parallel: `workers` threads, one engine connection each, on one
//    shared engine database.
//  - Afterwards every node is recorded in the project's catalog (catalog_sync.h): metadata,
//    schema, run statistics, lineage, classifications. A catalog failure is reported in the
//    record (catalog_error), never fails the run.
//  - Cancelling (RunOptions::cancel) stops the run early, see CancelToken.
//  - The record (run_record.h) is returned whatever the outcome; the orchestrator's run store
//    keeps it (orchestrator/service/service.h, RunProject: `strata run` is a run of the
//    project's built-in pipeline). Status errors are for failures of the run itself (lake
//    unusable, bad project SQL); failures of sources, models and tests are in the record.
// Contract (test): no ingestion and no commit; every selected node's tests run against its
// committed table (quarantine tests report the rows they would move).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "ingest/file_source.h"
#include "pipeline/graph.h"
#include "pipeline/project.h"
#include "pipeline/run_record.h"

namespace strata::pipeline {

struct ProgressEvent {
  enum class Kind { kStarted, kFinished };
  Kind kind = Kind::kStarted;
  std::string table;
  const NodeResult* result = nullptr;  // kFinished only
  int done = 0;                        // nodes finished so far (including this one)
  int total = 0;
  int64_t elapsed_millis = 0;  // since the run started
};

// A request to stop a run, shared by whoever may cancel it (an API handler, a signal handler)
// and RunProject. Thread-safe; Cancel() only sets a flag (async-signal-safe, never blocks) and
// may be called before, during or after the run, any number of times.
//
// What RunProject does once the token is cancelled (it looks every 20 ms):
//  - no node starts any more: nodes not started are recorded skipped, "cancelled by user: not
//    started";
//  - the DuckDB statements of the running nodes are interrupted (engine::Connection::Interrupt,
//    repeated until each node returns: DuckDB forgets an interrupt that falls between two
//    statements). Each table is one Delta commit, written only after its data files, so a node
//    interrupted before its commit commits nothing; it is recorded skipped, "cancelled by user:
//    interrupted while running, nothing committed". A node whose commit landed first keeps its
//    result (its table holds the new version), and one that failed for its own reasons stays
//    failed;
//  - tables committed earlier in the run stay; the record (cancelled = true, status
//    "cancelled") and the catalog are written as for any run.
//
// A token made with `also_when` is also cancelled once that returns true (a signal flag, an
// orchestrator task's cancellation): the runner polls it with the flag, so it must be cheap and
// thread-safe.
class CancelToken {
 public:
  CancelToken() = default;
  explicit CancelToken(std::function<bool()> also_when) : also_when_(std::move(also_when)) {}

  void Cancel() noexcept { cancelled_.store(true, std::memory_order_release); }
  bool cancelled() const noexcept {
    return cancelled_.load(std::memory_order_acquire) || (also_when_ && also_when_());
  }

 private:
  std::atomic<bool> cancelled_{false};
  std::function<bool()> also_when_;
};

// The error of nodes a cancel stopped or never started begins with this.
inline constexpr const char* kCancelledByUser = "cancelled by user";

struct RunOptions {
  Selection selection;
  bool test_only = false;  // `strata test`
  int workers = 0;         // parallel nodes; 0 = min(4, cores)
  // Called for each node start and finish, one call at a time (under the runner's lock).
  std::function<void(const ProgressEvent&)> progress;
  // _ingested_at of this run, micros since the epoch; 0 = now.
  int64_t ingested_at_micros = 0;
  // The run's id (the run store's: catalog runs and lineage, quarantine rows and OpenLineage
  // carry it); "" = a new one (NewRunId).
  std::string run_id;
  // Rebuild incremental tables from all their input (apply_changes: every change of the source).
  bool full_refresh = false;
  // Record the run in the project's catalog (catalog_sync.h); `strata run` always does.
  bool sync_catalog = true;
  // Cancels the run when cancelled (see CancelToken); null = cannot be cancelled.
  std::shared_ptr<const CancelToken> cancel;
  // Exactly the files a source loads, by source name, instead of listing the landing
  // directory (sources not named here list as usual); see ingest::LandedFile. The SFTP landing
  // zone names the files that arrived, read from their archived copies.
  std::map<std::string, std::vector<ingest::LandedFile>> files;
};

Result<RunRecord> RunProject(const Project& project, const RunOptions& options);

}  // namespace strata::pipeline
