#include "cli/pipeline_support.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <thread>

#include "catalog/location.h"
#include "catalog/store.h"
#include "orchestrator/service/json.h"

namespace strata::cli {
namespace svc = orchestrator::service;
namespace {

std::atomic<bool> interrupted{false};

void OnSignal(int) { interrupted = true; }

std::string Pad(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

}  // namespace

void AddPipelineCliOptions(CLI::App* command, PipelineCliOptions& options) {
  command->add_option("--project", options.project, "Project directory (holds strata.yaml)")
      ->capture_default_str();
  command->add_option("--catalog", options.catalog,
                      "Catalog database (SQLite path or postgresql:// URL); default: the "
                      "project's");
  command->add_flag("--json", options.json, "Machine-readable output");
}

Result<std::unique_ptr<svc::OrchestratorService>> OpenService(const PipelineCliOptions& options,
                                                              int max_concurrent_runs,
                                                              bool create) {
  if (!create) {
    STRATA_ASSIGN_OR_RETURN(std::string location,
                            catalog::ResolveCatalogLocation(options.project, options.catalog));
    if (!catalog::IsPostgresUrl(location) && !std::filesystem::exists(location)) {
      return Status::NotFound("no runs yet: no catalog at " + location +
                              " (run a pipeline first, or pass --catalog)");
    }
  }
  return OpenService(options, max_concurrent_runs, svc::ServiceOptions{});
}

Result<std::unique_ptr<svc::OrchestratorService>> OpenService(const PipelineCliOptions& options,
                                                              int max_concurrent_runs,
                                                              svc::ServiceOptions base) {
  base.project_dir = options.project;
  base.catalog = options.catalog;
  base.max_concurrent_runs = max_concurrent_runs;
  return svc::OrchestratorService::Open(base);
}

Result<pipeline::RunRecord> RunProjectPipeline(const pipeline::Project& project,
                                               const pipeline::RunOptions& run) {
  PipelineCliOptions where;
  where.project = project.root;
  // One run thread: this process runs only its own run, in this thread.
  STRATA_ASSIGN_OR_RETURN(auto service, OpenService(where, 1));
  svc::ProjectRunOptions request;
  request.run = run;
  request.project = &project;
  return service->RunProject(request);
}

InterruptGuard::InterruptGuard() {
  interrupted = false;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

InterruptGuard::~InterruptGuard() {
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
}

bool InterruptGuard::Interrupted() { return interrupted; }

Result<svc::RunSummary> WaitWithProgress(svc::OrchestratorService& service,
                                         const std::string& run_id, bool show_progress,
                                         std::ostream& err) {
  int64_t shown_seq = 0;
  bool cancel_sent = false;
  while (true) {
    auto done = service.WaitRun(run_id, 200'000);
    if (show_progress) {
      auto detail = service.GetRun(run_id);
      if (detail.ok()) {
        for (const svc::RunEvent& e : detail->events) {
          if (e.seq <= shown_seq) continue;
          shown_seq = e.seq;
          std::string where = (e.scope.empty() ? "" : e.scope + "/") + e.state;
          if (e.type == "StateExited" && e.scope.empty()) {
            int64_t ms = e.detail.value("duration_micros", int64_t{0}) / 1000;
            err << "  ok      " << where << " (" << FormatMillis(ms) << ")\n";
          } else if (e.type == "TaskFailed") {
            err << "  failed  " << where << " attempt " << e.detail.value("attempt", 0) << ": "
                << e.detail.value("error", "") << "\n";
          } else if (e.type == "RetryScheduled") {
            err << "  retry   " << where << " in "
                << FormatMillis(e.detail.value("delay_micros", int64_t{0}) / 1000) << "\n";
          } else if (e.type == "ErrorCaught") {
            err << "  caught  " << where << " -> " << e.detail.value("next", "") << "\n";
          }
        }
      }
    }
    if (done.ok()) return done;
    if (done.status().code() != StatusCode::kTimeout) {
      return done.status();
    }
    if (InterruptGuard::Interrupted() && !cancel_sent) {
      cancel_sent = true;
      err << "strata: interrupted: cancelling run " << run_id << "\n";
      STRATA_RETURN_IF_ERROR(service.Cancel(run_id, "interrupted (Ctrl-C)"));
    }
  }
}

std::string FormatMillis(int64_t millis) {
  std::ostringstream out;
  if (millis < 1000) {
    out << millis << "ms";
  } else {
    out << std::fixed << std::setprecision(1) << millis / 1000.0 << "s";
  }
  return out.str();
}

Status ReportRun(svc::OrchestratorService& service, const svc::RunSummary& run, bool json,
                 std::ostream& out) {
  STRATA_ASSIGN_OR_RETURN(svc::RunDetail detail, service.GetRun(run.run_id));
  if (json) {
    out << svc::RunDetailJson(detail).dump(2) << "\n";
  } else {
    out << "run " << run.run_id << "  pipeline " << run.pipeline << "  " << run.status;
    if (run.started_at_micros && run.ended_at_micros) {
      out << "  " << FormatMillis((run.ended_at_micros - run.started_at_micros) / 1000);
    }
    out << "\n";
    for (const svc::StateRun& s : detail.states) {
      if (!s.scope.empty()) continue;
      int attempts = 0;
      for (const svc::TaskAttempt& a : detail.attempts) {
        attempts += a.scope.empty() && a.state == s.state ? 1 : 0;
      }
      out << "  " << Pad(s.status, 10) << Pad(s.state, 32) << Pad(s.type, 10)
          << (s.exited_at_micros ? FormatMillis((s.exited_at_micros - s.entered_at_micros) / 1000)
                                 : std::string("-"));
      if (attempts > 1) out << "  (" << attempts << " attempts)";
      if (!s.error.empty()) out << "  " << s.error;
      out << "\n";
    }
    if (!run.error.empty() || !run.cause.empty()) {
      out << "error: " << run.error << (run.cause.empty() ? "" : ": " + run.cause) << "\n";
    }
    if (run.status == svc::RunStatus::kSucceeded) {
      std::string text = run.output.dump();
      if (text.size() > 400) {
        text = std::to_string(text.size()) + " bytes of JSON (strata runs show " + run.run_id +
               " --json)";
      }
      out << "output: " << text << "\n";
    }
    out << "logs: strata runs logs " << run.run_id << "\n";
  }
  if (run.status == svc::RunStatus::kSucceeded) return Status::OK();
  std::string message = "run " + run.run_id + " " + std::string(svc::RunStatusName(run.status));
  if (!run.error.empty()) message += ": " + run.error;
  if (!run.failed_state.empty()) {
    message += " in state '" + run.failed_state + "' (strata pipeline resume " + run.run_id + ")";
  }
  return Status::FailedPrecondition(message);
}

}  // namespace strata::cli
