// Fuzz target for JSONata (src/orchestrator/jsonata.h), as written in "{% ... %}" fields of
// JSONata states: parsing any text returns an expression or an error, never throws or aborts,
// and an expression that CheckEvaluable() accepts evaluates on a fixed input without crashing
// or running away.
// Build and run: fuzz/run [SECONDS] jsonata_fuzz (fuzz/README.md).
#include <cstdint>
#include <string_view>

#include "orchestrator/jsonata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata::orchestrator;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto body = JsonataFenceBody(text)) text = *body;
  auto expr = JsonataExpr::Parse(text);
  if (!expr.ok() || !expr->CheckEvaluable().ok()) return 0;
  static const Json bindings = Json::parse(R"({
    "states": {"input": {"a": [1, 2, 3], "b": {"c": "x"}, "n": 2.5, "s": "Hello", "t": true},
               "context": {"Execution": {"Id": "e1"}, "State": {"Name": "A"}}},
    "v": [{"k": 1}, {"k": 2}], "name": "strata"
  })");
  (void)expr->Evaluate(bindings);
  return 0;
}

#include "fuzz_main.h"
