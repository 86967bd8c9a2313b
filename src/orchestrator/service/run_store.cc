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
#include "common/redact.h"
#include "orchestrator/service/strata_executor.h"

namespace strata::orchestrator::service {
namespace fs = std::filesystem;
using catalog::SqlParam;
using catalog::SqlParams;
using catalog::SqlRow;
using catalog::SqlRows;
using catalog::Store;

namespace {

// Every stored document and error is redacted (common/redact.h): run records and task outputs
// may quote a connection URL, and the run store is read by the API and every worker.
std::string StoredJson(const Json& value) {
  std::string text = RedactUrl(value.dump(-1, ' ', false, Json::error_handler_t::replace));
  if (text.size() <= kMaxStoredJson) return text;
  return Json{{"truncated", true}, {"bytes", text.size()}, {"head", text.substr(0, 4096)}}.dump();
}

// What an event row keeps of a stored document: itself up to kMaxEventJson bytes, else
// {"truncated": true, "bytes": N, "head": "..."}.
std::string EventCopy(const std::string& text) {
  if (text.size() <= kMaxEventJson) return text;
  return Json{{"truncated", true}, {"bytes", text.size()}, {"head", text.substr(0, 1024)}}.dump(
      -1, ' ', false, Json::error_handler_t::replace);
}

Json ParseStored(const SqlRow& row, size_t i) {
  if (row.IsNull(i) || row.Text(i).empty()) return nullptr;
  Json v = Json::parse(row.Text(i), nullptr, false);
  return v.is_discarded() ? Json(row.Text(i)) : v;
}

// Used for errors and causes only: redacted like every stored text (see StoredJson).
SqlParam Opt(const std::optional<std::string>& s) {
  return s ? SqlParam(RedactUrl(*s)) : SqlParam(std::monostate{});
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
// The top-level states of a run so far, and how many failed (after kRunColumns in listings).
constexpr const char* kStateCounts =
    ", (SELECT count(*) FROM orch_states s WHERE s.run_id = orch_runs.run_id AND s.scope = ''), "
    "(SELECT count(*) FROM orch_states s WHERE s.run_id = orch_runs.run_id AND s.scope = '' AND "
    "s.status = 'FAILED')";

RunSummary SummaryFromRow(const SqlRow& r) {
  RunSummary s;
  s.run_id = r.Text(0);
  s.pipeline = r.Text(1);
  Result<RunStatus> status = ParseRunStatus(r.Text(2));
  if (!status.ok()) Log().warn("run {}: {}", s.run_id, status.status().message());
  s.status = status.ok() ? *status : RunStatus::kFailed;
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
    size_t bytes = 0;                            // what it holds (back-pressure)
  };
  std::mutex mu;
  std::condition_variable cv;
  std::condition_variable idle_cv;
  std::condition_variable space_cv;  // the queue has room again
  std::deque<Op> queue;
  size_t queued_bytes = 0;
  bool busy = false;
  bool stopping = false;
  int sync_pending = 0;  // ops in `queue` someone waits for
  static constexpr size_t kGroupMax = 2000;
  static constexpr int kGroupMillis = 20;
  // Back-pressure: a run producing events faster than the database takes them (a 10,000-item
  // Map of instant tasks) waits here instead of growing the queue without bound.
  static constexpr size_t kQueueMaxOps = 20000;
  static constexpr size_t kQueueMaxBytes = 64u << 20;
  std::thread writer;

  int64_t Now() { return clock->NowMicros(); }

  void Enqueue(std::function<Status(Store&)> fn, size_t bytes = 0) {
    std::unique_lock<std::mutex> lock(mu);
    if (!stopping && (queue.size() >= kQueueMaxOps || queued_bytes >= kQueueMaxBytes)) {
      cv.notify_one();
      space_cv.wait(lock, [&] {
        return stopping || (queue.size() < kQueueMaxOps && queued_bytes < kQueueMaxBytes);
      });
    }
    bytes += 64;
    queued_bytes += bytes;
    queue.push_back({std::move(fn), nullptr, bytes});
    if (queue.size() == 1 || queue.size() >= kGroupMax) cv.notify_one();
  }

  Status Run(std::function<Status(Store&)> fn) {
    auto done = std::make_shared<std::promise<Status>>();
    std::future<Status> result = done->get_future();
    {
      std::lock_guard<std::mutex> lock(mu);
      queue.push_back({std::move(fn), done, 0});
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
        queued_bytes = 0;
        busy = true;
        space_cv.notify_all();
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
    int64_t entry = 0;
    std::string key = e.scope + '\x1f' + e.state;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seq = ++seq_;
      if (e.type == EventType::kStateEntered) {
        entry = ++entries_[key];
        current_[key] = static_cast<int>(entry);
      } else if (!e.state.empty()) {
        auto it = current_.find(key);
        entry = it != current_.end() ? it->second : 1;
      }
    }
    // Each JSON document is serialised once (on this thread, so the writer never touches the
    // interpreter's data) and the text is shared by the event row and the state/attempt row:
    // the cost per task follows the size of the state data, so it is paid once, not four times.
    const std::string input = e.input.is_null() ? std::string() : StoredJson(e.input);
    const std::string output = e.output.is_null() ? std::string() : StoredJson(e.output);
    Json small = Json::object();
    if (e.state_type) small["state_type"] = std::string(StateTypeName(*e.state_type));
    if (e.attempt) small["attempt"] = e.attempt;
    if (e.index >= 0) small["index"] = e.index;
    if (!e.resource.empty()) small["resource"] = e.resource;
    if (!e.next.empty()) small["next"] = e.next;
    if (e.error) small["error"] = RedactUrl(*e.error);
    if (e.cause) small["cause"] = RedactUrl(*e.cause);
    if (e.duration_micros) small["duration_micros"] = e.duration_micros;
    if (e.delay_micros) small["delay_micros"] = e.delay_micros;
    std::string detail = small.dump(-1, ' ', false, Json::error_handler_t::replace);
    auto splice = [&detail](const char* name, const std::string& text) {
      if (text.empty()) return;
      detail.pop_back();  // '}'
      if (detail.size() > 1) detail += ',';
      detail += '"';
      detail += name;
      detail += "\":";
      detail += text;
      detail += '}';
    };
    // The event log carries small documents whole and a head of big ones: the full values
    // are in orch_states / orch_attempts, and storing them twice doubled the bytes written
    // per task (the store's cost follows the size of the state data).
    splice("input", EventCopy(input));
    splice("output", EventCopy(output));

    const std::string run = run_id_;
    const std::string type(EventTypeName(e.type));
    const std::string scope = e.scope, state = e.state;
    const int64_t t = e.time_micros;
    size_t bytes = detail.size() + input.size() + output.size();
    store_.Enqueue(
        [run, seq, type, scope, state, t, detail = std::move(detail)](Store& s) {
          return s.Execute(
              "INSERT INTO orch_events (run_id, seq, event_type, scope, state, time_micros, "
              "detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
              {run, seq, type, scope, state, t, detail});
        },
        bytes);

    switch (e.type) {
      case EventType::kStateEntered: {
        std::string st = e.state_type ? std::string(StateTypeName(*e.state_type)) : "";
        store_.Enqueue([run, scope, state, entry, st, input, t](Store& s) {
          return s.Execute(
              "INSERT INTO orch_states (run_id, scope, state, entry, state_type, status, input, "
              "entered_at) VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, ?)",
              {run, scope, state, entry, st, input.empty() ? "null" : input, t});
        });
        break;
      }
      case EventType::kStateExited: {
        store_.Enqueue([run, scope, state, entry, output, t](Store& s) {
          return s.Execute(
              "UPDATE orch_states SET status = CASE WHEN status = 'CAUGHT' THEN status ELSE "
              "'SUCCEEDED' END, output = ?, exited_at = ? WHERE run_id = ? AND scope = ? AND "
              "state = ? AND entry = ?",
              {output.empty() ? "null" : output, t, run, scope, state, entry});
        });
        break;
      }
      case EventType::kStateFailed:
      case EventType::kErrorCaught: {
        std::string status = e.type == EventType::kStateFailed ? "FAILED" : "CAUGHT";
        store_.Enqueue(
            [run, scope, state, entry, status, error = e.error, cause = e.cause, t](Store& s) {
              return s.Execute(
                  "UPDATE orch_states SET status = ?, error = ?, cause = ?, exited_at = ? WHERE "
                  "run_id = ? AND scope = ? AND state = ? AND entry = ?",
                  {status, Opt(error), Opt(cause), t, run, scope, state, entry});
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
        store_.Enqueue([run, scope, state, entry, attempt = int64_t{e.attempt},
                        resource = e.resource, input, t, log](Store& s) {
          return s.Execute(
              "INSERT INTO orch_attempts (run_id, scope, state, entry, attempt, resource, "
              "status, input, started_at, log_path) VALUES (?, ?, ?, ?, ?, ?, 'RUNNING', ?, ?, ?)",
              {run, scope, state, entry, attempt, resource, input.empty() ? "null" : input, t,
               TextOrNull(log)});
        });
        break;
      }
      case EventType::kTaskSucceeded:
      case EventType::kTaskFailed: {
        SetCurrentTaskLog("");
        const bool succeeded = e.type == EventType::kTaskSucceeded;
        std::string status = succeeded ? "SUCCEEDED" : "FAILED";
        std::string result = succeeded ? (output.empty() ? "null" : output) : "";
        store_.Enqueue([run, scope, state, entry, attempt = int64_t{e.attempt}, status, result,
                        error = e.error, cause = e.cause, t](Store& s) {
          return s.Execute(
              "UPDATE orch_attempts SET status = ?, output = ?, error = ?, cause = ?, ended_at = "
              "? WHERE run_id = ? AND scope = ? AND state = ? AND entry = ? AND attempt = ?",
              {status, TextOrNull(result), Opt(error), Opt(cause), t, run, scope, state, entry,
               attempt});
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
    impl_->space_cv.notify_all();
  }
  if (impl_->writer.joinable()) impl_->writer.join();
}

Result<std::unique_ptr<RunStore>> RunStore::Open(const std::string& location, Clock* clock) {
  auto impl = std::make_unique<Impl>();
  impl->clock = clock != nullptr ? clock : &Clock::System();
  STRATA_ASSIGN_OR_RETURN(impl->writer_store, catalog::OpenStore(location));
  STRATA_RETURN_IF_ERROR(MigrateRunStore(*impl->writer_store));
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

Result<bool> RunStore::HasQueuedRuns() {
  std::lock_guard<std::mutex> lock(impl_->reader_mu);
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows,
      impl_->reader->Query("SELECT 1 FROM orch_runs WHERE status = 'QUEUED' LIMIT 1", {}));
  return !rows.empty();
}

Status RunStore::FinishRun(const std::string& run_id, const RunEnd& end) {
  int64_t now = impl_->Now();
  std::string output = end.output.is_null() ? "" : StoredJson(end.output);
  const std::string status(RunStatusName(end.status));
  std::string failed_input = end.failed_state.empty() ? "" : StoredJson(end.failed_state_input);
  bool updated = false;
  STRATA_RETURN_IF_ERROR(impl_->Run([&](Store& s) -> Status {
    STRATA_ASSIGN_OR_RETURN(
        SqlRows rows,
        s.Query("UPDATE orch_runs SET status = ?, output = ?, error = ?, cause = ?, "
                "failed_state = ?, failed_state_input = ?, ended_at = ? WHERE run_id = ? AND "
                "status = 'RUNNING' RETURNING run_id",
                {status, TextOrNull(output), TextOrNull(RedactUrl(end.error)),
                 TextOrNull(RedactUrl(end.cause)), TextOrNull(end.failed_state),
                 TextOrNull(failed_input), now, run_id}));
    updated = !rows.empty();
    return Status::OK();
  }));
  if (!updated) {
    return Status::FailedPrecondition("run '" + run_id +
                                      "' is no longer RUNNING (recovered by another process as "
                                      "lost?): its " +
                                      status + " outcome was not recorded");
  }
  return Status::OK();
}

Result<std::vector<RunSummary>> RunStore::RecoverLostRuns(int64_t stale_before_micros) {
  int64_t now = impl_->Now();
  std::vector<RunSummary> marked;
  STRATA_RETURN_IF_ERROR(impl_->Run([&](Store& s) -> Status {
    STRATA_ASSIGN_OR_RETURN(
        SqlRows stale,
        s.Query("SELECT run_id, worker, heartbeat_at FROM orch_runs WHERE status = 'RUNNING' AND "
                "heartbeat_at < ?",
                {stale_before_micros}));
    for (const SqlRow& r : stale) {
      const int64_t last = r.Int(2);
      std::string cause = "worker " + r.Text(1) + " stopped heartbeating (last heartbeat " +
                          std::to_string((now - last) / 1'000'000) +
                          " s ago): the process was killed or its host lost; resume with "
                          "`strata pipeline resume " +
                          r.Text(0) + "`";
      // The status and heartbeat are checked again under the row lock, so of several
      // processes recovering at once exactly one marks the run.
      STRATA_ASSIGN_OR_RETURN(
          SqlRows rows,
          s.Query(std::string("UPDATE orch_runs SET status = 'FAILED', error = ?, cause = ?, "
                              "ended_at = ? WHERE run_id = ? AND status = 'RUNNING' AND "
                              "heartbeat_at < ? RETURNING ") +
                      kRunColumns,
                  {std::string(kWorkerLostError), cause, now, r.Text(0), stale_before_micros}));
      for (const SqlRow& row : rows) marked.push_back(SummaryFromRow(row));
    }
    return Status::OK();
  }));
  return marked;
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
      impl_->reader->Query(
          "SELECT run_id, cancel_reason, status, cause FROM orch_runs WHERE worker = ? AND "
          "((status = 'RUNNING' AND cancel_requested = 1) OR (status = 'FAILED' AND error = ? "
          "AND ended_at > ?))",
          {worker, std::string(kWorkerLostError), impl_->Now() - 3'600'000'000LL}));
  std::vector<std::pair<std::string, std::string>> out;
  for (const SqlRow& r : rows) {
    out.emplace_back(r.Text(0), r.Text(2) == "RUNNING"
                                    ? r.Text(1)
                                    : "another process recovered this run as lost: " + r.Text(3));
  }
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

Result<std::optional<int64_t>> RunStore::GetCursor(const std::string& key) {
  std::lock_guard<std::mutex> lock(impl_->reader_mu);
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows,
      impl_->reader->Query("SELECT position FROM orch_cursors WHERE cursor_key = ?", {key}));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows[0].Int(0));
}

Status RunStore::AdvanceCursor(const std::string& key, int64_t position) {
  int64_t now = impl_->Now();
  // One statement (an upsert both dialects know), so racing schedulers need no retry.
  return impl_->Run([&](Store& s) {
    return s.Execute(
        "INSERT INTO orch_cursors (cursor_key, position, updated_at) VALUES (?, ?, ?) ON "
        "CONFLICT (cursor_key) DO UPDATE SET position = excluded.position, updated_at = "
        "excluded.updated_at WHERE orch_cursors.position < excluded.position",
        {key, position, now});
  });
}

Status RunStore::ResetCursor(const std::string& key, int64_t position) {
  int64_t now = impl_->Now();
  return impl_->Run([&](Store& s) {
    return s.Execute(
        "INSERT INTO orch_cursors (cursor_key, position, updated_at) VALUES (?, ?, ?) ON "
        "CONFLICT (cursor_key) DO UPDATE SET position = excluded.position, updated_at = "
        "excluded.updated_at",
        {key, position, now});
  });
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
  std::string sql =
      std::string("SELECT ") + kRunColumns + kStateCounts + " FROM orch_runs WHERE 1 = 1";
  SqlParams params;
  if (!filter.pipeline.empty()) {
    sql += " AND pipeline = ?";
    params.push_back(filter.pipeline);
  }
  for (size_t i = 0; i < filter.statuses.size(); ++i) {
    sql += i == 0 ? " AND status IN (?" : ", ?";
    params.push_back(std::string(RunStatusName(filter.statuses[i])));
    if (i + 1 == filter.statuses.size()) sql += ")";
  }
  sql += " ORDER BY queued_at DESC, run_id DESC LIMIT ?";
  params.push_back(int64_t{filter.limit > 0 ? filter.limit : 100});
  std::lock_guard<std::mutex> lock(impl_->reader_mu);
  STRATA_ASSIGN_OR_RETURN(SqlRows rows, impl_->reader->Query(sql, params));
  std::vector<RunSummary> out;
  for (const SqlRow& r : rows) {
    out.push_back(SummaryFromRow(r));
    out.back().states = static_cast<int>(r.Int(19));
    out.back().failed_states = static_cast<int>(r.Int(20));
  }
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
    if (sr.scope.empty()) {
      ++d.run.states;
      d.run.failed_states += sr.status == "FAILED";
    }
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
