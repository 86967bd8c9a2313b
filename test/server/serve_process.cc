#include "server/serve_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace strata::test {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

ServeProcess::ServeProcess(const std::string& project, const std::vector<std::string>& extra) {
  const char* root = std::getenv("STRATA_TEST_TMP");
  std::string pattern = std::string(root && *root ? root : "/tmp") + "/strata-serve-XXXXXX";
  std::filesystem::create_directories(std::filesystem::path(pattern).parent_path());
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  std::vector<std::string> args = {STRATA_BINARY, "serve", "--project",   project,
                                   "--port",      "0",     "--sftp-port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string out_path = dir_ + "/stdout", err_path = dir_ + "/stderr";
  pid_ = fork();
  if (pid_ == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) _exit(127);
    dup2(out, 1);
    dup2(err, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  // "listening on http://127.0.0.1:PORT/" (https:// when serving TLS).
  const std::string listening = "://127.0.0.1:";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string out = ReadAll(out_path);
    const size_t line = out.find("listening on http");
    const size_t at = line == std::string::npos ? line : out.find(listening, line);
    const size_t end = at == std::string::npos ? at : out.find('/', at + listening.size());
    if (end != std::string::npos) {
      port_ = std::stoi(out.substr(at + listening.size(), end - at - listening.size()));
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("strata serve exited before listening: " + ReadAll(err_path));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Stop(SIGKILL);
  throw std::runtime_error("strata serve did not listen within 120 s: " + ReadAll(err_path));
}

int ServeProcess::Stop(int signal) {
  if (pid_ > 0) {
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
  }
  return exit_code_;
}

std::string ServeProcess::Stderr() const { return ReadAll(dir_ + "/stderr"); }
std::string ServeProcess::Stdout() const { return ReadAll(dir_ + "/stdout"); }

ServeProcess::~ServeProcess() {
  Stop(SIGKILL);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace strata::test
