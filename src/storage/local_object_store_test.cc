// LocalObjectStore beyond the shared contract: paths, directories, and what other processes see
// (racing writers, a writer killed mid-put).
#include "storage/local_object_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/memory_object_store.h"
#include "storage/storage_test_util.h"

namespace strata::storage {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::IsWholeSelfChecking;
using testing::ScopedTempDir;
using testing::SelfChecking;

std::unique_ptr<LocalObjectStore> OpenOrDie(const std::string& root) {
  Result<std::unique_ptr<LocalObjectStore>> store = LocalObjectStore::Open(root);
  if (!store.ok()) store.status().Check();
  return std::move(store).value();
}

// Every file under `root` whose name marks it as a writer's temporary.
std::vector<std::string> TemporaryFilesUnder(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (IsTemporaryKey(it->path().filename().string())) out.push_back(it->path().string());
  }
  return out;
}

void WriteLocalFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

TEST(LocalObjectStoreTest, OpenNormalizesAndCreatesTheRoot) {
  ScopedTempDir temp;
  auto store = OpenOrDie(temp.path() + "/x/../lake/");
  EXPECT_EQ(store->root(), temp.path() + "/lake");
  EXPECT_TRUE(fs::is_directory(temp.path() + "/lake"));
  EXPECT_EQ(store->Uri(), "file://" + temp.path() + "/lake");
  EXPECT_EQ(store->LocalPath("a/b.parquet"), temp.path() + "/lake/a/b.parquet");
  EXPECT_EQ(store->LocalPath("../escape"), std::nullopt);

  WriteLocalFile(temp.path() + "/plain-file", "x");
  Status not_dir = LocalObjectStore::Open(temp.path() + "/plain-file").status();
  EXPECT_TRUE(not_dir.IsIOError()) << not_dir;
  EXPECT_THAT(not_dir.message(), HasSubstr("plain-file"));
}

TEST(LocalObjectStoreTest, OpenObjectStoreChoosesByUri) {
  ScopedTempDir temp;
  auto by_path = OpenObjectStore(temp.path() + "/p");
  ASSERT_TRUE(by_path.ok()) << by_path.status();
  EXPECT_EQ((*by_path)->Uri(), "file://" + temp.path() + "/p");
  auto by_uri = OpenObjectStore("file://" + temp.path() + "/p");
  ASSERT_TRUE(by_uri.ok()) << by_uri.status();
  ASSERT_TRUE((*by_path)->Put("k", "v").ok());
  EXPECT_EQ((*by_uri)->Get("k").value(), "v");
  EXPECT_EQ((*by_uri)->LocalPath("k"), temp.path() + "/p/k");

  auto m1 = OpenObjectStore("memory://shared-test");
  auto m2 = OpenObjectStore("memory://shared-test");
  auto other = OpenObjectStore("memory://other-test");
  ASSERT_TRUE(m1.ok() && m2.ok() && other.ok());
  ASSERT_TRUE((*m1)->Put("k", "shared").ok());
  EXPECT_EQ((*m2)->Get("k").value(), "shared");
  EXPECT_TRUE((*other)->Get("k").status().IsNotFound());
  EXPECT_EQ((*m1)->Uri(), "memory://shared-test");
  EXPECT_EQ((*m1)->LocalPath("k"), std::nullopt);

  for (const char* bad : {"memory://", "s3x://bucket/x", "file://relative", ""}) {
    Status s = OpenObjectStore(bad).status();
    EXPECT_TRUE(s.IsInvalidArgument()) << bad << ": " << s;
  }
}

TEST(LocalObjectStoreTest, WritesLeaveNoTemporaryFiles) {
  ScopedTempDir temp;
  auto store = OpenOrDie(temp.path());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store->Put("d/k" + std::to_string(i % 4), std::string(i * 100, 'x')).ok());
    Status s = store->PutIfAbsent("d/once", "x");
    ASSERT_TRUE(s.ok() || s.IsAlreadyExists()) << s;
  }
  EXPECT_TRUE(TemporaryFilesUnder(temp.path()).empty());
  EXPECT_EQ(ListAll(*store, "").value().size(), 5u);
}

TEST(LocalObjectStoreTest, DeletePrunesEmptyDirectoriesUpToTheRoot) {
  ScopedTempDir temp;
  auto store = OpenOrDie(temp.path() + "/root");
  ASSERT_TRUE(store->Put("a/b/c/d", "1").ok());
  ASSERT_TRUE(store->Put("a/x", "2").ok());
  ASSERT_TRUE(store->Delete("a/b/c/d").ok());
  EXPECT_FALSE(fs::exists(temp.path() + "/root/a/b"));
  EXPECT_TRUE(fs::exists(temp.path() + "/root/a/x"));
  ASSERT_TRUE(store->Delete("a/x").ok());
  EXPECT_FALSE(fs::exists(temp.path() + "/root/a"));
  EXPECT_TRUE(fs::is_directory(temp.path() + "/root"));
}

