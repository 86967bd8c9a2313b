#include "ingest/landing.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

namespace strata::ingest {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

// Matches a bracket expression starting at pattern[i] == '[' against `c`. Sets `end` to the
// index after the closing ']'. Returns nullopt if the bracket is not closed (then '[' is a
// literal, as in fnmatch).
std::optional<bool> MatchClass(std::string_view pattern, size_t i, char c, size_t* end) {
  size_t j = i + 1;
  bool negate = j < pattern.size() && (pattern[j] == '!' || pattern[j] == '^');
  if (negate) ++j;
  bool matched = false;
  bool first = true;
  while (j < pattern.size() && (first || pattern[j] != ']')) {
    first = false;
    char lo = pattern[j];
    if (lo == '\\' && j + 1 < pattern.size()) lo = pattern[++j];
    char hi = lo;
    if (j + 2 < pattern.size() && pattern[j + 1] == '-' && pattern[j + 2] != ']') {
      hi = pattern[j + 2];
      if (hi == '\\' && j + 3 < pattern.size()) {
        hi = pattern[j + 3];
        ++j;
      }
      j += 2;
    }
    if (static_cast<unsigned char>(c) >= static_cast<unsigned char>(lo) &&
        static_cast<unsigned char>(c) <= static_cast<unsigned char>(hi)) {
      matched = true;
    }
    ++j;
  }
  if (j >= pattern.size()) return std::nullopt;
  *end = j + 1;
  return matched != negate;
}

// One path component against one pattern component (no '/' in either). Classic greedy star
// matching with a single backtrack point: linear enough for file names.
bool MatchComponent(std::string_view pattern, std::string_view name) {
  size_t p = 0, n = 0;
  size_t star_p = std::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        star_p = ++p;
        star_n = n;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++n;
        continue;
      }
      if (pc == '[') {
        size_t end = 0;
        std::optional<bool> m = MatchClass(pattern, p, name[n], &end);
        if (m.has_value()) {
          if (*m) {
            p = end;
            ++n;
            continue;
          }
        } else if (name[n] == '[') {
          ++p;
          ++n;
          continue;
        }
      } else {
        if (pc == '\\' && p + 1 < pattern.size()) pc = pattern[p + 1];
        if (pc == name[n]) {
          p += pattern[p] == '\\' && p + 1 < pattern.size() ? 2 : 1;
          ++n;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    n = ++star_n;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool MatchParts(const std::vector<std::string_view>& pat, size_t pi,
                const std::vector<std::string_view>& path, size_t ni) {
  if (pi == pat.size()) return ni == path.size();
  if (pat[pi] == "**") {
    // Zero or more directories; the last component must still be matched by what follows.
    for (size_t skip = ni; skip <= path.size(); ++skip) {
      if (MatchParts(pat, pi + 1, path, skip)) return true;
    }
    return false;
  }
  if (ni == path.size()) return false;
  return MatchComponent(pat[pi], path[ni]) && MatchParts(pat, pi + 1, path, ni + 1);
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view path) {
  return MatchParts(SplitPath(pattern), 0, SplitPath(path), 0);
}

const std::vector<std::string>& ExtensionsFor(std::string_view format) {
  static const std::vector<std::string> kCsv = {".csv", ".tsv", ".txt"};
  static const std::vector<std::string> kJsonl = {".jsonl", ".ndjson", ".json"};
  static const std::vector<std::string> kParquet = {".parquet"};
  static const std::vector<std::string> kNone;
  if (format == "csv") return kCsv;
  if (format == "jsonl") return kJsonl;
  if (format == "parquet") return kParquet;
  return kNone;
}

bool IsSafeRelativePath(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string_view::npos) {
    return false;
  }
  for (std::string_view part : SplitPath(path)) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

std::optional<std::string> LandingRejection(const std::vector<std::string>& patterns,
                                            std::string_view format, std::string_view path) {
  if (!IsSafeRelativePath(path)) {
    return "'" + std::string(path) + "' is not a path inside the landing directory";
  }
  bool matched = std::any_of(patterns.begin(), patterns.end(),
                             [&](const std::string& p) { return GlobMatch(p, path); });
  if (!matched) {
    return "name does not match any of the source's patterns (" + Join(patterns) + ")";
  }
  std::string name(SplitPath(path).back());
  size_t dot = name.rfind('.');
  std::string ext = dot == std::string::npos || dot == 0 ? "" : Lower(name.substr(dot));
  const std::vector<std::string>& allowed = ExtensionsFor(format);
  if (std::find(allowed.begin(), allowed.end(), ext) == allowed.end()) {
    return (ext.empty() ? std::string("no extension") : "extension '" + ext + "'") +
           " does not fit format " + std::string(format) + " (expected " + Join(allowed) + ")";
  }
  return std::nullopt;
}

Result<std::vector<std::string>> ListLandingFiles(const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return Status::NotFound("landing directory " + root + " does not exist");
  }
  std::vector<std::string> files;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) return Status::IOError("cannot list " + root + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Status::IOError("cannot list " + root + ": " + ec.message());
    const fs::directory_entry& entry = *it;
    std::string name = entry.path().filename().string();
    if (!name.empty() && name.front() == '.') {
      if (entry.is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(ec)) continue;
    files.push_back(fs::relative(entry.path(), root, ec).generic_string());
    if (ec) return Status::IOError("cannot resolve " + entry.path().string() + ": " + ec.message());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace strata::ingest
