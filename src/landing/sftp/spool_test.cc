#include "landing/sftp/spool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "landing/sftp/sftp_test_util.h"

namespace strata::sftp {
namespace {

namespace fs = std::filesystem;

SpoolEntry Entry(const std::string& dir, const std::string& path, const std::string& at) {
  SpoolEntry entry;
  entry.dir = dir;
  entry.partner = "acme";
  entry.path = path;
  entry.real_path = "/landing/acme/" + path;
  entry.received_at = at;
  entry.device = 7;
  entry.inode = 42;
  return entry;
}

// What a process killed with entries in its spool leaves: an owner directory whose lock nobody
// holds, entries with facts and content.
void LeaveDeadOwner(const std::string& owner, const std::vector<SpoolEntry>& entries) {
  fs::create_directories(owner);
  std::ofstream(owner + "/lock").close();
  for (const SpoolEntry& entry : entries) {
    fs::create_directories(entry.dir);
    std::ofstream(entry.ContentPath()) << entry.path;
    ASSERT_TRUE(WriteSpoolFacts(entry).ok());
  }
}

TEST(SpoolTest, FactsRoundTrip) {
  testing::TempDir dir;
  SpoolEntry entry = Entry(dir.path(), "sub/pedidos.csv", "2026-01-02T03:04:05Z");
  ASSERT_TRUE(WriteSpoolFacts(entry).ok());
  auto read = ReadSpoolEntry(dir.path());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->path, "sub/pedidos.csv");
  EXPECT_EQ(read->inode, 42u);
  EXPECT_EQ(read->sha256, "");
  entry.sha256 = "ab";
  entry.size_bytes = 12;
  ASSERT_TRUE(WriteSpoolFacts(entry).ok());
  read = ReadSpoolEntry(dir.path());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->sha256, "ab");
  EXPECT_EQ(read->size_bytes, 12);
  EXPECT_FALSE(fs::exists(dir.path() + "/arrival.json.tmp"));
}

TEST(SpoolTest, BadFactsNameTheFile) {
  testing::TempDir dir;
  Status missing = ReadSpoolEntry(dir.path()).status();
  EXPECT_TRUE(missing.IsInvalidArgument());
  EXPECT_NE(missing.message().find("arrival.json"), std::string::npos) << missing;
  std::ofstream(dir.path() + "/arrival.json") << "{\"partner\": \"acme\"";
  EXPECT_NE(ReadSpoolEntry(dir.path()).status().message().find("not a JSON object"),
            std::string::npos);
  std::ofstream(dir.path() + "/arrival.json", std::ios::trunc) << "{\"partner\": \"acme\"}";
  Status incomplete = ReadSpoolEntry(dir.path()).status();
  EXPECT_TRUE(incomplete.IsInvalidArgument());
  EXPECT_NE(incomplete.message().find(dir.path()), std::string::npos) << incomplete;
}

TEST(SpoolTest, AdoptsDeadOwnersOldestFirstAndLeavesLiveOnesAlone) {
  testing::TempDir dir;
  const std::string spool = dir.path() + "/spool";
  // Two dead owners; the second one's entries came first.
  LeaveDeadOwner(spool + "/100-0", {Entry(spool + "/100-0/0", "c.csv", "2026-01-01T00:00:09Z"),
                                    Entry(spool + "/100-0/1", "d.csv", "2026-01-01T00:00:09Z")});
  LeaveDeadOwner(spool + "/200-3", {Entry(spool + "/200-3/10", "b.csv", "2026-01-01T00:00:05Z"),
                                    Entry(spool + "/200-3/9", "a.csv", "2026-01-01T00:00:05Z")});
  fs::create_directories(spool + "/100-0/2.new");  // never published: dropped
  fs::create_directories(spool + "/100-0/3");      // no facts: kept aside for an operator
  std::ofstream(spool + "/100-0/3/content") << "?";
  // A live owner (its lock held) keeps its entries.
  auto live = SpoolOwner::Create(spool);
  ASSERT_TRUE(live.ok()) << live.status();
  const std::string live_entry = (*live)->NewEntryPath();
  LeaveDeadOwner((*live)->dir(), {Entry(live_entry, "live.csv", "2026-01-01T00:00:00Z")});

  auto owner = SpoolOwner::Create(spool);
  ASSERT_TRUE(owner.ok()) << owner.status();
  std::vector<SpoolEntry> adopted = (*owner)->AdoptLeftovers();
  ASSERT_EQ(adopted.size(), 4u);
  // Same second: by owner, then by sequence number (9 before 10).
  EXPECT_EQ(adopted[0].path, "a.csv");
  EXPECT_EQ(adopted[1].path, "b.csv");
  EXPECT_EQ(adopted[2].path, "c.csv");
  EXPECT_EQ(adopted[3].path, "d.csv");
  for (size_t i = 0; i < adopted.size(); ++i) {
    EXPECT_EQ(fs::path(adopted[i].dir).parent_path(), fs::path((*owner)->dir()));
    EXPECT_EQ(fs::path(adopted[i].dir).filename(), std::to_string(i));  // renumbered in order
    std::ifstream content(adopted[i].ContentPath());
    std::string text;
    content >> text;
    EXPECT_EQ(text, adopted[i].path);
  }
  EXPECT_FALSE(fs::exists(spool + "/200-3"));
  EXPECT_FALSE(fs::exists(spool + "/100-0/2.new"));
  EXPECT_TRUE(fs::exists(spool + "/100-0/3.broken/content"));
  EXPECT_TRUE(fs::exists(live_entry + "/arrival.json"));
  // Nothing is adopted twice.
  auto another = SpoolOwner::Create(spool);
  ASSERT_TRUE(another.ok());
  EXPECT_TRUE((*another)->AdoptLeftovers().empty());
}

TEST(SpoolTest, AnOwnerRemovesItsDirectoryOnlyWhenEmpty) {
  testing::TempDir dir;
  const std::string spool = dir.path() + "/spool";
  std::string kept, removed;
  {
    auto owner = SpoolOwner::Create(spool);
    ASSERT_TRUE(owner.ok());
    removed = (*owner)->dir();
  }
  EXPECT_FALSE(fs::exists(removed));
  {
    auto owner = SpoolOwner::Create(spool);
    ASSERT_TRUE(owner.ok());
    kept = (*owner)->dir();
    fs::create_directories((*owner)->NewEntryPath());
  }
  EXPECT_TRUE(fs::exists(kept + "/lock"));
  EXPECT_NE(kept, removed);
}

}  // namespace
}  // namespace strata::sftp
