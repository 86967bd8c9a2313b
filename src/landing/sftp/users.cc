#include "landing/sftp/users.h"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "catalog/catalog.h"
#include "landing/sftp/vpath.h"

namespace strata::sftp {
namespace {

namespace fs = std::filesystem;
constexpr int kIterations = 200000;
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

std::string Hex(const unsigned char* data, size_t size) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

std::optional<std::string> Unhex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int value = 0;
    for (int j = 0; j < 2; ++j) {
      char c = hex[i + j];
      int digit = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
      if (digit < 0) return std::nullopt;
      value = value * 16 + digit;
    }
    out += static_cast<char>(value);
  }
  return out;
}

bool Pbkdf2(std::string_view password, const std::string& salt, int iterations,
            unsigned char* out) {
  return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                           reinterpret_cast<const unsigned char*>(salt.data()),
                           static_cast<int>(salt.size()), iterations, EVP_sha256(),
                           static_cast<int>(kHashBytes), out) == 1;
}

// Holds an exclusive flock on <users.json>.lock for the lifetime of the object.
class FileLock {
 public:
  static Result<FileLock> Acquire(const std::string& path) {
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    int fd = ::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Status::IOError(path + ".lock: " + std::strerror(errno));
    if (::flock(fd, LOCK_EX) != 0) {
      ::close(fd);
      return Status::IOError(path + ".lock: " + std::strerror(errno));
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

Result<std::vector<SftpUser>> ReadUsers(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (!fs::exists(path)) return std::vector<SftpUser>{};
    return Status::IOError(path + ": cannot be read");
  }
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("users") ||
      !doc["users"].is_array()) {
    return Status::InvalidArgument(path + ": not a strata SFTP users file ({\"users\": [...]})");
  }
  std::vector<SftpUser> users;
  for (const nlohmann::json& entry : doc["users"]) {
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) {
      return Status::InvalidArgument(path + ": a user without a name");
    }
    SftpUser user;
    user.name = entry["name"].get<std::string>();
    user.password_hash = entry.value("password_hash", "");
    user.read_only = entry.value("read_only", false);
    user.created_at = entry.value("created_at", "");
    if (entry.contains("public_keys") && entry["public_keys"].is_array()) {
      for (const auto& key : entry["public_keys"]) {
        if (key.is_string()) user.public_keys.push_back(key.get<std::string>());
      }
    }
    users.push_back(std::move(user));
  }
  std::sort(users.begin(), users.end(),
            [](const SftpUser& a, const SftpUser& b) { return a.name < b.name; });
  return users;
}

