// MemoryObjectStore: an ObjectStore held in process memory, for tests and scratch work. Keeps
// every contract of object_store.h (atomic puts, exclusive put-if-absent, sorted paginated list);
// nothing survives the process.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "storage/object_store.h"

namespace strata::storage {

// Thread-safe: one mutex guards the map; values are immutable shared buffers, so a reader copies
// out a whole value while writers swap in new ones.
class MemoryObjectStore final : public ObjectStore {
 public:
  // `name` appears in Uri() as "memory://name". `clock` stamps modification times; it must
  // outlive the store (the system clock by default).
  explicit MemoryObjectStore(std::string name, Clock& clock = Clock::System());

  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, int64_t offset, int64_t length) override;
  Status Put(std::string_view key, std::string_view data) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Status PutFile(std::string_view key, const std::string& local_path) override;
  Result<ListPage> List(std::string_view prefix, std::string_view page_token,
                        int max_keys) override;
  Status Delete(std::string_view key) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  std::optional<std::string> LocalPath(std::string_view) const override { return std::nullopt; }
  std::string Uri() const override { return "memory://" + name_; }

 private:
  struct Entry {
    std::shared_ptr<const std::string> data;
    int64_t modified_micros = 0;
  };
  // The entry for `key`, or NotFound. Caller validated the key.
  Result<Entry> Find(std::string_view key);

  const std::string name_;
  Clock& clock_;
  std::mutex mu_;
  // std::less<> compares std::string as unsigned bytes, which is the order List promises.
  std::map<std::string, Entry, std::less<>> objects_;
};

// The process-wide store for memory://NAME, created on first use and shared by every caller that
// names it. Thread-safe.
std::shared_ptr<MemoryObjectStore> SharedMemoryObjectStore(std::string_view name);

}  // namespace strata::storage
