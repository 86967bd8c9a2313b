// The MySQL/MariaDB source under crashes: `strata follow` (a child process) is killed with
// SIGKILL at random moments (during the snapshot and while following) while a randomized
// workload runs against a real MariaDB; at the end every committed change is in bronze exactly
// once and the bronze mirror equals the source table row for row.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "engine/engine.h"
#include "ingest/mysql/binlog_stream.h"
#include "ingest/mysql/mariadb_test_server.h"
#include "lake/lake.h"
#include "storage/delta/scan.h"
#include "storage/delta/snapshot.h"
#include "test_util.h"

namespace strata {
namespace {

using ingest::mysql::testing::MariaDbTestServer;

constexpr char kTable[] =
    "CREATE TABLE items (id INT PRIMARY KEY, qty INT NOT NULL, big BIGINT UNSIGNED, "
    "price DECIMAL(14,4), ratio DOUBLE, f FLOAT, day DATE, at DATETIME(6), ts TIMESTAMP(3) NULL, "
    "dur TIME(1), yr YEAR, name VARCHAR(60), note TEXT, raw VARBINARY(16), status "
    "ENUM('new','paid','cancelled'), tags SET('a','b','c'), bits BIT(10), doc JSON)";

class Workload {
 public:
  explicit Workload(uint32_t seed) : rng_(seed) {}

  std::string Value(int column) {
    if (Coin(8)) return "NULL";
    switch (column) {
      case 0:
        return std::to_string(Int(-1000000, 1000000));
      case 1:
        return std::to_string(static_cast<uint64_t>(rng_()) << 32 | rng_());
      case 2:
        return std::to_string(Int(-99999999, 99999999)) + "." + std::to_string(Int(0, 9999));
      case 3:
        return std::to_string(Int(-1000, 1000)) + "e" + std::to_string(Int(-200, 200));
      case 4:
        return std::to_string(Int(-1000, 1000)) + ".25";
      case 5:
        return "'" + std::to_string(Int(1000, 9999)) + "-0" + std::to_string(Int(1, 9)) + "-1" +
               std::to_string(Int(0, 9)) + "'";
      case 6:
        return "'2024-05-0" + std::to_string(Int(1, 9)) + " 1" + std::to_string(Int(0, 9)) +
               ":00:00." + std::to_string(Int(0, 999999)) + "'";
      case 7:
        return "'2020-01-01 00:00:00' + INTERVAL " + std::to_string(Int(0, 100000000)) + " SECOND";
      case 8:
        return "'" + std::string(Coin(2) ? "-" : "") + std::to_string(Int(0, 838)) + ":59:0" +
               std::to_string(Int(0, 9)) + ".5'";
      case 9:
        return std::to_string(Int(1901, 2155));
      case 10: {
        static const char* kWords[] = {"ação",    "naïve",         "😀 emoji", "plain",
                                       "quote's", "back\\\\slash", ""};
        return "'" + std::string(kWords[Int(0, 6)]) + std::to_string(Int(0, 99)) + "'";
      }
      case 11:
        return "REPEAT('t', " + std::to_string(Int(0, 3000)) + ")";
      case 12:
        return "X'" + std::string(Coin(2) ? "00FF10" : "DEADBEEF00") + "'";
      case 13: {
        static const char* k[] = {"'new'", "'paid'", "'cancelled'"};
        return k[Int(0, 2)];
      }
      case 14: {
        static const char* k[] = {"''", "'a'", "'a,c'", "'b,c'"};
        return k[Int(0, 3)];
      }
      case 15:
        return std::to_string(Int(0, 1023));
      default:
        return "'{\"n\": " + std::to_string(Int(0, 99)) + "}'";
    }
  }
  static constexpr const char* kColumns[] = {"qty", "big",    "price", "ratio", "f",    "day",
                                             "at",  "ts",     "dur",   "yr",    "name", "note",
                                             "raw", "status", "tags",  "bits",  "doc"};
  std::string Insert(int id) {
    std::string sql = "INSERT INTO items VALUES (" + std::to_string(id);
    for (int c = 0; c < 17; ++c) {
      std::string v = Value(c);
      if (c == 0 && v == "NULL") v = "0";
      sql += ", " + v;
    }
    return sql + ")";
  }
  std::string Update(int id) {
    int column = Int(0, 16);
    std::string v = Value(column);
    if (column == 0 && v == "NULL") v = "qty + 1";
    return "UPDATE items SET " + std::string(kColumns[column]) + " = " + v +
           " WHERE id = " + std::to_string(id);
  }
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Coin(int n) { return Int(0, n - 1) == 0; }

