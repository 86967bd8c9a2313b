// ObjectStore: the storage seam. Everything strata persists (Delta logs, data files, checkpoints,
// landing files) goes through this interface, so tables live on a local disk, in memory (tests)
// or in an S3-compatible store with the same code, and faults can be injected underneath.
//
// Keys are '/'-separated relative paths ("lake/bronze/x/_delta_log/00000000000000000000.json").
// A key must be non-empty, must not start or end with '/', and must not contain empty, "." or
// ".." components or NUL; any other key gets InvalidArgument naming it. "Directories" are only
// key prefixes: there is no mkdir, and listing "a/" finds "a/b/c".
//
// Contracts every implementation keeps (checked by object_store_conformance_test.cc):
//  - Put and PutIfAbsent are atomic: a reader sees the old object, the whole new object, or (for
//    a new key) nothing; never a prefix.
//  - PutIfAbsent never overwrites, even when two processes race on the same key: exactly one
//    gets OK, the others get AlreadyExists.
//  - List returns keys in ascending byte order, paginated by an opaque token.
//  - Delete of a missing key is OK (idempotent, as in S3).
//  - List never returns temporary objects (see IsTemporaryKey): a writer that dies mid-put may
//    leave one behind, and readers must not mistake it for data.
// Thread safety: all methods may be called concurrently from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"

namespace strata::storage {

struct ObjectInfo {
  std::string key;
  int64_t size = 0;
  int64_t modified_micros = 0;  // last-modified time, microseconds since the epoch
};

struct ListPage {
  std::vector<ObjectInfo> objects;  // ascending by key
  std::string next_token;           // empty when this is the last page
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // The whole object. NotFound if absent.
  virtual Result<std::string> Get(std::string_view key) = 0;
  // Bytes [offset, offset+length) clipped at the end of the object. NotFound if absent;
  // InvalidArgument if offset is past the end (offset == size gives "") or offset or length is
  // negative.
  virtual Result<std::string> GetRange(std::string_view key, int64_t offset, int64_t length) = 0;
  // Creates or replaces atomically.
  virtual Status Put(std::string_view key, std::string_view data) = 0;
  // Creates atomically; AlreadyExists if the key exists (then nothing is changed).
  virtual Status PutIfAbsent(std::string_view key, std::string_view data) = 0;
  // Moves a finished local file into the store under `key` (replacing), then the local file is
  // gone. Lets engines write big files to disk first; the local store renames in place.
  // NotFound if `local_path` does not exist.
  virtual Status PutFile(std::string_view key, const std::string& local_path) = 0;
  // Keys starting with `prefix` ("" = all), at most `max_keys` (>0) per page, starting after the
  // position encoded in `page_token` ("" = from the start). InvalidArgument if max_keys <= 0 or
  // the prefix's directory part (up to its last '/') is not a well-formed key.
  virtual Result<ListPage> List(std::string_view prefix, std::string_view page_token,
                                int max_keys) = 0;
  virtual Status Delete(std::string_view key) = 0;
  // NotFound if absent.
  virtual Result<ObjectInfo> Head(std::string_view key) = 0;

  // A local filesystem path at which the object for `key` is (or would be) stored, for readers
  // and writers that need a real file (DuckDB). nullopt when the store is not a local filesystem.
  virtual std::optional<std::string> LocalPath(std::string_view key) const = 0;

  // The URI this store was opened from ("file:///abs/path", "memory://name").
  virtual std::string Uri() const = 0;
};

// Temporary objects hold a writer's in-progress bytes: their last component is
// ".<name>.strata-tmp.<anything>". They are valid keys (Get/Head/Delete work on them) but List
// skips them, so a torn temporary left by a crashed writer is never listed. Do not name real
// objects this way.
bool IsTemporaryKey(std::string_view key);
// A temporary key in the same "directory" as `key`, distinguished by `unique` (no '/').
std::string TemporaryKeyFor(std::string_view key, std::string_view unique);

// Every key under `prefix`, following pagination.
Result<std::vector<ObjectInfo>> ListAll(ObjectStore& store, std::string_view prefix);

// OK for a well-formed key, else InvalidArgument naming the key and the rule it breaks.
Status ValidateKey(std::string_view key);

// Opens a store from a URI or path: "/abs/dir", "rel/dir" or "file:///abs/dir" -> local
// (created if missing); "memory://NAME" -> a process-wide in-memory store shared by NAME.
// InvalidArgument for other schemes.
Result<std::shared_ptr<ObjectStore>> OpenObjectStore(std::string_view uri);

}  // namespace strata::storage
