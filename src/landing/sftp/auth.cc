#include "landing/sftp/auth.h"

#include <libssh/server.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "common/logging.h"

namespace strata::sftp {
namespace {

// Auth requests with a method one connection may make; the lockout counts across connections.
constexpr int kMaxAuthAttempts = 10;
constexpr int kAuthMethods = SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_PASSWORD;

struct KeyFree {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using Key = std::unique_ptr<ssh_key_struct, KeyFree>;

bool KeyMatches(ssh_key offered, const std::vector<std::string>& authorized) {
  if (offered == nullptr) return false;
  for (const std::string& line : authorized) {
    size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    std::string type = line.substr(0, space);
    std::string rest = line.substr(space + 1);
    std::string base64 = rest.substr(0, rest.find(' '));
    ssh_key stored = nullptr;
    if (ssh_pki_import_pubkey_base64(base64.c_str(), ssh_key_type_from_name(type.c_str()),
                                     &stored) != SSH_OK) {
      continue;
    }
    Key owned(stored);
    if (ssh_key_cmp(offered, stored, SSH_KEY_CMP_PUBLIC) == 0) return true;
  }
  return false;
}

void ReplyFailure(ssh_message message) {
  ssh_message_auth_set_methods(message, kAuthMethods);
  ssh_message_reply_default(message);
}

}  // namespace

Authenticator::Verdict Authenticator::Check(ssh_message message, const SftpUser* known,
                                            std::string* why) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  if (ssh_message_subtype(message) == SSH_AUTH_METHOD_PUBLICKEY) {
    if (known == nullptr) {
      *why = "unknown user";
      return Verdict::kFailedNotCounted;
    }
    if (!KeyMatches(ssh_message_auth_pubkey(message), known->public_keys)) {
      *why = "key not authorized";
      return Verdict::kFailedNotCounted;
    }
    switch (ssh_message_auth_publickey_state(message)) {
      case SSH_PUBLICKEY_STATE_NONE:
        return Verdict::kKeyOk;  // the key would do: the client signs next
      case SSH_PUBLICKEY_STATE_VALID:
        return Verdict::kAccepted;
      default:
        *why = "bad signature";
        return Verdict::kFailedCounted;
    }
  }
  const char* password = ssh_message_auth_password(message);
#pragma GCC diagnostic pop
  if (known == nullptr) {
    *why = "unknown user";
  } else if (known->password_hash.empty()) {
    *why = "the user has no password";
  } else if (password != nullptr && VerifyPassword(known->password_hash, password)) {
    return Verdict::kAccepted;
  } else {
    *why = "wrong password";
  }
  return Verdict::kFailedCounted;
}

void Authenticator::Report(const Attempt& attempt, LoginEvent::Outcome outcome,
                           const std::string& detail) {
  if (!hook_) return;
  LoginEvent event;
  event.outcome = outcome;
  event.user = attempt.user;
  event.address = attempt.address;
  event.method = attempt.method;
  event.detail = detail;
  event.at_micros = clock_.NowMicros();
  hook_(event);
}

int64_t Authenticator::Fail(const Attempt& attempt, const std::string& why, bool counted) {
  Log().warn("sftp: failed login for '{}' from {} ({}: {})", attempt.user, attempt.address,
             attempt.method, why);
  Report(attempt, LoginEvent::Outcome::kFailed, why);
  if (!counted) return 0;
  LoginGuard::Failure failure = guard_.RecordFailure(attempt.limit_key, attempt.user);
  const LoginLimits& limits = guard_.limits();
  if (failure.address_locked) {
    Log().warn("sftp: address {} locked out for {} s: {} failed logins within {} s",
               attempt.limit_key, limits.lockout_seconds, limits.max_failures,
               limits.failure_window_seconds);
  }
  if (failure.user_locked) {
    Log().warn(
        "sftp: user '{}' locked out of password logins for {} s: {} failed logins within {} s",
        attempt.user, limits.lockout_seconds, limits.max_failures, limits.failure_window_seconds);
  }
  return failure.delay_micros;
}

void Authenticator::Hold(int64_t micros, const std::atomic<bool>& stopping) {
  constexpr int64_t kStep = 100'000;
  while (micros > 0 && !stopping) {
    const int64_t step = std::min(micros, kStep);
    clock_.SleepForMicros(step);
    micros -= step;
  }
}

std::optional<SftpUser> Authenticator::Run(ssh_session session, const std::string& address,
                                           const std::string& limit_key,
                                           const std::function<bool(const SftpUser&)>& admit,
                                           const std::atomic<bool>& stopping) {
  ssh_set_auth_methods(session, kAuthMethods);
  for (int attempts = 0; attempts < kMaxAuthAttempts && !stopping;) {
    ssh_message message = ssh_message_get(session);
    if (message == nullptr) return std::nullopt;
    std::unique_ptr<ssh_message_struct, void (*)(ssh_message)> owned(message, ssh_message_free);
    const int method = ssh_message_subtype(message);
    if (ssh_message_type(message) != SSH_REQUEST_AUTH) {
      ssh_message_reply_default(message);
      continue;
    }
    if (method != SSH_AUTH_METHOD_PASSWORD && method != SSH_AUTH_METHOD_PUBLICKEY) {
      ReplyFailure(message);  // "none" (every client asks first what it may use) and the rest
      continue;
    }
    ++attempts;
    const char* name = ssh_message_auth_user(message);
    Attempt attempt{SanitizeUserName(name == nullptr ? "" : name), address, limit_key,
                    method == SSH_AUTH_METHOD_PASSWORD ? "password" : "publickey"};
    const bool password = method == SSH_AUTH_METHOD_PASSWORD;
    if (std::optional<LoginGuard::Lock> lock = guard_.Locked(limit_key, attempt.user, password)) {
      const std::string detail =
          std::string(lock->scope == LoginGuard::Scope::kAddress ? "address" : "user") +
          " locked out for " + std::to_string(lock->seconds_left) + " s more";
      Log().warn("sftp: login for '{}' from {} ({}) refused: {}", attempt.user, address,
                 attempt.method, detail);
      Report(attempt, LoginEvent::Outcome::kLocked, detail);
      Hold(guard_.LockedDelayMicros(), stopping);
      ReplyFailure(message);
      continue;
    }
    // The user is looked up by the name as sent; a name that needed sanitizing is no user.
    Result<std::optional<SftpUser>> user = users_.Find(name == nullptr ? "" : name);
    const SftpUser* known = user.ok() && user->has_value() ? &**user : nullptr;
    std::string why;
    const Verdict verdict = Check(message, known, &why);
    switch (verdict) {
      case Verdict::kKeyOk:
        --attempts;  // a key query is not a login attempt; its signed request follows
        ssh_message_auth_reply_pk_ok_simple(message);
        continue;
      case Verdict::kAccepted:
        if (!admit(*known)) {
          ssh_session_set_disconnect_message(session, "too many sessions open; try again later");
          Report(attempt, LoginEvent::Outcome::kRefused, "every session slot is taken");
          return std::nullopt;  // admit logged it; the connection closes
        }
        guard_.RecordSuccess(limit_key, attempt.user);
        Log().info("sftp: login of '{}' from {} ({})", attempt.user, address, attempt.method);
        Report(attempt, LoginEvent::Outcome::kAccepted, "");
        ssh_message_auth_reply_success(message, 0);
        return *known;
      case Verdict::kFailedCounted:
      case Verdict::kFailedNotCounted:
        Hold(Fail(attempt, why, verdict == Verdict::kFailedCounted), stopping);
        ReplyFailure(message);
        continue;
    }
  }
  return std::nullopt;
}

}  // namespace strata::sftp