 private:
  std::mt19937 rng_;
};

class CdcKillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server().ok()) << server().error();
    database_ = server().CreateDatabase("kill");
    ASSERT_FALSE(database_.empty());
    project_ = dir_.path() + "/project";
    std::filesystem::create_directories(project_ + "/sources");
    std::filesystem::create_directories(project_ + "/lake");
    std::ofstream(project_ + "/strata.yaml") << "name: cdc_kill\nstorage: lake\n";
    std::ofstream(project_ + "/sources/erp.yaml")
        << "sources:\n"
           "  - name: erp\n"
           "    kind: mysql\n"
           "    connection: "
        << server().Url(database_)
        << "\n"
           "    password: ${env:STRATA_TEST_MYSQL_PASSWORD}\n"
           "    tables: [items]\n"
           "    bronze: erp_{table}\n"
           "    commit_interval: 200ms\n"
           "    snapshot_chunk_rows: 300\n";
    setenv("STRATA_TEST_MYSQL_PASSWORD", MariaDbTestServer::kPassword, 1);
  }
  static MariaDbTestServer& server() { return MariaDbTestServer::Get(); }

  pid_t StartFollower() {
    pid_t pid = fork();
    if (pid == 0) {
      std::string log = dir_.path() + "/follow.log";
      freopen(log.c_str(), "a", stdout);
      freopen(log.c_str(), "a", stderr);
      execl(STRATA_BINARY, "strata", "follow", "--project", project_.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    return pid;
  }
  static int Stop(pid_t pid, int signal) {
    kill(pid, signal);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
  }

  test::TempDir dir_;
  std::string project_;
  std::string database_;
};

TEST_F(CdcKillTest, KilledFollowerLosesAndDoublesNothing) {
  auto client_or = ingest::mysql::Client::Connect(server().Spec(database_));
  ASSERT_TRUE(client_or.ok()) << client_or.status();
  ingest::mysql::Client& db = **client_or;
  ASSERT_TRUE(db.Execute(kTable).ok());
  uint32_t seed = static_cast<uint32_t>(std::random_device{}());
  SCOPED_TRACE("seed " + std::to_string(seed));
  Workload work(seed);
  std::set<int> ids;
  int next_id = 1;
  // Enough rows for a snapshot of several chunks, so a kill can land inside it.
  for (int batch = 0; batch < 10; ++batch) {
    ASSERT_TRUE(db.Execute("BEGIN").ok());
    for (int i = 0; i < 300; ++i, ++next_id) {
      ASSERT_TRUE(db.Execute(work.Insert(next_id)).ok());
      ids.insert(next_id);
    }
    ASSERT_TRUE(db.Execute("COMMIT").ok());
  }

  auto random_id = [&] {
    auto it = ids.begin();
    std::advance(it, work.Int(0, static_cast<int>(ids.size()) - 1));
    return *it;
  };
  auto one_transaction = [&] {
    int statements = work.Int(1, 6);
    bool rollback = work.Coin(10);
    ASSERT_TRUE(db.Execute("BEGIN").ok());
    std::set<int> inserted, deleted;
    for (int s = 0; s < statements; ++s) {
      int kind = work.Int(0, 9);
      if (kind < 4 || ids.size() < 10) {
        ASSERT_TRUE(db.Execute(work.Insert(next_id)).ok());
        inserted.insert(next_id++);
      } else if (kind < 8) {
        ASSERT_TRUE(db.Execute(work.Update(random_id())).ok());
      } else {
        int id = random_id();
        ASSERT_TRUE(db.Execute("DELETE FROM items WHERE id = " + std::to_string(id)).ok());
        deleted.insert(id);
      }
    }
    ASSERT_TRUE(db.Execute(rollback ? "ROLLBACK" : "COMMIT").ok());
    if (!rollback) {
      ids.insert(inserted.begin(), inserted.end());
      for (int id : deleted) ids.erase(id);
    }
  };

  for (int round = 0; round < 6; ++round) {
    pid_t follower = StartFollower();
    auto until = std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(work.Int(round == 0 ? 200 : 300, 2500));
    while (std::chrono::steady_clock::now() < until) {
      one_transaction();
      if (HasFatalFailure()) return;
    }
    // SIGKILL mostly; sometimes the orderly stop, which must commit what is complete.
    int status = Stop(follower, work.Coin(3) ? SIGTERM : SIGKILL);
    if (WIFEXITED(status)) {
      EXPECT_EQ(WEXITSTATUS(status), 0) << "follow failed; see " << dir_.path() << "/follow.log";
    }
  }
  // Catch up to the end without a kill.
  test::CommandResult sync = test::RunStrata({"source", "sync", "--project", project_});
  ASSERT_EQ(sync.exit_code, 0) << sync.err;

  auto lake = lake::Lake::Open(project_ + "/lake");
  ASSERT_TRUE(lake.ok());
  auto db_engine = engine::Database::Open({});
  ASSERT_TRUE(db_engine.ok());
  auto conn = (*db_engine)->Connect();
  ASSERT_TRUE(conn.ok());
  auto snap = delta::LoadSnapshot(lake->store(), lake->TableRoot({"bronze", "erp_items"}));
  ASSERT_TRUE(snap.ok()) << snap.status();
  auto plan = delta::PlanScan(*snap, lake->store(), **conn);
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::string bronze = "(" + plan->sql() + ")";
  // The stream starts where the first snapshot chunk was read (the workload ran meanwhile).
  auto first = (*conn)->QueryRows("SELECT min(_position) FROM " + bronze + " WHERE _op = 'r'");
  ASSERT_TRUE(first.ok()) << first.status();
  std::string first_position = std::get<std::string>((*first)[0][0]);
  ingest::mysql::BinlogPosition start;
  start.file = first_position.substr(0, first_position.rfind(':'));
  start.offset = std::stoull(first_position.substr(first_position.rfind(':') + 1));

  // Every change in the binlog since then, read in one go by a reader nobody killed.
  ingest::mysql::BinlogStreamOptions options;
  options.connection = server().Spec(database_);
  options.server_id = 777;
  options.follows = [](const std::string& t) { return t == "items"; };
  auto stream = ingest::mysql::BinlogStream::Open(options, start);
  ASSERT_TRUE(stream.ok()) << stream.status();
  std::vector<std::pair<std::string, char>> expected;
  while (true) {
    auto item = (*stream)->Next();
    ASSERT_TRUE(item.ok()) << item.status();
    if (item->kind == ingest::mysql::StreamItem::kEnd) break;
    for (auto& [name, changes] : item->transaction.tables) {
      for (const auto& c : changes.changes) expected.emplace_back(c.position, c.op);
    }
  }
  ASSERT_GT(expected.size(), 50u);
  auto changes =
      (*conn)->QueryRows("SELECT _position, _op FROM " + bronze + " WHERE _op <> 'r' ORDER BY _position");
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->size(), expected.size()) << "each binlog change exactly once";
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(std::get<std::string>((*changes)[i][0]), expected[i].first) << i;
    ASSERT_EQ(std::get<std::string>((*changes)[i][1]), std::string(1, expected[i].second)) << i;
  }

  // The mirror (latest change per key, deletes dropped) equals the source, read by SELECT.
  std::ofstream(project_ + "/sources/copy.yaml")
      << "sources:\n  - name: copy\n    kind: mysql\n    connection: " << server().Url(database_)
      << "\n    password: ${env:STRATA_TEST_MYSQL_PASSWORD}\n    tables: [items]\n"
         "    mode: snapshot\n    bronze: copy_{table}\n";
  sync = test::RunStrata({"source", "sync", "copy", "--project", project_});
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  auto copy_snap = delta::LoadSnapshot(lake->store(), lake->TableRoot({"bronze", "copy_items"}));
  ASSERT_TRUE(copy_snap.ok()) << copy_snap.status();
  auto copy_plan = delta::PlanScan(*copy_snap, lake->store(), **conn);
  ASSERT_TRUE(copy_plan.ok());
  std::string meta = "_op, _position, _source_ts, _tx, _ingested_at";
  std::string mirror = "SELECT * EXCLUDE (" + meta +
                       ", _rn) FROM (SELECT *, row_number() OVER "
                       "(PARTITION BY id ORDER BY _position DESC) AS _rn FROM " +
                       bronze + ") WHERE _rn = 1 AND _op <> 'd'";
  std::string source = "SELECT * EXCLUDE (" + meta + ") FROM (" + copy_plan->sql() + ")";
  auto diff =
      engine::QueryInt64(**conn, "SELECT count(*) FROM ((" + mirror + " EXCEPT ALL " + source +
                                     ") UNION ALL (" + source + " EXCEPT ALL " + mirror + "))");
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_EQ(*diff, 0);
  auto count = engine::QueryInt64(**conn, "SELECT count(*) FROM (" + source + ")");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, static_cast<int64_t>(ids.size()));
}

}  // namespace
}  // namespace strata
