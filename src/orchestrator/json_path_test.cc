#include "orchestrator/json_path.h"

#include <gtest/gtest.h>

#include "orchestrator/jsonata.h"

namespace strata::orchestrator {
namespace {

Json Eval(const std::string& path, const Json& doc) {
  auto p = JsonPath::Parse(path);
  EXPECT_TRUE(p.ok()) << path << ": " << p.status();
  if (!p.ok()) return Json("<parse error>");
  auto v = p->EvaluateOn(doc);
  if (!v.ok()) return Json("<" + std::string(StatusCodeName(v.status().code())) + ">");
  return *v;
}

const Json kStore = Json::parse(R"J({
  "store": {"book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553",
       "price": 8.99}],
    "bicycle": {"color": "red", "price": 19.95}},
  "input-foo": 1, "users": [{"status": 0, "n": "a"}, {"status": 1, "n": "b"}]})J");

TEST(JsonPath, MembersIndicesAndNegativeIndices) {
  EXPECT_EQ(Eval("$", kStore), kStore);
  EXPECT_EQ(Eval("$.store.bicycle.color", kStore), "red");
  EXPECT_EQ(Eval("$['store']['bicycle']['price']", kStore), 19.95);
  EXPECT_EQ(Eval("$.store.book[0].title", kStore), "Sayings");
  EXPECT_EQ(Eval("$.store.book[-1].title", kStore), "Moby Dick");
  EXPECT_EQ(Eval("$.input-foo", kStore), 1);
  EXPECT_EQ(Eval("$.store.book[7]", kStore), "<not_found>");
  EXPECT_EQ(Eval("$.nope", kStore), "<not_found>");
}

TEST(JsonPath, IndefinitePathsReturnArrays) {
  EXPECT_EQ(Eval("$.store.book[*].price", kStore), Json::parse("[8.95, 12.99, 8.99]"));
  EXPECT_EQ(Eval("$.store.book[1:].title", kStore), Json::parse(R"J(["Sword","Moby Dick"])J"));
  EXPECT_EQ(Eval("$.store.book[:1].title", kStore), Json::parse(R"J(["Sayings"])J"));
  EXPECT_EQ(Eval("$.store.book[::2].title", kStore), Json::parse(R"J(["Sayings","Moby Dick"])J"));
  EXPECT_EQ(Eval("$.store.book[0,2].price", kStore), Json::parse("[8.95, 8.99]"));
  EXPECT_EQ(Eval("$..price", kStore).size(), 4u);
  EXPECT_EQ(Eval("$..book[?(@.isbn)].title", kStore), Json::parse(R"J(["Moby Dick"])J"));
  EXPECT_EQ(Eval("$.store.book[?(@.price > 100)]", kStore), Json::array());
}

TEST(JsonPath, FilterExpressions) {
  EXPECT_EQ(Eval("$.users[?(@.status == 0)]", kStore), Json::parse(R"J([{"status":0,"n":"a"}])J"));
  EXPECT_EQ(Eval("$.store.book[?(@.price < 10 && @.category == 'fiction')].title", kStore),
            Json::parse(R"J(["Moby Dick"])J"));
  EXPECT_EQ(Eval("$.store.book[?(@.category != 'fiction' || @.price > 12)].price", kStore),
            Json::parse("[8.95, 12.99]"));
  EXPECT_EQ(Eval("$.store.book[?(@.author =~ /.*Waugh/)].title", kStore),
            Json::parse(R"J(["Sword"])J"));
  EXPECT_EQ(Eval("$.store.book[?(!(@.price < 10))].title", kStore), Json::parse(R"J(["Sword"])J"));
  EXPECT_EQ(Eval("$.store.book[(@.length-1)].title", kStore), Json::parse(R"J(["Moby Dick"])J"));
  EXPECT_EQ(Eval("$.users[?(@.n == b)].status", kStore), Json::parse("[1]"));  // bare word
}

TEST(JsonPath, RootsAndDefiniteness) {
  auto ctx = JsonPath::Parse("$$.Execution.Id");
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ(ctx->root(), PathRoot::kContext);
  auto var = JsonPath::Parse("$myVar.a[0]");
  ASSERT_TRUE(var.ok());
  EXPECT_EQ(var->root(), PathRoot::kVariable);
  EXPECT_EQ(var->variable(), "myVar");
  Json vars = {{"myVar", {{"a", {7}}}}};
  Json input = nullptr;
  EXPECT_EQ(*var->Evaluate(PathScope{&input, nullptr, &vars}), 7);
  EXPECT_TRUE(JsonPath::Parse("$.a.b[0]")->IsDefinite());
  EXPECT_FALSE(JsonPath::Parse("$.a[*]")->IsDefinite());
  EXPECT_FALSE(JsonPath::Parse("$..a")->IsDefinite());
}

TEST(JsonPath, SyntaxErrors) {
  for (const char* bad : {".guid", "..guid", "()", "$...", "bug$.a", "$.a[", "$.a[?(@.x ==)]",
                          "$[1:2:0]", "$.", "$.a[']"}) {
    EXPECT_FALSE(JsonPath::Parse(bad).ok()) << bad;
  }
}

TEST(JsonPath, AssignCreatesMembersAndRejectsNonObjects) {
  Json doc = {{"a", 1}, {"arr", {1, 2}}};
  ASSERT_TRUE(JsonPath::Parse("$.x.y")->Assign(doc, 5).ok());
  EXPECT_EQ(doc["x"]["y"], 5);
  ASSERT_TRUE(JsonPath::Parse("$.arr[1]")->Assign(doc, "z").ok());
  EXPECT_EQ(doc["arr"][1], "z");
  Status s = JsonPath::Parse("$.a.b")->Assign(doc, 1);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(JsonPath::Parse("$.arr[*]")->Assign(doc, 1).ok());
}

