// AccessControl::Open, the transaction helpers and the user management calls.
#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "access/crypto.h"
#include "access/internal.h"
#include "catalog/store.h"
#include "common/clock.h"
#include "common/utf8.h"

namespace strata::access {

using catalog::SqlRows;

namespace internal {

Status ValidateName(std::string_view what, std::string_view name) {
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '@' || c == '-';
  };
  bool starts_ok = !name.empty() && allowed(name[0]) && name[0] != '_' && name[0] != '.' &&
                   name[0] != '@' && name[0] != '-';
  if (name.size() > 64 || !starts_ok || !std::all_of(name.begin(), name.end(), allowed)) {
    // Names are not secret, but bound what goes back into the message.
    std::string shown(ToValidUtf8(name.substr(0, 64)));
    return Status::InvalidArgument("invalid " + std::string(what) + " name '" + shown +
                                   "': 1-64 of letters, digits, _ . @ -, starting with a "
                                   "letter or a digit");
  }
  return Status::OK();
}

Status ValidatePassword(std::string_view password) {
  size_t code_points = 0;
  for (unsigned char c : password) code_points += (c & 0xC0) != 0x80;
  if (code_points < 8) {
    return Status::InvalidArgument("the password is too short: at least 8 characters");
  }
  if (password.size() > 1024) {
    return Status::InvalidArgument("the password is too long: at most 1024 bytes");
  }
  if (password.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("the password holds a NUL character");
  }
  return Status::OK();
}

}  // namespace internal

namespace {
// Serialises the access writers of every process on PostgreSQL (SQLite has its write lock).
constexpr const char* kWriteLock = "SELECT pg_advisory_xact_lock(727359)";
}  // namespace

Result<std::unique_ptr<AccessControl>> AccessControl::Open(const std::string& catalog_location,
                                                           AccessOptions options) {
  if (options.session_ttl_seconds <= 0) {
    return Status::InvalidArgument("session_ttl_seconds must be positive");
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<catalog::Store> store,
                          catalog::OpenStore(catalog_location));
  STRATA_RETURN_IF_ERROR(internal::MigrateAccess(*store));
  STRATA_ASSIGN_OR_RETURN(std::string decoy_password, crypto::RandomBytes(16));
  STRATA_ASSIGN_OR_RETURN(std::string decoy_salt, crypto::RandomBytes(16));
  STRATA_ASSIGN_OR_RETURN(ScramVerifier decoy,
                          crypto::MakeScramVerifier(decoy_password, decoy_salt, kScramIterations));
  return std::unique_ptr<AccessControl>(
      new AccessControlImpl(std::move(store), options, std::move(decoy)));
}

AccessControlImpl::AccessControlImpl(std::unique_ptr<catalog::Store> store, AccessOptions options,
                                     ScramVerifier decoy)
    : store_(std::move(store)),
      options_(options),
      clock_(options.clock != nullptr ? *options.clock : Clock::System()),
      decoy_(std::move(decoy)) {}

Status AccessControlImpl::InTransactionLocked(const std::function<Status()>& body) {
  catalog::WriteTransaction transaction(*store_);
  STRATA_RETURN_IF_ERROR(transaction.Begin());
  if (store_->dialect() == catalog::Dialect::kPostgres) {
    STRATA_RETURN_IF_ERROR(store_->Execute(kWriteLock));
  }
  STRATA_RETURN_IF_ERROR(body());
  return transaction.Commit();
}

Status AccessControlImpl::KeepingAnAdminLocked(const std::function<Status()>& body) {
  return InTransactionLocked([&]() -> Status {
    STRATA_ASSIGN_OR_RETURN(int64_t before, CountEnabledAdminsLocked());
    STRATA_RETURN_IF_ERROR(body());
    STRATA_ASSIGN_OR_RETURN(int64_t after, CountEnabledAdminsLocked());
    if (before > 0 && after == 0) {
      return Status::FailedPrecondition(
          "refused: this would leave no enabled user with the admin privilege (make another "
          "admin first)");
    }
    return Status::OK();
  });
}

Result<int64_t> AccessControlImpl::CountEnabledAdminsLocked() {
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows,
      store_->Query("SELECT COUNT(DISTINCT u.name) FROM access_users u "
                    "JOIN access_user_roles ur ON ur.user_name = u.name "
                    "JOIN access_grants g ON g.role = ur.role "
                    "WHERE u.disabled = 0 AND g.privilege = 'admin' AND g.target = '*'"));
  return rows.empty() ? 0 : rows[0].Int(0);
}

