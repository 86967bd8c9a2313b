// Running a program for a `strata:command` task: no shell unless asked for, its own process
// group (so cancellation reaches its children), stdout captured (the task's result), stdout and
// stderr appended to the task log as they arrive, the tail of stderr kept for the error cause.
// Thread-safe (each call is independent; posix_spawn, no fork of a threaded process).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "orchestrator/executor.h"

namespace strata::orchestrator::service {

struct CommandSpec {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH unless it has a '/'
  std::map<std::string, std::string> env;  // added to (and overriding) the inherited environment
  std::string cwd;                         // absolute working directory
  std::string stdin_path;                  // file given as stdin ("" = /dev/null)
  std::string log_path;                    // appended to ("" = no log)
  int64_t kill_grace_micros = 2'000'000;   // SIGTERM, then SIGKILL after this
};

struct CommandOutcome {
  int exit_code = -1;  // when the program exited
  int signal = 0;      // when a signal ended it
  bool cancelled = false;
  std::string stdout_text;
  std::string stderr_tail;  // the last 4 KB
};

// Runs to completion or until `cancel` fires (then the process group is terminated and
// `cancelled` set). `on_output` is called whenever the program writes (heartbeats).
// IOError when the program cannot be started (not found, not executable) or stdout exceeds
// 64 MB.
Result<CommandOutcome> RunCommand(const CommandSpec& spec, const CancellationToken& cancel,
                                  const std::function<void()>& on_output);

}  // namespace strata::orchestrator::service
