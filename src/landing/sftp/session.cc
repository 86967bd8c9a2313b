#include "landing/sftp/session.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "common/logging.h"
#include "landing/sftp/session_internal.h"
#include "landing/sftp/vpath.h"

namespace strata::sftp {
namespace {

constexpr uint32_t kMaxRead = 256 * 1024;
constexpr size_t kMaxHandles = 128;
constexpr int kNamesPerReaddir = 64;

struct MessageFree {
  void operator()(sftp_client_message msg) const { sftp_client_message_free(msg); }
};
using Message = std::unique_ptr<sftp_client_message_struct, MessageFree>;

struct Handle {
  bool is_dir = false;
  int fd = -1;
  DIR* dir = nullptr;
  bool writable = false;
  Area area = Area::kLanding;
  std::string relative;
  std::string real;
  bool list_virtual_rejected = false;  // listing "/": show the read-only rejected/ area

  ~Handle() {
    if (fd >= 0) ::close(fd);
    if (dir != nullptr) ::closedir(dir);
  }
};

class Session {
 public:
  Session(sftp_session sftp, const SessionContext& context) : sftp_(sftp), context_(context) {}

  void Run() {
    for (;;) {
      if (context_.activity != nullptr && !WaitForRequest()) break;
      Message msg(sftp_get_client_message(sftp_));
      if (!msg) break;  // the client left, the connection dropped or the server closed it
      if (context_.activity != nullptr) context_.activity->Begin();
      int rc = Dispatch(msg.get());
      if (context_.activity != nullptr) context_.activity->End();
      if (rc < 0) break;
    }
    // Handles still open here were never closed by the client: not arrivals.
    for (const auto& [id, handle] : handles_) {
      if (handle->is_dir || !handle->writable) continue;
      struct stat info;
      long long size = ::fstat(handle->fd, &info) == 0 ? static_cast<long long>(info.st_size) : -1;
      Log().warn(
          "sftp: {}/{}: the session ended with the upload still open ({} bytes on the server); "
          "not an arrival: `reput` resumes it",
          context_.partner, handle->relative, size);
    }
    handles_.clear();
  }

 private:
  // Waits until request data is there. Meanwhile a client still taking in data the server sent
  // (a download: replies run ahead of the client by up to its window) is active, not idle: each
  // window it grants again counts as activity. False when the connection failed or was closed.
  bool WaitForRequest() {
    ssh_channel channel = sftp_->channel;
    uint32_t window = ssh_channel_window_size(channel);
    for (;;) {
      int ready = ssh_channel_poll_timeout(channel, 250, 0);
      if (ready > 0 || ready == SSH_EOF) return true;  // EOF: the read below ends the session
      if (ready < 0) return false;
      uint32_t now = ssh_channel_window_size(channel);
      if (now != window) {
        context_.activity->End();
        window = now;
      }
    }
  }

  struct Resolved {
    VirtualPath path;
    std::string real;
  };

  std::string AreaRoot(Area area) const {
    return area == Area::kLanding ? context_.zone->PartnerRoot(context_.partner)
                                  : context_.zone->RejectedRoot(context_.partner);
  }

  bool CanWrite(const Resolved& resolved) const {
    return !context_.read_only && resolved.path.area == Area::kLanding;
  }

  // Resolves a client path; replies with the error and returns false when it is refused.
  bool Resolve(sftp_client_message msg, const char* path, Resolved* out) {
    Result<VirtualPath> resolved = ResolveVirtualPath(path == nullptr ? "" : path);
    if (!resolved.ok()) {
      replied_ = sftp_reply_status(msg, SSH_FX_FAILURE, resolved.status().message().c_str());
      return false;
    }
    out->path = *resolved;
    const std::string root = AreaRoot(out->path.area);
    Status links = CheckNoSymlinks(root, out->path.relative);
    if (!links.ok()) {
      replied_ = sftp_reply_status(msg, SSH_FX_PERMISSION_DENIED, links.message().c_str());
      return false;
    }
    out->real = JoinPath(root, out->path.relative);
    return true;
  }

  int Errno(sftp_client_message msg, int error, const std::string& what) {
    std::string text = what + ": " + std::strerror(error);
    return sftp_reply_status(msg, StatusFromErrno(error), text.c_str());
  }

