#include "landing/sftp/spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "common/logging.h"

namespace strata::sftp {
namespace {

namespace fs = std::filesystem;
constexpr const char* kFacts = "arrival.json";

std::atomic<uint64_t> owners_in_process{0};

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Opens and flocks `path` (exclusively); -1 if it cannot be opened or someone holds it.
int TryLock(const std::string& path, bool create) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
  if (fd < 0) return -1;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

Status WriteSpoolFacts(const SpoolEntry& entry) {
  nlohmann::json facts = {{"partner", entry.partner},     {"path", entry.path},
                          {"real_path", entry.real_path}, {"received_at", entry.received_at},
                          {"device", entry.device},       {"inode", entry.inode},
                          {"sha256", entry.sha256},       {"size_bytes", entry.size_bytes}};
  const std::string target = entry.dir + "/" + kFacts;
  const std::string temp = target + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << facts.dump() << "\n";
    out.close();
    if (!out) return Status::IOError("cannot write " + temp);
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    return Status::IOError("cannot move " + temp + " to " + target + ": " + std::strerror(errno));
  }
  return Status::OK();
}

Result<SpoolEntry> ReadSpoolEntry(const std::string& dir) {
  const std::string file = dir + "/" + kFacts;
  std::ifstream in(file);
  if (!in) return Status::InvalidArgument(file + ": missing");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json facts = nlohmann::json::parse(text.str(), nullptr, false);
  if (facts.is_discarded() || !facts.is_object()) {
    return Status::InvalidArgument(file + ": not a JSON object");
  }
  SpoolEntry entry;
  entry.dir = dir;
  try {
    entry.partner = facts.at("partner").get<std::string>();
    entry.path = facts.at("path").get<std::string>();
    entry.real_path = facts.at("real_path").get<std::string>();
    entry.received_at = facts.at("received_at").get<std::string>();
    entry.device = facts.at("device").get<uint64_t>();
    entry.inode = facts.at("inode").get<uint64_t>();
    entry.sha256 = facts.value("sha256", "");
    entry.size_bytes = facts.value("size_bytes", int64_t{0});
  } catch (const nlohmann::json::exception& error) {
    return Status::InvalidArgument(file + ": " + error.what());
  }
  if (entry.partner.empty() || entry.path.empty()) {
    return Status::InvalidArgument(file + ": no partner or path");
  }
  return entry;
}

void RemoveSpoolEntry(const SpoolEntry& entry) {
  std::error_code ec;
  fs::remove_all(entry.dir, ec);
  if (ec) Log().error("sftp: cannot remove spool entry {}: {}", entry.dir, ec.message());
}

Result<std::unique_ptr<SpoolOwner>> SpoolOwner::Create(const std::string& spool_dir) {
  std::error_code ec;
  fs::create_directories(spool_dir, ec);
  if (ec) return Status::IOError("cannot create " + spool_dir + ": " + ec.message());
  // A dead process with the same pid may have left a directory of that name: it is adopted
  // later, never reused.
  std::string name, dir;
  do {
    name = std::to_string(::getpid()) + "-" + std::to_string(owners_in_process.fetch_add(1));
    dir = spool_dir + "/" + name;
  } while (fs::exists(dir, ec) || fs::exists(dir + ".new", ec));
  // Built aside and renamed into place locked, so an owner directory without a held lock is
  // always a dead one.
  const std::string building = dir + ".new";
  if (!fs::create_directory(building, ec) || ec) {
    return Status::IOError("cannot create " + building + ": " + ec.message());
  }
  int fd = TryLock(building + "/lock", /*create=*/true);
  if (fd < 0) return Status::IOError("cannot lock " + building + "/lock");
  if (::rename(building.c_str(), dir.c_str()) != 0) {
    ::close(fd);
    return Status::IOError("cannot move " + building + " to " + dir + ": " + std::strerror(errno));
  }
  return std::unique_ptr<SpoolOwner>(new SpoolOwner(spool_dir, dir, fd));
}

SpoolOwner::SpoolOwner(std::string spool_dir, std::string dir, int lock_fd)
    : spool_dir_(std::move(spool_dir)), dir_(std::move(dir)), lock_fd_(lock_fd) {}

SpoolOwner::~SpoolOwner() {
  bool empty = true;
  std::error_code ec;
  for (const fs::directory_entry& item : fs::directory_iterator(dir_, ec)) {
    if (item.path().filename() != "lock") empty = false;
  }
  if (empty) {
    // Unlinked while still locked: whoever opens it later finds no entries to adopt.
    ::unlink((dir_ + "/lock").c_str());
    ::rmdir(dir_.c_str());
  }
  ::close(lock_fd_);
}

std::string SpoolOwner::NewEntryPath() { return dir_ + "/" + std::to_string(next_++); }

std::vector<SpoolEntry> SpoolOwner::AdoptLeftovers() {
  std::error_code ec;
  std::vector<fs::path> owners;
  for (const fs::directory_entry& item : fs::directory_iterator(spool_dir_, ec)) {
    if (item.path().string() == dir_) continue;
    if (item.is_directory(ec) && !EndsWith(item.path().filename().string(), ".new")) {
      owners.push_back(item.path());
    } else if (item.is_regular_file(ec)) {
      // A spool file of an older strata: its facts were never written down.
      Log().warn(
          "sftp: {} is an upload left by an older strata; its partner and name are not "
          "known, so it stays for an operator",
          item.path().string());
    }
  }
  struct Found {
    SpoolEntry entry;
    std::string owner;
    uint64_t seq;
  };
  std::vector<Found> found;
  std::vector<std::pair<fs::path, int>> dead;  // owner directory, its lock (held) or -1
  for (const fs::path& owner : owners) {
    const std::string lock = owner.string() + "/lock";
    int fd = TryLock(lock, /*create=*/false);
    struct stat info;
    if (fd < 0 && ::lstat(lock.c_str(), &info) == 0) continue;  // its process is alive
    dead.emplace_back(owner, fd);
    for (const fs::directory_entry& item : fs::directory_iterator(owner, ec)) {
      const std::string name = item.path().filename().string();
      if (name == "lock" || !item.is_directory(ec) || EndsWith(name, ".broken")) continue;
      if (EndsWith(name, ".new")) {
        // The client was never told this upload was taken; its file is still in landing/.
        Log().info("sftp: dropping the half-made spool entry {}", item.path().string());
        fs::remove_all(item.path(), ec);
        continue;
      }
      Result<SpoolEntry> entry = ReadSpoolEntry(item.path().string());
      if (!entry.ok()) {
        Log().error("sftp: spool entry left for an operator: {}", entry.status().message());
        fs::rename(item.path(), item.path().string() + ".broken", ec);
        continue;
      }
      found.push_back(
          {std::move(*entry), owner.filename().string(), std::strtoull(name.c_str(), nullptr, 10)});
    }
  }
  // Oldest first, and renumbered in that order: two versions of a name are recorded (and
  // loaded) in the order they came, also after a second adoption.
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return std::tie(a.entry.received_at, a.owner, a.seq) <
           std::tie(b.entry.received_at, b.owner, b.seq);
  });
  std::vector<SpoolEntry> adopted;
  for (Found& item : found) {
    const std::string target = NewEntryPath();
    if (::rename(item.entry.dir.c_str(), target.c_str()) != 0) {
      Log().error("sftp: cannot adopt spool entry {}: {}", item.entry.dir, std::strerror(errno));
      continue;
    }
    item.entry.dir = target;
    adopted.push_back(std::move(item.entry));
  }
  for (const auto& [owner, fd] : dead) {
    bool left = false;
    for (const fs::directory_entry& item : fs::directory_iterator(owner, ec)) {
      if (item.path().filename() != "lock") left = true;
    }
    if (!left) {
      ::unlink((owner.string() + "/lock").c_str());
      ::rmdir(owner.c_str());
    }
    if (fd >= 0) ::close(fd);
  }
  return adopted;
}

}  // namespace strata::sftp
