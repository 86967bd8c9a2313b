// strata token create|list|revoke (API tokens: shown once, stored hashed) and strata audit (the
// audit log of logins and mutations), over the project's catalog database (access/access.h).
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "access/access.h"
#include "cli/access_support.h"
#include "cli/app.h"

namespace strata::cli {
namespace {

using Json = nlohmann::json;

Status TokenCreate(const AccessCliOptions& o, CommandContext& c) {
  int64_t ttl = 0;
  if (!o.ttl.empty()) {
    STRATA_ASSIGN_OR_RETURN(ttl, ParseDurationSeconds(o.ttl));
  }
  STRATA_ASSIGN_OR_RETURN(auto access, OpenAccess(o, true));
  access::NewToken token;
  STRATA_RETURN_IF_ERROR(AuditedMutation(
      *access, "token.create", "user:" + o.user, "name: " + o.token_name, [&]() -> Status {
        STRATA_ASSIGN_OR_RETURN(token, access->CreateToken(o.user, o.token_name, ttl));
        return Status::OK();
      }));
  if (o.json) {
    *c.out << Json{{"id", token.info.id},
                   {"user", token.info.user},
                   {"name", token.info.name},
                   {"created_at", token.info.created_at},
                   {"expires_at", token.info.expires_at},
                   {"token", token.secret}}
                  .dump(2)
           << "\n";
    return Status::OK();
  }
  *c.out << "token " << token.info.id << " for " << token.info.user << " (" << token.info.name
         << "), "
         << (token.info.expires_at.empty() ? "no expiry" : "expires " + token.info.expires_at)
         << ". It is shown only now; keep it secret:\n"
         << token.secret << "\n";
  return Status::OK();
}

Status TokenList(const AccessCliOptions& o, CommandContext& c) {
  STRATA_ASSIGN_OR_RETURN(auto access, OpenAccess(o, false));
  std::vector<access::TokenInfo> tokens;
  if (access) {
    STRATA_ASSIGN_OR_RETURN(tokens, access->ListTokens(o.user));
  }
  if (o.json) {
    Json out = Json::array();
    for (const access::TokenInfo& t : tokens) {
      out.push_back({{"id", t.id},
                     {"user", t.user},
                     {"name", t.name},
                     {"created_at", t.created_at},
                     {"expires_at", t.expires_at},
                     {"last_used_at", t.last_used_at}});
    }
    *c.out << out.dump(2) << "\n";
    return Status::OK();
  }
  if (tokens.empty()) {
    *c.out << "no tokens\n";
    return Status::OK();
  }
  *c.out << PadRight("ID", 16) << PadRight("USER", 20) << PadRight("NAME", 20)
         << PadRight("CREATED", 20) << PadRight("EXPIRES", 20) << "LAST USED\n";
  for (const access::TokenInfo& t : tokens) {
    *c.out << PadRight(t.id, 16) << PadRight(t.user, 20) << PadRight(t.name, 20)
           << PadRight(t.created_at, 20)
           << PadRight(t.expires_at.empty() ? "never" : t.expires_at, 20)
           << (t.last_used_at.empty() ? "-" : t.last_used_at) << "\n";
  }
  return Status::OK();
}

Status TokenRevoke(const AccessCliOptions& o, CommandContext& c) {
  STRATA_ASSIGN_OR_RETURN(auto access, OpenAccess(o, true));
  // The id only: a whole token pasted here must not reach the audit log or the output.
  std::string id = o.name;
  if (o.name.rfind("strata_", 0) == 0) {
    size_t end = o.name.find('_', 7);
    id = o.name.substr(7, end == std::string::npos ? std::string::npos : end - 7);
  }
  STRATA_RETURN_IF_ERROR(AuditedMutation(*access, "token.revoke", "token:" + id, "",
                                         [&] { return access->RevokeToken(o.name); }));
  *c.out << "token " << id << " revoked\n";
  return Status::OK();
}

Status AuditList(const AccessCliOptions& o, CommandContext& c) {
  access::AuditFilter filter;
  filter.user = o.user;
  filter.action = o.action;
  filter.limit = o.limit;
  filter.since = o.since;
  // A duration ("24h", "7d") is that long ago; anything else goes to ListAudit as ISO-8601.
  if (!o.since.empty() && !std::isdigit(static_cast<unsigned char>(o.since.back())) &&
      o.since.back() != 'Z') {
    if (auto seconds = ParseDurationSeconds(o.since); seconds.ok()) {
      filter.since = IsoSecondsAgo(*seconds);
    }
  }
  STRATA_ASSIGN_OR_RETURN(auto access, OpenAccess(o, false));
  std::vector<access::AuditEvent> events;
  if (access) {
    STRATA_ASSIGN_OR_RETURN(events, access->ListAudit(filter));
  }
  if (o.json) {
    Json out = Json::array();
    for (const access::AuditEvent& e : events) {
      out.push_back({{"id", e.id},
                     {"at", e.at},
                     {"user", e.user},
                     {"action", e.action},
                     {"target", e.target},
                     {"outcome", e.outcome},
                     {"address", e.address},
                     {"detail", e.detail}});
    }
    *c.out << out.dump(2) << "\n";
    return Status::OK();
  }
  if (events.empty()) {
    *c.out << "no audit events\n";
    return Status::OK();
  }
  for (const access::AuditEvent& e : events) {
    *c.out << e.at << "  " << PadRight(e.user.empty() ? "-" : e.user, 16) << PadRight(e.action, 14)
           << PadRight(e.outcome, 7) << PadRight(e.target, 24) << e.address
           << (e.detail.empty() ? "" : "  " + e.detail) << "\n";
  }
  return Status::OK();
}

void Bind(CLI::App* sub, CommandContext& context, std::shared_ptr<AccessCliOptions> options,
          Status (*action)(const AccessCliOptions&, CommandContext&)) {
  sub->callback([options, &context, action] {
    context.action = [options, &context, action] { return action(*options, context); };
  });
}

}  // namespace

void AddTokenCommand(CLI::App& app, CommandContext& context) {
  CLI::App* token = app.add_subcommand(
      "token", "API tokens (Authorization: Bearer ...): act as their user until revoked");
  token->require_subcommand(1);

  auto create_options = std::make_shared<AccessCliOptions>();
  CLI::App* create = token->add_subcommand("create", "Create a token; it is printed only once");
  AddAccessCliOptions(create, *create_options, true);
  create->add_option("--user", create_options->user, "The user it acts as")->required();
  create->add_option("--name", create_options->token_name, "What it is for (grafana, ci, ...)")
      ->required();
  create->add_option("--ttl", create_options->ttl,
                     "Lifetime: 30d, 12h, 15m, 90s or seconds (default: no expiry)");
  Bind(create, context, create_options, TokenCreate);

  auto list_options = std::make_shared<AccessCliOptions>();
  CLI::App* list = token->add_subcommand("list", "Tokens (never their secrets)");
  AddAccessCliOptions(list, *list_options, true);
  list->add_option("--user", list_options->user, "Only this user's");
  Bind(list, context, list_options, TokenList);

  auto revoke_options = std::make_shared<AccessCliOptions>();
  CLI::App* revoke = token->add_subcommand("revoke", "Revoke a token by its id");
  AddAccessCliOptions(revoke, *revoke_options, false);
  revoke->add_option("id", revoke_options->name, "Token id (see 'strata token list')")->required();
  Bind(revoke, context, revoke_options, TokenRevoke);
}

void AddAuditCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<AccessCliOptions>();
  CLI::App* audit = app.add_subcommand(
      "audit", "The audit log: logins (ok or failed) and mutations, newest first");
  AddAccessCliOptions(audit, *options, true);
  audit->add_option("--user", options->user, "Only this user's events");
  audit->add_option("--action", options->action, "Only actions starting with this (login, run.)");
  audit->add_option("--since", options->since,
                    "From this time (2026-12-07, 2026-12-07T21:00:00Z) or this long ago (24h, 7d)");
  audit->add_option("--limit", options->limit, "At most this many")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  Bind(audit, context, options, AuditList);
}

}  // namespace strata::cli
