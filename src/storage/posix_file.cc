#include "storage/posix_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace strata::storage {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.Release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

int UniqueFd::Release() { return std::exchange(fd_, -1); }

int UniqueFd::Close() {
  int fd = Release();
  if (fd < 0) return 0;
  // Linux releases the descriptor even when close fails, so never retry (EINTR included).
  return ::close(fd) == 0 ? 0 : errno;
}

Status ErrnoStatus(std::string what, int err) {
  what += ": ";
  what += std::strerror(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return Status::NotFound(std::move(what));
    case ENOSPC:
    case EDQUOT:
      return Status::ResourceExhausted(std::move(what));
    default:
      return Status::IOError(std::move(what));
  }
}

Result<std::string> ReadAll(int fd, std::string_view what) {
  std::string out;
  constexpr size_t kChunk = 64 * 1024;
  while (true) {
    size_t old = out.size();
    out.resize(old + kChunk);
    ssize_t n = ::read(fd, out.data() + old, kChunk);
    if (n < 0) {
      const int err = errno;
      out.resize(old);
      if (err == EINTR) continue;
      return ErrnoStatus("read " + std::string(what), err);
    }
    out.resize(old + static_cast<size_t>(n));
    if (n == 0) return out;
  }
}

Result<std::string> PreadRange(int fd, int64_t offset, int64_t length, std::string_view what) {
  std::string out(static_cast<size_t>(length), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done,
                        static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      return ErrnoStatus("read " + std::string(what), err);
    }
    if (n == 0) break;  // end of file: the range is clipped
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

Status WriteAll(int fd, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      return ErrnoStatus("write " + std::string(what), err);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

Status SyncDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    return ErrnoStatus("open directory " + dir, err);
  }
  if (::fsync(fd.get()) != 0) {
    const int err = errno;
    return ErrnoStatus("fsync directory " + dir, err);
  }
  return Status::OK();
}

}  // namespace strata::storage
