#include "orchestrator/service/run_store.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "catalog/store.h"
#include "common/logging.h"
#include "orchestrator/service/strata_executor.h"

namespace strata::orchestrator::service {
namespace fs = std::filesystem;
using catalog::SqlParam;
using catalog::SqlParams;
using catalog::SqlRow;
using catalog::SqlRows;
using catalog::Store;

namespace {

std::string StoredJson(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() <= kMaxStoredJson) return text;
  return Json{{"truncated", true}, {"bytes", text.size()}, {"head", text.substr(0, 4096)}}.dump();
}

Json ParseStored(const SqlRow& row, size_t i) {
  if (row.IsNull(i) || row.Text(i).empty()) return nullptr;
  Json v = Json::parse(row.Text(i), nullptr, false);
  return v.is_discarded() ? Json(row.Text(i)) : v;
}

SqlParam Opt(const std::optional<std::string>& s) {
  return s ? SqlParam(*s) : SqlParam(std::monostate{});
}
SqlParam TextOrNull(const std::string& s) {
  return s.empty() ? SqlParam(std::monostate{}) : SqlParam(s);
}

// Directory-safe form of a scope ("Fanout/2" -> "Fanout_2").
std::string SafeName(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  }
  return out;
}

constexpr const char* kRunColumns =
    "run_id, pipeline, status, trigger_kind, trigger_info, resumed_from, partition_key, worker, "
    "input, output, error, cause, failed_state, queued_at, started_at, ended_at, "
    "cancel_requested, definition, start_at";

RunSummary SummaryFromRow(const SqlRow& r) {
  RunSummary s;
  s.run_id = r.Text(0);
  s.pipeline = r.Text(1);
  s.status = r.Text(2);
  s.trigger = r.Text(3);
  s.trigger_info = r.Text(4);
  s.resumed_from = r.Text(5);
  s.partition = r.Text(6);
  s.worker = r.Text(7);
  s.input = ParseStored(r, 8);
  s.output = ParseStored(r, 9);
  s.error = r.Text(10);
  s.cause = r.Text(11);
  s.failed_state = r.Text(12);
  s.queued_at_micros = r.Int(13);
  s.started_at_micros = r.Int(14);
  s.ended_at_micros = r.Int(15);
  s.cancel_requested = r.Int(16) != 0;
  return s;
}

}  // namespace

struct RunStore::Impl {
  Clock* clock = nullptr;
  std::unique_ptr<Store> writer_store;
  std::mutex reader_mu;
  std::unique_ptr<Store> reader;

  // The writer thread's queue. `sync` ops run alone in their own transaction and report back.
  struct Op {
    std::function<Status(Store&)> fn;
    std::shared_ptr<std::promise<Status>> done;  // null = async (batched)
  };
  std::mutex mu;
  std::condition_variable cv;
  std::condition_variable idle_cv;
  std::deque<Op> queue;
  bool busy = false;
  bool stopping = false;
  int sync_pending = 0;  // ops in `queue` someone waits for
  static constexpr size_t kGroupMax = 2000;
  static constexpr int kGroupMillis = 20;
  std::thread writer;

  int64_t Now() { return clock->NowMicros(); }

  void Enqueue(std::function<Status(Store&)> fn) {
    std::lock_guard<std::mutex> lock(mu);
    queue.push_back({std::move(fn), nullptr});
    if (queue.size() == 1 || queue.size() >= kGroupMax) cv.notify_one();
  }

  Status Run(std::function<Status(Store&)> fn) {
    auto done = std::make_shared<std::promise<Status>>();
    std::future<Status> result = done->get_future();
    {
      std::lock_guard<std::mutex> lock(mu);
      queue.push_back({std::move(fn), done});
      ++sync_pending;
      cv.notify_one();
    }
    return result.get();
  }

