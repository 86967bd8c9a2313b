// Roles, grants and the principal of a user.
#include <string>
#include <vector>

#include "access/internal.h"
#include "catalog/store.h"

namespace strata::access {

using catalog::SqlRows;

Result<bool> AccessControlImpl::RoleExistsLocked(const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(SqlRows rows,
                          store_->Query("SELECT 1 FROM access_roles WHERE name = ?", {name}));
  return !rows.empty();
}

Status AccessControlImpl::RequireRoleLocked(const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(bool exists, RoleExistsLocked(name));
  if (!exists) return Status::NotFound("no role '" + name + "'");
  return Status::OK();
}

Result<bool> AccessControlImpl::IsBuiltInLocked(const std::string& role) {
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows, store_->Query("SELECT built_in FROM access_roles WHERE name = ?", {role}));
  if (rows.empty()) return Status::NotFound("no role '" + role + "'");
  return rows[0].Int(0) != 0;
}

Status AccessControlImpl::CreateRole(const std::string& name) {
  STRATA_RETURN_IF_ERROR(internal::ValidateName("role", name));
  std::lock_guard lock(mu_);
  return InTransactionLocked([&]() -> Status {
    STRATA_ASSIGN_OR_RETURN(bool exists, RoleExistsLocked(name));
    if (exists) return Status::AlreadyExists("role '" + name + "' already exists");
    return store_->Execute("INSERT INTO access_roles (name, built_in) VALUES (?, 0)", {name});
  });
}

Status AccessControlImpl::DropRole(const std::string& name) {
  STRATA_RETURN_IF_ERROR(internal::ValidateName("role", name));
  std::lock_guard lock(mu_);
  return KeepingAnAdminLocked([&]() -> Status {
    STRATA_ASSIGN_OR_RETURN(bool built_in, IsBuiltInLocked(name));
    if (built_in) {
      return Status::FailedPrecondition("role '" + name + "' is built in and cannot be dropped");
    }
    // Its users simply lose it.
    for (const char* sql : {"DELETE FROM access_grants WHERE role = ?",
                            "DELETE FROM access_user_roles WHERE role = ?",
                            "DELETE FROM access_roles WHERE name = ?"}) {
      STRATA_RETURN_IF_ERROR(store_->Execute(sql, {name}));
    }
    return Status::OK();
  });
}

Result<std::vector<Grant>> AccessControlImpl::GrantsOfLocked(const std::string& role) {
  STRATA_ASSIGN_OR_RETURN(SqlRows rows,
                          store_->Query("SELECT privilege, target FROM access_grants WHERE role = "
                                        "? ORDER BY privilege, target",
                                        {role}));
  std::vector<Grant> grants;
  for (const catalog::SqlRow& row : rows) {
    auto privilege = ParsePrivilege(row.Text(0));
    auto target = ParseTarget(row.Text(1));
    if (!privilege.ok() || !target.ok()) {
      return Status::Corruption("role '" + role + "' holds a grant that does not parse: " +
                                row.Text(0) + " on " + row.Text(1));
    }
    grants.push_back(Grant{role, *privilege, *target});
  }
  return grants;
}

Result<std::vector<RoleInfo>> AccessControlImpl::ListRoles() {
  std::lock_guard lock(mu_);
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows,
      store_->Query("SELECT name, built_in FROM access_roles ORDER BY built_in DESC, name"));
  std::vector<RoleInfo> out;
  for (const catalog::SqlRow& row : rows) {
    RoleInfo info;
    info.name = row.Text(0);
    info.built_in = row.Int(1) != 0;
    STRATA_ASSIGN_OR_RETURN(info.grants, GrantsOfLocked(info.name));
    out.push_back(std::move(info));
  }
  return out;
}

