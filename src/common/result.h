// Result<T>: a value or the Status that explains why there is none.
//
//   Result<Table> t = catalog.Open("bronze.x");
//   if (!t.ok()) return t.status();
//   Use(*t);
//
// or with the macro: STRATA_ASSIGN_OR_RETURN(Table t, catalog.Open("bronze.x"));
// Accessing the value of an error Result aborts (it is a bug, not a runtime condition).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>

#include "common/status.h"

namespace strata {

template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit from a value and from an error Status, so `return value;` and `return status;` both
  // work. Constructing from an OK Status is a bug and becomes an internal error.
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status)                          // NOLINT(google-explicit-constructor)
      : status_(status.ok() ? Status::Internal("Result constructed from OK status")
                            : std::move(status)) {}
  template <typename U, typename = std::enable_if_t<std::is_convertible_v<U&&, T> &&
                                                    !std::is_same_v<std::decay_t<U>, Status> &&
                                                    !std::is_same_v<std::decay_t<U>, T>>>
  Result(U&& value) : value_(T(std::forward<U>(value))) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    CheckOk();
    return *value_;
  }
  const T& value() const& {
    CheckOk();
    return *value_;
  }
  T&& value() && {
    CheckOk();
    return std::move(*value_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The value, or `fallback` on error.
  T value_or(T fallback) const& { return ok() ? *value_ : std::move(fallback); }

 private:
  void CheckOk() const {
    if (!ok()) {
      std::fprintf(stderr, "fatal: value of failed Result: %s\n", status_.ToString().c_str());
      std::abort();
    }
  }

  std::optional<T> value_;
  Status status_;  // OK iff value_ is set.
};

}  // namespace strata

#define STRATA_CONCAT_INNER_(a, b) a##b
#define STRATA_CONCAT_(a, b) STRATA_CONCAT_INNER_(a, b)
#define STRATA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

// Evaluates `expr` (a Result<T>); on error returns its Status, else assigns the value to `lhs`,
// which may be a declaration: STRATA_ASSIGN_OR_RETURN(auto x, F());
#define STRATA_ASSIGN_OR_RETURN(lhs, expr) \
  STRATA_ASSIGN_OR_RETURN_IMPL_(STRATA_CONCAT_(strata_result_, __LINE__), lhs, expr)
