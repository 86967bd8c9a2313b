#include "storage/delta/actions.h"

#include <gtest/gtest.h>

#include "storage/delta/log_files.h"

namespace strata::delta {
namespace {

TEST(ActionsTest, ParsesEveryActionKind) {
  const std::string commit =
      R"({"commitInfo":{"timestamp":1700000000000,"operation":"WRITE","inCommitTimestamp":1700000000001}})"
      "\n"
      R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors"],"writerFeatures":["deletionVectors"]}})"
      "\n"
      R"({"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{}","partitionColumns":["p"],"configuration":{"a":"b"},"createdTime":5}})"
      "\n\n"
      R"({"add":{"path":"p=1/f%20a.parquet","partitionValues":{"p":"1","q":null},"size":10,"modificationTime":7,"dataChange":true,"stats":"{\"numRecords\":3}","deletionVector":{"storageType":"i","pathOrInlineDv":"abc","sizeInBytes":4,"cardinality":2}}})"
      "\n"
      R"({"remove":{"path":"old.parquet","deletionTimestamp":9,"dataChange":false}})"
      "\n"
      R"({"txn":{"appId":"ingest","version":42,"lastUpdated":8}})"
      "\n"
      R"({"domainMetadata":{"domain":"d","configuration":"{}","removed":false}})"
      "\n"
      R"({"cdc":{"path":"x","partitionValues":{},"size":1,"dataChange":false}})"
      "\n";
  auto actions = ParseCommitFile(commit, "00.json");
  ASSERT_TRUE(actions.ok()) << actions.status();
  ASSERT_EQ(actions->size(), 7u);  // cdc is skipped
  const auto& ci = std::get<CommitInfo>((*actions)[0]);
  EXPECT_EQ(ci.timestamp, 1700000000000);
  EXPECT_EQ(ci.in_commit_timestamp, 1700000000001);
  EXPECT_EQ(ci.operation, "WRITE");
  const auto& p = std::get<Protocol>((*actions)[1]);
  EXPECT_TRUE(p.HasReaderFeature("deletionVectors"));
  EXPECT_FALSE(p.HasReaderFeature("columnMapping"));
  const auto& m = std::get<Metadata>((*actions)[2]);
  EXPECT_EQ(m.partition_columns, std::vector<std::string>{"p"});
  EXPECT_EQ(m.configuration.at("a"), "b");
  const auto& add = std::get<AddFile>((*actions)[3]);
  EXPECT_EQ(add.path, "p=1/f%20a.parquet");
  EXPECT_EQ(add.partition_values.at("p"), "1");
  EXPECT_FALSE(add.partition_values.at("q").has_value());
  ASSERT_TRUE(add.deletion_vector.has_value());
  EXPECT_EQ(add.deletion_vector->UniqueId(), "iabc");
  EXPECT_EQ(std::get<RemoveFile>((*actions)[4]).data_change, false);
  EXPECT_EQ(std::get<SetTransaction>((*actions)[5]).version, 42);
  EXPECT_EQ(std::get<DomainMetadata>((*actions)[6]).domain, "d");
}

TEST(ActionsTest, BadJsonNamesFileAndLine) {
  auto r =
      ParseCommitFile("{\"commitInfo\":{}}\n{\"add\":{\"path\":\"a\",\n", "_delta_log/01.json");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption());
  EXPECT_NE(r.status().message().find("_delta_log/01.json:2"), std::string::npos) << r.status();
}

TEST(ActionsTest, MissingRequiredFieldIsCorruption) {
  auto r = ParseCommitFile(
      "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n"
      "{\"add\":{\"partitionValues\":{},\"size\":1}}\n",
      "v.json");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption());
  EXPECT_NE(r.status().message().find("v.json:2: add.path"), std::string::npos) << r.status();
  auto wrong_type = ParseCommitFile("{\"txn\":{\"appId\":\"a\",\"version\":\"x\"}}", "w.json");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.status().message().find("txn.version must be an integer"),
            std::string::npos);
}

// Found by fuzz/delta_log_fuzz: a float beyond int64 was converted (undefined behaviour).
TEST(ActionsTest, NumbersBeyondInt64AreCorruptionNotOverflow) {
  for (const char* version : {"6e49", "-1e300", "18446744073709551615"}) {
    auto r = ParseCommitFile(std::string("{\"txn\":{\"appId\":\"a\",\"version\":") + version + "}}",
                             "_delta_log/02.json");
    ASSERT_FALSE(r.ok()) << version;
    EXPECT_TRUE(r.status().IsCorruption()) << r.status();
    EXPECT_NE(r.status().message().find("_delta_log/02.json:1: txn.version"), std::string::npos)
        << r.status();
  }
  auto ok = ParseCommitFile("{\"txn\":{\"appId\":\"a\",\"version\":12.0}}", "v.json");
  ASSERT_TRUE(ok.ok()) << ok.status();  // integral floats stay accepted
}

