// Optimistic concurrency: the conflict rules, deterministic races between two writers, and
// many concurrent writers (threads and processes) appending to one table.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "storage/delta/commit.h"
#include "storage/delta/delta_table.h"
#include "storage/delta/write_test_util.h"

namespace strata::delta {
namespace {

using storage::testing::ScopedTempDir;
using testing::ActionsOf;
using testing::CommitActions;
using testing::Count;
using testing::ExpectSameRows;
using testing::InfoOf;
using testing::RowCount;

// Forwards to a store; the first commit-file PutIfAbsent after Arm() runs `hook` first, so a
// "concurrent" writer commits in between a transaction's read and its commit.
class RacingStore final : public storage::ObjectStore {
 public:
  explicit RacingStore(std::shared_ptr<storage::ObjectStore> inner) : inner_(std::move(inner)) {}
  void Arm(std::function<void()> hook) { hook_ = std::move(hook); }

  Result<std::string> Get(std::string_view key) override { return inner_->Get(key); }
  Result<std::string> GetRange(std::string_view key, int64_t offset, int64_t length) override {
    return inner_->GetRange(key, offset, length);
  }
  Status Put(std::string_view key, std::string_view data) override {
    return inner_->Put(key, data);
  }
  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    if (hook_ && key.find("_delta_log/") != std::string_view::npos &&
        key.substr(key.size() - 5) == ".json") {
      auto hook = std::move(hook_);
      hook_ = nullptr;
      hook();
    }
    return inner_->PutIfAbsent(key, data);
  }
  Status PutFile(std::string_view key, const std::string& path) override {
    return inner_->PutFile(key, path);
  }
  Result<storage::ListPage> List(std::string_view prefix, std::string_view token,
                                 int max_keys) override {
    return inner_->List(prefix, token, max_keys);
  }
  Status Delete(std::string_view key) override { return inner_->Delete(key); }
  Result<storage::ObjectInfo> Head(std::string_view key) override { return inner_->Head(key); }
  std::optional<std::string> LocalPath(std::string_view key) const override {
    return inner_->LocalPath(key);
  }
  std::string Uri() const override { return inner_->Uri(); }

 private:
  std::shared_ptr<storage::ObjectStore> inner_;
  std::function<void()> hook_;
};

class DeltaConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duck_ = testing::OpenDuck();
    other_conn_ = duck_.db->Connect().value();
    inner_ = testing::OpenLocal(temp_.path() + "/lake");
    racing_ = std::make_shared<RacingStore>(inner_);
    DeltaTable t(inner_, "t", *duck_.conn);
    ASSERT_TRUE(t.Create({.as_select = "SELECT i AS id, i % 2 AS p FROM range(20) t(i)",
                          .partition_columns = {"p"}})
                    .ok());
  }
  // The table as the racing writer sees it, and as the concurrent one does.
  DeltaTable Mine() { return DeltaTable(racing_, "t", *duck_.conn); }
  DeltaTable Theirs() { return DeltaTable(inner_, "t", *other_conn_); }
  void ArmAppend(const std::string& sql) {
    racing_->Arm([this, sql] { ASSERT_TRUE(Theirs().Append(sql).ok()); });
  }
  std::string Rows() {
    plans_.emplace_back();
    return testing::ScanSql(*inner_, "t", *duck_.conn, &plans_.back());
  }

  ScopedTempDir temp_;
  testing::Duck duck_;
  std::unique_ptr<engine::Connection> other_conn_;
  std::shared_ptr<storage::ObjectStore> inner_;
  std::shared_ptr<RacingStore> racing_;
  std::vector<ScanPlan> plans_;
};

