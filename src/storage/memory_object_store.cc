#include "storage/memory_object_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "storage/posix_file.h"

namespace strata::storage {

MemoryObjectStore::MemoryObjectStore(std::string name, Clock& clock)
    : name_(std::move(name)), clock_(clock) {}

Result<MemoryObjectStore::Entry> MemoryObjectStore::Find(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    return Status::NotFound("object \"" + std::string(key) + "\" not found in " + Uri());
  }
  return it->second;
}

Result<std::string> MemoryObjectStore::Get(std::string_view key) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  STRATA_ASSIGN_OR_RETURN(Entry entry, Find(key));
  return *entry.data;
}

Result<std::string> MemoryObjectStore::GetRange(std::string_view key, int64_t offset,
                                                int64_t length) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  if (offset < 0 || length < 0) {
    return Status::InvalidArgument("object \"" + std::string(key) + "\": negative range offset " +
                                   std::to_string(offset) + " or length " + std::to_string(length));
  }
  STRATA_ASSIGN_OR_RETURN(Entry entry, Find(key));
  const auto size = static_cast<int64_t>(entry.data->size());
  if (offset > size) {
    return Status::InvalidArgument("object \"" + std::string(key) + "\": range offset " +
                                   std::to_string(offset) + " is past its end (" +
                                   std::to_string(size) + " bytes)");
  }
  return entry.data->substr(static_cast<size_t>(offset), static_cast<size_t>(length));
}

Status MemoryObjectStore::Put(std::string_view key, std::string_view data) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  // Copy outside the lock: big values must not stall other callers.
  Entry entry{std::make_shared<const std::string>(data), clock_.NowMicros()};
  std::lock_guard<std::mutex> lock(mu_);
  objects_.insert_or_assign(std::string(key), std::move(entry));
  return Status::OK();
}

Status MemoryObjectStore::PutIfAbsent(std::string_view key, std::string_view data) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  Entry entry{std::make_shared<const std::string>(data), clock_.NowMicros()};
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = objects_.try_emplace(std::string(key), std::move(entry));
  if (!inserted) {
    return Status::AlreadyExists("object \"" + std::string(key) + "\" already exists in " + Uri());
  }
  return Status::OK();
}

Status MemoryObjectStore::PutFile(std::string_view key, const std::string& local_path) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  UniqueFd fd(::open(local_path.c_str(), O_RDONLY | O_CLOEXEC));
  const int open_errno = errno;
  const std::string what = "put \"" + std::string(key) + "\" from " + local_path;
  if (!fd.valid()) return ErrnoStatus(what, open_errno);
  STRATA_ASSIGN_OR_RETURN(std::string data, ReadAll(fd.get(), what));
  STRATA_RETURN_IF_ERROR(Put(key, data));
  if (::unlink(local_path.c_str()) != 0) {
    const int err = errno;
    return ErrnoStatus("put \"" + std::string(key) + "\": remove " + local_path, err);
  }
  return Status::OK();
}

Result<ListPage> MemoryObjectStore::List(std::string_view prefix, std::string_view page_token,
                                         int max_keys) {
  if (max_keys <= 0) {
    return Status::InvalidArgument("list \"" + std::string(prefix) + "\": max_keys " +
                                   std::to_string(max_keys) + " must be positive");
  }
  if (size_t slash = prefix.rfind('/'); slash != std::string_view::npos) {
    STRATA_RETURN_IF_ERROR(ValidateKey(prefix.substr(0, slash)));
  }
  ListPage page;
  std::lock_guard<std::mutex> lock(mu_);
  // Start at the later of the prefix and just past the token.
  auto it = objects_.lower_bound(prefix);
  if (!page_token.empty() && std::string_view(page_token) >= prefix) {
    it = objects_.upper_bound(page_token);
  }
  for (; it != objects_.end(); ++it) {
    std::string_view key = it->first;
    if (key.substr(0, prefix.size()) != prefix) break;
    if (IsTemporaryKey(key)) continue;
    if (static_cast<int>(page.objects.size()) == max_keys) {
      page.next_token = page.objects.back().key;
      break;
    }
    page.objects.push_back(ObjectInfo{it->first, static_cast<int64_t>(it->second.data->size()),
                                      it->second.modified_micros});
  }
  return page;
}

Status MemoryObjectStore::Delete(std::string_view key) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  std::lock_guard<std::mutex> lock(mu_);
  objects_.erase(std::string(key));
  return Status::OK();
}

Result<ObjectInfo> MemoryObjectStore::Head(std::string_view key) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  STRATA_ASSIGN_OR_RETURN(Entry entry, Find(key));
  return ObjectInfo{std::string(key), static_cast<int64_t>(entry.data->size()),
                    entry.modified_micros};
}

std::shared_ptr<MemoryObjectStore> SharedMemoryObjectStore(std::string_view name) {
  // Function-local statics: initialized on first use, so no static-init-order hazards.
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<MemoryObjectStore>, std::less<>> stores;
  std::lock_guard<std::mutex> lock(mu);
  auto it = stores.find(name);
  if (it == stores.end()) {
    it = stores.emplace(std::string(name), std::make_shared<MemoryObjectStore>(std::string(name)))
             .first;
  }
  return it->second;
}

}  // namespace strata::storage
