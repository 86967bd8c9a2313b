// Crash safety of the Delta write path: I/O failures injected at every store call of many
// commits, torn writes, and writer processes killed with SIGKILL at random points. Afterwards
// every reader must see whole commits only, and every acknowledged commit must be there.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "storage/delta/delta_table.h"
#include "storage/delta/write_test_util.h"
#include "storage/fault_object_store.h"
#include "storage/memory_object_store.h"

namespace strata::delta {
namespace {

using storage::FaultInjectingObjectStore;
using storage::FaultOp;
using storage::FaultTiming;
using storage::testing::ScopedTempDir;

constexpr int kRowsPerBatch = 10;

std::string BatchSql(int batch) {
  return "SELECT " + std::to_string(batch) + " AS batch, n FROM range(" +
         std::to_string(kRowsPerBatch) + ") t(n)";
}

// batch -> rows of the table (at `version`, or latest). Fails the test on unreadable tables.
std::map<int64_t, int64_t> BatchCounts(storage::ObjectStore& store, engine::Connection& conn,
                                       std::optional<int64_t> version = std::nullopt) {
  std::map<int64_t, int64_t> out;
  ScanPlan plan;
  const std::string sql = testing::ScanSql(store, "t", conn, &plan, version);
  auto rows = conn.QueryRows("SELECT batch, count(*) FROM (" + sql + ") GROUP BY batch");
  if (!rows.ok()) {
    ADD_FAILURE() << rows.status();
    return out;
  }
  for (const auto& r : *rows) out[std::get<int64_t>(r[0])] = std::get<int64_t>(r[1]);
  return out;
}

std::map<int64_t, int64_t> Whole(const std::set<int>& batches) {
  std::map<int64_t, int64_t> out;
  for (int b : batches) out[b] = kRowsPerBatch;
  return out;
}

class DeltaFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duck_ = testing::OpenDuck();
    fault_ = std::make_shared<FaultInjectingObjectStore>(
        std::make_shared<storage::MemoryObjectStore>("delta-fault-" + std::to_string(::getpid())));
    CreateOptions create;
    create.as_select = "SELECT 0 AS batch, 0::BIGINT AS n WHERE false";
    create.properties = {{"delta.checkpointInterval", "4"}};
    ASSERT_TRUE(Table().Create(create).ok());
  }
  DeltaTable Table() { return DeltaTable(fault_, "t", *duck_.conn, {.temp_dir = temp_.path()}); }

  // After a faulted operation: the table reads, holds whole batches only, and those are the
  // model's batches plus possibly `maybe` (an operation whose outcome the caller could not see).
  void Verify(std::set<int>* model, int appended, int deleted, bool op_ok) {
    auto counts = BatchCounts(fault_->inner(), *duck_.conn);
    for (const auto& [batch, rows] : counts) {
      ASSERT_EQ(rows, kRowsPerBatch) << "batch " << batch << " is torn";
    }
    if (appended != 0) {
      bool landed = counts.count(appended) > 0;
      if (op_ok) {
        ASSERT_TRUE(landed) << "acknowledged append of batch " << appended << " lost";
      }
      if (landed) model->insert(appended);
    }
    if (deleted != 0) {
      bool gone = counts.count(deleted) == 0;
      if (op_ok) {
        ASSERT_TRUE(gone) << "acknowledged delete of batch " << deleted << " lost";
      }
      if (gone) model->erase(deleted);
    }
    ASSERT_EQ(counts, Whole(*model));
  }

  ScopedTempDir temp_;
  testing::Duck duck_;
  std::shared_ptr<FaultInjectingObjectStore> fault_;
};

