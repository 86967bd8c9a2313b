// The ObjectStore contract, run against every implementation. A new store joins by adding a
// factory to kStores; nothing else here may know which store it is testing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "storage/fault_object_store.h"
#include "storage/local_object_store.h"
#include "storage/memory_object_store.h"
#include "storage/object_store.h"
#include "storage/storage_test_util.h"

namespace strata::storage {
namespace {

using ::testing::HasSubstr;

struct StoreFactory {
  std::string name;
  std::function<std::shared_ptr<ObjectStore>(const std::string& temp_dir)> make;
};

// Names the store in failure messages instead of dumping the struct's bytes.
void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

const StoreFactory kStores[] = {
    {"Local",
     [](const std::string& dir) -> std::shared_ptr<ObjectStore> {
       return std::move(LocalObjectStore::Open(dir + "/store")).value();
     }},
    {"Memory",
     [](const std::string&) -> std::shared_ptr<ObjectStore> {
       return std::make_shared<MemoryObjectStore>("conformance");
     }},
    {"FaultOverMemory",
     [](const std::string&) -> std::shared_ptr<ObjectStore> {
       return std::make_shared<FaultInjectingObjectStore>(
           std::make_shared<MemoryObjectStore>("conformance"));
     }},
};

class ObjectStoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam().make(temp_.path()); }

  std::vector<std::string> Keys(std::string_view prefix) {
    Result<std::vector<ObjectInfo>> all = ListAll(*store_, prefix);
    EXPECT_TRUE(all.ok()) << all.status();
    std::vector<std::string> keys;
    if (all.ok()) {
      for (const ObjectInfo& info : *all) keys.push_back(info.key);
    }
    return keys;
  }

  void PutAll(const std::vector<std::string>& keys) {
    for (const std::string& key : keys) ASSERT_TRUE(store_->Put(key, "v:" + key).ok()) << key;
  }

  testing::ScopedTempDir temp_;
  std::shared_ptr<ObjectStore> store_;
};

TEST_P(ObjectStoreConformanceTest, PutThenGetReturnsTheData) {
  ASSERT_TRUE(store_->Put("a/b/c.json", "hello").ok());
  Result<std::string> got = store_->Get("a/b/c.json");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "hello");
}

TEST_P(ObjectStoreConformanceTest, PutOverwrites) {
  ASSERT_TRUE(store_->Put("k", "first, longer value").ok());
  ASSERT_TRUE(store_->Put("k", "second").ok());
  EXPECT_EQ(store_->Get("k").value(), "second");
  EXPECT_EQ(store_->Head("k")->size, 6);
}

TEST_P(ObjectStoreConformanceTest, MissingKeyIsNotFound) {
  ASSERT_TRUE(store_->Put("dir/present", "x").ok());
  EXPECT_TRUE(store_->Get("dir/absent").status().IsNotFound());
  EXPECT_TRUE(store_->Get("nodir/absent").status().IsNotFound());
  EXPECT_TRUE(store_->GetRange("dir/absent", 0, 1).status().IsNotFound());
  EXPECT_TRUE(store_->Head("dir/absent").status().IsNotFound());
  // A prefix of existing keys is not itself an object.
  EXPECT_TRUE(store_->Get("dir").status().IsNotFound());
  EXPECT_TRUE(store_->Head("dir").status().IsNotFound());
  EXPECT_THAT(store_->Get("dir/absent").status().message(), HasSubstr("dir/absent"));
}

TEST_P(ObjectStoreConformanceTest, GetRange) {
  ASSERT_TRUE(store_->Put("r", "0123456789").ok());
  EXPECT_EQ(store_->GetRange("r", 2, 3).value(), "234");
  EXPECT_EQ(store_->GetRange("r", 0, 10).value(), "0123456789");
  EXPECT_EQ(store_->GetRange("r", 7, 100).value(), "789");  // clipped at the end
  EXPECT_EQ(store_->GetRange("r", 10, 5).value(), "");      // at the end: empty, not an error
  EXPECT_EQ(store_->GetRange("r", 4, 0).value(), "");
  Status past = store_->GetRange("r", 11, 1).status();
  EXPECT_TRUE(past.IsInvalidArgument()) << past;
  EXPECT_THAT(past.message(), HasSubstr("\"r\""));
  EXPECT_TRUE(store_->GetRange("r", -1, 1).status().IsInvalidArgument());
  EXPECT_TRUE(store_->GetRange("r", 0, -1).status().IsInvalidArgument());
}

