// Helpers for the pipeline unit tests: scratch project directories and an engine connection.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "storage/delta/conformance_test_util.h"

namespace strata::pipeline::testing {

// A fresh directory under $STRATA_TEST_TMP (or /tmp), removed with the object.
class ScratchProject {
 public:
  ScratchProject() {
    const char* env = std::getenv("STRATA_TEST_TMP");
    std::string base = env && *env ? env : "/tmp";
    std::filesystem::create_directories(base);
    std::string pattern = base + "/pipeline-test-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~ScratchProject() {
    delta::testing::ExpectConformingTables(path_);
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchProject(const ScratchProject&) = delete;
  ScratchProject& operator=(const ScratchProject&) = delete;

  const std::string& path() const { return path_; }

  // Writes `content` to `relative` (parents created).
  void Write(const std::string& relative, const std::string& content) const {
    std::filesystem::path file = std::filesystem::path(path_) / relative;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << content;
  }

 private:
  std::string path_;
};

struct Duck {
  std::unique_ptr<engine::Database> db;
  std::unique_ptr<engine::Connection> conn;
};

inline Duck OpenDuck() {
  Duck d;
  engine::DatabaseOptions options;
  options.threads = 2;
  auto db = engine::Database::Open(options);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  d.db = std::move(db).value();
  auto conn = d.db->Connect();
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  d.conn = std::move(conn).value();
  return d;
}

}  // namespace strata::pipeline::testing
