// The seam between the interpreter and whatever runs Task states (strata steps such as
// `strata:command`, `strata:model`, `strata:ingest`, `strata:test`; test doubles).
//
// Contract:
//  * TaskExecutor::Execute is called concurrently from many threads (Parallel branches, Map
//    iterations); implementations must be thread-safe.
//  * It blocks until the task finishes and returns TaskResult::Success(output JSON) or
//    TaskResult::Failure(error name, cause). Error names are matched against Retry/Catch
//    ErrorEquals; use "States.TaskFailed" for generic failures (a non-zero exit status).
//  * When ctx.cancellation() fires (TimeoutSeconds/HeartbeatSeconds elapsed, a sibling branch
//    failed, or the execution was cancelled) the executor should stop the work (kill the child
//    process, ...) and return promptly; its result is then ignored and the interpreter records
//    States.Timeout / States.HeartbeatTimeout / the abort.
//  * Long tasks call ctx.Heartbeat() at least every HeartbeatSeconds.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace strata::orchestrator {

using Json = nlohmann::json;

// A read-only view of a cancellation flag. Cheap to copy; thread-safe. A default-constructed
// token is never cancelled.
class CancellationToken {
 public:
  CancellationToken() = default;

  bool IsCancelled() const;
  // The reason given to Cancel() ("" when not cancelled).
  std::string Reason() const;
  // Blocks up to `micros` of real time or until cancelled; returns IsCancelled().
  bool WaitFor(int64_t micros) const;

  struct State;

 private:
  friend class CancellationSource;
  explicit CancellationToken(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

// Owns a cancellation flag. Children created with Child() are cancelled with their parent
// (never the other way round). Thread-safe.
class CancellationSource {
 public:
  CancellationSource();
  // A source cancelled whenever `parent` is (immediately if it already is).
  explicit CancellationSource(const CancellationToken& parent);
  ~CancellationSource();
  CancellationSource(const CancellationSource&) = delete;
  CancellationSource& operator=(const CancellationSource&) = delete;

  // Idempotent: the first reason wins.
  void Cancel(const std::string& reason);
  bool IsCancelled() const { return Token().IsCancelled(); }
  CancellationToken Token() const { return CancellationToken(state_); }

 private:
  std::shared_ptr<CancellationToken::State> state_;
};

struct TaskRequest {
  std::string execution_id;
  std::string state_name;
  std::string resource;  // the Task's Resource, e.g. "strata:command"
  Json input;            // the effective input (after InputPath/Parameters or Arguments)
  Json credentials;      // evaluated Credentials, or null
  Json context;          // the context object ($$)
  int attempt = 1;       // 1-based
  std::optional<double> timeout_seconds;
  std::optional<double> heartbeat_seconds;
};

struct TaskResult {
  static TaskResult Success(Json output) {
    TaskResult r;
    r.ok = true;
    r.output = std::move(output);
    return r;
  }
  static TaskResult Failure(std::string error, std::string cause = "") {
    TaskResult r;
    r.ok = false;
    r.error = std::move(error);
    r.cause = std::move(cause);
    return r;
  }
  bool ok = false;
  Json output;
  std::string error;
  std::string cause;
};

// Given to Execute for the duration of one attempt.
class TaskContext {
 public:
  virtual ~TaskContext() = default;
  virtual const CancellationToken& cancellation() const = 0;
  // Tells the interpreter the task is alive (resets the HeartbeatSeconds timer).
  virtual void Heartbeat() = 0;
  virtual Clock& clock() = 0;
};

class TaskExecutor {
 public:
  virtual ~TaskExecutor() = default;
  virtual TaskResult Execute(const TaskRequest& request, TaskContext& ctx) = 0;
};

}  // namespace strata::orchestrator
