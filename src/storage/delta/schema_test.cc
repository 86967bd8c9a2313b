#include "storage/delta/schema.h"

#include <gtest/gtest.h>

namespace strata::delta {
namespace {

constexpr const char* kSchema = R"json({"type":"struct","fields":[
  {"name":"id","type":"long","nullable":false,"metadata":{}},
  {"name":"amount","type":"decimal(12,2)","nullable":true,"metadata":{}},
  {"name":"tags","type":{"type":"array","elementType":"string","containsNull":true},"nullable":true,"metadata":{}},
  {"name":"attrs","type":{"type":"map","keyType":"string","valueType":"integer","valueContainsNull":true},"nullable":true,"metadata":{}},
  {"name":"s","type":{"type":"struct","fields":[{"name":"a b","type":"timestamp","nullable":true,"metadata":{"delta.columnMapping.id":7,"delta.columnMapping.physicalName":"col-7"}}]},"nullable":true,"metadata":{"delta.columnMapping.id":5,"delta.columnMapping.physicalName":"col-5"}}]})json";

TEST(SchemaTest, ParsesNestedTypesAndMapsToSql) {
  auto schema = ParseSchema(kSchema);
  ASSERT_TRUE(schema.ok()) << schema.status();
  ASSERT_EQ(schema->fields.size(), 5u);
  EXPECT_FALSE(schema->fields[0].nullable);
  EXPECT_EQ(ToSqlType(schema->fields[0].type), "BIGINT");
  EXPECT_EQ(ToSqlType(schema->fields[1].type), "DECIMAL(12,2)");
  EXPECT_EQ(ToSqlType(schema->fields[2].type), "VARCHAR[]");
  EXPECT_EQ(ToSqlType(schema->fields[3].type), "MAP(VARCHAR, INTEGER)");
  EXPECT_EQ(ToSqlType(schema->fields[4].type), "STRUCT(\"a b\" TIMESTAMPTZ)");
  EXPECT_EQ(ToPhysicalSqlType(schema->fields[4].type, ColumnMappingMode::kName),
            "STRUCT(\"col-7\" TIMESTAMPTZ)");
  EXPECT_EQ(schema->fields[4].ColumnMappingId(), 5);
  EXPECT_EQ(PhysicalName(schema->fields[4], ColumnMappingMode::kName), "col-5");
  EXPECT_EQ(PhysicalName(schema->fields[4], ColumnMappingMode::kNone), "s");
  EXPECT_EQ(schema->Find("AMOUNT"), &schema->fields[1]);
  EXPECT_EQ(schema->Find("nope"), nullptr);
}

TEST(SchemaTest, RoundTripsThroughJson) {
  auto schema = ParseSchema(kSchema);
  ASSERT_TRUE(schema.ok());
  auto again = ParseSchema(SchemaToJson(*schema));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*schema, *again);
}

// Issue 24: a field built without metadata (a default-constructed json is null) was written as
// "metadata": null, which Spark's DataType.fromJson refuses. It must be written as {}.
TEST(SchemaTest, FieldsWithoutMetadataAreWrittenWithAnEmptyObject) {
  Schema schema;
  schema.fields.push_back(StructField{"id", DataType::Primitive("long"), true, nlohmann::json()});
  schema.fields.push_back(StructField{
      "nested", DataType::Struct({StructField{"x", DataType::Primitive("date"), false, {}}}), true,
      nlohmann::json::object()});
  nlohmann::json written = nlohmann::json::parse(SchemaToJson(schema));
  EXPECT_EQ(written["fields"][0]["metadata"], nlohmann::json::object());
  EXPECT_EQ(written["fields"][1]["type"]["fields"][0]["metadata"], nlohmann::json::object());
  EXPECT_EQ(written["fields"][1]["type"]["fields"][0]["nullable"], false);
}

TEST(SchemaTest, RejectsBadAndUnsupportedSchemas) {
  EXPECT_TRUE(ParseSchema("{").status().IsCorruption());
  EXPECT_TRUE(ParseSchema(R"({"type":"struct","fields":[{"name":"x","type":"uint"}]})")
                  .status()
                  .IsCorruption());
  auto variant = ParseSchema(R"({"type":"struct","fields":[{"name":"v","type":"variant"}]})");
  EXPECT_TRUE(variant.status().IsUnsupported());
  EXPECT_NE(variant.status().message().find("variant"), std::string::npos);
  Metadata m;
  m.configuration["delta.columnMapping.mode"] = "magic";
  EXPECT_TRUE(GetColumnMappingMode(m).status().IsUnsupported());
}

std::string Lit(const std::string& type, std::optional<std::string> v) {
  auto t = ParseSchema(R"({"type":"struct","fields":[{"name":"x","type":")" + type + R"("}]})");
  EXPECT_TRUE(t.ok()) << t.status();
  auto r = PartitionValueToSql(t->fields[0].type, v);
  return r.ok() ? *r : "ERROR: " + r.status().message();
}

TEST(SchemaTest, PartitionValuesBecomeTypedLiterals) {
  EXPECT_EQ(Lit("integer", std::nullopt), "CAST(NULL AS INTEGER)");
  EXPECT_EQ(Lit("date", ""), "CAST(NULL AS DATE)");
  EXPECT_EQ(Lit("string", "null"), "CAST('null' AS VARCHAR)");  // the literal string "null"
  EXPECT_EQ(Lit("string", "it's"), "CAST('it''s' AS VARCHAR)");
  EXPECT_EQ(Lit("long", "-42"), "CAST('-42' AS BIGINT)");
  EXPECT_EQ(Lit("boolean", "true"), "true");
  EXPECT_EQ(Lit("double", "1.5E10"), "CAST('1.5E10' AS DOUBLE)");
  EXPECT_EQ(Lit("float", "-Infinity"), "CAST('-inf' AS FLOAT)");
  EXPECT_EQ(Lit("decimal(12,5)", "-2342342.23423"), "CAST('-2342342.23423' AS DECIMAL(12,5))");
  EXPECT_EQ(Lit("date", "2021-09-08"), "CAST('2021-09-08' AS DATE)");
  EXPECT_EQ(Lit("timestamp", "2021-09-08 11:11:11"),
            "CAST('2021-09-08 11:11:11+00' AS TIMESTAMPTZ)");
  EXPECT_EQ(Lit("timestamp", "1970-01-01T00:00:00.123456Z"),
            "CAST('1970-01-01 00:00:00.123456+00' AS TIMESTAMPTZ)");
  EXPECT_EQ(Lit("timestamp_ntz", "2021-01-01 10:00:00.5"),
            "CAST('2021-01-01 10:00:00.5' AS TIMESTAMP)");
  EXPECT_EQ(Lit("binary", "hi"), "unhex('6869')");
  EXPECT_EQ(Lit("integer", "1x").rfind("ERROR: partition value '1x' is not a valid integer", 0),
            0u);
  EXPECT_EQ(Lit("date", "2021/01/01").rfind("ERROR", 0), 0u);
  EXPECT_EQ(Lit("boolean", "yes").rfind("ERROR", 0), 0u);
  EXPECT_EQ(Lit("timestamp", "noon").rfind("ERROR", 0), 0u);
}

}  // namespace
}  // namespace strata::delta
