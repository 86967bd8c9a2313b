// SFTP virtual users (partners): no system accounts, a small JSON file under the project,
// <project>/.strata/sftp/users.json (mode 0600), holding for each user its public keys, a salted
// password hash (PBKDF2-HMAC-SHA256, 16-byte random salt, 200000 iterations; the password itself
// is never stored) and whether it may write.
//
// Thread/process safety: every call re-reads the file; changes take an exclusive flock on a
// lock file beside it and replace the file atomically (temp + rename), so `strata sftp user add`
// while the server runs is safe and takes effect at the next login.
// Errors: InvalidArgument for bad names, keys or an unreadable users file (naming it),
// AlreadyExists / NotFound for add / remove, IOError for the file system.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace strata::sftp {

struct SftpUser {
  std::string name{};
  std::vector<std::string> public_keys{};  // OpenSSH format: "ssh-ed25519 AAAA... comment"
  std::string password_hash{};             // "" = no password login
  bool read_only = false;
  std::string created_at{};  // ISO-8601 UTC
};

// "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>".
Result<std::string> HashPassword(std::string_view password);
// Constant-time check of `password` against a HashPassword result; false for malformed hashes.
bool VerifyPassword(std::string_view stored_hash, std::string_view password);

// OK if `line` is one OpenSSH public key ("type base64 [comment]") libssh can import; else
// InvalidArgument saying why.
Status CheckPublicKey(std::string_view line);

class UserStore {
 public:
  // `path` is the users.json file (parent directories are created on first write).
  explicit UserStore(std::string path) : path_(std::move(path)) {}

  // Every user, sorted by name; empty if the file does not exist yet.
  Result<std::vector<SftpUser>> List() const;
  Result<std::optional<SftpUser>> Find(std::string_view name) const;
  // Adds a user (name checked with IsValidPartnerName, keys with CheckPublicKey; at least one
  // key or a password required).
  Status Add(const SftpUser& user);
  Status Remove(std::string_view name);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace strata::sftp
