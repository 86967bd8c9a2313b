// The driver that -DSTRATA_FUZZ_MAIN puts in place of libFuzzer, so the g++ build keeps every
// target compiling and CTest replays the seed corpora and fuzz/regressions/ (fuzz/README.md).
//
//   target [-ext=json,yaml] PATH...   runs the target once per file; a directory is walked
//                                      recursively in sorted order, keeping files whose
//                                      extension is listed (all files without -ext)
//   target                             runs the target once on stdin
//
// Prints how many inputs ran; a crash or sanitizer report fails the process as with libFuzzer.
// Include this at the end of a target's .cc file.
#pragma once

#ifdef STRATA_FUZZ_MAIN
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace strata_fuzz {

inline void RunOne(const std::string& bytes) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

inline std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace strata_fuzz

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 2) {
    strata_fuzz::RunOne(std::string(std::istreambuf_iterator<char>(std::cin), {}));
    return 0;
  }
  std::set<std::string> extensions;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("-ext=", 0) == 0) {
      std::string list = arg.substr(5) + ",";
      for (size_t at = 0, comma; (comma = list.find(',', at)) != std::string::npos;
           at = comma + 1) {
        extensions.insert("." + list.substr(at, comma - at));
      }
      continue;
    }
    std::error_code error;
    if (!fs::exists(arg, error)) {
      std::fprintf(stderr, "%s: no such file or directory\n", arg.c_str());
      return 2;
    }
    if (!fs::is_directory(arg, error)) {
      files.emplace_back(arg);
      continue;
    }
    std::vector<fs::path> found;
    for (const auto& entry : fs::recursive_directory_iterator(arg, error)) {
      if (!entry.is_regular_file()) continue;
      if (extensions.empty() || extensions.count(entry.path().extension().string())) {
        found.push_back(entry.path());
      }
    }
    if (error) {
      std::fprintf(stderr, "%s: %s\n", arg.c_str(), error.message().c_str());
      return 2;
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  for (const fs::path& file : files) strata_fuzz::RunOne(strata_fuzz::ReadAll(file));
  std::printf("%s: ran %zu inputs\n", argv[0], files.size());
  return files.empty() ? 1 : 0;
}
#endif  // STRATA_FUZZ_MAIN
