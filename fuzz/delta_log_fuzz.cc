// Fuzz target for the Delta log reader (src/storage/delta/actions.h, schema.h, log_files.h): the
// input is a table's `_delta_log/`, its NUL-separated parts being commit files. Each part is
// parsed as a commit (ParseCommitFile), every metaData's schemaString as a schema (ParseSchema),
// and the part's first line as a log file name (ParseLogFileName). Each returns a value or an
// error naming the file, never throws or aborts; parsed actions and schemas survive serialising
// and parsing again.
// Build and run: fuzz/run [SECONDS] delta_log_fuzz (fuzz/README.md).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "storage/delta/actions.h"
#include "storage/delta/log_files.h"
#include "storage/delta/schema.h"

namespace {

void Check(bool condition, const char* what, const std::string& detail) {
  if (condition) return;
  std::fprintf(stderr, "delta_log_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

void CheckSchema(const std::string& schema_string) {
  using namespace strata::delta;
  auto schema = ParseSchema(schema_string);
  if (!schema.ok()) return;
  const std::string again = SchemaToJson(*schema);
  auto reparsed = ParseSchema(again);
  Check(reparsed.ok(), "serialised schema does not parse", again);
  Check(SchemaToJson(*reparsed) == again, "schema changes on a round trip", again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t version = 0;
  for (size_t at = 0; at <= input.size(); ++version) {
    size_t end = input.find('\0', at);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view part = input.substr(at, end - at);
    at = end + 1;
    (void)delta::ParseLogFileName({std::string(part.substr(0, part.find('\n'))), 0, 0});
    char name[64];
    std::snprintf(name, sizeof(name), "_delta_log/%020zu.json", version);
    auto actions = delta::ParseCommitFile(part, name);
    if (!actions.ok()) {
      Check(actions.status().message().find(name) != std::string::npos,
            "error does not name the file", actions.status().ToString());
      continue;
    }
    std::string again;
    for (const delta::Action& action : *actions) {
      again += delta::SerializeAction(action) + "\n";
      if (const auto* metadata = std::get_if<delta::Metadata>(&action)) {
        CheckSchema(metadata->schema_string);
      }
    }
    auto reparsed = delta::ParseCommitFile(again, name);
    Check(reparsed.ok(), "serialised actions do not parse", again);
    Check(reparsed->size() == actions->size(), "serialised actions differ in number", again);
  }
  return 0;
}

#include "fuzz_main.h"
