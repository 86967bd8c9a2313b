// Brute-force defence of the SFTP server: counts failed logins per client address and per user
// name, locks either out for a while once it failed too often, and says how long to make the
// client wait after each failure. Internal to the sftp layer (server.cc, auth.cc use it); the
// limits and the login event are part of SftpServerOptions.
//
//   LoginGuard guard(limits, Clock::System());
//   if (auto lock = guard.Locked(address, user, /*password=*/true)) { refuse; }
//   ... on a wrong password:  LoginGuard::Failure f = guard.RecordFailure(address, user);
//   ... on a good one:        guard.RecordSuccess(address, user);
//
// Scope of a lock: a locked address is refused whatever it tries (keys too); a locked user name
// is refused password logins only, from every address. Keys cannot be guessed, so a stranger who
// types a key partner's name five times cannot lock that partner out.
// Memory is bounded: entries whose failures left the window and whose lock ran out are dropped,
// and past kMaxEntries per kind the stalest entry goes (its counter restarts; the other kind of
// counter still applies).
// Thread-safe: every method takes the guard's mutex (short, no I/O).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace strata::sftp {

struct LoginLimits {
  // This many failed logins within `failure_window_seconds`, from one address or for one user
  // name, lock it out for `lockout_seconds`. max_failures 0 = never lock.
  int max_failures = 5;
  int failure_window_seconds = 60;
  int lockout_seconds = 300;
  // The answer to a failed (or locked-out) login waits failure_delay_ms, doubled for each recent
  // failure of that address, at most max_failure_delay_ms. 0 = answer at once.
  int failure_delay_ms = 250;
  int max_failure_delay_ms = 4000;
};

// One login attempt's outcome, for the audit (SftpServerOptions::on_login). Never holds a
// password.
struct LoginEvent {
  enum class Outcome {
    kAccepted,  // credentials good, session admitted
    kFailed,    // wrong password, unknown user, key not authorized, bad signature
    kLocked,    // refused without checking: the address or the user name is locked out
    kRefused,   // credentials good, but every session slot is taken
  };
  Outcome outcome = Outcome::kFailed;
  std::string user;       // as the client sent it, made printable (SanitizeUserName)
  std::string address;    // the client's IP address
  std::string method;     // "password" or "publickey"
  std::string detail;     // why, for people: "wrong password", "address locked for 287 s", ...
  int64_t at_micros = 0;  // Clock::NowMicros of the server's clock
};

const char* OutcomeName(LoginEvent::Outcome outcome);

// The IP address of the peer of socket `fd` as text, "unknown" if it has none; an IPv4 client
// on an IPv6 socket is shown as IPv4.
std::string PeerAddress(int fd);
// What per-address limits count by: the address itself, or for IPv6 its /64 ("2001:db8::/64"):
// one host usually holds a whole /64, so counting single IPv6 addresses would limit nothing.
std::string LimitKey(const std::string& address);

// A client-chosen user name made safe to log and to key a map by: at most 64 bytes, every byte
// outside printable ASCII replaced by '?'.
std::string SanitizeUserName(std::string_view name);

class LoginGuard {
 public:
  static constexpr size_t kMaxEntries = 4096;

  enum class Scope { kAddress, kUser };
  struct Lock {
    Scope scope;
    int64_t seconds_left;  // at least 1
  };
  struct Failure {
    int address_failures = 0;  // within the window, this one included
    int user_failures = 0;
    bool address_locked = false;  // this failure locked the address now
    bool user_locked = false;     // ... or the user name
    int64_t delay_micros = 0;     // how long to hold the answer
  };

  LoginGuard(LoginLimits limits, Clock& clock) : limits_(limits), clock_(clock) {}

  // The lock that refuses this attempt, if any (`password`: the attempt is a password login).
  std::optional<Lock> Locked(const std::string& address, const std::string& user, bool password);
  Failure RecordFailure(const std::string& address, const std::string& user);
  // A good login clears the failures of its address and its user name.
  void RecordSuccess(const std::string& address, const std::string& user);
  // The delay for an attempt refused because of a lock: the longest.
  int64_t LockedDelayMicros() const { return int64_t{limits_.max_failure_delay_ms} * 1000; }
  const LoginLimits& limits() const { return limits_; }
  size_t EntriesForTest();

 private:
  struct Entry {
    std::deque<int64_t> failures;  // monotonic micros, oldest first, within the window
    int64_t locked_until = 0;      // monotonic micros; 0 = not locked
    int64_t last_seen = 0;
  };
  using Map = std::unordered_map<std::string, Entry>;

  // Drops failures older than the window; true if the entry holds nothing any more.
  bool Expire(Entry& entry, int64_t now) const;
  // Counts a failure in `entry`; true if it locked the entry now.
  bool Count(Entry& entry, int64_t now);
  void Prune(Map& map, int64_t now);
  int64_t DelayFor(int failures) const;

  const LoginLimits limits_;
  Clock& clock_;
  std::mutex mu_;
  Map addresses_;
  Map users_;
};

}  // namespace strata::sftp
