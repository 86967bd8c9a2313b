#include <stdio.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "landing/sftp/session_internal.h"

namespace strata::sftp {

uint32_t StatusFromErrno(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return SSH_FX_NO_SUCH_FILE;
    case EACCES:
    case EPERM:
    case EROFS:
      return SSH_FX_PERMISSION_DENIED;
    case EEXIST:
    case ENOTEMPTY:
      return SSH_FX_FAILURE;
    default:
      return SSH_FX_FAILURE;
  }
}

void FillAttributes(const struct stat& info, sftp_attributes_struct& attr) {
  std::memset(&attr, 0, sizeof attr);
  attr.flags = SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_UIDGID | SSH_FILEXFER_ATTR_PERMISSIONS |
               SSH_FILEXFER_ATTR_ACMODTIME;
  attr.size = static_cast<uint64_t>(info.st_size);
  attr.uid = info.st_uid;
  attr.gid = info.st_gid;
  // Partners see plain files and directories; write bits follow what they may do.
  attr.permissions = static_cast<uint32_t>(info.st_mode);
  attr.atime = static_cast<uint32_t>(info.st_atime);
  attr.mtime = static_cast<uint32_t>(info.st_mtime);
  attr.type = S_ISDIR(info.st_mode) ? SSH_FILEXFER_TYPE_DIRECTORY : SSH_FILEXFER_TYPE_REGULAR;
}

std::string LongName(const std::string& name, const struct stat& info, const std::string& owner,
                     bool writable) {
  char mode[11] = "----------";
  if (S_ISDIR(info.st_mode)) mode[0] = 'd';
  const char bits[] = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) {
    if (info.st_mode & (1 << (8 - i))) mode[1 + i] = bits[i];
  }
  if (!writable) mode[2] = mode[5] = mode[8] = '-';
  char when[32];
  std::tm tm;
  time_t mtime = info.st_mtime;
  gmtime_r(&mtime, &tm);
  std::strftime(when, sizeof when, "%b %e %H:%M", &tm);
  char line[512];
  std::snprintf(
      line, sizeof line, "%s %4lu %-8s %-8s %12lld %s ", mode,
      static_cast<unsigned long>(info.st_nlink > 1 && !S_ISDIR(info.st_mode) ? 1 : info.st_nlink),
      owner.c_str(), owner.c_str(), static_cast<long long>(info.st_size), when);
  return std::string(line) + name;
}

}  // namespace strata::sftp
