// The interpreter's main loop: state transitions, I/O processing, Catch, events.
#include "orchestrator/interpreter.h"

#include <algorithm>
#include <cmath>

#include "orchestrator/choice.h"
#include "orchestrator/interpreter_internal.h"

namespace strata::orchestrator {

std::string_view ExecutionStatusName(ExecutionStatus status) {
  switch (status) {
    case ExecutionStatus::kSucceeded:
      return "SUCCEEDED";
    case ExecutionStatus::kFailed:
      return "FAILED";
    case ExecutionStatus::kAborted:
      return "ABORTED";
  }
  return "?";
}

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kExecutionStarted:
      return "ExecutionStarted";
    case EventType::kExecutionSucceeded:
      return "ExecutionSucceeded";
    case EventType::kExecutionFailed:
      return "ExecutionFailed";
    case EventType::kExecutionAborted:
      return "ExecutionAborted";
    case EventType::kStateEntered:
      return "StateEntered";
    case EventType::kStateExited:
      return "StateExited";
    case EventType::kStateFailed:
      return "StateFailed";
    case EventType::kTaskStarted:
      return "TaskStarted";
    case EventType::kTaskSucceeded:
      return "TaskSucceeded";
    case EventType::kTaskFailed:
      return "TaskFailed";
    case EventType::kRetryScheduled:
      return "RetryScheduled";
    case EventType::kErrorCaught:
      return "ErrorCaught";
    case EventType::kIterationStarted:
      return "IterationStarted";
    case EventType::kIterationSucceeded:
      return "IterationSucceeded";
    case EventType::kIterationFailed:
      return "IterationFailed";
    case EventType::kWaitStarted:
      return "WaitStarted";
  }
  return "?";
}

Interpreter::Impl::Impl(InterpreterOptions o)
    : options(std::move(o)),
      clock(options.clock != nullptr ? *options.clock : Clock::System()),
      pool(std::max(0, options.max_threads)),
      watchdog(clock) {}

