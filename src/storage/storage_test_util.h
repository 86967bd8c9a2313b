// Helpers for the storage tests only (included by *_test.cc, never by the library).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

namespace strata::storage::testing {

// Runs on a ScopedTempDir's directory just before it is removed. Test binaries of layers that
// write Delta tables set it (storage/delta/conformance_test_util.h checks every table there).
inline std::function<void(const std::string&)>& BeforeTempDirRemoval() {
  static std::function<void(const std::string&)> hook;
  return hook;
}

// A fresh directory under $STRATA_TEST_TMP (else /tmp), removed with its contents on destruction.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    const char* base = std::getenv("STRATA_TEST_TMP");
    std::string dir = (base != nullptr && *base != '\0') ? base : "/tmp";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::string pattern = dir + "/strata-storage-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp " << pattern << " failed";
    }
    path_ = pattern;
  }
  ~ScopedTempDir() {
    if (BeforeTempDirRemoval()) BeforeTempDirRemoval()(path_);
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline uint32_t Fnv1a(std::string_view data) {
  uint32_t h = 2166136261u;
  for (unsigned char c : data) h = (h ^ c) * 16777619u;
  return h;
}

// The 16-character header of SelfChecking: 8 hex digits of length (bodies < 4 GiB), 8 of checksum.
inline std::string SelfCheckingHeader(std::string_view body) {
  char header[48];  // room for any size_t, so the compiler can prove no truncation
  std::snprintf(header, sizeof(header), "%08zx%08x", body.size(), Fnv1a(body));
  return header;
}

// "<header><body>": a value that proves on its own whether it is whole.
inline std::string SelfChecking(std::string_view body) {
  return SelfCheckingHeader(body) + std::string(body);
}

inline bool IsWholeSelfChecking(std::string_view value) {
  return value.size() >= 16 && value.substr(0, 16) == SelfCheckingHeader(value.substr(16));
}

}  // namespace strata::storage::testing