TEST_P(ObjectStoreConformanceTest, PutIfAbsentCreatesOnceAndNeverOverwrites) {
  ASSERT_TRUE(store_->PutIfAbsent("log/0001.json", "first").ok());
  Status second = store_->PutIfAbsent("log/0001.json", "second");
  EXPECT_TRUE(second.IsAlreadyExists()) << second;
  EXPECT_THAT(second.message(), HasSubstr("log/0001.json"));
  EXPECT_EQ(store_->Get("log/0001.json").value(), "first");
  EXPECT_EQ(Keys(""), std::vector<std::string>{"log/0001.json"});
  // A plain Put may still replace it.
  ASSERT_TRUE(store_->Put("log/0001.json", "third").ok());
  EXPECT_EQ(store_->Get("log/0001.json").value(), "third");
}

TEST_P(ObjectStoreConformanceTest, ListByPrefixIsNotByDirectory) {
  PutAll({"a/x", "a/y/z", "ab", "abc/d", "b", "a-b"});
  EXPECT_EQ(Keys("a/"), (std::vector<std::string>{"a/x", "a/y/z"}));
  EXPECT_EQ(Keys("ab"), (std::vector<std::string>{"ab", "abc/d"}));
  EXPECT_EQ(Keys("a"), (std::vector<std::string>{"a-b", "a/x", "a/y/z", "ab", "abc/d"}));
  EXPECT_EQ(Keys("a/y/"), (std::vector<std::string>{"a/y/z"}));
  EXPECT_EQ(Keys("a/y/z"), (std::vector<std::string>{"a/y/z"}));
  EXPECT_TRUE(Keys("c").empty());
  EXPECT_TRUE(Keys("nope/deeper/").empty());
  EXPECT_EQ(Keys("").size(), 6u);
}

TEST_P(ObjectStoreConformanceTest, ListIsInByteOrder) {
  // '-' (0x2d) < '/' (0x2f) < '0' (0x30) < 'Z' < 'a' < 0xc3 (UTF-8 lead byte, unsigned).
  std::vector<std::string> keys = {"t/a\xc3\xa9", "t/a/b",   "t/a-b", "t/a0",
                                   "t/aZ",        "t/a/a/a", "t/a.b", "t/a"};
  // "t/a" and "t/a/b" cannot coexist on a filesystem; keep only keys every store can hold.
  keys.erase(std::find(keys.begin(), keys.end(), "t/a"));
  PutAll(keys);
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());  // std::string compares bytes as unsigned
  EXPECT_EQ(Keys("t/"), sorted);
  EXPECT_EQ(sorted.front(), "t/a-b");
  EXPECT_EQ(sorted.back(), "t/a\xc3\xa9");
}

TEST_P(ObjectStoreConformanceTest, PaginationCoversEverythingExactlyOnce) {
  std::vector<std::string> keys;
  for (int i = 0; i < 7; ++i) {
    keys.push_back("p/" + std::to_string(i % 3) + "/k" + std::to_string(i));
  }
  keys.push_back("p/z");
  keys.push_back("q/outside");
  PutAll(keys);
  std::vector<std::string> expected(keys.begin(), keys.end() - 1);
  std::sort(expected.begin(), expected.end());
  for (int page_size : {1, 2, 3, 100}) {
    SCOPED_TRACE("page size " + std::to_string(page_size));
    std::vector<std::string> seen;
    std::string token;
    int pages = 0;
    do {
      Result<ListPage> page = store_->List("p/", token, page_size);
      ASSERT_TRUE(page.ok()) << page.status();
      ASSERT_LE(static_cast<int>(page->objects.size()), page_size);
      for (const ObjectInfo& info : page->objects) seen.push_back(info.key);
      token = page->next_token;
      ASSERT_LT(++pages, 100) << "pagination does not end";
    } while (!token.empty());
    EXPECT_EQ(seen, expected);
    EXPECT_EQ(pages, (static_cast<int>(expected.size()) + page_size - 1) / page_size);
  }
  EXPECT_TRUE(store_->List("p/", "", 0).status().IsInvalidArgument());
}

TEST_P(ObjectStoreConformanceTest, DeleteIsIdempotent) {
  ASSERT_TRUE(store_->Put("x/y/z", "1").ok());
  ASSERT_TRUE(store_->Put("x/w", "2").ok());
  ASSERT_TRUE(store_->Delete("x/y/z").ok());
  EXPECT_TRUE(store_->Get("x/y/z").status().IsNotFound());
  EXPECT_TRUE(store_->Delete("x/y/z").ok());
  EXPECT_TRUE(store_->Delete("never/was").ok());
  EXPECT_TRUE(store_->Delete("x").ok());  // only a prefix: nothing to delete
  EXPECT_EQ(Keys(""), std::vector<std::string>{"x/w"});
  ASSERT_TRUE(store_->Delete("x/w").ok());
  EXPECT_TRUE(Keys("").empty());
  // The emptied "directories" are no obstacle to writing there again.
  ASSERT_TRUE(store_->PutIfAbsent("x/y/z", "3").ok());
  EXPECT_EQ(store_->Get("x/y/z").value(), "3");
}

