// A binlog purged while no follower ran: on_lost_position fail (the default) names the lost
// position, the tables and the option; resnapshot snapshots the tables again so that bronze,
// applied by key and _position, equals the source table, also after a stop in the middle.
#include <gtest/gtest.h>

#include <atomic>

#include "ingest/mysql/mysql_test_util.h"
#include "ingest/mysql/source.h"

namespace strata::ingest::mysql {
namespace {

using testing::MariaDbTestServer;
using testing::MysqlSourceTest;

class LostPositionTest : public MysqlSourceTest {
 protected:
  // The mirror of bronze.erp_<table> and the source table, as "id|v" lines.
  void ExpectMirrorEqualsSource(const std::string& table, const std::string& value) {
    plans_.clear();
    EXPECT_EQ(LakeRows("SELECT CAST(id AS VARCHAR), CAST(" + value + " AS VARCHAR) FROM (" +
                       Mirror(Scan("erp_" + table)) + ") ORDER BY id"),
              SourceRows("SELECT id, " + value + " FROM " + table + " ORDER BY id"))
        << table;
  }
  // Bronze's changes of `table` in order: "r1 u1 d5 ...".
  std::string Ops(const std::string& table) {
    auto ops = conn_->QueryRows("SELECT string_agg(_op || id, ' ' ORDER BY _position, id) FROM " +
                                Scan("erp_" + table));
    EXPECT_TRUE(ops.ok()) << ops.status();
    return ops.ok() ? std::get<std::string>((*ops)[0][0]) : "";
  }
  // No change is in bronze twice.
  void ExpectNoRepeats(const std::string& table) {
    std::string scan = Scan("erp_" + table);
    EXPECT_EQ(Count("SELECT DISTINCT id, _position FROM " + scan), Count(scan)) << table;
  }
};

TEST_F(LostPositionTest, FailNamesThePositionTheTablesAndTheOption) {
  Sql("CREATE TABLE t (id INT PRIMARY KEY)");
  MysqlSourceSpec spec = Spec({"t"});
  ASSERT_TRUE(MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {}).ok());
  auto client = Client::Connect(MariaDbTestServer::Get().Spec(database_));
  ASSERT_TRUE(client.ok());
  auto held = CurrentPosition(**client);  // the file of the position bronze holds
  ASSERT_TRUE(held.ok());
  Sql("INSERT INTO t VALUES (1)");
  Sql("FLUSH BINARY LOGS");
  Sql("INSERT INTO t VALUES (2)");
  PurgeBinlogs();
  auto lost = MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {});
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), StatusCode::kFailedPrecondition) << lost.status();
  const std::string& message = lost.status().message();
  EXPECT_NE(message.find("binlog position " + held->file + ":"), std::string::npos) << message;
  EXPECT_NE(message.find("no longer on the server"), std::string::npos) << message;
  EXPECT_NE(message.find("tables t cannot catch up"), std::string::npos) << message;
  EXPECT_NE(message.find("on_lost_position: resnapshot"), std::string::npos) << message;
  EXPECT_EQ(Count(Scan("erp_t")), 0) << "nothing was skipped silently";
}

