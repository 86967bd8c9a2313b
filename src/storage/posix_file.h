// Small POSIX file helpers shared by the storage implementations: an owning file descriptor and
// loops that read/write whole buffers through EINTR and short transfers. Internal to storage/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"

namespace strata::storage {

// Owns a file descriptor and closes it on destruction. Move-only. Not thread-safe (like an int).
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();
  // Closes now and reports the error; a failed close after writes can mean lost data.
  [[nodiscard]] int Close();

 private:
  int fd_ = -1;
};

// "<what>: <strerror(err)>" with a code matching errno: NotFound for ENOENT/ENOTDIR,
// ResourceExhausted for ENOSPC/EDQUOT, else IOError.
Status ErrnoStatus(std::string what, int err);

// Reads from the current position to end of file.
Result<std::string> ReadAll(int fd, std::string_view what);
// Reads up to `length` bytes at `offset` (fewer only at end of file).
Result<std::string> PreadRange(int fd, int64_t offset, int64_t length, std::string_view what);
Status WriteAll(int fd, std::string_view data, std::string_view what);
// fsync of a directory, so a rename or link inside it survives a power loss.
Status SyncDir(const std::string& dir);

}  // namespace strata::storage
