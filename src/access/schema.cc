// The access tables, versioned in `access_schema_migrations` beside the catalog's and the run
// store's ledgers in the same database. A migration, once released, never changes.
#include <string>
#include <vector>

#include "access/internal.h"
#include "catalog/store.h"

namespace strata::access::internal {
namespace {

using catalog::Migration;

// Times are ISO-8601 UTC text of fixed width ("2026-12-07T21:25:08Z"), so comparing text
// compares times in both dialects. Secrets are never stored: users hold a SCRAM verifier,
// tokens and sessions the hex SHA-256 of their secret part. Built-in roles and their grants are
// rows like any other; the code refuses to change them (built_in = 1).
const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "access users, roles, grants, tokens, sessions and audit log",
       R"sql(
CREATE TABLE access_users (
  name TEXT PRIMARY KEY,
  verifier TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  last_login_at TEXT
);
CREATE TABLE access_roles (
  name TEXT PRIMARY KEY,
  built_in INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE access_user_roles (
  user_name TEXT NOT NULL REFERENCES access_users(name) ON DELETE CASCADE,
  role TEXT NOT NULL REFERENCES access_roles(name) ON DELETE CASCADE,
  PRIMARY KEY (user_name, role)
);
CREATE TABLE access_grants (
  role TEXT NOT NULL REFERENCES access_roles(name) ON DELETE CASCADE,
  privilege TEXT NOT NULL,
  target TEXT NOT NULL,
  PRIMARY KEY (role, privilege, target)
);
CREATE TABLE access_tokens (
  id TEXT PRIMARY KEY,
  user_name TEXT NOT NULL REFERENCES access_users(name) ON DELETE CASCADE,
  name TEXT NOT NULL,
  secret_sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  last_used_at TEXT
);
CREATE INDEX access_tokens_user ON access_tokens (user_name);
CREATE TABLE access_sessions (
  id_sha256 TEXT PRIMARY KEY,
  user_name TEXT NOT NULL REFERENCES access_users(name) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX access_sessions_user ON access_sessions (user_name);
CREATE TABLE access_audit_log (
  id {ID},
  at TEXT NOT NULL,
  user_name TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  address TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX access_audit_log_at ON access_audit_log (at);
CREATE INDEX access_audit_log_user ON access_audit_log (user_name, id);
INSERT INTO access_roles (name, built_in) VALUES ('admin', 1);
INSERT INTO access_roles (name, built_in) VALUES ('engineer', 1);
INSERT INTO access_roles (name, built_in) VALUES ('analyst', 1);
INSERT INTO access_grants (role, privilege, target) VALUES ('admin', 'admin', '*');
INSERT INTO access_grants (role, privilege, target) VALUES ('engineer', 'read', '*');
INSERT INTO access_grants (role, privilege, target) VALUES ('engineer', 'unmask', '*');
INSERT INTO access_grants (role, privilege, target) VALUES ('engineer', 'run', '*');
INSERT INTO access_grants (role, privilege, target) VALUES ('engineer', 'edit', '*');
INSERT INTO access_grants (role, privilege, target) VALUES ('analyst', 'read', '*');
)sql",
       nullptr, nullptr},
  };
  return kMigrations;
}

// The catalog's ledger uses 727356, the run store's 727357.
constexpr catalog::MigrationLedger kLedger = {"access_schema_migrations", "access", 727358};

}  // namespace

Status MigrateAccess(catalog::Store& store) {
  return catalog::ApplyMigrations(store, kLedger, Migrations(), Migrations().back().version);
}

}  // namespace strata::access::internal
