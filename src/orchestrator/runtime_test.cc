// WorkerPool and RunBounded: the concurrency a Map or Parallel gets must not depend on how fast
// the OS schedules pool threads (the cause of the Interpreter.MapRespectsMaxConcurrency flake).
#include "orchestrator/runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace strata::orchestrator {
namespace {

using Clock = std::chrono::steady_clock;

// Tracks how many calls run at once.
struct Concurrency {
  std::atomic<int> active{0};
  std::atomic<int> peak{0};
  void Enter() {
    int now = ++active;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
  }
  void Leave() { --active; }
};

// A pool used right after construction hands work off: its threads are idle by then. Before,
// a loaded machine could leave them unscheduled, TryRun refused, and a Map ran on one thread.
TEST(WorkerPoolTest, ANewPoolTakesWorkAtOnce) {
  for (int round = 0; round < 20; ++round) {
    WorkerPool pool(4);
    std::atomic<bool> ran{false};
    ASSERT_TRUE(pool.TryRun([&] { ran = true; })) << "round " << round;
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!ran && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_TRUE(ran);
  }
}

// Pool threads busy when RunBounded starts join it once they are free: with the limit at 3 the
// run widens to 3 instead of staying on the calling thread for all its items.
TEST(RunBoundedTest, HelpersBusyAtTheStartJoinLater) {
  WorkerPool pool(2);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(pool.TryRun([&] {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return release; });
    }));
  }
  Concurrency c;
  std::atomic<int> calls{0};
  RunBounded(
      pool, 2000, 3,
      [&](size_t i) {
        c.Enter();
        ++calls;
        if (i == 0) {  // the pool is still busy: only the calling thread runs; free it now
          std::lock_guard lock(mu);
          release = true;
          cv.notify_all();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        c.Leave();
      },
      [] { return false; });
  EXPECT_EQ(calls, 2000);
  EXPECT_GE(c.peak, 2) << "no pool thread joined after it became free";
  EXPECT_LE(c.peak, 3);
}

TEST(RunBoundedTest, NeverExceedsTheLimitAndStopsHandingOutItems) {
  WorkerPool pool(8);
  Concurrency c;
  std::atomic<int> calls{0};
  std::atomic<bool> stop{false};
  RunBounded(
      pool, 1000, 3,
      [&](size_t i) {
        c.Enter();
        if (++calls == 100 || i == 100) stop = true;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        c.Leave();
      },
      [&] { return stop.load(); });
  EXPECT_LE(c.peak, 3);
  EXPECT_GE(calls, 100);
  EXPECT_LT(calls, 1000) << "items were handed out after stop";
}

}  // namespace
}  // namespace strata::orchestrator
