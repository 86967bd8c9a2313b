// Writing projects to disk: `strata init` (a small project whose comments teach the format,
// runnable as is) and the examples embedded in the binary at build time (`strata demo`).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace strata::pipeline {

struct ProjectFile {
  std::string path;  // relative to the project root ("models/silver/x.sql")
  std::string_view content;
};

// The files of `strata init`.
const std::vector<ProjectFile>& InitProjectFiles();

// The files of examples/importau/, embedded at build time (embedded_examples.cc is generated
// from the directory by CMake), so the binary works anywhere.
const std::vector<ProjectFile>& ImportAuProjectFiles();

// Creates `directory` (and parents) and writes `files` into it. With `require_empty`, an
// existing non-empty directory is AlreadyExists naming it; otherwise existing files are
// replaced (the demo rewrites its project files on every run, its data stays).
Status WriteProjectFiles(const std::string& directory, const std::vector<ProjectFile>& files,
                         bool require_empty);

}  // namespace strata::pipeline
