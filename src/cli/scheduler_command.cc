// strata scheduler: starts pipelines on their cron schedules and when files land in landing/
// matching a file trigger; runs until SIGINT/SIGTERM (then lets running runs finish). With
// --queue it only queues them for `strata worker` processes. It also resumes runs whose worker
// died (no heartbeat for --lost-after seconds).
#include <memory>
#include <string>

#include "cli/app.h"
#include "cli/pipeline_support.h"

namespace strata::cli {
namespace {

namespace svc = orchestrator::service;

struct SchedulerOptions : PipelineCliOptions {
  double poll_seconds = 5;
  int concurrency = 4;
  bool cancel_on_stop = false;
  bool queue = false;  // only queue the runs it starts; `strata worker`s execute them
  double lost_after_seconds = 30;
};

Status RunScheduler(const SchedulerOptions& o, CommandContext& c) {
  InterruptGuard guard;
  svc::ServiceOptions so;
  so.queue_only = o.queue;
  // Schedulers also look after runs whose worker died (see strata worker).
  so.recover_lost_runs = true;
  so.lost_after_micros = static_cast<int64_t>(o.lost_after_seconds * 1e6);
  STRATA_ASSIGN_OR_RETURN(auto service, OpenService(o, o.concurrency, so));
  STRATA_ASSIGN_OR_RETURN(std::vector<svc::PipelineInfo> pipelines, service->ListPipelines());
  int schedules = 0, triggers = 0, table_triggers = 0;
  for (const svc::PipelineInfo& p : pipelines) {
    if (!p.error.empty()) *c.err << "strata: warning: " << p.error << "\n";
    schedules += static_cast<int>(p.schedules.size());
    triggers += static_cast<int>(p.file_triggers.size());
    table_triggers += static_cast<int>(p.table_triggers.size());
  }
  *c.err << "scheduler: " << pipelines.size() << " pipelines, " << schedules
         << " cron schedules (UTC), " << triggers << " file triggers, " << table_triggers
         << " table triggers; " << (o.queue ? "queueing runs for workers; " : "")
         << "polling every " << o.poll_seconds << "s; Ctrl-C stops\n";
  std::vector<std::string> started;
  int64_t poll = static_cast<int64_t>(o.poll_seconds * 1e6);
  // Each tick's runs are reported as they start.
  while (!InterruptGuard::Interrupted()) {
    auto ids = service->SchedulerTick();
    if (!ids.ok()) {
      *c.err << "strata: scheduler: " << ids.status().message() << "\n";
    } else {
      for (const std::string& id : *ids) {
        auto detail = service->GetRun(id);
        *c.err << "started run " << id;
        if (detail.ok()) {
          *c.err << " of " << detail->run.pipeline << " (" << detail->run.trigger << ": "
                 << detail->run.trigger_info << ")";
        }
        *c.err << "\n";
        started.push_back(id);
      }
    }
    for (int64_t waited = 0; waited < poll && !InterruptGuard::Interrupted(); waited += 100'000) {
      Clock::System().SleepForMicros(100'000);
    }
  }
  *c.err << "scheduler: stopping" << (o.cancel_on_stop ? " (cancelling running runs)" : "") << "\n";
  service->Shutdown(o.cancel_on_stop);
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const std::string& id : started) {
      auto d = service->GetRun(id);
      out.push_back(
          {{"run_id", id},
           {"status", d.ok() ? std::string(svc::RunStatusName(d->run.status)) : "UNKNOWN"}});
    }
    *c.out << out.dump(2) << "\n";
  }
  return Status::OK();
}

}  // namespace

void AddSchedulerCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<SchedulerOptions>();
  CLI::App* sub = app.add_subcommand(
      "scheduler",
      "Start pipelines on their cron schedules and on files landing in landing/ (until Ctrl-C)");
  AddPipelineCliOptions(sub, *options);
  sub->add_option("--poll", options->poll_seconds, "Seconds between checks")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  sub->add_option("--concurrency", options->concurrency, "Runs at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  sub->add_flag("--queue", options->queue,
                "Only queue the runs it starts, for `strata worker` processes to execute");
  sub->add_option("--lost-after", options->lost_after_seconds,
                  "Seconds without a heartbeat after which a run's worker counts as dead (its "
                  "runs are resumed)")
      ->check(CLI::Range(3.0, 86400.0))
      ->capture_default_str();
  sub->add_flag("--cancel-on-stop", options->cancel_on_stop,
                "On SIGINT/SIGTERM cancel running runs instead of letting them finish");
  sub->callback([options, &context] {
    context.action = [options, &context] { return RunScheduler(*options, context); };
  });
}

}  // namespace strata::cli
