// Helpers of session.cc: SFTP status codes and file attributes as the client sees them.
// Internal to the sftp layer. Thread-safe: pure functions.
#pragma once

#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <sys/stat.h>

#include <cstdint>
#include <string>

namespace strata::sftp {

// The SFTP status for a failed system call's errno (SSH_FX_NO_SUCH_FILE, ...).
uint32_t StatusFromErrno(int error);
// `info` as SFTP v3 attributes (size, uid/gid, permissions, times).
void FillAttributes(const struct stat& info, sftp_attributes_struct& attr);
// The `ls -l` line OpenSSH prints for an entry; write bits cleared when the partner may not
// write there.
std::string LongName(const std::string& name, const struct stat& info, const std::string& owner,
                     bool writable);

}  // namespace strata::sftp
