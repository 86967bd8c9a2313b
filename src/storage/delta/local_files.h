// LocalFiles: gives DuckDB a local filesystem path for objects of any ObjectStore. A local store
// hands out its own paths; for any other store the object is copied into a temporary file that
// lives as long as this LocalFiles object (RAII: the destructor deletes the copies).
// Not thread-safe; one owner at a time.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"
#include "storage/object_store.h"

namespace strata::delta {

class LocalFiles {
 public:
  // `temp_dir` empty: $TMPDIR, else /tmp.
  explicit LocalFiles(std::string temp_dir = "");
  ~LocalFiles();
  LocalFiles(const LocalFiles&) = delete;
  LocalFiles& operator=(const LocalFiles&) = delete;

  // A readable local path for `key` (copied on first use when the store is not local).
  Result<std::string> PathFor(storage::ObjectStore& store, std::string_view key);
  size_t copies() const { return copies_.size(); }

 private:
  std::string temp_dir_;
  std::map<std::string, std::string> copies_;  // key -> temp path
};

}  // namespace strata::delta
