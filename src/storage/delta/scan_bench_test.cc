// Scale check for the scan SQL: a partitioned table of many small files, checking the counts of
// a full and a pruned scan and printing log replay, planning and scan times. 400 files by
// default so it runs in every test pass; DELTA_BENCH_FILES=5000 for the measured case (in an
// optimised build).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "storage/delta/delta_test_util.h"
#include "storage/delta/log_files.h"
#include "storage/delta/scan.h"
#include "storage/delta/snapshot.h"

namespace strata::delta {
namespace {

double Ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

TEST(ScanScale, ManySmallFilesCountAndPrune) {
  const int kFiles =
      std::getenv("DELTA_BENCH_FILES") ? std::atoi(std::getenv("DELTA_BENCH_FILES")) : 400;
  const char* tmp_env = std::getenv("STRATA_TEST_TMP");
  const std::string dir = std::string(tmp_env ? tmp_env : "/tmp") + "/delta-scan-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = storage::OpenObjectStore(dir);
  ASSERT_TRUE(store.ok());
  auto duck = testing::OpenDuck();
  const std::string one = dir + "/one.parquet";
  ASSERT_TRUE(duck.conn
                  ->Execute("COPY (SELECT range AS id, range % 7 AS k FROM range(100)) TO " +
                            engine::QuoteLiteral(one) + " (FORMAT parquet)")
                  .ok());
  std::ifstream in(one, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  std::string log =
      R"({"commitInfo":{"timestamp":1,"operation":"WRITE"}})"
      "\n"
      R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})"
      "\n"
      R"({"metaData":{"id":"b","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},{\"name\":\"k\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},{\"name\":\"p\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":["p"],"configuration":{}}})"
      "\n";
  for (int i = 0; i < kFiles; ++i) {
    const std::string rel = "p=" + std::to_string(i % 50) + "/f" + std::to_string(i) + ".parquet";
    ASSERT_TRUE((*store)->Put(rel, bytes.str()).ok());
    log +=
        R"({"add":{"path":")" + rel + R"(","partitionValues":{"p":")" + std::to_string(i % 50) +
        R"("},"size":1,"modificationTime":1,"dataChange":true,)" +
        R"("stats":"{\"numRecords\":100,\"minValues\":{\"id\":0},\"maxValues\":{\"id\":99},\"nullCount\":{\"id\":0}}"}})" +
        "\n";
  }
  ASSERT_TRUE((*store)->Put(CommitKey("", 0), log).ok());

  auto t0 = std::chrono::steady_clock::now();
  SnapshotOptions options;
  options.connection = duck.conn.get();
  auto snap = LoadSnapshot(**store, "", options);
  ASSERT_TRUE(snap.ok()) << snap.status();
  double load_ms = Ms(t0);
  t0 = std::chrono::steady_clock::now();
  auto plan = PlanScan(*snap, **store, *duck.conn);
  ASSERT_TRUE(plan.ok()) << plan.status();
  double plan_ms = Ms(t0);
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(testing::Count(*duck.conn, plan->sql()), int64_t{kFiles} * 100);
  double count_ms = Ms(t0);
  t0 = std::chrono::steady_clock::now();
  auto direct = duck.conn->QueryRows("SELECT count(*), sum(id) FROM read_parquet(" +
                                     engine::QuoteLiteral(dir + "/p=*/*.parquet") +
                                     ", hive_partitioning=false)");
  ASSERT_TRUE(direct.ok());
  double direct_ms = Ms(t0);
  t0 = std::chrono::steady_clock::now();
  auto sum = duck.conn->QueryRows("SELECT sum(id), sum(p) FROM (" + plan->sql() + ")");
  ASSERT_TRUE(sum.ok()) << sum.status();
  double sum_ms = Ms(t0);
  ScanOptions pruned;
  pruned.filters = {{"p", Predicate::Op::kEq, "3"}};
  t0 = std::chrono::steady_clock::now();
  auto plan3 = PlanScan(*snap, **store, *duck.conn, pruned);
  ASSERT_TRUE(plan3.ok());
  EXPECT_EQ(testing::Count(*duck.conn, plan3->sql()), int64_t{kFiles / 50} * 100);
  double pruned_ms = Ms(t0);
  std::printf(
      "files=%d load=%.0fms plan(probe)=%.0fms count=%.0fms sum(id,p)=%.0fms "
      "direct read_parquet sum=%.0fms pruned p=3 plan+count=%.0fms\n",
      kFiles, load_ms, plan_ms, count_ms, sum_ms, direct_ms, pruned_ms);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace strata::delta