// Every store call of an append, a delete and a merge fails once in turn (before the call, and
// after it: the write landed but the caller got an error).
TEST_F(DeltaFaultTest, FailureAtEveryStepNeverTearsOrLosesACommit) {
  std::set<int> model;
  int next_batch = 1;
  ASSERT_TRUE(Table().Append(BatchSql(next_batch)).ok());
  model.insert(next_batch++);
  int attempts = 0, failed_ops = 0;
  for (int kind = 0; kind < 3; ++kind) {
    for (FaultTiming timing : {FaultTiming::kBeforeCall, FaultTiming::kAfterCall}) {
      for (int step = 1;; ++step) {
        int appended = 0, deleted = 0;
        const int64_t version_before = **LatestVersion(fault_->inner(), "t");
        const size_t model_before = model.size();
        fault_->ResetCounters();
        fault_->FailNthCall(step, FaultOp::kAny, Status::IOError("injected"), timing);
        DeltaTable t = Table();
        Status s;
        if (kind == 0) {
          appended = next_batch++;
          s = t.Append(BatchSql(appended)).status();
        } else if (kind == 1) {
          // Add a batch cleanly, then fault its delete.
          fault_->Reset();
          ASSERT_TRUE(t.Append(BatchSql(next_batch)).ok());
          model.insert(next_batch);
          deleted = next_batch++;
          fault_->FailNthCall(step, FaultOp::kAny, Status::IOError("injected"), timing);
          s = t.Delete({.where = {{"batch", Predicate::Op::kEq, std::to_string(deleted)}}})
                  .status();
        } else {
          appended = next_batch++;  // a merge that inserts a new batch
          s = t.Merge(BatchSql(appended), {.keys = {"batch", "n"}}).status();
        }
        const bool fired = fault_->injected() > 0;
        fault_->Reset();
        ++attempts;
        failed_ops += s.ok() ? 0 : 1;
        Verify(&model, appended, deleted, s.ok());
        if (HasFatalFailure()) return;
        // Each operation is exactly one commit (the delete case adds one clean append first):
        // a retried put that had landed must be recognised, not committed twice.
        const int64_t landed =
            (kind == 1 ? model.size() == model_before : model.size() != model_before) ? 1 : 0;
        EXPECT_EQ(**LatestVersion(fault_->inner(), "t"),
                  version_before + (kind == 1 ? 1 : 0) + landed)
            << "kind " << kind << " step " << step << ": " << s;
        if (!fired) break;  // the operation made fewer calls than `step`: all steps covered
      }
    }
  }
  // Time travel over the whole history still works: every version reads.
  auto latest = LatestVersion(fault_->inner(), "t");
  ASSERT_TRUE(latest.ok());
  for (int64_t v = 0; v <= **latest; v += 3) BatchCounts(fault_->inner(), *duck_.conn, v);
  std::printf("[ info     ] %d faulted operations, %d failed, %lld versions\n", attempts,
              failed_ops, static_cast<long long>(**latest));
  EXPECT_GT(failed_ops, 20);
}

// The "process" dies mid-put (a torn temporary, then every call fails) at several offsets.
TEST_F(DeltaFaultTest, TornWritesLeaveNoPartialCommit) {
  std::set<int> model;
  int batch = 1;
  for (int64_t bytes : {0, 10, 200, 5000, 100000}) {
    fault_->CrashAfterBytes(bytes);
    Status s = Table().Append(BatchSql(batch)).status();
    EXPECT_FALSE(s.ok());
    fault_->Reset();
    Verify(&model, batch++, 0, false);
    ASSERT_TRUE(Table().Append(BatchSql(batch)).ok()) << "the table stays writable";
    model.insert(batch++);
  }
  EXPECT_EQ(BatchCounts(fault_->inner(), *duck_.conn), Whole(model));
}

