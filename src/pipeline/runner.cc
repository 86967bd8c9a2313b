#include "pipeline/runner.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "common/clock.h"
#include "common/redact.h"
#include "lake/session.h"
#include "lake/table.h"
#include "pipeline/catalog_sync.h"
#include "pipeline/confinement.h"
#include "pipeline/node_run.h"

namespace strata::pipeline {
namespace {

// One unit of work: a source or a model, with the tasks that wait for it.
struct Task {
  const SourceSpec* source = nullptr;
  const ModelNode* model = nullptr;
  std::string table;
  std::vector<size_t> downstream;
  size_t pending = 0;      // upstream tasks not finished yet
  std::string blocked_by;  // first upstream that failed or was skipped
  bool stopped = false;    // by a cancel: its downstream are cancelled too, not blocked
  NodeResult result;
};

class Scheduler {
 public:
  Scheduler(std::vector<Task>& tasks, const RunOptions& options,
            std::chrono::steady_clock::time_point start)
      : tasks_(tasks), options_(options), start_(start) {
    for (size_t i = 0; i < tasks_.size(); ++i) {
      if (tasks_[i].pending == 0) ready_.push_back(i);
    }
  }

  // The next task to run, or nullopt when everything is finished.
  std::optional<size_t> Next() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return !ready_.empty() || finished_ == tasks_.size(); });
    if (ready_.empty()) return std::nullopt;
    size_t task = ready_.front();
    ready_.pop_front();
    Report(ProgressEvent::Kind::kStarted, task);
    return task;
  }

  void Finish(size_t task, NodeResult result) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cancelled_) tasks_[task].stopped = MarkInterrupted(result);
    tasks_[task].result = std::move(result);
    Settle(task);
    cv_.notify_all();
  }

  // Starts nothing more: what is ready or becomes ready is skipped as cancelled. Idempotent.
  void Cancel() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cancelled_) return;
    cancelled_ = true;
    std::deque<size_t> ready;
    ready.swap(ready_);
    for (size_t task : ready) {
      SkipCancelled(task);
      Settle(task);
    }
    cv_.notify_all();
  }

  // Nodes the cancel stopped or kept from starting.
  int stopped() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopped_;
  }

 private:
  // Marks `task` finished and releases (or skips) what waits for it. Called with the lock held.
  void Settle(size_t first) {
    std::vector<size_t> stack = {first};
    while (!stack.empty()) {
      size_t task = stack.back();
      stack.pop_back();
      ++finished_;
      Report(ProgressEvent::Kind::kFinished, task);
      NodeStatus status = tasks_[task].result.status;
      bool broken = status == NodeStatus::kFailed ||
                    (status == NodeStatus::kSkipped && !tasks_[task].stopped);
      for (size_t down : tasks_[task].downstream) {
        Task& next = tasks_[down];
        if (broken && next.blocked_by.empty()) next.blocked_by = tasks_[task].table;
        if (--next.pending > 0) continue;
        if (next.blocked_by.empty() && !cancelled_) {
          ready_.push_back(down);
        } else if (next.blocked_by.empty()) {
          SkipCancelled(down);
          stack.push_back(down);
        } else {
          next.result.status = NodeStatus::kSkipped;
          next.result.error = "skipped: upstream " + next.blocked_by + " did not succeed";
          stack.push_back(down);
        }
      }
    }
  }

  void SkipCancelled(size_t task) {
    tasks_[task].stopped = true;
    tasks_[task].result.status = NodeStatus::kSkipped;
    tasks_[task].result.error = std::string(kCancelledByUser) + ": not started";
    ++stopped_;
  }

  // A node that failed because its statements were interrupted (DuckDB's "INTERRUPT Error") and
  // committed nothing was stopped by the cancel, not broken. A node that committed its table
  // before the interrupt keeps its failure (and its version): the table did change.
  // Returns whether it was.
  bool MarkInterrupted(NodeResult& result) {
    if (result.status != NodeStatus::kFailed || result.table_version) return false;
    if (result.error.find("INTERRUPT Error") == std::string::npos &&
        result.error.find("Interrupted") == std::string::npos) {
      return false;
    }
    result.status = NodeStatus::kSkipped;
    result.error = std::string(kCancelledByUser) + ": interrupted while running, nothing committed";
    ++stopped_;
    return true;
  }

  void Report(ProgressEvent::Kind kind, size_t task) {
    if (!options_.progress) return;
    ProgressEvent event;
    event.kind = kind;
    event.table = tasks_[task].table;
    event.result = kind == ProgressEvent::Kind::kFinished ? &tasks_[task].result : nullptr;
    event.done = static_cast<int>(finished_);
    event.total = static_cast<int>(tasks_.size());
    event.elapsed_millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start_)
                               .count();
    options_.progress(event);
  }

  std::vector<Task>& tasks_;
  const RunOptions& options_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<size_t> ready_;
  size_t finished_ = 0;
  bool cancelled_ = false;
  int stopped_ = 0;
};

