// Numbers from text without exceptions, locales or partial matches (std::sto* throw on overflow
// and on garbage, which user files must never be able to turn into a crash).
//
// The whole of `text` must be the number: no surrounding spaces, no trailing characters. A
// leading '+' is accepted (YAML and cron write it), a leading '-' only for signed types. A value
// out of the type's range is nullopt, like any other non-number. Pure functions; thread-safe.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace strata {

template <typename T>
std::optional<T> ParseInteger(std::string_view text, int base = 10) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  if (text.size() > 1 && text.front() == '+' && text[1] != '-') text.remove_prefix(1);
  T value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

// Decimal or exponent notation ("1.5", "-2e10", ".5"); "inf"/"nan" as from_chars reads them.
// Out of double's range is nullopt.
std::optional<double> ParseDouble(std::string_view text);

}  // namespace strata
