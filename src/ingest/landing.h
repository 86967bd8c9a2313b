// Landing-zone helpers for file sources: which files a source may load, and how they are found.
//
// Patterns are globs over landing-relative paths ('/'-separated):
//   *      any run of characters except '/'
//   ?      one character except '/'
//   [abc] [a-z] [!a-z] [^a-z]   one character of (or not of) the set; never '/'
//   **     as a whole path component: zero or more directories ("**/x.csv", "a/**/b/*.csv")
//   \c     the character c literally
// A pattern without '/' matches only files directly under the landing root, as a shell would.
// Matching is on bytes and case-sensitive (landing names are data, not identifiers).
//
// Extensions by format (case-insensitive): csv -> .csv .tsv .txt; jsonl -> .jsonl .ndjson
// .json; parquet -> .parquet. A file matching a pattern with another extension is rejected.
// Thread-safe: pure functions, plus directory listing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace strata::ingest {

// True if the whole landing-relative `path` matches `pattern`.
bool GlobMatch(std::string_view pattern, std::string_view path);

// The extensions (lower case, with the dot) accepted for `format`; empty for an unknown format.
const std::vector<std::string>& ExtensionsFor(std::string_view format);

// Why `path` may not be loaded by a source with these patterns and format, or nullopt if it
// may: "name does not match any of the source's patterns (clientes*.csv)", "extension '.xlsx'
// does not fit format csv (expected .csv, .tsv, .txt)", or an unsafe path ("..", absolute).
std::optional<std::string> LandingRejection(const std::vector<std::string>& patterns,
                                            std::string_view format, std::string_view path);

// True if `path` is a safe landing-relative path: not empty, not absolute, no empty, "." or
// ".." components.
bool IsSafeRelativePath(std::string_view path);

// Every regular file under `root` (recursively), as sorted landing-relative paths. Hidden
// entries (a component starting with '.', e.g. partial uploads ".x.csv.part" or ".strata/")
// are skipped. NotFound if `root` is not a directory; IOError naming the entry on other errors.
Result<std::vector<std::string>> ListLandingFiles(const std::string& root);

}  // namespace strata::ingest
