// Internal to the access layer: the AccessControl implementation over a catalog::Store, its
// schema and small text helpers. The implementation is split by topic: access_control.cc
// (opening, transactions, users), roles.cc (roles, grants, principals), authentication.cc
// (passwords, tokens, sessions), audit.cc (the audit log and times).
//
// Every member function named *Locked expects mu_ held; the public methods take it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/access.h"
#include "catalog/store.h"
#include "common/clock.h"

namespace strata::access {
namespace internal {

inline char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
inline std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

// "2026-12-07T21:25:08Z" (fixed width, so text order is time order).
std::string IsoTime(int64_t micros);
// Whether `text` is a prefix of that form cut at a field boundary ("2026-12-07",
// "2026-12-07T21:25", ...).
bool IsIsoTimePrefix(std::string_view text);

// InvalidArgument unless `name` is 1-64 of [A-Za-z0-9_.@-] starting with a letter or a digit.
Status ValidateName(std::string_view what, std::string_view name);
// InvalidArgument for fewer than 8 characters (code points), more than 1024 bytes, or NUL.
Status ValidatePassword(std::string_view password);

// Creates or migrates the access tables and the built-in roles (ledger
// access_schema_migrations).
Status MigrateAccess(catalog::Store& store);

// The one message for every failed password login, and for every failed token.
inline constexpr const char* kBadLogin = "invalid user name or password";
inline constexpr const char* kBadToken = "invalid or expired token";
inline constexpr const char* kBadSession = "invalid or expired session";

}  // namespace internal

class AccessControlImpl final : public AccessControl {
 public:
  AccessControlImpl(std::unique_ptr<catalog::Store> store, AccessOptions options,
                    ScramVerifier decoy);

  Status AddUser(const std::string& name, const std::string& password,
                 const std::vector<std::string>& roles) override;
  Status RemoveUser(const std::string& name) override;
  Status SetPassword(const std::string& name, const std::string& password) override;
  Status SetDisabled(const std::string& name, bool disabled) override;
  Status AssignRole(const std::string& user, const std::string& role) override;
  Status UnassignRole(const std::string& user, const std::string& role) override;
  Result<std::vector<UserInfo>> ListUsers() override;
  Result<bool> HasUsers() override;

  Status CreateRole(const std::string& name) override;
  Status DropRole(const std::string& name) override;
  Result<std::vector<RoleInfo>> ListRoles() override;
  Status GrantPrivilege(const Grant& grant) override;
  Status RevokePrivilege(const Grant& grant) override;

  Result<Principal> AuthenticatePassword(const std::string& user,
                                         const std::string& password) override;
  Result<Principal> AuthenticateToken(const std::string& token) override;
  Result<Principal> PrincipalOf(const std::string& user) override;
  Result<ScramVerifier> ScramVerifierOf(const std::string& user) override;

  Result<NewToken> CreateToken(const std::string& user, const std::string& name,
                               int64_t ttl_seconds) override;
  Status RevokeToken(const std::string& id) override;
  Result<std::vector<TokenInfo>> ListTokens(const std::string& user) override;

  Result<Session> CreateSession(const std::string& user) override;
  Result<std::pair<Principal, Session>> AuthenticateSession(const std::string& session_id) override;
  Status EndSession(const std::string& session_id) override;

  Result<std::optional<std::string>> EnsureAdmin(const std::string& password) override;

  Status Audit(AuditEvent event) override;
  Result<std::vector<AuditEvent>> ListAudit(const AuditFilter& filter) override;

 private:
  struct UserRow {
    std::string verifier;
    bool disabled = false;
  };

  std::string NowIso() { return internal::IsoTime(clock_.NowMicros()); }
  // Runs `body` in one write transaction (on PostgreSQL also under the access advisory lock, so
  // writers of every process queue); commits when it returns OK.
  Status InTransactionLocked(const std::function<Status()>& body);
  // The same, refusing (FailedPrecondition) a change that leaves no enabled admin where there
  // was one.
  Status KeepingAnAdminLocked(const std::function<Status()>& body);
  Result<int64_t> CountEnabledAdminsLocked();
  Result<std::optional<UserRow>> FindUserLocked(const std::string& name);
  Result<bool> RoleExistsLocked(const std::string& name);
  Result<bool> IsBuiltInLocked(const std::string& role);
  // Whether `grant` is stored; FailedPrecondition for a built-in role (its grants never change).
  Result<bool> HasCustomGrantLocked(const Grant& grant);
  Status RequireUserLocked(const std::string& name);
  Status RequireRoleLocked(const std::string& name);
  Result<std::string> NewVerifierText(const std::string& password);
  Status InsertUserLocked(const std::string& name, const std::string& verifier,
                          const std::vector<std::string>& roles);
  // The user's roles and their grants (no check that the user may log in).
  Result<Principal> LoadPrincipalLocked(const std::string& user);
  // LoadPrincipalLocked for an existing, enabled user; else Unauthenticated(`message`).
  Result<Principal> ActivePrincipalLocked(const std::string& user, const char* message);
  Result<std::vector<Grant>> GrantsOfLocked(const std::string& role);
  Status ValidateGrant(const Grant& grant);

  std::mutex mu_;
  std::unique_ptr<catalog::Store> store_;
  AccessOptions options_;
  Clock& clock_;
  // A verifier of a random password: checked against for unknown users so that a login of an
  // unknown user costs the same PBKDF2 time as one of a known user.
  ScramVerifier decoy_;
};

}  // namespace strata::access
