// Files that arrive by SFTP: the bronze load they trigger (ImportAu pedidos queryable right
// after), exactly-once under repeats and 20 concurrent uploads, new versions kept, refused files
// with their reasons, truncated and resumed uploads, and a ~200 MB upload.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "demo/importau_generator.h"
#include "sftp/sftp_harness.h"

namespace strata::test::sftp {
namespace {

namespace fs = std::filesystem;

nlohmann::json FindArrival(const nlohmann::json& arrivals, const std::string& path) {
  for (const auto& a : arrivals) {
    if (a["path"] == path) return a;
  }
  return nlohmann::json();
}

TEST(SftpArrivalTest, ImportAuPedidosUploadIsQueryableRightAfter) {
  SftpProject p;
  p.AddKeyUser("acme");
  // A pipeline bound to the pedidos source: the orchestrator starts it once the rows are in.
  p.AddPedidosTriggeredPipeline("cat > triggered.json");
  p.StartServer();
  auto counts = demo::GenerateImportAu(p.work() + "/importau", {.scale = 1});
  ASSERT_TRUE(counts.ok()) << counts.status();
  CommandResult put = p.Sftp("acme", "put importau/pedidos.csv\n");
  ASSERT_EQ(put.exit_code, 0) << put.err << p.ServerLog();
  nlohmann::json arrivals = p.WaitForArrivals(1);
  ASSERT_EQ(arrivals.size(), 1u);
  const auto& a = arrivals[0];
  EXPECT_EQ(a["state"], "loaded") << a.dump(2);
  EXPECT_EQ(a["partner"], "acme");
  EXPECT_EQ(a["source"], "pedidos");
  EXPECT_EQ(a["rows_loaded"], counts->pedidos);
  EXPECT_EQ(a["size_bytes"],
            static_cast<int64_t>(fs::file_size(p.work() + "/importau/pedidos.csv")));
  EXPECT_EQ(a["sha256"].get<std::string>().size(), 64u);
  EXPECT_FALSE(a["run_id"].get<std::string>().empty());
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos"), counts->pedidos);
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos WHERE _source_file = 'acme/pedidos.csv'"),
            counts->pedidos);
  // The content is archived by hash; the partner still sees its file.
  EXPECT_TRUE(fs::exists(p.dir() + "/" + a["stored_as"].get<std::string>()));
  EXPECT_TRUE(fs::exists(p.dir() + "/landing/acme/pedidos.csv"));
  // Only the selected source ran: nothing else was built.
  EXPECT_NE(p.Sql("SELECT count(*) FROM bronze.clientes").exit_code, 0);
  // The pipeline triggered by the arrival got the file as its input.
  const std::string triggered = p.dir() + "/triggered.json";
  for (int i = 0; i < 300 && ReadText(triggered).find('}') == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto input = nlohmann::json::parse(ReadText(triggered), nullptr, false);
  ASSERT_FALSE(input.is_discarded()) << ReadText(triggered) << p.ServerLog();
  EXPECT_EQ(input["file"]["source"], "pedidos") << input.dump();
  EXPECT_EQ(input["file"]["path"], "acme/pedidos.csv");
  EXPECT_EQ(input["file"]["sha256"], a["sha256"]);
}

TEST(SftpArrivalTest, SameFileLoadsOnceAndNewVersionsLoadAsNewData) {
  SftpProject p;
  p.AddKeyUser("acme");
  p.StartServer();
  WriteText(p.work() + "/pedidos_daily.csv", PedidosCsv(1, 5));
  ASSERT_EQ(p.Sftp("acme", "put pedidos_daily.csv\n").exit_code, 0);
  p.WaitForArrivals(1);
  ASSERT_EQ(p.Sftp("acme", "put pedidos_daily.csv\n").exit_code, 0);  // same content again
  nlohmann::json twice = p.WaitForArrivals(2);
  ASSERT_EQ(twice.size(), 2u);
  EXPECT_EQ(twice[0]["state"], "already_loaded") << twice.dump(2);
  EXPECT_EQ(twice[1]["state"], "loaded");
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos"), 5);
  // A corrected version under the same name: new data, and both versions stay.
  WriteText(p.work() + "/pedidos_daily.csv", PedidosCsv(1, 6));
  ASSERT_EQ(p.Sftp("acme", "put pedidos_daily.csv\n").exit_code, 0);
  nlohmann::json three = p.WaitForArrivals(3);
  EXPECT_EQ(three[0]["state"], "loaded") << three.dump(2);
  EXPECT_EQ(three[0]["rows_loaded"], 6);
  EXPECT_NE(three[0]["sha256"], three[2]["sha256"]);
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos"), 11);
  EXPECT_TRUE(fs::exists(p.dir() + "/" + three[0]["stored_as"].get<std::string>()));
  EXPECT_TRUE(fs::exists(p.dir() + "/" + three[2]["stored_as"].get<std::string>()));
  EXPECT_EQ(ReadText(p.dir() + "/" + three[2]["stored_as"].get<std::string>()), PedidosCsv(1, 5));
  // An upload through a temporary name arrives when renamed, not when closed.
  WriteText(p.work() + "/pedidos_tmp.csv", PedidosCsv(100, 3));
  ASSERT_EQ(p.Sftp("acme", "put pedidos_tmp.csv pedidos_late.csv.part\n").exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(p.Arrivals().size(), 3u);
  ASSERT_EQ(p.Sftp("acme", "rename pedidos_late.csv.part pedidos_late.csv\n").exit_code, 0);
  nlohmann::json four = p.WaitForArrivals(4);
  EXPECT_EQ(four[0]["path"], "pedidos_late.csv");
  EXPECT_EQ(four[0]["state"], "loaded") << four.dump(2);
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos"), 14);
}

TEST(SftpArrivalTest, TwentyConcurrentUploadsLandExactlyOnce) {
  SftpProject p;
  for (const char* user : {"acme", "globex"}) p.AddKeyUser(user);
  p.StartServer();
  std::vector<pid_t> clients;
  int64_t expected_rows = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string name = "pedidos_" + std::to_string(i) + ".csv";
    WriteText(p.work() + "/" + name, PedidosCsv(1000 * i, 50 + i));
    expected_rows += 50 + i;
    const std::string batch = p.work() + "/concurrent-" + std::to_string(i);
    WriteText(batch, "put " + p.work() + "/" + name + "\n");
    clients.push_back(Spawn(p.SftpArgv(i % 2 ? "globex" : "acme", batch),
                            p.work() + "/client-" + std::to_string(i) + ".log"));
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    int status = 0;
    waitpid(clients[i], &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << ReadText(p.work() + "/client-" + std::to_string(i) + ".log");
  }
  nlohmann::json arrivals = p.WaitForArrivals(20);
  ASSERT_EQ(arrivals.size(), 20u);
  std::map<std::string, int> files;
  for (const auto& a : arrivals) {
    EXPECT_EQ(a["state"], "loaded") << a.dump(2);
    ++files[a["partner"].get<std::string>() + "/" + a["path"].get<std::string>()];
  }
  EXPECT_EQ(files.size(), 20u);
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos"), expected_rows);
  EXPECT_EQ(p.Count("SELECT count(DISTINCT _source_file) FROM bronze.pedidos"), 20);
  EXPECT_EQ(p.Count("SELECT count(*) - count(DISTINCT pedido_id) FROM bronze.pedidos"), 0);
}

TEST(SftpArrivalTest, RefusedFilesMoveToRejectedWithTheirReason) {
  SftpProject p;
  p.AddKeyUser("acme");
  p.StartServer();
  WriteText(p.work() + "/notas.txt", "not a source\n");
  WriteText(p.work() + "/pedidos.xlsx", "binary?\n");
  WriteText(p.work() + "/pedidos_empty.csv", "");
  WriteText(p.work() + "/pedidos_header.csv", "id,cliente,valor\n1,2,3\n");
  WriteText(p.work() + "/pedidos_latin1.csv", std::string(kPedidosHeader) +
                                                  "1,10,100,2024-03-01,USD,FOB,cancelado\n" +
                                                  "2,10,100,2024-03-01,USD,FOB,n\xe3o entregue\n");
  CommandResult put = p.Sftp("acme",
                             "put notas.txt\nput pedidos.xlsx\nput pedidos_empty.csv\n"
                             "put pedidos_header.csv\nput pedidos_latin1.csv\n");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  nlohmann::json arrivals = p.WaitForArrivals(5);
  auto notas = FindArrival(arrivals, "notas.txt");
  EXPECT_EQ(notas["state"], "rejected");
  EXPECT_NE(notas["reason"].get<std::string>().find("does not match any source"),
            std::string::npos);
  auto xlsx = FindArrival(arrivals, "pedidos.xlsx");
  EXPECT_EQ(xlsx["state"], "rejected");
  EXPECT_NE(xlsx["reason"].get<std::string>().find(".xlsx"), std::string::npos) << xlsx;
  auto empty = FindArrival(arrivals, "pedidos_empty.csv");
  EXPECT_EQ(empty["state"], "failed") << empty;
  EXPECT_NE(empty["reason"].get<std::string>().find("empty"), std::string::npos) << empty;
  auto header = FindArrival(arrivals, "pedidos_header.csv");
  EXPECT_EQ(header["state"], "failed") << header;
  EXPECT_NE(header["reason"].get<std::string>().find("pedido_id"), std::string::npos) << header;
  // A row that is not UTF-8 is quarantined, not loaded and not dropped.
  auto latin1 = FindArrival(arrivals, "pedidos_latin1.csv");
  EXPECT_EQ(latin1["state"], "loaded") << latin1;
  EXPECT_EQ(latin1["rows_loaded"], 1);
  EXPECT_EQ(latin1["rows_quarantined"], 1);
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos__quarantine"), 1);

  // Refused files left the landing area, kept with a reply file the partner can read.
  for (const char* name :
       {"notas.txt", "pedidos.xlsx", "pedidos_empty.csv", "pedidos_header.csv"}) {
    EXPECT_FALSE(fs::exists(p.dir() + "/landing/acme/" + std::string(name))) << name;
    EXPECT_TRUE(fs::exists(p.dir() + "/rejected/acme/" + std::string(name))) << name;
  }
  EXPECT_TRUE(fs::exists(p.dir() + "/landing/acme/pedidos_latin1.csv"));
  CommandResult look = p.Sftp("acme",
                              "ls /rejected\nget /rejected/pedidos_header.csv.rejected.txt\n"
                              "-put notas.txt /rejected/notas2.txt\n"
                              "-rm /rejected/notas.txt\n");
  EXPECT_NE(look.out.find("pedidos_header.csv.rejected.txt"), std::string::npos) << look.out;
  const std::string reply = ReadText(p.work() + "/pedidos_header.csv.rejected.txt");
  EXPECT_NE(reply.find("Reason:"), std::string::npos) << reply;
  EXPECT_NE(reply.find("pedido_id"), std::string::npos) << reply;
  EXPECT_TRUE(fs::exists(p.dir() + "/rejected/acme/notas.txt"));  // read-only for the partner
  EXPECT_FALSE(fs::exists(p.dir() + "/rejected/acme/notas2.txt"));

  // The whole file in another encoding (UTF-16 with its byte-order mark, as spreadsheet tools
  // export it): a failed load with its reason, no rows, and the server lives on.
  std::string utf16 = "\xff\xfe";
  for (char c : std::string(kPedidosHeader) + "1,10,100,2024-03-01,USD,FOB,aberto\n") {
    utf16 += c;
    utf16 += '\0';
  }
  WriteText(p.work() + "/pedidos_utf16.csv", utf16);
  ASSERT_EQ(p.Sftp("acme", "put pedidos_utf16.csv\n").exit_code, 0) << p.ServerLog();
  arrivals = p.WaitForArrivals(6);
  auto utf16_outcome = FindArrival(arrivals, "pedidos_utf16.csv");
  EXPECT_EQ(utf16_outcome["state"], "failed") << utf16_outcome;
  EXPECT_FALSE(utf16_outcome["reason"].get<std::string>().empty()) << utf16_outcome;
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos WHERE _source_file LIKE '%utf16%'"), 0);
  ASSERT_EQ(p.Sftp("acme", "put notas.txt notas_again.txt\n").exit_code, 0) << p.ServerLog();
  EXPECT_EQ(FindArrival(p.WaitForArrivals(7), "notas_again.txt")["state"], "rejected");
}

// A ~200 MB upload streams through (no whole-file buffers); killing the client mid-way leaves a
// partial file that is never loaded; `reput` completes it and then it loads once.
TEST(SftpArrivalTest, TruncatedUploadIsNeverLoadedAndResumeCompletesIt) {
  SftpProject p;
  p.AddKeyUser("acme");
  p.StartServer();
  const std::string big = p.work() + "/pedidos_big.csv";
  const int64_t rows = 3'000'000;  // ~200 MB of CSV
  {
    std::ofstream out(big, std::ios::binary);
    out << kPedidosHeader;
    std::string line;
    for (int64_t i = 1; i <= rows; ++i) {
      line = std::to_string(i) + ",10,100,2024-03-01,USD,FOB,aberto__padding_padding_pad\n";
      out << line;
    }
  }
  const int64_t size = static_cast<int64_t>(fs::file_size(big));
  ASSERT_GT(size, 180'000'000);
  const std::string remote = p.dir() + "/landing/acme/pedidos_big.csv";
  WriteText(p.work() + "/big-batch", "put " + big + "\n");
  // At 80 Mbit/s the whole file takes about 20 s: the kill below comes well before the end,
  // however late the test gets to look.
  pid_t client = Spawn(p.SftpArgv("acme", p.work() + "/big-batch", 80'000), p.work() + "/big.log");
  // Kill the client once part of the file is on the server.
  for (int i = 0; i < 600; ++i) {
    std::error_code ec;
    auto now = fs::file_size(remote, ec);
    if (!ec && now > 20'000'000) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(client, SIGKILL);
  waitpid(client, nullptr, 0);
  // The server writes what it had received, then logs the cut (size included).
  EXPECT_TRUE(p.WaitForLog("pedidos_big.csv: the session ended with the upload still open"))
      << p.ServerLog();
  std::error_code ec;
  const auto partial = fs::file_size(remote, ec);
  ASSERT_FALSE(ec) << ReadText(p.work() + "/big.log") << p.ServerLog();
  ASSERT_LT(static_cast<int64_t>(partial), size) << "the upload finished before the kill";
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(p.Arrivals().size(), 0u) << "a truncated upload was taken as arrived";
  // Its outcome is in the server's log: what was received, and that it is not an arrival.
  const std::string cut = "acme/pedidos_big.csv: the session ended with the upload still open (" +
                          std::to_string(partial) + " bytes on the server); not an arrival";
  EXPECT_NE(p.ServerLog().find(cut), std::string::npos) << p.ServerLog();
  EXPECT_NE(p.Sql("SELECT count(*) FROM bronze.pedidos").exit_code, 0);

  CommandResult resumed = p.Sftp("acme", "reput " + big + "\n");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err << p.ServerLog();
  EXPECT_EQ(static_cast<int64_t>(fs::file_size(remote)), size);
  nlohmann::json arrivals = p.WaitForArrivals(1, 600);
  ASSERT_EQ(arrivals.size(), 1u);
  EXPECT_EQ(arrivals[0]["state"], "loaded") << arrivals.dump(2);
  EXPECT_EQ(arrivals[0]["size_bytes"], size);
  EXPECT_EQ(arrivals[0]["rows_loaded"], rows);
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos"), rows);
}

}  // namespace
}  // namespace strata::test::sftp