TEST_P(ObjectStoreConformanceTest, HeadReportsSizeAndModificationTime) {
  const int64_t before = Clock::System().NowMicros();
  ASSERT_TRUE(store_->Put("h/obj", std::string(1234, 'h')).ok());
  const int64_t after = Clock::System().NowMicros();
  Result<ObjectInfo> info = store_->Head("h/obj");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->key, "h/obj");
  EXPECT_EQ(info->size, 1234);
  // Filesystem timestamps may be coarser than the clock; allow a little slack.
  EXPECT_GE(info->modified_micros, before - 2'000'000);
  EXPECT_LE(info->modified_micros, after + 2'000'000);
  std::vector<ObjectInfo> listed = ListAll(*store_, "h/").value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].size, 1234);
  EXPECT_EQ(listed[0].modified_micros, info->modified_micros);
}

TEST_P(ObjectStoreConformanceTest, BinaryDataWithNulsRoundTrips) {
  std::string data;
  for (int round = 0; round < 3; ++round) {
    for (int b = 0; b < 256; ++b) data.push_back(static_cast<char>(b));
  }
  data.append(5, '\0');
  ASSERT_TRUE(store_->Put("bin", data).ok());
  EXPECT_EQ(store_->Get("bin").value(), data);
  EXPECT_EQ(store_->Head("bin")->size, static_cast<int64_t>(data.size()));
  EXPECT_EQ(store_->GetRange("bin", 250, 12).value(), data.substr(250, 12));
}

TEST_P(ObjectStoreConformanceTest, LargeObjectRoundTrips) {
  std::string data(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131) >> 3);
  ASSERT_TRUE(store_->Put("big", data).ok());
  EXPECT_EQ(store_->Get("big").value(), data);
  EXPECT_EQ(store_->GetRange("big", 1'000'000, 2'000'000).value(),
            data.substr(1'000'000, 2'000'000));
}

TEST_P(ObjectStoreConformanceTest, EmptyObjectsExist) {
  ASSERT_TRUE(store_->Put("e/empty", "").ok());
  ASSERT_TRUE(store_->PutIfAbsent("e/empty2", "").ok());
  EXPECT_EQ(store_->Get("e/empty").value(), "");
  EXPECT_EQ(store_->Head("e/empty")->size, 0);
  EXPECT_EQ(store_->GetRange("e/empty", 0, 10).value(), "");
  EXPECT_TRUE(store_->GetRange("e/empty", 1, 1).status().IsInvalidArgument());
  EXPECT_TRUE(store_->PutIfAbsent("e/empty", "x").IsAlreadyExists());
  EXPECT_EQ(Keys("e/"), (std::vector<std::string>{"e/empty", "e/empty2"}));
}

TEST_P(ObjectStoreConformanceTest, InvalidKeysAreRejectedByName) {
  const std::string local_file = temp_.path() + "/local-file";
  for (std::string key : {std::string(""), std::string("/a"), std::string("a//b"),
                          std::string("a/../b"), std::string("a/"), std::string("./a"),
                          std::string("a/."), std::string("..", 2), std::string("a\0b", 3)}) {
    SCOPED_TRACE("key \"" + key + "\"");
    const std::string quoted = "\"" + key + "\"";
    std::vector<Status> outcomes = {store_->Get(key).status(),
                                    store_->GetRange(key, 0, 1).status(),
                                    store_->Put(key, "x"),
                                    store_->PutIfAbsent(key, "x"),
                                    store_->PutFile(key, local_file),
                                    store_->Delete(key),
                                    store_->Head(key).status(),
                                    ValidateKey(key)};
    for (const Status& s : outcomes) {
      EXPECT_TRUE(s.IsInvalidArgument()) << s;
      EXPECT_THAT(s.message(), HasSubstr(quoted));
    }
  }
  EXPECT_TRUE(Keys("").empty());
  EXPECT_TRUE(store_->List("../", "", 10).status().IsInvalidArgument());
}

