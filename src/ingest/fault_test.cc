// Crash and fault injection: the process "dies" at every store call of a load (that call and
// every later one fail, before or after the call takes effect), then a clean run follows. The
// two tables must end with every record exactly once, whatever point the crash hit.
#include <gtest/gtest.h>

#include <cstdio>

#include "ingest/file_source_test_util.h"

namespace strata::ingest {
namespace {

using testing::Count;

class FaultTest : public testing::LakeFixture {
 protected:
  FileSourceSpec Spec() {
    return testing::CsvSource("f", {{"a", "BIGINT"}, {"b", "DATE"}}, "*.csv");
  }

  // Checks both tables hold rows 1..6 of f.csv exactly once (4 loaded, 2 quarantined).
  void ExpectExactlyOnce(const std::string& trace) {
    SCOPED_TRACE(trace);
    std::string data = View("bronze.f");
    std::string quarantine = View("bronze.f__quarantine");
    EXPECT_EQ(
        testing::Rows(*db_.conn,
                      "SELECT (SELECT count(*) FROM " + data + "), (SELECT count(*) FROM " +
                          quarantine +
                          "), (SELECT count(DISTINCT _source_row) FILTER "
                          "(WHERE _source_row BETWEEN 1 AND 6) FROM (SELECT _source_row FROM " +
                          data + " UNION ALL SELECT _source_row FROM " + quarantine + "))"),
        (std::vector<std::string>{"4|2|6"}));
  }

  void WriteFile() {
    landing_.Write("f.csv",
                   "a,b\n1,2024-01-01\n2,oops\n3,2024-01-03\nx,2024-01-04\n5,2024-01-05\n"
                   "6,2024-01-06\n");
  }

  // Crash at store call `n` (counted from now) with `timing`; returns whether it fired.
  bool CrashAt(int n, storage::FaultTiming timing) {
    ResetLake();
    for (int i = n; i < n + 5000; ++i) {
      store_->FailNthCall(i, storage::FaultOp::kAny, Status::IOError("crashed"),
                          i == n ? timing : storage::FaultTiming::kBeforeCall);
    }
    auto crashed = IngestFileSource(*lake_, *db_.conn, Spec(), landing_.path());
    bool fired = store_->injected() > 0;
    if (fired && crashed.ok()) {
      // A crash the run survived can only be one that failed no commit: then it reported the
      // file as failed or loaded, never a partial load.
      for (const FileOutcome& f : crashed->files) EXPECT_NE(f.state, FileState::kAlreadyLoaded);
    }
    store_->Reset();
    return fired;
  }
};

TEST_F(FaultTest, CrashAtEveryStoreCallLosesAndDuplicatesNothing) {
  WriteFile();
  int points = 0;
  for (storage::FaultTiming timing :
       {storage::FaultTiming::kBeforeCall, storage::FaultTiming::kAfterCall}) {
    for (int n = 1;; ++n) {
      bool fired = CrashAt(n, timing);
      IngestReport recovered = Ingest(Spec());
      ASSERT_EQ(recovered.files.size(), 1u);
      EXPECT_NE(recovered.files[0].state, FileState::kFailed) << recovered.files[0].reason;
      ExpectExactlyOnce("crash at call " + std::to_string(n) +
                        (timing == storage::FaultTiming::kAfterCall ? " (after)" : " (before)"));
      // A third run never loads the file again (checked at every few points: it is slow).
      if (n % 4 == 1) {
        EXPECT_EQ(Ingest(Spec()).files[0].state, FileState::kAlreadyLoaded);
      }
      if (!fired) break;  // past the last store call of a load
      ++points;
    }
  }
  std::printf("crash points: %d\n", points);
  EXPECT_GT(points, 10);  // the load really makes several store calls to crash in
}

TEST_F(FaultTest, CrashBetweenQuarantineAndDataCommits) {
  WriteFile();
  // Find the first crash point that leaves the quarantine committed and the data table absent.
  int64_t quarantine_only = -1;
  for (int n = 1; n < 500 && quarantine_only < 0; ++n) {
    CrashAt(n, storage::FaultTiming::kBeforeCall);
    auto q = lake_->ResolveName({"bronze", "f__quarantine"});
    auto d = lake_->ResolveName({"bronze", "f"});
    if (q.ok() && TableCount("bronze.f__quarantine") == 2 && !d.ok()) quarantine_only = n;
  }
  ASSERT_GT(quarantine_only, 0) << "no crash point left the quarantine committed alone";
  // The state right after that crash: quarantine has the rows, the data table nothing. A new
  // run must not quarantine them twice.
  IngestReport recovered = Ingest(Spec());
  EXPECT_EQ(recovered.files[0].state, FileState::kLoaded);
  ExpectExactlyOnce("recovery after a crash between the commits");
}

}  // namespace
}  // namespace strata::ingest
