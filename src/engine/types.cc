// Logical types to TypeInfo: the kind, the SQL spelling DuckDB's typeof() uses, and the details
// (decimal scale, enum dictionary, children) that reading and printing a cell need.
#include <string>
#include <string_view>

#include "engine/internal.h"

namespace strata::engine::internal {
namespace {

struct Simple {
  duckdb_type id;
  TypeKind kind;
  const char* name;
};

constexpr Simple kSimple[] = {
    {DUCKDB_TYPE_BOOLEAN, TypeKind::kBoolean, "BOOLEAN"},
    {DUCKDB_TYPE_TINYINT, TypeKind::kTinyInt, "TINYINT"},
    {DUCKDB_TYPE_SMALLINT, TypeKind::kSmallInt, "SMALLINT"},
    {DUCKDB_TYPE_INTEGER, TypeKind::kInteger, "INTEGER"},
    {DUCKDB_TYPE_BIGINT, TypeKind::kBigInt, "BIGINT"},
    {DUCKDB_TYPE_HUGEINT, TypeKind::kHugeInt, "HUGEINT"},
    {DUCKDB_TYPE_UTINYINT, TypeKind::kUTinyInt, "UTINYINT"},
    {DUCKDB_TYPE_USMALLINT, TypeKind::kUSmallInt, "USMALLINT"},
    {DUCKDB_TYPE_UINTEGER, TypeKind::kUInteger, "UINTEGER"},
    {DUCKDB_TYPE_UBIGINT, TypeKind::kUBigInt, "UBIGINT"},
    {DUCKDB_TYPE_UHUGEINT, TypeKind::kUHugeInt, "UHUGEINT"},
    {DUCKDB_TYPE_FLOAT, TypeKind::kFloat, "FLOAT"},
    {DUCKDB_TYPE_DOUBLE, TypeKind::kDouble, "DOUBLE"},
    {DUCKDB_TYPE_VARCHAR, TypeKind::kVarchar, "VARCHAR"},
    {DUCKDB_TYPE_BLOB, TypeKind::kBlob, "BLOB"},
    {DUCKDB_TYPE_DATE, TypeKind::kDate, "DATE"},
    {DUCKDB_TYPE_TIME, TypeKind::kTime, "TIME"},
    {DUCKDB_TYPE_TIME_TZ, TypeKind::kOther, "TIME WITH TIME ZONE"},
    {DUCKDB_TYPE_TIME_NS, TypeKind::kOther, "TIME_NS"},
    {DUCKDB_TYPE_TIMESTAMP, TypeKind::kTimestamp, "TIMESTAMP"},
    {DUCKDB_TYPE_TIMESTAMP_TZ, TypeKind::kTimestampTz, "TIMESTAMP WITH TIME ZONE"},
    {DUCKDB_TYPE_TIMESTAMP_NS, TypeKind::kTimestampNs, "TIMESTAMP_NS"},
    {DUCKDB_TYPE_TIMESTAMP_MS, TypeKind::kTimestampMs, "TIMESTAMP_MS"},
    {DUCKDB_TYPE_TIMESTAMP_S, TypeKind::kTimestampS, "TIMESTAMP_S"},
    {DUCKDB_TYPE_INTERVAL, TypeKind::kInterval, "INTERVAL"},
    {DUCKDB_TYPE_UUID, TypeKind::kUuid, "UUID"},
    {DUCKDB_TYPE_BIT, TypeKind::kOther, "BIT"},
    {DUCKDB_TYPE_BIGNUM, TypeKind::kOther, "BIGNUM"},
    {DUCKDB_TYPE_SQLNULL, TypeKind::kOther, "\"NULL\""},
};

bool IsPlainIdentifier(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Field names in type spellings are quoted unless they are plain lower-case identifiers.
std::string FieldName(const std::string& name) {
  return IsPlainIdentifier(name) ? name : QuoteIdentifier(name);
}

}  // namespace

TypeInfo DescribeType(duckdb_logical_type type) {
  TypeInfo info;
  info.id = duckdb_get_type_id(type);
  // DuckDB 1.4's C API reports TIME_NS (new in 1.4) as INVALID; no other type a query can
  // return does. Pinned to 1.4 so that a later DuckDB cannot make us misread another type.
  if (info.id == DUCKDB_TYPE_INVALID &&
      std::string_view(duckdb_library_version()).rfind("v1.4.", 0) == 0) {
    info.id = DUCKDB_TYPE_TIME_NS;
  }
  for (const Simple& simple : kSimple) {
    if (simple.id == info.id) {
      info.kind = simple.kind;
      info.name = simple.name;
    }
  }
  switch (info.id) {
    case DUCKDB_TYPE_DECIMAL:
      info.kind = TypeKind::kDecimal;
      info.width = duckdb_decimal_width(type);
      info.scale = duckdb_decimal_scale(type);
      info.storage = duckdb_decimal_internal_type(type);
      info.name = "DECIMAL(" + std::to_string(info.width) + "," + std::to_string(info.scale) + ")";
      break;
    case DUCKDB_TYPE_ENUM: {
      info.kind = TypeKind::kEnum;
      info.storage = duckdb_enum_internal_type(type);
      uint32_t size = duckdb_enum_dictionary_size(type);
      info.enum_values.reserve(size);
      info.name = "ENUM(";
      for (uint32_t i = 0; i < size; ++i) {
        info.enum_values.push_back(TakeDuckString(duckdb_enum_dictionary_value(type, i)));
        if (i > 0) info.name += ", ";
        info.name += QuoteLiteral(info.enum_values.back());
      }
      info.name += ")";
      break;
    }
    case DUCKDB_TYPE_LIST: {
      info.kind = TypeKind::kList;
      LogicalTypeHandle child(duckdb_list_type_child_type(type));
      info.children.push_back(DescribeType(child.get()));
      info.name = info.children[0].name + "[]";
      break;
    }
    case DUCKDB_TYPE_ARRAY: {
      info.kind = TypeKind::kArray;
      LogicalTypeHandle child(duckdb_array_type_child_type(type));
      info.children.push_back(DescribeType(child.get()));
      info.array_size = duckdb_array_type_array_size(type);
      info.name = info.children[0].name + "[" + std::to_string(info.array_size) + "]";
      break;
    }
    case DUCKDB_TYPE_MAP: {
      info.kind = TypeKind::kMap;
      LogicalTypeHandle key(duckdb_map_type_key_type(type));
      LogicalTypeHandle value(duckdb_map_type_value_type(type));
      info.children.push_back(DescribeType(key.get()));
      info.children.push_back(DescribeType(value.get()));
      info.name = "MAP(" + info.children[0].name + ", " + info.children[1].name + ")";
      break;
    }
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_UNION: {
      bool is_union = info.id == DUCKDB_TYPE_UNION;
      info.kind = is_union ? TypeKind::kUnion : TypeKind::kStruct;
      uint64_t count =
          is_union ? duckdb_union_type_member_count(type) : duckdb_struct_type_child_count(type);
      info.unnamed_struct = !is_union && count > 0;
      info.name = is_union ? "UNION(" : "STRUCT(";
      for (uint64_t i = 0; i < count; ++i) {
        std::string name = TakeDuckString(is_union ? duckdb_union_type_member_name(type, i)
                                                   : duckdb_struct_type_child_name(type, i));
        LogicalTypeHandle child(is_union ? duckdb_union_type_member_type(type, i)
                                         : duckdb_struct_type_child_type(type, i));
        info.children.push_back(DescribeType(child.get()));
        if (!name.empty()) info.unnamed_struct = false;
        if (i > 0) info.name += ", ";
        info.name += name.empty() ? info.children.back().name
                                  : FieldName(name) + " " + info.children.back().name;
        info.child_names.push_back(std::move(name));
      }
      info.name += ")";
      break;
    }
    default:
      if (info.name.empty()) info.name = "UNKNOWN(" + std::to_string(int{info.id}) + ")";
      break;
  }
  // Named types (CREATE TYPE mood AS ENUM ...; JSON) are spelled by their alias.
  std::string alias = TakeDuckString(duckdb_logical_type_get_alias(type));
  if (!alias.empty()) info.name = alias;
  return info;
}

}  // namespace strata::engine::internal