TEST_F(DeltaConcurrencyTest, ConflictRules) {
  auto snap = Mine().Load();
  ASSERT_TRUE(snap.ok());
  AddFile in_p1;
  in_p1.path = "p=1/new.parquet";
  in_p1.partition_values = {{"p", "1"}};
  AddFile in_p0 = in_p1;
  in_p0.path = "p=0/new.parquet";
  in_p0.partition_values = {{"p", "0"}};
  CommitRequest del;
  del.read_snapshot = &*snap;
  del.read.predicate = {{"p", Predicate::Op::kEq, "1"}};
  del.read.files = {snap->files[0].path};
  EXPECT_TRUE(CheckConflict(del, 1, {in_p1}).IsConflict());
  EXPECT_TRUE(CheckConflict(del, 1, {in_p0}).ok());
  AddFile no_change = in_p1;
  no_change.data_change = false;
  EXPECT_TRUE(CheckConflict(del, 1, {no_change}).ok()) << "compaction adds are not new data";
  RemoveFile gone;
  gone.path = snap->files[0].path;
  Status s = CheckConflict(del, 7, {gone});
  EXPECT_TRUE(s.IsConflict());
  EXPECT_NE(s.message().find("commit 7 removed file"), std::string::npos) << s;
  EXPECT_TRUE(CheckConflict(del, 1, {snap->metadata}).IsConflict());
  EXPECT_TRUE(CheckConflict(del, 1, {snap->protocol}).IsConflict());
  CommitRequest append;
  append.read_snapshot = &*snap;
  append.read.blind_append = true;
  EXPECT_TRUE(CheckConflict(append, 1, {in_p1, in_p0}).ok());
  append.actions.emplace_back(SetTransaction{"app", 3, {}});
  EXPECT_TRUE(CheckConflict(append, 1, {SetTransaction{"other", 1, {}}}).ok());
  EXPECT_TRUE(CheckConflict(append, 1, {SetTransaction{"app", 4, {}}}).IsConflict());
  CommitRequest overwrite;
  overwrite.read_snapshot = &*snap;
  overwrite.read.whole_table = true;
  EXPECT_TRUE(CheckConflict(overwrite, 1, {in_p0}).IsConflict());
}

TEST_F(DeltaConcurrencyTest, AppendsRacingAppendsBothLand) {
  ArmAppend("SELECT 100 AS id, 1 AS p");
  auto mine = Mine().Append("SELECT 200 AS id, 1 AS p");
  ASSERT_TRUE(mine.ok()) << mine.status();
  EXPECT_EQ(mine->version, 2);
  EXPECT_EQ(mine->attempts, 2);
  EXPECT_EQ(RowCount(*inner_, "t", *duck_.conn), 22);
  EXPECT_EQ(InfoOf(CommitActions(*inner_, "t", 2)).json["readVersion"], 0);
}

TEST_F(DeltaConcurrencyTest, DeleteRacingAppendToSamePartitionConflicts) {
  ArmAppend("SELECT 101 AS id, 1 AS p");
  auto del = Mine().Delete({.where = {{"p", Predicate::Op::kEq, "1"}}});
  ASSERT_TRUE(del.status().IsConflict()) << del.status();
  EXPECT_NE(del.status().message().find("concurrent commit 1 added file"), std::string::npos)
      << del.status();
  // Nothing lost: the append landed, the delete did not, no stray data file is left.
  ExpectSameRows(*duck_.conn, Rows(),
                 "SELECT i AS id, i % 2 AS p FROM range(20) t(i) UNION ALL SELECT 101, 1",
                 "after conflict");
  auto latest = LatestVersion(*inner_, "t");
  EXPECT_EQ(**latest, 1);
}

TEST_F(DeltaConcurrencyTest, DeleteRacingAppendRetriesCorrectly) {
  ArmAppend("SELECT 101 AS id, 1 AS p");
  auto del = Mine().Delete({.where = {{"p", Predicate::Op::kEq, "1"}}, .conflict_retries = 2});
  ASSERT_TRUE(del.ok()) << del.status();
  EXPECT_EQ(del->version, 2);
  // Serial order: the append, then the delete of partition 1 (which now includes row 101).
  ExpectSameRows(*duck_.conn, Rows(), "SELECT i AS id, 0::BIGINT AS p FROM range(0, 20, 2) t(i)",
                 "after retry");
}

TEST_F(DeltaConcurrencyTest, DeleteRacingAppendToOtherPartitionCommits) {
  ArmAppend("SELECT 100 AS id, 0 AS p");
  auto del = Mine().Delete({.where = {{"p", Predicate::Op::kEq, "1"}}});
  ASSERT_TRUE(del.ok()) << del.status();
  EXPECT_EQ(del->version, 2);
  ExpectSameRows(*duck_.conn, Rows(),
                 "SELECT i AS id, 0::BIGINT AS p FROM range(0, 20, 2) t(i) UNION ALL SELECT 100, 0",
                 "disjoint");
}

TEST_F(DeltaConcurrencyTest, MergeRacingDeleteOfItsFileConflicts) {
  racing_->Arm([this] { ASSERT_TRUE(Theirs().Delete({.where_sql = "id = 3"}).ok()); });
  auto merge = Mine().Merge("SELECT 3 AS id, 1 AS p", {.keys = {"id"}});
  ASSERT_TRUE(merge.status().IsConflict()) << merge.status();
  EXPECT_NE(merge.status().message().find("removed file"), std::string::npos);
}

TEST_F(DeltaConcurrencyTest, SchemaChangeRacingAppendConflicts) {
  racing_->Arm([this] {
    ASSERT_TRUE(
        Theirs().Append("SELECT 5 AS id, 0 AS p, 'x' AS extra", {.evolve_schema = true}).ok());
  });
  auto append = Mine().Append("SELECT 6 AS id, 0 AS p");
  ASSERT_TRUE(append.status().IsConflict()) << append.status();
  EXPECT_NE(append.status().message().find("metadata"), std::string::npos);
}