Result<std::optional<AccessControlImpl::UserRow>> AccessControlImpl::FindUserLocked(
    const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows,
      store_->Query("SELECT verifier, disabled FROM access_users WHERE name = ?", {name}));
  if (rows.empty()) return std::optional<UserRow>();
  return std::optional<UserRow>(UserRow{rows[0].Text(0), rows[0].Int(1) != 0});
}

Status AccessControlImpl::RequireUserLocked(const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(std::optional<UserRow> user, FindUserLocked(name));
  if (!user) return Status::NotFound("no user '" + name + "'");
  return Status::OK();
}

Result<std::string> AccessControlImpl::NewVerifierText(const std::string& password) {
  STRATA_RETURN_IF_ERROR(internal::ValidatePassword(password));
  STRATA_ASSIGN_OR_RETURN(std::string salt, crypto::RandomBytes(16));
  STRATA_ASSIGN_OR_RETURN(ScramVerifier verifier,
                          crypto::MakeScramVerifier(password, salt, kScramIterations));
  return crypto::FormatScramVerifier(verifier);
}

Status AccessControlImpl::InsertUserLocked(const std::string& name, const std::string& verifier,
                                           const std::vector<std::string>& roles) {
  STRATA_ASSIGN_OR_RETURN(std::optional<UserRow> existing, FindUserLocked(name));
  if (existing) return Status::AlreadyExists("user '" + name + "' already exists");
  for (const std::string& role : roles) STRATA_RETURN_IF_ERROR(RequireRoleLocked(role));
  STRATA_RETURN_IF_ERROR(store_->Execute(
      "INSERT INTO access_users (name, verifier, disabled, created_at) VALUES (?, ?, 0, ?)",
      {name, verifier, NowIso()}));
  for (const std::string& role : std::set<std::string>(roles.begin(), roles.end())) {
    STRATA_RETURN_IF_ERROR(store_->Execute(
        "INSERT INTO access_user_roles (user_name, role) VALUES (?, ?)", {name, role}));
  }
  return Status::OK();
}

Status AccessControlImpl::AddUser(const std::string& name, const std::string& password,
                                  const std::vector<std::string>& roles) {
  STRATA_RETURN_IF_ERROR(internal::ValidateName("user", name));
  for (const std::string& role : roles)
    STRATA_RETURN_IF_ERROR(internal::ValidateName("role", role));
  // PBKDF2 outside the lock: it is the slow part and touches no shared state.
  STRATA_ASSIGN_OR_RETURN(std::string verifier, NewVerifierText(password));
  std::lock_guard lock(mu_);
  return InTransactionLocked([&] { return InsertUserLocked(name, verifier, roles); });
}

Status AccessControlImpl::RemoveUser(const std::string& name) {
  STRATA_RETURN_IF_ERROR(internal::ValidateName("user", name));
  std::lock_guard lock(mu_);
  return KeepingAnAdminLocked([&]() -> Status {
    STRATA_RETURN_IF_ERROR(RequireUserLocked(name));
    for (const char* sql : {"DELETE FROM access_sessions WHERE user_name = ?",
                            "DELETE FROM access_tokens WHERE user_name = ?",
                            "DELETE FROM access_user_roles WHERE user_name = ?",
                            "DELETE FROM access_users WHERE name = ?"}) {
      STRATA_RETURN_IF_ERROR(store_->Execute(sql, {name}));
    }
    return Status::OK();
  });
}

Status AccessControlImpl::SetPassword(const std::string& name, const std::string& password) {
  STRATA_RETURN_IF_ERROR(internal::ValidateName("user", name));
  STRATA_ASSIGN_OR_RETURN(std::string verifier, NewVerifierText(password));
  std::lock_guard lock(mu_);
  return InTransactionLocked([&]() -> Status {
    STRATA_RETURN_IF_ERROR(RequireUserLocked(name));
    STRATA_RETURN_IF_ERROR(
        store_->Execute("UPDATE access_users SET verifier = ? WHERE name = ?", {verifier, name}));
    // Whoever knew the old password may hold a session: it ends (tokens stay).
    return store_->Execute("DELETE FROM access_sessions WHERE user_name = ?", {name});
  });
}

