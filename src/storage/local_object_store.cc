#include "storage/local_object_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <random>
#include <system_error>
#include <utility>
#include <vector>

#include "storage/posix_file.h"

namespace strata::storage {
namespace {

// A concurrent Delete may prune the directory we just created before our temporary lands in it;
// recreating it a bounded number of times turns that race into a retry instead of an error.
constexpr int kMaxDirectoryRaceRetries = 64;

std::string UniqueSuffix() {
  // pid separates processes (also forked children that inherit the generator state); the counter
  // separates calls in one process; the random part guards against pid reuse across crashes.
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%d.%" PRIx64 ".%016" PRIx64, static_cast<int>(::getpid()),
                counter.fetch_add(1, std::memory_order_relaxed), rng());
  return buf;
}

std::string ParentDir(const std::string& path) { return path.substr(0, path.rfind('/')); }

int64_t MtimeMicros(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

}  // namespace

Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Open(std::string root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path path = fs::absolute(fs::path(root), ec);
  if (ec) return Status::IOError("local store " + root + ": " + ec.message());
  path = path.lexically_normal();
  std::string normalized = path.string();
  while (normalized.size() > 1 && normalized.back() == '/') normalized.pop_back();
  fs::create_directories(normalized, ec);
  if (ec) return Status::IOError("local store " + normalized + ": create: " + ec.message());
  if (!fs::is_directory(normalized, ec)) {
    return Status::IOError("local store " + normalized + ": not a directory");
  }
  return std::make_unique<LocalObjectStore>(std::move(normalized), PrivateTag());
}

std::string LocalObjectStore::PathOf(std::string_view key) const {
  std::string path = root_;
  if (path != "/") path += '/';
  path += key;
  return path;
}

std::string LocalObjectStore::Describe(std::string_view op, std::string_view key) const {
  std::string out(op);
  out += " \"";
  out += key;
  out += "\" in ";
  out += Uri();
  return out;
}

std::optional<std::string> LocalObjectStore::LocalPath(std::string_view key) const {
  if (!ValidateKey(key).ok()) return std::nullopt;
  return PathOf(key);
}

Status LocalObjectStore::MakeParents(std::string_view key) const {
  for (int attempt = 0;; ++attempt) {
    int err = 0;
    std::string dir;
    for (size_t slash = key.find('/'); slash != std::string_view::npos && err == 0;
         slash = key.find('/', slash + 1)) {
      dir = PathOf(key.substr(0, slash));
      if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) err = errno;
    }
    if (err == 0) return Status::OK();
    // ENOENT: a concurrent Delete pruned a directory we had just made; start again from the top.
    if (err == ENOENT && attempt < kMaxDirectoryRaceRetries) continue;
    if (err == ENOTDIR) {
      return Status::FailedPrecondition(Describe("put", key) +
                                        ": a prefix of the key is an object");
    }
    return ErrnoStatus(Describe("put", key) + ": mkdir " + dir, err);
  }
}

Result<std::string> LocalObjectStore::WriteTemporary(
    std::string_view op, std::string_view key, const std::function<Status(int fd)>& fill) const {
  std::string temp = PathOf(TemporaryKeyFor(key, UniqueSuffix()));
  UniqueFd fd;
  for (int attempt = 0; !fd.valid(); ++attempt) {
    STRATA_RETURN_IF_ERROR(MakeParents(key));
    fd = UniqueFd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.valid()) break;
    int err = errno;
    if (err == ENOENT && attempt < kMaxDirectoryRaceRetries) continue;
    if (err == EEXIST && attempt < kMaxDirectoryRaceRetries) {
      temp = PathOf(TemporaryKeyFor(key, UniqueSuffix()));
      continue;
    }
    if (err == ENOTDIR || err == EISDIR) {
      return Status::FailedPrecondition(Describe(op, key) + ": a prefix of the key is an object");
    }
    return ErrnoStatus(Describe(op, key) + ": create " + temp, err);
  }
  Status status = fill(fd.get());
  if (status.ok() && ::fsync(fd.get()) != 0) {
    const int err = errno;
    status = ErrnoStatus(Describe(op, key) + ": fsync " + temp, err);
  }
  if (int err = fd.Close(); status.ok() && err != 0) {
    status = ErrnoStatus(Describe(op, key) + ": close " + temp, err);
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return temp;
}

