#include "orchestrator/service/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

extern char** environ;

namespace strata::orchestrator::service {
namespace {

constexpr size_t kMaxStdout = 64u << 20;
constexpr size_t kStderrTail = 4096;

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

class SpawnActions {
 public:
  SpawnActions() { posix_spawn_file_actions_init(&actions_); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

class SpawnAttr {
 public:
  SpawnAttr() { posix_spawnattr_init(&attr_); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr_); }
  posix_spawnattr_t* get() { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

std::vector<std::string> BuildEnvironment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    std::string key = entry.substr(0, entry.find('='));
    if (!extra.count(key)) env.push_back(entry);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

}  // namespace

Result<CommandOutcome> RunCommand(const CommandSpec& spec, const CancellationToken& cancel,
                                  const std::function<void()>& on_output) {
  if (spec.argv.empty()) return Status::InvalidArgument("command: empty argv");
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0)
    return Status::IOError("pipe: " + std::string(strerror(errno)));
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0)
    return Status::IOError("pipe: " + std::string(strerror(errno)));
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);

  SpawnActions actions;
  const std::string stdin_path = spec.stdin_path.empty() ? "/dev/null" : spec.stdin_path;
  posix_spawn_file_actions_addopen(actions.get(), 0, stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(actions.get(), out_write.get(), 1);
  posix_spawn_file_actions_adddup2(actions.get(), err_write.get(), 2);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(actions.get(), spec.cwd.c_str());
  SpawnAttr attr;
  // Own process group: cancellation signals the whole tree the program starts.
  posix_spawnattr_setflags(attr.get(),
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(attr.get(), 0);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(attr.get(), &none);
  posix_spawnattr_setsigdefault(attr.get(), &all);

  std::vector<char*> argv;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = BuildEnvironment(spec.env);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], actions.get(), attr.get(), argv.data(), envp.data());
  if (rc != 0) {
    return Status::IOError("cannot start '" + spec.argv[0] + "'" +
                           (spec.cwd.empty() ? "" : " in " + spec.cwd) + ": " + strerror(rc));
  }
  out_write.Reset();
  err_write.Reset();

  std::ofstream log;
  if (!spec.log_path.empty()) log.open(spec.log_path, std::ios::app | std::ios::binary);

  CommandOutcome outcome;
  std::string err_text;
  bool too_much = false;
  int64_t term_sent_at = -1;
  auto now = [] { return Clock::System().MonotonicMicros(); };
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    if (cancel.IsCancelled() && term_sent_at < 0) {
      outcome.cancelled = true;
      ::kill(-pid, SIGTERM);
      term_sent_at = now();
      if (log) log << "\n[strata] cancelled (" << cancel.Reason() << "): sent SIGTERM\n";
    }
    if (term_sent_at >= 0 && now() - term_sent_at > spec.kill_grace_micros) {
      ::kill(-pid, SIGKILL);
      term_sent_at = now() + (int64_t{1} << 50);  // once
    }
    pollfd fds[2] = {{out_open ? out_read.get() : -1, POLLIN, 0},
                     {err_open ? err_read.get() : -1, POLLIN, 0}};
    int n = ::poll(fds, 2, 100);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        (i == 0 ? out_open : err_open) = false;
        continue;
      }
      if (log) log.write(buf, got);
      if (on_output) on_output();
      if (i == 0) {
        if (outcome.stdout_text.size() + got > kMaxStdout) {
          too_much = true;
        } else {
          outcome.stdout_text.append(buf, got);
        }
      } else {
        err_text.append(buf, got);
        if (err_text.size() > 2 * kStderrTail) err_text.erase(0, err_text.size() - kStderrTail);
      }
    }
  }
  // Pipes closed: the program (and any child holding them) is gone or closed them; reap it.
  // The pipes close a moment before the process can be reaped, so the first waits are short
  // (a fixed 10 ms sleep here was most of the orchestrator's cost per command task).
  int status = 0;
  useconds_t backoff = 50;
  while (true) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) break;
    if (cancel.IsCancelled() && term_sent_at < 0) {
      outcome.cancelled = true;
      ::kill(-pid, SIGTERM);
      term_sent_at = now();
    }
    if (term_sent_at >= 0 && now() - term_sent_at > spec.kill_grace_micros) {
      ::kill(-pid, SIGKILL);
      term_sent_at = now() + (int64_t{1} << 50);
    }
    ::usleep(backoff);
    backoff = std::min<useconds_t>(backoff * 2, 10'000);
  }
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  if (err_text.size() > kStderrTail) err_text.erase(0, err_text.size() - kStderrTail);
  outcome.stderr_tail = std::move(err_text);
  if (too_much) {
    return Status::IOError("command '" + spec.argv[0] + "' wrote more than 64 MB on stdout");
  }
  return outcome;
}

}  // namespace strata::orchestrator::service