TEST_F(LostPositionTest, ResnapshotMakesBronzeAChangeLogEqualToTheSource) {
  Sql("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))");
  Sql("CREATE TABLE u (id INT PRIMARY KEY, n INT)");
  Sql("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')");
  Sql("INSERT INTO u VALUES (1, 10), (2, 20)");
  MysqlSourceSpec spec = Spec({"t", "u"});
  spec.snapshot_chunk_rows = 2;
  spec.resnapshot_on_lost_position = true;
  ASSERT_TRUE(MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {}).ok());
  Sql("UPDATE t SET v = 'aa' WHERE id = 1");
  Sql("DELETE FROM t WHERE id = 5");
  auto streamed = MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {});
  ASSERT_TRUE(streamed.ok()) << streamed.status();
  EXPECT_EQ(streamed->change_rows, 2);
  // While no follower runs: deletes, updates, inserts, a key change, a deleted key back.
  Sql("DELETE FROM t WHERE id = 2");
  Sql("UPDATE t SET v = 'cc' WHERE id = 3");
  Sql("UPDATE t SET id = 40 WHERE id = 4");
  Sql("INSERT INTO t VALUES (6, 'f'), (5, 'e2')");
  Sql("DELETE FROM u WHERE id = 1");
  PurgeBinlogs();

  auto again = MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->resnapshotted, (std::vector<std::string>{"t", "u"}));
  EXPECT_EQ(again->snapshot_rows, 6);
  EXPECT_EQ(again->change_rows, 0);
  ExpectMirrorEqualsSource("t", "v");
  ExpectMirrorEqualsSource("u", "n");
  // The new snapshot follows everything bronze held; the deletes of the keys gone at the source
  // share its first position.
  EXPECT_EQ(Ops("t"), "r1 r2 r3 r4 r5 u1 d5 r1 d2 r3 d4 r5 r6 r40");
  EXPECT_EQ(Ops("u"), "r1 r2 d1 r2");

  // Changes after the new snapshot follow it, once.
  Sql("DELETE FROM t WHERE id = 1");
  Sql("INSERT INTO t VALUES (7, 'g')");
  Sql("UPDATE u SET n = 21 WHERE id = 2");
  auto after = MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(after->resnapshotted.empty());
  EXPECT_EQ(after->snapshot_rows, 0);
  EXPECT_EQ(after->change_rows, 3);
  auto idle = MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {});
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_EQ(idle->change_rows, 0);
  ExpectMirrorEqualsSource("t", "v");
  ExpectMirrorEqualsSource("u", "n");
  ExpectNoRepeats("t");
  ExpectNoRepeats("u");
}

TEST_F(LostPositionTest, AStoppedResnapshotResumesAfterItsLastChunk) {
  Sql("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))");
  Sql("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')");
  MysqlSourceSpec spec = Spec({"t"});
  spec.snapshot_chunk_rows = 2;
  spec.resnapshot_on_lost_position = true;
  ASSERT_TRUE(MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {}).ok());
  Sql("DELETE FROM t WHERE id = 2");
  Sql("UPDATE t SET v = 'dd' WHERE id = 4");
  Sql("INSERT INTO t VALUES (6, 'f')");
  PurgeBinlogs();

  // Stopped (as by a kill) after the first chunk of the new snapshot.
  std::atomic<bool> stop{false};
  MysqlSource source(*lake_, *conn_, spec, StateDir());
  auto stopped = source.Sync(&stop, [&](const SyncProgress& p) {
    if (p.phase == "snapshot") stop.store(true);
  });
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().code(), StatusCode::kCancelled) << stopped.status();
  EXPECT_EQ(Ops("t"), "r1 r2 r3 r4 r5 r1 r3");
  auto status = source.TableStatuses();
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->size(), 1u);
  EXPECT_EQ((*status)[0].state, "snapshotting again 1/1");

  // Meanwhile a row of the part already read changes: the binlog brings it after the snapshot.
  Sql("UPDATE t SET v = 'aa' WHERE id = 1");
  auto resumed = MysqlSource(*lake_, *conn_, spec, StateDir()).Sync(nullptr, {});
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->resnapshotted, std::vector<std::string>{"t"});
  EXPECT_EQ(resumed->snapshot_rows, 3) << "rows 4, 5, 6: after the last committed chunk";
  EXPECT_EQ(resumed->change_rows, 1);
  ExpectMirrorEqualsSource("t", "v");
  ExpectNoRepeats("t");
  EXPECT_EQ(Count("SELECT * FROM " + Scan("erp_t") + " WHERE _op = 'd'"), 1) << "key 2, once";
}

}  // namespace
}  // namespace strata::ingest::mysql
