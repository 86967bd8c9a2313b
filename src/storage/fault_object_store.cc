#include "storage/fault_object_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "storage/posix_file.h"

namespace strata::storage {
namespace {

bool IsPut(FaultOp op) {
  return op == FaultOp::kPut || op == FaultOp::kPutIfAbsent || op == FaultOp::kPutFile;
}

Status CrashedStatus() { return Status::IOError("crashed: injected writer crash, call Reset()"); }

}  // namespace

FaultInjectingObjectStore::FaultInjectingObjectStore(std::shared_ptr<ObjectStore> inner)
    : inner_(std::move(inner)) {
  if (inner_ == nullptr) {
    Status::Internal("FaultInjectingObjectStore needs an inner store").Check();
  }
}

void FaultInjectingObjectStore::FailNthCall(int n, FaultOp op, Status status, FaultTiming timing) {
  if (n < 1 || status.ok()) {
    Status::Internal("FailNthCall needs n >= 1 and an error status").Check();
  }
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = op == FaultOp::kAny ? total_calls_ : calls_[static_cast<int>(op)];
  nth_faults_.push_back(NthFault{now + n, op, std::move(status), timing});
}

void FaultInjectingObjectStore::FailWithProbability(double p, uint64_t seed, FaultOp op,
                                                    Status status) {
  if (p < 0 || p > 1 || (p > 0 && status.ok())) {
    Status::Internal("FailWithProbability needs p in [0, 1] and an error status").Check();
  }
  std::lock_guard<std::mutex> lock(mu_);
  probability_ = p;
  probability_op_ = op;
  probability_status_ = std::move(status);
  rng_.seed(seed);
}

void FaultInjectingObjectStore::CrashAfterBytes(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  crash_after_ = std::max<int64_t>(bytes, 0);
}

void FaultInjectingObjectStore::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  nth_faults_.clear();
  probability_ = 0;
  crash_after_.reset();
  crashed_ = false;
}

bool FaultInjectingObjectStore::crashed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return crashed_;
}

int64_t FaultInjectingObjectStore::calls(FaultOp op) const {
  std::lock_guard<std::mutex> lock(mu_);
  return op == FaultOp::kAny ? total_calls_ : calls_[static_cast<int>(op)];
}

int64_t FaultInjectingObjectStore::injected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return injected_;
}

void FaultInjectingObjectStore::ResetCounters() {
  std::lock_guard<std::mutex> lock(mu_);
  // Armed Nth-call faults count from the counters; keep them pointing at the same future call.
  for (NthFault& fault : nth_faults_) {
    fault.at_call -= fault.op == FaultOp::kAny ? total_calls_ : calls_[static_cast<int>(fault.op)];
  }
  calls_.fill(0);
  total_calls_ = 0;
  injected_ = 0;
}

std::optional<std::string> FaultInjectingObjectStore::last_torn_key() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_torn_key_;
}

FaultInjectingObjectStore::Decision FaultInjectingObjectStore::Decide(FaultOp op) {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_[static_cast<int>(op)];
  ++total_calls_;
  Decision decision;
  if (crashed_) {
    decision.status = CrashedStatus();
    return decision;
  }
  if (crash_after_.has_value() && IsPut(op)) {
    decision.crash_bytes = *crash_after_;
    crash_after_.reset();
    crashed_ = true;
    ++injected_;
    return decision;
  }
  for (auto it = nth_faults_.begin(); it != nth_faults_.end(); ++it) {
    if (it->op != FaultOp::kAny && it->op != op) continue;
    int64_t count = it->op == FaultOp::kAny ? total_calls_ : calls_[static_cast<int>(op)];
    if (count != it->at_call) continue;
    decision.status = it->status;
    decision.timing = it->timing;
    nth_faults_.erase(it);
    ++injected_;
    return decision;
  }
  if (probability_ > 0 && (probability_op_ == FaultOp::kAny || probability_op_ == op)) {
    // Draw for every eligible call, so the pattern depends only on the seed and call order.
    double draw = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    if (draw < probability_) {
      decision.status = probability_status_;
      ++injected_;
    }
  }
  return decision;
}

Status FaultInjectingObjectStore::Crash(std::string_view key, std::string_view data,
                                        int64_t bytes) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  std::string torn_key;
  {
    std::lock_guard<std::mutex> lock(mu_);
    torn_key = TemporaryKeyFor(key, "crash-" + std::to_string(++crash_count_));
  }
  std::string_view torn =
      data.substr(0, static_cast<size_t>(std::min<int64_t>(bytes, std::ssize(data))));
  // The torn bytes go where a real writer keeps work in progress: a temporary beside the target.
  // If even that fails the process is still "dead"; the torn object is simply missing.
  if (inner_->Put(torn_key, torn).ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    last_torn_key_ = torn_key;
  }
  return Status::IOError("crashed while writing \"" + std::string(key) + "\" after " +
                         std::to_string(torn.size()) + " bytes (injected)");
}

Result<std::string> FaultInjectingObjectStore::Get(std::string_view key) {
  return Apply(Decide(FaultOp::kGet), [&] { return inner_->Get(key); });
}

Result<std::string> FaultInjectingObjectStore::GetRange(std::string_view key, int64_t offset,
                                                        int64_t length) {
  return Apply(Decide(FaultOp::kGetRange), [&] { return inner_->GetRange(key, offset, length); });
}

Status FaultInjectingObjectStore::Put(std::string_view key, std::string_view data) {
  Decision decision = Decide(FaultOp::kPut);
  if (decision.crash_bytes) return Crash(key, data, *decision.crash_bytes);
  return Apply(decision, [&] { return inner_->Put(key, data); });
}

Status FaultInjectingObjectStore::PutIfAbsent(std::string_view key, std::string_view data) {
  Decision decision = Decide(FaultOp::kPutIfAbsent);
  if (decision.crash_bytes) return Crash(key, data, *decision.crash_bytes);
  return Apply(decision, [&] { return inner_->PutIfAbsent(key, data); });
}

Status FaultInjectingObjectStore::PutFile(std::string_view key, const std::string& local_path) {
  Decision decision = Decide(FaultOp::kPutFile);
  if (decision.crash_bytes) {
    // A crashed mover leaves its source file where it was and a torn copy beside the target.
    UniqueFd fd(::open(local_path.c_str(), O_RDONLY | O_CLOEXEC));
    std::string head;
    if (fd.valid()) {
      head = PreadRange(fd.get(), 0, *decision.crash_bytes, local_path).value_or("");
    }
    return Crash(key, head, *decision.crash_bytes);
  }
  return Apply(decision, [&] { return inner_->PutFile(key, local_path); });
}

Result<ListPage> FaultInjectingObjectStore::List(std::string_view prefix,
                                                 std::string_view page_token, int max_keys) {
  return Apply(Decide(FaultOp::kList), [&] { return inner_->List(prefix, page_token, max_keys); });
}

Status FaultInjectingObjectStore::Delete(std::string_view key) {
  return Apply(Decide(FaultOp::kDelete), [&] { return inner_->Delete(key); });
}

Result<ObjectInfo> FaultInjectingObjectStore::Head(std::string_view key) {
  return Apply(Decide(FaultOp::kHead), [&] { return inner_->Head(key); });
}

}  // namespace strata::storage
