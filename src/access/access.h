// Access control: users, roles, grants, API tokens, web sessions and the audit trail, stored in
// the catalog database (SQLite or PostgreSQL) so every server and worker of a project sees the
// same. Servers (HTTP, SFTP, PostgreSQL wire) authenticate each session here and ask the
// resulting Principal what it may do; the CLI on one's own project does not log in.
//
//   STRATA_ASSIGN_OR_RETURN(auto access, AccessControl::Open(project.catalog_location()));
//   STRATA_ASSIGN_OR_RETURN(Principal who, access->AuthenticateToken(bearer));
//   if (!who.Can(Privilege::kRun)) return Status::PermissionDenied(...);
//
// Model.
//  - A user has a name, a password (stored only as a SCRAM-SHA-256 verifier: PBKDF2-HMAC-SHA256
//    with a random 16-byte salt and `kScramIterations` rounds, the form PostgreSQL stores, so the
//    PostgreSQL-wire endpoint can run SCRAM against it) and roles. Users may be disabled.
//  - A role holds grants: (privilege, target). Built-in roles, created by Open and never
//    removable: `admin` (admin on *), `engineer` (read, unmask, run, edit on *), `analyst`
//    (read on *: PII masked). Custom roles start empty.
//  - Privileges: read (query a table's rows), unmask (see PII columns in clear), run (start,
//    cancel, resume runs and state machines), edit (change catalog metadata), admin (everything,
//    including users and grants). admin implies every other privilege on every target.
//  - Targets: "*" (everything), "layer:silver", "table:silver.pedidos", "tag:finance" (every
//    table carrying the catalog tag). run, edit and admin take "*" only.
//  - API tokens: `strata_<id>_<secret>`, returned once by CreateToken; only a SHA-256 of the
//    secret is stored. A token acts as its user (current roles) until revoked or expired.
//  - Web sessions: an opaque id (cookie) and a CSRF token; stored hashed, expire after
//    `session_ttl`, ended by EndSession or when the user is removed or disabled.
//  - Audit: every login (ok or failed), every mutation through a server, every grant change:
//    who, what, target, outcome, from where, when; recorded by the caller (Audit), who knows
//    who asks and from where. Append-only.
//
// Errors: Unauthenticated for a bad password, unknown user, disabled user, unknown, revoked or
// expired token or session: always the same message for a user or a token ("invalid user name or
// password", "invalid or expired token"), so an attacker learns nothing from it.
// InvalidArgument for a malformed name, privilege, target or a password shorter than 8
// characters; NotFound for an unknown user, role or token id in management calls;
// AlreadyExists for a duplicate user or role; FailedPrecondition for removing a built-in role or
// the last enabled admin; the Store's errors (IOError, Conflict) otherwise. No message ever
// holds a password, a token or a verifier.
// Thread safety: an AccessControl may be used from any thread (an internal mutex serialises its
// database connection). Principal is a plain value.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/status.h"

namespace strata {
class Clock;
}  // namespace strata

namespace strata::access {

enum class Privilege { kRead, kUnmask, kRun, kEdit, kAdmin };

// "read", "unmask", "run", "edit", "admin".
std::string_view PrivilegeName(Privilege privilege);
// InvalidArgument naming the text and the valid privileges.
Result<Privilege> ParsePrivilege(std::string_view text);

struct Target {
  enum class Kind { kAll, kLayer, kTable, kTag };
  Kind kind = Kind::kAll;
  std::string name;  // "" for kAll; "silver"; "silver.pedidos"; "finance"

  // "*", "layer:silver", "table:silver.pedidos", "tag:finance".
  std::string Text() const;
  bool operator==(const Target&) const = default;
};
// Also accepts a bare "silver.pedidos" (a table) and a bare "silver" (a layer).
Result<Target> ParseTarget(std::string_view text);

struct Grant {
  std::string role;
  Privilege privilege = Privilege::kRead;
  Target target;
  bool operator==(const Grant&) const = default;
};

// A table as access decisions see it: its layer, name and catalog tags.
struct TableRef {
  std::string layer;  // "silver"
  std::string name;   // "pedidos" (without the layer)
  std::vector<std::string> tags;
};

// Who is asking, once authenticated: the user, the roles and every grant of those roles.
struct Principal {
  std::string user;
  std::vector<std::string> roles;
  std::vector<Grant> grants;

