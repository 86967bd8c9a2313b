// The idle limit of SFTP sessions (`strata sftp serve --idle-timeout`), through the real OpenSSH
// client: an idle session is closed, a transfer longer than the limit is not, and an upload cut
// off by the limit is never an arrival and resumes with `reput`.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "sftp/sftp_harness.h"

namespace strata::test::sftp {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// About `megabytes` MB of pedidos rows; returns the row count.
int64_t WritePedidos(const std::string& path, int megabytes) {
  std::string text = kPedidosHeader;
  int64_t rows = 0;
  while (text.size() < static_cast<size_t>(megabytes) * 1'000'000) {
    ++rows;
    text += std::to_string(rows) + ",10,100,2024-03-01,USD,FOB,aberto\n";
  }
  WriteText(path, text);
  return rows;
}

// The time of day, in milliseconds, of the first server log line holding `text` (log lines
// start "YYYY-MM-DDTHH:MM:SS.mmm"); -1 if there is none.
int64_t LogMillis(const std::string& log, const std::string& text) {
  const size_t at = log.find(text);
  if (at == std::string::npos) return -1;
  const size_t line = log.rfind('\n', at) == std::string::npos ? 0 : log.rfind('\n', at) + 1;
  int hours = 0, minutes = 0, seconds = 0, millis = 0;
  if (std::sscanf(log.c_str() + line, "%*4d-%*2d-%*2dT%d:%d:%d.%d", &hours, &minutes, &seconds,
                  &millis) != 4) {
    return -1;
  }
  return ((hours * 60 + minutes) * 60 + seconds) * 1000LL + millis;
}

int WaitExit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(SftpIdleTest, AnIdleSessionIsClosedAndAnActiveOneIsNot) {
  SftpProject p;
  p.AddKeyUser("acme");
  p.StartServer({"--idle-timeout", "2"});
  // A client that runs one command, then types nothing: its commands come through a pipe.
  int input = -1;
  pid_t idle = SpawnWithInput(p.SftpArgv("acme", "-"), p.work() + "/idle.log", &input);
  ASSERT_GT(idle, 0);
  const std::string ls = "ls -l\n";
  ASSERT_EQ(write(input, ls.data(), ls.size()), static_cast<ssize_t>(ls.size()));
  ASSERT_TRUE(p.WaitForLog("acme connected", 30)) << p.ServerLog();
  ASSERT_TRUE(p.WaitForLog("no SFTP request for 2 s (idle limit)", 30)) << p.ServerLog();
  // Not before the limit (the log line comes once the session is closed). Timed by the
  // server's own log, not by when this test got round to reading it.
  const std::string idle_log = p.ServerLog();
  const int64_t connected = LogMillis(idle_log, "acme connected");
  const int64_t closed = LogMillis(idle_log, "(idle limit)");
  ASSERT_TRUE(connected >= 0 && closed >= 0) << idle_log;
  EXPECT_GE((closed - connected + 86'400'000) % 86'400'000, 1500) << idle_log;
  // The client finds its connection gone at its next command.
  const std::string again = "ls\n";
  (void)!write(input, again.data(), again.size());
  close(input);
  EXPECT_NE(WaitExit(idle), 0) << ReadText(p.work() + "/idle.log");

  // A transfer longer than the limit (about 3 MB each way at 4 Mbit/s) goes through whole.
  const int64_t rows = WritePedidos(p.work() + "/pedidos_slow.csv", 3);
  const std::string batch = p.work() + "/slow-batch";
  WriteText(batch, "put pedidos_slow.csv\nget pedidos_slow.csv back.csv\n");
  const auto started = Clock::now();
  CommandResult slow = RunProgram([&] {
    std::vector<std::string> argv = {"sh", "-c", "cd \"$0\" && exec \"$@\"", p.work()};
    for (const std::string& arg : p.SftpArgv("acme", batch, 4000)) argv.push_back(arg);
    return argv;
  }());
  const auto took = Clock::now() - started;
  ASSERT_EQ(slow.exit_code, 0) << slow.out << slow.err << p.ServerLog();
  EXPECT_GT(took, std::chrono::seconds(4)) << "the transfer was not longer than the limit";
  EXPECT_EQ(ReadText(p.work() + "/back.csv"), ReadText(p.work() + "/pedidos_slow.csv"));
  nlohmann::json arrivals = p.WaitForArrivals(1);
  ASSERT_EQ(arrivals.size(), 1u);
  EXPECT_EQ(arrivals[0]["state"], "loaded") << arrivals.dump(2);
  EXPECT_EQ(arrivals[0]["rows_loaded"], rows);
  // One idle close in the log: the idle client's, not the transfer's.
  const std::string log = p.ServerLog();
  const std::string idle_line = "(idle limit)";
  EXPECT_EQ(log.find(idle_line), log.rfind(idle_line)) << log;
}

// A client that stops in the middle of an upload is cut off by the limit; the partial file is
// never an arrival, and `reput` completes it, after which it loads once.
TEST(SftpIdleTest, AnUploadCutOffByTheLimitResumesWithReput) {
  SftpProject p;
  p.AddKeyUser("acme");
  p.StartServer({"--idle-timeout", "2"});
  const std::string local = p.work() + "/pedidos_stalled.csv";
  const int64_t rows = WritePedidos(local, 4);
  const int64_t size = static_cast<int64_t>(fs::file_size(local));
  const std::string remote = p.dir() + "/landing/acme/pedidos_stalled.csv";
  WriteText(p.work() + "/stall-batch", "put " + local + "\n");
  pid_t client =
      Spawn(p.SftpArgv("acme", p.work() + "/stall-batch", 4000), p.work() + "/stall.log");
  for (int i = 0; i < 600; ++i) {
    std::error_code ec;
    if (fs::file_size(remote, ec) > 500'000 && !ec) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(client, SIGSTOP);  // the client stops sending requests; its connection stays open
  ASSERT_TRUE(p.WaitForLog("(idle limit)", 30)) << p.ServerLog();
  kill(client, SIGCONT);
  EXPECT_NE(WaitExit(client), 0) << "the stalled upload finished: "
                                 << ReadText(p.work() + "/stall.log");
  std::error_code ec;
  const int64_t partial = static_cast<int64_t>(fs::file_size(remote, ec));
  ASSERT_FALSE(ec);
  EXPECT_LT(partial, size);
  EXPECT_NE(p.ServerLog().find("acme/pedidos_stalled.csv: the session ended with the upload still "
                               "open (" +
                               std::to_string(partial) + " bytes"),
            std::string::npos)
      << p.ServerLog();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(p.Arrivals().size(), 0u) << "a cut-off upload was taken as arrived";

  CommandResult resumed = p.Sftp("acme", "reput " + local + "\n");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err << p.ServerLog();
  EXPECT_EQ(static_cast<int64_t>(fs::file_size(remote)), size);
  nlohmann::json arrivals = p.WaitForArrivals(1);
  ASSERT_EQ(arrivals.size(), 1u);
  EXPECT_EQ(arrivals[0]["state"], "loaded") << arrivals.dump(2);
  EXPECT_EQ(arrivals[0]["size_bytes"], size);
  EXPECT_EQ(p.Count("SELECT count(*) FROM bronze.pedidos"), rows);
}

// --idle-timeout 0 turns the limit off: a session idle for a while stays usable.
TEST(SftpIdleTest, ZeroMeansNoLimit) {
  SftpProject p;
  p.AddKeyUser("acme");
  p.StartServer({"--idle-timeout", "0"});
  int input = -1;
  pid_t client = SpawnWithInput(p.SftpArgv("acme", "-"), p.work() + "/client.log", &input);
  const std::string ls = "ls\n";
  ASSERT_EQ(write(input, ls.data(), ls.size()), static_cast<ssize_t>(ls.size()));
  ASSERT_TRUE(p.WaitForLog("acme connected", 30)) << p.ServerLog();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  WriteText(p.work() + "/late.txt", "x\n");
  const std::string put = "lcd " + p.work() + "\nput late.txt\n";
  ASSERT_EQ(write(input, put.data(), put.size()), static_cast<ssize_t>(put.size()));
  close(input);
  EXPECT_EQ(WaitExit(client), 0) << ReadText(p.work() + "/client.log") << p.ServerLog();
  EXPECT_TRUE(fs::exists(p.dir() + "/landing/acme/late.txt"));
  EXPECT_EQ(p.ServerLog().find("(idle limit)"), std::string::npos);
  CommandResult bad = RunStrata({"sftp", "serve", "--project", p.dir(), "--idle-timeout", "-1"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE((bad.out + bad.err).find("--idle-timeout"), std::string::npos) << bad.err;
  // strata serve runs the same server and takes the same limit.
  CommandResult serve_help = RunStrata({"serve", "--help"});
  EXPECT_NE(serve_help.out.find("--sftp-idle-timeout"), std::string::npos) << serve_help.out;
  CommandResult serve_bad =
      RunStrata({"serve", "--project", p.dir(), "--sftp-idle-timeout", "-5", "--port", "0"});
  EXPECT_NE(serve_bad.exit_code, 0);
  EXPECT_NE((serve_bad.out + serve_bad.err).find("--sftp-idle-timeout"), std::string::npos)
      << serve_bad.err;
}

}  // namespace
}  // namespace strata::test::sftp
