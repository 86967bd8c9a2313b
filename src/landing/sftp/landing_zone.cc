#include "landing/sftp/landing_zone.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace strata::sftp {
namespace {

namespace fs = std::filesystem;

Status CopyFile(const std::string& from, const std::string& to) {
  std::error_code ec;
  if (!fs::copy_file(from, to, fs::copy_options::none, ec)) {
    return Status::IOError("cannot copy " + from + " to " + to + ": " + ec.message());
  }
  return Status::OK();
}

}  // namespace

Status LinkOrCopy(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(fs::path(to).parent_path(), ec);
  if (ec) return Status::IOError("cannot create " + fs::path(to).parent_path().string());
  if (::link(from.c_str(), to.c_str()) == 0) return Status::OK();
  if (errno == EEXIST) return Status::AlreadyExists(to + " exists");
  if (errno == EXDEV || errno == EPERM || errno == EMLINK) return CopyFile(from, to);
  return Status::IOError("cannot link " + from + " to " + to + ": " + std::strerror(errno));
}

void RemoveIfSameFile(const std::string& file, uint64_t device, uint64_t inode) {
  struct stat info;
  if (::lstat(file.c_str(), &info) == 0 && static_cast<uint64_t>(info.st_dev) == device &&
      static_cast<uint64_t>(info.st_ino) == inode) {
    ::unlink(file.c_str());
  }
}

LandingZone::LandingZone(std::string project_root, std::string landing,
                         std::string catalog_location)
    : project_root_(std::move(project_root)),
      landing_(std::move(landing)),
      catalog_location_(std::move(catalog_location)) {}

std::string LandingZone::PartnerRoot(const std::string& partner) const {
  return landing_ + "/" + partner;
}
std::string LandingZone::RejectedRoot(const std::string& partner) const {
  return project_root_ + "/rejected/" + partner;
}
std::string LandingZone::StateDir() const { return project_root_ + "/.strata/sftp"; }
std::string LandingZone::ObjectPath(const std::string& sha256) const {
  return StateDir() + "/objects/" + sha256.substr(0, 2) + "/" + sha256;
}

Status LandingZone::EnsurePartner(const std::string& partner) const {
  for (const std::string& dir : {PartnerRoot(partner), RejectedRoot(partner)}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  }
  return Status::OK();
}

Result<catalog::Catalog*> LandingZone::OpenCatalog() {
  if (!catalog_) {
    STRATA_ASSIGN_OR_RETURN(catalog_, catalog::Catalog::Open(catalog_location_));
  }
  return catalog_.get();
}

Result<int64_t> LandingZone::Record(const catalog::ArrivalRecord& arrival) {
  std::lock_guard<std::mutex> lock(mutex_);
  STRATA_ASSIGN_OR_RETURN(catalog::Catalog * catalog, OpenCatalog());
  return catalog::RecordArrival(*catalog, arrival);
}

Status LandingZone::Update(const catalog::ArrivalRecord& arrival) {
  std::lock_guard<std::mutex> lock(mutex_);
  STRATA_ASSIGN_OR_RETURN(catalog::Catalog * catalog, OpenCatalog());
  return catalog::UpdateArrival(*catalog, arrival);
}

Result<std::vector<catalog::ArrivalRecord>> LandingZone::List(
    const catalog::ArrivalFilter& filter) {
  std::lock_guard<std::mutex> lock(mutex_);
  STRATA_ASSIGN_OR_RETURN(catalog::Catalog * catalog, OpenCatalog());
  return catalog::ListArrivals(*catalog, filter);
}

Result<std::string> LandingZone::Reject(const std::string& partner, const std::string& path,
                                        const std::string& content, const std::string& reason) {
  const std::string base = RejectedRoot(partner) + "/" + path;
  std::string target = base;
  for (int n = 2;; ++n) {
    struct stat info;
    bool taken = ::lstat(target.c_str(), &info) == 0 ||
                 ::lstat((target + ".rejected.txt").c_str(), &info) == 0;
    if (!taken) {
      Status linked = LinkOrCopy(content, target);
      if (linked.ok()) break;
      if (!linked.IsAlreadyExists()) return linked;
    }
    if (n > 10000) return Status::IOError("no free name for " + base);
    target = base + "." + std::to_string(n);
  }
  std::ofstream out(target + ".rejected.txt", std::ios::trunc);
  out << "File: " << path << "\nPartner: " << partner << "\nRejected at: " << catalog::NowIso8601()
      << "\nReason: " << reason << "\n";
  out.close();
  if (!out) return Status::IOError("cannot write " + target + ".rejected.txt");
  return fs::relative(target, project_root_).string();
}

std::optional<std::string> LandingZone::FindRejected(const std::string& partner,
                                                     const std::string& path,
                                                     const std::string& content) const {
  struct stat original;
  if (::stat(content.c_str(), &original) != 0) return std::nullopt;
  const std::string base = RejectedRoot(partner) + "/" + path;
  std::string target = base;
  for (int n = 2; n <= 10001; ++n) {
    struct stat info;
    if (::lstat(target.c_str(), &info) != 0) {
      if (::lstat((target + ".rejected.txt").c_str(), &info) != 0) break;  // past the last
    } else if (info.st_dev == original.st_dev && info.st_ino == original.st_ino &&
               ::lstat((target + ".rejected.txt").c_str(), &info) == 0) {
      return fs::relative(target, project_root_).string();
    }
    target = base + "." + std::to_string(n);
  }
  return std::nullopt;
}

}  // namespace strata::sftp
