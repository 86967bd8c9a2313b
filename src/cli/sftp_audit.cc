#include "cli/sftp_audit.h"

#include <memory>

#include "access/access.h"
#include "catalog/location.h"
#include "common/logging.h"
#include "pipeline/project.h"

namespace strata::cli {

Result<std::function<void(const sftp::LoginEvent&)>> SftpLoginAudit(const std::string& project_dir) {
  STRATA_ASSIGN_OR_RETURN(pipeline::Project project, pipeline::LoadProjectConfig(project_dir));
  STRATA_ASSIGN_OR_RETURN(std::string catalog, catalog::ResolveCatalogLocation(project.root, ""));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<access::AccessControl> opened,
                          access::AccessControl::Open(catalog));
  std::shared_ptr<access::AccessControl> access = std::move(opened);
  return [access](const sftp::LoginEvent& login) {
    access::AuditEvent event;
    event.user = login.user;
    event.action = "sftp.login";
    event.target = "sftp";
    event.outcome = login.outcome == sftp::LoginEvent::Outcome::kAccepted ? "ok" : "failed";
    event.address = login.address;
    event.detail = std::string(sftp::OutcomeName(login.outcome)) + " (" + login.method +
                   (login.detail.empty() ? "" : ": " + login.detail) + ")";
    Status written = access->Audit(std::move(event));
    if (!written.ok()) Log().warn("sftp: the audit log did not take a login: {}", written.ToString());
  };
}

}  // namespace strata::cli
