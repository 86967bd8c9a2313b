// The SFTP server through the real OpenSSH client: file operations, partner isolation (no way
// into another partner's files: "..", absolute paths, symlinks), read-only users, password login.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "sftp/sftp_harness.h"

namespace strata::test::sftp {
namespace {

namespace fs = std::filesystem;

// stdout without the client's echo of the batch commands.
std::string Listing(const std::string& out) {
  std::string kept, line;
  for (char c : out + "\n") {
    if (c != '\n') {
      line += c;
      continue;
    }
    if (line.rfind("sftp>", 0) != 0) kept += line + "\n";
    line.clear();
  }
  return kept;
}

const char* kPedidos =
    "pedido_id,cliente_id,fornecedor_id,data_pedido,moeda,incoterm,status\n"
    "1,10,100,2024-03-01,USD,FOB,aberto\n"
    "2,11,101,2024-03-02,EUR,CIF,entregue\n";

TEST(SftpSessionTest, PutGetLsMkdirRenameRm) {
  SftpProject p;
  p.AddKeyUser("acme");
  p.StartServer();
  WriteText(p.work() + "/pedidos_a.csv", kPedidos);
  CommandResult session = p.Sftp("acme",
                                 "pwd\n"
                                 "put pedidos_a.csv\n"
                                 "ls -l\n"
                                 "mkdir inbox\n"
                                 "put pedidos_a.csv inbox/copy.csv\n"
                                 "rename inbox/copy.csv inbox/renamed.csv\n"
                                 "ls inbox\n"
                                 "get inbox/renamed.csv back.csv\n"
                                 "rm inbox/renamed.csv\n"
                                 "rmdir inbox\n"
                                 "ls\n");
  ASSERT_EQ(session.exit_code, 0) << session.out << session.err << p.ServerLog();
  EXPECT_NE(session.out.find("Remote working directory: /"), std::string::npos) << session.out;
  EXPECT_NE(session.out.find("pedidos_a.csv"), std::string::npos);
  EXPECT_NE(session.out.find("inbox/renamed.csv"), std::string::npos) << session.out;
  EXPECT_EQ(ReadText(p.work() + "/back.csv"), kPedidos);
  EXPECT_EQ(ReadText(p.dir() + "/landing/acme/pedidos_a.csv"), kPedidos);
  EXPECT_FALSE(fs::exists(p.dir() + "/landing/acme/inbox"));
  // Unknown remote files fail the batch with the client's usual message.
  CommandResult missing = p.Sftp("acme", "get nothing_here.csv\n");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE((missing.out + missing.err).find("not found"), std::string::npos) << missing.err;
  EXPECT_EQ(p.StopServer(), 0) << p.ServerLog();
}

TEST(SftpSessionTest, PartnersCannotReachEachOther) {
  SftpProject p;
  p.AddKeyUser("acme");
  p.AddKeyUser("globex");
  p.StartServer();
  WriteText(p.work() + "/pedidos_globex.csv", kPedidos);
  WriteText(p.work() + "/mine.csv", "a\n");
  CommandResult put = p.Sftp("globex", "put pedidos_globex.csv\nmkdir private\n");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  // A link someone placed inside acme's area, pointing at globex's: never followed.
  ASSERT_EQ(::symlink((p.dir() + "/landing/globex").c_str(),
                      (p.dir() + "/landing/acme/to_globex").c_str()),
            0);
  ASSERT_EQ(::symlink((p.dir() + "/strata.yaml").c_str(),
                      (p.dir() + "/landing/acme/project.yaml").c_str()),
            0);
  // '-' lets the batch continue after a failed command; each attempt must fail or stay inside.
  CommandResult probe = p.Sftp("acme",
                               "ls -la\n"
                               "-ls ../globex\n"
                               "-ls /../globex\n"
                               "-get ../globex/pedidos_globex.csv stolen1.csv\n"
                               "-get /../../globex/pedidos_globex.csv stolen2.csv\n"
                               "-get " +
                                   p.dir() +
                                   "/landing/globex/pedidos_globex.csv stolen3.csv\n"
                                   "-get ../../strata.yaml stolen4.yaml\n"
                                   "-get /etc/passwd stolen5\n"
                                   "-ls to_globex\n"
                                   "-get to_globex/pedidos_globex.csv stolen6.csv\n"
                                   "-get project.yaml stolen7.yaml\n"
                                   "-put mine.csv ../globex/planted.csv\n"
                                   "-put mine.csv to_globex/planted2.csv\n"
                                   "-rename ../globex/pedidos_globex.csv taken.csv\n"
                                   "-rm ../globex/pedidos_globex.csv\n"
                                   "-symlink mine.csv link.csv\n"
                                   "-ln ../globex/pedidos_globex.csv hard.csv\n");
  // What the server showed (the client echoes each command as "sftp> ..."; errors go to stderr).
  const std::string seen = Listing(probe.out);
  EXPECT_EQ(seen.find("pedidos_globex"), std::string::npos) << "acme saw globex's file:\n" << seen;
  EXPECT_EQ(seen.find("private"), std::string::npos) << seen;
  for (int i = 1; i <= 7; ++i) {
    for (const char* ext : {".csv", ".yaml", ""}) {
      EXPECT_FALSE(fs::exists(p.work() + "/stolen" + std::to_string(i) + ext)) << i << ext;
    }
  }
  // globex's area is untouched; acme's attempts landed (if anywhere) inside acme's own root.
  EXPECT_EQ(ReadText(p.dir() + "/landing/globex/pedidos_globex.csv"), kPedidos);
  EXPECT_FALSE(fs::exists(p.dir() + "/landing/globex/planted.csv"));
  EXPECT_FALSE(fs::exists(p.dir() + "/landing/globex/planted2.csv"));
  EXPECT_FALSE(fs::exists(p.dir() + "/landing/acme/link.csv"));
  EXPECT_FALSE(fs::exists(p.dir() + "/landing/acme/hard.csv"));
  EXPECT_FALSE(fs::exists(p.dir() + "/landing/planted.csv"));
  // The symlinks are not even listed.
  EXPECT_EQ(seen.find("to_globex"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("project.yaml"), std::string::npos) << seen;
  // And globex sees nothing of acme.
  CommandResult other = p.Sftp("globex", "ls -la\n-ls ../acme\n-ls /rejected/../../acme\n");
  EXPECT_EQ(Listing(other.out).find("to_globex"), std::string::npos) << other.out;
  EXPECT_NE(Listing(other.out).find("private"), std::string::npos) << other.out;
}

TEST(SftpSessionTest, ReadOnlyUserCanOnlyRead) {
  SftpProject p;
  p.AddKeyUser("auditor", /*read_only=*/true);
  p.StartServer();
  WriteText(p.dir() + "/landing/auditor/report.csv", "x\n1\n");
  WriteText(p.work() + "/upload.csv", "x\n2\n");
  CommandResult reading = p.Sftp("auditor", "ls\nget report.csv\n");
  ASSERT_EQ(reading.exit_code, 0) << reading.err;
  EXPECT_EQ(ReadText(p.work() + "/report.csv"), "x\n1\n");
  CommandResult writing = p.Sftp("auditor", "put upload.csv\n");
  EXPECT_NE(writing.exit_code, 0);
  EXPECT_NE(writing.err.find("ermission denied"), std::string::npos) << writing.err;
  EXPECT_FALSE(fs::exists(p.dir() + "/landing/auditor/upload.csv"));
  for (const char* command : {"mkdir d\n", "rm report.csv\n", "rename report.csv r.csv\n"}) {
    EXPECT_NE(p.Sftp("auditor", command).exit_code, 0) << command;
  }
  EXPECT_TRUE(fs::exists(p.dir() + "/landing/auditor/report.csv"));
}

TEST(SftpSessionTest, PasswordLoginWithSshpass) {
  SftpProject p;
  p.AddPasswordUser("initech", "correct horse");
  p.AddKeyUser("acme");
  p.StartServer();
  WriteText(p.work() + "/pedidos_pw.csv", kPedidos);
  CommandResult good = p.SftpWithPassword("initech", "correct horse", "put pedidos_pw.csv\nls\n");
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err << p.ServerLog();
  EXPECT_EQ(ReadText(p.dir() + "/landing/initech/pedidos_pw.csv"), kPedidos);
  CommandResult bad = p.SftpWithPassword("initech", "wrong horse", "ls\n");
  EXPECT_NE(bad.exit_code, 0);
  // A key user has no password: password login fails for it even with a password given.
  CommandResult keyless = p.SftpWithPassword("acme", "wrong horse", "ls\n");
  EXPECT_NE(keyless.exit_code, 0);
  CommandResult unknown = p.SftpWithPassword("nobody", "correct horse", "ls\n");
  EXPECT_NE(unknown.exit_code, 0);
  // The host key is made once and kept across restarts.
  const std::string key = ReadText(p.dir() + "/.strata/sftp/host_key");
  ASSERT_FALSE(key.empty());
  ASSERT_EQ(p.StopServer(), 0);
  p.StartServer();
  EXPECT_EQ(ReadText(p.dir() + "/.strata/sftp/host_key"), key);
}

TEST(SftpSessionTest, UserCommands) {
  SftpProject p;
  p.AddKeyUser("acme");
  p.AddPasswordUser("initech", "pw");
  CommandResult listed = RunStrata({"sftp", "user", "list", "--project", p.dir(), "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  auto users = nlohmann::json::parse(listed.out);
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0]["name"], "acme");
  EXPECT_EQ(users[0]["keys"], 1);
  EXPECT_EQ(users[1]["password"], true);
  EXPECT_EQ(ReadText(p.dir() + "/.strata/sftp/users.json").find("\"pw\""), std::string::npos);
  CommandResult duplicate = RunStrata(
      {"sftp", "user", "add", "acme", "--key", p.KeyPath("acme") + ".pub", "--project", p.dir()});
  EXPECT_EQ(duplicate.exit_code, 1);
  EXPECT_NE(duplicate.err.find("already exists"), std::string::npos) << duplicate.err;
  CommandResult bad_name =
      RunStrata({"sftp", "user", "add", "../x", "--password-stdin", "--project", p.dir()}, "pw\n");
  EXPECT_EQ(bad_name.exit_code, 1);
  CommandResult removed = RunStrata({"sftp", "user", "remove", "acme", "--project", p.dir()});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  CommandResult again = RunStrata({"sftp", "user", "remove", "acme", "--project", p.dir()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace strata::test::sftp
