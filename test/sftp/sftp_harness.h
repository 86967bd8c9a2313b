// Test harness for the SFTP integration tests: a project made from examples/importau, a real
// `strata sftp serve` on a free loopback port, and the real OpenSSH `sftp` client (keys, or
// passwords through sshpass) driven with batch files.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_util.h"

namespace strata::test::sftp {

// Runs `argv` (argv[0] found on PATH) to completion; stdin from `stdin_text`.
CommandResult RunProgram(const std::vector<std::string>& argv, const std::string& stdin_text = "");

// Starts `argv` in the background with stdout+stderr to `log_path`; returns its pid.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path);

// As Spawn, with stdin a pipe whose write end is returned in `*stdin_fd` (the caller closes it).
pid_t SpawnWithInput(const std::vector<std::string>& argv, const std::string& log_path,
                     int* stdin_fd);

std::string ReadText(const std::string& path);
void WriteText(const std::string& path, const std::string& text);

// The header of examples/importau's pedidos.csv, and `rows` valid rows after it with ids from
// `first_id`.
inline constexpr const char* kPedidosHeader =
    "pedido_id,cliente_id,fornecedor_id,data_pedido,moeda,incoterm,status\n";
std::string PedidosCsv(int first_id, int rows);

// A project (copy of examples/importau, empty landing/) with a running SFTP server.
class SftpProject {
 public:
  SftpProject();
  ~SftpProject();  // stops the server (SIGTERM) if still running
  SftpProject(const SftpProject&) = delete;
  SftpProject& operator=(const SftpProject&) = delete;

  const std::string& dir() const { return project_; }
  const std::string& work() const { return work_; }  // scratch space for local files
  int port() const { return port_; }

  // Adds a key user (key pair generated under work()/keys/NAME) or a password user.
  void AddKeyUser(const std::string& name, bool read_only = false);
  void AddPasswordUser(const std::string& name, const std::string& password);
  std::string KeyPath(const std::string& name) const { return work_ + "/keys/" + name; }
  // Writes pipelines/after_pedidos.yaml: a pipeline with a file trigger on the pedidos source
  // whose one task runs `command` in the project directory with the trigger's input on stdin.
  void AddPedidosTriggeredPipeline(const std::string& command);

  // `env` ("NAME=value") is added to the server's environment.
  void StartServer(const std::vector<std::string>& extra_args = {},
                   const std::vector<std::string>& env = {});
  // SIGTERM and wait; returns the server's exit code.
  int StopServer();
  // SIGKILL (kill -9) and wait: the process dies wherever it is.
  void KillServer();
  // Waits (up to `timeout_seconds`) until the server's log holds `text`.
  bool WaitForLog(const std::string& text, int timeout_seconds = 60) const;
  std::string ServerLog() const;

  // One sftp batch session as `user` (key auth), run from work() as the local directory.
  CommandResult Sftp(const std::string& user, const std::string& batch) const;
  // The command line of that session (for running it in the background); with limit_kbits > 0
  // the client sends at most that many Kbit/s (sftp -l).
  std::vector<std::string> SftpArgv(const std::string& user, const std::string& batch_file,
                                    int limit_kbits = 0) const;
  CommandResult SftpWithPassword(const std::string& user, const std::string& password,
                                 const std::string& batch) const;
  // The local address the clients connect from ("" = the kernel's choice, 127.0.0.1): any
  // 127.x.y.z, to play another client address on loopback (ssh -o BindAddress).
  void set_client_address(std::string address) { client_address_ = std::move(address); }

  // `strata sftp arrivals --json`, newest first.
  nlohmann::json Arrivals() const;
  // Waits (up to `timeout_seconds`) until `count` arrivals exist and none is still "received".
  nlohmann::json WaitForArrivals(size_t count, int timeout_seconds = 120) const;
  // `strata sql` on the project's lake; the CSV output.
  CommandResult Sql(const std::string& query) const;
  // The single integer `query` returns (-1 if it returns none; a failed query fails the test).
  int64_t Count(const std::string& query) const;

 private:
  // The client's common -o options and the server's port.
  void AppendClientOptions(std::vector<std::string>& argv) const;
  // Writes `batch` to a new file under work() and returns its path.
  std::string NextBatchFile(const std::string& batch) const;

  TempDir temp_;
  std::string project_, work_;
  pid_t server_ = -1;
  int port_ = 0;
  std::string client_address_;
  mutable int batches_ = 0;  // numbers the files of NextBatchFile()
  int starts_ = 0;
};

}  // namespace strata::test::sftp
