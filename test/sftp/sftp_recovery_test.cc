// Recovery of uploads a dead server had taken but not recorded: `strata sftp serve` is killed
// with SIGKILL between a file's close and its record in the catalog (the intake thread is held
// at a chosen point by the STRATA_TEST_SFTP_PAUSE_AT hook, then the process is killed), and the
// next start loads every such file exactly once, also when it dies again during the recovery.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "sftp/sftp_harness.h"

namespace strata::test::sftp {
namespace {

namespace fs = std::filesystem;

// Spool entries (uploads taken, not yet recorded) across all owners.
int SpoolEntries(const SftpProject& p) {
  int entries = 0;
  std::error_code ec;
  const fs::path spool = fs::path(p.dir()) / ".strata" / "sftp" / "spool";
  for (const auto& owner : fs::directory_iterator(spool, ec)) {
    if (!owner.is_directory()) continue;
    for (const auto& item : fs::directory_iterator(owner.path(), ec)) {
      if (item.is_directory()) ++entries;
    }
  }
  return entries;
}

std::vector<std::string> PauseAt(const std::string& point) {
  return {"STRATA_TEST_SFTP_PAUSE_AT=" + point};
}

nlohmann::json Find(const nlohmann::json& arrivals, const std::string& path) {
  nlohmann::json found = nlohmann::json::array();
  for (const auto& a : arrivals) {
    if (a["path"] == path) found.push_back(a);
  }
  return found;
}

// Killed after the client's close was acknowledged, before the file was even hashed.
TEST(SftpRecoveryTest, KilledBeforeHashingTheFileIsLoadedOnceAtRestart) {
  SftpProject p;
  p.AddKeyUser("acme");
  p.StartServer({}, PauseAt("hash"));
  WriteText(p.work() + "/pedidos_a.csv", PedidosCsv(1, 7));
  CommandResult put = p.Sftp("acme", "put pedidos_a.csv\n");
  ASSERT_EQ(put.exit_code, 0) << put.err << p.ServerLog();
  ASSERT_TRUE(p.WaitForLog("paused at hash")) << p.ServerLog();
  p.KillServer();
  EXPECT_EQ(p.Arrivals().size(), 0u);
  EXPECT_EQ(SpoolEntries(p), 1);

  p.StartServer();
  nlohmann::json arrivals = p.WaitForArrivals(1);
  ASSERT_EQ(arrivals.size(), 1u) << arrivals.dump(2);
  EXPECT_EQ(arrivals[0]["state"], "loaded") << arrivals.dump(2) << p.ServerLog();
  EXPECT_EQ(arrivals[0]["rows_loaded"], 7);
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos"), 7);
  EXPECT_EQ(SpoolEntries(p), 0);
  EXPECT_NE(p.ServerLog().find("recovering acme/pedidos_a.csv"), std::string::npos);
  // Another restart finds nothing left to do.
  ASSERT_EQ(p.StopServer(), 0);
  p.StartServer();
  WriteText(p.work() + "/pedidos_b.csv", PedidosCsv(100, 2));
  CommandResult put_b = p.Sftp("acme", "put pedidos_b.csv\n");
  ASSERT_EQ(put_b.exit_code, 0) << put_b.out << put_b.err << p.ServerLog();
  arrivals = p.WaitForArrivals(2);
  EXPECT_EQ(arrivals.size(), 2u) << arrivals.dump(2);
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos"), 9);
}

// Killed after the load committed the rows, before its outcome was recorded: the restart finds
// the content already in the table, records the arrival as loaded (its own rows, not a second
// upload's) and fires its file trigger once; no row is doubled, and a real second upload of the
// same content is already_loaded and fires nothing.
TEST(SftpRecoveryTest, KilledAfterTheLoadCommittedStillFiresItsTriggerOnce) {
  SftpProject p;
  p.AddKeyUser("acme");
  p.AddPedidosTriggeredPipeline("cat >> triggered.jsonl; echo >> triggered.jsonl");
  const std::string triggered = p.dir() + "/triggered.jsonl";
  auto fired = [&] {
    std::string text = ReadText(triggered);
    int n = 0;
    for (size_t at = text.find("\"sha256\""); at != std::string::npos;
         at = text.find("\"sha256\"", at + 1)) {
      ++n;
    }
    return n;
  };
  p.StartServer({}, PauseAt("loaded"));
  WriteText(p.work() + "/pedidos_c.csv", PedidosCsv(1, 5));
  ASSERT_EQ(p.Sftp("acme", "put pedidos_c.csv\n").exit_code, 0) << p.ServerLog();
  ASSERT_TRUE(p.WaitForLog("paused at loaded")) << p.ServerLog();
  p.KillServer();
  nlohmann::json before = p.Arrivals();
  ASSERT_EQ(before.size(), 1u) << before.dump(2);
  EXPECT_EQ(before[0]["state"], "received");
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos"), 5);  // committed before the kill
  EXPECT_EQ(fired(), 0);

  p.StartServer();
  nlohmann::json arrivals = p.WaitForArrivals(1);
  ASSERT_EQ(arrivals.size(), 1u) << arrivals.dump(2);
  EXPECT_EQ(arrivals[0]["state"], "loaded") << arrivals.dump(2) << p.ServerLog();
  EXPECT_TRUE(arrivals[0]["rows_loaded"].is_null()) << arrivals.dump(2);
  for (int i = 0; i < 300 && fired() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(fired(), 1) << ReadText(triggered) << p.ServerLog();
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos"), 5);

  // The same content uploaded again is a duplicate: recorded, not loaded, nothing fired.
  ASSERT_EQ(p.Sftp("acme", "put pedidos_c.csv pedidos_c2.csv\n").exit_code, 0) << p.ServerLog();
  arrivals = p.WaitForArrivals(2);
  ASSERT_EQ(arrivals.size(), 2u) << arrivals.dump(2);
  EXPECT_EQ(arrivals[0]["state"], "already_loaded") << arrivals.dump(2);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(fired(), 1) << ReadText(triggered);
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos"), 5);
}

// Killed with three uploads taken (two pedidos versions of one name, one refused name), the
// first already archived; the recovery is killed again once it recorded the first; the third
// start finishes: each upload recorded once, each version loaded once, the refusal moved once.
TEST(SftpRecoveryTest, DyingAgainDuringRecoveryLosesAndDoublesNothing) {
  SftpProject p;
  p.AddKeyUser("acme");
  p.StartServer({}, PauseAt("archived"));
  WriteText(p.work() + "/pedidos_v.csv", PedidosCsv(1, 4));
  WriteText(p.work() + "/notas.txt", "not a source\n");
  ASSERT_EQ(p.Sftp("acme", "put pedidos_v.csv\nput notas.txt\n").exit_code, 0);
  WriteText(p.work() + "/pedidos_v.csv", PedidosCsv(1, 6));  // a corrected version, same name
  ASSERT_EQ(p.Sftp("acme", "put pedidos_v.csv\n").exit_code, 0) << p.ServerLog();
  ASSERT_TRUE(p.WaitForLog("paused at archived")) << p.ServerLog();
  p.KillServer();
  EXPECT_EQ(p.Arrivals().size(), 0u);
  EXPECT_EQ(SpoolEntries(p), 3);

  p.StartServer({}, PauseAt("recorded"));
  ASSERT_TRUE(p.WaitForLog("paused at recorded")) << p.ServerLog();
  p.KillServer();
  nlohmann::json partial = p.Arrivals();
  ASSERT_EQ(partial.size(), 1u) << partial.dump(2);
  EXPECT_EQ(partial[0]["state"], "received");
  EXPECT_EQ(SpoolEntries(p), 3);

  p.StartServer();
  nlohmann::json arrivals = p.WaitForArrivals(3);
  ASSERT_EQ(arrivals.size(), 3u) << arrivals.dump(2) << p.ServerLog();
  nlohmann::json versions = Find(arrivals, "pedidos_v.csv");
  ASSERT_EQ(versions.size(), 2u);
  // Newest first: the corrected version loaded after the first one, as new data.
  EXPECT_EQ(versions[1]["state"], "loaded") << versions.dump(2);
  EXPECT_EQ(versions[1]["rows_loaded"], 4);
  EXPECT_EQ(versions[0]["state"], "loaded") << versions.dump(2);
  EXPECT_EQ(versions[0]["rows_loaded"], 6);
  nlohmann::json notas = Find(arrivals, "notas.txt");
  ASSERT_EQ(notas.size(), 1u);
  EXPECT_EQ(notas[0]["state"], "rejected");
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos"), 10);
  EXPECT_EQ(p.Count("SELECT count(DISTINCT _source_file) FROM bronze.pedidos"), 1);
  EXPECT_TRUE(fs::exists(p.dir() + "/rejected/acme/notas.txt"));
  EXPECT_FALSE(fs::exists(p.dir() + "/rejected/acme/notas.txt.2"));
  EXPECT_FALSE(fs::exists(p.dir() + "/landing/acme/notas.txt"));
  EXPECT_EQ(SpoolEntries(p), 0);
  EXPECT_NE(p.ServerLog().find("was recorded before the process stopped"), std::string::npos)
      << p.ServerLog();
}

// Killed after a refused file was moved to rejected/ (recorded as well); the restart neither
// records it again nor makes a second copy.
TEST(SftpRecoveryTest, ARefusalIsNeverRecordedOrMovedTwice) {
  SftpProject p;
  p.AddKeyUser("acme");
  p.StartServer({}, PauseAt("recorded"));
  WriteText(p.work() + "/notas.txt", "not a source\n");
  ASSERT_EQ(p.Sftp("acme", "put notas.txt\n").exit_code, 0);
  ASSERT_TRUE(p.WaitForLog("paused at recorded")) << p.ServerLog();
  p.KillServer();
  EXPECT_EQ(SpoolEntries(p), 1);
  p.StartServer();
  ASSERT_TRUE(p.WaitForLog("was recorded before the process stopped")) << p.ServerLog();
  nlohmann::json arrivals = p.WaitForArrivals(1);
  ASSERT_EQ(arrivals.size(), 1u) << arrivals.dump(2);
  EXPECT_EQ(arrivals[0]["state"], "rejected");
  EXPECT_EQ(arrivals[0]["stored_as"], "rejected/acme/notas.txt");
  EXPECT_FALSE(fs::exists(p.dir() + "/rejected/acme/notas.txt.2"));
  EXPECT_EQ(SpoolEntries(p), 0);
}

}  // namespace
}  // namespace strata::test::sftp
