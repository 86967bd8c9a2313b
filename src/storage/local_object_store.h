// LocalObjectStore: an ObjectStore whose objects are files under a root directory; key "a/b/c"
// is the file <root>/a/b/c. It is the store for a project on one machine and the one DuckDB can
// read directly (LocalPath).
//
// How the contracts of object_store.h hold on a POSIX filesystem:
//  - Put writes a temporary file beside the target (".<name>.strata-tmp.<pid>.<random>"), fsyncs
//    it, renames it over the target and fsyncs the directory: readers see the old or the new
//    file, never a prefix, and a crash at any point leaves at most a stray temporary.
//  - PutIfAbsent writes and fsyncs a temporary, then link(2)s it to the target. link fails with
//    EEXIST atomically in the kernel, so even racing processes never both win or overwrite. (On
//    filesystems without hard links it falls back to renameat2(RENAME_NOREPLACE).)
//  - List skips temporaries, so a crashed writer's leftovers are invisible.
//  - Directories are created on demand and Delete removes empty ones up to the root. A key can
//    not be both an object and a prefix of another object here ("a" and "a/b"), unlike S3: such a
//    put fails with FailedPrecondition.
// Thread- and process-safe: no state beyond the root path; the filesystem serializes.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "storage/object_store.h"

namespace strata::storage {

class LocalObjectStore final : public ObjectStore {
  struct PrivateTag {};  // only Open may construct

 public:
  // Opens (creating if missing, with parents) the directory `root`, relative to the working
  // directory unless absolute. IOError if it cannot be created or is not a directory.
  static Result<std::unique_ptr<LocalObjectStore>> Open(std::string root);

  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, int64_t offset, int64_t length) override;
  Status Put(std::string_view key, std::string_view data) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  // Renames `local_path` into place (fsyncing it first); across filesystems copies into a
  // temporary, fsyncs and renames, then removes `local_path`.
  Status PutFile(std::string_view key, const std::string& local_path) override;
  Result<ListPage> List(std::string_view prefix, std::string_view page_token,
                        int max_keys) override;
  Status Delete(std::string_view key) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  // "<root>/<key>" (absolute); nullopt for a malformed key, which has no safe path.
  std::optional<std::string> LocalPath(std::string_view key) const override;
  std::string Uri() const override { return "file://" + root_; }

  // Absolute, normalized, without a trailing '/'.
  const std::string& root() const { return root_; }

  LocalObjectStore(std::string root, PrivateTag) : root_(std::move(root)) {}

 private:
  std::string PathOf(std::string_view key) const;
  // "<op> \"<key>\" in file:///root", the start of every error message.
  std::string Describe(std::string_view op, std::string_view key) const;
  Status MakeParents(std::string_view key) const;
  // Creates a new temporary file beside `key`, lets `fill` write it, fsyncs and closes it.
  // Returns its path; on error nothing is left behind.
  Result<std::string> WriteTemporary(std::string_view op, std::string_view key,
                                     const std::function<Status(int fd)>& fill) const;
  // Removes now-empty directories from the parent of `key` up to (not including) the root.
  void PruneEmptyParents(std::string_view key) const;
  struct ListState;
  Status Walk(const std::string& rel_dir, ListState& state) const;

  const std::string root_;
};

}  // namespace strata::storage
