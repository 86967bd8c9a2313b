// The Delta table schema (PROTOCOL.md "Schema Serialization Format"): parsing and writing the
// schemaString of a metaData action, column mapping names, the mapping to DuckDB SQL types, and
// typed SQL literals for serialized partition values.
//
// Contract:
//  - ParseSchema accepts every type the protocol defines except `variant`, which is Unsupported
//    (named); a malformed schemaString is Corruption.
//  - SchemaToJson(ParseSchema(s)) is a schemaString with the same meaning as s.
//  - Type mapping: timestamp -> TIMESTAMPTZ (an instant), timestamp_ntz -> TIMESTAMP,
//    binary -> BLOB, decimal(p,s) -> DECIMAL(p,s), struct/array/map -> STRUCT/[]/MAP.
//  - Partition values are rendered as SQL expressions whose value does not depend on the DuckDB
//    session time zone (timestamps carry an explicit +00 offset: the protocol stores UTC).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "storage/delta/actions.h"

namespace strata::delta {

struct StructField;

struct DataType {
  enum class Kind { kPrimitive, kDecimal, kStruct, kArray, kMap };
  Kind kind = Kind::kPrimitive;
  // kPrimitive: "string", "long", "integer", "short", "byte", "float", "double", "boolean",
  // "binary", "date", "timestamp", "timestamp_ntz".
  std::string name;
  int precision = 0;                // kDecimal
  int scale = 0;                    // kDecimal
  std::vector<StructField> fields;  // kStruct
  std::vector<DataType> children;   // kArray: {element}; kMap: {key, value}
  bool contains_null = true;        // kArray containsNull / kMap valueContainsNull

  static DataType Primitive(std::string name);
  static DataType Decimal(int precision, int scale);
  static DataType Struct(std::vector<StructField> fields);
  static DataType Array(DataType element, bool contains_null = true);
  static DataType Map(DataType key, DataType value, bool value_contains_null = true);

  bool is_primitive() const { return kind == Kind::kPrimitive || kind == Kind::kDecimal; }
  // The Delta spelling of a primitive ("long", "decimal(10,2)"); "struct"/"array"/"map" else.
  std::string DeltaName() const;
  friend bool operator==(const DataType& a, const DataType& b);
};

struct StructField {
  std::string name;
  DataType type;
  bool nullable = true;
  nlohmann::json metadata = nlohmann::json::object();

  // delta.columnMapping.id / delta.columnMapping.physicalName, when present.
  std::optional<int64_t> ColumnMappingId() const;
  std::optional<std::string> ColumnMappingPhysicalName() const;
  friend bool operator==(const StructField& a, const StructField& b);
};

struct Schema {
  std::vector<StructField> fields;

  // The top-level field named `name` (case-sensitive first, then case-insensitive as Spark
  // resolves names), or nullptr.
  const StructField* Find(std::string_view name) const;
  friend bool operator==(const Schema& a, const Schema& b) { return a.fields == b.fields; }
};

enum class ColumnMappingMode { kNone, kName, kId };

// From metaData.configuration["delta.columnMapping.mode"]; an unknown mode is Unsupported.
Result<ColumnMappingMode> GetColumnMappingMode(const Metadata& metadata);

// The name of `field` in data files and in stats/partitionValues under `mode`.
std::string PhysicalName(const StructField& field, ColumnMappingMode mode);

Result<Schema> ParseSchema(std::string_view schema_string);
std::string SchemaToJson(const Schema& schema);
nlohmann::ordered_json DataTypeToJson(const DataType& type);

// DuckDB SQL type of `type` with logical field names (e.g. "STRUCT(\"a\" INTEGER)[]").
std::string ToSqlType(const DataType& type);
// Same with the physical names of nested struct fields under `mode` (how the file stores it).
std::string ToPhysicalSqlType(const DataType& type, ColumnMappingMode mode);

// A SQL expression of type ToSqlType(type) for a serialized partition value: nullopt and "" are
// NULL; dates "YYYY-MM-DD"; timestamps "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) or ISO-8601 with an
// offset; booleans "true"/"false"; numbers and decimals as written; binary as the string's
// bytes. InvalidArgument (naming the value and type) if the value does not parse.
Result<std::string> PartitionValueToSql(const DataType& type,
                                        const std::optional<std::string>& value);

}  // namespace strata::delta
