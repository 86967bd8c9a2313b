// The host key's fingerprint, for the server's log line and SftpServer::host_key_fingerprint.
// Internal to the sftp layer; EnsureHostKey, which makes the key, is in server.h.
// Thread-safe: reads the file only.
#pragma once

#include <string>

namespace strata::sftp {

// SHA-256 fingerprint of the private key at `path` as OpenSSH prints it ("SHA256:..."); "" if
// the key cannot be read.
std::string HostKeyFingerprint(const std::string& path);

}  // namespace strata::sftp