double Interpreter::Impl::Random() {
  if (options.random) return options.random();
  std::lock_guard lock(rng_mu);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

Interpreter::Interpreter(InterpreterOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

Interpreter::~Interpreter() = default;

ExecutionResult Interpreter::Run(const StateMachine& machine, const Json& input,
                                 const RunOptions& options) {
  internal::Execution exec(*impl_, options, input);
  int64_t start = impl_->clock.NowMicros();
  if (options.observer != nullptr) {
    ExecutionEvent e;
    e.type = EventType::kExecutionStarted;
    e.input = input;
    exec.Emit(std::move(e));
  }
  // The execution's own cancellation: the caller's token plus TimeoutSeconds.
  CancellationSource cancel(options.cancel);
  int64_t timeout_id = 0;
  std::atomic<bool> timed_out{false};
  if (machine.timeout_seconds) {
    int64_t deadline = start + static_cast<int64_t>(*machine.timeout_seconds * 1e6);
    timeout_id = impl_->watchdog.Add([deadline] { return deadline; },
                                     [&] {
                                       timed_out = true;
                                       cancel.Cancel("execution timed out");
                                     });
  }
  internal::Frame frame;
  frame.cancel = cancel.Token();
  internal::Outcome out = exec.RunMachine(
      machine, input, frame, options.start_at.empty() ? machine.start_at : options.start_at);
  if (timeout_id != 0) impl_->watchdog.Remove(timeout_id);

  ExecutionResult result;
  ExecutionEvent e;
  e.duration_micros = impl_->clock.NowMicros() - start;
  if (out.ok) {
    result.status = ExecutionStatus::kSucceeded;
    result.output = out.output;
    e.type = EventType::kExecutionSucceeded;
    e.output = std::move(out.output);
  } else if (timed_out) {
    result.status = ExecutionStatus::kFailed;
    result.error = "States.Timeout";
    result.cause = "The execution exceeded its TimeoutSeconds";
    e.type = EventType::kExecutionFailed;
  } else if (out.aborted) {
    result.status = ExecutionStatus::kAborted;
    result.cause = out.failure.cause;
    e.type = EventType::kExecutionAborted;
  } else {
    result.status = ExecutionStatus::kFailed;
    result.error = out.failure.error;
    result.cause = out.failure.cause;
    e.type = EventType::kExecutionFailed;
  }
  result.failed_state = out.failed_state;
  result.failed_state_input = out.failed_state_input;
  e.error = result.error;
  e.cause = result.cause;
  if (options.observer != nullptr) exec.Emit(std::move(e));
  return result;
}

namespace internal {

Failure FailureFromStatus(const Status& status, const char* default_error) {
  if (status.IsNotFound()) return MakeFailure("States.Runtime", status.message());
  return MakeFailure(default_error, status.message());
}

bool ErrorMatches(const std::vector<std::string>& error_equals,
                  const std::optional<std::string>& error) {
  for (const std::string& e : error_equals) {
    if (e == "States.ALL") {
      if (error != "States.Runtime" && error != "States.DataLimitExceeded") return true;
    } else if (error && e == *error) {
      return true;
    }
  }
  return false;
}

int64_t RetryDelayMicros(const Retrier& r, int retry) {
  double seconds = r.interval_seconds * std::pow(r.backoff_rate, std::max(0, retry - 1));
  if (r.max_delay_seconds) seconds = std::min(seconds, *r.max_delay_seconds);
  return static_cast<int64_t>(std::llround(seconds * 1e6));
}

Execution::Execution(Interpreter::Impl& impl, const RunOptions& options, const Json& input)
    : impl_(impl),
      options_(options),
      input_(input),
      start_time_(FormatTimestampMicros(impl.clock.NowMicros())) {}

void Execution::Emit(ExecutionEvent event) const {
  if (options_.observer == nullptr) return;
  event.execution_id = options_.execution_id;
  if (event.time_micros == 0) event.time_micros = impl_.clock.NowMicros();
  options_.observer->OnEvent(event);
}

Json Execution::BuildContext(const State& state, const Frame& frame, int retry_count,
                             int64_t entered_micros) const {
  Json ctx = {
      {"Execution",
       {{"Id", options_.execution_id},
        {"Input", input_},
        {"Name", options_.execution_name.empty() ? options_.execution_id : options_.execution_name},
        {"RoleArn", ""},
        {"StartTime", start_time_},
        {"RedriveCount", 0}}},
      {"State",
       {{"EnteredTime", FormatTimestampMicros(entered_micros)},
        {"Name", state.name},
        {"RetryCount", retry_count}}},
      {"StateMachine",
       {{"Id", options_.state_machine_name}, {"Name", options_.state_machine_name}}},
  };
  if (frame.map_item) ctx["Map"] = {{"Item", *frame.map_item}};
  return ctx;
}

Json Execution::Bindings(const Frame& frame, const Json& input, const Json* context,
                         const Json* result, const Json* error_output) const {
  Json b = frame.variables;
  Json states = {{"input", input}};
  if (context != nullptr) states["context"] = *context;
  if (result != nullptr) states["result"] = *result;
  if (error_output != nullptr) states["errorOutput"] = *error_output;
  b["states"] = std::move(states);
  return b;
}

Outcome Execution::RunMachine(const StateMachine& machine, Json input, Frame& frame,
                              const std::string& start_at) {
  const State* state = machine.Find(start_at);
  if (state == nullptr) {
    return Outcome::Fail(MakeFailure("States.Runtime", "state '" + start_at + "' does not exist"));
  }
  while (true) {
    if (frame.cancel.IsCancelled()) return Outcome::Abort(frame.cancel.Reason());
    int64_t entered = Now();
    if (Observing()) {
      ExecutionEvent e;
      e.type = EventType::kStateEntered;
      e.scope = frame.scope;
      e.state = state->name;
      e.state_type = state->type;
      e.input = input;
      e.time_micros = entered;
      Emit(std::move(e));
    }
    std::string next;
    Outcome out = ExecuteState(*state, input, frame, next);
    if (out.aborted) return out;
    if (!out.ok) {
      Json caught_output;
      if (TryCatch(*state, input, out.failure, frame, caught_output, next)) {
        out = Outcome::Success(std::move(caught_output));
      } else {
        if (Observing()) {
          ExecutionEvent e;
          e.type = EventType::kStateFailed;
          e.scope = frame.scope;
          e.state = state->name;
          e.state_type = state->type;
          e.error = out.failure.error;
          e.cause = out.failure.cause;
          e.duration_micros = Now() - entered;
          Emit(std::move(e));
        }
        if (out.failed_state.empty()) {
          out.failed_state = state->name;
          out.failed_state_input = std::move(input);
        }
        return out;
      }
    }
    if (Observing()) {
      ExecutionEvent e;
      e.type = EventType::kStateExited;
      e.scope = frame.scope;
      e.state = state->name;
      e.state_type = state->type;
      e.output = out.output;
      e.next = next;
      e.duration_micros = Now() - entered;
      Emit(std::move(e));
    }
    if (next.empty()) return out;
    state = machine.Find(next);
    if (state == nullptr) {
      return Outcome::Fail(MakeFailure("States.Runtime", "state '" + next + "' does not exist"));
    }
    input = std::move(out.output);
  }
}

bool Execution::TryCatch(const State& st, const Json& raw_input, const Failure& failure,
                         Frame& frame, Json& output, std::string& next) {
  for (const Catcher& c : st.catch_) {
    if (!ErrorMatches(c.error_equals, failure.error)) continue;
    Json error_output = Json::object();
    if (failure.error) error_output["Error"] = *failure.error;
    if (failure.cause) error_output["Cause"] = *failure.cause;
    if (st.query_language == QueryLanguage::kJsonata) {
      output = error_output;
      if (c.output) {
        Json b = Bindings(frame, raw_input, nullptr, nullptr, &error_output);
        auto v = c.output->EvaluateJsonata(b);
        if (!v.ok()) return false;
        output = v->value_or(Json(nullptr));
      }
      if (c.assign) {
        Json b = Bindings(frame, raw_input, nullptr, nullptr, &error_output);
        auto v = c.assign->EvaluateJsonata(b);
        if (v.ok() && *v && (*v)->is_object()) {
          for (auto it = (*v)->begin(); it != (*v)->end(); ++it) frame.variables[it.key()] = *it;
        }
      }
    } else {
      switch (c.result_path.mode) {
        case OptionalPath::Mode::kDefault:
          output = error_output;
          break;
        case OptionalPath::Mode::kNull:
          output = raw_input;
          break;
        case OptionalPath::Mode::kPath: {
          output = raw_input;
          if (!c.result_path.path.Assign(output, error_output).ok()) return false;
          break;
        }
      }
      if (c.assign) {
        auto v = c.assign->Evaluate(Scope(error_output, nullptr, frame), impl_.options.intrinsics);
        if (v.ok() && v->is_object()) {
          for (auto it = v->begin(); it != v->end(); ++it) frame.variables[it.key()] = *it;
        }
      }
    }
    next = c.next;
    if (Observing()) {
      ExecutionEvent e;
      e.type = EventType::kErrorCaught;
      e.scope = frame.scope;
      e.state = st.name;
      e.state_type = st.type;
      e.error = failure.error;
      e.cause = failure.cause;
      e.next = next;
      Emit(std::move(e));
    }
    return true;
  }
  return false;
}

Outcome Execution::FinishJsonPath(const State& st, const Json& raw_input, Json result,
                                  const Frame& frame, const Json* context, bool has_result) {
  if (st.result_selector) {
    auto sel =
        st.result_selector->Evaluate(Scope(result, context, frame), impl_.options.intrinsics);
    if (!sel.ok()) return Outcome::Fail(FailureFromStatus(sel.status(), "States.IntrinsicFailure"));
    result = std::move(sel).value();
  }
  Json output;
  if (!has_result) {
    output = std::move(result);
  } else {
    switch (st.result_path.mode) {
      case OptionalPath::Mode::kDefault:
        output = std::move(result);
        break;
      case OptionalPath::Mode::kNull:
        output = raw_input;
        break;
      case OptionalPath::Mode::kPath:
        if (st.result_path.path.IsRoot()) {
          output = std::move(result);
          break;
        }
        output = raw_input;
        Status s = st.result_path.path.Assign(output, std::move(result));
        if (!s.ok())
          return Outcome::Fail(MakeFailure("States.ResultPathMatchFailure", s.message()));
        break;
    }
  }
  switch (st.output_path.mode) {
    case OptionalPath::Mode::kDefault:
      return Outcome::Success(std::move(output));
    case OptionalPath::Mode::kNull:
      return Outcome::Success(Json::object());
    case OptionalPath::Mode::kPath: {
      auto v = st.output_path.path.Evaluate(Scope(output, context, frame));
      if (!v.ok()) {
        return Outcome::Fail(MakeFailure("States.Runtime", "Invalid path '" +
                                                               st.output_path.path.text() +
                                                               "' : No results for path: $['" +
                                                               st.output_path.path.text() + "']"));
      }
      return Outcome::Success(std::move(v).value());
    }
  }
  return Outcome::Success(std::move(output));
}

Outcome Execution::FinishJsonata(const State& st, const Json& raw_input, const Json& result,
                                 Frame& frame, const Json* context) {
  Json output = result;
  if (st.output || st.assign) {
    Json b = Bindings(frame, raw_input, context, &result, nullptr);
    if (st.output) {
      auto v = st.output->EvaluateJsonata(b);
      if (!v.ok())
        return Outcome::Fail(FailureFromStatus(v.status(), "States.QueryEvaluationError"));
      output = v->value_or(Json(nullptr));
    }
    if (st.assign) {
      auto v = st.assign->EvaluateJsonata(b);
      if (!v.ok())
        return Outcome::Fail(FailureFromStatus(v.status(), "States.QueryEvaluationError"));
      if (*v && (*v)->is_object()) {
        for (auto it = (*v)->begin(); it != (*v)->end(); ++it) frame.variables[it.key()] = *it;
      }
    }
  }
  return Outcome::Success(std::move(output));
}

Outcome Execution::ExecuteState(const State& st, const Json& raw_input, Frame& frame,
                                std::string& next) {
  next = st.end ? "" : st.next;
  const bool jsonata = st.query_language == QueryLanguage::kJsonata;
  std::optional<Json> context_storage;
  if (st.uses_context) context_storage = BuildContext(st, frame, 0, Now());
  const Json* context = context_storage ? &*context_storage : nullptr;

  // Effective input (JSONPath: InputPath then Parameters; JSONata: Arguments for Task/Parallel).
  Json input;
  if (!jsonata) {
    switch (st.input_path.mode) {
      case OptionalPath::Mode::kDefault:
        input = raw_input;
        break;
      case OptionalPath::Mode::kNull:
        input = Json::object();
        break;
      case OptionalPath::Mode::kPath: {
        auto v = st.input_path.path.Evaluate(Scope(raw_input, context, frame));
        if (!v.ok()) {
          return Outcome::Fail(MakeFailure("States.Runtime", "Invalid path '" +
                                                                 st.input_path.path.text() +
                                                                 "' : No results for path: $['" +
                                                                 st.input_path.path.text() + "']"));
        }
        input = std::move(v).value();
        break;
      }
    }
    if (st.parameters && st.type != StateType::kMap) {
      auto v = st.parameters->Evaluate(Scope(input, context, frame), impl_.options.intrinsics);
      if (!v.ok()) return Outcome::Fail(FailureFromStatus(v.status(), "States.IntrinsicFailure"));
      input = std::move(v).value();
    }
  } else {
    input = raw_input;
  }

  switch (st.type) {
    case StateType::kPass: {
      if (jsonata) return FinishJsonata(st, raw_input, raw_input, frame, context);
      Json result = st.result ? *st.result : input;
      if (st.assign) {
        auto v = st.assign->Evaluate(Scope(result, context, frame), impl_.options.intrinsics);
        if (!v.ok()) return Outcome::Fail(FailureFromStatus(v.status(), "States.IntrinsicFailure"));
        for (auto it = v->begin(); it != v->end(); ++it) frame.variables[it.key()] = *it;
      }
      return FinishJsonPath(st, raw_input, std::move(result), frame, context, true);
    }
    case StateType::kSucceed:
      next.clear();
      if (jsonata) return FinishJsonata(st, raw_input, raw_input, frame, context);
      return FinishJsonPath(st, raw_input, input, frame, context, false);
    case StateType::kFail:
      next.clear();
      return RunFail(st, raw_input, frame, context);
    case StateType::kChoice: {
      Outcome o = RunChoice(st, jsonata ? raw_input : input, frame, context, next);
      if (!o.ok) return o;
      if (jsonata) return FinishJsonata(st, raw_input, raw_input, frame, context);
      return FinishJsonPath(st, raw_input, input, frame, context, false);
    }
    case StateType::kWait: {
      Outcome o = RunWait(st, jsonata ? raw_input : input, frame, context);
      if (!o.ok) return o;
      if (jsonata) return FinishJsonata(st, raw_input, raw_input, frame, context);
      return FinishJsonPath(st, raw_input, input, frame, context, false);
    }
    case StateType::kTask:
    case StateType::kParallel:
    case StateType::kMap: {
      if (jsonata && st.arguments) {
        Json b = Bindings(frame, raw_input, context, nullptr, nullptr);
        auto v = st.arguments->EvaluateJsonata(b);
        if (!v.ok())
          return Outcome::Fail(FailureFromStatus(v.status(), "States.QueryEvaluationError"));
        input = v->value_or(Json(nullptr));
      }
      Outcome o = st.type == StateType::kTask       ? RunTask(st, input, frame, context)
                  : st.type == StateType::kParallel ? RunParallel(st, input, frame, context)
                                                    : RunMap(st, input, frame, context);
      if (!o.ok) return o;
      if (jsonata) return FinishJsonata(st, raw_input, o.output, frame, context);
      if (st.assign) {
        auto v = st.assign->Evaluate(Scope(o.output, context, frame), impl_.options.intrinsics);
        if (!v.ok()) return Outcome::Fail(FailureFromStatus(v.status(), "States.IntrinsicFailure"));
        for (auto it = v->begin(); it != v->end(); ++it) frame.variables[it.key()] = *it;
      }
      return FinishJsonPath(st, raw_input, std::move(o.output), frame, context, true);
    }
  }
  return Outcome::Fail(MakeFailure("States.Runtime", "unknown state type"));
}

}  // namespace internal
}  // namespace strata::orchestrator