  void WriteBatch(std::vector<Op>& batch) {
    if (batch.empty()) return;
    Store& store = *writer_store;
    Status begin = store.BeginWrite();
    bool ok = begin.ok();
    for (size_t i = 0; ok && i < batch.size(); ++i) {
      Status s = batch[i].fn(store);
      if (!s.ok()) ok = false;
    }
    if (ok) ok = store.Commit().ok();
    if (!ok) {
      if (begin.ok()) (void)store.Rollback();
      // One by one, so one bad row does not lose the others.
      for (Op& op : batch) {
        Status s = op.fn(store);
        if (!s.ok()) Log().warn("run store: event not recorded: {}", s.message());
      }
    }
    batch.clear();
  }

  void WriterLoop() {
    std::vector<Op> batch;
    while (true) {
      std::deque<Op> work;
      {
        std::unique_lock<std::mutex> lock(mu);
        busy = false;
        idle_cv.notify_all();
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty() && stopping) return;
        // Group commit: events arrive one by one; gathering them for a few milliseconds makes
        // one transaction (one fsync) of hundreds instead of one each. Waiters (sync ops)
        // and shutdown cut the wait short.
        if (!stopping && sync_pending == 0 && queue.size() < kGroupMax) {
          cv.wait_for(lock, std::chrono::milliseconds(kGroupMillis),
                      [&] { return stopping || sync_pending > 0 || queue.size() >= kGroupMax; });
        }
        sync_pending = 0;
        work.swap(queue);
        busy = true;
      }
      for (Op& op : work) {
        if (!op.done) {
          batch.push_back(std::move(op));
          continue;
        }
        WriteBatch(batch);
        Store& store = *writer_store;
        Status s = store.BeginWrite();
        if (s.ok()) s = op.fn(store);
        if (s.ok()) {
          s = store.Commit();
        } else {
          (void)store.Rollback();
        }
        op.done->set_value(s);
      }
      WriteBatch(batch);
    }
  }

  void Flush() {
    std::unique_lock<std::mutex> lock(mu);
    if (!queue.empty()) {
      ++sync_pending;  // no group-commit wait: someone is waiting
      cv.notify_one();
    }
    idle_cv.wait(lock, [&] { return queue.empty() && !busy; });
  }
};

// Records one execution's events. State entries are counted here so a loop's second visit of
// a state is a new row; the log path of a task attempt is chosen here and handed to the
// executor through SetCurrentTaskLog (TaskStarted runs on the thread that executes the task).
class RunObserver final : public ExecutionObserver {
 public:
  RunObserver(RunStore::Impl& store, std::string run_id, std::string log_dir)
      : store_(store), run_id_(std::move(run_id)), log_dir_(std::move(log_dir)) {}

  void OnEvent(const ExecutionEvent& e) override {
    int64_t seq;
    int entry = 0;
    std::string key = e.scope + '\x1f' + e.state;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seq = ++seq_;
      if (e.type == EventType::kStateEntered) {
        entry = ++entries_[key];
        current_[key] = entry;
      } else if (!e.state.empty()) {
        entry = current_.count(key) ? current_[key] : 1;
      }
    }
    Json detail = Json::object();
    if (e.state_type) detail["state_type"] = std::string(StateTypeName(*e.state_type));
    if (e.attempt) detail["attempt"] = e.attempt;
    if (e.index >= 0) detail["index"] = e.index;
    if (!e.resource.empty()) detail["resource"] = e.resource;
    if (!e.next.empty()) detail["next"] = e.next;
    if (!e.input.is_null()) detail["input"] = e.input;
    if (!e.output.is_null()) detail["output"] = e.output;
    if (e.error) detail["error"] = *e.error;
    if (e.cause) detail["cause"] = *e.cause;
    if (e.duration_micros) detail["duration_micros"] = e.duration_micros;
    if (e.delay_micros) detail["delay_micros"] = e.delay_micros;
    const std::string run = run_id_;
    std::string type(EventTypeName(e.type));
    std::string detail_text = StoredJson(detail);
    int64_t t = e.time_micros;
    store_.Enqueue([run, seq, type, e, t, detail_text](Store& s) {
      return s.Execute(
          "INSERT INTO orch_events (run_id, seq, event_type, scope, state, time_micros, detail) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
          {run, seq, type, e.scope, e.state, t, detail_text});
    });