  int Denied(sftp_client_message msg, const Resolved& resolved) {
    std::string text = resolved.path.normalized + ": permission denied (" +
                       (context_.read_only ? std::string("read-only user")
                                           : std::string("rejected/ is read-only")) +
                       ")";
    return sftp_reply_status(msg, SSH_FX_PERMISSION_DENIED, text.c_str());
  }

  Handle* FindHandle(sftp_client_message msg) {
    if (msg->handle == nullptr || ssh_string_len(msg->handle) != sizeof(uint32_t)) return nullptr;
    uint32_t id;
    std::memcpy(&id, ssh_string_data(msg->handle), sizeof id);
    auto it = handles_.find(id);
    return it == handles_.end() ? nullptr : it->second.get();
  }

  int ReplyHandle(sftp_client_message msg, std::unique_ptr<Handle> handle) {
    if (handles_.size() >= kMaxHandles) {
      return sftp_reply_status(msg, SSH_FX_FAILURE, "too many open handles");
    }
    uint32_t id = next_handle_++;
    ssh_string text = ssh_string_new(sizeof id);
    if (text == nullptr) return -1;
    std::memcpy(ssh_string_data(text), &id, sizeof id);
    handles_[id] = std::move(handle);
    int rc = sftp_reply_handle(msg, text);
    ssh_string_free(text);
    return rc;
  }

  int Dispatch(sftp_client_message msg) {
    replied_ = 0;
    switch (sftp_client_message_get_type(msg)) {
      case SSH_FXP_REALPATH:
        return RealPath(msg);
      case SSH_FXP_STAT:
      case SSH_FXP_LSTAT:
        return Stat(msg);
      case SSH_FXP_FSTAT:
        return FStat(msg);
      case SSH_FXP_OPENDIR:
        return OpenDir(msg);
      case SSH_FXP_READDIR:
        return ReadDir(msg);
      case SSH_FXP_OPEN:
        return Open(msg);
      case SSH_FXP_READ:
        return Read(msg);
      case SSH_FXP_WRITE:
        return Write(msg);
      case SSH_FXP_CLOSE:
        return Close(msg);
      case SSH_FXP_REMOVE:
        return Remove(msg);
      case SSH_FXP_MKDIR:
        return MakeDir(msg);
      case SSH_FXP_RMDIR:
        return RemoveDir(msg);
      case SSH_FXP_RENAME:
        return Rename(msg, /*overwrite=*/false);
      case SSH_FXP_SETSTAT:
      case SSH_FXP_FSETSTAT:
        return SetStat(msg);
      case SSH_FXP_EXTENDED:
        if (std::strcmp(sftp_client_message_get_submessage(msg), "posix-rename@openssh.com") == 0) {
          return Rename(msg, /*overwrite=*/true);
        }
        return sftp_reply_status(msg, SSH_FX_OP_UNSUPPORTED, "extension not supported");
      default:  // READLINK, SYMLINK: links are never made or followed here
        return sftp_reply_status(msg, SSH_FX_OP_UNSUPPORTED, "operation not supported");
    }
  }

  int RealPath(sftp_client_message msg) {
    Resolved resolved;
    if (!Resolve(msg, sftp_client_message_get_filename(msg), &resolved)) return replied_;
    sftp_attributes_struct attr;
    std::memset(&attr, 0, sizeof attr);
    struct stat info;
    if (::lstat(resolved.real.c_str(), &info) == 0) FillAttributes(info, attr);
    return sftp_reply_name(msg, resolved.path.normalized.c_str(), &attr);
  }

  int Stat(sftp_client_message msg) {
    Resolved resolved;
    if (!Resolve(msg, sftp_client_message_get_filename(msg), &resolved)) return replied_;
    struct stat info;
    if (::lstat(resolved.real.c_str(), &info) != 0) {
      return Errno(msg, errno, resolved.path.normalized);
    }
    sftp_attributes_struct attr;
    FillAttributes(info, attr);
    return sftp_reply_attr(msg, &attr);
  }

  int FStat(sftp_client_message msg) {
    Handle* handle = FindHandle(msg);
    if (handle == nullptr || handle->is_dir) {
      return sftp_reply_status(msg, SSH_FX_INVALID_HANDLE, "invalid handle");
    }
    struct stat info;
    if (::fstat(handle->fd, &info) != 0) return Errno(msg, errno, "fstat");
    sftp_attributes_struct attr;
    FillAttributes(info, attr);
    return sftp_reply_attr(msg, &attr);
  }

