// Shared by `strata user|role|grant|revoke` (access_command.cc) and `strata token|audit`
// (access_token_command.cc): opening the project's access control, auditing the CLI's
// mutations, and the options every access command takes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "access/access.h"
#include "cli/app.h"

namespace strata::cli {

struct AccessCliOptions {
  std::string project = ".";
  std::string catalog;  // --catalog overrides strata.yaml's
  bool json = false;
  bool password_stdin = false;
  std::string name;  // the user, role or token id the subcommand is about
  std::vector<std::string> roles;
  std::vector<std::string> words;  // grant/revoke: PRIVILEGE ON TARGET TO|FROM ROLE
  std::string user;
  std::string token_name;
  std::string ttl;
  std::string action;
  std::string since;
  int limit = 50;
};

// Adds --project, --catalog and (with `json`) --json to `command`.
void AddAccessCliOptions(CLI::App* command, AccessCliOptions& options, bool json);

// The project's AccessControl. With `create` false (reading commands) a SQLite catalog that does
// not exist yet is nullptr (nothing to read) instead of a new database.
Result<std::unique_ptr<access::AccessControl>> OpenAccess(const AccessCliOptions& options,
                                                          bool create);

// Runs `mutation` and records it in the audit log as done from the CLI by the OS user, with its
// outcome ("ok" or "failed" and the error); returns the mutation's status.
Status AuditedMutation(access::AccessControl& access, const std::string& action,
                       const std::string& target, const std::string& detail,
                       const std::function<Status()>& mutation);

// "2026-12-07T21:00:00Z" of now minus `seconds`.
std::string IsoSecondsAgo(int64_t seconds);
// "30d", "12h", "15m", "90s" or plain seconds; InvalidArgument naming the text otherwise.
Result<int64_t> ParseDurationSeconds(const std::string& text);

std::string PadRight(std::string text, size_t width);

void AddTokenCommand(CLI::App& app, CommandContext& context);
void AddAuditCommand(CLI::App& app, CommandContext& context);

}  // namespace strata::cli