TEST(LocalObjectStoreTest, AKeyCannotBeBothAnObjectAndAPrefix) {
  ScopedTempDir temp;
  auto store = OpenOrDie(temp.path());
  ASSERT_TRUE(store->Put("a", "file").ok());
  Status below = store->Put("a/b", "x");
  EXPECT_EQ(below.code(), StatusCode::kFailedPrecondition) << below;
  EXPECT_THAT(below.message(), HasSubstr("\"a/b\""));
  ASSERT_TRUE(store->Put("c/d", "x").ok());
  Status above = store->Put("c", "x");
  EXPECT_EQ(above.code(), StatusCode::kFailedPrecondition) << above;
  EXPECT_TRUE(store->PutIfAbsent("c", "x").IsAlreadyExists());
  EXPECT_EQ(store->Get("c/d").value(), "x");
}

TEST(LocalObjectStoreTest, StrayTemporaryFromACrashIsInvisible) {
  ScopedTempDir temp;
  auto store = OpenOrDie(temp.path());
  fs::create_directories(temp.path() + "/log");
  WriteLocalFile(temp.path() + "/log/.7.json.strata-tmp.4242.0.00ff", "{\"tor");
  EXPECT_TRUE(ListAll(*store, "").value().empty());
  EXPECT_TRUE(store->Get("log/7.json").status().IsNotFound());
  EXPECT_TRUE(store->PutIfAbsent("log/7.json", "{}").ok());
  EXPECT_EQ(ListAll(*store, "log/").value().size(), 1u);
}

TEST(LocalObjectStoreTest, ErrorsNameTheKeyAndTheOsError) {
  ScopedTempDir temp;
  auto store = OpenOrDie(temp.path());
  Status missing = store->Get("no/such/key").status();
  EXPECT_TRUE(missing.IsNotFound());
  EXPECT_THAT(missing.message(), HasSubstr("\"no/such/key\""));
  EXPECT_THAT(missing.message(), HasSubstr("No such file or directory"));
  if (::geteuid() != 0) {  // root ignores permissions
    ASSERT_TRUE(store->Put("ro/x", "1").ok());
    fs::permissions(temp.path() + "/ro", fs::perms::owner_read | fs::perms::owner_exec);
    Status denied = store->Put("ro/y", "2");
    fs::permissions(temp.path() + "/ro", fs::perms::owner_all);
    EXPECT_TRUE(denied.IsIOError()) << denied;
    EXPECT_THAT(denied.message(), HasSubstr("Permission denied"));
  }
}

TEST(LocalObjectStoreTest, PutFileCopiesAcrossFilesystems) {
  ScopedTempDir temp;
  struct stat tmp_stat, shm_stat;
  if (::stat("/dev/shm", &shm_stat) != 0 || ::stat(temp.path().c_str(), &tmp_stat) != 0 ||
      shm_stat.st_dev == tmp_stat.st_dev || ::access("/dev/shm", W_OK) != 0) {
    GTEST_SKIP() << "needs /dev/shm on another filesystem than " << temp.path();
  }
  auto store = OpenOrDie(temp.path());
  const std::string source = "/dev/shm/strata-putfile-" + std::to_string(::getpid());
  std::string data(200'000, 'q');
  WriteLocalFile(source, data);
  ASSERT_TRUE(store->PutFile("moved/file", source).ok());
  EXPECT_FALSE(fs::exists(source));
  EXPECT_EQ(store->Get("moved/file").value(), data);
  EXPECT_TRUE(TemporaryFilesUnder(temp.path()).empty());
}

TEST(LocalObjectStoreTest, ConcurrentDeletesDoNotBreakPutsInTheSameDirectory) {
  // Delete prunes directories that a concurrent Put may have just created for itself.
  ScopedTempDir temp;
  auto store = OpenOrDie(temp.path());
  std::atomic<int> errors{0};
  auto churn = [&](const std::string& key) {
    for (int i = 0; i < 300; ++i) {
      for (Status s : {store->Put(key, "v"), store->Delete(key)}) {
        if (!s.ok()) {
          ++errors;
          ADD_FAILURE() << s;
        }
      }
    }
  };
  std::thread a(churn, "deep/dir/tree/a");
  std::thread b(churn, "deep/dir/tree/b");
  std::thread c(churn, "deep/dir/c");
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_TRUE(ListAll(*store, "").value().empty());
}

// Forks `n` children that each run `body(i)` and exit with its return value; returns their pids.
template <typename Body>
std::vector<pid_t> ForkChildren(int n, Body body) {
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(body(i));  // _exit: skip gtest's and the sanitizers' exit handlers
    EXPECT_GT(pid, 0) << "fork failed";
    if (pid > 0) pids.push_back(pid);
  }
  return pids;
}

