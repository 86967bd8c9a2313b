// strata pipeline list|show|run|resume|backfill: a project's state-machine pipelines
// (pipelines/*.yaml; orchestrator/service/service.h holds the semantics).
#include <filesystem>
#include <memory>
#include <string>

#include "cli/app.h"
#include "cli/pipeline_support.h"
#include "orchestrator/service/json.h"

namespace strata::cli {
namespace {

namespace svc = orchestrator::service;
using Json = nlohmann::json;

struct PipelineOptions : PipelineCliOptions {
  std::string name;
  std::string input = "{}";
  std::string from, to;
  int concurrency = 2;
  bool queue = false;  // record the run QUEUED for `strata worker`, do not run it here
  bool wait = false;   // with --queue: wait for a worker to finish it
};

Result<Json> ParseInput(const std::string& text) {
  Json input = Json::parse(text, nullptr, false);
  if (input.is_discarded()) {
    return Status::InvalidArgument("--input is not valid JSON: " + text);
  }
  return input;
}

Result<std::string> ProjectRoot(const PipelineOptions& o) {
  if (!std::filesystem::is_regular_file(std::filesystem::path(o.project) / "strata.yaml")) {
    return Status::NotFound("no strata project at " + o.project + " (strata.yaml not found)");
  }
  return o.project;
}

Status List(const PipelineOptions& o, CommandContext& c) {
  STRATA_ASSIGN_OR_RETURN(std::string root, ProjectRoot(o));
  STRATA_ASSIGN_OR_RETURN(std::vector<svc::PipelineInfo> pipelines,
                          svc::ListProjectPipelines(root));
  bool any_error = false;
  if (o.json) {
    Json out = Json::array();
    for (const svc::PipelineInfo& p : pipelines) {
      Json j = svc::PipelineJson(p);
      j.erase("definition");
      out.push_back(std::move(j));
      any_error |= !p.error.empty();
    }
    *c.out << out.dump(2) << "\n";
  } else {
    if (pipelines.empty()) *c.out << "no pipelines (add pipelines/*.yaml)\n";
    for (const svc::PipelineInfo& p : pipelines) {
      *c.out << p.name << "  (" << p.file << ")";
      if (!p.owner.empty()) *c.out << "  owner " << p.owner;
      for (const std::string& s : p.schedules) *c.out << "  schedule '" << s << "'";
      for (const auto& t : p.file_triggers) {
        *c.out << "  on file " << (t.pattern.empty() ? "*" : t.pattern)
               << (t.source.empty() ? "" : " of " + t.source);
      }
      for (const auto& t : p.table_triggers) *c.out << "  on commit to " << t.table;
      *c.out << "\n";
      if (!p.description.empty()) *c.out << "    " << p.description << "\n";
      if (!p.error.empty()) {
        any_error = true;
        *c.out << "    ERROR: " << p.error << "\n";
      }
    }
  }
  if (any_error) return Status::InvalidArgument("some pipeline files do not load (see above)");
  return Status::OK();
}

Status Show(const PipelineOptions& o, CommandContext& c) {
  STRATA_ASSIGN_OR_RETURN(std::string root, ProjectRoot(o));
  STRATA_ASSIGN_OR_RETURN(svc::PipelineInfo p, svc::GetProjectPipeline(root, o.name));
  Json j = svc::PipelineJson(p);
  if (o.json) {
    *c.out << j.dump(2) << "\n";
    return Status::OK();
  }
  *c.out << "pipeline " << p.name << "  (" << p.file << ")\n";
  if (!p.description.empty()) *c.out << "description: " << p.description << "\n";
  if (!p.owner.empty()) *c.out << "owner: " << p.owner << "\n";
  for (const std::string& s : p.schedules) *c.out << "schedule: " << s << " (UTC)\n";
  for (const auto& t : p.file_triggers) {
    *c.out << "on file: " << (t.pattern.empty() ? "*" : t.pattern)
           << (t.source.empty() ? "" : " (source " + t.source + ")") << "\n";
  }
  for (const auto& t : p.table_triggers) {
    *c.out << "on commit: each new Delta version of " << t.table << "\n";
  }
  *c.out << "starts at: " << p.definition.value("StartAt", "") << "\nstates:\n";
  for (const Json& s : j["states"]) {
    *c.out << "  " << s["name"].get<std::string>() << "  " << s["type"].get<std::string>();
    if (!s["resource"].get<std::string>().empty()) {
      *c.out << "  " << s["resource"].get<std::string>();
    }
    if (!s["comment"].get<std::string>().empty()) {
      *c.out << "  -- " << s["comment"].get<std::string>();
    }
    *c.out << "\n";
  }
  return Status::OK();
}

Status RunOrResume(const PipelineOptions& o, CommandContext& c, bool resume) {
  if (o.wait && !o.queue) return Status::InvalidArgument("--wait goes with --queue");
  InterruptGuard guard;
  STRATA_ASSIGN_OR_RETURN(auto service, OpenService(o, 1));
  std::string run_id;
  if (resume) {
    STRATA_ASSIGN_OR_RETURN(run_id, service->Resume(o.name, o.queue));
  } else {
    STRATA_ASSIGN_OR_RETURN(Json input, ParseInput(o.input));
    svc::StartOptions start;
    start.queue_only = o.queue;
    STRATA_ASSIGN_OR_RETURN(run_id, service->StartRun(o.name, input, start));
  }
  if (o.queue && !o.wait) {
    // The id on stdout (for scripts); a worker (`strata worker`) executes it.
    if (o.json) {
      *c.out << Json{{"run_id", run_id},
                     {"status", std::string(svc::RunStatusName(svc::RunStatus::kQueued))}}
                    .dump(2)
             << "\n";
    } else {
      *c.out << run_id << "\n";
      *c.err << "run " << run_id << " queued for a worker (strata worker; strata runs show "
             << run_id << ")\n";
    }
    return Status::OK();
  }
  if (!o.json) *c.err << "run " << run_id << (o.queue ? " queued" : " started") << "\n";
  STRATA_ASSIGN_OR_RETURN(svc::RunSummary run, WaitWithProgress(*service, run_id, !o.json, *c.err));
  return ReportRun(*service, run, o.json, *c.out);
}

Status Backfill(const PipelineOptions& o, CommandContext& c) {
  InterruptGuard guard;
  STRATA_ASSIGN_OR_RETURN(Json input, ParseInput(o.input));
  STRATA_ASSIGN_OR_RETURN(auto service, OpenService(o, std::max(1, o.concurrency)));
  svc::BackfillOptions options;
  options.from = o.from;
  options.to = o.to;
  options.concurrency = o.concurrency;
  options.input = input;
  STRATA_ASSIGN_OR_RETURN(std::vector<svc::BackfillItem> items, service->Backfill(o.name, options));
  int failed = 0, skipped = 0, succeeded = 0;
  for (const svc::BackfillItem& i : items) {
    failed += i.status != "SUCCEEDED" && i.status != "SKIPPED";
    skipped += i.status == "SKIPPED";
    succeeded += i.status == "SUCCEEDED";
  }
  if (o.json) {
    *c.out << svc::BackfillJson(items).dump(2) << "\n";
  } else {
    for (const svc::BackfillItem& i : items) {
      *c.out << i.date << "  " << i.status << (i.run_id.empty() ? "" : "  " + i.run_id) << "\n";
    }
    *c.out << succeeded << " succeeded, " << skipped << " skipped (already successful), " << failed
           << " failed\n";
  }
  if (failed > 0) {
    return Status::FailedPrecondition(std::to_string(failed) + " of " +
                                      std::to_string(items.size()) + " dates failed");
  }
  return Status::OK();
}

}  // namespace

void AddPipelineCommand(CLI::App& app, CommandContext& context) {
  CLI::App* pipeline = app.add_subcommand(
      "pipeline",
      "State-machine pipelines of a project (pipelines/*.yaml): list, show, run, "
      "resume, backfill");
  pipeline->require_subcommand(1);
  auto add = [&](const char* name, const char* help, auto&& configure, auto&& action) {
    auto options = std::make_shared<PipelineOptions>();
    CLI::App* sub = pipeline->add_subcommand(name, help);
    AddPipelineCliOptions(sub, *options);
    configure(sub, *options);
    sub->callback([options, &context, action] {
      context.action = [options, &context, action] { return action(*options, context); };
    });
  };
  add(
      "list", "List the pipelines with their owner, schedules and triggers",
      [](CLI::App*, PipelineOptions&) {}, List);
  add(
      "show", "Show a pipeline: description, owner, schedules, triggers and states",
      [](CLI::App* sub, PipelineOptions& o) {
        sub->add_option("name", o.name, "Pipeline name (file name without .yaml)")->required();
      },
      Show);
  add(
      "run", "Run a pipeline and wait for it (Ctrl-C cancels the run)",
      [](CLI::App* sub, PipelineOptions& o) {
        sub->add_option("name", o.name, "Pipeline name")->required();
        sub->add_option("--input", o.input, "The execution input (JSON)")->capture_default_str();
        sub->add_flag("--queue", o.queue,
                      "Only queue the run (prints its id): a `strata worker` executes it");
        sub->add_flag("--wait", o.wait, "With --queue: wait until a worker has run it");
      },
      [](const PipelineOptions& o, CommandContext& c) { return RunOrResume(o, c, false); });
  add(
      "resume", "Re-run a failed run from the state that failed, with the input it had",
      [](CLI::App* sub, PipelineOptions& o) {
        sub->add_option("run_id", o.name, "The failed run")->required();
        sub->add_flag("--queue", o.queue, "Only queue the new run: a `strata worker` runs it");
        sub->add_flag("--wait", o.wait, "With --queue: wait until a worker has run it");
      },
      [](const PipelineOptions& o, CommandContext& c) { return RunOrResume(o, c, true); });
  add(
      "backfill",
      "Run a pipeline once per date (input {\"date\": \"YYYY-MM-DD\"}), skipping dates already "
      "successful",
      [](CLI::App* sub, PipelineOptions& o) {
        sub->add_option("name", o.name, "Pipeline name")->required();
        sub->add_option("--from", o.from, "First date, YYYY-MM-DD")->required();
        sub->add_option("--to", o.to, "Last date (inclusive), YYYY-MM-DD")->required();
        sub->add_option("--concurrency", o.concurrency, "Runs at once")
            ->check(CLI::Range(1, 64))
            ->capture_default_str();
        sub->add_option("--input", o.input, "More input merged into each run's (JSON object)");
      },
      Backfill);
}

}  // namespace strata::cli
