#include "orchestrator/posix_regex.h"

namespace strata::orchestrator {
namespace {

std::string TranslateEscapes(std::string_view p) {
  std::string out;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\' && i + 1 < p.size()) {
      char c = p[i + 1];
      const char* rep = nullptr;
      switch (c) {
        case 'd':
          rep = "[0-9]";
          break;
        case 'D':
          rep = "[^0-9]";
          break;
        case 'w':
          rep = "[A-Za-z0-9_]";
          break;
        case 'W':
          rep = "[^A-Za-z0-9_]";
          break;
        case 's':
          rep = "[[:space:]]";
          break;
        case 'S':
          rep = "[^[:space:]]";
          break;
        default:
          break;
      }
      if (rep != nullptr) {
        out += rep;
        ++i;
        continue;
      }
      out += p[i];
      out += p[++i];
      continue;
    }
    out += p[i];
  }
  return out;
}

}  // namespace

PosixRegex::PosixRegex(std::string_view pattern, bool full_match, bool icase,
                       bool ecmascript_escapes) {
  std::string p = ecmascript_escapes ? TranslateEscapes(pattern) : std::string(pattern);
  if (full_match) p = "^(" + p + ")$";
  int flags = REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0);
  ok_ = regcomp(&re_, p.c_str(), flags) == 0;
}

PosixRegex::~PosixRegex() {
  if (ok_) regfree(&re_);
}

bool PosixRegex::Matches(const std::string& text) const {
  if (!ok_) return false;
  // regexec does not modify the compiled pattern; POSIX allows concurrent calls.
  return regexec(&re_, text.c_str(), 0, nullptr, 0) == 0;
}

}  // namespace strata::orchestrator
