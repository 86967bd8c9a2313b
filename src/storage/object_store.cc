// Key rules, pagination helper and the URI front door shared by every store.
#include "storage/object_store.h"

#include <string>
#include <utility>

#include "storage/local_object_store.h"
#include "storage/memory_object_store.h"

namespace strata::storage {
namespace {

constexpr std::string_view kTempMarker = ".strata-tmp.";
// Large enough that ListAll needs few round trips, small enough for S3's 1000-key pages.
constexpr int kListAllPageSize = 1000;

Status BadKey(std::string_view key, std::string_view rule) {
  std::string msg = "invalid key \"";
  msg += key;
  msg += "\": ";
  msg += rule;
  return Status::InvalidArgument(std::move(msg));
}

std::string_view LastComponent(std::string_view key) {
  size_t slash = key.rfind('/');
  return slash == std::string_view::npos ? key : key.substr(slash + 1);
}

}  // namespace

Status ValidateKey(std::string_view key) {
  if (key.empty()) return BadKey(key, "empty");
  if (key.find('\0') != std::string_view::npos) return BadKey(key, "contains NUL");
  if (key.front() == '/') return BadKey(key, "starts with '/'");
  if (key.back() == '/') return BadKey(key, "ends with '/'");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view part = key.substr(start, end - start);
    if (part.empty()) return BadKey(key, "empty path component");
    if (part == "." || part == "..") return BadKey(key, "'.' or '..' path component");
    start = end + 1;
  }
  return Status::OK();
}

bool IsTemporaryKey(std::string_view key) {
  std::string_view name = LastComponent(key);
  return name.size() > kTempMarker.size() && name.front() == '.' &&
         name.find(kTempMarker, 1) != std::string_view::npos;
}

std::string TemporaryKeyFor(std::string_view key, std::string_view unique) {
  size_t slash = key.rfind('/');
  std::string out;
  if (slash != std::string_view::npos) out.append(key.substr(0, slash + 1));
  out += '.';
  out.append(LastComponent(key));
  out.append(kTempMarker);
  out.append(unique);
  return out;
}

Result<std::vector<ObjectInfo>> ListAll(ObjectStore& store, std::string_view prefix) {
  std::vector<ObjectInfo> all;
  std::string token;
  while (true) {
    STRATA_ASSIGN_OR_RETURN(ListPage page, store.List(prefix, token, kListAllPageSize));
    for (ObjectInfo& info : page.objects) all.push_back(std::move(info));
    if (page.next_token.empty()) break;
    // A store that hands back the token it was given would loop forever; that is its bug.
    if (page.next_token == token) {
      return Status::Internal("object store " + store.Uri() + " repeated list token " + token);
    }
    token = std::move(page.next_token);
  }
  return all;
}

Result<std::shared_ptr<ObjectStore>> OpenObjectStore(std::string_view uri) {
  constexpr std::string_view kMemory = "memory://";
  constexpr std::string_view kFile = "file://";
  if (uri.substr(0, kMemory.size()) == kMemory) {
    std::string_view name = uri.substr(kMemory.size());
    if (name.empty()) {
      return Status::InvalidArgument("object store URI \"" + std::string(uri) +
                                     "\": memory:// needs a name");
    }
    return std::shared_ptr<ObjectStore>(SharedMemoryObjectStore(name));
  }
  std::string_view path = uri;
  if (uri.substr(0, kFile.size()) == kFile) {
    path = uri.substr(kFile.size());
    if (path.empty() || path.front() != '/') {
      return Status::InvalidArgument("object store URI \"" + std::string(uri) +
                                     "\": file:// needs an absolute path (file:///dir)");
    }
  } else if (size_t colon = uri.find("://"); colon != std::string_view::npos) {
    return Status::InvalidArgument("object store URI \"" + std::string(uri) + "\": scheme \"" +
                                   std::string(uri.substr(0, colon)) +
                                   "\" is not supported (use a path, file://, or memory://)");
  }
  if (path.empty()) return Status::InvalidArgument("object store URI is empty");
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<LocalObjectStore> local,
                          LocalObjectStore::Open(std::string(path)));
  return std::shared_ptr<ObjectStore>(std::move(local));
}

}  // namespace strata::storage
