// Threads and timers behind the interpreter: a bounded worker pool that never queues (so nested
// Parallel/Map can never deadlock waiting for a busy pool) and a watchdog that fires callbacks
// when deadlines on a Clock pass (task timeouts, heartbeats, execution timeouts).
// Internal to the orchestrator layer.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "orchestrator/executor.h"

namespace strata::orchestrator {

// A fixed set of threads. TryRun hands `fn` to an idle thread or returns false at once; work is
// never queued, so the caller does it itself. Thread-safe. The destructor waits for running
// work and joins.
class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  bool TryRun(std::function<void()> fn);
  int size() const { return static_cast<int>(threads_.size()); }

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable ready_;  // a thread became idle (the constructor waits for all)
  int idle_ = 0;
  bool stop_ = false;
  std::vector<std::function<void()>> handoff_;
  std::vector<std::thread> threads_;
};

// Runs body(i) for i in [0, n) with at most `limit` concurrent calls: the calling thread works
// too and helpers come from `pool` only when idle; before each item it takes, the calling
// thread recruits idle pool threads up to the limit (so helpers busy at the start join later).
// Stops handing out new indices once `stop` returns true. Returns when every started call has
// returned.
void RunBounded(WorkerPool& pool, size_t n, size_t limit, const std::function<void(size_t)>& body,
                const std::function<bool()>& stop);

// Polls deadlines against a Clock (1 ms real-time granularity while anything is registered,
// so it works with FakeClock too) and runs the callback once a deadline has passed.
// Thread-safe.
class Watchdog {
 public:
  explicit Watchdog(Clock& clock);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // `deadline` is re-read on every poll (heartbeats move it); returns an id for Remove.
  int64_t Add(std::function<int64_t()> deadline, std::function<void()> fire);
  // After Remove returns, the callback is not running and will not run.
  void Remove(int64_t id);

 private:
  struct Entry {
    std::function<int64_t()> deadline;
    std::function<void()> fire;
  };
  void Loop();

  Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, Entry> entries_;
  int64_t next_id_ = 1;
  int64_t firing_ = 0;  // id whose callback runs now (outside mu_)
  std::condition_variable fired_cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Sleeps on `clock` until `micros` passed or `cancel` fires; returns false if cancelled.
// With a FakeClock (whose sleeps return at once) it advances the clock in one step.
bool SleepCancellable(Clock& clock, int64_t micros, const CancellationToken& cancel);

}  // namespace strata::orchestrator