TEST_F(DeltaConcurrencyTest, SameApplicationTransactionIsAppliedOnce) {
  racing_->Arm([this] {
    ASSERT_TRUE(
        Theirs().Append("SELECT 7 AS id, 1 AS p", {.txn = SetTransaction{"job", 1, {}}}).ok());
  });
  auto dup = Mine().Append("SELECT 7 AS id, 1 AS p", {.txn = SetTransaction{"job", 1, {}}});
  ASSERT_TRUE(dup.ok()) << dup.status();
  EXPECT_TRUE(dup->already_applied);
  EXPECT_EQ(RowCount(*inner_, "t", *duck_.conn), 21);
}

// 4 writer threads x 50 blind appends: every commit lands, versions are contiguous, no row is
// lost or doubled, and the checkpoints written along the way read back.
TEST(DeltaManyWritersTest, FourThreadsFiftyAppendsEach) {
  constexpr int kThreads = 4, kAppends = 50;
  ScopedTempDir temp;
  auto store = testing::OpenLocal(temp.path() + "/lake");
  auto duck = testing::OpenDuck();
  ASSERT_TRUE(DeltaTable(store, "t", *duck.conn)
                  .Create({.as_select = "SELECT 0 AS writer, 0 AS n WHERE false"})
                  .ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      auto conn = duck.db->Connect();
      if (!conn.ok()) {
        ++failures;
        return;
      }
      DeltaTable t(store, "t", **conn);
      for (int i = 0; i < kAppends; ++i) {
        auto r =
            t.Append("SELECT " + std::to_string(w) + " AS writer, " + std::to_string(i) + " AS n");
        if (!r.ok()) {
          ++failures;
          ADD_FAILURE() << r.status();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto latest = LatestVersion(*store, "t");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ(**latest, kThreads * kAppends);
  for (int v = 1; v <= kThreads * kAppends; ++v) {
    EXPECT_EQ(ActionsOf<AddFile>(CommitActions(*store, "t", v)).size(), 1u) << "version " << v;
  }
  ScanPlan plan;
  ExpectSameRows(*duck.conn, testing::ScanSql(*store, "t", *duck.conn, &plan),
                 "SELECT w AS writer, n FROM range(4) a(w), range(50) b(n)", "all appends");
  SnapshotOptions so;
  so.connection = duck.conn.get();
  auto snap = LoadSnapshot(*store, "t", so);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->checkpoint_version, 200);
}

// The same across processes: 4 forked writers share nothing but the directory.
TEST(DeltaManyWritersTest, FourProcessesAppend) {
  constexpr int kProcesses = 4, kAppends = 8;
  ScopedTempDir temp;
  const std::string dir = temp.path() + "/lake";
  {
    auto store = testing::OpenLocal(dir);
    auto duck = testing::OpenDuck();
    ASSERT_TRUE(DeltaTable(store, "t", *duck.conn)
                    .Create({.as_select = "SELECT 0 AS writer, 0 AS n WHERE false"})
                    .ok());
  }  // no engine threads alive across fork()
  std::vector<pid_t> pids;
  for (int w = 0; w < kProcesses; ++w) {
    pid_t pid = ::fork();
    if (pid == 0) {
      auto store = storage::LocalObjectStore::Open(dir);
      engine::DatabaseOptions options;
      options.threads = 1;
      auto db = engine::Database::Open(options);
      if (!store.ok() || !db.ok()) ::_exit(2);
      auto conn = (*db)->Connect();
      if (!conn.ok()) ::_exit(2);
      DeltaTable t(std::shared_ptr<storage::ObjectStore>(std::move(store).value()), "t", **conn);
      for (int i = 0; i < kAppends; ++i) {
        auto r =
            t.Append("SELECT " + std::to_string(w) + " AS writer, " + std::to_string(i) + " AS n");
        if (!r.ok()) {
          std::fprintf(stderr, "writer %d: %s\n", w, r.status().ToString().c_str());
          ::_exit(1);
        }
      }
      ::_exit(0);
    }
    ASSERT_GT(pid, 0);
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  auto store = testing::OpenLocal(dir);
  auto duck = testing::OpenDuck();
  EXPECT_EQ(**LatestVersion(*store, "t"), kProcesses * kAppends);
  ScanPlan plan;
  ExpectSameRows(*duck.conn, testing::ScanSql(*store, "t", *duck.conn, &plan),
                 "SELECT w AS writer, n FROM range(4) a(w), range(8) b(n)", "all processes");
}

}  // namespace
}  // namespace strata::delta
