#include "landing/sftp/vpath.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace strata::sftp {
namespace {

constexpr size_t kMaxPath = 4096;
constexpr size_t kMaxComponent = 255;

Status BadComponent(std::string_view path, std::string_view why) {
  return Status::InvalidArgument("path '" + std::string(path.substr(0, 200)) +
                                 "': " + std::string(why));
}

}  // namespace

Result<VirtualPath> ResolveVirtualPath(std::string_view path) {
  if (path.size() > kMaxPath) return BadComponent(path, "longer than 4096 bytes");
  std::vector<std::string_view> parts;
  size_t at = 0;
  while (at <= path.size()) {
    size_t slash = path.find('/', at);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(at, slash - at);
    at = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();  // stops at the root, as a chroot does
      continue;
    }
    if (part.size() > kMaxComponent) return BadComponent(path, "a name is longer than 255 bytes");
    for (char c : part) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f || c == '\\') {
        return BadComponent(path, "control character or backslash in a name");
      }
    }
    parts.push_back(part);
  }
  VirtualPath out;
  size_t first = 0;
  if (!parts.empty() && parts[0] == kRejectedDir) {
    out.area = Area::kRejected;
    first = 1;
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    out.normalized += "/";
    out.normalized += parts[i];
    if (i < first) continue;
    if (!out.relative.empty()) out.relative += "/";
    out.relative += parts[i];
  }
  if (out.normalized.empty()) out.normalized = "/";
  return out;
}

std::string JoinPath(const std::string& base, const std::string& relative) {
  if (relative.empty()) return base;
  if (!base.empty() && base.back() == '/') return base + relative;
  return base + "/" + relative;
}

Status CheckNoSymlinks(const std::string& base, const std::string& relative) {
  std::string current = base;
  size_t at = 0;
  while (at < relative.size()) {
    size_t slash = relative.find('/', at);
    if (slash == std::string::npos) slash = relative.size();
    current += "/" + relative.substr(at, slash - at);
    at = slash + 1;
    struct stat info;
    if (::lstat(current.c_str(), &info) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return Status::OK();  // rest does not exist yet
      return Status::IOError(current + ": " + std::strerror(errno));
    }
    if (S_ISLNK(info.st_mode)) {
      return Status::InvalidArgument("'" + relative.substr(0, slash) +
                                     "' is a symbolic link; links are not followed");
    }
  }
  return Status::OK();
}

bool IsValidPartnerName(std::string_view name) {
  if (name.empty() || name.size() > 32 || name == kRejectedDir) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '-'))) return false;
  }
  return true;
}

}  // namespace strata::sftp