// Stops a run whose token is cancelled: tells the scheduler to start nothing more, then
// interrupts the statements of the nodes running, again every tick until each returns (DuckDB
// drops an interrupt that arrives while a connection is between statements). Only a connection
// inside a node (Begin..End) is interrupted, so the workers' own clean-up is never hit.
class Canceller {
 public:
  static constexpr std::chrono::milliseconds kTick{20};

  Canceller(std::shared_ptr<const CancelToken> token, Scheduler& scheduler,
            const std::vector<std::unique_ptr<engine::Connection>>& connections)
      : token_(std::move(token)),
        scheduler_(scheduler),
        connections_(connections),
        busy_(connections.size(), false) {
    if (!token_) return;
    if (token_->cancelled()) scheduler_.Cancel();  // before any worker takes a node
    thread_ = std::thread([this] { Loop(); });
  }
  ~Canceller() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  Canceller(const Canceller&) = delete;
  Canceller& operator=(const Canceller&) = delete;

  void Begin(size_t worker) {
    std::lock_guard<std::mutex> lock(mutex_);
    busy_[worker] = true;
  }
  void End(size_t worker) {
    std::lock_guard<std::mutex> lock(mutex_);
    busy_[worker] = false;
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    bool told = false;
    while (!stop_) {
      if (token_->cancelled()) {
        if (!told) {
          told = true;
          lock.unlock();  // the scheduler reports progress under its own lock
          scheduler_.Cancel();
          lock.lock();
        }
        for (size_t i = 0; i < connections_.size(); ++i) {
          if (busy_[i]) connections_[i]->Interrupt();
        }
      }
      cv_.wait_for(lock, kTick, [this] { return stop_; });
    }
  }

  std::shared_ptr<const CancelToken> token_;
  Scheduler& scheduler_;
  const std::vector<std::unique_ptr<engine::Connection>>& connections_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<bool> busy_;
  bool stop_ = false;
  std::thread thread_;
};

// Tasks for the selection, wired by dependencies among the selected nodes only (what is not
// selected is read as the lake holds it).
std::vector<Task> PlanTasks(const Project& project, const ModelGraph& graph,
                            const SelectedNodes& selected) {
  std::vector<Task> tasks;
  std::map<std::string, size_t> by_table;
  for (const std::string& name : selected.sources) {
    for (const SourceSpec& source : project.sources) {
      if (source.spec.name != name) continue;
      Task task;
      task.source = &source;
      task.table = source.spec.table.ToString();
      by_table[task.table] = tasks.size();
      by_table[lake::QuarantineTableOf(task.table)] = tasks.size();
      tasks.push_back(std::move(task));
    }
  }
  for (size_t index : selected.models) {
    Task task;
    task.model = &graph.nodes[index];
    task.table = task.model->model->table.ToString();
    by_table[task.table] = tasks.size();
    by_table[task.model->model->QuarantineTable().ToString()] = tasks.size();
    tasks.push_back(std::move(task));
  }
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (!tasks[i].model) continue;
    std::set<size_t> upstream;
    for (const auto* reads : {&tasks[i].model->reads, &tasks[i].model->test_reads}) {
      for (const lake::TableName& table : *reads) {
        auto it = by_table.find(table.ToString());
        if (it != by_table.end() && it->second != i) upstream.insert(it->second);
      }
    }
    for (size_t up : upstream) tasks[up].downstream.push_back(i);
    tasks[i].pending = upstream.size();
  }
  return tasks;
}

Result<lake::Lake> OpenLake(const Project& project, bool create) {
  std::string storage = project.StoragePath();
  if (create && storage.find("://") == std::string::npos) {
    std::error_code ec;
    std::filesystem::create_directories(storage, ec);
    if (ec)
      return Status::IOError("cannot create the lake directory " + storage + ": " + ec.message());
  }
  Result<lake::Lake> lake = lake::Lake::Open(storage);
  if (!create && lake.status().code() == StatusCode::kNotFound) {
    return Status::NotFound(lake.status().message() +
                            ": nothing is built yet (run 'strata run' first)");
  }
  return lake;
}

}  // namespace

