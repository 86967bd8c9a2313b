#include "pipeline/confinement.h"

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "engine/confine.h"

namespace strata::pipeline {
namespace {

namespace fs = std::filesystem;

// True if `dir` is `inner` or one of its ancestors (lexically: both are absolute and normal).
bool Contains(const fs::path& dir, const fs::path& inner) {
  auto d = dir.begin();
  auto i = inner.begin();
  for (; d != dir.end(); ++d, ++i) {
    if (d->empty()) continue;  // the trailing "" of "a/b/"
    if (i == inner.end() || *d != *i) return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<engine::Database>> OpenRunDatabase(
    const Project& project, const lake::Lake& lake,
    const std::map<std::string, std::vector<ingest::LandedFile>>& files) {
  engine::DatabaseOptions options;
  options.threads = project.config.engine_threads;
  options.memory_limit = project.config.engine_memory_limit;
  engine::Confinement confinement;
  confinement.lock_configuration = true;
  std::vector<std::pair<std::string, fs::path>> dirs;
  const std::string uri = lake.store().Uri();
  if (uri.starts_with("file://")) {
    fs::path dir = fs::path(uri.substr(7)) / lake.root();
    dirs.emplace_back("storage", dir.lexically_normal());
  }
  dirs.emplace_back("landing", fs::path(project.LandingPath()).lexically_normal());
  const fs::path state = (fs::path(project.root) / ".strata").lexically_normal();
  for (const auto& [key, dir] : dirs) {
    if (Contains(dir, state)) {
      return Status::FailedPrecondition(
          "strata.yaml " + key + ": " + dir.string() +
          " holds the project's .strata/ directory (secrets, SFTP users), which models must not "
          "read: use a subdirectory such as '" +
          (key == "landing" ? "landing" : "lake") + "'");
    }
    confinement.allowed_directories.push_back(dir.string());
  }
  for (const auto& [source, landed] : files) {
    for (const ingest::LandedFile& file : landed) {
      if (file.content_path.empty()) continue;  // read from the landing
      std::error_code error;
      fs::path path = fs::absolute(file.content_path, error);
      if (error) {
        return Status::InvalidArgument("file " + file.content_path + ": " + error.message());
      }
      confinement.allowed_files.push_back(path.lexically_normal().string());
    }
  }
  return engine::OpenConfined(options, confinement);
}

Status ExplainConfinement(const Status& status, std::string_view who) {
  if (!engine::IsConfinementError(status)) return status;
  return Status::PermissionDenied(std::string(who) +
                                  " may read only the project's lake and landing directories "
                                  "(no other file, no INSTALL or LOAD): " +
                                  status.message());
}

}  // namespace strata::pipeline
