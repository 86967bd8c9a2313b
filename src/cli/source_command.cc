// strata follow [SOURCE...] | strata source sync|status: database sources (sources/*.yaml items
// with `kind: mysql`) brought up to date, followed until Ctrl-C, and reported per table.
#include <signal.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/app.h"
#include "cli/source_sync.h"
#include "ingest/mysql/source.h"
#include "landing/followers/followers.h"
#include "pipeline/project.h"

namespace strata::cli {
namespace {

struct SourceOptions {
  std::string project = ".";
  std::vector<std::string> sources;
  bool json = false;
};

std::atomic<bool> g_stop{false};
void OnStopSignal(int) { g_stop.store(true); }

Status Follow(const SourceOptions& options, CommandContext& context) {
  STRATA_ASSIGN_OR_RETURN(pipeline::Project project, pipeline::LoadProject(options.project));
  STRATA_ASSIGN_OR_RETURN(std::vector<const pipeline::DatabaseSourceSpec*> chosen,
                          ChooseDatabaseSources(project, options.sources, /*follow_only=*/false));
  STRATA_ASSIGN_OR_RETURN(lake::Lake lake, lake::Lake::Open(project.StoragePath()));
  // SIGINT/SIGTERM set the flag: the followers commit what is complete and return.
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  action.sa_flags = SA_RESTART;  // reads resume; the followers poll the flag (heartbeats)
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::vector<std::thread> threads;
  std::vector<Status> results(chosen.size());
  std::mutex out_mutex;
  for (size_t i = 0; i < chosen.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = [&]() -> Status {
        STRATA_ASSIGN_OR_RETURN(ingest::mysql::MysqlSourceSpec spec,
                                pipeline::ResolveDatabaseSource(*chosen[i], project.SecretsPath()));
        STRATA_ASSIGN_OR_RETURN(auto db, engine::Database::Open({}));
        STRATA_ASSIGN_OR_RETURN(auto conn, db->Connect());
        ingest::mysql::MysqlSource source(lake, *conn, spec, project.SourceStatePath());
        {
          std::lock_guard lock(out_mutex);
          *context.err << "following source " << spec.name << " (" << spec.connection.Describe()
                       << "); Ctrl-C stops" << std::endl;
        }
        auto progress = [&](const ingest::mysql::SyncProgress& p) {
          if (options.json) return;
          std::lock_guard lock(out_mutex);
          *context.err << spec.name << "." << p.table << ": " << p.phase << " " << p.rows
                       << (p.total > 0 ? " of ~" + std::to_string(p.total) : std::string())
                       << " rows at " << p.position << std::endl;
        };
        STRATA_ASSIGN_OR_RETURN(ingest::mysql::SyncReport report, source.Follow(g_stop, progress));
        std::lock_guard lock(out_mutex);
        *context.out << SyncReportJson(spec.name, report).dump() << std::endl;
        return Status::OK();
      }();
      if (!results[i].ok()) g_stop.store(true);  // one failed follower stops the others
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& s : results) STRATA_RETURN_IF_ERROR(s);
  return Status::OK();
}

Status Sync(const SourceOptions& options, CommandContext& context) {
  STRATA_ASSIGN_OR_RETURN(pipeline::Project project, pipeline::LoadProject(options.project));
  STRATA_ASSIGN_OR_RETURN(
      nlohmann::json reports,
      SyncDatabaseSources(project, options.sources, options.json ? nullptr : context.err));
  *context.out << (options.json ? reports.dump(2) : reports.dump()) << std::endl;
  return Status::OK();
}

Status ShowStatus(const SourceOptions& options, CommandContext& context) {
  STRATA_ASSIGN_OR_RETURN(pipeline::Project project, pipeline::LoadProject(options.project));
  STRATA_ASSIGN_OR_RETURN(std::vector<const pipeline::DatabaseSourceSpec*> chosen,
                          ChooseDatabaseSources(project, options.sources, false));
  STRATA_ASSIGN_OR_RETURN(lake::Lake lake, lake::Lake::Open(project.StoragePath()));
  STRATA_ASSIGN_OR_RETURN(auto db, engine::Database::Open({}));
  STRATA_ASSIGN_OR_RETURN(auto conn, db->Connect());
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const pipeline::DatabaseSourceSpec* source : chosen) {
    STRATA_ASSIGN_OR_RETURN(ingest::mysql::MysqlSourceSpec spec,
                            pipeline::ResolveDatabaseSource(*source, project.SecretsPath()));
    ingest::mysql::MysqlSource mysql(lake, *conn, spec, project.SourceStatePath());
    STRATA_ASSIGN_OR_RETURN(std::vector<ingest::mysql::TableStatus> tables, mysql.TableStatuses());
    for (const ingest::mysql::TableStatus& t : tables) {
      all.push_back(followers::TableStatusJson(spec.name, t));
    }
  }
  if (options.json) {
    *context.out << all.dump(2) << std::endl;
    return Status::OK();
  }
  char line[512];
  std::snprintf(line, sizeof line, "%-12s %-20s %-16s %-28s %10s %12s %10s\n", "SOURCE", "TABLE",
                "STATE", "POSITION", "ROWS", "LAG BYTES", "LAG S");
  *context.out << line;
  for (const auto& t : all) {
    std::snprintf(line, sizeof line, "%-12s %-20s %-16s %-28s %10lld %12lld %10.1f\n",
                  t["source"].get<std::string>().c_str(), t["table"].get<std::string>().c_str(),
                  t["state"].get<std::string>().c_str(), t["position"].get<std::string>().c_str(),
                  static_cast<long long>(t["rows"].get<int64_t>()),
                  static_cast<long long>(t["lag_bytes"].get<int64_t>()),
                  t["lag_seconds"].get<double>());
    *context.out << line;
    if (!t["error"].get<std::string>().empty()) {
      *context.out << "  error: " << t["error"].get<std::string>() << "\n";
    }
  }
  return Status::OK();
}

void AddProjectOption(CLI::App* command, SourceOptions& options) {
  command->add_option("--project", options.project, "Project directory (holds strata.yaml)")
      ->capture_default_str();
}

}  // namespace

void AddSourceCommands(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<SourceOptions>();
  CLI::App* follow = app.add_subcommand(
      "follow",
      "Follow database sources (snapshot once, then the binlog) into bronze until Ctrl-C");
  follow->add_option("sources", options->sources, "Sources to follow (default: all)");
  AddProjectOption(follow, *options);
  follow->add_flag("--json", options->json, "Print each source's report as JSON");
  follow->callback([options, &context] {
    context.action = [options, &context] { return Follow(*options, context); };
  });

  CLI::App* source = app.add_subcommand("source", "Database sources: sync, status");
  source->require_subcommand(1);
  CLI::App* sync = source->add_subcommand(
      "sync", "Bring database sources up to the source's current position, then stop");
  sync->add_option("sources", options->sources, "Sources (default: all)");
  AddProjectOption(sync, *options);
  sync->add_flag("--json", options->json, "Print the reports as JSON");
  sync->callback([options, &context] {
    context.action = [options, &context] { return Sync(*options, context); };
  });
  CLI::App* status = source->add_subcommand(
      "status", "Per table: state, committed position, lag behind the source, rows");
  status->add_option("sources", options->sources, "Sources (default: all)");
  AddProjectOption(status, *options);
  status->add_flag("--json", options->json, "Print JSON");
  status->callback([options, &context] {
    context.action = [options, &context] { return ShowStatus(*options, context); };
  });
}

}  // namespace strata::cli
