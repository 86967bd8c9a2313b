// Test helpers for the catalog: temporary directories and a real PostgreSQL server
// (pg_test_server.h; every test gets a fresh database from FreshPostgresUrl).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "catalog/pg_test_server.h"
#include "catalog/store.h"
#include "storage/delta/conformance_test_util.h"

namespace strata::catalog::testing {

inline std::string MakeTempDir(const std::string& prefix) {
  const char* base = std::getenv("STRATA_TEST_TMP");
  std::string root = base && *base ? base : "/tmp";
  std::filesystem::create_directories(root);
  std::string pattern = root + "/" + prefix + "XXXXXX";
  char* made = mkdtemp(pattern.data());
  if (made == nullptr) std::abort();
  return pattern;
}

class TempDir {
 public:
  TempDir() : path_(MakeTempDir("catalog-")) {}
  ~TempDir() {
    delta::testing::ExpectConformingTables(path_);
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The URL of a fresh PostgreSQL database, starting the server on first use; "" + a test
// failure if PostgreSQL cannot start.
inline std::string FreshPostgresUrl() {
  PgTestServer& server = PgTestServer::Get();
  if (!server.ok()) {
    ADD_FAILURE() << "PostgreSQL test server: " << server.error();
    return "";
  }
  return server.CreateDatabase();
}

}  // namespace strata::catalog::testing
