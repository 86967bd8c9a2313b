// Passwords, API tokens and web sessions.
//
// A token is `strata_<id>_<secret>`: id 16 hex digits (public: listed, revoked by it), secret 64
// hex digits, of which only the hex SHA-256 is stored. A session id is 64 hex digits, stored as
// its hex SHA-256; its CSRF token is an HMAC of the id, so it is never stored either.
#include <optional>
#include <string>
#include <vector>

#include "access/crypto.h"
#include "access/internal.h"
#include "catalog/store.h"

namespace strata::access {

using catalog::SqlRows;

namespace {

constexpr std::string_view kTokenPrefix = "strata_";
constexpr size_t kTokenIdBytes = 8;
constexpr size_t kSecretBytes = 32;
constexpr int64_t kMicrosPerSecond = 1'000'000;
// ttl_seconds above this (100 years) is refused rather than overflowing the time arithmetic.
constexpr int64_t kMaxTtlSeconds = int64_t{100} * 366 * 24 * 3600;
// last_used_at is refreshed at most this often, so a busy client does not write on every call.
constexpr int64_t kLastUsedResolutionMicros = 60 * kMicrosPerSecond;

bool IsHex(std::string_view text, size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

struct TokenParts {
  std::string id;
  std::string secret;
};

std::optional<TokenParts> SplitToken(std::string_view token) {
  if (token.substr(0, kTokenPrefix.size()) != kTokenPrefix) return std::nullopt;
  token.remove_prefix(kTokenPrefix.size());
  size_t underscore = token.find('_');
  if (underscore == std::string_view::npos) return std::nullopt;
  std::string_view id = token.substr(0, underscore);
  std::string_view secret = token.substr(underscore + 1);
  if (!IsHex(id, 2 * kTokenIdBytes) || !IsHex(secret, 2 * kSecretBytes)) return std::nullopt;
  return TokenParts{std::string(id), std::string(secret)};
}

std::string CsrfTokenOf(const std::string& session_id) {
  return crypto::Hex(crypto::HmacSha256(session_id, "strata csrf token"));
}

Status ValidateTokenName(const std::string& name) {
  bool printable = true;
  for (unsigned char c : name) printable = printable && c >= 0x20 && c != 0x7f;
  if (name.empty() || name.size() > 64 || !printable) {
    return Status::InvalidArgument("invalid token name: 1-64 printable characters");
  }
  return Status::OK();
}

}  // namespace

Result<Principal> AccessControlImpl::AuthenticatePassword(const std::string& user,
                                                          const std::string& password) {
  std::optional<UserRow> row;
  if (internal::ValidateName("user", user).ok()) {
    std::lock_guard lock(mu_);
    STRATA_ASSIGN_OR_RETURN(row, FindUserLocked(user));
  }
  ScramVerifier verifier = decoy_;
  if (row) {
    STRATA_ASSIGN_OR_RETURN(verifier, crypto::ParseScramVerifier(row->verifier));
  }
  // Unknown, disabled and known users all pay one PBKDF2: the time tells nothing.
  STRATA_ASSIGN_OR_RETURN(bool matches, crypto::ScramPasswordMatches(verifier, password));
  if (!row || row->disabled || !matches) return Status::Unauthenticated(internal::kBadLogin);
  std::lock_guard lock(mu_);
  STRATA_RETURN_IF_ERROR(store_->Execute("UPDATE access_users SET last_login_at = ? WHERE name = ?",
                                         {NowIso(), user}));
  return ActivePrincipalLocked(user, internal::kBadLogin);
}

Result<ScramVerifier> AccessControlImpl::ScramVerifierOf(const std::string& user) {
  std::lock_guard lock(mu_);
  STRATA_ASSIGN_OR_RETURN(std::optional<UserRow> row, FindUserLocked(user));
  if (!row || row->disabled) return Status::Unauthenticated(internal::kBadLogin);
  return crypto::ParseScramVerifier(row->verifier);
}

Result<NewToken> AccessControlImpl::CreateToken(const std::string& user, const std::string& name,
                                                int64_t ttl_seconds) {
  STRATA_RETURN_IF_ERROR(internal::ValidateName("user", user));
  STRATA_RETURN_IF_ERROR(ValidateTokenName(name));
  if (ttl_seconds < 0 || ttl_seconds > kMaxTtlSeconds) {
    return Status::InvalidArgument("token lifetime must be 0 (no expiry) up to 100 years");
  }
  STRATA_ASSIGN_OR_RETURN(std::string id, crypto::RandomHex(kTokenIdBytes));
  STRATA_ASSIGN_OR_RETURN(std::string secret, crypto::RandomHex(kSecretBytes));
  std::lock_guard lock(mu_);
  int64_t now = clock_.NowMicros();
  NewToken token;
  token.info = TokenInfo{id,
                         user,
                         name,
                         internal::IsoTime(now),
                         ttl_seconds == 0 ? "" : internal::IsoTime(now + ttl_seconds * 1'000'000),
                         ""};
  token.secret = std::string(kTokenPrefix) + id + "_" + secret;
  STRATA_RETURN_IF_ERROR(InTransactionLocked([&]() -> Status {
    STRATA_RETURN_IF_ERROR(RequireUserLocked(user));
    catalog::SqlParam expires = std::monostate();
    if (!token.info.expires_at.empty()) expires = token.info.expires_at;
    return store_->Execute(
        "INSERT INTO access_tokens (id, user_name, name, secret_sha256, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        {id, user, name, crypto::Hex(crypto::Sha256(secret)), token.info.created_at, expires});
  }));
  return token;
}

Result<Principal> AccessControlImpl::AuthenticateToken(const std::string& token) {
  std::optional<TokenParts> parts = SplitToken(token);
  if (!parts) return Status::Unauthenticated(internal::kBadToken);
  const std::string presented = crypto::Hex(crypto::Sha256(parts->secret));
  std::lock_guard lock(mu_);
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows, store_->Query("SELECT user_name, secret_sha256, expires_at, last_used_at FROM "
                                  "access_tokens WHERE id = ?",
                                  {parts->id}));
  if (rows.empty() || !crypto::ConstantTimeEquals(presented, rows[0].Text(1))) {
    return Status::Unauthenticated(internal::kBadToken);
  }
  const int64_t now = clock_.NowMicros();
  const std::string& expires_at = rows[0].Text(2);
  if (!expires_at.empty() && expires_at <= internal::IsoTime(now)) {
    return Status::Unauthenticated(internal::kBadToken);
  }
  const std::string user = rows[0].Text(0);
  STRATA_ASSIGN_OR_RETURN(Principal principal, ActivePrincipalLocked(user, internal::kBadToken));
  if (rows[0].Text(3) <= internal::IsoTime(now - kLastUsedResolutionMicros)) {
    STRATA_RETURN_IF_ERROR(store_->Execute("UPDATE access_tokens SET last_used_at = ? WHERE id = ?",
                                           {internal::IsoTime(now), parts->id}));
  }
  return principal;
}

Status AccessControlImpl::RevokeToken(const std::string& id_or_token) {
  // The whole token is accepted too; only its id ever goes into a message.
  std::string id = id_or_token;
  if (std::optional<TokenParts> parts = SplitToken(id_or_token)) id = parts->id;
  if (!IsHex(id, 2 * kTokenIdBytes)) {
    return Status::InvalidArgument("invalid token id: 16 hex digits (see 'strata token list')");
  }
  std::lock_guard lock(mu_);
  return InTransactionLocked([&]() -> Status {
    STRATA_ASSIGN_OR_RETURN(SqlRows rows,
                            store_->Query("SELECT 1 FROM access_tokens WHERE id = ?", {id}));
    if (rows.empty()) return Status::NotFound("no token '" + id + "'");
    return store_->Execute("DELETE FROM access_tokens WHERE id = ?", {id});
  });
}

Result<std::vector<TokenInfo>> AccessControlImpl::ListTokens(const std::string& user) {
  if (!user.empty()) STRATA_RETURN_IF_ERROR(internal::ValidateName("user", user));
  std::lock_guard lock(mu_);
  if (!user.empty()) STRATA_RETURN_IF_ERROR(RequireUserLocked(user));
  std::string sql =
      "SELECT id, user_name, name, created_at, expires_at, last_used_at FROM access_tokens";
  catalog::SqlParams params;
  if (!user.empty()) {
    sql += " WHERE user_name = ?";
    params.push_back(user);
  }
  STRATA_ASSIGN_OR_RETURN(SqlRows rows,
                          store_->Query(sql + " ORDER BY user_name, created_at, id", params));
  std::vector<TokenInfo> out;
  for (const catalog::SqlRow& r : rows) {
    out.push_back({r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5)});
  }
  return out;
}

Result<Session> AccessControlImpl::CreateSession(const std::string& user) {
  STRATA_ASSIGN_OR_RETURN(std::string id, crypto::RandomHex(kSecretBytes));
  std::lock_guard lock(mu_);
  STRATA_RETURN_IF_ERROR(ActivePrincipalLocked(user, internal::kBadLogin).status());
  const int64_t now = clock_.NowMicros();
  Session session{id, CsrfTokenOf(id), user,
                  internal::IsoTime(now + options_.session_ttl_seconds * kMicrosPerSecond)};
  STRATA_RETURN_IF_ERROR(InTransactionLocked([&]() -> Status {
    // Housekeeping: expired sessions of anyone go now.
    STRATA_RETURN_IF_ERROR(store_->Execute("DELETE FROM access_sessions WHERE expires_at <= ?",
                                           {internal::IsoTime(now)}));
    return store_->Execute(
        "INSERT INTO access_sessions (id_sha256, user_name, created_at, expires_at) VALUES "
        "(?, ?, ?, ?)",
        {crypto::Hex(crypto::Sha256(id)), user, internal::IsoTime(now), session.expires_at});
  }));
  return session;
}

Result<std::pair<Principal, Session>> AccessControlImpl::AuthenticateSession(
    const std::string& session_id) {
  if (!IsHex(session_id, 2 * kSecretBytes)) return Status::Unauthenticated(internal::kBadSession);
  const std::string hash = crypto::Hex(crypto::Sha256(session_id));
  std::lock_guard lock(mu_);
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows,
      store_->Query("SELECT user_name, expires_at FROM access_sessions WHERE id_sha256 = ?",
                    {hash}));
  if (rows.empty()) return Status::Unauthenticated(internal::kBadSession);
  Session session{session_id, CsrfTokenOf(session_id), rows[0].Text(0), rows[0].Text(1)};
  if (session.expires_at <= NowIso()) {
    STRATA_RETURN_IF_ERROR(
        store_->Execute("DELETE FROM access_sessions WHERE id_sha256 = ?", {hash}));
    return Status::Unauthenticated(internal::kBadSession);
  }
  STRATA_ASSIGN_OR_RETURN(Principal principal,
                          ActivePrincipalLocked(session.user, internal::kBadSession));
  return std::make_pair(std::move(principal), std::move(session));
}

Status AccessControlImpl::EndSession(const std::string& session_id) {
  // Ending a session that does not exist is done already.
  if (!IsHex(session_id, 2 * kSecretBytes)) return Status::OK();
  std::lock_guard lock(mu_);
  return store_->Execute("DELETE FROM access_sessions WHERE id_sha256 = ?",
                         {crypto::Hex(crypto::Sha256(session_id))});
}

}  // namespace strata::access
