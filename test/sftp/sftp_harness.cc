#include "sftp/sftp_harness.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <fstream>
#include <sstream>
#include <thread>

namespace strata::test::sftp {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void Exec(const std::vector<std::string>& argv) {
  std::vector<std::string> storage = argv;
  std::vector<char*> args;
  for (std::string& arg : storage) args.push_back(arg.data());
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

}  // namespace

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

CommandResult RunProgram(const std::vector<std::string>& argv, const std::string& stdin_text) {
  TempDir io;
  const std::string in = io.path() + "/in", out = io.path() + "/out", err = io.path() + "/err";
  WriteText(in, stdin_text);
  pid_t pid = fork();
  if (pid == 0) {
    int fd_in = open(in.c_str(), O_RDONLY);
    int fd_out = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fd_err = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd_in < 0 || fd_out < 0 || fd_err < 0) _exit(127);
    dup2(fd_in, 0);
    dup2(fd_out, 1);
    dup2(fd_err, 2);
    Exec(argv);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadText(out);
  result.err = ReadText(err);
  return result;
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  pid_t pid = fork();
  if (pid == 0) {
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = open("/dev/null", O_RDONLY);
    if (log < 0 || null < 0) _exit(127);
    dup2(null, 0);
    dup2(log, 1);
    dup2(log, 2);
    Exec(argv);
  }
  return pid;
}

pid_t SpawnWithInput(const std::vector<std::string>& argv, const std::string& log_path,
                     int* stdin_fd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log < 0) _exit(127);
    dup2(fds[0], 0);
    dup2(log, 1);
    dup2(log, 2);
    close(fds[0]);
    close(fds[1]);
    Exec(argv);
  }
  close(fds[0]);
  *stdin_fd = fds[1];
  return pid;
}

SftpProject::SftpProject() {
  project_ = temp_.path() + "/importau";
  work_ = temp_.path() + "/work";
  const fs::path example = fs::path(STRATA_SOURCE_DIR) / "examples" / "importau";
  fs::create_directories(project_);
  for (const char* part : {"strata.yaml", "sources", "models"}) {
    fs::copy(example / part, fs::path(project_) / part, fs::copy_options::recursive);
  }
  fs::create_directories(project_ + "/landing");
  fs::create_directories(work_ + "/keys");
}

SftpProject::~SftpProject() {
  if (server_ > 0) StopServer();
}

void SftpProject::AddPedidosTriggeredPipeline(const std::string& command) {
  WriteText(project_ + "/pipelines/after_pedidos.yaml",
            "description: Runs when a pedidos file arrived.\n"
            "triggers:\n"
            "  - {file: \"*/pedidos*.csv\", source: pedidos}\n"
            "StartAt: Record\n"
            "States:\n"
            "  Record:\n"
            "    Type: Task\n"
            "    Resource: strata:command\n"
            "    Parameters:\n"
            "      command: " +
                command +
                "\n"
                "      input.$: $\n"
                "    End: true\n");
}