    switch (e.type) {
      case EventType::kStateEntered: {
        std::string st = e.state_type ? std::string(StateTypeName(*e.state_type)) : "";
        std::string input = StoredJson(e.input);
        store_.Enqueue([run, e, entry, st, input, t](Store& s) {
          return s.Execute(
              "INSERT INTO orch_states (run_id, scope, state, entry, state_type, status, input, "
              "entered_at) VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, ?)",
              {run, e.scope, e.state, int64_t{entry}, st, input, t});
        });
        break;
      }
      case EventType::kStateExited: {
        std::string output = StoredJson(e.output);
        store_.Enqueue([run, e, entry, output, t](Store& s) {
          return s.Execute(
              "UPDATE orch_states SET status = CASE WHEN status = 'CAUGHT' THEN status ELSE "
              "'SUCCEEDED' END, output = ?, exited_at = ? WHERE run_id = ? AND scope = ? AND "
              "state = ? AND entry = ?",
              {output, t, run, e.scope, e.state, int64_t{entry}});
        });
        break;
      }
      case EventType::kStateFailed:
      case EventType::kErrorCaught: {
        std::string status = e.type == EventType::kStateFailed ? "FAILED" : "CAUGHT";
        store_.Enqueue([run, e, entry, status, t](Store& s) {
          return s.Execute(
              "UPDATE orch_states SET status = ?, error = ?, cause = ?, exited_at = ? WHERE "
              "run_id = ? AND scope = ? AND state = ? AND entry = ?",
              {status, Opt(e.error), Opt(e.cause), t, run, e.scope, e.state, int64_t{entry}});
        });
        break;
      }
      case EventType::kTaskStarted: {
        std::string log;
        if (!log_dir_.empty()) {
          fs::path dir = fs::path(log_dir_) / run_id_;
          if (!e.scope.empty()) dir /= SafeName(e.scope);
          std::error_code ec;
          fs::create_directories(dir, ec);
          log = (dir / (SafeName(e.state) + "." + std::to_string(entry) + "." +
                        std::to_string(e.attempt) + ".log"))
                    .string();
        }
        SetCurrentTaskLog(log);
        std::string input = StoredJson(e.input);
        store_.Enqueue([run, e, entry, input, t, log](Store& s) {
          return s.Execute(
              "INSERT INTO orch_attempts (run_id, scope, state, entry, attempt, resource, "
              "status, input, started_at, log_path) VALUES (?, ?, ?, ?, ?, ?, 'RUNNING', ?, ?, ?)",
              {run, e.scope, e.state, int64_t{entry}, int64_t{e.attempt}, e.resource, input, t,
               TextOrNull(log)});
        });
        break;
      }
      case EventType::kTaskSucceeded:
      case EventType::kTaskFailed: {
        SetCurrentTaskLog("");
        std::string status = e.type == EventType::kTaskSucceeded ? "SUCCEEDED" : "FAILED";
        std::string output = e.type == EventType::kTaskSucceeded ? StoredJson(e.output) : "";
        store_.Enqueue([run, e, entry, status, output, t](Store& s) {
          return s.Execute(
              "UPDATE orch_attempts SET status = ?, output = ?, error = ?, cause = ?, ended_at = "
              "? WHERE run_id = ? AND scope = ? AND state = ? AND entry = ? AND attempt = ?",
              {status, TextOrNull(output), Opt(e.error), Opt(e.cause), t, run, e.scope, e.state,
               int64_t{entry}, int64_t{e.attempt}});
        });
        break;
      }
      default:
        break;
    }
  }

 private:
  RunStore::Impl& store_;
  const std::string run_id_;
  const std::string log_dir_;
  std::mutex mu_;
  int64_t seq_ = 0;
  std::map<std::string, int> entries_;
  std::map<std::string, int> current_;
};

RunStore::RunStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RunStore::~RunStore() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
    impl_->cv.notify_all();
  }
  if (impl_->writer.joinable()) impl_->writer.join();
}

