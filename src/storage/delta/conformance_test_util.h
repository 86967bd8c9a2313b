// For tests of every layer that writes Delta tables: before a test's temporary directory goes
// away, every table under it must pass the write-conformance check (conformance.h), so a writer
// path that drifts from the protocol fails the test that exercised it.
// Included by *_test.cc and test utilities only.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "engine/engine.h"
#include "storage/delta/conformance.h"
#include "storage/local_object_store.h"
#include "storage/storage_test_util.h"

namespace strata::delta::testing {

// Adds a test failure listing the problems of every table under `dir` (none found is fine).
// Tests that leave a broken table on purpose (a corrupt log, an injected fault) skip it by
// putting a file named STRATA_NONCONFORMING_OK in `dir` saying why.
inline void ExpectConformingTables(const std::string& dir) {
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) return;
  if (std::filesystem::exists(std::filesystem::path(dir) / "STRATA_NONCONFORMING_OK", ec)) return;
  bool any_log = false;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().filename() == "_delta_log") {
      any_log = true;
      break;
    }
  }
  if (!any_log) return;  // most temporary directories hold no table: no engine needed
  auto store = storage::LocalObjectStore::Open(dir);
  engine::DatabaseOptions options;
  options.threads = 1;
  auto db = engine::Database::Open(options);
  if (!store.ok() || !db.ok()) {
    ADD_FAILURE() << "conformance check of " << dir << ": cannot open the directory or DuckDB";
    return;
  }
  auto conn = (*db)->Connect();
  if (!conn.ok()) {
    ADD_FAILURE() << "conformance check of " << dir << ": " << conn.status();
    return;
  }
  auto report = CheckTablesConformance(**store, "", **conn);
  if (!report.ok()) {
    ADD_FAILURE() << "conformance check of " << dir << ": " << report.status();
  } else if (!report->ok()) {
    ADD_FAILURE() << "Delta tables under " << dir << " break the protocol: " << report->Summary(30);
  }
}

// Marks `dir` as holding tables broken on purpose (see ExpectConformingTables).
inline void AllowNonconformingTables(const std::string& dir, const std::string& why) {
  std::FILE* f = std::fopen((dir + "/STRATA_NONCONFORMING_OK").c_str(), "w");
  if (f != nullptr) {
    std::fputs(why.c_str(), f);
    std::fclose(f);
  }
}

// Every test binary that includes this header checks the tables of each ScopedTempDir.
inline const bool kConformanceHookInstalled =
    (storage::testing::BeforeTempDirRemoval() = ExpectConformingTables, true);

}  // namespace strata::delta::testing
