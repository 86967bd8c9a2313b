// FaultInjectingObjectStore: wraps another store and makes chosen calls fail, so tests can prove
// that callers (Delta commits, ingestion, the orchestrator) survive I/O errors and writer crashes.
// With nothing armed it is a transparent pass-through and keeps every contract of the store it
// wraps (the conformance suite checks this).
//
//   auto store =
//   std::make_shared<FaultInjectingObjectStore>(std::make_shared<MemoryObjectStore>("t"));
//   store->FailNthCall(2, FaultOp::kPutIfAbsent, Status::Conflict("lost race"));
//   store->CrashAfterBytes(100);  // the next put tears and "the process" dies
//
// Thread-safe: fault bookkeeping is under one mutex that is not held while the inner store works.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "storage/object_store.h"

namespace strata::storage {

enum class FaultOp : int {
  kGet = 0,
  kGetRange,
  kPut,
  kPutIfAbsent,
  kPutFile,
  kList,
  kDelete,
  kHead,
  kAny,  // matches every operation (for arming); not a counter of its own
};
inline constexpr int kNumFaultOps = static_cast<int>(FaultOp::kAny);

// When an injected failure strikes. kAfterCall runs the real operation and then reports failure:
// the caller cannot tell whether its write landed (a lost response from a remote store).
enum class FaultTiming { kBeforeCall, kAfterCall };

class FaultInjectingObjectStore final : public ObjectStore {
 public:
  // `inner` must not be null.
  explicit FaultInjectingObjectStore(std::shared_ptr<ObjectStore> inner);

  // Arms a one-shot fault: the n-th (n >= 1) call of `op` from now (kAny: of any operation) fails
  // with `status` (must not be OK). Several can be armed at once.
  void FailNthCall(int n, FaultOp op = FaultOp::kAny,
                   Status status = Status::IOError("injected fault"),
                   FaultTiming timing = FaultTiming::kBeforeCall);
  // Every call of `op` fails with probability `p` in [0, 1], drawn from a generator seeded with
  // `seed`, so a failing run can be replayed. p = 0 disarms.
  void FailWithProbability(double p, uint64_t seed, FaultOp op = FaultOp::kAny,
                           Status status = Status::IOError("injected random fault"));
  // Models a writer process dying mid-write: the next Put, PutIfAbsent or PutFile writes only the
  // first `bytes` bytes to a temporary object beside its target (see IsTemporaryKey; List never
  // shows it and the target is untouched), then fails with IOError. From then on every call
  // fails with IOError("crashed") until Reset(), as if the process were gone.
  void CrashAfterBytes(int64_t bytes);
  // Disarms all faults and ends a crash. Counters and the inner store are kept.
  void Reset();

  bool crashed() const;
  // Calls of `op` seen so far, failed ones included (kAny: the total).
  int64_t calls(FaultOp op) const;
  // Faults actually injected so far (crashes included).
  int64_t injected() const;
  void ResetCounters();
  // Key of the torn temporary written by the last crash, if any.
  std::optional<std::string> last_torn_key() const;
  ObjectStore& inner() { return *inner_; }

  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, int64_t offset, int64_t length) override;
  Status Put(std::string_view key, std::string_view data) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Status PutFile(std::string_view key, const std::string& local_path) override;
  Result<ListPage> List(std::string_view prefix, std::string_view page_token,
                        int max_keys) override;
  Status Delete(std::string_view key) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  std::optional<std::string> LocalPath(std::string_view key) const override {
    return inner_->LocalPath(key);
  }
  std::string Uri() const override { return inner_->Uri(); }

 private:
  // What to do with one call, decided under the lock.
  struct Decision {
    Status status;  // the injected failure; OK = run the call normally
    FaultTiming timing = FaultTiming::kBeforeCall;
    std::optional<int64_t> crash_bytes;  // set: this put must tear and crash
  };
  Decision Decide(FaultOp op);
  // Runs `call` (returning Status or Result<T>) unless `decision` fails it first; a kAfterCall
  // failure replaces the call's own outcome.
  template <typename Call>
  static auto Apply(const Decision& decision, Call&& call) -> decltype(call()) {
    if (!decision.status.ok() && decision.timing == FaultTiming::kBeforeCall) {
      return decision.status;
    }
    auto outcome = call();
    if (!decision.status.ok()) return decision.status;
    return outcome;
  }
  // Writes the torn temporary for a put of `data` to `key` and returns the crash error.
  Status Crash(std::string_view key, std::string_view data, int64_t bytes);

  struct NthFault {
    int64_t at_call;  // fires when the counter of `op` reaches this value
    FaultOp op;
    Status status;
    FaultTiming timing;
  };

  const std::shared_ptr<ObjectStore> inner_;
  mutable std::mutex mu_;
  std::array<int64_t, kNumFaultOps> calls_{};
  int64_t total_calls_ = 0;
  int64_t injected_ = 0;
  std::vector<NthFault> nth_faults_;
  double probability_ = 0;
  FaultOp probability_op_ = FaultOp::kAny;
  Status probability_status_;
  std::mt19937_64 rng_;
  std::optional<int64_t> crash_after_;
  bool crashed_ = false;
  int64_t crash_count_ = 0;
  std::optional<std::string> last_torn_key_;
};

}  // namespace strata::storage