  int OpenDir(sftp_client_message msg) {
    Resolved resolved;
    if (!Resolve(msg, sftp_client_message_get_filename(msg), &resolved)) return replied_;
    int fd = ::open(resolved.real.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return Errno(msg, errno, resolved.path.normalized);
    auto handle = std::make_unique<Handle>();
    handle->is_dir = true;
    handle->dir = ::fdopendir(fd);
    if (handle->dir == nullptr) {
      ::close(fd);
      return Errno(msg, errno, resolved.path.normalized);
    }
    handle->area = resolved.path.area;
    handle->relative = resolved.path.relative;
    handle->real = resolved.real;
    handle->list_virtual_rejected = resolved.path.normalized == "/";
    return ReplyHandle(msg, std::move(handle));
  }

  int ReadDir(sftp_client_message msg) {
    Handle* handle = FindHandle(msg);
    if (handle == nullptr || !handle->is_dir) {
      return sftp_reply_status(msg, SSH_FX_INVALID_HANDLE, "invalid handle");
    }
    int count = 0;
    const bool writable = !context_.read_only && handle->area == Area::kLanding;
    if (handle->list_virtual_rejected) {
      handle->list_virtual_rejected = false;
      struct stat info;
      const std::string rejected = AreaRoot(Area::kRejected);
      if (::lstat(rejected.c_str(), &info) == 0) {
        sftp_attributes_struct attr;
        FillAttributes(info, attr);
        std::string name(kRejectedDir);
        std::string longname = LongName(name, info, context_.partner, false);
        if (sftp_reply_names_add(msg, name.c_str(), longname.c_str(), &attr) < 0) return -1;
        ++count;
      }
    }
    while (count < kNamesPerReaddir) {
      errno = 0;
      struct dirent* entry = ::readdir(handle->dir);
      if (entry == nullptr) break;
      std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      struct stat info;
      std::string real = handle->real + "/" + name;
      if (::lstat(real.c_str(), &info) != 0) continue;
      if (!S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode)) continue;  // links, devices: hidden
      sftp_attributes_struct attr;
      FillAttributes(info, attr);
      std::string longname = LongName(name, info, context_.partner, writable);
      if (sftp_reply_names_add(msg, name.c_str(), longname.c_str(), &attr) < 0) return -1;
      ++count;
    }
    if (count == 0) return sftp_reply_status(msg, SSH_FX_EOF, nullptr);
    return sftp_reply_names(msg);
  }

  // Gives `real` its own inode before it is written in place, when it shares one with the
  // archive (a hard link taken at arrival): archived content never changes.
  Status Unshare(const std::string& real) {
    struct stat info;
    if (::lstat(real.c_str(), &info) != 0 || info.st_nlink <= 1) return Status::OK();
    const std::string temp = real + ".strata-copy";
    std::error_code ec;
    std::filesystem::copy_file(real, temp, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec || ::rename(temp.c_str(), real.c_str()) != 0) {
      ::unlink(temp.c_str());
      return Status::IOError("cannot prepare " + real + " for writing");
    }
    return Status::OK();
  }

  int Open(sftp_client_message msg) {
    Resolved resolved;
    if (!Resolve(msg, sftp_client_message_get_filename(msg), &resolved)) return replied_;
    const uint32_t flags = sftp_client_message_get_flags(msg);
    const bool write = (flags & SSH_FXF_WRITE) != 0;
    const bool read = (flags & SSH_FXF_READ) != 0 || !write;
    if (resolved.path.relative.empty()) {
      return sftp_reply_status(msg, SSH_FX_FAILURE, "is a directory");
    }
    int oflags = O_CLOEXEC | O_NOFOLLOW | (write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY);
    if (write) {
      if (!CanWrite(resolved)) return Denied(msg, resolved);
      if (flags & SSH_FXF_CREAT) oflags |= O_CREAT;
      if (flags & SSH_FXF_EXCL) oflags |= O_EXCL;
      if (flags & SSH_FXF_APPEND) oflags |= O_APPEND;
      struct stat info;
      const bool exists = ::lstat(resolved.real.c_str(), &info) == 0;
      if (exists && S_ISREG(info.st_mode) && !(flags & SSH_FXF_EXCL)) {
        if (flags & SSH_FXF_TRUNC) {
          // A fresh file rather than truncation in place: the previous version stays whole in
          // the archive, and a reader of the old file keeps its content.
          ::unlink(resolved.real.c_str());
          oflags |= O_CREAT;
        } else if (Status unshared = Unshare(resolved.real); !unshared.ok()) {
          return sftp_reply_status(msg, SSH_FX_FAILURE, unshared.message().c_str());
        }
      }
    }
    int fd = ::open(resolved.real.c_str(), oflags, 0644);
    if (fd < 0) return Errno(msg, errno, resolved.path.normalized);
    auto handle = std::make_unique<Handle>();
    handle->fd = fd;
    struct stat info;
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
      return sftp_reply_status(msg, SSH_FX_FAILURE, "not a regular file");
    }
    handle->writable = write;
    handle->area = resolved.path.area;
    handle->relative = resolved.path.relative;
    handle->real = resolved.real;
    return ReplyHandle(msg, std::move(handle));
  }

