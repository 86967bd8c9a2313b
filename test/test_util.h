// Helpers for integration tests that drive the strata binary as a user would.
#pragma once

#include <string>
#include <vector>

namespace strata::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the strata binary with `args` (no shell involved), optionally feeding `stdin_text`.
CommandResult RunStrata(const std::vector<std::string>& args, const std::string& stdin_text = "");

// A fresh directory under $STRATA_TEST_TMP (or /tmp), removed when the object dies. Before that,
// every Delta table under it must pass `strata table check` (the Delta write-conformance check),
// or the test fails; a test that leaves a broken table on purpose puts a file named
// STRATA_NONCONFORMING_OK in the directory, saying why.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace strata::test
