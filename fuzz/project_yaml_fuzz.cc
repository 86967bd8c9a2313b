// Fuzz target for the project files (src/pipeline/project_text.h): each input is parsed as
// strata.yaml, as a sources/*.yaml, as a model's .yaml and as a model's .sql with a `/*--- ...
// ---*/` header, through ParseProjectText as LoadProject does. Each parse returns OK or an error
// naming the file, never throws, aborts or runs away (YAML alias bombs included). Build and run:
// fuzz/run [SECONDS] project_yaml_fuzz (fuzz/README.md).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "pipeline/project_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata::pipeline;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::pair<ProjectFile, const char*> kinds[] = {
      {ProjectFile::kConfig, "strata.yaml"},
      {ProjectFile::kSources, "sources/fuzz.yaml"},
      {ProjectFile::kModelMeta, "models/silver/fuzz.yaml"},
      {ProjectFile::kModel, "models/silver/fuzz.sql"}};
  for (const auto& [kind, name] : kinds) {
    Project project;
    strata::Status status = ParseProjectText(kind, text, name, project);
    if (!status.ok() && status.message().find(name) == std::string::npos) {
      std::fprintf(stderr, "project_yaml_fuzz: error does not name %s: %s\n", name,
                   status.ToString().c_str());
      std::abort();
    }
  }
  return 0;
}

#include "fuzz_main.h"
