// strata user / role / grant / revoke / token / audit as an administrator meets them: on a new
// project, against its catalog database, with usage errors as one line and exit 2, refusals as
// one line and exit 1, and a password or token secret never in any output or the audit log.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "access/access.h"
#include "test_util.h"

namespace strata::test {
namespace {

using Json = nlohmann::json;

constexpr const char* kPassword = "s3cret-pass-XYZ";

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

int Lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

class AccessCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    project_ = dir_.path() + "/proj";
    CommandResult init = RunStrata({"init", project_});
    ASSERT_EQ(init.exit_code, 0) << init.err;
  }

  // Runs `strata ARGS --project P` and keeps every output for the secret check.
  CommandResult Run(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.push_back("--project");
    args.push_back(project_);
    CommandResult r = RunStrata(args, stdin_text);
    everything_ += r.out + r.err;
    return r;
  }

  Json RunJson(std::vector<std::string> args) {
    args.push_back("--json");
    CommandResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  }

  TempDir dir_;
  std::string project_;
  std::string everything_;
};

TEST_F(AccessCliTest, UsersRolesGrantsAndTheirAudit) {
  CommandResult add =
      Run({"user", "add", "ana", "--role", "analyst"}, std::string(kPassword) + "\n");
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_TRUE(Contains(add.out, "user ana added with roles analyst")) << add.out;
  // The password went in as typed, without its newline.
  auto access = access::AccessControl::Open(project_ + "/.strata/catalog.db");
  ASSERT_TRUE(access.ok()) << access.status();
  EXPECT_TRUE((*access)->AuthenticatePassword("ana", kPassword).ok());

  Json users = RunJson({"user", "list"});
  ASSERT_EQ(users.size(), 1u) << users;
  EXPECT_EQ(users[0]["name"], "ana");
  EXPECT_EQ(users[0]["roles"], Json::array({"analyst"}));
  EXPECT_EQ(users[0]["disabled"], false);

  ASSERT_EQ(Run({"role", "create", "finance"}).exit_code, 0);
  CommandResult grant = Run({"grant", "read", "ON", "tag:finance", "TO", "finance"});
  ASSERT_EQ(grant.exit_code, 0) << grant.err;
  EXPECT_EQ(grant.out, "granted read on tag:finance to finance\n");
  ASSERT_EQ(Run({"user", "assign", "ana", "finance"}).exit_code, 0);
  Json roles = RunJson({"role", "list"});
  ASSERT_EQ(roles.size(), 4u) << roles;
  EXPECT_EQ(roles[3]["name"], "finance");
  EXPECT_EQ(roles[3]["grants"][0]["target"], "tag:finance");
  auto ana = (*access)->PrincipalOf("ana");
  ASSERT_TRUE(ana.ok());
  EXPECT_EQ(ana->roles, (std::vector<std::string>{"analyst", "finance"}));

  ASSERT_EQ(Run({"user", "disable", "ana"}).exit_code, 0);
  EXPECT_FALSE((*access)->AuthenticatePassword("ana", kPassword).ok());
  ASSERT_EQ(Run({"user", "enable", "ana"}).exit_code, 0);
  ASSERT_EQ(Run({"user", "passwd", "ana"}, "another-long-one\n").exit_code, 0);
  EXPECT_TRUE((*access)->AuthenticatePassword("ana", "another-long-one").ok());
  ASSERT_EQ(Run({"revoke", "read", "on", "tag:finance", "from", "finance"}).exit_code, 0);

  // Each mutation is in the audit log, done by the OS user from "cli"; failures too.
  EXPECT_EQ(Run({"role", "create", "finance"}).exit_code, 1);
  Json audit = RunJson({"audit"});
  ASSERT_EQ(audit.size(), 9u) << audit.dump(2);
  EXPECT_EQ(audit[0]["action"], "role.create");
  EXPECT_EQ(audit[0]["outcome"], "failed");
  EXPECT_TRUE(Contains(audit[0]["detail"].get<std::string>(), "already exists")) << audit[0];
  EXPECT_EQ(audit[8]["action"], "user.add");
  EXPECT_EQ(audit[8]["target"], "user:ana");
  EXPECT_EQ(audit[8]["address"], "cli");
  EXPECT_FALSE(audit[8]["user"].get<std::string>().empty());
  Json grants = RunJson({"audit", "--action", "grant", "--since", "1h"});
  ASSERT_EQ(grants.size(), 1u) << grants;
  EXPECT_EQ(grants[0]["detail"], "read on tag:finance");
  CommandResult text = Run({"audit", "--limit", "2"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(Lines(text.out), 2) << text.out;

  EXPECT_FALSE(Contains(everything_, kPassword)) << everything_;
  EXPECT_FALSE(Contains(everything_, "another-long-one"));
}

TEST_F(AccessCliTest, BadInputIsOneClearLine) {
  ASSERT_EQ(Run({"role", "create", "finance"}).exit_code, 0);
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"grant", "write", "ON", "*", "TO", "finance"}, 2, "unknown privilege 'write'"},
      {{"grant", "read", "IN", "*", "TO", "finance"}, 2, "expected 'on', not 'IN'"},
      {{"grant", "read", "ON", "schema:x", "TO", "finance"}, 2, "invalid target 'schema:x'"},
      {{"grant", "read", "ON", "*", "finance"}, 2, "words"},
      {{"grant", "run", "ON", "layer:gold", "TO", "finance"}, 1, "granted on * only"},
      {{"grant", "read", "ON", "*", "TO", "nobody"}, 1, "no role 'nobody'"},
      {{"grant", "read", "ON", "*", "TO", "analyst"}, 1, "built in"},
      {{"revoke", "read", "ON", "*", "FROM", "finance"}, 1, "has no grant read on *"},
      {{"role", "drop", "admin"}, 1, "built in"},
      {{"user", "remove", "nobody"}, 1, "no user 'nobody'"},
      {{"user", "add", "bad name"}, 1, "invalid user name"},
      {{"user", "add", "ana", "--password", kPassword}, 2, "never an argument"},
      {{"token", "create", "--user", "nobody", "--name", "x"}, 1, "no user 'nobody'"},
      {{"token", "revoke", "0123456789abcdef"}, 1, "no token '0123456789abcdef'"},
      {{"audit", "--since", "yesterday"}, 1, "invalid time 'yesterday'"},
  };
  for (const Case& c : cases) {
    CommandResult r = Run(c.args, "long enough password\n");
    EXPECT_EQ(r.exit_code, c.exit_code) << c.args[0] << " " << c.args[1] << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, c.message)) << r.err;
    EXPECT_EQ(Lines(r.err), 1) << r.err;
    EXPECT_TRUE(r.err.rfind("strata: error: ", 0) == 0) << r.err;
  }
  CommandResult short_password = Run({"user", "add", "bia"}, "short\n");
  EXPECT_EQ(short_password.exit_code, 1);
  EXPECT_TRUE(Contains(short_password.err, "at least 8 characters")) << short_password.err;
  CommandResult no_password = Run({"user", "add", "bia"}, "");
  EXPECT_EQ(no_password.exit_code, 1);
  EXPECT_TRUE(Contains(no_password.err, "no password on stdin")) << no_password.err;
  EXPECT_FALSE(Contains(everything_, kPassword)) << everything_;
  CommandResult help = RunStrata({"grant", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(Contains(help.out, "PRIVILEGE ON TARGET")) << help.out;
}

TEST_F(AccessCliTest, TheLastAdminStays) {
  ASSERT_EQ(Run({"user", "add", "root", "--role", "admin"}, "long enough\n").exit_code, 0);
  CommandResult remove = Run({"user", "remove", "root"});
  EXPECT_EQ(remove.exit_code, 1);
  EXPECT_TRUE(Contains(remove.err, "no enabled user with the admin privilege")) << remove.err;
  EXPECT_EQ(Run({"user", "disable", "root"}).exit_code, 1);
  ASSERT_EQ(Run({"user", "add", "root2", "--role", "admin"}, "long enough\n").exit_code, 0);
  EXPECT_EQ(Run({"user", "remove", "root"}).exit_code, 0);
  CommandResult list = Run({"user", "list"});
  EXPECT_TRUE(Contains(list.out, "root2")) << list.out;
  EXPECT_FALSE(Contains(list.out, "root ")) << list.out;
}

TEST_F(AccessCliTest, TokensAreShownOnceAndRevoked) {
  ASSERT_EQ(Run({"user", "add", "eng", "--role", "engineer"}, "long enough\n").exit_code, 0);
  Json made = RunJson({"token", "create", "--user", "eng", "--name", "grafana", "--ttl", "30d"});
  ASSERT_TRUE(made.is_object()) << made;
  const std::string secret = made["token"];
  const std::string id = made["id"];
  EXPECT_EQ(secret.rfind("strata_" + id + "_", 0), 0u) << secret;
  EXPECT_FALSE(made["expires_at"].get<std::string>().empty());
  auto access = access::AccessControl::Open(project_ + "/.strata/catalog.db");
  ASSERT_TRUE(access.ok());
  EXPECT_TRUE((*access)->AuthenticateToken(secret).ok());

  std::string before = everything_;
  Json tokens = RunJson({"token", "list"});
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0]["id"], id);
  EXPECT_FALSE(tokens[0].contains("token"));
  CommandResult text = Run({"token", "list", "--user", "eng"});
  EXPECT_TRUE(Contains(text.out, id)) << text.out;
  EXPECT_EQ(Run({"token", "create", "--user", "eng", "--name", "x", "--ttl", "soon"}).exit_code, 1);
  CommandResult plain = Run({"token", "create", "--user", "eng", "--name", "ci"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_TRUE(Contains(plain.out, "shown only now")) << plain.out;

  CommandResult revoke = Run({"token", "revoke", id});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_FALSE((*access)->AuthenticateToken(secret).ok());
  EXPECT_EQ(RunJson({"token", "list", "--user", "eng"}).size(), 1u);
  Json audit = RunJson({"audit", "--action", "token."});
  EXPECT_EQ(audit.size(), 3u) << audit;  // the bad --ttl stopped before any change
  // After its creation, the secret shows nowhere: not in lists, not in the audit log.
  EXPECT_FALSE(Contains(everything_.substr(before.size()), secret.substr(24)));
}

}  // namespace
}  // namespace strata::test
