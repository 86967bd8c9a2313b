#include "orchestrator/runtime.h"

#include <chrono>

namespace strata::orchestrator {

// ---- cancellation ----

struct CancellationToken::State {
  mutable std::mutex mu;
  std::condition_variable cv;
  bool cancelled = false;
  std::string reason;
  std::vector<std::weak_ptr<State>> children;

  void Cancel(const std::string& why) {
    std::vector<std::shared_ptr<State>> kids;
    {
      std::lock_guard lock(mu);
      if (cancelled) return;
      cancelled = true;
      reason = why;
      for (auto& w : children) {
        if (auto c = w.lock()) kids.push_back(std::move(c));
      }
      children.clear();
    }
    cv.notify_all();
    for (auto& c : kids) c->Cancel(why);
  }
};

bool CancellationToken::IsCancelled() const {
  if (!state_) return false;
  std::lock_guard lock(state_->mu);
  return state_->cancelled;
}

std::string CancellationToken::Reason() const {
  if (!state_) return "";
  std::lock_guard lock(state_->mu);
  return state_->reason;
}

bool CancellationToken::WaitFor(int64_t micros) const {
  if (!state_) {
    std::this_thread::sleep_for(std::chrono::microseconds(micros));
    return false;
  }
  std::unique_lock lock(state_->mu);
  state_->cv.wait_for(lock, std::chrono::microseconds(micros), [&] { return state_->cancelled; });
  return state_->cancelled;
}

CancellationSource::CancellationSource() : state_(std::make_shared<CancellationToken::State>()) {}

CancellationSource::CancellationSource(const CancellationToken& parent) : CancellationSource() {
  if (!parent.state_) return;
  std::string reason;
  {
    std::lock_guard lock(parent.state_->mu);
    if (parent.state_->cancelled) {
      reason = parent.state_->reason;
    } else {
      // Drop children that are gone so long-lived parents do not grow without bound.
      auto& kids = parent.state_->children;
      std::erase_if(kids,
                    [](const std::weak_ptr<CancellationToken::State>& w) { return w.expired(); });
      kids.push_back(state_);
      return;
    }
  }
  state_->Cancel(reason);
}

CancellationSource::~CancellationSource() = default;

void CancellationSource::Cancel(const std::string& reason) { state_->Cancel(reason); }

// ---- worker pool ----

WorkerPool::WorkerPool(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
  // Return only once every thread waits for work: TryRun counts idle threads, and a pool whose
  // threads the OS has not yet scheduled would otherwise refuse every hand-off (a Map started
  // right away then ran on the calling thread alone).
  std::unique_lock lock(mu_);
  ready_.wait(lock, [&] { return idle_ == threads; });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

bool WorkerPool::TryRun(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (stop_ || idle_ <= static_cast<int>(handoff_.size())) return false;
    handoff_.push_back(std::move(fn));
  }
  cv_.notify_one();
  return true;
}

void WorkerPool::Loop() {
  std::unique_lock lock(mu_);
  while (true) {
    ++idle_;
    ready_.notify_all();
    cv_.wait(lock, [&] { return stop_ || !handoff_.empty(); });
    --idle_;
    if (handoff_.empty()) return;  // stopping
    std::function<void()> fn = std::move(handoff_.back());
    handoff_.pop_back();
    lock.unlock();
    fn();
    lock.lock();
  }
}

void RunBounded(WorkerPool& pool, size_t n, size_t limit, const std::function<void(size_t)>& body,
                const std::function<bool()>& stop) {
  if (n == 0) return;
  std::atomic<size_t> next{0};
  auto work = [&] {
    while (!stop()) {
      size_t i = next.fetch_add(1);
      if (i >= n) return;
      body(i);
    }
  };
  std::mutex mu;
  std::condition_variable cv;
  size_t running = 0;  // helpers handed to the pool and not yet finished
  const size_t wanted = std::min(limit, n) - 1;
  size_t recruited = 0;  // only the calling thread touches it
  // Hands work to idle pool threads until `wanted` helpers run. Called before every item the
  // calling thread takes, so threads that were busy elsewhere (another Map, a Parallel branch)
  // join as soon as they are free instead of the Map staying narrower for its whole run.
  auto recruit = [&] {
    while (recruited < wanted && next.load() < n && !stop()) {
      {
        std::lock_guard lock(mu);
        ++running;
      }
      bool started = pool.TryRun([&] {
        work();
        std::lock_guard lock(mu);
        if (--running == 0) cv.notify_all();
      });
      if (!started) {
        std::lock_guard lock(mu);
        --running;
        return;
      }
      ++recruited;
    }
  };
  while (!stop()) {
    recruit();
    size_t i = next.fetch_add(1);
    if (i >= n) break;
    body(i);
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return running == 0; });
}

// ---- watchdog ----

Watchdog::Watchdog(Clock& clock) : clock_(clock), thread_([this] { Loop(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

int64_t Watchdog::Add(std::function<int64_t()> deadline, std::function<void()> fire) {
  int64_t id;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    entries_[id] = Entry{std::move(deadline), std::move(fire)};
  }
  cv_.notify_all();
  return id;
}

void Watchdog::Remove(int64_t id) {
  std::unique_lock lock(mu_);
  entries_.erase(id);
  fired_cv_.wait(lock, [&] { return firing_ != id; });
}

void Watchdog::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (entries_.empty()) {
      cv_.wait(lock, [&] { return stop_ || !entries_.empty(); });
      continue;
    }
    int64_t now = clock_.NowMicros();
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->second.deadline() > now) {
        ++it;
        continue;
      }
      int64_t id = it->first;
      std::function<void()> fire = std::move(it->second.fire);
      it = entries_.erase(it);
      firing_ = id;
      lock.unlock();
      fire();
      lock.lock();
      firing_ = 0;
      fired_cv_.notify_all();
      it = entries_.lower_bound(id);
    }
    cv_.wait_for(lock, std::chrono::milliseconds(1));
  }
}

bool SleepCancellable(Clock& clock, int64_t micros, const CancellationToken& cancel) {
  constexpr int64_t kSlice = 100'000;  // re-check cancellation every 100 ms of real sleep
  int64_t until = clock.NowMicros() + micros;
  while (true) {
    if (cancel.IsCancelled()) return false;
    int64_t remaining = until - clock.NowMicros();
    if (remaining <= 0) return true;
    int64_t step = std::min(remaining, kSlice);
    auto real_start = std::chrono::steady_clock::now();
    clock.SleepForMicros(step);
    auto real_us = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now() - real_start)
                       .count();
    if (real_us < step / 2) {
      // A virtual clock: the sleep advanced it without waiting. Jump to the end.
      remaining = until - clock.NowMicros();
      if (remaining > 0) clock.SleepForMicros(remaining);
      return !cancel.IsCancelled();
    }
  }
}

}  // namespace strata::orchestrator
