// The server's ed25519 host key: EnsureHostKey (declared in server.h) makes it once;
// HostKeyFingerprint (host_key.h) names it.
#include "landing/sftp/host_key.h"

#include <libssh/libssh.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>

#include "landing/sftp/server.h"

namespace strata::sftp {
namespace {

struct KeyFree {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using Key = std::unique_ptr<ssh_key_struct, KeyFree>;

}  // namespace

Status EnsureHostKey(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) == 0) return Status::OK();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  ssh_key key = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
    return Status::IOError("cannot generate an ed25519 host key");
  }
  Key owned(key);
  const std::string temp = path + ".tmp";
  if (ssh_pki_export_privkey_file(key, nullptr, nullptr, nullptr, temp.c_str()) != SSH_OK) {
    return Status::IOError("cannot write the host key to " + temp);
  }
  ::chmod(temp.c_str(), 0600);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot move the host key to " + path);
  }
  return Status::OK();
}

std::string HostKeyFingerprint(const std::string& path) {
  std::string fingerprint;
  ssh_key loaded = nullptr;
  if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &loaded) != SSH_OK) {
    return fingerprint;
  }
  Key host(loaded);
  unsigned char* hash = nullptr;
  size_t hash_length = 0;
  if (ssh_get_publickey_hash(loaded, SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_length) == 0) {
    char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_length);
    if (text != nullptr) fingerprint = text;
    ssh_string_free_char(text);
    ssh_clean_pubkey_hash(&hash);
  }
  return fingerprint;
}

}  // namespace strata::sftp
