// strata runs list|show|logs|cancel: the history of pipeline runs kept in the catalog database
// (any process's runs; orchestrator/service/run_store.h).
#include <memory>
#include <string>

#include "cli/app.h"
#include "cli/pipeline_support.h"
#include "orchestrator/service/json.h"

namespace strata::cli {
namespace {

namespace svc = orchestrator::service;
using Json = nlohmann::json;

struct RunsOptions : PipelineCliOptions {
  std::string run_id;
  std::string pipeline;
  std::string status;
  std::string state;
  int attempt = 0;
  int limit = 50;
};

std::string Pad(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

Status List(const RunsOptions& o, CommandContext& c) {
  auto opened = OpenService(o, 1, /*create=*/false);
  if (!opened.ok() && opened.status().IsNotFound() &&
      opened.status().message().rfind("no runs yet", 0) == 0) {
    *c.out << (o.json ? "[]\n" : "no runs yet\n");
    return Status::OK();
  }
  STRATA_ASSIGN_OR_RETURN(auto service, std::move(opened));
  svc::RunFilter filter;
  filter.pipeline = o.pipeline;
  if (!o.status.empty()) {
    STRATA_ASSIGN_OR_RETURN(svc::RunStatus status, svc::ParseRunStatus(o.status));
    filter.statuses = {status};
  }
  filter.limit = o.limit;
  STRATA_ASSIGN_OR_RETURN(std::vector<svc::RunSummary> runs, service->ListRuns(filter));
  if (o.json) {
    Json out = Json::array();
    for (const svc::RunSummary& r : runs) out.push_back(svc::RunJson(r));
    *c.out << out.dump(2) << "\n";
    return Status::OK();
  }
  if (runs.empty()) {
    *c.out << "no runs yet\n";
    return Status::OK();
  }
  *c.out << Pad("RUN", 26) << Pad("PIPELINE", 24) << Pad("STATUS", 11) << Pad("TRIGGER", 10)
         << Pad("STARTED", 25) << "DURATION\n";
  for (const svc::RunSummary& r : runs) {
    *c.out << Pad(r.run_id, 26) << Pad(r.pipeline, 24)
           << Pad(std::string(svc::RunStatusName(r.status)), 11) << Pad(r.trigger, 10)
           << Pad(svc::IsoTime(r.started_at_micros), 25)
           << (r.ended_at_micros && r.started_at_micros
                   ? FormatMillis((r.ended_at_micros - r.started_at_micros) / 1000)
                   : std::string("-"))
           << "\n";
  }
  return Status::OK();
}

Status Show(const RunsOptions& o, CommandContext& c) {
  STRATA_ASSIGN_OR_RETURN(auto service, OpenService(o, 1, /*create=*/false));
  STRATA_ASSIGN_OR_RETURN(svc::RunDetail d, service->GetRun(o.run_id));
  if (o.json) {
    *c.out << svc::RunDetailJson(d).dump(2) << "\n";
    return Status::OK();
  }
  const svc::RunSummary& r = d.run;
  *c.out << "run " << r.run_id << "\npipeline: " << r.pipeline << "\nstatus: " << r.status
         << "\ntrigger: " << r.trigger
         << (r.trigger_info.empty() ? "" : " (" + r.trigger_info + ")") << "\n";
  if (!r.resumed_from.empty()) *c.out << "resumes: " << r.resumed_from << "\n";
  if (!r.worker.empty()) *c.out << "worker: " << r.worker << "\n";
  *c.out << "queued: " << svc::IsoTime(r.queued_at_micros)
         << "\nstarted: " << svc::IsoTime(r.started_at_micros)
         << "\nended: " << svc::IsoTime(r.ended_at_micros) << "\ninput: " << r.input.dump() << "\n";
  if (r.pipeline == svc::kProjectPipeline) {
    *c.out << "record: strata runs show " << r.run_id << " --json (output)\n";
  } else if (r.status == svc::RunStatus::kSucceeded) {
    std::string text = r.output.dump();
    if (text.size() > 400) text = std::to_string(text.size()) + " bytes of JSON (--json shows it)";
    *c.out << "output: " << text << "\n";
  }
  if (!r.error.empty() || !r.cause.empty()) {
    *c.out << "error: " << r.error << (r.cause.empty() ? "" : ": " + r.cause) << "\n";
  }
  if (!r.failed_state.empty()) *c.out << "failed state: " << r.failed_state << "\n";
  *c.out << "states:\n";
  for (const svc::StateRun& s : d.states) {
    *c.out << "  " << Pad(s.status, 10) << Pad((s.scope.empty() ? "" : s.scope + "/") + s.state, 36)
           << Pad(s.type, 10)
           << (s.exited_at_micros ? FormatMillis((s.exited_at_micros - s.entered_at_micros) / 1000)
                                  : std::string("-"))
           << (s.error.empty() ? "" : "  " + s.error) << "\n";
  }
  if (!d.attempts.empty()) *c.out << "task attempts:\n";
  for (const svc::TaskAttempt& a : d.attempts) {
    *c.out << "  " << Pad(a.status, 10)
           << Pad((a.scope.empty() ? "" : a.scope + "/") + a.state + " #" +
                      std::to_string(a.attempt),
                  36)
           << Pad(a.resource, 18)
           << (a.ended_at_micros ? FormatMillis((a.ended_at_micros - a.started_at_micros) / 1000)
                                 : std::string("-"));
    if (!a.error.empty()) *c.out << "  " << a.error << ": " << a.cause;
    *c.out << "\n";
  }
  return Status::OK();
}

Status Logs(const RunsOptions& o, CommandContext& c) {
  STRATA_ASSIGN_OR_RETURN(auto service, OpenService(o, 1, /*create=*/false));
  if (o.state.empty()) {
    STRATA_ASSIGN_OR_RETURN(std::string text, service->ReadRunLogs(o.run_id));
    if (o.json) {
      STRATA_ASSIGN_OR_RETURN(svc::RunDetail d, service->GetRun(o.run_id));
      Json out = Json::array();
      for (const svc::TaskAttempt& a : d.attempts) {
        auto log = service->ReadTaskLog(o.run_id, a.state, a.attempt, a.scope);
        out.push_back({{"scope", a.scope},
                       {"state", a.state},
                       {"attempt", a.attempt},
                       {"status", a.status},
                       {"log", log.ok() ? *log : ""}});
      }
      *c.out << out.dump(2) << "\n";
    } else {
      *c.out << text;
    }
    return Status::OK();
  }
  STRATA_ASSIGN_OR_RETURN(std::string text, service->ReadTaskLog(o.run_id, o.state, o.attempt));
  if (o.json) {
    *c.out << Json{{"state", o.state}, {"attempt", o.attempt}, {"log", text}}.dump(2) << "\n";
  } else {
    *c.out << text;
  }
  return Status::OK();
}

Status Cancel(const RunsOptions& o, CommandContext& c) {
  STRATA_ASSIGN_OR_RETURN(auto service, OpenService(o, 1, /*create=*/false));
  STRATA_RETURN_IF_ERROR(service->Cancel(o.run_id, "cancelled with strata runs cancel"));
  // The process running it stops it within a moment; report what happened.
  auto done = service->WaitRun(o.run_id, 30'000'000);
  std::string status = done.ok() ? std::string(svc::RunStatusName(done->status)) : "CANCELLING";
  if (o.json) {
    *c.out << Json{{"run_id", o.run_id}, {"status", status}}.dump(2) << "\n";
  } else {
    *c.out << "run " << o.run_id << ": " << status << "\n";
  }
  return Status::OK();
}

}  // namespace

void AddRunsCommand(CLI::App& app, CommandContext& context) {
  CLI::App* runs = app.add_subcommand(
      "runs", "History of pipeline runs (from the catalog database): list, show, logs, cancel");
  runs->require_subcommand(1);
  auto add = [&](const char* name, const char* help, auto&& configure, auto&& action) {
    auto options = std::make_shared<RunsOptions>();
    CLI::App* sub = runs->add_subcommand(name, help);
    AddPipelineCliOptions(sub, *options);
    configure(sub, *options);
    sub->callback([options, &context, action] {
      context.action = [options, &context, action] { return action(*options, context); };
    });
  };
  add(
      "list", "Recent runs, newest first",
      [](CLI::App* sub, RunsOptions& o) {
        sub->add_option("--pipeline", o.pipeline, "Only runs of this pipeline");
        sub->add_option("--status", o.status,
                        "Only runs with this status (QUEUED, RUNNING, SUCCEEDED, FAILED, ABORTED)");
        sub->add_option("--limit", o.limit, "At most this many")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
      },
      List);
  add(
      "show", "A run with its states, task attempts, errors and timings",
      [](CLI::App* sub, RunsOptions& o) {
        sub->add_option("run_id", o.run_id, "Run id")->required();
      },
      Show);
  add(
      "logs", "The task logs of a run (all, or one state's)",
      [](CLI::App* sub, RunsOptions& o) {
        sub->add_option("run_id", o.run_id, "Run id")->required();
        sub->add_option("--state", o.state, "Only this state's log");
        sub->add_option("--attempt", o.attempt, "Only this attempt (default: the last)")
            ->check(CLI::NonNegativeNumber);
      },
      Logs);
  add(
      "cancel", "Cancel a queued or running run (running tasks are stopped)",
      [](CLI::App* sub, RunsOptions& o) {
        sub->add_option("run_id", o.run_id, "Run id")->required();
      },
      Cancel);
}

}  // namespace strata::cli
