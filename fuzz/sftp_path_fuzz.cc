// Fuzz target for SFTP path confinement (src/landing/sftp/vpath.h): whatever bytes a client sends
// as a path, the resolved location stays inside the partner's area.
//
// Build with libFuzzer:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//     fuzz/sftp_path_fuzz.cc src/landing/sftp/vpath.cc src/common/status.cc -o sftp_path_fuzz
//   ./sftp_path_fuzz -max_total_time=60
// Without clang, -DSTRATA_FUZZ_MAIN gives a driver that runs the target on files or stdin:
//   g++ -std=c++20 -fsanitize=address,undefined -DSTRATA_FUZZ_MAIN -Isrc fuzz/sftp_path_fuzz.cc \
//     src/landing/sftp/vpath.cc src/common/status.cc -o sftp_path_fuzz && ./sftp_path_fuzz FILES
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>

#include "landing/sftp/vpath.h"

namespace {

void Check(bool condition, const char* what, std::string_view input) {
  if (condition) return;
  std::fprintf(stderr, "confinement violated: %s for input of %zu bytes\n", what, input.size());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto resolved = strata::sftp::ResolveVirtualPath(input);
  if (!resolved.ok()) return 0;
  const strata::sftp::VirtualPath& path = *resolved;
  Check(!path.normalized.empty() && path.normalized[0] == '/', "normalized not absolute", input);
  Check(path.relative.empty() || path.relative[0] != '/', "relative path is absolute", input);
  Check(path.normalized.find("//") == std::string::npos, "empty component", input);
  for (const std::string* text : {&path.normalized, &path.relative}) {
    size_t at = 0;
    while (at <= text->size()) {
      size_t slash = text->find('/', at);
      if (slash == std::string::npos) slash = text->size();
      std::string_view part = std::string_view(*text).substr(at, slash - at);
      Check(part != ".." && part != ".", "dot component survived", input);
      for (char c : part) Check(c != '\0' && c != '\\', "NUL or backslash survived", input);
      at = slash + 1;
    }
  }
  // The real path is the area root followed by the relative path, never anything else.
  const std::string root = "/srv/landing/acme";
  const std::string real = strata::sftp::JoinPath(root, path.relative);
  Check(real == root || real.rfind(root + "/", 0) == 0, "escaped the area root", input);
  // Resolving again is a fixed point.
  auto again = strata::sftp::ResolveVirtualPath(path.normalized);
  Check(again.ok() && again->normalized == path.normalized && again->area == path.area &&
            again->relative == path.relative,
        "not idempotent", input);
  return 0;
}

#ifdef STRATA_FUZZ_MAIN
int main(int argc, char** argv) {
  auto run = [](const std::string& bytes) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  };
  if (argc < 2) {
    run(std::string(std::istreambuf_iterator<char>(std::cin), {}));
    return 0;
  }
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    run(std::string(std::istreambuf_iterator<char>(in), {}));
  }
  return 0;
}
#endif
