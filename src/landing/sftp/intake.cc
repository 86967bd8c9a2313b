#include "landing/sftp/intake.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "common/logging.h"
#include "ingest/landing.h"

namespace strata::sftp {
namespace {

namespace fs = std::filesystem;

std::string Hex(const unsigned char* data, size_t size) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

void PauseForTest(const char* point) {
  static const std::string at = [] {
    const char* value = std::getenv("STRATA_TEST_SFTP_PAUSE_AT");
    return std::string(value == nullptr ? "" : value);
  }();
  if (at != point) return;
  Log().warn("sftp: test hook: paused at {}", point);
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

bool IsTemporaryName(std::string_view path) {
  std::string_view name =
      path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  return name.empty() || name[0] == '.' || EndsWith(name, ".part") || EndsWith(name, ".filepart") ||
         EndsWith(name, ".tmp");
}

Result<const pipeline::SourceSpec*> MatchSource(const pipeline::Project& project,
                                                std::string_view path) {
  std::string patterns;
  for (const pipeline::SourceSpec& source : project.sources) {
    for (const std::string& pattern : source.spec.file_patterns) {
      patterns += (patterns.empty() ? "" : ", ") + pattern;
      if (!ingest::GlobMatch(pattern, path)) continue;
      std::optional<std::string> why =
          ingest::LandingRejection(source.spec.file_patterns, source.spec.format, path);
      if (why) return Status::InvalidArgument(*why + " (source " + source.spec.name + ")");
      return &source;
    }
  }
  if (patterns.empty()) {
    return Status::InvalidArgument("'" + std::string(path) + "': the project has no sources");
  }
  return Status::InvalidArgument("'" + std::string(path) +
                                 "' does not match any source's file pattern (" + patterns + ")");
}

Result<std::pair<std::string, int64_t>> HashFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(path + ": " + std::strerror(errno));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 20);
  int64_t size = 0;
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status error = Status::IOError(path + ": " + std::strerror(errno));
      ::close(fd);
      return error;
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(n));
    size += n;
  }
  ::close(fd);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  return std::make_pair(Hex(digest, length), size);
}

ArrivalIntake::ArrivalIntake(LandingZone& zone, std::string project_dir, ArrivalHandler& handler)
    : zone_(zone), project_dir_(std::move(project_dir)), handler_(handler) {}

ArrivalIntake::~ArrivalIntake() { Stop(); }

Status ArrivalIntake::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return Status::OK();
  STRATA_ASSIGN_OR_RETURN(spool_, SpoolOwner::Create(zone_.SpoolDir()));
  // Uploads a dead process had taken but not recorded go first, in the order they came.
  for (SpoolEntry& entry : spool_->AdoptLeftovers()) {
    Log().info("sftp: recovering {}/{} (received {}, not recorded when the process stopped)",
               entry.partner, entry.path, entry.received_at);
    queue_.push_back({std::move(entry), /*recovered=*/true});
  }
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
  return Status::OK();
}

void ArrivalIntake::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  spool_.reset();
}

void ArrivalIntake::WaitIdle() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

Status ArrivalIntake::Submit(const std::string& partner, const std::string& path,
                             const std::string& real_path) {
  Pending upload;
  SpoolEntry& entry = upload.entry;
  entry.partner = partner;
  entry.path = path;
  entry.real_path = real_path;
  entry.received_at = catalog::NowIso8601();
  struct stat info;
  if (::lstat(real_path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return Status::NotFound(real_path + " is not a regular file");
  }
  entry.device = static_cast<uint64_t>(info.st_dev);
  entry.inode = static_cast<uint64_t>(info.st_ino);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!spool_) return Status::IOError("the SFTP server is not running");
    entry.dir = spool_->NewEntryPath();
  }
  // Built aside, then published whole: a crash leaves either a complete entry or none.
  const std::string final_dir = entry.dir;
  entry.dir += ".new";
  STRATA_RETURN_IF_ERROR(LinkOrCopy(real_path, entry.ContentPath()));
  STRATA_RETURN_IF_ERROR(WriteSpoolFacts(entry));
  if (::rename(entry.dir.c_str(), final_dir.c_str()) != 0) {
    Status error =
        Status::IOError("cannot publish spool entry " + final_dir + ": " + std::strerror(errno));
    RemoveSpoolEntry(entry);
    return error;
  }
  entry.dir = final_dir;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(upload));
  }
  wake_.notify_all();
  return Status::OK();
}

void ArrivalIntake::Loop() {
  for (;;) {
    Pending upload;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything submitted is processed
      upload = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    Process(upload);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      busy_ = false;
    }
    idle_.notify_all();
  }
}

Result<std::optional<catalog::ArrivalRecord>> ArrivalIntake::AlreadyRecorded(
    const SpoolEntry& entry) {
  STRATA_ASSIGN_OR_RETURN(std::vector<catalog::ArrivalRecord> listed,
                          zone_.List({.partner = entry.partner, .limit = 1'000'000}));
  for (catalog::ArrivalRecord& record : listed) {
    if (record.path == entry.path && record.received_at == entry.received_at &&
        record.sha256 == entry.sha256) {
      return std::optional<catalog::ArrivalRecord>(std::move(record));
    }
  }
  return std::optional<catalog::ArrivalRecord>();
}

