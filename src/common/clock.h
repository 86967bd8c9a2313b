// Clock: the seam for time. Code that reads the time or sleeps takes a Clock& so tests can use
// FakeClock and run schedules, retries and timeouts without waiting.
#pragma once

#include <cstdint>
#include <mutex>

namespace strata {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, microseconds since the Unix epoch (UTC).
  virtual int64_t NowMicros() = 0;
  // Monotonic time for measuring durations; unrelated to the wall clock.
  virtual int64_t MonotonicMicros() = 0;
  virtual void SleepForMicros(int64_t micros) = 0;

  // The process-wide real clock. Thread-safe; never destroyed.
  static Clock& System();
};

// A clock that moves only when told to. SleepForMicros advances it instead of blocking.
// Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_micros = 0) : now_(start_micros) {}
  int64_t NowMicros() override;
  int64_t MonotonicMicros() override { return NowMicros(); }
  void SleepForMicros(int64_t micros) override { Advance(micros); }
  void Advance(int64_t micros);
  void Set(int64_t micros);

 private:
  std::mutex mu_;
  int64_t now_;
};

}  // namespace strata