Result<std::string> LocalObjectStore::Get(std::string_view key) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  UniqueFd fd(::open(PathOf(key).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    const int saved_errno = errno;
    return ErrnoStatus(Describe("get", key), saved_errno);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    const int saved_errno = errno;
    return ErrnoStatus(Describe("get", key), saved_errno);
  }
  if (S_ISDIR(st.st_mode)) return Status::NotFound(Describe("get", key) + ": not an object");
  return ReadAll(fd.get(), Describe("get", key));
}

Result<std::string> LocalObjectStore::GetRange(std::string_view key, int64_t offset,
                                               int64_t length) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  if (offset < 0 || length < 0) {
    return Status::InvalidArgument(Describe("get range of", key) + ": negative offset " +
                                   std::to_string(offset) + " or length " + std::to_string(length));
  }
  UniqueFd fd(::open(PathOf(key).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    const int saved_errno = errno;
    return ErrnoStatus(Describe("get", key), saved_errno);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    const int saved_errno = errno;
    return ErrnoStatus(Describe("get", key), saved_errno);
  }
  if (S_ISDIR(st.st_mode)) return Status::NotFound(Describe("get", key) + ": not an object");
  const auto size = static_cast<int64_t>(st.st_size);
  if (offset > size) {
    return Status::InvalidArgument(Describe("get range of", key) + ": offset " +
                                   std::to_string(offset) + " is past its end (" +
                                   std::to_string(size) + " bytes)");
  }
  return PreadRange(fd.get(), offset, std::min(length, size - offset), Describe("get", key));
}

Status LocalObjectStore::Put(std::string_view key, std::string_view data) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  STRATA_ASSIGN_OR_RETURN(std::string temp, WriteTemporary("put", key, [&](int fd) {
                            return WriteAll(fd, data, Describe("put", key));
                          }));
  const std::string target = PathOf(key);
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    if (err == EISDIR) {
      return Status::FailedPrecondition(Describe("put", key) +
                                        ": the key is a prefix of other objects");
    }
    return ErrnoStatus(Describe("put", key) + ": rename", err);
  }
  return SyncDir(ParentDir(target)).WithContext(Describe("put", key));
}

Status LocalObjectStore::PutIfAbsent(std::string_view key, std::string_view data) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  const std::string target = PathOf(key);
  auto exists = [&] { return Status::AlreadyExists(Describe("put-if-absent", key) + ": exists"); };
  // Cheap early answer for the common losing case; link below is what decides races.
  struct stat st;
  if (::lstat(target.c_str(), &st) == 0) return exists();
  STRATA_ASSIGN_OR_RETURN(std::string temp, WriteTemporary("put-if-absent", key, [&](int fd) {
                            return WriteAll(fd, data, Describe("put-if-absent", key));
                          }));
  int err = ::link(temp.c_str(), target.c_str()) == 0 ? 0 : errno;
  if (err == EPERM || err == EOPNOTSUPP || err == ENOSYS) {
    // No hard links here (some FUSE and network filesystems): an exclusive rename is atomic too.
    err = ::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0
              ? 0
              : errno;
  }
  ::unlink(temp.c_str());  // after a link the target keeps the data; after a rename, a no-op
  if (err == EEXIST) return exists();
  if (err != 0) return ErrnoStatus(Describe("put-if-absent", key) + ": link", err);
  return SyncDir(ParentDir(target)).WithContext(Describe("put-if-absent", key));
}

