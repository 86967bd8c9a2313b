#include "landing/followers/followers.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "engine/engine.h"
#include "lake/lake.h"
#include "pipeline/database_source.h"

namespace strata::followers {
namespace {

int64_t NowMillis() { return Clock::System().NowMicros() / 1000; }

// A follower's commits are small micro-batches: two engine threads each, not every core.
engine::DatabaseOptions EngineOptions() {
  engine::DatabaseOptions options;
  options.threads = 2;
  return options;
}

// What one follower thread shows in Report(); guarded by Impl::mutex.
struct Follower {
  const pipeline::DatabaseSourceSpec* source = nullptr;
  std::string state = "starting";
  int64_t failures = 0;  // in a row
  std::string last_error;
  int64_t last_error_at_ms = 0;
  int64_t retry_at_ms = 0;
  std::thread thread;
};

}  // namespace

class SourceFollowers::Impl {
 public:
  Impl(pipeline::Project project, FollowerOptions options)
      : project_(std::move(project)), options_(options) {}

  void StartThreads() {
    for (const pipeline::DatabaseSourceSpec& source : project_.database_sources) {
      if (!options_.follow || !source.follow) continue;
      auto follower = std::make_unique<Follower>();
      follower->source = &source;
      followers_.push_back(std::move(follower));
    }
    for (auto& follower : followers_) {
      Follower* f = follower.get();
      f->thread = std::thread([this, f] { Run(*f); });
    }
  }

  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& f : followers_) {
      if (f->thread.joinable()) f->thread.join();
    }
  }

  nlohmann::json Report();

 private:
  void Set(Follower& f, const std::string& state) {
    std::lock_guard lock(mutex_);
    f.state = state;
  }

  // One Follow of the source, until stopped or it fails.
  Status FollowOnce(Follower& f) {
    const std::string& name = f.source->spec.name;
    STRATA_ASSIGN_OR_RETURN(ingest::mysql::MysqlSourceSpec spec,
                            pipeline::ResolveDatabaseSource(*f.source, project_.SecretsPath()));
    const std::string storage = project_.StoragePath();
    if (storage.find("://") == std::string::npos) {  // a first run makes the lake directory
      std::error_code ec;
      std::filesystem::create_directories(storage, ec);
      if (ec)
        return Status::IOError("cannot create the lake directory " + storage + ": " + ec.message());
    }
    STRATA_ASSIGN_OR_RETURN(lake::Lake lake, lake::Lake::Open(storage));
    STRATA_ASSIGN_OR_RETURN(auto database, engine::Database::Open(EngineOptions()));
    STRATA_ASSIGN_OR_RETURN(auto connection, database->Connect());
    ingest::mysql::MysqlSource source(lake, *connection, spec, project_.SourceStatePath());
    Log().info("source {}: following {}", name, spec.connection.Describe());
    Set(f, "following");  // the tables show a snapshot's progress
    auto progress = [&name](const ingest::mysql::SyncProgress& p) {
      Log().debug("source {}: {}.{} {} rows at {}", name, p.phase, p.table, p.rows, p.position);
    };
    return source.Follow(stop_, progress).status();
  }

  // Follows until Stop, starting again after each failure with a capped exponential backoff.
  void Run(Follower& f) {
    const std::string& name = f.source->spec.name;
    int64_t backoff_ms = options_.initial_backoff_ms;
    while (!stop_) {
      const int64_t started_ms = NowMillis();
      Status status = FollowOnce(f);
      if (stop_) break;
      if (status.ok())
        status =
            Status::Internal("the follower ended by itself (does the source select any table?)");
      // An attempt that ran for a while was a recovery: its failure starts the backoff over.
      const bool recovered = NowMillis() - started_ms > options_.max_backoff_ms;
      if (recovered) backoff_ms = options_.initial_backoff_ms;
      std::unique_lock lock(mutex_);
      f.failures = recovered ? 1 : f.failures + 1;
      f.state = "retrying";
      f.last_error = status.message();
      f.last_error_at_ms = NowMillis();
      f.retry_at_ms = f.last_error_at_ms + backoff_ms;
      Log().error("source {}: follower failed ({} in a row), retrying in {} s: {}", name,
                  f.failures, static_cast<double>(backoff_ms) / 1000.0, status.message());
      wake_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [this] { return stop_.load(); });
      backoff_ms = std::min(backoff_ms * 2, options_.max_backoff_ms);
    }
    Set(f, "stopped");
    Log().info("source {}: follower stopped", name);
  }

  nlohmann::ordered_json SourceReport(const pipeline::DatabaseSourceSpec& source,
                                      const Follower* follower);

  const pipeline::Project project_;
  const FollowerOptions options_;
  std::vector<std::unique_ptr<Follower>> followers_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;  // the followers' shown state; stop_ changes under it (wake_)
  std::condition_variable wake_;
  std::mutex report_mutex_;  // one Report at a time (its engine connection)
  std::unique_ptr<engine::Database> report_database_;
  std::unique_ptr<engine::Connection> report_connection_;  // destroyed before its database
};

