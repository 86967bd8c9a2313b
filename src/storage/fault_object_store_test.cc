#include "storage/fault_object_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/local_object_store.h"
#include "storage/memory_object_store.h"
#include "storage/storage_test_util.h"

namespace strata::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FaultObjectStoreTest : public ::testing::Test {
 protected:
  std::shared_ptr<MemoryObjectStore> memory_ = std::make_shared<MemoryObjectStore>("fault");
  FaultInjectingObjectStore store_{memory_};
};

TEST_F(FaultObjectStoreTest, PassesThroughWhenNothingIsArmed) {
  ASSERT_TRUE(store_.Put("a", "1").ok());
  EXPECT_EQ(store_.Get("a").value(), "1");
  EXPECT_EQ(memory_->Get("a").value(), "1");
  EXPECT_EQ(store_.Uri(), "memory://fault");
  EXPECT_EQ(store_.injected(), 0);
}

TEST_F(FaultObjectStoreTest, FailsTheNthCallOnlyOnce) {
  ASSERT_TRUE(store_.Put("a", "1").ok());
  store_.FailNthCall(3);
  EXPECT_TRUE(store_.Get("a").ok());    // 1
  EXPECT_TRUE(store_.Head("a").ok());   // 2
  Status third = store_.Put("a", "2");  // 3: fails before reaching the inner store
  EXPECT_TRUE(third.IsIOError()) << third;
  EXPECT_EQ(memory_->Get("a").value(), "1");
  EXPECT_TRUE(store_.Put("a", "3").ok());  // 4
  EXPECT_EQ(store_.Get("a").value(), "3");
  EXPECT_EQ(store_.injected(), 1);
}

TEST_F(FaultObjectStoreTest, FailsTheNthCallOfOneOperationWithTheChosenStatus) {
  store_.FailNthCall(3, FaultOp::kPutIfAbsent, Status::Conflict("injected conflict"));
  std::vector<StatusCode> codes;
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(store_.Get("x").status().IsNotFound());  // other operations do not count
    codes.push_back(store_.PutIfAbsent("log/" + std::to_string(i), "v").code());
  }
  EXPECT_THAT(codes, ElementsAre(StatusCode::kOk, StatusCode::kOk, StatusCode::kConflict,
                                 StatusCode::kOk, StatusCode::kOk));
  EXPECT_TRUE(memory_->Head("log/2").status().IsNotFound());
  EXPECT_EQ(store_.calls(FaultOp::kPutIfAbsent), 5);
  EXPECT_EQ(store_.calls(FaultOp::kGet), 5);
  EXPECT_EQ(store_.calls(FaultOp::kAny), 10);
}

TEST_F(FaultObjectStoreTest, AfterCallFaultAppliesTheWriteButReportsFailure) {
  store_.FailNthCall(1, FaultOp::kPutIfAbsent, Status::Timeout("response lost"),
                     FaultTiming::kAfterCall);
  EXPECT_EQ(store_.PutIfAbsent("commit/1", "data").code(), StatusCode::kTimeout);
  EXPECT_EQ(memory_->Get("commit/1").value(), "data");  // it did land
  EXPECT_TRUE(store_.PutIfAbsent("commit/1", "retry").IsAlreadyExists());
}

TEST_F(FaultObjectStoreTest, RandomFaultsAreReproducibleFromTheSeed) {
  ASSERT_TRUE(store_.Put("k", "v").ok());
  auto pattern = [&](uint64_t seed) {
    store_.FailWithProbability(0.3, seed, FaultOp::kHead);
    std::string out;
    for (int i = 0; i < 300; ++i) out += store_.Head("k").ok() ? '.' : 'X';
    EXPECT_TRUE(store_.Get("k").ok());  // other operations are spared
    store_.Reset();
    return out;
  };
  std::string first = pattern(42);
  EXPECT_EQ(pattern(42), first);
  EXPECT_NE(pattern(43), first);
  const auto failures = std::count(first.begin(), first.end(), 'X');
  EXPECT_GT(failures, 50);  // expected 90; these bounds are > 6 standard deviations away
  EXPECT_LT(failures, 130);
  store_.FailWithProbability(1.0, 1);
  EXPECT_TRUE(store_.Delete("k").IsIOError());
  store_.FailWithProbability(0.0, 1);
  EXPECT_TRUE(store_.Delete("k").ok());
}

