// The embedded SFTP server's logins in the project's audit log, beside the HTTP server's and
// the CLI's: every attempt (accepted, failed, locked out, refused for lack of a slot) becomes an
// `sftp.login` event with the partner's name, the client address and why.
#pragma once

#include <functional>
#include <string>

#include "common/result.h"
#include "landing/sftp/server.h"

namespace strata::cli {

// A callback for SftpServerOptions::on_login that appends to the audit log of the catalog of
// the project in `project_dir` (opened once, here: a bad project or an unreachable catalog is
// this call's error). A write that fails later is logged, never the login's concern. Safe from
// the server's threads.
Result<std::function<void(const sftp::LoginEvent&)>> SftpLoginAudit(const std::string& project_dir);

}  // namespace strata::cli
