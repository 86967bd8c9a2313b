// strata user add|remove|list|passwd|disable|enable|assign|unassign, strata role
// create|drop|list, strata grant / revoke: users, roles and grants of the project's catalog
// database (access/access.h). The CLI on one's own project needs no login; its mutations are
// audited as done by the OS user from "cli". Passwords come from stdin or a no-echo prompt,
// never from an argument (it would show in `ps`).
#include <pwd.h>
#include <termios.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "access/access.h"
#include "catalog/location.h"
#include "catalog/store.h"
#include "cli/access_support.h"
#include "cli/app.h"
#include "common/numbers.h"

namespace strata::cli {

using Json = nlohmann::json;

void AddAccessCliOptions(CLI::App* command, AccessCliOptions& options, bool json) {
  command->add_option("--project", options.project, "Project directory (holds strata.yaml)")
      ->capture_default_str();
  command->add_option("--catalog", options.catalog,
                      "Catalog database (SQLite path or postgresql:// URL); default: the "
                      "project's");
  if (json) command->add_flag("--json", options.json, "Machine-readable output");
}

Result<std::unique_ptr<access::AccessControl>> OpenAccess(const AccessCliOptions& options,
                                                          bool create) {
  STRATA_ASSIGN_OR_RETURN(std::string location,
                          catalog::ResolveCatalogLocation(options.project, options.catalog));
  if (!create && !catalog::IsPostgresUrl(location) && !std::filesystem::exists(location)) {
    return std::unique_ptr<access::AccessControl>();
  }
  return access::AccessControl::Open(location);
}

namespace {

std::string OsUserName() {
  if (const passwd* entry = getpwuid(geteuid()); entry != nullptr && entry->pw_name != nullptr) {
    return entry->pw_name;
  }
  return "uid:" + std::to_string(geteuid());
}

}  // namespace

Status AuditedMutation(access::AccessControl& access, const std::string& action,
                       const std::string& target, const std::string& detail,
                       const std::function<Status()>& mutation) {
  Status status = mutation();
  access::AuditEvent event;
  event.user = OsUserName();
  event.action = action;
  event.target = target;
  event.outcome = status.ok() ? "ok" : "failed";
  event.address = "cli";
  // Error messages of access control never hold a password or a token.
  event.detail = status.ok() ? detail : status.message();
  Status audited = access.Audit(std::move(event));
  if (status.ok() && !audited.ok()) return audited.WithContext("recording the audit event");
  return status;
}

std::string IsoSecondsAgo(int64_t seconds) {
  std::time_t t = std::time(nullptr) - static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

Result<int64_t> ParseDurationSeconds(const std::string& text) {
  int64_t unit = 1;
  std::string_view number = text;
  if (!text.empty()) {
    switch (text.back()) {
      case 'd':
        unit = 86400;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'm':
        unit = 60;
        break;
      case 's':
        unit = 1;
        break;
      default:
        unit = 0;
    }
    if (unit != 0) number.remove_suffix(1);
    if (unit == 0) unit = 1;
  }
  std::optional<int64_t> value = ParseInteger<int64_t>(number);
  if (!value || *value < 0 || *value > int64_t{100} * 366 * 86400 / unit) {
    return Status::InvalidArgument("invalid duration '" + text +
                                   "': expected a number of seconds or 30d, 12h, 15m, 90s");
  }
  return *value * unit;
}

std::string PadRight(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text + " ";
}

namespace {

Result<std::string> ReadSecretLine(bool echo_off, std::ostream& err, const char* prompt) {
  termios saved{};
  if (echo_off) {
    err << prompt << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (echo_off) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    err << "\n";
  }
  if (!got) return Status::InvalidArgument("no password on stdin");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The first line of stdin; on a terminal (without --password-stdin) a prompt without echo,
// asked twice.
Result<std::string> ReadNewPassword(const AccessCliOptions& o, std::ostream& err) {
  bool prompt = !o.password_stdin && isatty(STDIN_FILENO) != 0;
  STRATA_ASSIGN_OR_RETURN(std::string password,
                          ReadSecretLine(prompt, err, ("Password for " + o.name + ": ").c_str()));
  if (prompt) {
    STRATA_ASSIGN_OR_RETURN(std::string again, ReadSecretLine(true, err, "Again: "));
    if (again != password) return Status::InvalidArgument("the passwords do not match");
  }
  return password;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

Status UserAdd(const AccessCliOptions& o, CommandContext& c) {
  STRATA_ASSIGN_OR_RETURN(std::string password, ReadNewPassword(o, *c.err));
  STRATA_ASSIGN_OR_RETURN(auto access, OpenAccess(o, true));
  STRATA_RETURN_IF_ERROR(
      AuditedMutation(*access, "user.add", "user:" + o.name, "roles: " + Joined(o.roles),
                      [&] { return access->AddUser(o.name, password, o.roles); }));
  *c.out << "user " << o.name << " added"
         << (o.roles.empty() ? std::string(" (no roles)") : " with roles " + Joined(o.roles))
         << "\n";
  return Status::OK();
}

Status UserPasswd(const AccessCliOptions& o, CommandContext& c) {
  STRATA_ASSIGN_OR_RETURN(std::string password, ReadNewPassword(o, *c.err));
  STRATA_ASSIGN_OR_RETURN(auto access, OpenAccess(o, true));
  STRATA_RETURN_IF_ERROR(AuditedMutation(*access, "user.passwd", "user:" + o.name, "",
                                         [&] { return access->SetPassword(o.name, password); }));
  *c.out << "password of " << o.name << " changed (its web sessions ended)\n";
  return Status::OK();
}

// remove, disable, enable: one user, one call.
Status UserChange(const AccessCliOptions& o, CommandContext& c, const std::string& verb) {
  STRATA_ASSIGN_OR_RETURN(auto access, OpenAccess(o, true));
  STRATA_RETURN_IF_ERROR(AuditedMutation(*access, "user." + verb, "user:" + o.name, "", [&] {
    if (verb == "remove") return access->RemoveUser(o.name);
    return access->SetDisabled(o.name, verb == "disable");
  }));
  *c.out << "user " << o.name << " " << (verb == "remove" ? "removed" : verb + "d") << "\n";
  return Status::OK();
}

// assign, unassign: roles of a user.
Status UserRole(const AccessCliOptions& o, CommandContext& c, bool assign) {
  STRATA_ASSIGN_OR_RETURN(auto access, OpenAccess(o, true));
  const std::string role = o.roles.empty() ? "" : o.roles.front();
  STRATA_RETURN_IF_ERROR(AuditedMutation(
      *access, assign ? "user.assign" : "user.unassign", "user:" + o.name, "role: " + role, [&] {
        return assign ? access->AssignRole(o.name, role) : access->UnassignRole(o.name, role);
      }));
  *c.out << "user " << o.name << (assign ? " has role " : " no longer has role ") << role << "\n";
  return Status::OK();
}

Status UserList(const AccessCliOptions& o, CommandContext& c) {
  STRATA_ASSIGN_OR_RETURN(auto access, OpenAccess(o, false));
  std::vector<access::UserInfo> users;
  if (access) {
    STRATA_ASSIGN_OR_RETURN(users, access->ListUsers());
  }
  if (o.json) {
    Json out = Json::array();
    for (const access::UserInfo& u : users) {
      out.push_back({{"name", u.name},
                     {"roles", u.roles},
                     {"disabled", u.disabled},
                     {"created_at", u.created_at},
                     {"last_login_at", u.last_login_at}});
    }
    *c.out << out.dump(2) << "\n";
    return Status::OK();
  }
  if (users.empty()) {
    *c.out << "no users (add one with 'strata user add NAME --role admin')\n";
    return Status::OK();
  }
  *c.out << PadRight("USER", 24) << PadRight("ROLES", 28) << PadRight("STATUS", 9)
         << PadRight("CREATED", 21) << "LAST LOGIN\n";
  for (const access::UserInfo& u : users) {
    *c.out << PadRight(u.name, 24) << PadRight(Joined(u.roles), 28)
           << PadRight(u.disabled ? "disabled" : "enabled", 9) << PadRight(u.created_at, 21)
           << (u.last_login_at.empty() ? "-" : u.last_login_at) << "\n";
  }
  return Status::OK();
}

Status RoleChange(const AccessCliOptions& o, CommandContext& c, bool create) {
  STRATA_ASSIGN_OR_RETURN(auto access, OpenAccess(o, true));
  STRATA_RETURN_IF_ERROR(AuditedMutation(
      *access, create ? "role.create" : "role.drop", "role:" + o.name, "",
      [&] { return create ? access->CreateRole(o.name) : access->DropRole(o.name); }));
  *c.out << "role " << o.name << (create ? " created" : " dropped") << "\n";
  return Status::OK();
}

Status RoleList(const AccessCliOptions& o, CommandContext& c) {
  STRATA_ASSIGN_OR_RETURN(auto access, OpenAccess(o, true));
  STRATA_ASSIGN_OR_RETURN(std::vector<access::RoleInfo> roles, access->ListRoles());
  if (o.json) {
    Json out = Json::array();
    for (const access::RoleInfo& r : roles) {
      Json grants = Json::array();
      for (const access::Grant& g : r.grants) {
        grants.push_back(
            {{"privilege", access::PrivilegeName(g.privilege)}, {"target", g.target.Text()}});
      }
      out.push_back({{"name", r.name}, {"built_in", r.built_in}, {"grants", grants}});
    }
    *c.out << out.dump(2) << "\n";
    return Status::OK();
  }
  for (const access::RoleInfo& r : roles) {
    std::vector<std::string> grants;
    for (const access::Grant& g : r.grants) {
      grants.push_back(std::string(access::PrivilegeName(g.privilege)) + " on " + g.target.Text());
    }
    *c.out << PadRight(r.name, 20) << PadRight(r.built_in ? "built-in" : "", 9)
           << (grants.empty() ? "(no grants)" : Joined(grants)) << "\n";
  }
  return Status::OK();
}

// words: PRIVILEGE ON TARGET TO|FROM ROLE, checked by the parser's validators.
Status GrantOrRevoke(const AccessCliOptions& o, CommandContext& c, bool grant) {
  STRATA_ASSIGN_OR_RETURN(access::Privilege privilege, access::ParsePrivilege(o.words[0]));
  STRATA_ASSIGN_OR_RETURN(access::Target target, access::ParseTarget(o.words[2]));
  access::Grant g{o.words[4], privilege, target};
  STRATA_ASSIGN_OR_RETURN(auto access, OpenAccess(o, true));
  const std::string what = std::string(access::PrivilegeName(privilege)) + " on " + target.Text();
  STRATA_RETURN_IF_ERROR(AuditedMutation(
      *access, grant ? "grant" : "revoke", "role:" + g.role, what,
      [&] { return grant ? access->GrantPrivilege(g) : access->RevokePrivilege(g); }));
  *c.out << (grant ? "granted " : "revoked ") << what << (grant ? " to " : " from ") << g.role
         << "\n";
  return Status::OK();
}

}  // namespace

namespace {

using Action = std::function<Status(const AccessCliOptions&, CommandContext&)>;

// A subcommand with its own options object, run after parsing succeeded.
CLI::App* AddAction(CLI::App* parent, CommandContext& context, const char* name, const char* help,
                    bool json, const std::function<void(CLI::App*, AccessCliOptions&)>& configure,
                    Action action) {
  auto options = std::make_shared<AccessCliOptions>();
  CLI::App* sub = parent->add_subcommand(name, help);
  AddAccessCliOptions(sub, *options, json);
  configure(sub, *options);
  sub->callback([options, &context, action] {
    context.action = [options, &context, action] { return action(*options, context); };
  });
  return sub;
}

void NameArgument(CLI::App* sub, AccessCliOptions& o, const char* what) {
  sub->add_option("name", o.name, what)->required();
}

// A hidden --password that explains instead of "not expected" (whose message would repeat the
// value): a password given as an argument shows in `ps` and the shell's history.
void RefusePasswordArgument(CLI::App* sub) {
  sub->add_option("--password")
      ->group("")
      ->check(CLI::Validator(
          [](std::string&) {
            return std::string(
                "a password is never an argument (it would show in ps): pipe it on stdin or "
                "type it at the prompt");
          },
          ""));
}

// PRIVILEGE ON TARGET TO|FROM ROLE, each word checked so a mistake is a usage error (exit 2).
void GrantWords(CLI::App* sub, AccessCliOptions& o, const char* preposition) {
  CLI::Validator privilege(
      [](std::string& text) {
        auto parsed = access::ParsePrivilege(text);
        return parsed.ok() ? std::string() : parsed.status().message();
      },
      "PRIVILEGE");
  CLI::Validator target(
      [](std::string& text) {
        auto parsed = access::ParseTarget(text);
        return parsed.ok() ? std::string() : parsed.status().message();
      },
      "TARGET");
  auto word = [](std::string expected) {
    return CLI::Validator(
        [expected](std::string& text) {
          std::string lower = text;
          for (char& ch : lower) {
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          }
          return lower == expected ? std::string()
                                   : "expected '" + expected + "', not '" + text + "'";
        },
        expected);
  };
  sub->add_option("words", o.words,
                  std::string("PRIVILEGE ON TARGET ") + preposition +
                      " ROLE; privileges: read, unmask, run, edit, admin; targets: *, "
                      "layer:NAME, table:LAYER.NAME, tag:NAME (run, edit, admin: * only)")
      ->required()
      ->expected(5)
      ->check(privilege.application_index(0))
      ->check(word("on").application_index(1))
      ->check(target.application_index(2))
      ->check(word(preposition).application_index(3));
}

}  // namespace

void AddAccessCommands(CLI::App& app, CommandContext& context) {
  auto none = [](CLI::App*, AccessCliOptions&) {};
  CLI::App* user = app.add_subcommand(
      "user", "Users of the project's servers (HTTP API, web UI, PostgreSQL endpoint)");
  user->require_subcommand(1);
  AddAction(
      user, context, "add",
      "Add a user; the password is read from stdin (or prompted for on a terminal)", false,
      [](CLI::App* sub, AccessCliOptions& o) {
        sub->add_option("name", o.name, "User name")->required();
        sub->add_option("--role", o.roles, "A role (admin, engineer, analyst, ...); repeatable");
        sub->add_flag("--password-stdin", o.password_stdin,
                      "Read the password from the first line of stdin even on a terminal");
        RefusePasswordArgument(sub);
      },
      UserAdd);
  AddAction(
      user, context, "passwd", "Set a user's password (from stdin, or prompted for)", false,
      [](CLI::App* sub, AccessCliOptions& o) {
        NameArgument(sub, o, "User name");
        sub->add_flag("--password-stdin", o.password_stdin,
                      "Read the password from the first line of stdin even on a terminal");
        RefusePasswordArgument(sub);
      },
      UserPasswd);
  for (const char* verb : {"remove", "disable", "enable"}) {
    std::string help = std::string(verb) == "remove" ? "Remove a user, its tokens and sessions"
                       : std::string(verb) == "disable"
                           ? "Disable a user: no login, no token; its sessions end"
                           : "Enable a disabled user";
    AddAction(
        user, context, verb, help.c_str(), false,
        [](CLI::App* sub, AccessCliOptions& o) { NameArgument(sub, o, "User name"); },
        [verb](const AccessCliOptions& o, CommandContext& c) { return UserChange(o, c, verb); });
  }
  for (bool assign : {true, false}) {
    AddAction(
        user, context, assign ? "assign" : "unassign",
        assign ? "Give a user a role" : "Take a role from a user", false,
        [](CLI::App* sub, AccessCliOptions& o) {
          NameArgument(sub, o, "User name");
          sub->add_option("role", o.roles, "Role")->required()->expected(1);
        },
        [assign](const AccessCliOptions& o, CommandContext& c) { return UserRole(o, c, assign); });
  }
  AddAction(user, context, "list", "Users with their roles and last login", true, none, UserList);

  CLI::App* role = app.add_subcommand("role", "Roles: named sets of grants given to users");
  role->require_subcommand(1);
  for (bool create : {true, false}) {
    AddAction(
        role, context, create ? "create" : "drop",
        create ? "Create an empty role" : "Drop a role (its users lose it)", false,
        [](CLI::App* sub, AccessCliOptions& o) { NameArgument(sub, o, "Role name"); },
        [create](const AccessCliOptions& o, CommandContext& c) {
          return RoleChange(o, c, create);
        });
  }
  AddAction(role, context, "list", "Roles and their grants", true, none, RoleList);

  AddAction(
      &app, context, "grant", "Grant a privilege: strata grant PRIVILEGE ON TARGET TO ROLE", false,
      [](CLI::App* sub, AccessCliOptions& o) { GrantWords(sub, o, "to"); },
      [](const AccessCliOptions& o, CommandContext& c) { return GrantOrRevoke(o, c, true); });
  AddAction(
      &app, context, "revoke", "Revoke a privilege: strata revoke PRIVILEGE ON TARGET FROM ROLE",
      false, [](CLI::App* sub, AccessCliOptions& o) { GrantWords(sub, o, "from"); },
      [](const AccessCliOptions& o, CommandContext& c) { return GrantOrRevoke(o, c, false); });
  AddTokenCommand(app, context);
  AddAuditCommand(app, context);
}

}  // namespace strata::cli
