// Test helpers for the sftp layer.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include "storage/delta/conformance_test_util.h"

namespace strata::sftp::testing {

// A fresh directory under $STRATA_TEST_TMP (else /tmp), removed on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("STRATA_TEST_TMP");
    std::string root = base != nullptr && *base != '\0' ? base : "/tmp";
    std::filesystem::create_directories(root);
    std::string pattern = root + "/sftp-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    delta::testing::ExpectConformingTables(path_);
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace strata::sftp::testing
