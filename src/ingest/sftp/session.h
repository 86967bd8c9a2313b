// One authenticated SFTP session: the protocol loop over libssh's sftp server API, with every
// path confined by vpath.h. Internal to the sftp layer (server.cc starts it).
#pragma once

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <string>

#include "ingest/sftp/intake.h"
#include "ingest/sftp/landing_zone.h"

namespace strata::sftp {

struct SessionContext {
  std::string partner;
  bool read_only = false;
  LandingZone* zone = nullptr;
  ArrivalIntake* intake = nullptr;
};

// Serves SFTP requests on `sftp` (initialised) until the client leaves or the connection drops.
// Uploads still open at that point are not arrivals (their partial content stays in place, so
// the client can resume it).
void ServeSftp(sftp_session sftp, const SessionContext& context);

}  // namespace strata::sftp