nlohmann::ordered_json SourceFollowers::Impl::SourceReport(
    const pipeline::DatabaseSourceSpec& source, const Follower* follower) {
  const ingest::mysql::MysqlSourceSpec& spec = source.spec;
  nlohmann::ordered_json out = {{"name", spec.name},
                                {"kind", "mysql"},
                                {"connection", spec.connection.Describe()},
                                {"mode", spec.cdc ? "cdc" : "snapshot"},
                                {"follow", source.follow}};
  nlohmann::ordered_json state = {{"state", "not followed"}};
  if (follower != nullptr) {
    std::lock_guard lock(mutex_);
    state = {{"state", follower->state},
             {"failures", follower->failures},
             {"last_error", follower->last_error},
             {"last_error_at_ms", follower->last_error_at_ms},
             {"retry_in_ms", follower->state == "retrying"
                                 ? std::max<int64_t>(0, follower->retry_at_ms - NowMillis())
                                 : 0}};
  }
  out["follower"] = std::move(state);
  out["tables"] = nlohmann::ordered_json::array();
  out["error"] = "";
  Status read = [&]() -> Status {
    STRATA_ASSIGN_OR_RETURN(ingest::mysql::MysqlSourceSpec resolved,
                            pipeline::ResolveDatabaseSource(source, project_.SecretsPath()));
    Result<lake::Lake> lake = lake::Lake::Open(project_.StoragePath());
    if (!lake.ok()) return lake.status();
    if (!report_connection_) {
      STRATA_ASSIGN_OR_RETURN(report_database_, engine::Database::Open(EngineOptions()));
      STRATA_ASSIGN_OR_RETURN(report_connection_, report_database_->Connect());
    }
    ingest::mysql::MysqlSource mysql(*lake, *report_connection_, resolved,
                                     project_.SourceStatePath());
    STRATA_ASSIGN_OR_RETURN(std::vector<ingest::mysql::TableStatus> tables, mysql.TableStatuses());
    for (const ingest::mysql::TableStatus& t : tables) {
      out["tables"].push_back(TableStatusJson(spec.name, t));
    }
    return Status::OK();
  }();
  if (!read.ok()) out["error"] = read.message();
  return out;
}

nlohmann::json SourceFollowers::Impl::Report() {
  std::lock_guard lock(report_mutex_);
  nlohmann::ordered_json sources = nlohmann::ordered_json::array();
  for (const pipeline::DatabaseSourceSpec& source : project_.database_sources) {
    const Follower* follower = nullptr;
    for (const auto& f : followers_) {
      if (f->source == &source) follower = f.get();
    }
    sources.push_back(SourceReport(source, follower));
  }
  return {{"sources", nlohmann::json(sources)}};
}

std::unique_ptr<SourceFollowers> SourceFollowers::Start(const pipeline::Project& project,
                                                        const FollowerOptions& options) {
  auto impl = std::make_unique<Impl>(project, options);
  impl->StartThreads();
  return std::unique_ptr<SourceFollowers>(new SourceFollowers(std::move(impl)));
}

SourceFollowers::SourceFollowers(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SourceFollowers::~SourceFollowers() { Stop(); }
void SourceFollowers::Stop() { impl_->Stop(); }
nlohmann::json SourceFollowers::Report() { return impl_->Report(); }

nlohmann::ordered_json TableStatusJson(const std::string& source,
                                       const ingest::mysql::TableStatus& t) {
  return {{"source", source},         {"table", t.table},
          {"bronze", t.bronze},       {"state", t.state},
          {"position", t.position},   {"lag_seconds", t.lag_seconds},
          {"lag_bytes", t.lag_bytes}, {"last_commit_ms", t.last_commit_ms},
          {"rows", t.rows},           {"error", t.error}};
}

}  // namespace strata::followers