void ArrivalIntake::Process(Pending& upload) {
  SpoolEntry& entry = upload.entry;
  const std::string what = entry.partner + "/" + entry.path;
  PauseForTest("hash");
  struct stat info;
  const bool have_content = ::lstat(entry.ContentPath().c_str(), &info) == 0;
  if (entry.sha256.empty()) {
    if (!have_content) {
      Log().error("sftp: arrival {}: spool entry {} has no content; left for an operator", what,
                  entry.dir);
      fs::rename(entry.dir, entry.dir + ".broken");
      return;
    }
    Result<std::pair<std::string, int64_t>> hashed = HashFile(entry.ContentPath());
    if (!hashed.ok()) {
      Log().error("sftp: arrival {}: {} (kept in {}; retried at the next start)", what,
                  hashed.status().message(), entry.dir);
      return;
    }
    entry.sha256 = hashed->first;
    entry.size_bytes = hashed->second;
    // Written down before the content moves: a restart finds it in the archive by this hash.
    if (Status saved = WriteSpoolFacts(entry); !saved.ok()) {
      Log().error("sftp: arrival {}: {} (retried at the next start)", what, saved.message());
      return;
    }
  }
  // Archive by content: the first copy of a content is kept, later identical ones are dropped.
  const std::string object = zone_.ObjectPath(entry.sha256);
  std::error_code ec;
  fs::create_directories(fs::path(object).parent_path(), ec);
  const bool archived = ::lstat(object.c_str(), &info) == 0;
  if (have_content && archived) {
    ::unlink(entry.ContentPath().c_str());
  } else if (have_content && ::rename(entry.ContentPath().c_str(), object.c_str()) != 0) {
    Log().error("sftp: cannot archive {}: {} (retried at the next start)", object,
                std::strerror(errno));
    return;
  } else if (!have_content && !archived) {
    Log().error("sftp: arrival {}: neither {} nor {} holds its content; left for an operator", what,
                entry.ContentPath(), object);
    fs::rename(entry.dir, entry.dir + ".broken");
    return;
  }
  PauseForTest("archived");

  if (upload.recovered) {
    // The process that died may have recorded it: the catalog says what became of it (an
    // unfinished load is restarted by the server; a refusal was moved to rejected/ already).
    Result<std::optional<catalog::ArrivalRecord>> known = AlreadyRecorded(entry);
    if (!known.ok()) {
      Log().error("sftp: arrival {}: cannot read the catalog: {} (retried at the next start)", what,
                  known.status().message());
      return;
    }
    if (known->has_value()) {
      Log().info("sftp: arrival {} was recorded before the process stopped (id {}, {})", what,
                 (*known)->id, (*known)->state);
      RemoveSpoolEntry(entry);
      return;
    }
  }

  catalog::ArrivalRecord record;
  record.partner = entry.partner;
  record.path = entry.path;
  record.received_at = entry.received_at;
  record.sha256 = entry.sha256;
  record.size_bytes = entry.size_bytes;
  record.stored_as = fs::relative(object, zone_.project_root()).string();
  // Records the arrival; from then on the catalog, not the spool, holds it.
  auto record_it = [&]() -> Result<int64_t> {
    Result<int64_t> id = zone_.Record(record);
    if (!id.ok()) {
      Log().error("sftp: cannot record arrival {}: {} (kept in {}; retried at the next start)",
                  what, id.status().message(), entry.dir);
      return id;
    }
    PauseForTest("recorded");
    RemoveSpoolEntry(entry);
    return id;
  };

  Result<pipeline::Project> project = pipeline::LoadProject(project_dir_);
  if (!project.ok()) {
    // The project is broken, not the file: keep it where it is, say why it was not loaded.
    record.state = "failed";
    record.reason = "the project does not load: " + project.status().message();
    if (!record_it().ok()) return;
    Log().error("sftp: {} not loaded: {}", what, record.reason);
    return;
  }
  Result<const pipeline::SourceSpec*> source = MatchSource(*project, entry.path);
  if (!source.ok()) {
    record.state = "rejected";
    record.reason = source.status().message();
    // A recovered refusal may have been moved already (the process died before recording it).
    std::optional<std::string> moved_before;
    if (upload.recovered) moved_before = zone_.FindRejected(entry.partner, entry.path, object);
    Result<std::string> moved =
        moved_before ? Result<std::string>(*moved_before)
                     : zone_.Reject(entry.partner, entry.path, object, record.reason);
    if (moved.ok()) {
      record.stored_as = *moved;
      RemoveIfSameFile(entry.real_path, entry.device, entry.inode);
    } else {
      record.reason += "; and it could not be moved to rejected/: " + moved.status().message();
    }
    if (!record_it().ok()) return;
    Log().info("sftp: {} rejected: {}", what, record.reason);
    return;
  }
  record.source = (*source)->spec.name;
  record.state = "received";
  Result<int64_t> id = record_it();
  if (!id.ok()) return;
  Arrival arrival;
  arrival.id = *id;
  arrival.partner = entry.partner;
  arrival.path = entry.path;
  arrival.source = record.source;
  arrival.table = (*source)->spec.table.ToString();
  arrival.sha256 = record.sha256;
  arrival.size_bytes = record.size_bytes;
  arrival.content_path = object;
  arrival.landing_file = entry.real_path;
  arrival.landing_device = entry.device;
  arrival.landing_inode = entry.inode;
  arrival.received_at = entry.received_at;
  handler_.OnArrival(arrival);
}

}  // namespace strata::sftp