TEST_F(FaultObjectStoreTest, CrashTearsATemporaryNeverTheTargetAndKillsTheStore) {
  ASSERT_TRUE(store_.Put("t/x", "old value").ok());
  store_.CrashAfterBytes(4);
  EXPECT_TRUE(store_.Get("t/x").ok());  // reads before the crash are unaffected
  Status crash = store_.Put("t/x", "0123456789");
  EXPECT_TRUE(crash.IsIOError()) << crash;
  EXPECT_THAT(crash.message(), HasSubstr("t/x"));
  EXPECT_TRUE(store_.crashed());

  // The "dead process" can do nothing more.
  EXPECT_THAT(store_.Get("t/x").status().message(), HasSubstr("crashed"));
  EXPECT_TRUE(store_.List("", "", 10).status().IsIOError());
  EXPECT_TRUE(store_.Put("t/y", "z").IsIOError());
  EXPECT_TRUE(store_.Delete("t/x").IsIOError());
  EXPECT_TRUE(memory_->Head("t/y").status().IsNotFound());

  // What it left behind: the target untouched, a torn temporary beside it that List hides.
  ASSERT_TRUE(store_.last_torn_key().has_value());
  EXPECT_TRUE(IsTemporaryKey(*store_.last_torn_key()));
  EXPECT_EQ(memory_->Get(*store_.last_torn_key()).value(), "0123");
  EXPECT_EQ(memory_->Get("t/x").value(), "old value");
  std::vector<ObjectInfo> listed = ListAll(*memory_, "").value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].key, "t/x");

  store_.Reset();  // a new process starts
  EXPECT_FALSE(store_.crashed());
  EXPECT_EQ(store_.Get("t/x").value(), "old value");
  EXPECT_TRUE(store_.Put("t/x", "new").ok());
}

TEST_F(FaultObjectStoreTest, CrashDuringPutIfAbsentLeavesTheKeyFree) {
  store_.CrashAfterBytes(1000);  // more than the data: still torn in the sense of not committed
  EXPECT_TRUE(store_.PutIfAbsent("log/0005.json", "commit").IsIOError());
  EXPECT_TRUE(memory_->Head("log/0005.json").status().IsNotFound());
  EXPECT_EQ(memory_->Get(*store_.last_torn_key()).value(), "commit");
  store_.Reset();
  EXPECT_TRUE(store_.PutIfAbsent("log/0005.json", "commit").ok());
  EXPECT_EQ(ListAll(store_, "log/").value().size(), 1u);
}

TEST(FaultOverLocalTest, CrashLeavesATornFileThatListAndGetIgnore) {
  testing::ScopedTempDir temp;
  std::shared_ptr<LocalObjectStore> local = LocalObjectStore::Open(temp.path()).value();
  FaultInjectingObjectStore store(local);
  ASSERT_TRUE(store.Put("tbl/_delta_log/0.json", "{\"v\":0}").ok());
  store.CrashAfterBytes(3);
  EXPECT_TRUE(store.PutIfAbsent("tbl/_delta_log/1.json", "{\"v\":1}").IsIOError());

  // On disk: the torn bytes exist only as a temporary file beside the target.
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(temp.path() + "/tbl/_delta_log")) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0], ".1.json.strata-tmp.crash-1");
  EXPECT_EQ(names[1], "0.json");
  EXPECT_EQ(std::filesystem::file_size(temp.path() + "/tbl/_delta_log/" + names[0]), 3u);

  store.Reset();
  EXPECT_TRUE(store.Get("tbl/_delta_log/1.json").status().IsNotFound());
  std::vector<ObjectInfo> listed = ListAll(store, "tbl/").value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].key, "tbl/_delta_log/0.json");
}

TEST(FaultOverLocalTest, CrashDuringPutFileKeepsTheSource) {
  testing::ScopedTempDir temp;
  FaultInjectingObjectStore store(LocalObjectStore::Open(temp.path() + "/s").value());
  const std::string source = temp.path() + "/staged";
  std::FILE* f = std::fopen(source.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("abcdefgh", f);
  std::fclose(f);
  store.CrashAfterBytes(5);
  EXPECT_TRUE(store.PutFile("d/file", source).IsIOError());
  EXPECT_TRUE(std::filesystem::exists(source));
  EXPECT_EQ(store.inner().Get(*store.last_torn_key()).value(), "abcde");
  EXPECT_TRUE(store.inner().Head("d/file").status().IsNotFound());
  EXPECT_EQ(store.calls(FaultOp::kPutFile), 1);
}

TEST_F(FaultObjectStoreTest, ResetCountersKeepsArmedFaultsInPlace) {
  EXPECT_TRUE(store_.Head("a").status().IsNotFound());
  store_.FailNthCall(2, FaultOp::kHead);
  store_.ResetCounters();
  EXPECT_EQ(store_.calls(FaultOp::kAny), 0);
  EXPECT_TRUE(store_.Head("a").status().IsNotFound());
  EXPECT_TRUE(store_.Head("a").status().IsIOError());
  EXPECT_EQ(store_.calls(FaultOp::kHead), 2);
}

}  // namespace
}  // namespace strata::storage
