#include "test_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace strata::test {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string TempRoot() {
  const char* root = std::getenv("STRATA_TEST_TMP");
  std::string dir = root && *root ? root : "/tmp";
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = TempRoot() + "/strata-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

// Fails the running test if a Delta table under `dir` breaks the protocol.
void ExpectConformingTables(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir + "/STRATA_NONCONFORMING_OK", ec)) return;
  bool any_table = false;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().filename() == "_delta_log") {
      any_table = true;
      break;
    }
  }
  if (!any_table) return;
  CommandResult check = RunStrata({"table", "check", dir});
  if (check.exit_code != 0) {
    ADD_FAILURE() << "Delta tables under " << dir << " break the protocol:\n"
                  << check.out << check.err;
  }
}

TempDir::~TempDir() {
  ExpectConformingTables(path_);
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

CommandResult RunStrata(const std::vector<std::string>& args, const std::string& stdin_text) {
  TempDir io;
  const std::string in_path = io.path() + "/stdin", out_path = io.path() + "/stdout",
                    err_path = io.path() + "/stderr";
  std::ofstream(in_path, std::ios::binary) << stdin_text;

  std::vector<std::string> argv_storage = {STRATA_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  pid_t pid = fork();
  if (pid == 0) {
    int in = open(in_path.c_str(), O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  CommandResult result;
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

}  // namespace strata::test