void SftpProject::AddKeyUser(const std::string& name, bool read_only) {
  const std::string key = KeyPath(name);
  CommandResult made =
      RunProgram({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::vector<std::string> args = {"sftp",  "user",       "add",       name,
                                   "--key", key + ".pub", "--project", project_};
  if (read_only) args.push_back("--read-only");
  CommandResult added = RunStrata(args);
  ASSERT_EQ(added.exit_code, 0) << added.err;
}

void SftpProject::AddPasswordUser(const std::string& name, const std::string& password) {
  CommandResult added = RunStrata(
      {"sftp", "user", "add", name, "--password-stdin", "--project", project_}, password + "\n");
  ASSERT_EQ(added.exit_code, 0) << added.err;
}

void SftpProject::StartServer(const std::vector<std::string>& extra_args,
                              const std::vector<std::string>& env) {
  std::vector<std::string> argv = {"env"};
  argv.insert(argv.end(), env.begin(), env.end());
  for (const std::string& arg :
       {std::string(STRATA_BINARY), std::string("sftp"), std::string("serve"),
        std::string("--project"), project_, std::string("--port"), std::string("0"),
        std::string("--log-level"), std::string("info")}) {
    argv.push_back(arg);
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  // The previous run's log moves aside first: its "listening on" line names an old port.
  std::error_code ec;
  fs::rename(work_ + "/server.log", work_ + "/server.log." + std::to_string(starts_++), ec);
  server_ = Spawn(argv, work_ + "/server.log");
  ASSERT_GT(server_, 0);
  const std::string listening = "listening on 127.0.0.1:";
  for (int i = 0; i < 600; ++i) {
    std::string log = ReadText(work_ + "/server.log");
    size_t at = log.find(listening);
    if (at != std::string::npos && log.find(' ', at + listening.size()) != std::string::npos) {
      port_ = std::stoi(log.substr(at + listening.size()));
      return;
    }
    int status;
    ASSERT_EQ(waitpid(server_, &status, WNOHANG), 0) << "server exited: " << log;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL() << "the server did not start: " << ServerLog();
}

int SftpProject::StopServer() {
  if (server_ <= 0) return -1;
  kill(server_, SIGTERM);
  int status = 0;
  waitpid(server_, &status, 0);
  server_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void SftpProject::KillServer() {
  if (server_ <= 0) return;
  kill(server_, SIGKILL);
  waitpid(server_, nullptr, 0);
  server_ = -1;
}

bool SftpProject::WaitForLog(const std::string& text, int timeout_seconds) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ServerLog().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string SftpProject::ServerLog() const { return ReadText(work_ + "/server.log"); }

namespace {

// Appends `more` to `argv`.
void Append(std::vector<std::string>& argv, std::initializer_list<std::string> more) {
  argv.insert(argv.end(), more);
}

}  // namespace

std::vector<std::string> SftpProject::SftpArgv(const std::string& user,
                                               const std::string& batch_file,
                                               int limit_kbits) const {
  std::vector<std::string> argv = {"sftp"};
  if (limit_kbits > 0) Append(argv, {"-l", std::to_string(limit_kbits)});
  AppendClientOptions(argv);
  Append(argv, {"-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no", "-i", KeyPath(user),
                "-b", batch_file, user + "@127.0.0.1"});
  return argv;
}

void SftpProject::AppendClientOptions(std::vector<std::string>& argv) const {
  Append(argv, {"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
                "LogLevel=ERROR", "-P", std::to_string(port_)});
  if (!client_address_.empty()) Append(argv, {"-o", "BindAddress=" + client_address_});
}

std::string SftpProject::NextBatchFile(const std::string& batch) const {
  const std::string file = work_ + "/batch-" + std::to_string(batches_++);
  WriteText(file, batch);
  return file;
}

CommandResult SftpProject::Sftp(const std::string& user, const std::string& batch) const {
  std::vector<std::string> argv = {"sh", "-c", "cd \"$0\" && exec \"$@\"", work_};
  for (const std::string& arg : SftpArgv(user, NextBatchFile(batch))) argv.push_back(arg);
  return RunProgram(argv);
}

CommandResult SftpProject::SftpWithPassword(const std::string& user, const std::string& password,
                                            const std::string& batch) const {
  const std::string file = NextBatchFile(batch);
  // BatchMode must be off for a password prompt, and must come before -b to win.
  std::vector<std::string> argv = {
      "sh", "-c",          "cd \"$0\" && exec \"$@\"", work_, "sshpass", "-p", password, "sftp",
      "-o", "BatchMode=no"};
  AppendClientOptions(argv);
  Append(argv, {"-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password", "-b",
                file, user + "@127.0.0.1"});
  return RunProgram(argv, "");
}

nlohmann::json SftpProject::Arrivals() const {
  CommandResult listed =
      RunStrata({"sftp", "arrivals", "--project", project_, "--json", "--limit", "1000"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  auto parsed = nlohmann::json::parse(listed.out, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json::array() : parsed;
}

nlohmann::json SftpProject::WaitForArrivals(size_t count, int timeout_seconds) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  nlohmann::json arrivals;
  while (std::chrono::steady_clock::now() < deadline) {
    arrivals = Arrivals();
    bool settled = arrivals.size() >= count;
    for (const auto& a : arrivals) settled = settled && a["state"] != "received";
    if (settled) return arrivals;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ADD_FAILURE() << "arrivals did not settle: " << arrivals.dump(2) << "\n" << ServerLog();
  return arrivals;
}

CommandResult SftpProject::Sql(const std::string& query) const {
  return RunStrata({"sql", "--lake", project_ + "/lake", "--format", "csv", query});
}

int64_t SftpProject::Count(const std::string& query) const {
  CommandResult result = Sql(query);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  // CSV: the header line, then the value.
  size_t newline = result.out.find('\n');
  return newline == std::string::npos ? -1 : std::stoll(result.out.substr(newline + 1));
}

std::string PedidosCsv(int first_id, int rows) {
  std::string text = kPedidosHeader;
  for (int i = 0; i < rows; ++i) {
    text += std::to_string(first_id + i) + ",10,100,2024-03-01,USD,FOB,aberto\n";
  }
  return text;
}

}  // namespace strata::test::sftp