Result<std::unique_ptr<RunStore>> RunStore::Open(const std::string& location, Clock* clock) {
  auto impl = std::make_unique<Impl>();
  impl->clock = clock != nullptr ? clock : &Clock::System();
  STRATA_ASSIGN_OR_RETURN(impl->writer_store, catalog::OpenStore(location));
  STRATA_RETURN_IF_ERROR(catalog::Migrate(*impl->writer_store));
  STRATA_ASSIGN_OR_RETURN(impl->reader, catalog::OpenStore(location));
  Impl* raw = impl.get();
  impl->writer = std::thread([raw] { raw->WriterLoop(); });
  return std::unique_ptr<RunStore>(new RunStore(std::move(impl)));
}

Status RunStore::CreateRun(const NewRun& run) {
  int64_t now = impl_->Now();
  std::string definition = run.definition.dump();
  std::string input = StoredJson(run.input);
  return impl_->Run([run, now, definition, input](Store& s) {
    return s.Execute(
        "INSERT INTO orch_runs (run_id, pipeline, status, trigger_kind, trigger_info, "
        "resumed_from, start_at, partition_key, definition, input, queued_at) VALUES (?, ?, "
        "'QUEUED', ?, ?, ?, ?, ?, ?, ?, ?)",
        {run.run_id, run.pipeline, run.trigger, TextOrNull(run.trigger_info),
         TextOrNull(run.resumed_from), TextOrNull(run.start_at), TextOrNull(run.partition),
         definition, input, now});
  });
}

Result<bool> RunStore::ClaimRun(const std::string& run_id, const std::string& worker) {
  int64_t now = impl_->Now();
  bool claimed = false;
  STRATA_RETURN_IF_ERROR(impl_->Run([&](Store& s) -> Status {
    STRATA_ASSIGN_OR_RETURN(
        SqlRows rows,
        s.Query("UPDATE orch_runs SET status = 'RUNNING', worker = ?, started_at = ?, "
                "heartbeat_at = ? WHERE run_id = ? AND status = 'QUEUED' RETURNING run_id",
                {worker, now, now, run_id}));
    claimed = !rows.empty();
    return Status::OK();
  }));
  return claimed;
}

Result<std::optional<std::string>> RunStore::ClaimNextRun(const std::string& worker) {
  int64_t now = impl_->Now();
  std::optional<std::string> claimed;
  STRATA_RETURN_IF_ERROR(impl_->Run([&](Store& s) -> Status {
    std::string lock = s.dialect() == catalog::Dialect::kPostgres ? " FOR UPDATE SKIP LOCKED" : "";
    STRATA_ASSIGN_OR_RETURN(
        SqlRows rows,
        s.Query("UPDATE orch_runs SET status = 'RUNNING', worker = ?, started_at = ?, "
                "heartbeat_at = ? WHERE run_id = (SELECT run_id FROM orch_runs WHERE status = "
                "'QUEUED' ORDER BY queued_at, run_id LIMIT 1" +
                    lock + ") RETURNING run_id",
                {worker, now, now}));
    if (!rows.empty()) claimed = rows[0].Text(0);
    return Status::OK();
  }));
  return claimed;
}

Status RunStore::FinishRun(const std::string& run_id, const RunEnd& end) {
  int64_t now = impl_->Now();
  std::string output = end.status == "SUCCEEDED" ? StoredJson(end.output) : "";
  std::string failed_input = end.failed_state.empty() ? "" : StoredJson(end.failed_state_input);
  return impl_->Run([=](Store& s) {
    return s.Execute(
        "UPDATE orch_runs SET status = ?, output = ?, error = ?, cause = ?, failed_state = ?, "
        "failed_state_input = ?, ended_at = ? WHERE run_id = ?",
        {end.status, TextOrNull(output), TextOrNull(end.error), TextOrNull(end.cause),
         TextOrNull(end.failed_state), TextOrNull(failed_input), now, run_id});
  });
}