Status AccessControlImpl::ValidateGrant(const Grant& grant) {
  STRATA_RETURN_IF_ERROR(internal::ValidateName("role", grant.role));
  // Round trip: a Target built by hand must be one ParseTarget would give.
  STRATA_ASSIGN_OR_RETURN(Target parsed, ParseTarget(grant.target.Text()));
  if (!(parsed == grant.target)) {
    return Status::InvalidArgument("invalid target '" + grant.target.Text() + "'");
  }
  bool table_privilege =
      grant.privilege == Privilege::kRead || grant.privilege == Privilege::kUnmask;
  if (!table_privilege && grant.target.kind != Target::Kind::kAll) {
    return Status::InvalidArgument("privilege " + std::string(PrivilegeName(grant.privilege)) +
                                   " is granted on * only, not on " + grant.target.Text());
  }
  return Status::OK();
}

Result<bool> AccessControlImpl::HasCustomGrantLocked(const Grant& grant) {
  STRATA_ASSIGN_OR_RETURN(bool built_in, IsBuiltInLocked(grant.role));
  if (built_in) {
    return Status::FailedPrecondition("role '" + grant.role +
                                      "' is built in: its grants do not change (create a role)");
  }
  STRATA_ASSIGN_OR_RETURN(SqlRows rows,
                          store_->Query("SELECT 1 FROM access_grants WHERE role = ? AND "
                                        "privilege = ? AND target = ?",
                                        {grant.role, std::string(PrivilegeName(grant.privilege)),
                                         grant.target.Text()}));
  return !rows.empty();
}

Status AccessControlImpl::GrantPrivilege(const Grant& grant) {
  STRATA_RETURN_IF_ERROR(ValidateGrant(grant));
  std::lock_guard lock(mu_);
  return InTransactionLocked([&]() -> Status {
    STRATA_ASSIGN_OR_RETURN(bool exists, HasCustomGrantLocked(grant));
    if (exists) return Status::OK();
    return store_->Execute("INSERT INTO access_grants (role, privilege, target) VALUES (?, ?, ?)",
                           {grant.role, std::string(PrivilegeName(grant.privilege)),
                            grant.target.Text()});
  });
}

Status AccessControlImpl::RevokePrivilege(const Grant& grant) {
  STRATA_RETURN_IF_ERROR(ValidateGrant(grant));
  std::lock_guard lock(mu_);
  return KeepingAnAdminLocked([&]() -> Status {
    STRATA_ASSIGN_OR_RETURN(bool exists, HasCustomGrantLocked(grant));
    const std::string privilege(PrivilegeName(grant.privilege));
    const std::string target = grant.target.Text();
    if (!exists) {
      return Status::NotFound("role '" + grant.role + "' has no grant " + privilege + " on " +
                              target);
    }
    return store_->Execute(
        "DELETE FROM access_grants WHERE role = ? AND privilege = ? AND "
        "target = ?",
        {grant.role, privilege, target});
  });
}

Result<Principal> AccessControlImpl::LoadPrincipalLocked(const std::string& user) {
  Principal principal;
  principal.user = user;
  STRATA_ASSIGN_OR_RETURN(
      SqlRows roles,
      store_->Query("SELECT role FROM access_user_roles WHERE user_name = ? ORDER BY role",
                    {user}));
  for (const catalog::SqlRow& row : roles) {
    principal.roles.push_back(row.Text(0));
    STRATA_ASSIGN_OR_RETURN(std::vector<Grant> grants, GrantsOfLocked(row.Text(0)));
    principal.grants.insert(principal.grants.end(), grants.begin(), grants.end());
  }
  return principal;
}

Result<Principal> AccessControlImpl::ActivePrincipalLocked(const std::string& user,
                                                           const char* message) {
  STRATA_ASSIGN_OR_RETURN(std::optional<UserRow> row, FindUserLocked(user));
  if (!row || row->disabled) return Status::Unauthenticated(message);
  return LoadPrincipalLocked(user);
}

Result<Principal> AccessControlImpl::PrincipalOf(const std::string& user) {
  std::lock_guard lock(mu_);
  return ActivePrincipalLocked(user, internal::kBadLogin);
}

}  // namespace strata::access
