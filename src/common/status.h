// Status: the outcome of an operation that returns no value. Every fallible call that crosses a
// layer returns Status or Result<T> (result.h); exceptions never cross a layer boundary.
//
// A Status is cheap to copy when OK (no allocation) and carries a code plus a human-readable
// message otherwise. Messages name what was wrong and where ("table bronze.pedidos: column
// 'qty' is INTEGER, write has VARCHAR"), because they reach users unchanged.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace strata {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong (bad SQL, bad option, malformed file)
  kNotFound,            // a named object, table, key or file does not exist
  kAlreadyExists,       // create/put-if-absent found something there already
  kConflict,            // a concurrent writer won; re-read and retry, or give up
  kIOError,             // the OS or a remote store failed
  kCorruption,          // stored data is damaged or violates its format
  kUnsupported,         // valid input that needs a feature we do not implement
  kFailedPrecondition,  // the system is not in a state where the call can run
  kResourceExhausted,   // out of memory, disk, quota; or throttled
  kCancelled,           // the caller asked us to stop
  kTimeout,             // a deadline passed
  kInternal,            // a bug: an invariant of ours did not hold
  kUnauthenticated,     // no credentials, or credentials that do not check out
  kPermissionDenied,    // an authenticated user lacks the privilege for the action
};

// Returns the stable lower_snake name of a code ("not_found"), used in JSON output and logs.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) {
    return {StatusCode::kAlreadyExists, std::move(msg)};
  }
  static Status Conflict(std::string msg) { return {StatusCode::kConflict, std::move(msg)}; }
  static Status IOError(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
  static Status Unsupported(std::string msg) { return {StatusCode::kUnsupported, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {StatusCode::kFailedPrecondition, std::move(msg)};
  }
  static Status ResourceExhausted(std::string msg) {
    return {StatusCode::kResourceExhausted, std::move(msg)};
  }
  static Status Cancelled(std::string msg) { return {StatusCode::kCancelled, std::move(msg)}; }
  static Status Timeout(std::string msg) { return {StatusCode::kTimeout, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }
  static Status Unauthenticated(std::string msg) {
    return {StatusCode::kUnauthenticated, std::move(msg)};
  }
  static Status PermissionDenied(std::string msg) {
    return {StatusCode::kPermissionDenied, std::move(msg)};
  }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  // Empty for OK.
  const std::string& message() const;

  bool IsNotFound() const { return code() == StatusCode::kNotFound; }
  bool IsAlreadyExists() const { return code() == StatusCode::kAlreadyExists; }
  bool IsConflict() const { return code() == StatusCode::kConflict; }
  bool IsInvalidArgument() const { return code() == StatusCode::kInvalidArgument; }
  bool IsUnsupported() const { return code() == StatusCode::kUnsupported; }
  bool IsCorruption() const { return code() == StatusCode::kCorruption; }
  bool IsIOError() const { return code() == StatusCode::kIOError; }
  bool IsUnauthenticated() const { return code() == StatusCode::kUnauthenticated; }
  bool IsPermissionDenied() const { return code() == StatusCode::kPermissionDenied; }

  // Returns a copy whose message is "<context>: <message>"; OK stays OK. Used to add the where
  // (file, table, line) while an error travels up.
  Status WithContext(std::string_view context) const;

  // "not_found: table bronze.x does not exist", or "ok".
  std::string ToString() const;

  // Aborts the process with the message if not OK. For tests, tools and true invariants only.
  void Check() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  // Shared and immutable, so copies are cheap and an OK status costs one null pointer.
  std::shared_ptr<const State> state_;
};

std::ostream& operator<<(std::ostream& os, const Status& status);

}  // namespace strata

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define STRATA_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::strata::Status strata_status_ = (expr);        \
    if (!strata_status_.ok()) return strata_status_; \
  } while (false)
