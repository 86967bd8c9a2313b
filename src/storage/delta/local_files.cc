#include "storage/delta/local_files.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace strata::delta {

LocalFiles::LocalFiles(std::string temp_dir) : temp_dir_(std::move(temp_dir)) {
  if (temp_dir_.empty()) {
    const char* env = std::getenv("TMPDIR");
    temp_dir_ = env != nullptr && *env != '\0' ? env : "/tmp";
  }
}

LocalFiles::~LocalFiles() {
  for (const auto& [key, path] : copies_) ::unlink(path.c_str());
}

Result<std::string> LocalFiles::PathFor(storage::ObjectStore& store, std::string_view key) {
  if (auto local = store.LocalPath(key)) return *local;
  if (auto it = copies_.find(std::string(key)); it != copies_.end()) return it->second;
  STRATA_ASSIGN_OR_RETURN(std::string data, store.Get(key));
  // Keep the extension: DuckDB picks readers by it in some table functions.
  std::string name(key.substr(key.rfind('/') == std::string_view::npos ? 0 : key.rfind('/') + 1));
  std::string suffix;
  if (size_t dot = name.rfind('.'); dot != std::string::npos) suffix = name.substr(dot);
  if (suffix.size() > 16) suffix.clear();
  std::string templ = temp_dir_ + "/strata-delta-XXXXXX" + suffix;
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  int fd = ::mkstemps(buf.data(), static_cast<int>(suffix.size()));
  if (fd < 0) {
    return Status::IOError("cannot create a temporary file in " + temp_dir_ + ": " +
                           std::strerror(errno));
  }
  std::string path(buf.data());
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return Status::IOError("cannot write temporary copy of " + std::string(key) + ": " +
                             std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  copies_[std::string(key)] = path;
  return path;
}

}  // namespace strata::delta