Status LocalObjectStore::PutFile(std::string_view key, const std::string& local_path) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  const std::string what = Describe("put", key) + " from " + local_path;
  UniqueFd source(::open(local_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!source.valid()) {
    const int saved_errno = errno;
    return ErrnoStatus(what, saved_errno);
  }
  // The caller finished the file but may not have synced it; a rename of unsynced data can
  // surface as an empty object after a power loss.
  if (::fsync(source.get()) != 0) {
    const int saved_errno = errno;
    return ErrnoStatus(what + ": fsync", saved_errno);
  }
  const std::string target = PathOf(key);
  int err = 0;
  for (int attempt = 0; attempt <= kMaxDirectoryRaceRetries; ++attempt) {
    STRATA_RETURN_IF_ERROR(MakeParents(key));
    err = ::rename(local_path.c_str(), target.c_str()) == 0 ? 0 : errno;
    if (err != ENOENT) break;  // ENOENT: our directory was pruned under us, or the source moved
  }
  if (err == EXDEV) {
    // Another filesystem: copy into a temporary beside the target, then rename as Put does.
    STRATA_ASSIGN_OR_RETURN(std::string temp, WriteTemporary("put", key, [&](int fd) {
                              while (true) {
                                char buf[64 * 1024];
                                ssize_t n = ::read(source.get(), buf, sizeof(buf));
                                if (n < 0 && errno == EINTR) continue;
                                if (n < 0) {
                                  const int saved_errno = errno;
                                  return ErrnoStatus(what + ": read", saved_errno);
                                }
                                if (n == 0) return Status::OK();
                                STRATA_RETURN_IF_ERROR(WriteAll(
                                    fd, std::string_view(buf, static_cast<size_t>(n)), what));
                              }
                            }));
    err = ::rename(temp.c_str(), target.c_str()) == 0 ? 0 : errno;
    if (err != 0) {
      ::unlink(temp.c_str());
    } else if (::unlink(local_path.c_str()) != 0) {
      const int unlink_errno = errno;
      return ErrnoStatus(what + ": remove source", unlink_errno);
    }
  }
  if (err == EISDIR) {
    return Status::FailedPrecondition(what + ": the key is a prefix of other objects");
  }
  if (err != 0) return ErrnoStatus(what + ": rename", err);
  return SyncDir(ParentDir(target)).WithContext(what);
}

Status LocalObjectStore::Delete(std::string_view key) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  if (::unlink(PathOf(key).c_str()) != 0) {
    int err = errno;
    // Absent (or only a prefix of other objects): deleting is idempotent, as in S3.
    if (err == ENOENT || err == ENOTDIR || err == EISDIR) return Status::OK();
    return ErrnoStatus(Describe("delete", key), err);
  }
  PruneEmptyParents(key);
  return Status::OK();
}

void LocalObjectStore::PruneEmptyParents(std::string_view key) const {
  // rmdir only removes empty directories, so racing with a writer that just created one is safe:
  // either its file is already inside (ENOTEMPTY, we stop) or it recreates the directory.
  for (size_t slash = key.rfind('/'); slash != std::string_view::npos && slash > 0;
       slash = key.rfind('/', slash - 1)) {
    if (::rmdir(PathOf(key.substr(0, slash)).c_str()) != 0) return;
  }
}

Result<ObjectInfo> LocalObjectStore::Head(std::string_view key) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  struct stat st;
  if (::stat(PathOf(key).c_str(), &st) != 0) {
    const int saved_errno = errno;
    return ErrnoStatus(Describe("head", key), saved_errno);
  }
  if (!S_ISREG(st.st_mode)) return Status::NotFound(Describe("head", key) + ": not an object");
  return ObjectInfo{std::string(key), static_cast<int64_t>(st.st_size), MtimeMicros(st)};
}

struct LocalObjectStore::ListState {
  std::string_view prefix;
  std::string_view token;
  size_t limit = 0;  // stop once this many objects are collected
  std::vector<ObjectInfo> objects;
};

