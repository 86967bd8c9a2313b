// Internal to the interpreter (interpreter.cc, interpreter_states.cc). Not a public interface.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "orchestrator/interpreter.h"
#include "orchestrator/runtime.h"

namespace strata::orchestrator {

struct Interpreter::Impl {
  explicit Impl(InterpreterOptions o);

  InterpreterOptions options;
  Clock& clock;
  WorkerPool pool;
  Watchdog watchdog;
  std::mutex rng_mu;
  std::mt19937_64 rng{std::random_device{}()};

  double Random();
};

namespace internal {

// An ASL error: name and cause may each be absent (a Fail state without Error/Cause).
struct Failure {
  std::optional<std::string> error;
  std::optional<std::string> cause;
};

inline Failure MakeFailure(std::string error, std::string cause) {
  return Failure{std::move(error), std::move(cause)};
}

// The outcome of running a state's work or a whole (sub)machine.
struct Outcome {
  bool ok = false;
  bool aborted = false;  // cancelled from outside: not catchable, not retried
  Json output;
  Failure failure;
  std::string failed_state;
  Json failed_state_input;

  static Outcome Success(Json out) {
    Outcome o;
    o.ok = true;
    o.output = std::move(out);
    return o;
  }
  static Outcome Fail(Failure f) {
    Outcome o;
    o.failure = std::move(f);
    return o;
  }
  static Outcome Abort(std::string reason) {
    Outcome o;
    o.aborted = true;
    o.failure = MakeFailure("States.Aborted", std::move(reason));
    return o;
  }
};

// One (sub)machine run: its position for events, its cancellation and visible variables.
struct Frame {
  std::string scope;
  CancellationToken cancel;
  Json variables = Json::object();
  std::optional<Json> map_item;  // {"Index": i, "Value": v} inside a Map iteration
};

// Everything one execution shares.
class Execution {
 public:
  Execution(Interpreter::Impl& impl, const RunOptions& options, const Json& input);

  Outcome RunMachine(const StateMachine& machine, Json input, Frame& frame,
                     const std::string& start_at);

  // ---- helpers shared by the state implementations ----
  Json BuildContext(const State& state, const Frame& frame, int retry_count,
                    int64_t entered_micros) const;
  PathScope Scope(const Json& input, const Json* context, const Frame& frame) const {
    return PathScope{&input, context, &frame.variables};
  }
  // JSONata bindings: variables plus $states {input, context, result?, errorOutput?}.
  Json Bindings(const Frame& frame, const Json& input, const Json* context, const Json* result,
                const Json* error_output) const;
  bool Observing() const { return options_.observer != nullptr; }
  void Emit(ExecutionEvent event) const;
  int64_t Now() const { return impl_.clock.NowMicros(); }

  // The work of one state (after entering, before transition). Sets `next` ("" = end).
  Outcome ExecuteState(const State& state, const Json& input, Frame& frame, std::string& next);

  Interpreter::Impl& impl() { return impl_; }
  const RunOptions& options() const { return options_; }

 private:
  // Per-type work; defined in interpreter_states.cc.
  Outcome RunTask(const State& st, const Json& input, Frame& frame, const Json* context);
  Outcome RunParallel(const State& st, const Json& input, Frame& frame, const Json* context);
  Outcome RunMap(const State& st, const Json& input, Frame& frame, const Json* context);
  Outcome RunWait(const State& st, const Json& input, Frame& frame, const Json* context);
  Outcome RunChoice(const State& st, const Json& input, Frame& frame, const Json* context,
                    std::string& next);
  Outcome RunFail(const State& st, const Json& input, Frame& frame, const Json* context);
  // Retry loop around `attempt` for Task/Parallel/Map.
  Outcome WithRetry(const State& st, Frame& frame, const std::function<Outcome(int)>& attempt);
  // JSONPath post-processing of a result: ResultSelector, ResultPath, OutputPath.
  Outcome FinishJsonPath(const State& st, const Json& raw_input, Json result, const Frame& frame,
                         const Json* context, bool has_result);
  // JSONata post-processing: Output (default `result`) and Assign.
  Outcome FinishJsonata(const State& st, const Json& raw_input, const Json& result, Frame& frame,
                        const Json* context);
  bool TryCatch(const State& st, const Json& raw_input, const Failure& failure, Frame& frame,
                Json& output, std::string& next);

  Interpreter::Impl& impl_;
  const RunOptions& options_;
  Json input_;
  std::string start_time_;
};

// Maps an evaluation Status to an ASL error name (NotFound -> States.Runtime, ...).
Failure FailureFromStatus(const Status& status, const char* default_error);

// True when `error` is matched by the ErrorEquals list (States.ALL matches everything but
// States.Runtime and States.DataLimitExceeded; States.TaskFailed matches any error of a task
// that is not a States.* error other than States.TaskFailed itself... see AWS docs).
bool ErrorMatches(const std::vector<std::string>& error_equals,
                  const std::optional<std::string>& error);

// The delay before retry number `retry` (1-based) of `retrier`, before jitter, in micros.
int64_t RetryDelayMicros(const Retrier& retrier, int retry);

}  // namespace internal
}  // namespace strata::orchestrator
