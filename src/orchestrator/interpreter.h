// The state-machine interpreter: runs a compiled StateMachine (definition.h) on an input.
//
//   auto machine = LoadDefinitionFile("pipelines/daily.yaml");            // loader.h
//   Interpreter interp({.executor = &steps, .clock = &Clock::System()});
//   ExecutionResult r = interp.Run(**machine, input, {.execution_id = id, .observer = &store});
//
// Semantics follow Amazon States Language / AWS Step Functions: InputPath, Parameters (paths,
// `$$` context object, intrinsics), ResultSelector, ResultPath, OutputPath, JSONata
// Arguments/Output/Assign, Choice rules, Wait (through the Clock), Retry (backoff, MaxDelay,
// FULL jitter) and Catch, Task TimeoutSeconds/HeartbeatSeconds, Parallel and inline Map on a
// bounded worker pool. Runtime errors use AWS's names (States.Runtime,
// States.ResultPathMatchFailure, States.NoChoiceMatched, States.IntrinsicFailure,
// States.Timeout, States.HeartbeatTimeout, States.TaskFailed, ...). As in AWS, States.ALL
// does not match States.Runtime and States.DataLimitExceeded.
//
// Variables (Assign): stored per scope after a state succeeds; inner Parallel/Map scopes see a
// copy of the outer variables. In JSONPath states, Assign's ".$" paths see the state's result
// as `$` (input for Choice/Wait) -- AWS's exact JSONPath Assign scoping is not yet verified
// against recorded executions (the conformance cases have none).
//
// Concurrency: Parallel branches and Map iterations run on the interpreter's WorkerPool with
// the state's MaxConcurrency as limit; the calling thread always takes part, and helpers are
// used only when idle, so nested fan-outs cannot deadlock and a 10,000-item Map needs no more
// than `max_threads` threads and O(items) result memory.
//
// Thread safety: one Interpreter may run many executions concurrently (Run is thread-safe).
// The executor, clock and observers must outlive the calls that use them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "orchestrator/definition.h"
#include "orchestrator/executor.h"
#include "orchestrator/intrinsics.h"
#include "orchestrator/observer.h"

namespace strata::orchestrator {

struct InterpreterOptions {
  TaskExecutor* executor = nullptr;  // not owned; Task states fail without one
  Clock* clock = nullptr;            // not owned; nullptr = Clock::System()
  int max_threads = 8;               // worker threads for Parallel/Map (the caller works too)
  IntrinsicEnv intrinsics = DefaultIntrinsicEnv();
  // Uniform in [0, 1): FULL retry jitter. nullptr = a thread-safe std::mt19937_64.
  std::function<double()> random;
};

struct RunOptions {
  std::string execution_id = "exec";      // $$.Execution.Id and in every event
  std::string execution_name;             // $$.Execution.Name (defaults to the id)
  std::string state_machine_name;         // $$.StateMachine.Name
  ExecutionObserver* observer = nullptr;  // not owned
  // Cancel to abort the execution: running tasks see their token fire.
  CancellationToken cancel;
  // Resume support: start at this top-level state (with `input` as its input) instead of
  // StartAt. Empty = StartAt.
  std::string start_at;
};

enum class ExecutionStatus { kSucceeded, kFailed, kAborted };
std::string_view ExecutionStatusName(ExecutionStatus status);  // "SUCCEEDED", ...

struct ExecutionResult {
  ExecutionStatus status = ExecutionStatus::kFailed;
  Json output;                       // SUCCEEDED only
  std::optional<std::string> error;  // FAILED: may be absent (a Fail state without Error)
  std::optional<std::string> cause;
  std::string failed_state;  // FAILED: the top-level state that failed (for resume)
  Json failed_state_input;   //   and the input it had
};

class Interpreter {
 public:
  explicit Interpreter(InterpreterOptions options = {});
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // Runs to completion on the calling thread (plus pool helpers) and returns the outcome.
  ExecutionResult Run(const StateMachine& machine, const Json& input,
                      const RunOptions& options = {});

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::orchestrator
