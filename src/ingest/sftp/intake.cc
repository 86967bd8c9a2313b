#include "ingest/sftp/intake.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
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

void ArrivalIntake::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void ArrivalIntake::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ArrivalIntake::WaitIdle() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

Status ArrivalIntake::Submit(const std::string& partner, const std::string& path,
                             const std::string& real_path) {
  Pending upload;
  upload.partner = partner;
  upload.path = path;
  upload.real_path = real_path;
  upload.received_at = catalog::NowIso8601();
  struct stat info;
  if (::lstat(real_path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return Status::NotFound(real_path + " is not a regular file");
  }
  upload.device = static_cast<uint64_t>(info.st_dev);
  upload.inode = static_cast<uint64_t>(info.st_ino);
  uint64_t sequence;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sequence = next_spool_++;
  }
  upload.spool_path = zone_.SpoolDir() + "/" + std::to_string(::getpid()) + "-" +
                      std::to_string(sequence) + "-" + std::to_string(upload.inode);
  STRATA_RETURN_IF_ERROR(LinkOrCopy(real_path, upload.spool_path));
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

void ArrivalIntake::Process(const Pending& upload) {
  catalog::ArrivalRecord record;
  record.partner = upload.partner;
  record.path = upload.path;
  record.received_at = upload.received_at;
  Result<std::pair<std::string, int64_t>> hashed = HashFile(upload.spool_path);
  if (!hashed.ok()) {
    Log().error("sftp: arrival {}/{}: {}", upload.partner, upload.path, hashed.status().message());
    return;  // the spool link stays for an operator; the partner's file is untouched
  }
  record.sha256 = hashed->first;
  record.size_bytes = hashed->second;
  // Archive by content: the first copy of a content is kept, later identical ones are dropped.
  const std::string object = zone_.ObjectPath(record.sha256);
  std::error_code ec;
  fs::create_directories(fs::path(object).parent_path(), ec);
  struct stat info;
  if (::lstat(object.c_str(), &info) == 0) {
    ::unlink(upload.spool_path.c_str());
  } else if (::rename(upload.spool_path.c_str(), object.c_str()) != 0) {
    Log().error("sftp: cannot archive {}: {}", object, std::strerror(errno));
    return;
  }
  record.stored_as = fs::relative(object, zone_.project_root()).string();

  Result<pipeline::Project> project = pipeline::LoadProject(project_dir_);
  if (!project.ok()) {
    // The project is broken, not the file: keep it where it is, say why it was not loaded.
    record.state = "failed";
    record.reason = "the project does not load: " + project.status().message();
    Result<int64_t> id = zone_.Record(record);
    if (!id.ok()) Log().error("sftp: cannot record arrival: {}", id.status().message());
    Log().error("sftp: {}/{} not loaded: {}", upload.partner, upload.path, record.reason);
    return;
  }
  Result<const pipeline::SourceSpec*> source = MatchSource(*project, upload.path);
  if (!source.ok()) {
    record.state = "rejected";
    record.reason = source.status().message();
    Result<std::string> moved = zone_.Reject(upload.partner, upload.path, object, record.reason);
    if (moved.ok()) {
      record.stored_as = *moved;
      RemoveIfSameFile(upload.real_path, upload.device, upload.inode);
    } else {
      record.reason += "; and it could not be moved to rejected/: " + moved.status().message();
    }
    Result<int64_t> id = zone_.Record(record);
    if (!id.ok()) Log().error("sftp: cannot record arrival: {}", id.status().message());
    Log().info("sftp: {}/{} rejected: {}", upload.partner, upload.path, record.reason);
    return;
  }
  record.source = (*source)->spec.name;
  record.state = "received";
  Result<int64_t> id = zone_.Record(record);
  if (!id.ok()) {
    Log().error("sftp: cannot record arrival {}/{}: {}", upload.partner, upload.path,
                id.status().message());
    return;
  }
  Arrival arrival;
  arrival.id = *id;
  arrival.partner = upload.partner;
  arrival.path = upload.path;
  arrival.source = record.source;
  arrival.table = (*source)->spec.table.ToString();
  arrival.sha256 = record.sha256;
  arrival.size_bytes = record.size_bytes;
  arrival.content_path = object;
  arrival.landing_file = upload.real_path;
  arrival.landing_device = upload.device;
  arrival.landing_inode = upload.inode;
  arrival.received_at = upload.received_at;
  handler_.OnArrival(arrival);
}

}  // namespace strata::sftp
