// SFTP landing zone benchmark: a large upload (default 2 GB; `sftp_bench MB` for another size)
// through the real OpenSSH client into the embedded server, then its arrival (hash, archive,
// catalog) and bronze load. Baselines in the same run: copying the same file on the same disk
// (what an upload cannot beat) and hashing it (what every arrival must do).
//
// Prints: upload time vs. copy (the protocol's overhead), arrival-to-loaded time vs. hashing,
// and the end-to-end throughput. This is also the 2 GB "never a crash" check: the run fails
// (exit 1) unless the file arrives whole, loads every row and nothing is half written.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "landing/sftp/intake.h"
#include "landing/sftp/server.h"
#include "landing/sftp/users.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

int Run(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t megabytes = argc > 1 ? std::atoll(argv[1]) : 2048;
  char pattern[] = "/tmp/strata-sftp-bench-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return 1;
  const std::string root = pattern, project = root + "/project", work = root + "/work";
  fs::create_directories(project + "/sources");
  fs::create_directories(project + "/landing");
  fs::create_directories(work);
  std::ofstream(project + "/strata.yaml") << "name: sftpbench\n";
  std::ofstream(project + "/sources/pedidos.yaml")
      << "sources:\n  - name: pedidos\n    files: \"pedidos*.csv\"\n    columns:\n"
         "      - {name: pedido_id, type: BIGINT}\n      - {name: cliente_id, type: BIGINT}\n"
         "      - {name: status, type: VARCHAR}\n";

  // The file: valid rows up to the requested size.
  const std::string big = work + "/pedidos_big.csv";
  int64_t rows = 0;
  {
    std::ofstream out(big, std::ios::binary);
    out << "pedido_id,cliente_id,status\n";
    const int64_t target = megabytes * 1024 * 1024;
    std::string line;
    for (int64_t written = 0; written < target; written += static_cast<int64_t>(line.size())) {
      ++rows;
      line = std::to_string(rows) + "," + std::to_string(rows % 9973) +
             ",entregue_com_atraso_pelo_fornecedor_padding\n";
      out << line;
    }
  }
  const auto size = static_cast<int64_t>(fs::file_size(big));
  std::printf("file: %.1f MB, %lld rows\n", size / 1048576.0, static_cast<long long>(rows));

  auto start = Clock::now();
  fs::copy_file(big, work + "/copy.csv");
  const double copy_s = Seconds(start);
  fs::remove(work + "/copy.csv");
  start = Clock::now();
  auto hashed = strata::sftp::HashFile(big);
  const double hash_s = Seconds(start);
  if (!hashed.ok()) return 1;

  if (Run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", work + "/key"}) != 0) return 1;
  strata::sftp::SftpUser user;
  user.name = "acme";
  user.public_keys = {ReadFile(work + "/key.pub")};
  while (!user.public_keys[0].empty() && user.public_keys[0].back() == '\n') {
    user.public_keys[0].pop_back();
  }
  auto server = strata::sftp::SftpServer::Create({.project_dir = project, .port = 0});
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  if (!strata::sftp::UserStore((*server)->landing_zone().UsersPath()).Add(user).ok()) return 1;
  if (!(*server)->Start().ok()) return 1;
  std::ofstream(work + "/batch") << "put " << big << "\n";

  start = Clock::now();
  int rc = Run({"sftp", "-q", "-o", "StrictHostKeyChecking=no", "-o",
                "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-i", work + "/key",
                "-P", std::to_string((*server)->port()), "-b", work + "/batch", "acme@127.0.0.1"});
  const double upload_s = Seconds(start);
  start = Clock::now();
  (*server)->WaitIdle();
  const double arrive_s = Seconds(start);
  auto arrivals = (*server)->landing_zone().List({});
  (*server)->Stop();

  bool ok = rc == 0 && arrivals.ok() && arrivals->size() == 1 && (*arrivals)[0].state == "loaded" &&
            (*arrivals)[0].size_bytes == size && (*arrivals)[0].rows_loaded == rows &&
            (*arrivals)[0].sha256 == hashed->first;
  std::printf("copy on disk (baseline)      %8.2f s\n", copy_s);
  std::printf("sftp upload                  %8.2f s   x%.2f of the copy, %.0f MB/s\n", upload_s,
              upload_s / copy_s, size / 1048576.0 / upload_s);
  std::printf("sha-256 of the file (base)   %8.2f s\n", hash_s);
  std::printf("arrival -> loaded in bronze  %8.2f s   x%.2f of hashing, %.0f rows/s\n", arrive_s,
              arrive_s / hash_s, rows / arrive_s);
  std::printf("outcome: %s\n",
              ok ? "arrived whole, every row loaded once"
                 : (arrivals.ok() && !arrivals->empty()
                        ? ((*arrivals)[0].state + ": " + (*arrivals)[0].reason).c_str()
                        : "no arrival"));
  std::error_code ec;
  fs::remove_all(root, ec);
  return ok ? 0 : 1;
}
