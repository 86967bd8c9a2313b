// strata worker: executes queued pipeline runs from the project's catalog, beside any number of
// other workers sharing it (a PostgreSQL catalog for workers on several hosts; SQLite for
// several processes on one). Runs get queued by `strata pipeline run NAME --queue`,
// `strata scheduler --queue`, the HTTP API, or any process's StartRun. Each run is claimed by
// exactly one worker (orchestrator/service/run_store.h); a worker heartbeats the runs it
// executes, and when one dies (kill -9, host lost) a live worker marks its runs FAILED
// (Strata.WorkerLost) after --lost-after seconds and resumes them from the state they were in.
// Runs until SIGINT/SIGTERM, then lets its running runs finish (--cancel-on-stop cancels them).
#include <memory>
#include <mutex>
#include <string>

#include "cli/app.h"
#include "cli/pipeline_support.h"

namespace strata::cli {
namespace {

namespace svc = orchestrator::service;

struct WorkerOptions : PipelineCliOptions {
  int concurrency = 4;
  double poll_seconds = 1;
  double lost_after_seconds = 30;
  double heartbeat_seconds = 1;
  std::string name;
  bool cancel_on_stop = false;
};

Status RunWorker(const WorkerOptions& o, CommandContext& c) {
  if (o.lost_after_seconds < 3 * o.heartbeat_seconds) {
    return Status::InvalidArgument(
        "--lost-after must be at least 3 times --heartbeat (a live worker's runs would be "
        "taken for lost)");
  }
  InterruptGuard guard;
  auto out_mu = std::make_shared<std::mutex>();
  svc::ServiceOptions so;
  so.claim_queued = true;
  so.claim_poll_micros = static_cast<int64_t>(o.poll_seconds * 1e6);
  so.recover_lost_runs = true;
  so.lost_after_micros = static_cast<int64_t>(o.lost_after_seconds * 1e6);
  so.heartbeat_micros = static_cast<int64_t>(o.heartbeat_seconds * 1e6);
  so.worker_id = o.name;
  std::ostream* err = c.err;
  so.on_run = [out_mu, err](const std::string& run_id, const std::string& status) {
    std::lock_guard<std::mutex> lock(*out_mu);
    *err << (status == "RUNNING" ? "claimed run " : "finished run ") << run_id
         << (status == "RUNNING" ? "" : ": " + status) << "\n";
    err->flush();
  };
  STRATA_ASSIGN_OR_RETURN(auto service, OpenService(o, o.concurrency, so));
  {
    std::lock_guard<std::mutex> lock(*out_mu);
    *c.err << "worker" << (o.name.empty() ? "" : " " + o.name) << ": executing queued runs ("
           << o.concurrency << " at a time, polling every " << o.poll_seconds
           << "s; runs of workers silent for " << o.lost_after_seconds
           << "s are resumed); Ctrl-C stops\n";
    c.err->flush();
  }
  while (!InterruptGuard::Interrupted()) Clock::System().SleepForMicros(100'000);
  {
    std::lock_guard<std::mutex> lock(*out_mu);
    *c.err << "worker: stopping"
           << (o.cancel_on_stop ? " (cancelling running runs)" : " (letting running runs finish)")
           << "\n";
  }
  service->Shutdown(o.cancel_on_stop);
  return Status::OK();
}

}  // namespace

void AddWorkerCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<WorkerOptions>();
  CLI::App* sub = app.add_subcommand(
      "worker",
      "Execute queued pipeline runs from the project's catalog (shared with other workers) "
      "until Ctrl-C");
  AddPipelineCliOptions(sub, *options);
  sub->add_option("--concurrency", options->concurrency, "Runs at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  sub->add_option("--poll", options->poll_seconds, "Seconds between looks at the queue when idle")
      ->check(CLI::Range(0.05, 60.0))
      ->capture_default_str();
  sub->add_option("--lost-after", options->lost_after_seconds,
                  "Seconds without a heartbeat after which a run's worker counts as dead (its "
                  "runs are resumed)")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  sub->add_option("--heartbeat", options->heartbeat_seconds,
                  "Seconds between heartbeats of this worker's runs")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  sub->add_option("--name", options->name, "Worker name recorded on its runs (default host:pid)");
  sub->add_flag("--cancel-on-stop", options->cancel_on_stop,
                "On SIGINT/SIGTERM cancel running runs instead of letting them finish");
  sub->callback([options, &context] {
    context.action = [options, &context] { return RunWorker(*options, context); };
  });
}

}  // namespace strata::cli
