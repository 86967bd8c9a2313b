#include "common/clock.h"

#include <chrono>
#include <thread>

namespace strata {
namespace {

class SystemClock final : public Clock {
 public:
  int64_t NowMicros() override {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  }
  int64_t MonotonicMicros() override {
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
  }
  void SleepForMicros(int64_t micros) override {
    if (micros > 0) std::this_thread::sleep_for(std::chrono::microseconds(micros));
  }
};

}  // namespace

Clock& Clock::System() {
  static SystemClock* clock = new SystemClock();  // intentionally leaked: usable during exit
  return *clock;
}

int64_t FakeClock::NowMicros() {
  std::lock_guard lock(mu_);
  return now_;
}

void FakeClock::Advance(int64_t micros) {
  std::lock_guard lock(mu_);
  now_ += micros;
}

void FakeClock::Set(int64_t micros) {
  std::lock_guard lock(mu_);
  now_ = micros;
}

}  // namespace strata
