#include "landing/sftp/intake.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "landing/sftp/sftp_test_util.h"

namespace strata::sftp {
namespace {

pipeline::Project TwoSources() {
  pipeline::Project project;
  pipeline::SourceSpec pedidos;
  pedidos.spec.name = "pedidos";
  pedidos.spec.format = "csv";
  pedidos.spec.file_patterns = {"pedidos*.csv"};
  pipeline::SourceSpec eventos;
  eventos.spec.name = "eventos";
  eventos.spec.format = "jsonl";
  eventos.spec.file_patterns = {"eventos/*", "extra_*.jsonl"};
  project.sources = {pedidos, eventos};
  return project;
}

TEST(MatchSourceTest, PicksTheSourceByPattern) {
  pipeline::Project project = TwoSources();
  auto pedidos = MatchSource(project, "pedidos_2024.csv");
  ASSERT_TRUE(pedidos.ok()) << pedidos.status();
  EXPECT_EQ((*pedidos)->spec.name, "pedidos");
  auto eventos = MatchSource(project, "eventos/a.jsonl");
  ASSERT_TRUE(eventos.ok()) << eventos.status();
  EXPECT_EQ((*eventos)->spec.name, "eventos");
}

TEST(MatchSourceTest, SaysWhyAFileFitsNoSource) {
  pipeline::Project project = TwoSources();
  Status none = MatchSource(project, "clientes.csv").status();
  EXPECT_TRUE(none.IsInvalidArgument());
  EXPECT_NE(none.message().find("clientes.csv"), std::string::npos) << none;
  EXPECT_NE(none.message().find("pedidos*.csv"), std::string::npos) << none;
  // Subdirectories are not the landing root: "pedidos*.csv" does not take "sub/pedidos.csv".
  EXPECT_FALSE(MatchSource(project, "sub/pedidos.csv").ok());
  Status extension = MatchSource(project, "eventos/a.xlsx").status();
  EXPECT_TRUE(extension.IsInvalidArgument());
  EXPECT_NE(extension.message().find(".xlsx"), std::string::npos) << extension;
  EXPECT_NE(extension.message().find("eventos"), std::string::npos) << extension;
  pipeline::Project empty;
  EXPECT_NE(MatchSource(empty, "x.csv").status().message().find("no sources"), std::string::npos);
}

TEST(IntakeTest, TemporaryNames) {
  EXPECT_TRUE(IsTemporaryName("pedidos.csv.part"));
  EXPECT_TRUE(IsTemporaryName("sub/.pedidos.csv"));
  EXPECT_TRUE(IsTemporaryName("x.filepart"));
  EXPECT_TRUE(IsTemporaryName("x.csv.tmp"));
  EXPECT_FALSE(IsTemporaryName("pedidos.csv"));
  EXPECT_FALSE(IsTemporaryName(".hidden/pedidos.csv"));
}

TEST(IntakeTest, HashFileStreams) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/f";
  std::ofstream(path) << "abc";
  auto hashed = HashFile(path);
  ASSERT_TRUE(hashed.ok());
  EXPECT_EQ(hashed->first, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hashed->second, 3);
  std::ofstream(path, std::ios::trunc).close();
  auto empty = HashFile(path);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->first, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_FALSE(HashFile(dir.path() + "/missing").ok());
}

TEST(LandingZoneTest, RejectKeepsEveryVersionWithItsReason) {
  testing::TempDir dir;
  LandingZone zone(dir.path(), dir.path() + "/landing", dir.path() + "/.strata/catalog.db");
  const std::string content = dir.path() + "/content";
  std::ofstream(content) << "x,y\n";
  auto first = zone.Reject("acme", "data.xlsx", content, "wrong extension");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, "rejected/acme/data.xlsx");
  auto second = zone.Reject("acme", "data.xlsx", content, "still wrong");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, "rejected/acme/data.xlsx.2");
  std::stringstream reason;
  reason << std::ifstream(dir.path() + "/rejected/acme/data.xlsx.2.rejected.txt").rdbuf();
  EXPECT_NE(reason.str().find("still wrong"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/rejected/acme/data.xlsx"));
  EXPECT_TRUE(std::filesystem::exists(content));  // nothing deleted
}

}  // namespace
}  // namespace strata::sftp
