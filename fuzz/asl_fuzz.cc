// Fuzz target for the state-machine loader and validator (src/orchestrator/loader.h): whatever a
// pipeline file holds, LoadDefinition returns a machine or an error naming the file, never
// throws, aborts or runs away, and a machine it returns also passes Validate.
// The input is read as JSON when it starts with '{', else as YAML (as pipelines/*.yaml are).
// Build and run: fuzz/run [SECONDS] asl_fuzz (fuzz/README.md).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "orchestrator/loader.h"
#include "orchestrator/validator.h"

namespace {

void Check(bool condition, const char* what, const std::string& detail) {
  if (condition) return;
  std::fprintf(stderr, "asl_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata::orchestrator;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string source = "pipelines/fuzz.yaml";
  auto machine = LoadDefinition(text, DefinitionFormat::kAuto, source);
  if (!machine.ok()) {
    Check(machine.status().message().find(source) != std::string::npos,
          "error does not name the file", machine.status().ToString());
    return 0;
  }
  LineMap lines;
  auto doc = ParseDefinitionText(text, DefinitionFormat::kAuto, source, &lines);
  Check(doc.ok(), "loaded but does not parse", doc.status().ToString());
  strata::Status valid = Validate(*doc);
  Check(valid.ok(), "loaded but does not validate", valid.ToString());
  return 0;
}

#include "fuzz_main.h"