Status RunStore::RequestCancel(const std::string& run_id, const std::string& reason) {
  int64_t now = impl_->Now();
  bool found = false;
  STRATA_RETURN_IF_ERROR(impl_->Run([&](Store& s) -> Status {
    STRATA_ASSIGN_OR_RETURN(SqlRows rows,
                            s.Query("SELECT status FROM orch_runs WHERE run_id = ?", {run_id}));
    if (rows.empty()) return Status::OK();
    found = true;
    STRATA_RETURN_IF_ERROR(s.Execute(
        "UPDATE orch_runs SET cancel_requested = 1, cancel_reason = ? WHERE run_id = ? AND "
        "status IN ('QUEUED', 'RUNNING')",
        {reason, run_id}));
    // Nobody runs a queued run yet: it ends here.
    return s.Execute(
        "UPDATE orch_runs SET status = 'ABORTED', cause = ?, ended_at = ? WHERE run_id = ? AND "
        "status = 'QUEUED'",
        {reason, now, run_id});
  }));
  if (!found) return Status::NotFound("run '" + run_id + "' does not exist");
  return Status::OK();
}

Result<std::vector<std::pair<std::string, std::string>>> RunStore::CancelRequests(
    const std::string& worker) {
  std::lock_guard<std::mutex> lock(impl_->reader_mu);
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows,
      impl_->reader->Query("SELECT run_id, cancel_reason FROM orch_runs WHERE worker = ? AND "
                           "status = 'RUNNING' AND cancel_requested = 1",
                           {worker}));
  std::vector<std::pair<std::string, std::string>> out;
  for (const SqlRow& r : rows) out.emplace_back(r.Text(0), r.Text(1));
  return out;
}

void RunStore::Heartbeat(const std::vector<std::string>& run_ids) {
  int64_t now = impl_->Now();
  for (const std::string& id : run_ids) {
    impl_->Enqueue([id, now](Store& s) {
      return s.Execute("UPDATE orch_runs SET heartbeat_at = ? WHERE run_id = ?", {now, id});
    });
  }
}

Result<bool> RunStore::MarkTrigger(const std::string& key, const std::string& run_id) {
  int64_t now = impl_->Now();
  bool inserted = false;
  STRATA_RETURN_IF_ERROR(impl_->Run([&](Store& s) -> Status {
    STRATA_ASSIGN_OR_RETURN(SqlRows rows,
                            s.Query("SELECT 1 FROM orch_triggers WHERE trigger_key = ?", {key}));
    if (!rows.empty()) return Status::OK();
    Status st =
        s.Execute("INSERT INTO orch_triggers (trigger_key, run_id, fired_at) VALUES (?, ?, ?)",
                  {key, TextOrNull(run_id), now});
    if (st.IsConflict()) return Status::OK();  // another scheduler won the race
    STRATA_RETURN_IF_ERROR(st);
    inserted = true;
    return Status::OK();
  }));
  return inserted;
}

Result<StoredRun> RunStore::LoadRun(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(impl_->reader_mu);
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows, impl_->reader->Query(std::string("SELECT ") + kRunColumns +
                                             ", failed_state_input FROM orch_runs WHERE run_id = ?",
                                         {run_id}));
  if (rows.empty()) return Status::NotFound("run '" + run_id + "' does not exist");
  StoredRun out;
  out.summary = SummaryFromRow(rows[0]);
  out.definition = ParseStored(rows[0], 17);
  out.start_at = rows[0].Text(18);
  out.failed_state_input = ParseStored(rows[0], 19);
  return out;
}

Result<std::vector<RunSummary>> RunStore::ListRuns(const RunFilter& filter) {
  std::string sql = std::string("SELECT ") + kRunColumns + " FROM orch_runs WHERE 1 = 1";
  SqlParams params;
  if (!filter.pipeline.empty()) {
    sql += " AND pipeline = ?";
    params.push_back(filter.pipeline);
  }
  if (!filter.status.empty()) {
    sql += " AND status = ?";
    params.push_back(filter.status);
  }
  sql += " ORDER BY queued_at DESC, run_id DESC LIMIT ?";
  params.push_back(int64_t{filter.limit > 0 ? filter.limit : 100});
  std::lock_guard<std::mutex> lock(impl_->reader_mu);
  STRATA_ASSIGN_OR_RETURN(SqlRows rows, impl_->reader->Query(sql, params));
  std::vector<RunSummary> out;
  for (const SqlRow& r : rows) out.push_back(SummaryFromRow(r));
  return out;
}

