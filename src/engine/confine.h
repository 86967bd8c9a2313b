// Databases that run user SQL (models, custom tests, queries), locked down.
//
//   engine::Confinement confinement;
//   confinement.allowed_directories = {"/abs/project/lake", "/abs/project/landing"};
//   STRATA_ASSIGN_OR_RETURN(auto db, engine::OpenConfined(options, confinement));
//
// Contract:
//  - Every Database (Database::Open, confined or not) opens with autoinstall_known_extensions
//    and autoload_known_extensions off: no extension is ever downloaded or loaded behind the
//    caller's back. json, parquet and icu are built into the library; sqlite_scan, delta_scan,
//    httpfs URLs and the like fail as missing extensions.
//  - OpenConfined opens like Database::Open, then sets enable_external_access=false: SQL reads
//    and writes files only under `allowed_directories` (absolute; DuckDB matches whole path
//    components and refuses `..`) and the `allowed_files`; ATTACH elsewhere, INSTALL and LOAD
//    fail. Spilling to the temp directory still works. With `lock_configuration` every later SET
//    of a configuration option fails (InvalidArgument), so the SQL cannot undo the confinement
//    or raise memory_limit/threads; connections still start in UTC (engine.h).
//  - A refused file is IOError with DuckDB's message, "Permission Error: Cannot access file
//    \"...\" - file system operations are disabled by configuration": IsConfinementError tells
//    it from other I/O errors.
//  - InvalidArgument for a relative path in the confinement.
// Thread safety: as Database::Open.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "engine/engine.h"

namespace strata::engine {

struct Confinement {
  std::vector<std::string> allowed_directories;
  std::vector<std::string> allowed_files;
  bool lock_configuration = true;
};

Result<std::unique_ptr<Database>> OpenConfined(const DatabaseOptions& options,
                                               const Confinement& confinement);

// True for DuckDB's refusal of a file outside the confinement.
bool IsConfinementError(const Status& status);

}  // namespace strata::engine
