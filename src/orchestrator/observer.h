// The seam through which the run store (catalog DB), logs and progress displays see an
// execution: every execution start/end, state entered/exited/failed, task attempt, retry,
// caught error and Map iteration, with inputs, outputs, errors and timings.
//
// Contract:
//  * OnEvent is called synchronously on the thread doing the work, concurrently from several
//    threads for Parallel branches and Map iterations: implementations must be thread-safe and
//    fast (queue to a writer thread if persisting is slow). Events of one scope arrive in order.
//  * `scope` locates a state in nested Parallel/Map runs: "" at top level, then
//    "<Parallel state>/<branch index>" or "<Map state>/<item index>", joined with '/'
//    ("Fanout/2/Inner/17"). (scope, state) identifies a state run within one execution; a
//    re-run of a state (loop) produces a new StateEntered.
//  * Times are Clock::NowMicros() of the interpreter's clock (wall time, UTC microseconds).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "orchestrator/definition.h"

namespace strata::orchestrator {

enum class EventType {
  kExecutionStarted,    // input
  kExecutionSucceeded,  // output, duration
  kExecutionFailed,     // error, cause, duration
  kExecutionAborted,    // cause = cancellation reason, duration
  kStateEntered,        // state, state_type, input
  kStateExited,         // state, output, duration
  kStateFailed,         // state, error, cause, duration (not caught: the scope fails)
  kTaskStarted,         // state, attempt, input (effective), resource
  kTaskSucceeded,       // state, attempt, output (raw result), duration
  kTaskFailed,          // state, attempt, error, cause, duration
  kRetryScheduled,      // state, attempt (the one that failed), error, delay_micros
  kErrorCaught,         // state, error, cause, next
  kIterationStarted,    // state (the Map/Parallel), index
  kIterationSucceeded,  // state, index, output, duration
  kIterationFailed,     // state, index, error, cause, duration
  kWaitStarted,         // state, delay_micros
};

std::string_view EventTypeName(EventType type);

struct ExecutionEvent {
  EventType type = EventType::kExecutionStarted;
  std::string execution_id;
  std::string scope;
  std::string state;
  std::optional<StateType> state_type;
  int attempt = 0;
  int64_t index = -1;  // Map item / Parallel branch
  std::string resource;
  std::string next;
  Json input;
  Json output;
  std::optional<std::string> error;
  std::optional<std::string> cause;
  int64_t time_micros = 0;
  int64_t duration_micros = 0;
  int64_t delay_micros = 0;
};

class ExecutionObserver {
 public:
  virtual ~ExecutionObserver() = default;
  virtual void OnEvent(const ExecutionEvent& event) = 0;
};

}  // namespace strata::orchestrator