Result<RunDetail> RunStore::GetDetail(const std::string& run_id) {
  RunDetail d;
  std::lock_guard<std::mutex> lock(impl_->reader_mu);
  Store& s = *impl_->reader;
  STRATA_ASSIGN_OR_RETURN(
      SqlRows runs,
      s.Query(std::string("SELECT ") + kRunColumns + " FROM orch_runs WHERE run_id = ?", {run_id}));
  if (runs.empty()) return Status::NotFound("run '" + run_id + "' does not exist");
  d.run = SummaryFromRow(runs[0]);
  STRATA_ASSIGN_OR_RETURN(
      SqlRows states,
      s.Query("SELECT scope, state, state_type, entry, status, input, output, error, cause, "
              "entered_at, exited_at FROM orch_states WHERE run_id = ? ORDER BY entered_at, "
              "scope, state, entry",
              {run_id}));
  for (const SqlRow& r : states) {
    StateRun sr;
    sr.scope = r.Text(0);
    sr.state = r.Text(1);
    sr.type = r.Text(2);
    sr.entry = static_cast<int>(r.Int(3));
    sr.status = r.Text(4);
    sr.input = ParseStored(r, 5);
    sr.output = ParseStored(r, 6);
    sr.error = r.Text(7);
    sr.cause = r.Text(8);
    sr.entered_at_micros = r.Int(9);
    sr.exited_at_micros = r.Int(10);
    d.states.push_back(std::move(sr));
  }
  STRATA_ASSIGN_OR_RETURN(
      SqlRows attempts,
      s.Query("SELECT scope, state, resource, attempt, status, input, output, error, cause, "
              "started_at, ended_at, log_path FROM orch_attempts WHERE run_id = ? ORDER BY "
              "started_at, scope, state, entry, attempt",
              {run_id}));
  for (const SqlRow& r : attempts) {
    TaskAttempt a;
    a.scope = r.Text(0);
    a.state = r.Text(1);
    a.resource = r.Text(2);
    a.attempt = static_cast<int>(r.Int(3));
    a.status = r.Text(4);
    a.input = ParseStored(r, 5);
    a.output = ParseStored(r, 6);
    a.error = r.Text(7);
    a.cause = r.Text(8);
    a.started_at_micros = r.Int(9);
    a.ended_at_micros = r.Int(10);
    a.log = r.Text(11);
    d.attempts.push_back(std::move(a));
  }
  STRATA_ASSIGN_OR_RETURN(SqlRows events,
                          s.Query("SELECT seq, event_type, scope, state, time_micros, detail FROM "
                                  "orch_events WHERE run_id = ? ORDER BY seq",
                                  {run_id}));
  for (const SqlRow& r : events) {
    RunEvent e;
    e.seq = r.Int(0);
    e.type = r.Text(1);
    e.scope = r.Text(2);
    e.state = r.Text(3);
    e.time_micros = r.Int(4);
    e.detail = ParseStored(r, 5);
    d.events.push_back(std::move(e));
  }
  return d;
}

Result<bool> RunStore::PartitionSucceeded(const std::string& pipeline,
                                          const std::string& partition) {
  std::lock_guard<std::mutex> lock(impl_->reader_mu);
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows,
      impl_->reader->Query("SELECT 1 FROM orch_runs WHERE pipeline = ? AND partition_key = ? AND "
                           "status = 'SUCCEEDED' LIMIT 1",
                           {pipeline, partition}));
  return !rows.empty();
}

std::unique_ptr<ExecutionObserver> RunStore::NewObserver(const std::string& run_id,
                                                         const std::string& log_dir) {
  return std::make_unique<RunObserver>(*impl_, run_id, log_dir);
}

void RunStore::Flush() { impl_->Flush(); }

}  // namespace strata::orchestrator::service
