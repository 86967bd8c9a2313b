#include "storage/delta/deletion_vector.h"

#include <gtest/gtest.h>

#include "storage/delta/delta_test_util.h"

namespace strata::delta {
namespace {

TEST(Z85Test, MatchesTheSpecVector) {
  const std::string bytes = "\x86\x4F\xD2\x6F\xB5\x59\xF7\x5B";
  EXPECT_EQ(Z85Encode(bytes), "HelloWorld");
  EXPECT_EQ(*Z85Decode("HelloWorld"), bytes);
  EXPECT_TRUE(Z85Decode("Hell").status().IsCorruption());
  EXPECT_TRUE(Z85Decode("Hell\"").status().IsCorruption());
}

TEST(RoaringTest, RoundTripsArrayBitmapAndHighContainers) {
  std::vector<uint64_t> rows = {0, 3, 9, 65535, 65536, 70000};
  for (uint64_t r = 200000; r < 210000; ++r) rows.push_back(r);  // a dense (bitmap) container
  rows.push_back((uint64_t{5} << 32) + 1);                       // a second 32-bit bitmap
  auto parsed = ParseRoaringBitmapArray(SerializeRoaringBitmapArray(rows));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, rows);
}

TEST(RoaringTest, RejectsBadMagicAndTruncation) {
  std::string bytes = SerializeRoaringBitmapArray({1, 2, 3});
  std::string bad_magic = bytes;
  bad_magic[0] ^= 1;
  EXPECT_TRUE(ParseRoaringBitmapArray(bad_magic).status().IsCorruption());
  auto truncated = ParseRoaringBitmapArray(bytes.substr(0, bytes.size() - 1));
  EXPECT_TRUE(truncated.status().IsCorruption());
}

TEST(DeletionVectorTest, LoadsInlineVectors) {
  std::string bitmap = SerializeRoaringBitmapArray({2, 4, 100});
  size_t size = bitmap.size();
  while (bitmap.size() % 4) bitmap += '\0';  // Z85 works on 4-byte groups
  DeletionVectorDescriptor dv{"i", Z85Encode(bitmap), std::nullopt, static_cast<int32_t>(size), 3};
  auto store = storage::OpenObjectStore("memory://dv-inline");
  ASSERT_TRUE(store.ok());
  auto rows = LoadDeletionVector(**store, "t", dv);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, (std::vector<uint64_t>{2, 4, 100}));
  dv.cardinality = 4;
  EXPECT_TRUE(LoadDeletionVector(**store, "t", dv).status().IsCorruption());
}

TEST(DeletionVectorTest, LoadsUuidFileFromConformanceTable) {
  auto store = storage::OpenObjectStore(testing::ConformanceDir() + "/table-with-dv-small/delta");
  ASSERT_TRUE(store.ok());
  DeletionVectorDescriptor dv{"u", "vBn[lx{q8@P<9BNH/isA", 1, 36, 2};
  EXPECT_EQ(*DeletionVectorRelativePath(dv),
            "deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin");
  auto rows = LoadDeletionVector(**store, "", dv);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, (std::vector<uint64_t>{0, 9}));
  dv.path_or_inline_dv = "ab" + dv.path_or_inline_dv;
  EXPECT_EQ(DeletionVectorRelativePath(dv)->rfind("ab/deletion_vector_", 0), 0u);
}

TEST(DeletionVectorTest, DetectsChecksumMismatch) {
  auto store = storage::OpenObjectStore("memory://dv-crc");
  ASSERT_TRUE(store.ok());
  std::string bitmap = SerializeRoaringBitmapArray({1, 7});
  std::string file = "\x01";
  uint32_t n = static_cast<uint32_t>(bitmap.size());
  for (int i = 3; i >= 0; --i) file += static_cast<char>((n >> (8 * i)) & 0xFF);
  file += bitmap + std::string("\0\0\0\0", 4);  // wrong CRC
  DeletionVectorDescriptor dv{"p", "file:///nowhere", 1, static_cast<int32_t>(n), 2};
  ASSERT_TRUE((*store)->Put("t/dv.bin", file).ok());
  dv.path_or_inline_dv = "dv.bin";  // resolved relative to the table root for "p" too
  auto rows = LoadDeletionVector(**store, "t", dv);
  ASSERT_FALSE(rows.ok());
  EXPECT_TRUE(rows.status().IsCorruption());
  EXPECT_NE(rows.status().message().find("checksum"), std::string::npos) << rows.status();
}

}  // namespace
}  // namespace strata::delta