  bool IsAdmin() const;
  // A privilege on "*" (run, edit, admin; read/unmask on everything).
  bool Can(Privilege privilege) const;
  // read / unmask for one table: a grant on *, its layer, the table or one of its tags (names
  // and tags compare ignoring ASCII case, as DuckDB's identifiers do). unmask without read on
  // the table is nothing: CanUnmask implies CanRead.
  bool CanRead(const TableRef& table) const;
  bool CanUnmask(const TableRef& table) const;
};

struct UserInfo {
  std::string name;
  std::vector<std::string> roles;
  bool disabled = false;
  std::string created_at;  // ISO-8601 UTC
  std::string last_login_at;
};

struct RoleInfo {
  std::string name;
  bool built_in = false;
  std::vector<Grant> grants;
};

struct TokenInfo {
  std::string id;  // the public part of the token, for list and revoke
  std::string user;
  std::string name;                                  // what the user called it ("grafana")
  std::string created_at, expires_at, last_used_at;  // "" when none
};

struct NewToken {
  TokenInfo info;
  std::string secret;  // the whole token: shown once, never stored
};

struct Session {
  std::string id;          // the cookie value: shown once, stored hashed
  std::string csrf_token;  // sent back by the UI in X-CSRF-Token on every mutation
  std::string user;
  std::string expires_at;
};

// The SCRAM-SHA-256 verifier of a user's password (RFC 5802/7677), for the PostgreSQL endpoint.
struct ScramVerifier {
  int iterations = 0;
  std::string salt;        // raw bytes
  std::string stored_key;  // raw 32 bytes
  std::string server_key;  // raw 32 bytes
};
constexpr int kScramIterations = 4096;

struct AuditEvent {
  int64_t id = 0;       // assigned by the store
  std::string at;       // ISO-8601 UTC, assigned by the store when empty
  std::string user;     // "" when not authenticated (a failed login names the user tried)
  std::string action;   // "login", "logout", "run.start", "run.cancel", "grant", ...
  std::string target;   // what it acted on ("pipeline:importau", "user:ana")
  std::string outcome;  // "ok", "denied", "failed"
  std::string address;  // the client's address ("127.0.0.1"), "cli" for the CLI
  std::string detail;   // free text; never a secret
};

struct AuditFilter {
  std::string user;    // "" = any
  std::string action;  // "" = any; a prefix ("run.") matches
  std::string since;   // ISO-8601, "" = from the start
  int limit = 100;     // newest first
};

struct AccessOptions {
  int64_t session_ttl_seconds = 12 * 3600;
  // Token and session expiry, audit times; nullptr = Clock::System(). Must outlive the object.
  Clock* clock = nullptr;
};

class AccessControl {
 public:
  // Opens the access tables in the catalog database at `catalog_location` (a SQLite path or a
  // postgresql:// URL), creating or migrating them and the built-in roles.
  static Result<std::unique_ptr<AccessControl>> Open(const std::string& catalog_location,
                                                     AccessOptions options = {});
  virtual ~AccessControl() = default;

  // --- users ---
  // Names: 1-64 of [A-Za-z0-9_.@-], starting with a letter or digit.
  virtual Status AddUser(const std::string& name, const std::string& password,
                         const std::vector<std::string>& roles) = 0;
  // Also ends the user's sessions and revokes the user's tokens.
  virtual Status RemoveUser(const std::string& name) = 0;
  // Ends the user's web sessions (whoever knew the old password may hold one); tokens stay.
  virtual Status SetPassword(const std::string& name, const std::string& password) = 0;
  // Disabling ends the user's sessions; its tokens are refused until it is enabled again.
  virtual Status SetDisabled(const std::string& name, bool disabled) = 0;
  virtual Status AssignRole(const std::string& user, const std::string& role) = 0;
  virtual Status UnassignRole(const std::string& user, const std::string& role) = 0;
  virtual Result<std::vector<UserInfo>> ListUsers() = 0;
  virtual Result<bool> HasUsers() = 0;

  // --- roles and grants ---
  // Role names follow the user name rule. The grants of built-in roles do not change
  // (FailedPrecondition): make a custom role instead.
  virtual Status CreateRole(const std::string& name) = 0;
  // Its users lose it.
  virtual Status DropRole(const std::string& name) = 0;
  virtual Result<std::vector<RoleInfo>> ListRoles() = 0;
  // Granting twice is a no-op; revoking a grant that does not exist is NotFound.
  virtual Status GrantPrivilege(const Grant& grant) = 0;
  virtual Status RevokePrivilege(const Grant& grant) = 0;

  // --- authentication ---
  virtual Result<Principal> AuthenticatePassword(const std::string& user,
                                                 const std::string& password) = 0;
  virtual Result<Principal> AuthenticateToken(const std::string& token) = 0;
  // The principal of an already-authenticated user (after SCRAM on the PostgreSQL endpoint).
  virtual Result<Principal> PrincipalOf(const std::string& user) = 0;
  // Unauthenticated for an unknown or disabled user.
  virtual Result<ScramVerifier> ScramVerifierOf(const std::string& user) = 0;

  // --- tokens ---
  // `ttl_seconds` 0 = no expiry.
  virtual Result<NewToken> CreateToken(const std::string& user, const std::string& name,
                                       int64_t ttl_seconds) = 0;
  // `id` may also be the whole token (only its id part is ever echoed in a message).
  virtual Status RevokeToken(const std::string& id) = 0;
  // `user` "" = every user's tokens.
  virtual Result<std::vector<TokenInfo>> ListTokens(const std::string& user) = 0;

  // --- web sessions ---
  // Unauthenticated for an unknown or disabled user. The CSRF token is derived from the session
  // id (an HMAC of it), so it is never stored and AuthenticateSession can give it back.
  virtual Result<Session> CreateSession(const std::string& user) = 0;
  // The session's principal and its CSRF token; Unauthenticated when unknown or expired.
  virtual Result<std::pair<Principal, Session>> AuthenticateSession(
      const std::string& session_id) = 0;
  virtual Status EndSession(const std::string& session_id) = 0;

  // --- first start ---
  // When no user exists: creates `admin` with `password` (or a random 20-character one when
  // empty) and returns the password used; nullopt when users already exist.
  virtual Result<std::optional<std::string>> EnsureAdmin(const std::string& password) = 0;

  // --- audit ---
  // AccessControl records nothing by itself (its calls do not know who asks or from where):
  // the caller audits each login, failed login and mutation. InvalidArgument without an action;
  // an empty outcome is "ok"; a detail is cut to 1000 characters.
  virtual Status Audit(AuditEvent event) = 0;
  // InvalidArgument for a limit outside 1..10000 or a `since` that is not ISO-8601
  // ("2026-12-07", "2026-12-07T21:00:00Z").
  virtual Result<std::vector<AuditEvent>> ListAudit(const AuditFilter& filter) = 0;
};

}  // namespace strata::access