Status AccessControlImpl::SetDisabled(const std::string& name, bool disabled) {
  STRATA_RETURN_IF_ERROR(internal::ValidateName("user", name));
  std::lock_guard lock(mu_);
  return KeepingAnAdminLocked([&]() -> Status {
    STRATA_RETURN_IF_ERROR(RequireUserLocked(name));
    STRATA_RETURN_IF_ERROR(store_->Execute("UPDATE access_users SET disabled = ? WHERE name = ?",
                                           {int64_t{disabled ? 1 : 0}, name}));
    if (!disabled) return Status::OK();
    // Tokens stay (refused while disabled, working again once enabled); sessions end.
    return store_->Execute("DELETE FROM access_sessions WHERE user_name = ?", {name});
  });
}

Status AccessControlImpl::AssignRole(const std::string& user, const std::string& role) {
  STRATA_RETURN_IF_ERROR(internal::ValidateName("user", user));
  STRATA_RETURN_IF_ERROR(internal::ValidateName("role", role));
  std::lock_guard lock(mu_);
  return InTransactionLocked([&]() -> Status {
    STRATA_RETURN_IF_ERROR(RequireUserLocked(user));
    STRATA_RETURN_IF_ERROR(RequireRoleLocked(role));
    STRATA_ASSIGN_OR_RETURN(SqlRows rows,
                            store_->Query("SELECT 1 FROM access_user_roles WHERE user_name = ? AND "
                                          "role = ?",
                                          {user, role}));
    if (!rows.empty()) return Status::OK();
    return store_->Execute("INSERT INTO access_user_roles (user_name, role) VALUES (?, ?)",
                           {user, role});
  });
}

Status AccessControlImpl::UnassignRole(const std::string& user, const std::string& role) {
  STRATA_RETURN_IF_ERROR(internal::ValidateName("user", user));
  STRATA_RETURN_IF_ERROR(internal::ValidateName("role", role));
  std::lock_guard lock(mu_);
  return KeepingAnAdminLocked([&]() -> Status {
    STRATA_RETURN_IF_ERROR(RequireUserLocked(user));
    STRATA_ASSIGN_OR_RETURN(SqlRows rows,
                            store_->Query("SELECT 1 FROM access_user_roles WHERE user_name = ? AND "
                                          "role = ?",
                                          {user, role}));
    if (rows.empty()) return Status::NotFound("user '" + user + "' has no role '" + role + "'");
    return store_->Execute("DELETE FROM access_user_roles WHERE user_name = ? AND role = ?",
                           {user, role});
  });
}

Result<std::vector<UserInfo>> AccessControlImpl::ListUsers() {
  std::lock_guard lock(mu_);
  STRATA_ASSIGN_OR_RETURN(SqlRows users,
                          store_->Query("SELECT name, disabled, created_at, last_login_at FROM "
                                        "access_users ORDER BY name"));
  STRATA_ASSIGN_OR_RETURN(
      SqlRows roles,
      store_->Query("SELECT user_name, role FROM access_user_roles ORDER BY user_name, role"));
  std::vector<UserInfo> out;
  for (const catalog::SqlRow& row : users) {
    UserInfo info;
    info.name = row.Text(0);
    info.disabled = row.Int(1) != 0;
    info.created_at = row.Text(2);
    info.last_login_at = row.Text(3);
    for (const catalog::SqlRow& r : roles) {
      if (r.Text(0) == info.name) info.roles.push_back(r.Text(1));
    }
    out.push_back(std::move(info));
  }
  return out;
}

Result<bool> AccessControlImpl::HasUsers() {
  std::lock_guard lock(mu_);
  STRATA_ASSIGN_OR_RETURN(SqlRows rows, store_->Query("SELECT 1 FROM access_users LIMIT 1"));
  return !rows.empty();
}

Result<std::optional<std::string>> AccessControlImpl::EnsureAdmin(const std::string& password) {
  std::string chosen = password;
  if (chosen.empty()) {
    STRATA_ASSIGN_OR_RETURN(chosen, crypto::RandomAlphanumeric(20));
  }
  STRATA_ASSIGN_OR_RETURN(std::string verifier, NewVerifierText(chosen));
  std::lock_guard lock(mu_);
  bool created = false;
  STRATA_RETURN_IF_ERROR(InTransactionLocked([&]() -> Status {
    // Under the write lock: of several servers starting at once, one creates the admin.
    STRATA_ASSIGN_OR_RETURN(SqlRows rows, store_->Query("SELECT 1 FROM access_users LIMIT 1"));
    if (!rows.empty()) return Status::OK();
    created = true;
    return InsertUserLocked("admin", verifier, {"admin"});
  }));
  if (!created) return std::optional<std::string>();
  return std::optional<std::string>(chosen);
}

}  // namespace strata::access