Status WriteUsers(const std::string& path, const std::vector<SftpUser>& users) {
  nlohmann::json list = nlohmann::json::array();
  for (const SftpUser& user : users) {
    list.push_back({{"name", user.name},
                    {"public_keys", user.public_keys},
                    {"password_hash", user.password_hash},
                    {"read_only", user.read_only},
                    {"created_at", user.created_at}});
  }
  const std::string text = nlohmann::json{{"users", list}}.dump(2) + "\n";
  const std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError(temp + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
    ::unlink(temp.c_str());
    return Status::IOError(path + ": cannot be written: " + std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace

Result<std::string> HashPassword(std::string_view password) {
  if (password.empty()) return Status::InvalidArgument("the password is empty");
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) return Status::Internal("no random bytes for a salt");
  unsigned char hash[kHashBytes];
  std::string salt_text(reinterpret_cast<char*>(salt), sizeof salt);
  if (!Pbkdf2(password, salt_text, kIterations, hash)) return Status::Internal("PBKDF2 failed");
  return "pbkdf2-sha256$" + std::to_string(kIterations) + "$" + Hex(salt, sizeof salt) + "$" +
         Hex(hash, sizeof hash);
}

bool VerifyPassword(std::string_view stored_hash, std::string_view password) {
  // pbkdf2-sha256$<iterations>$<salt>$<hash>
  std::vector<std::string_view> parts;
  size_t at = 0;
  while (parts.size() < 4) {
    size_t dollar = stored_hash.find('$', at);
    parts.push_back(stored_hash.substr(
        at, dollar == std::string_view::npos ? std::string_view::npos : dollar - at));
    if (dollar == std::string_view::npos) break;
    at = dollar + 1;
  }
  if (parts.size() != 4 || parts[0] != "pbkdf2-sha256") return false;
  int iterations = 0;
  for (char c : parts[1]) {
    if (c < '0' || c > '9' || iterations > 10000000) return false;
    iterations = iterations * 10 + (c - '0');
  }
  std::optional<std::string> salt = Unhex(parts[2]);
  std::optional<std::string> expected = Unhex(parts[3]);
  if (iterations <= 0 || !salt || !expected || expected->size() != kHashBytes) return false;
  unsigned char actual[kHashBytes];
  if (!Pbkdf2(password, *salt, iterations, actual)) return false;
  return CRYPTO_memcmp(actual, expected->data(), kHashBytes) == 0;
}

Status CheckPublicKey(std::string_view line) {
  std::istringstream in{std::string(line)};
  std::string type, base64;
  in >> type >> base64;
  if (type.empty() || base64.empty()) {
    return Status::InvalidArgument("public key: expected 'TYPE BASE64 [comment]' (a .pub file)");
  }
  enum ssh_keytypes_e key_type = ssh_key_type_from_name(type.c_str());
  if (key_type == SSH_KEYTYPE_UNKNOWN) {
    return Status::InvalidArgument("public key: unknown key type '" + type + "'");
  }
  ssh_key key = nullptr;
  if (ssh_pki_import_pubkey_base64(base64.c_str(), key_type, &key) != SSH_OK) {
    return Status::InvalidArgument("public key: the " + type + " key data does not decode");
  }
  ssh_key_free(key);
  return Status::OK();
}

Result<std::vector<SftpUser>> UserStore::List() const { return ReadUsers(path_); }

Result<std::optional<SftpUser>> UserStore::Find(std::string_view name) const {
  STRATA_ASSIGN_OR_RETURN(std::vector<SftpUser> users, ReadUsers(path_));
  for (SftpUser& user : users) {
    if (user.name == name) return std::optional<SftpUser>(std::move(user));
  }
  return std::optional<SftpUser>();
}

Status UserStore::Add(const SftpUser& user) {
  if (!IsValidPartnerName(user.name)) {
    return Status::InvalidArgument("user name '" + user.name +
                                   "': use 1-32 of a-z, 0-9, '_' and '-', starting with a letter "
                                   "or digit (and not 'rejected')");
  }
  if (user.public_keys.empty() && user.password_hash.empty()) {
    return Status::InvalidArgument("user '" + user.name +
                                   "' needs a public key (--key) or a password (--password-stdin)");
  }
  for (const std::string& key : user.public_keys) {
    STRATA_RETURN_IF_ERROR(CheckPublicKey(key).WithContext("user '" + user.name + "'"));
  }
  STRATA_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(path_));
  STRATA_ASSIGN_OR_RETURN(std::vector<SftpUser> users, ReadUsers(path_));
  for (const SftpUser& existing : users) {
    if (existing.name == user.name) {
      return Status::AlreadyExists("SFTP user '" + user.name + "' already exists");
    }
  }
  SftpUser added = user;
  if (added.created_at.empty()) added.created_at = catalog::NowIso8601();
  users.push_back(std::move(added));
  std::sort(users.begin(), users.end(),
            [](const SftpUser& a, const SftpUser& b) { return a.name < b.name; });
  return WriteUsers(path_, users);
}

Status UserStore::Remove(std::string_view name) {
  STRATA_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(path_));
  STRATA_ASSIGN_OR_RETURN(std::vector<SftpUser> users, ReadUsers(path_));
  auto it = std::find_if(users.begin(), users.end(),
                         [&](const SftpUser& user) { return user.name == name; });
  if (it == users.end()) {
    return Status::NotFound("SFTP user '" + std::string(name) + "' does not exist");
  }
  users.erase(it);
  return WriteUsers(path_, users);
}

}  // namespace strata::sftp
