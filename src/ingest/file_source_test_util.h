// A lake fixture for the IngestFileSource tests (tests only).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "ingest/file_scan.h"
#include "ingest/file_source.h"
#include "ingest/ingest_test_util.h"
#include "lake/lake.h"
#include "lake/session.h"
#include "storage/fault_object_store.h"
#include "storage/memory_object_store.h"

namespace strata::ingest::testing {

// A landing directory, an in-memory lake behind a fault-injecting store, and a connection.
class LakeFixture : public ::testing::Test {
 protected:
  LakeFixture() { ResetLake(); }

  // A fresh, empty lake (the landing directory is kept).
  void ResetLake() {
    session_.reset();
    store_ = std::make_shared<storage::FaultInjectingObjectStore>(
        std::make_shared<storage::MemoryObjectStore>("ingest-test"));
    lake_.emplace(store_, "lake");
  }

  // Runs the ingestion and expects the run itself to succeed.
  IngestReport Ingest(const FileSourceSpec& spec, const IngestOptions& options = {}) {
    auto report = IngestFileSource(*lake_, *db_.conn, spec, landing_.path(), options);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : IngestReport{};
  }

  // The SQL name of a view over the latest version of `table` ("bronze.x").
  std::string View(const std::string& table) {
    // One session per lake: it re-plans a view whose table moved on, and keeps the others.
    if (!session_) session_ = std::make_unique<lake::LakeSession>(*lake_, *db_.conn);
    auto bound = session_->BindTable(table);
    EXPECT_TRUE(bound.ok()) << bound.status();
    return bound.ok() ? bound->view : "missing_table";
  }

  int64_t TableCount(const std::string& table) {
    return Count(*db_.conn, "SELECT count(*) FROM " + View(table));
  }

  static std::string Sha256Of(const std::string& content) { return Sha256Hex(content); }

  TempDir landing_;
  Db db_;
  std::shared_ptr<storage::FaultInjectingObjectStore> store_;
  std::optional<lake::Lake> lake_;
  std::unique_ptr<lake::LakeSession> session_;
};

}  // namespace strata::ingest::testing
