#include "orchestrator/intrinsics.h"

#include <gtest/gtest.h>

namespace strata::orchestrator {
namespace {

Result<Json> Call(const std::string& text, const Json& input = Json::object()) {
  auto call = IntrinsicCall::Parse(text);
  if (!call.ok()) return call.status();
  Json ctx = {{"Execution", {{"Id", "e1"}}}};
  return call->Evaluate(PathScope{&input, &ctx, nullptr});
}

Json Ok(const std::string& text, const Json& input = Json::object()) {
  auto v = Call(text, input);
  EXPECT_TRUE(v.ok()) << text << ": " << v.status();
  return v.ok() ? *v : Json("<error>");
}

TEST(Intrinsics, FormatEscapesAndTypes) {
  EXPECT_EQ(Ok("States.Format('a {} b {}', $.x, $.y)", {{"x", 1.5}, {"y", nullptr}}),
            "a 1.5 b null");
  EXPECT_EQ(Ok(R"J(States.Format('it\'s \{literal\} {}', 'x'))J"), "it's {literal} x");
  EXPECT_EQ(Ok("States.Format('{}', $.o)", {{"o", {{"a", 1}, {"b", {1, "s"}}}}}),
            "{a=1, b=[1, s]}");
  EXPECT_FALSE(Call("States.Format('{} {}', 1)").ok());  // more placeholders than arguments
  EXPECT_EQ(Ok("States.Format('{}', $$.Execution.Id)"), "e1");
}

TEST(Intrinsics, ArraysAndRanges) {
  EXPECT_EQ(Ok("States.Array(1, 'a', true, null, $.x)", {{"x", {{"k", 1}}}}),
            Json::parse(R"J([1,"a",true,null,{"k":1}])J"));
  EXPECT_EQ(Ok("States.ArrayPartition($.a, 2)", {{"a", {1, 2, 3}}}), Json::parse("[[1,2],[3]]"));
  EXPECT_FALSE(Call("States.ArrayPartition($.a, 0)", {{"a", {1}}}).ok());
  EXPECT_EQ(Ok("States.ArrayRange(1, 9, 2)"), Json::parse("[1,3,5,7,9]"));
  EXPECT_EQ(Ok("States.ArrayRange(5, 1, -2)"), Json::parse("[5,3,1]"));
  EXPECT_FALSE(Call("States.ArrayRange(1, 2000, 1)").ok());  // more than 1000 items
  EXPECT_FALSE(Call("States.ArrayRange(1, 2, 0)").ok());
  EXPECT_EQ(Ok("States.ArrayGetItem($.a, 1)", {{"a", {4, 5}}}), 5);
  EXPECT_FALSE(Call("States.ArrayGetItem($.a, 2)", {{"a", {4, 5}}}).ok());
  EXPECT_EQ(Ok("States.ArrayLength($.a)", {{"a", Json::array()}}), 0);
  EXPECT_EQ(Ok("States.ArrayUnique($.a)", {{"a", {1, 1.0, "1", 2, 1}}}),
            Json::parse(R"J([1,"1",2])J"));
  EXPECT_EQ(Ok("States.ArrayContains($.a, $.v)", {{"a", {{{"x", 1}}}}, {"v", {{"x", 1}}}}), true);
}

TEST(Intrinsics, StringsJsonAndEncoding) {
  EXPECT_EQ(Ok("States.StringSplit('a,,b;c', ',;')"), Json::parse(R"J(["a","b","c"])J"));
  EXPECT_EQ(Ok("States.StringToJson($.s)", {{"s", "{\"a\": [1]}"}}), Json::parse(R"J({"a":[1]})J"));
  EXPECT_EQ(Ok("States.StringToJson('  ')"), nullptr);
  EXPECT_FALSE(Call("States.StringToJson('{nope')").ok());
  EXPECT_EQ(Ok("States.JsonToString($.o)", {{"o", {{"a", {1, 2}}}}}), R"J({"a":[1,2]})J");
  EXPECT_EQ(Ok("States.Base64Encode('Data to encode')"), "RGF0YSB0byBlbmNvZGU=");
  EXPECT_EQ(Ok("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')"), "Data to encode");
  EXPECT_EQ(Ok("States.Base64Decode('YQ==')"), "a");
  EXPECT_FALSE(Call("States.Base64Decode('abc')").ok());
  EXPECT_EQ(Ok("States.Hash('input data', 'SHA-256')"),
            "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3");
  EXPECT_EQ(Ok("States.Hash('input data', 'MD5')"), "812f45842bc6d66ee14572ce20db8e86");
  EXPECT_FALSE(Call("States.Hash('x', 'SHA-3')").ok());
}

TEST(Intrinsics, MathAndMerge) {
  EXPECT_EQ(Ok("States.MathAdd(-2.5, 0)"), -2);  // Java Math.round: half up
  EXPECT_EQ(Ok("States.MathAdd(2.5, 0)"), 3);
  EXPECT_EQ(Ok("States.MathAdd(States.ArrayLength($.a), -1)", {{"a", {1, 2}}}), 1);
  EXPECT_EQ(Ok("States.JsonMerge($.a, $.b, false)",
               {{"a", {{"x", {{"p", 1}}}, {"y", 1}}}, {"b", {{"x", {{"q", 2}}}}}}),
            Json::parse(R"J({"x":{"q":2},"y":1})J"));
  EXPECT_EQ(Ok("States.JsonMerge($.a, $.b, true)",
               {{"a", {{"x", {{"p", 1}}}}}, {"b", {{"x", {{"q", 2}}}}}}),
            Json::parse(R"J({"x":{"p":1,"q":2}})J"));
  for (int i = 0; i < 50; ++i) {
    Json r = Ok("States.MathRandom(3, 6)");
    EXPECT_GE(r.get<int>(), 3);
    EXPECT_LT(r.get<int>(), 6);
  }
  std::string uuid = Ok("States.UUID()").get<std::string>();
  EXPECT_EQ(uuid.size(), 36u);
  EXPECT_EQ(uuid[14], '4');
  EXPECT_NE(uuid, Ok("States.UUID()").get<std::string>());
}

TEST(Intrinsics, CompileTimeErrors) {
  for (const char* bad :
       {"States.MathAdd(1,'-1')", "States.Nope(1)", "States.Format()", "States.ArrayLength($.a, 1)",
        "States.Array(1", "States.Format('x' 1)", "States.UUID(1)", "States.Array($.a[)"}) {
    EXPECT_FALSE(IntrinsicCall::Parse(bad).ok()) << bad;
  }
  EXPECT_TRUE(IntrinsicCall::Parse("States.ArrayGetItem($.r[?(@.k == FooBar)].v, 0)").ok());
  auto missing = Call("States.ArrayLength($.nope)");
  EXPECT_TRUE(missing.status().IsNotFound());  // reported as States.Runtime
}

// Values at int64's edges are errors or stop the range; never signed overflow (UBSan checks it).
TEST(Intrinsics, Int64EdgesAreErrorsNotOverflow) {
  EXPECT_EQ(Ok("States.ArrayRange(9223372036854775806, 9223372036854775807, 5)"),
            Json::parse("[9223372036854775806]"));
  EXPECT_EQ(Ok("States.ArrayRange(-9223372036854775807, -9223372036854775808, -5)"),
            Json::parse("[-9223372036854775807]"));
  EXPECT_FALSE(Call("States.MathAdd(9223372036854775807, 1)").ok());
  EXPECT_FALSE(Call("States.MathAdd($.big, 1)", {{"big", 1e300}}).ok());
  EXPECT_FALSE(Call("States.ArrayGetItem($.a, $.i)", {{"a", {1}}, {"i", 1e300}}).ok());
  EXPECT_FALSE(Call("States.ArrayPartition($.a, 18446744073709551615)", {{"a", {1}}}).ok());
  EXPECT_FALSE(Call("States.MathRandom(1e300, 2e300)").ok());
}

// Found by fuzz/json_path_fuzz: JsonToString of a literal that is not UTF-8 threw out of dump().
TEST(Intrinsics, TextThatIsNotUtf8IsRefused) {
  EXPECT_FALSE(IntrinsicCall::Parse("States.JsonToString('a\x9e')").ok());
  EXPECT_FALSE(JsonPath::Parse("$.a\xff").ok());
  EXPECT_FALSE(Call("States.Base64Decode('/w==')").ok());    // the byte 0xFF
  EXPECT_EQ(Ok("States.Base64Decode('w6k=')"), "\xc3\xa9");  // é
}

TEST(Intrinsics, DeepNestingIsASyntaxError) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "States.Array(";
  deep += "1" + std::string(5000, ')');
  auto call = IntrinsicCall::Parse(deep);
  ASSERT_FALSE(call.ok());
  EXPECT_NE(call.status().message().find("nested too deeply"), std::string::npos);
}

}  // namespace
}  // namespace strata::orchestrator
