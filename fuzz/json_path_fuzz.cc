// Fuzz target for JSONPath and intrinsic functions (src/orchestrator/json_path.h, intrinsics.h),
// as they appear in InputPath, ResultPath and ".$" payload fields: parsing any text returns a
// path or an error, never throws or aborts, and evaluating a parsed path on a fixed document
// neither crashes nor runs away. Text that looks like "States.Xxx(" goes to the intrinsics.
// Build and run: fuzz/run [SECONDS] json_path_fuzz (fuzz/README.md).
#include <cstdint>
#include <string>
#include <string_view>

#include "orchestrator/intrinsics.h"
#include "orchestrator/json_path.h"

namespace {

using strata::orchestrator::Json;

const Json& Document() {
  static const Json doc = Json::parse(R"({
    "a": [1, 2, 3, {"b": "x", "c": [true, null, 2.5]}],
    "store": {"book": [{"price": 8.95, "title": "S"}, {"price": 12, "isbn": "0-553"}]},
    "s": "hello {}", "n": -7, "e": {}, "z": [], "k.dot": {"x y": 1}
  })");
  return doc;
}

const Json& Context() {
  static const Json context = Json::parse(
      R"({"Execution": {"Id": "e1", "Input": {"x": 1}}, "State": {"Name": "A"},
          "Map": {"Item": {"Index": 0, "Value": "v"}}})");
  return context;
}

const Json& Variables() {
  static const Json variables = Json::parse(R"({"v": [1, 2], "w": {"x": "y"}})");
  return variables;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata::orchestrator;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  PathScope scope{&Document(), &Context(), &Variables()};
  if (LooksLikeIntrinsic(text)) {
    auto call = IntrinsicCall::Parse(text);
    if (!call.ok()) return 0;
    IntrinsicEnv env{[] { return std::string("00000000-0000-4000-8000-000000000000"); },
                     [](int64_t lo, int64_t) { return lo; }};
    (void)call->Evaluate(scope, env);
    return 0;
  }
  auto path = JsonPath::Parse(text);
  if (!path.ok()) return 0;
  (void)path->Evaluate(scope);
  (void)path->EvaluateOn(Document());
  if (path->IsDefinite()) {
    (void)path->Find(Document());
    Json copy = Document();
    (void)path->Assign(copy, Json("assigned"));
  }
  return 0;
}

#include "fuzz_main.h"