// A writer process appends (and sometimes deletes) in a loop and is killed with SIGKILL at a
// random moment, several times. It acknowledges each commit in a file only after it returned.
TEST(DeltaCrashTest, KilledWriterLeavesOnlyWholeCommits) {
  constexpr int kRounds = 4;
  ScopedTempDir temp;
  const std::string dir = temp.path() + "/lake";
  const std::string acks = temp.path() + "/acks";
  {
    auto store = testing::OpenLocal(dir);
    auto duck = testing::OpenDuck();
    CreateOptions create;
    create.as_select = "SELECT 0 AS batch, 0::BIGINT AS n WHERE false";
    create.properties = {{"delta.checkpointInterval", "3"}};
    ASSERT_TRUE(DeltaTable(store, "t", *duck.conn).Create(create).ok());
  }  // no engine threads alive across fork()
  std::mt19937 rng(std::random_device{}());
  std::set<int> acked;
  for (int round = 0; round < kRounds; ++round) {
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(ready[0]);
      auto store = storage::LocalObjectStore::Open(dir);
      engine::DatabaseOptions options;
      options.threads = 1;
      auto db = engine::Database::Open(options);
      if (!store.ok() || !db.ok()) ::_exit(2);
      auto conn = (*db)->Connect();
      if (!conn.ok()) ::_exit(2);
      DeltaTable t(std::shared_ptr<storage::ObjectStore>(std::move(store).value()), "t", **conn);
      int fd = ::open(acks.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
      for (int i = 0;; ++i) {
        const int batch = (round + 1) * 1000 + i;
        // "B<op> x" before the operation, "<op> x" once it returned OK.
        const bool is_delete = i % 4 == 3;
        const int target = is_delete ? batch - 2 : batch;
        const std::string op = is_delete ? "D " : "A ";
        const std::string begin = "B" + op + std::to_string(target) + "\n";
        (void)!::write(fd, begin.data(), begin.size());
        Status s =
            is_delete ? t.Delete({.where = {{"batch", Predicate::Op::kEq, std::to_string(target)}}})
                            .status()
                      : t.Append(BatchSql(target)).status();
        if (!s.ok()) ::_exit(1);
        const std::string done = op + std::to_string(target) + "\n";
        (void)!::write(fd, done.data(), done.size());
        if (i == 0) (void)!::write(ready[1], "r", 1);
      }
    }
    ASSERT_GT(pid, 0);
    ::close(ready[1]);
    char c;
    ASSERT_EQ(::read(ready[0], &c, 1), 1) << "writer never committed";
    ::close(ready[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 800));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited early with status " << status;

    std::ifstream in(acks);
    std::string op;
    int batch;
    std::string in_flight;  // "A" or "D" if an operation began but did not return
    int in_flight_batch = 0;
    while (in >> op >> batch) {
      if (op[0] == 'B') {
        in_flight = op.substr(1);
        in_flight_batch = batch;
        continue;
      }
      in_flight.clear();
      if (op == "A") acked.insert(batch);
      if (op == "D") acked.erase(batch);
    }
    std::ofstream(acks, std::ios::trunc).close();
    auto store = testing::OpenLocal(dir);
    auto duck = testing::OpenDuck();
    auto counts = BatchCounts(*store, *duck.conn);
    std::set<int> seen;
    for (const auto& [b, rows] : counts) {
      EXPECT_EQ(rows, kRowsPerBatch) << "batch " << b << " is torn";
      seen.insert(static_cast<int>(b));
    }
    // Everything acknowledged is there exactly; the operation in flight when the writer died
    // either landed whole or not at all.
    std::set<int> if_landed = acked;
    if (in_flight == "A") if_landed.insert(in_flight_batch);
    if (in_flight == "D") if_landed.erase(in_flight_batch);
    EXPECT_TRUE(seen == acked || seen == if_landed)
        << "round " << round
        << ": table does not match the acknowledged commits (in flight: " << in_flight << " "
        << in_flight_batch << ")";
    acked = seen;  // the next round starts from what is really there
    auto snap = LoadSnapshot(*store, "t");
    ASSERT_TRUE(snap.ok()) << snap.status();
    std::printf("[ info     ] round %d: version %lld, checkpoint %lld, %zu batches\n", round,
                static_cast<long long>(snap->version),
                static_cast<long long>(snap->checkpoint_version.value_or(-1)), seen.size());
  }
}

}  // namespace
}  // namespace strata::delta
