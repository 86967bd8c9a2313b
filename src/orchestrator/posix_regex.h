// A small RAII wrapper over POSIX extended regular expressions (<regex.h>). Used instead of
// std::regex, whose GCC 12 implementation trips -Werror=maybe-uninitialized under the
// sanitizer build and is slow. Immutable after construction; Matches/Search are thread-safe.
#pragma once

#include <regex.h>

#include <string>
#include <string_view>

namespace strata::orchestrator {

class PosixRegex {
 public:
  // Compiles `pattern` (POSIX ERE). `full_match` anchors it at both ends. `ecmascript_escapes`
  // first rewrites \d \w \s (and their upper-case negations) into bracket expressions, for
  // JSONPath `=~ /.../` filters.
  explicit PosixRegex(std::string_view pattern, bool full_match, bool icase = false,
                      bool ecmascript_escapes = false);
  ~PosixRegex();
  PosixRegex(const PosixRegex&) = delete;
  PosixRegex& operator=(const PosixRegex&) = delete;

  bool ok() const { return ok_; }
  // True when `text` matches (wholly, if constructed with full_match).
  bool Matches(const std::string& text) const;

 private:
  regex_t re_{};
  bool ok_ = false;
};

}  // namespace strata::orchestrator