  int Read(sftp_client_message msg) {
    Handle* handle = FindHandle(msg);
    if (handle == nullptr || handle->is_dir) {
      return sftp_reply_status(msg, SSH_FX_INVALID_HANDLE, "invalid handle");
    }
    uint32_t length = std::min(msg->len, kMaxRead);
    buffer_.resize(length);
    ssize_t n;
    do {
      n = ::pread(handle->fd, buffer_.data(), length, static_cast<off_t>(msg->offset));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Errno(msg, errno, "read");
    if (n == 0) return sftp_reply_status(msg, SSH_FX_EOF, nullptr);
    return sftp_reply_data(msg, buffer_.data(), static_cast<int>(n));
  }

  int Write(sftp_client_message msg) {
    Handle* handle = FindHandle(msg);
    if (handle == nullptr || handle->is_dir) {
      return sftp_reply_status(msg, SSH_FX_INVALID_HANDLE, "invalid handle");
    }
    if (!handle->writable) return sftp_reply_status(msg, SSH_FX_PERMISSION_DENIED, "read only");
    const char* data = static_cast<const char*>(ssh_string_data(msg->data));
    size_t left = ssh_string_len(msg->data);
    off_t offset = static_cast<off_t>(msg->offset);
    while (left > 0) {
      ssize_t n = ::pwrite(handle->fd, data, left, offset);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno(msg, errno, "write");
      data += n;
      left -= static_cast<size_t>(n);
      offset += n;
    }
    return sftp_reply_status(msg, SSH_FX_OK, nullptr);
  }

  int Close(sftp_client_message msg) {
    Handle* found = FindHandle(msg);
    if (found == nullptr) return sftp_reply_status(msg, SSH_FX_INVALID_HANDLE, "invalid handle");
    uint32_t id;
    std::memcpy(&id, ssh_string_data(msg->handle), sizeof id);
    std::unique_ptr<Handle> handle = std::move(handles_[id]);
    handles_.erase(id);
    if (handle->is_dir || !handle->writable) return sftp_reply_status(msg, SSH_FX_OK, nullptr);
    int fd = std::exchange(handle->fd, -1);
    if (::close(fd) != 0) return Errno(msg, errno, "close");
    if (handle->area == Area::kLanding && !IsTemporaryName(handle->relative)) {
      Status submitted = context_.intake->Submit(context_.partner, handle->relative, handle->real);
      if (!submitted.ok()) {
        Log().error("sftp: {}/{}: {}", context_.partner, handle->relative, submitted.message());
        return sftp_reply_status(msg, SSH_FX_FAILURE, "stored, but not registered as arrived");
      }
    }
    return sftp_reply_status(msg, SSH_FX_OK, nullptr);
  }

  int Remove(sftp_client_message msg) {
    Resolved resolved;
    if (!Resolve(msg, sftp_client_message_get_filename(msg), &resolved)) return replied_;
    if (!CanWrite(resolved)) return Denied(msg, resolved);
    struct stat info;
    if (::lstat(resolved.real.c_str(), &info) != 0) {
      return Errno(msg, errno, resolved.path.normalized);
    }
    if (!S_ISREG(info.st_mode)) return sftp_reply_status(msg, SSH_FX_FAILURE, "not a file");
    if (::unlink(resolved.real.c_str()) != 0) return Errno(msg, errno, resolved.path.normalized);
    return sftp_reply_status(msg, SSH_FX_OK, nullptr);
  }

  int MakeDir(sftp_client_message msg) {
    Resolved resolved;
    if (!Resolve(msg, sftp_client_message_get_filename(msg), &resolved)) return replied_;
    if (!CanWrite(resolved) || resolved.path.relative.empty()) return Denied(msg, resolved);
    if (::mkdir(resolved.real.c_str(), 0755) != 0) {
      return Errno(msg, errno, resolved.path.normalized);
    }
    return sftp_reply_status(msg, SSH_FX_OK, nullptr);
  }

  int RemoveDir(sftp_client_message msg) {
    Resolved resolved;
    if (!Resolve(msg, sftp_client_message_get_filename(msg), &resolved)) return replied_;
    if (!CanWrite(resolved) || resolved.path.relative.empty()) return Denied(msg, resolved);
    if (::rmdir(resolved.real.c_str()) != 0) return Errno(msg, errno, resolved.path.normalized);
    return sftp_reply_status(msg, SSH_FX_OK, nullptr);
  }

  int Rename(sftp_client_message msg, bool overwrite) {
    Resolved from, to;
    if (!Resolve(msg, sftp_client_message_get_filename(msg), &from)) return replied_;
    if (!Resolve(msg, sftp_client_message_get_data(msg), &to)) return replied_;
    if (!CanWrite(from)) return Denied(msg, from);
    if (!CanWrite(to)) return Denied(msg, to);
    if (from.path.relative.empty() || to.path.relative.empty()) {
      return sftp_reply_status(msg, SSH_FX_FAILURE, "cannot rename the root");
    }
    struct stat info;
    if (::lstat(from.real.c_str(), &info) != 0) return Errno(msg, errno, from.path.normalized);
    // SFTP v3 rename never replaces; posix-rename@openssh.com does (atomically).
    unsigned int mode = overwrite ? 0 : RENAME_NOREPLACE;
    if (::renameat2(AT_FDCWD, from.real.c_str(), AT_FDCWD, to.real.c_str(), mode) != 0) {
      return Errno(msg, errno, to.path.normalized);
    }
    if (S_ISREG(info.st_mode) && IsTemporaryName(from.path.relative) &&
        !IsTemporaryName(to.path.relative)) {
      Status submitted = context_.intake->Submit(context_.partner, to.path.relative, to.real);
      if (!submitted.ok()) {
        return sftp_reply_status(msg, SSH_FX_FAILURE, "renamed, but not registered as arrived");
      }
    }
    return sftp_reply_status(msg, SSH_FX_OK, nullptr);
  }

  int SetStat(sftp_client_message msg) {
    std::string real;
    bool writable;
    if (sftp_client_message_get_type(msg) == SSH_FXP_FSETSTAT) {
      Handle* handle = FindHandle(msg);
      if (handle == nullptr) return sftp_reply_status(msg, SSH_FX_INVALID_HANDLE, "bad handle");
      real = handle->real;
      writable = !context_.read_only && handle->area == Area::kLanding;
    } else {
      Resolved resolved;
      if (!Resolve(msg, sftp_client_message_get_filename(msg), &resolved)) return replied_;
      real = resolved.real;
      writable = CanWrite(resolved);
    }
    if (!writable) return sftp_reply_status(msg, SSH_FX_PERMISSION_DENIED, "read only");
    // Times are kept (put -p); permissions, owners and sizes are the server's business.
    if (msg->attr != nullptr && (msg->attr->flags & SSH_FILEXFER_ATTR_ACMODTIME)) {
      struct timespec times[2] = {{static_cast<time_t>(msg->attr->atime), 0},
                                  {static_cast<time_t>(msg->attr->mtime), 0}};
      ::utimensat(AT_FDCWD, real.c_str(), times, AT_SYMLINK_NOFOLLOW);
    }
    return sftp_reply_status(msg, SSH_FX_OK, nullptr);
  }

  sftp_session sftp_;
  SessionContext context_;
  std::map<uint32_t, std::unique_ptr<Handle>> handles_;
  uint32_t next_handle_ = 1;
  std::vector<char> buffer_;
  int replied_ = 0;  // result of the error reply sent by Resolve
};

}  // namespace

void ServeSftp(sftp_session sftp, const SessionContext& context) {
  Session session(sftp, context);
  session.Run();
}

}  // namespace strata::sftp