TEST_P(ObjectStoreConformanceTest, PutFileMovesALocalFileIn) {
  const std::string local_file = temp_.path() + "/staged.parquet";
  {
    std::FILE* f = std::fopen(local_file.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("PAR1 staged bytes", f);
    std::fclose(f);
  }
  ASSERT_TRUE(store_->PutFile("t/part-0.parquet", local_file).ok());
  EXPECT_EQ(store_->Get("t/part-0.parquet").value(), "PAR1 staged bytes");
  EXPECT_FALSE(std::filesystem::exists(local_file));
  Status missing = store_->PutFile("t/part-1.parquet", local_file);
  EXPECT_TRUE(missing.IsNotFound()) << missing;
  EXPECT_THAT(missing.message(), HasSubstr(local_file));
  EXPECT_EQ(Keys("t/"), std::vector<std::string>{"t/part-0.parquet"});
}

TEST_P(ObjectStoreConformanceTest, TemporaryKeysAreNeverListed) {
  const std::string temp_key = TemporaryKeyFor("d/00001.json", "writer-7");
  EXPECT_EQ(temp_key, "d/.00001.json.strata-tmp.writer-7");
  EXPECT_TRUE(IsTemporaryKey(temp_key));
  EXPECT_FALSE(IsTemporaryKey("d/00001.json"));
  EXPECT_FALSE(IsTemporaryKey("d/.hidden"));
  ASSERT_TRUE(store_->Put(temp_key, "torn").ok());
  ASSERT_TRUE(store_->Put("d/00000.json", "whole").ok());
  EXPECT_EQ(Keys("d/"), std::vector<std::string>{"d/00000.json"});
  EXPECT_EQ(store_->Get(temp_key).value(), "torn");
  EXPECT_TRUE(store_->Get("d/00001.json").status().IsNotFound());
}

TEST_P(ObjectStoreConformanceTest, ConcurrentPutIfAbsentHasExactlyOneWinner) {
  constexpr int kThreads = 8;
  constexpr int kKeys = 40;
  std::vector<std::vector<int>> wins(kThreads);
  std::atomic<int> unexpected{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (int k = 0; k < kKeys; ++k) {
        Status s = store_->PutIfAbsent("race/" + std::to_string(k), "thread " + std::to_string(t));
        if (s.ok()) {
          wins[t].push_back(k);
        } else if (!s.IsAlreadyExists()) {
          ++unexpected;
        }
      }
    });
  }
  go = true;
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(unexpected.load(), 0);
  std::vector<int> winner(kKeys, -1);
  for (int t = 0; t < kThreads; ++t) {
    for (int k : wins[t]) {
      EXPECT_EQ(winner[k], -1) << "key " << k << " won twice";
      winner[k] = t;
    }
  }
  for (int k = 0; k < kKeys; ++k) {
    ASSERT_NE(winner[k], -1) << "key " << k << " has no winner";
    EXPECT_EQ(store_->Get("race/" + std::to_string(k)).value(),
              "thread " + std::to_string(winner[k]));
  }
  EXPECT_EQ(Keys("race/").size(), static_cast<size_t>(kKeys));
}

TEST_P(ObjectStoreConformanceTest, ConcurrentReadersNeverSeeATornPut) {
  // Each writer has its own length and fill byte, so any mix or prefix of two values shows.
  constexpr int kWriters = 3;
  constexpr int kWritesEach = 60;
  constexpr int kReaders = 2;
  auto value_of = [](int w) {
    return std::string(size_t{1} << (10 + 3 * w), static_cast<char>('A' + w));
  };
  ASSERT_TRUE(store_->Put("hot/key", value_of(0)).ok());
  std::atomic<int> writers_left{kWriters};
  std::atomic<int> torn{0};
  std::atomic<int> failed{0};
  std::atomic<int> reads{0};
  std::atomic<int> readers_running{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      const std::string value = value_of(w);
      // Start only once both readers run, or a fast store finishes before anyone looks.
      while (readers_running.load() < kReaders) std::this_thread::yield();
      for (int i = 0; i < kWritesEach; ++i) {
        if (!store_->Put("hot/key", value).ok()) ++failed;
      }
      --writers_left;
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&] {
      ++readers_running;
      for (int mine = 0; writers_left.load() > 0 || mine < 20; ++mine) {
        Result<std::string> got = store_->Get("hot/key");
        ++reads;
        if (!got.ok()) {
          ++failed;
          continue;
        }
        bool whole = false;
        for (int w = 0; w < kWriters; ++w) whole = whole || *got == value_of(w);
        if (!whole) ++torn;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(torn.load(), 0) << "of " << reads.load() << " reads";
  EXPECT_GE(reads.load(), 2 * 20);
}

INSTANTIATE_TEST_SUITE_P(AllStores, ObjectStoreConformanceTest, ::testing::ValuesIn(kStores),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace strata::storage
