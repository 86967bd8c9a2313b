// The nesting limit of the expression parsers (JSONPath filters, intrinsic calls, JSONata): they
// recurse once per level of their input, so without a limit the input decides the stack depth
// (a few thousand '(' are a stack overflow).
//
//   NestingGuard guard(depth_);
//   if (guard.too_deep()) return Error("nested more than 64 levels");
#pragma once

namespace strata::orchestrator {

inline constexpr int kMaxNesting = 64;

// Counts one level for its lifetime. Not thread-safe (one parser, one thread).
class NestingGuard {
 public:
  explicit NestingGuard(int& depth) : depth_(depth) { ++depth_; }
  ~NestingGuard() { --depth_; }
  NestingGuard(const NestingGuard&) = delete;
  NestingGuard& operator=(const NestingGuard&) = delete;
  bool too_deep() const { return depth_ > kMaxNesting; }

 private:
  int& depth_;
};

}  // namespace strata::orchestrator