// ---- JSONata (syntax + the supported evaluation subset) ----

std::optional<Json> Jsonata(const std::string& expr, const Json& bindings = Json::object()) {
  auto e = JsonataExpr::Parse(expr);
  EXPECT_TRUE(e.ok()) << expr << ": " << e.status();
  if (!e.ok()) return Json("<parse error>");
  auto v = e->Evaluate(bindings);
  EXPECT_TRUE(v.ok()) << expr << ": " << v.status();
  return v.ok() ? *v : std::optional<Json>(Json("<error>"));
}

TEST(Jsonata, SyntaxAcceptsTheFullGrammar) {
  for (const char* ok : {"1+2", "$sum($states.input.numbers)", "a.b[c = 'x']{'k': $sum(v)}",
                         "($x := 1; $y := $x + 1; $y)", "function($v) { $v > 0 ? $v : null }",
                         "$match($s, /^[a-z]+\\.x$/i)", "$a ~> $f(?)", "[1..5]", "**.x", "$.a",
                         "x ? y", "| $ | {'a': 1} |", "a^(>b)", "$not(null in [1])"}) {
    EXPECT_TRUE(JsonataExpr::Parse(ok).ok()) << ok << ": " << JsonataExpr::Parse(ok).status();
  }
  for (const char* bad : {"420.", "10 + * 2", "$.store.book[?(@.price < 10)].title",
                          "$sum($states.input.items.numbers", "(1", "a ! b", "{'a' 1}"}) {
    EXPECT_FALSE(JsonataExpr::Parse(bad).ok()) << bad;
  }
}

TEST(Jsonata, EvaluatesTheSubset) {
  Json b = Json::parse(R"J({"states": {"input": {"a": 2, "xs": [1, 2, 3], "s": "hi"}},
                            "v": 10})J");
  EXPECT_EQ(*Jsonata("$states.input.a * 3 + $v", b), 16);
  EXPECT_EQ(*Jsonata("$sum($states.input.xs)", b), 6);
  EXPECT_EQ(*Jsonata("$count($states.input.xs)", b), 3);
  EXPECT_EQ(*Jsonata("$states.input.s & '!'", b), "hi!");
  EXPECT_EQ(*Jsonata("$states.input.a > 1 ? 'big' : 'small'", b), "big");
  EXPECT_EQ(*Jsonata("{'k': [$v, 1]}", b), Json::parse(R"J({"k":[10,1]})J"));
  EXPECT_EQ(*Jsonata("($t := $v * 2; $t + 1)", b), 21);
  EXPECT_EQ(*Jsonata("2 in $states.input.xs and $exists($states.input.s)", b), true);
  EXPECT_FALSE(Jsonata("$states.input.missing", b).has_value());
  EXPECT_FALSE(JsonataExpr::Parse("$uuid()")->CheckEvaluable().ok());
  EXPECT_TRUE(JsonataExpr::Parse("$round($v / 3)")->CheckEvaluable().ok());
}

// Inputs that used to throw (std::out_of_range from stoll), overflow int64 or the stack.
TEST(JsonPath, OutOfRangeNumbersAndDeepNestingAreErrors) {
  auto big = JsonPath::Parse("$.a[99999999999999999999]");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("integer out of range"), std::string::npos) << big.status();
  EXPECT_FALSE(JsonPath::Parse("$.a[0:99999999999999999999]").ok());
  std::string deep = "$.a[?(" + std::string(5000, '(') + "@.x" + std::string(5000, ')') + ")]";
  auto nested = JsonPath::Parse(deep);
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.status().message().find("nested too deeply"), std::string::npos);
  EXPECT_FALSE(JsonPath::Parse("$.a[?(" + std::string(5000, '!') + "@.x)]").ok());
}

TEST(JsonPath, SlicesAndArithmeticAtInt64EdgesDoNotOverflow) {
  Json doc = Json::parse(R"J({"a": [1, 2, 3]})J");
  EXPECT_EQ(Eval("$.a[1::9223372036854775807]", doc), Json::parse("[2]"));
  EXPECT_EQ(Eval("$.a[1::-9223372036854775807]", doc), Json::parse("[2]"));
  Json sum = Eval("$.a[?(@ + 9223372036854775807 > 0)]", doc);
  EXPECT_EQ(sum, Json::parse("[1, 2, 3]"));  // computed as doubles once int64 overflows
}

TEST(Jsonata, NumbersOutOfRangeAndDeepNestingAreErrors) {
  EXPECT_FALSE(JsonataExpr::Parse("1e999").ok());
  EXPECT_TRUE(JsonataExpr::Parse("1.5e3 + 9223372036854775808").ok());
  auto deep = JsonataExpr::Parse(std::string(5000, '(') + "1" + std::string(5000, ')'));
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("nested too deeply"), std::string::npos);
  EXPECT_FALSE(JsonataExpr::Parse(std::string(5000, '-') + "1").ok());
}

TEST(Jsonata, Fence) {
  EXPECT_EQ(JsonataFenceBody("{% 1 %}").value_or(""), "1");
  EXPECT_FALSE(JsonataFenceBody("{%1%}").has_value());
  EXPECT_FALSE(JsonataFenceBody("{% 1 %").has_value());
  EXPECT_FALSE(JsonataFenceBody("{% \n1 %}").has_value());
}

}  // namespace
}  // namespace strata::orchestrator