TEST(ActionsTest, NullFieldsCountAsAbsent) {
  nlohmann::json row = nlohmann::json::parse(
      R"({"add":{"path":"a","partitionValues":{},"size":3,"modificationTime":1,"dataChange":true,"stats":null,"deletionVector":null,"tags":null},"remove":null})");
  auto a = ParseAction(row, "checkpoint row 1");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(a->has_value());
  const auto& add = std::get<AddFile>(**a);
  EXPECT_FALSE(add.stats.has_value());
  EXPECT_FALSE(add.deletion_vector.has_value());
}

TEST(ActionsTest, SerializesInProtocolSpellingAndRoundTrips) {
  AddFile add;
  add.path = "p=a%20b/x.parquet";
  add.partition_values = {{"p", "a b"}, {"q", std::nullopt}};
  add.size = 12;
  add.modification_time = 34;
  add.stats = R"({"numRecords":1})";
  SetTransaction txn{"app", 3, 99};
  Protocol protocol;
  std::vector<Action> actions = {protocol, add, txn};
  std::string text = SerializeActions(actions);
  EXPECT_EQ(
      text,
      "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n"
      "{\"add\":{\"path\":\"p=a%20b/x.parquet\",\"partitionValues\":{\"p\":\"a b\",\"q\":null},"
      "\"size\":12,\"modificationTime\":34,\"dataChange\":true,"
      "\"stats\":\"{\\\"numRecords\\\":1}\"}}\n"
      "{\"txn\":{\"appId\":\"app\",\"version\":3,\"lastUpdated\":99}}\n");
  auto back = ParseCommitFile(text, "rt.json");
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ(std::get<AddFile>((*back)[1]).partition_values, add.partition_values);
  EXPECT_EQ(SerializeActions(*back), text);
}

TEST(ActionsTest, InCommitTimestampIsWrittenFirst) {
  CommitInfo ci;
  ci.json = {{"operation", "WRITE"}};
  ci.in_commit_timestamp = 5;
  ci.timestamp = 5;
  std::string line = SerializeAction(ci);
  EXPECT_EQ(line.rfind("{\"commitInfo\":{\"inCommitTimestamp\":5", 0), 0u) << line;
}

TEST(LogFilesTest, ParsesLogFileNames) {
  auto parse = [](const std::string& name) {
    return ParseLogFileName(storage::ObjectInfo{"t/_delta_log/" + name, 0, 0});
  };
  EXPECT_EQ(parse("00000000000000000007.json")->type, LogFileType::kCommit);
  EXPECT_EQ(parse("00000000000000000007.json")->version, 7);
  EXPECT_EQ(parse("00000000000000000010.checkpoint.parquet")->type, LogFileType::kCheckpoint);
  auto part = parse("00000000000000000010.checkpoint.0000000002.0000000003.parquet");
  ASSERT_TRUE(part);
  EXPECT_EQ(part->type, LogFileType::kMultiPartCheckpoint);
  EXPECT_EQ(part->part, 2);
  EXPECT_EQ(part->num_parts, 3);
  auto v2 = parse("00000000000000000002.checkpoint.6374b053-df23-479b-b2cf-c9c550132b49.json");
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->type, LogFileType::kV2Checkpoint);
  EXPECT_FALSE(v2->parquet);
  EXPECT_FALSE(parse(".00000000000000000007.json.crc"));
  EXPECT_FALSE(parse("00000000000000000007.crc"));
  EXPECT_FALSE(parse("_last_checkpoint"));
  EXPECT_FALSE(parse("00000000000000000007.json.tmp"));
  EXPECT_EQ(CommitKey("lake/t", 3), "lake/t/_delta_log/00000000000000000003.json");
  EXPECT_EQ(CommitKey("", 3), "_delta_log/00000000000000000003.json");
}

TEST(LogFilesTest, DecodesPathsExactlyOnce) {
  EXPECT_EQ(*DecodeUriPath("_2=bar+%252521/x"), "_2=bar+%2521/x");
  EXPECT_EQ(*DecodeUriPath("special%20p@%23h"), "special p@#h");
  EXPECT_TRUE(DecodeUriPath("bad%2").status().IsCorruption());
  EXPECT_TRUE(DecodeUriPath("bad%zz").status().IsCorruption());
  const std::string raw = "p=a b%c#d?é/f.parquet";
  EXPECT_EQ(*DecodeUriPath(EncodeUriPath(raw)), raw);
  EXPECT_EQ(EncodeUriPath("p=a b/x"), "p=a%20b/x");
}

}  // namespace
}  // namespace strata::delta