TEST(LocalObjectStoreProcessTest, PutIfAbsentRaceAcrossProcessesHasExactlyOneWinner) {
  constexpr int kProcesses = 8;
  constexpr int kKeys = 200;
  ScopedTempDir temp;
  const std::string root = temp.path() + "/store";
  const std::string results = temp.path() + "/results";
  fs::create_directories(results);
  auto content = [](int proc, int key) {
    // Distinct lengths too, so a mix of two writers' bytes cannot pass for either.
    return SelfChecking("process " + std::to_string(proc) + " key " + std::to_string(key) + " " +
                        std::string(static_cast<size_t>((proc * 977 + key * 31) % 5000), 'p'));
  };
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::vector<pid_t> pids = ForkChildren(kProcesses, [&](int proc) {
    ::close(go[1]);
    char c;
    (void)!::read(go[0], &c, 1);  // returns 0 when the parent closes its end: everyone starts
    Result<std::unique_ptr<LocalObjectStore>> store = LocalObjectStore::Open(root);
    if (!store.ok()) return 2;
    std::string outcome;
    for (int k = 0; k < kKeys; ++k) {
      Status s = (*store)->PutIfAbsent("race/k" + std::to_string(k), content(proc, k));
      outcome += s.ok() ? 'W' : s.IsAlreadyExists() ? 'L' : 'E';
    }
    WriteLocalFile(results + "/" + std::to_string(proc), outcome);
    return outcome.find('E') == std::string::npos ? 0 : 1;
  });
  ::close(go[0]);
  ::close(go[1]);
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  ASSERT_EQ(pids.size(), static_cast<size_t>(kProcesses));

  std::vector<std::string> outcomes;
  for (int p = 0; p < kProcesses; ++p) {
    std::ifstream in(results + "/" + std::to_string(p));
    outcomes.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    ASSERT_EQ(outcomes.back().size(), static_cast<size_t>(kKeys)) << "process " << p;
  }
  auto store = OpenOrDie(root);
  int contested = 0;  // keys that more than one process got to before all but one lost
  for (int k = 0; k < kKeys; ++k) {
    int winners = 0, winner = -1;
    for (int p = 0; p < kProcesses; ++p) {
      if (outcomes[p][k] == 'W') ++winners, winner = p;
    }
    ASSERT_EQ(winners, 1) << "key " << k;
    EXPECT_EQ(store->Get("race/k" + std::to_string(k)).value(), content(winner, k)) << "key " << k;
    contested += winner != 0;
  }
  EXPECT_EQ(ListAll(*store, "race/").value().size(), static_cast<size_t>(kKeys));
  EXPECT_TRUE(TemporaryFilesUnder(root).empty());
  std::printf("[ info     ] %d processes x %d keys; %d keys not won by process 0\n", kProcesses,
              kKeys, contested);
}

TEST(LocalObjectStoreProcessTest, WriterKilledMidPutLeavesOnlyWholeObjects) {
  ScopedTempDir temp;
  const std::string root = temp.path() + "/store";
  std::mt19937 rng(std::random_device{}());
  constexpr int kKills = 6;
  int stray_temporaries = 0, objects_checked = 0;
  for (int round = 0; round < kKills; ++round) {
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    std::vector<pid_t> pids = ForkChildren(1, [&](int) {
      ::close(ready[0]);
      auto store = LocalObjectStore::Open(root);
      if (!store.ok()) return 2;
      std::mt19937 child_rng(static_cast<unsigned>(::getpid()));
      for (uint64_t i = 0;; ++i) {
        // Cheap to build (the writer should spend its time writing), still unique per put.
        std::string body(child_rng() % (256 * 1024), static_cast<char>(child_rng()));
        body += std::to_string(i);
        const std::string key = "crash/k" + std::to_string(i % 16);
        Status s = (i % 5 == 4) ? (*store)->PutIfAbsent(key + "-once-" + std::to_string(round) +
                                                            "-" + std::to_string(i),
                                                        SelfChecking(body))
                                : (*store)->Put(key, SelfChecking(body));
        if (!s.ok()) {
          std::fprintf(stderr, "writer: %s\n", s.ToString().c_str());
          return 1;
        }
        if (i == 0) (void)!::write(ready[1], "r", 1);
      }
    });
    ::close(ready[1]);
    char c;
    ASSERT_EQ(::read(ready[0], &c, 1), 1) << "writer never started";
    ::close(ready[0]);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 100'000));
    ASSERT_EQ(::kill(pids[0], SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pids[0], &status, 0), pids[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited early with status " << status;

    auto store = OpenOrDie(root);
    std::vector<ObjectInfo> listed = ListAll(*store, "").value();
    ASSERT_FALSE(listed.empty());
    for (const ObjectInfo& info : listed) {
      EXPECT_FALSE(IsTemporaryKey(info.key)) << info.key;
      Result<std::string> value = store->Get(info.key);
      ASSERT_TRUE(value.ok()) << value.status();
      EXPECT_TRUE(IsWholeSelfChecking(*value))
          << info.key << " is torn (" << value->size() << " bytes)";
      ++objects_checked;
    }
    stray_temporaries = static_cast<int>(TemporaryFilesUnder(root).size());
  }
  std::printf("[ info     ] %d kills; %d objects verified whole; %d stray temporaries hidden\n",
              kKills, objects_checked, stray_temporaries);
}

}  // namespace
}  // namespace strata::storage