Status LocalObjectStore::Walk(const std::string& rel_dir, ListState& state) const {
  const std::string dir_path =
      rel_dir.empty() ? root_ : PathOf(rel_dir.substr(0, rel_dir.size() - 1));
  std::unique_ptr<DIR, DirCloser> dir(::opendir(dir_path.c_str()));
  if (!dir) {
    const int err = errno;
    // Pruned by a concurrent Delete, or never created: nothing under it.
    if (err == ENOENT || err == ENOTDIR) return Status::OK();
    return ErrnoStatus(
        "list \"" + std::string(state.prefix) + "\" in " + Uri() + ": open " + dir_path, err);
  }
  // Entries sorted by their key text, with directories as "name/", so a depth-first walk emits
  // keys in byte order ("a-b" < "a/b" < "a0") and can stop as soon as the page is full.
  struct Entry {
    std::string name;
    bool is_dir;
  };
  std::vector<Entry> entries;
  while (true) {
    errno = 0;  // readdir reports errors only through errno
    struct dirent* ent = ::readdir(dir.get());
    if (ent == nullptr) break;
    std::string_view name = ent->d_name;
    if (name == "." || name == ".." || IsTemporaryKey(name)) continue;
    bool is_dir = ent->d_type == DT_DIR;
    if (ent->d_type == DT_UNKNOWN || ent->d_type == DT_LNK) {
      struct stat st;
      if (::fstatat(::dirfd(dir.get()), ent->d_name, &st, 0) != 0) continue;
      if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) continue;
      is_dir = S_ISDIR(st.st_mode);
    } else if (!is_dir && ent->d_type != DT_REG) {
      continue;  // sockets, fifos, devices are not objects
    }
    entries.push_back({std::string(name) + (is_dir ? "/" : ""), is_dir});
  }
  if (errno != 0) {
    const int saved_errno = errno;
    return ErrnoStatus("list " + Uri() + ": read directory " + dir_path, saved_errno);
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });

  for (const Entry& entry : entries) {
    if (state.objects.size() >= state.limit) return Status::OK();
    std::string key = rel_dir + entry.name;
    if (entry.is_dir) {
      if (!StartsWith(key, state.prefix) && !StartsWith(state.prefix, key)) continue;
      // Every key below `key` sorts before the token unless the token lies below it too.
      if (!state.token.empty() && key < state.token && !StartsWith(state.token, key)) continue;
      STRATA_RETURN_IF_ERROR(Walk(key, state));
      continue;
    }
    if (!StartsWith(key, state.prefix) || (!state.token.empty() && key <= state.token)) continue;
    struct stat st;
    if (::fstatat(::dirfd(dir.get()), entry.name.c_str(), &st, 0) != 0) continue;  // deleted
    state.objects.push_back(
        ObjectInfo{std::move(key), static_cast<int64_t>(st.st_size), MtimeMicros(st)});
  }
  return Status::OK();
}

Result<ListPage> LocalObjectStore::List(std::string_view prefix, std::string_view page_token,
                                        int max_keys) {
  if (max_keys <= 0) {
    return Status::InvalidArgument("list \"" + std::string(prefix) + "\" in " + Uri() +
                                   ": max_keys " + std::to_string(max_keys) + " must be positive");
  }
  std::string start_dir;
  if (size_t slash = prefix.rfind('/'); slash != std::string_view::npos) {
    // Also keeps the walk inside the root: "../" is rejected here.
    STRATA_RETURN_IF_ERROR(ValidateKey(prefix.substr(0, slash)));
    start_dir = std::string(prefix.substr(0, slash + 1));
  }
  ListState state;
  state.prefix = prefix;
  state.token = page_token;
  state.limit = static_cast<size_t>(max_keys) + 1;  // one extra tells us another page exists
  STRATA_RETURN_IF_ERROR(Walk(start_dir, state));
  ListPage page;
  page.objects = std::move(state.objects);
  if (page.objects.size() > static_cast<size_t>(max_keys)) {
    page.objects.pop_back();
    page.next_token = page.objects.back().key;
  }
  return page;
}

}  // namespace strata::storage
