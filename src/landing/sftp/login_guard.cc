#include "landing/sftp/login_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

namespace strata::sftp {

const char* OutcomeName(LoginEvent::Outcome outcome) {
  switch (outcome) {
    case LoginEvent::Outcome::kAccepted:
      return "accepted";
    case LoginEvent::Outcome::kFailed:
      return "failed";
    case LoginEvent::Outcome::kLocked:
      return "locked";
    case LoginEvent::Outcome::kRefused:
      return "refused";
  }
  return "unknown";
}

// The client's IP address as text ("unknown" if the socket has none); an IPv4 client on an
// IPv6 socket is shown as IPv4.
std::string PeerAddress(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  char text[INET6_ADDRSTRLEN] = "";
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "unknown";
  if (address.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address)->sin_addr, text, sizeof text);
  } else if (address.ss_family == AF_INET6) {
    const in6_addr& v6 = reinterpret_cast<sockaddr_in6*>(&address)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      ::inet_ntop(AF_INET, &v6.s6_addr[12], text, sizeof text);
    } else {
      ::inet_ntop(AF_INET6, &v6, text, sizeof text);
    }
  }
  return text[0] == '\0' ? "unknown" : text;
}

// What the per-address limits count by: the address itself, or for IPv6 its /64 (one host
// usually holds a whole /64, so counting single IPv6 addresses would limit nothing).
std::string LimitKey(const std::string& address) {
  in6_addr v6;
  if (address.find(':') == std::string::npos || ::inet_pton(AF_INET6, address.c_str(), &v6) != 1) {
    return address;
  }
  std::memset(&v6.s6_addr[8], 0, 8);
  char text[INET6_ADDRSTRLEN] = "";
  ::inet_ntop(AF_INET6, &v6, text, sizeof text);
  return std::string(text) + "/64";
}

std::string SanitizeUserName(std::string_view name) {
  std::string out(name.substr(0, 64));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';  // no newlines or escapes forged into the log
  }
  return out;
}

bool LoginGuard::Expire(Entry& entry, int64_t now) const {
  const int64_t window = int64_t{limits_.failure_window_seconds} * 1'000'000;
  while (!entry.failures.empty() && now - entry.failures.front() >= window) {
    entry.failures.pop_front();
  }
  if (entry.locked_until != 0 && now >= entry.locked_until) entry.locked_until = 0;
  return entry.failures.empty() && entry.locked_until == 0;
}

bool LoginGuard::Count(Entry& entry, int64_t now) {
  Expire(entry, now);
  entry.last_seen = now;
  entry.failures.push_back(now);
  // Only the last max_failures matter: the deque stays small whatever a client does.
  const size_t keep = static_cast<size_t>(std::max(limits_.max_failures, 1));
  while (entry.failures.size() > keep) entry.failures.pop_front();
  if (limits_.max_failures <= 0 || entry.locked_until != 0) return false;
  if (static_cast<int>(entry.failures.size()) < limits_.max_failures) return false;
  entry.locked_until = now + int64_t{limits_.lockout_seconds} * 1'000'000;
  // The lock starts a fresh count: once it runs out, the next failure alone does not relock.
  entry.failures.clear();
  return true;
}

void LoginGuard::Prune(Map& map, int64_t now) {
  if (map.size() < kMaxEntries) return;
  for (auto it = map.begin(); it != map.end();) {
    it = Expire(it->second, now) ? map.erase(it) : std::next(it);
  }
  if (map.size() < kMaxEntries) return;
  // Still full of live entries (a spray of names or addresses): the stalest eighth goes at once,
  // so the scan above runs once per kMaxEntries / 8 failures, not on every one.
  std::vector<std::pair<int64_t, Map::iterator>> by_age;
  by_age.reserve(map.size());
  for (auto it = map.begin(); it != map.end(); ++it) by_age.emplace_back(it->second.last_seen, it);
  const size_t drop = map.size() / 8;
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(drop), by_age.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < drop; ++i) map.erase(by_age[i].second);
}

int64_t LoginGuard::DelayFor(int failures) const {
  if (limits_.failure_delay_ms <= 0 || failures <= 0) return 0;
  int64_t delay = limits_.failure_delay_ms;
  for (int i = 1; i < failures && delay < limits_.max_failure_delay_ms; ++i) delay *= 2;
  return std::min<int64_t>(delay, std::max(limits_.max_failure_delay_ms, 0)) * 1000;
}

std::optional<LoginGuard::Lock> LoginGuard::Locked(const std::string& address,
                                                   const std::string& user, bool password) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_.MonotonicMicros();
  auto seconds_left = [now](int64_t until) {
    return std::max<int64_t>(1, (until - now + 999'999) / 1'000'000);
  };
  if (auto it = addresses_.find(address); it != addresses_.end()) {
    Expire(it->second, now);
    if (it->second.locked_until != 0) {
      return Lock{Scope::kAddress, seconds_left(it->second.locked_until)};
    }
  }
  if (!password) return std::nullopt;
  if (auto it = users_.find(user); it != users_.end()) {
    Expire(it->second, now);
    if (it->second.locked_until != 0) {
      return Lock{Scope::kUser, seconds_left(it->second.locked_until)};
    }
  }
  return std::nullopt;
}

LoginGuard::Failure LoginGuard::RecordFailure(const std::string& address, const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_.MonotonicMicros();
  Prune(addresses_, now);
  Prune(users_, now);
  Failure failure;
  Entry& by_address = addresses_[address];
  failure.address_locked = Count(by_address, now);
  failure.address_failures =
      failure.address_locked ? limits_.max_failures : static_cast<int>(by_address.failures.size());
  Entry& by_user = users_[user];
  failure.user_locked = Count(by_user, now);
  failure.user_failures =
      failure.user_locked ? limits_.max_failures : static_cast<int>(by_user.failures.size());
  failure.delay_micros = DelayFor(std::max(failure.address_failures, failure.user_failures));
  return failure;
}

void LoginGuard::RecordSuccess(const std::string& address, const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_.MonotonicMicros();
  // A lock still running stays (a key login may succeed while the user's passwords are locked).
  for (auto [map, key] : {std::pair{&addresses_, &address}, std::pair{&users_, &user}}) {
    auto it = map->find(*key);
    if (it == map->end()) continue;
    it->second.failures.clear();
    if (Expire(it->second, now)) map->erase(it);
  }
}

size_t LoginGuard::EntriesForTest() {
  std::lock_guard<std::mutex> lock(mu_);
  return addresses_.size() + users_.size();
}

}  // namespace strata::sftp