Result<RunRecord> RunProject(const Project& project, const RunOptions& options) {
  auto start = std::chrono::steady_clock::now();
  RunRecord record;
  record.started_at_micros = Clock::System().NowMicros();
  record.run_id = options.run_id.empty() ? NewRunId(record.started_at_micros) : options.run_id;
  record.project = project.config.name;
  record.command = options.test_only ? "test" : "run";
  record.selected_names = options.selection.names;
  record.selected_layer = options.selection.layer;

  STRATA_ASSIGN_OR_RETURN(lake::Lake lake, OpenLake(project, !options.test_only));
  // The project's SQL runs here: confined to the lake and landing (confinement.h).
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Database> database,
                          OpenRunDatabase(project, lake, options.files));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> planner, database->Connect());
  STRATA_ASSIGN_OR_RETURN(std::vector<lake::TableName> lake_tables, lake.ListTables());
  STRATA_ASSIGN_OR_RETURN(ModelGraph graph, BuildModelGraph(project, *planner, lake_tables));
  STRATA_ASSIGN_OR_RETURN(SelectedNodes selected, Select(project, graph, options.selection));

  std::vector<Task> tasks = PlanTasks(project, graph, selected);
  int workers = options.workers > 0
                    ? options.workers
                    : static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  workers = std::max(1, std::min<int>(workers, static_cast<int>(tasks.size())));

  // Connections first, on this thread, so a failure is a plain error before anything runs.
  std::vector<std::unique_ptr<engine::Connection>> connections;
  for (int i = 0; i < workers; ++i) {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> c, database->Connect());
    connections.push_back(std::move(c));
  }
  std::mutex bind_mutex;
  int64_t ingested_at =
      options.ingested_at_micros != 0 ? options.ingested_at_micros : record.started_at_micros;
  // The workers' views stay until the catalog sync is done with them (catalog_sync.h).
  std::vector<std::unique_ptr<lake::LakeSession>> sessions;
  for (int i = 0; i < workers; ++i) {
    sessions.push_back(std::make_unique<lake::LakeSession>(lake, *connections[i]));
  }
  std::unique_ptr<RunCatalogSync> catalog_sync;
  if (options.sync_catalog && !options.test_only) {
    catalog_sync = std::make_unique<RunCatalogSync>(project, lake, *database, bind_mutex, record);
  }
  Scheduler scheduler(tasks, options, start);
  // Declared after the connections: it stops (joins its thread) before they close.
  Canceller canceller(options.cancel, scheduler, connections);
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&, i] {
      Worker worker{&project,    &lake,         connections[i].get(), sessions[i].get(),
                    &bind_mutex, record.run_id, ingested_at,          &options.files,
                    options.full_refresh};
      while (std::optional<size_t> next = scheduler.Next()) {
        Task& task = tasks[*next];
        canceller.Begin(i);
        NodeResult result;
        if (task.source) {
          result = options.test_only ? TestSource(*task.source, worker)
                                     : RunSource(*task.source, worker);
        } else {
          result =
              options.test_only ? TestModel(*task.model, worker) : RunModel(*task.model, worker);
        }
        canceller.End(i);
        scheduler.Finish(*next, std::move(result));
        // Settled by Finish (a cancel marks it); only this thread touches it until the join.
        if (catalog_sync) catalog_sync->Add(task.result, Clock::System().NowMicros());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  for (Task& task : tasks) {
    if (task.result.table.empty()) {
      // Skipped before it ran: fill in what it is.
      task.result.table = task.table;
      task.result.is_source = task.source != nullptr;
      task.result.layer =
          task.source ? task.source->spec.table.layer : task.model->model->table.layer;
      task.result.materialized =
          task.source ? "ingest" : MaterializationName(task.model->model->materialized);
      task.result.owner = task.source ? task.source->spec.owner : task.model->model->owner;
      task.result.tags = task.source ? task.source->spec.tags : task.model->model->tags;
    }
    record.nodes.push_back(std::move(task.result));
  }
  record.cancelled = scheduler.stopped() > 0;
  record.finished_at_micros = Clock::System().NowMicros();
  if (catalog_sync) {
    Status synced = catalog_sync->Finish(record);
    record.catalog_synced = synced.ok();
    record.catalog_error = synced.ok() ? "" : RedactUrl(synced.ToString());
  }
  {
    // No view is in use any more. Dropping them is a catalog write: serialised like binds.
    std::lock_guard<std::mutex> lock(bind_mutex);
    sessions.clear();
  }
  return record;
}

}  // namespace strata::pipeline
