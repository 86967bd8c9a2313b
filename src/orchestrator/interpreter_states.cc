// The work of each state type: Task (with timeouts and heartbeats), Retry, Parallel, Map,
// Wait, Choice and Fail.
#include <atomic>
#include <cmath>
#include <mutex>

#include "orchestrator/choice.h"
#include "orchestrator/interpreter_internal.h"

namespace strata::orchestrator::internal {
namespace {

std::string JoinScope(const std::string& scope, const std::string& state, size_t index) {
  std::string s = scope.empty() ? state : scope + "/" + state;
  return s + "/" + std::to_string(index);
}

class AttemptContext final : public TaskContext {
 public:
  AttemptContext(Clock& clock, CancellationToken token)
      : clock_(clock), token_(std::move(token)), last_heartbeat_(clock.NowMicros()) {}
  const CancellationToken& cancellation() const override { return token_; }
  void Heartbeat() override { last_heartbeat_ = clock_.NowMicros(); }
  Clock& clock() override { return clock_; }
  int64_t last_heartbeat() const { return last_heartbeat_.load(); }

 private:
  Clock& clock_;
  CancellationToken token_;
  std::atomic<int64_t> last_heartbeat_;
};

}  // namespace

namespace {

// Resolves a literal / *Path / JSONata number. nullopt when the field is absent.
Result<std::optional<double>> ResolveNumber(const DynamicNumber& n, const PathScope& scope,
                                            const Json& bindings, const char* field) {
  if (n.literal) return std::optional<double>(*n.literal);
  Json v;
  if (n.path) {
    auto r = n.path->Evaluate(scope);
    if (!r.ok()) return r.status();
    v = std::move(r).value();
  } else if (n.jsonata) {
    auto r = n.jsonata->Evaluate(bindings);
    if (!r.ok()) return r.status();
    if (!r->has_value())
      return Status::InvalidArgument(std::string(field) + " evaluated to nothing");
    v = std::move(**r);
  } else {
    return std::optional<double>();
  }
  if (!v.is_number() || v.get<double>() < 0) {
    return Status::NotFound(std::string(field) + " must be a non-negative number, got " + v.dump());
  }
  return std::optional<double>(v.get<double>());
}

}  // namespace

Outcome Execution::WithRetry(const State& st, Frame& frame,
                             const std::function<Outcome(int)>& attempt_fn) {
  std::vector<int> retries(st.retry.size(), 0);
  for (int attempt = 1;; ++attempt) {
    Outcome o = attempt_fn(attempt);
    if (o.ok || o.aborted) return o;
    size_t idx = st.retry.size();
    for (size_t i = 0; i < st.retry.size(); ++i) {
      if (ErrorMatches(st.retry[i].error_equals, o.failure.error)) {
        idx = i;
        break;
      }
    }
    if (idx == st.retry.size()) return o;
    const Retrier& r = st.retry[idx];
    if (retries[idx] >= r.max_attempts) return o;
    ++retries[idx];
    int64_t delay = RetryDelayMicros(r, retries[idx]);
    if (r.jitter == JitterStrategy::kFull) {
      delay = static_cast<int64_t>(impl_.Random() * static_cast<double>(delay));
    }
    if (Observing()) {
      ExecutionEvent e;
      e.type = EventType::kRetryScheduled;
      e.scope = frame.scope;
      e.state = st.name;
      e.state_type = st.type;
      e.attempt = attempt;
      e.error = o.failure.error;
      e.cause = o.failure.cause;
      e.delay_micros = delay;
      Emit(std::move(e));
    }
    if (!SleepCancellable(impl_.clock, delay, frame.cancel)) {
      return Outcome::Abort(frame.cancel.Reason());
    }
  }
}

Outcome Execution::RunTask(const State& st, const Json& input, Frame& frame, const Json* context) {
  TaskExecutor* executor = impl_.options.executor;
  if (executor == nullptr) {
    return Outcome::Fail(MakeFailure("States.TaskFailed",
                                     "no task executor is configured for '" + st.resource + "'"));
  }
  PathScope scope = Scope(input, context, frame);
  Json bindings = st.query_language == QueryLanguage::kJsonata
                      ? Bindings(frame, input, context, nullptr, nullptr)
                      : Json();
  auto timeout = ResolveNumber(st.timeout_seconds, scope, bindings, "TimeoutSeconds");
  if (!timeout.ok()) return Outcome::Fail(FailureFromStatus(timeout.status(), "States.Runtime"));
  auto heartbeat = ResolveNumber(st.heartbeat_seconds, scope, bindings, "HeartbeatSeconds");
  if (!heartbeat.ok())
    return Outcome::Fail(FailureFromStatus(heartbeat.status(), "States.Runtime"));
  Json credentials;
  if (st.credentials) {
    if (st.query_language == QueryLanguage::kJsonata) {
      auto v = st.credentials->EvaluateJsonata(bindings);
      if (!v.ok())
        return Outcome::Fail(FailureFromStatus(v.status(), "States.QueryEvaluationError"));
      credentials = v->value_or(Json(nullptr));
    } else {
      auto v = st.credentials->Evaluate(scope, impl_.options.intrinsics);
      if (!v.ok()) return Outcome::Fail(FailureFromStatus(v.status(), "States.IntrinsicFailure"));
      credentials = std::move(v).value();
    }
  }

  return WithRetry(st, frame, [&](int attempt) -> Outcome {
    if (frame.cancel.IsCancelled()) return Outcome::Abort(frame.cancel.Reason());
    TaskRequest req;
    req.execution_id = options_.execution_id;
    req.state_name = st.name;
    req.resource = st.resource;
    req.input = input;
    req.credentials = credentials;
    if (context != nullptr) {
      req.context = *context;
      req.context["State"]["RetryCount"] = attempt - 1;
    }
    req.attempt = attempt;
    req.timeout_seconds = *timeout;
    req.heartbeat_seconds = *heartbeat;

    CancellationSource cancel(frame.cancel);
    AttemptContext ctx(impl_.clock, cancel.Token());
    std::atomic<int> expired{0};  // 1 = timeout, 2 = heartbeat
    int64_t started = Now();
    std::vector<int64_t> timers;
    if (*timeout) {
      int64_t deadline = started + static_cast<int64_t>(**timeout * 1e6);
      timers.push_back(impl_.watchdog.Add([deadline] { return deadline; },
                                          [&] {
                                            int none = 0;
                                            expired.compare_exchange_strong(none, 1);
                                            cancel.Cancel("task timed out");
                                          }));
    }
    if (*heartbeat) {
      int64_t hb = static_cast<int64_t>(**heartbeat * 1e6);
      timers.push_back(impl_.watchdog.Add([&ctx, hb] { return ctx.last_heartbeat() + hb; },
                                          [&] {
                                            int none = 0;
                                            expired.compare_exchange_strong(none, 2);
                                            cancel.Cancel("task heartbeat timed out");
                                          }));
    }
    if (Observing()) {
      ExecutionEvent e;
      e.type = EventType::kTaskStarted;
      e.scope = frame.scope;
      e.state = st.name;
      e.state_type = st.type;
      e.attempt = attempt;
      e.resource = st.resource;
      e.input = input;
      Emit(std::move(e));
    }
    TaskResult r = executor->Execute(req, ctx);
    for (int64_t id : timers) impl_.watchdog.Remove(id);

    Outcome out;
    if (expired == 1) {
      out = Outcome::Fail(MakeFailure(
          "States.Timeout", "Task timed out after " + Json(**timeout).dump() + " seconds"));
    } else if (expired == 2) {
      out = Outcome::Fail(
          MakeFailure("States.HeartbeatTimeout",
                      "No heartbeat within " + Json(**heartbeat).dump() + " seconds"));
    } else if (frame.cancel.IsCancelled()) {
      return Outcome::Abort(frame.cancel.Reason());
    } else if (r.ok) {
      out = Outcome::Success(std::move(r.output));
    } else {
      out = Outcome::Fail(MakeFailure(r.error.empty() ? "States.TaskFailed" : r.error, r.cause));
    }
    if (Observing()) {
      ExecutionEvent e;
      e.type = out.ok ? EventType::kTaskSucceeded : EventType::kTaskFailed;
      e.scope = frame.scope;
      e.state = st.name;
      e.state_type = st.type;
      e.attempt = attempt;
      e.resource = st.resource;
      if (out.ok) e.output = out.output;
      e.error = out.failure.error;
      e.cause = out.failure.cause;
      e.duration_micros = Now() - started;
      Emit(std::move(e));
    }
    return out;
  });
}

namespace {

// Runs `count` children with at most `limit` at once; fails fast unless `tolerate`.
struct FanOut {
  std::mutex mu;
  std::optional<size_t> first_failure;
  size_t failures = 0;
};

}  // namespace

Outcome Execution::RunParallel(const State& st, const Json& input, Frame& frame,
                               const Json* /*context*/) {
  return WithRetry(st, frame, [&](int) -> Outcome {
    const size_t n = st.branches.size();
    std::vector<Outcome> results(n);
    CancellationSource group(frame.cancel);
    FanOut fan;
    std::atomic<bool> failed{false};
    RunBounded(
        impl_.pool, n, n,
        [&](size_t i) {
          Frame child;
          child.scope = JoinScope(frame.scope, st.name, i);
          child.cancel = group.Token();
          child.variables = frame.variables;
          results[i] = RunMachine(*st.branches[i], input, child, st.branches[i]->start_at);
          if (!results[i].ok && !results[i].aborted) {
            std::lock_guard lock(fan.mu);
            if (!fan.first_failure) fan.first_failure = i;
            failed = true;
            group.Cancel("another branch of '" + st.name + "' failed");
          }
        },
        [&] { return failed.load() || frame.cancel.IsCancelled(); });
    if (frame.cancel.IsCancelled()) return Outcome::Abort(frame.cancel.Reason());
    if (fan.first_failure) return Outcome::Fail(results[*fan.first_failure].failure);
    Json out = Json::array();
    for (auto& r : results) out.push_back(std::move(r.output));
    return Outcome::Success(std::move(out));
  });
}

Outcome Execution::RunMap(const State& st, const Json& input, Frame& frame, const Json* context) {
  const bool jsonata = st.query_language == QueryLanguage::kJsonata;
  Json bindings = jsonata ? Bindings(frame, input, context, nullptr, nullptr) : Json();
  Json items;
  if (jsonata && st.items) {
    auto v = st.items->EvaluateJsonata(bindings);
    if (!v.ok()) return Outcome::Fail(FailureFromStatus(v.status(), "States.QueryEvaluationError"));
    items = v->value_or(Json(nullptr));
  } else if (st.items_path.mode == OptionalPath::Mode::kPath) {
    auto v = st.items_path.path.Evaluate(Scope(input, context, frame));
    if (!v.ok()) return Outcome::Fail(FailureFromStatus(v.status(), "States.Runtime"));
    items = std::move(v).value();
  } else {
    items = input;
  }
  if (!items.is_array()) {
    return Outcome::Fail(MakeFailure("States.Runtime", "Map state '" + st.name +
                                                           "' items must be an array, got " +
                                                           std::string(items.type_name())));
  }
  PathScope scope = Scope(input, context, frame);
  auto max_conc = ResolveNumber(st.max_concurrency, scope, bindings, "MaxConcurrency");
  if (!max_conc.ok()) return Outcome::Fail(FailureFromStatus(max_conc.status(), "States.Runtime"));
  auto tol_count =
      ResolveNumber(st.tolerated_failure_count, scope, bindings, "ToleratedFailureCount");
  if (!tol_count.ok())
    return Outcome::Fail(FailureFromStatus(tol_count.status(), "States.Runtime"));
  auto tol_pct =
      ResolveNumber(st.tolerated_failure_percentage, scope, bindings, "ToleratedFailurePercentage");
  if (!tol_pct.ok()) return Outcome::Fail(FailureFromStatus(tol_pct.status(), "States.Runtime"));
  const bool tolerate = tol_count->has_value() || tol_pct->has_value();
  const size_t n = items.size();
  size_t limit = static_cast<size_t>(impl_.pool.size()) + 1;
  if (*max_conc && **max_conc >= 1) limit = static_cast<size_t>(**max_conc);

  return WithRetry(st, frame, [&](int) -> Outcome {
    Json out = Json::array();
    out.get_ref<Json::array_t&>().resize(n);
    std::vector<Failure> failures(tolerate ? n : 0);
    CancellationSource group(frame.cancel);
    FanOut fan;
    std::atomic<bool> stop{false};
    RunBounded(
        impl_.pool, n, limit,
        [&](size_t i) {
          Frame child;
          child.scope = JoinScope(frame.scope, st.name, i);
          child.cancel = group.Token();
          child.variables = frame.variables;
          child.map_item = Json{{"Index", i}, {"Value", items[i]}};
          Json item_input;
          if (st.item_selector) {
            std::optional<Json> item_ctx;
            if (st.uses_context) item_ctx = BuildContext(st, child, 0, Now());
            const Json* ictx = item_ctx ? &*item_ctx : nullptr;
            Status selector_status;
            if (jsonata) {
              auto v =
                  st.item_selector->EvaluateJsonata(Bindings(child, input, ictx, nullptr, nullptr));
              if (v.ok()) item_input = v->value_or(Json(nullptr));
              selector_status = v.status();
            } else {
              auto v =
                  st.item_selector->Evaluate(Scope(input, ictx, child), impl_.options.intrinsics);
              if (v.ok()) item_input = std::move(v).value();
              selector_status = v.status();
            }
            if (!selector_status.ok()) {
              std::lock_guard lock(fan.mu);
              if (!fan.first_failure) {
                fan.first_failure = i;
                failures.resize(n);
                failures[i] =
                    FailureFromStatus(selector_status, jsonata ? "States.QueryEvaluationError"
                                                               : "States.IntrinsicFailure");
              }
              stop = true;
              return;
            }
          } else {
            item_input = items[i];
          }
          Outcome r = RunMachine(*st.iterator, std::move(item_input), child, st.iterator->start_at);
          if (r.ok) {
            out[i] = std::move(r.output);
            return;
          }
          if (r.aborted) return;
          std::lock_guard lock(fan.mu);
          ++fan.failures;
          if (tolerate) {
            failures[i] = r.failure;
            Json err = Json::object();
            if (r.failure.error) err["Error"] = *r.failure.error;
            if (r.failure.cause) err["Cause"] = *r.failure.cause;
            out[i] = std::move(err);
            return;
          }
          if (!fan.first_failure) {
            fan.first_failure = i;
            failures.resize(n);
            failures[i] = r.failure;
          }
          stop = true;
          group.Cancel("another iteration of '" + st.name + "' failed");
        },
        [&] { return stop.load() || frame.cancel.IsCancelled(); });
    if (frame.cancel.IsCancelled()) return Outcome::Abort(frame.cancel.Reason());
    if (fan.first_failure) return Outcome::Fail(failures[*fan.first_failure]);
    if (tolerate && fan.failures > 0) {
      bool over = (*tol_count && static_cast<double>(fan.failures) > **tol_count) ||
                  (*tol_pct &&
                   100.0 * static_cast<double>(fan.failures) / static_cast<double>(n) > **tol_pct);
      if (over) {
        return Outcome::Fail(MakeFailure(
            "States.ExceedToleratedFailureThreshold",
            std::to_string(fan.failures) + " of " + std::to_string(n) + " iterations failed"));
      }
    }
    return Outcome::Success(std::move(out));
  });
}

Outcome Execution::RunWait(const State& st, const Json& input, Frame& frame, const Json* context) {
  Json bindings = st.query_language == QueryLanguage::kJsonata
                      ? Bindings(frame, input, context, nullptr, nullptr)
                      : Json();
  int64_t delay = 0;
  if (st.seconds.present()) {
    auto secs = ResolveNumber(st.seconds, Scope(input, context, frame), bindings, "Seconds");
    if (!secs.ok()) return Outcome::Fail(FailureFromStatus(secs.status(), "States.Runtime"));
    delay = static_cast<int64_t>(**secs * 1e6);
  } else {
    std::string ts;
    if (st.timestamp) {
      ts = *st.timestamp;
    } else if (st.timestamp_path) {
      auto v = st.timestamp_path->Evaluate(Scope(input, context, frame));
      if (!v.ok() || !v->is_string()) {
        return Outcome::Fail(MakeFailure(
            "States.Runtime",
            "TimestampPath '" + st.timestamp_path->text() + "' must select a timestamp string"));
      }
      ts = v->get<std::string>();
    } else if (st.timestamp_jsonata) {
      auto v = st.timestamp_jsonata->Evaluate(bindings);
      if (!v.ok() || !v->has_value() || !(*v)->is_string()) {
        return Outcome::Fail(MakeFailure("States.QueryEvaluationError",
                                         "Timestamp must evaluate to a timestamp string"));
      }
      ts = (*v)->get<std::string>();
    }
    auto when = ParseTimestampMicros(ts);
    if (!when)
      return Outcome::Fail(MakeFailure("States.Runtime", "invalid timestamp '" + ts + "'"));
    delay = std::max<int64_t>(0, *when - Now());
  }
  if (Observing()) {
    ExecutionEvent e;
    e.type = EventType::kWaitStarted;
    e.scope = frame.scope;
    e.state = st.name;
    e.state_type = st.type;
    e.delay_micros = delay;
    Emit(std::move(e));
  }
  if (!SleepCancellable(impl_.clock, delay, frame.cancel))
    return Outcome::Abort(frame.cancel.Reason());
  return Outcome::Success(input);
}

Outcome Execution::RunChoice(const State& st, const Json& input, Frame& frame, const Json* context,
                             std::string& next) {
  const bool jsonata = st.query_language == QueryLanguage::kJsonata;
  for (const ChoiceRule& rule : st.choices) {
    bool matched = false;
    if (jsonata) {
      if (rule.condition_literal) {
        matched = *rule.condition_literal;
      } else {
        auto v = rule.condition.Evaluate(Bindings(frame, input, context, nullptr, nullptr));
        if (!v.ok())
          return Outcome::Fail(FailureFromStatus(v.status(), "States.QueryEvaluationError"));
        if (!v->has_value() || !(*v)->is_boolean()) {
          return Outcome::Fail(
              MakeFailure("States.QueryEvaluationError", "Condition must evaluate to a boolean"));
        }
        matched = (*v)->get<bool>();
      }
    } else {
      auto v = EvaluateChoiceRule(rule, Scope(input, context, frame));
      if (!v.ok()) return Outcome::Fail(FailureFromStatus(v.status(), "States.Runtime"));
      matched = *v;
    }
    if (matched) {
      next = rule.next;
      return Outcome::Success(input);
    }
  }
  if (!st.default_next.empty()) {
    next = st.default_next;
    return Outcome::Success(input);
  }
  return Outcome::Fail(
      MakeFailure("States.NoChoiceMatched",
                  "No Choice rule matched and there is no Default in state '" + st.name + "'"));
}

Outcome Execution::RunFail(const State& st, const Json& input, Frame& frame, const Json* context) {
  Failure f;
  const bool jsonata = st.query_language == QueryLanguage::kJsonata;
  for (int which = 0; which < 2; ++which) {
    const std::optional<PayloadTemplate>& t = which == 0 ? st.error : st.cause;
    std::optional<std::string>& dst = which == 0 ? f.error : f.cause;
    if (!t) continue;
    Json v;
    if (jsonata) {
      auto r = t->EvaluateJsonata(Bindings(frame, input, context, nullptr, nullptr));
      if (!r.ok())
        return Outcome::Fail(FailureFromStatus(r.status(), "States.QueryEvaluationError"));
      if (!r->has_value()) continue;
      v = std::move(**r);
    } else {
      auto r = t->Evaluate(Scope(input, context, frame), impl_.options.intrinsics);
      if (!r.ok()) return Outcome::Fail(FailureFromStatus(r.status(), "States.IntrinsicFailure"));
      v = t->kind() == PayloadTemplate::Kind::kObject ? (*r)["v"] : std::move(r).value();
    }
    dst = v.is_string() ? v.get<std::string>() : v.dump();
  }
  return Outcome::Fail(std::move(f));
}

}  // namespace strata::orchestrator::internal
