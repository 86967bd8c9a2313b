// The landing zone of one project as the SFTP server sees it: where partners' files live, where
// arrived content is archived, where refused files go, and the arrival ledger in the catalog.
//
//   <landing>/<partner>/...             what the partner uploads and sees (its SFTP root)
//   <project>/rejected/<partner>/...    refused files, each with NAME.rejected.txt beside it
//                                       (the partner sees them read-only under /rejected)
//   <project>/.strata/sftp/users.json   virtual users (users.h)
//   <project>/.strata/sftp/host_key     the server's ed25519 host key, generated once
//   <project>/.strata/sftp/objects/<sha256>   every arrived content, kept by hash (immutable)
//   <project>/.strata/sftp/spool/       uploads taken at close time, until recorded (spool.h)
//
// Nothing is ever deleted by the landing zone: a refused file is moved (the archive keeps its
// content), a new version of a name keeps the old one in objects/.
// Thread safety: all methods may be called from any thread (the catalog is behind a mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "catalog/arrivals.h"
#include "catalog/catalog.h"
#include "common/result.h"

namespace strata::sftp {

class LandingZone {
 public:
  // `project_root`: the directory with strata.yaml; `landing`: the absolute landing path;
  // `catalog_location`: SQLite path or postgresql:// URL (opened lazily, then kept).
  LandingZone(std::string project_root, std::string landing, std::string catalog_location);

  const std::string& project_root() const { return project_root_; }
  std::string PartnerRoot(const std::string& partner) const;   // <landing>/<partner>
  std::string RejectedRoot(const std::string& partner) const;  // <project>/rejected/<partner>
  std::string StateDir() const;                                // <project>/.strata/sftp
  std::string UsersPath() const { return StateDir() + "/users.json"; }
  std::string HostKeyPath() const { return StateDir() + "/host_key"; }
  std::string ObjectPath(const std::string& sha256) const;
  std::string SpoolDir() const { return StateDir() + "/spool"; }

  // Creates the partner's landing and rejected directories (idempotent).
  Status EnsurePartner(const std::string& partner) const;

  // Ledger (catalog file_arrivals).
  Result<int64_t> Record(const catalog::ArrivalRecord& arrival);
  Status Update(const catalog::ArrivalRecord& arrival);
  Result<std::vector<catalog::ArrivalRecord>> List(const catalog::ArrivalFilter& filter);

  // Puts `content` (a file path; hard-linked, or copied across file systems) at
  // rejected/<partner>/<path> (a free name: "x.csv", then "x.csv.2", ...) and writes the reason
  // beside it as "<that name>.rejected.txt". Returns the project-relative path of the copy.
  Result<std::string> Reject(const std::string& partner, const std::string& path,
                             const std::string& content, const std::string& reason);
  // The copy Reject made of `content` for rejected/<partner>/<path> (same inode, reason file
  // beside it), if there is one: project-relative path. Recovery uses it not to reject twice.
  std::optional<std::string> FindRejected(const std::string& partner, const std::string& path,
                                          const std::string& content) const;

 private:
  Result<catalog::Catalog*> OpenCatalog();

  std::string project_root_;
  std::string landing_;
  std::string catalog_location_;
  std::mutex mutex_;
  std::unique_ptr<catalog::Catalog> catalog_;  // guarded by mutex_
};

// Links `from` to `to` (creating `to`'s parent directories); copies when a hard link is not
// possible (another file system). AlreadyExists if `to` exists.
Status LinkOrCopy(const std::string& from, const std::string& to);

// Removes `file` if it is still the file (device, inode) that arrived, not a newer upload.
void RemoveIfSameFile(const std::string& file, uint64_t device, uint64_t inode);

}  // namespace strata::sftp
