#include "storage/delta/schema.h"

#include <cctype>
#include <cstdio>
#include <utility>

namespace strata::delta {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

const char* const kPrimitives[] = {"string", "long",  "integer",   "short",
                                   "byte",   "float", "double",    "boolean",
                                   "binary", "date",  "timestamp", "timestamp_ntz"};

std::string Quote(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string SqlString(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

Result<DataType> ParseType(const json& j, int depth);

Result<StructField> ParseField(const json& j, int depth) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string() || !j.contains("type")) {
    return Status::Corruption("schema: a struct field needs a string 'name' and a 'type': " +
                              j.dump().substr(0, 200));
  }
  StructField f;
  f.name = j["name"].get<std::string>();
  auto type = ParseType(j["type"], depth + 1);
  if (!type.ok()) return type.status().WithContext("field '" + f.name + "'");
  f.type = std::move(type).value();
  if (auto it = j.find("nullable"); it != j.end() && it->is_boolean()) f.nullable = it->get<bool>();
  if (auto it = j.find("metadata"); it != j.end() && it->is_object()) f.metadata = *it;
  return f;
}

Result<DataType> ParseType(const json& j, int depth) {
  if (depth > 64) return Status::Corruption("schema: nesting deeper than 64 levels");
  if (j.is_string()) {
    std::string name = j.get<std::string>();
    for (const char* p : kPrimitives) {
      if (name == p) return DataType::Primitive(name);
    }
    int precision = 0, scale = 0;
    char tail = 0;
    if (std::sscanf(name.c_str(), "decimal(%d,%d%c", &precision, &scale, &tail) == 3 &&
        tail == ')') {
      if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
        return Status::Corruption("schema: invalid " + name);
      }
      return DataType::Decimal(precision, scale);
    }
    if (name == "decimal") return DataType::Decimal(10, 0);
    if (name == "variant") return Status::Unsupported("schema: type 'variant' is not supported");
    return Status::Corruption("schema: unknown type '" + name + "'");
  }
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    return Status::Corruption("schema: invalid type " + j.dump().substr(0, 200));
  }
  const std::string kind = j["type"].get<std::string>();
  if (kind == "struct") {
    if (!j.contains("fields") || !j["fields"].is_array()) {
      return Status::Corruption("schema: struct without 'fields'");
    }
    std::vector<StructField> fields;
    for (const auto& f : j["fields"]) {
      STRATA_ASSIGN_OR_RETURN(StructField field, ParseField(f, depth));
      fields.push_back(std::move(field));
    }
    return DataType::Struct(std::move(fields));
  }
  if (kind == "array") {
    if (!j.contains("elementType")) return Status::Corruption("schema: array without elementType");
    STRATA_ASSIGN_OR_RETURN(DataType element, ParseType(j["elementType"], depth + 1));
    bool contains_null = j.value("containsNull", true);
    return DataType::Array(std::move(element), contains_null);
  }
  if (kind == "map") {
    if (!j.contains("keyType") || !j.contains("valueType")) {
      return Status::Corruption("schema: map without keyType/valueType");
    }
    STRATA_ASSIGN_OR_RETURN(DataType key, ParseType(j["keyType"], depth + 1));
    STRATA_ASSIGN_OR_RETURN(DataType value, ParseType(j["valueType"], depth + 1));
    return DataType::Map(std::move(key), std::move(value), j.value("valueContainsNull", true));
  }
  return Status::Corruption("schema: unknown complex type '" + kind + "'");
}

ojson FieldToJson(const StructField& f) {
  ojson o;
  o["name"] = f.name;
  o["type"] = DataTypeToJson(f.type);
  o["nullable"] = f.nullable;
  // Spark's DataType.fromJson takes an object or no key at all; `null` makes the table unreadable.
  o["metadata"] = f.metadata.is_object() ? ojson::parse(f.metadata.dump()) : ojson::object();
  return o;
}

std::string SqlType(const DataType& t, const ColumnMappingMode* physical) {
  switch (t.kind) {
    case DataType::Kind::kDecimal:
      return "DECIMAL(" + std::to_string(t.precision) + "," + std::to_string(t.scale) + ")";
    case DataType::Kind::kStruct: {
      std::string out = "STRUCT(";
      for (size_t i = 0; i < t.fields.size(); ++i) {
        if (i) out += ", ";
        const StructField& f = t.fields[i];
        out +=
            Quote(physical ? PhysicalName(f, *physical) : f.name) + " " + SqlType(f.type, physical);
      }
      return out + ")";
    }
    case DataType::Kind::kArray:
      return SqlType(t.children[0], physical) + "[]";
    case DataType::Kind::kMap:
      return "MAP(" + SqlType(t.children[0], physical) + ", " + SqlType(t.children[1], physical) +
             ")";
    case DataType::Kind::kPrimitive:
      break;
  }
  const std::string& n = t.name;
  if (n == "string") return "VARCHAR";
  if (n == "long") return "BIGINT";
  if (n == "integer") return "INTEGER";
  if (n == "short") return "SMALLINT";
  if (n == "byte") return "TINYINT";
  if (n == "float") return "FLOAT";
  if (n == "double") return "DOUBLE";
  if (n == "boolean") return "BOOLEAN";
  if (n == "binary") return "BLOB";
  if (n == "date") return "DATE";
  if (n == "timestamp") return "TIMESTAMPTZ";
  if (n == "timestamp_ntz") return "TIMESTAMP";
  return "VARCHAR";
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Validates "[+-]digits[.digits][e[+-]digits]" and Spark's special float spellings.
bool IsNumber(std::string_view s, bool allow_fraction) {
  if (allow_fraction && (s == "NaN" || s == "Infinity" || s == "-Infinity")) return true;
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_start = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  bool digits = i > int_start;
  if (!allow_fraction) return digits && i == s.size();
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t frac_start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    digits = digits || i > frac_start;
  }
  if (digits && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (!AllDigits(s.substr(i))) return false;
    i = s.size();
  }
  return digits && i == s.size();
}

// "YYYY-MM-DD"
bool IsDate(std::string_view s) {
  return s.size() == 10 && AllDigits(s.substr(0, 4)) && s[4] == '-' && AllDigits(s.substr(5, 2)) &&
         s[7] == '-' && AllDigits(s.substr(8, 2));
}

// Normalizes a partition timestamp to "YYYY-MM-DD HH:MM:SS[.ffffff]" plus an optional offset
// suffix as written ("Z", "+02:00"). Returns false if it does not look like one.
bool SplitTimestamp(std::string_view s, std::string* local, std::string* offset) {
  if (s.size() < 19 || !IsDate(s.substr(0, 10)) || (s[10] != ' ' && s[10] != 'T')) return false;
  std::string_view t = s.substr(11);
  if (t.size() < 8 || !AllDigits(t.substr(0, 2)) || t[2] != ':' || !AllDigits(t.substr(3, 2)) ||
      t[5] != ':' || !AllDigits(t.substr(6, 2))) {
    return false;
  }
  size_t i = 8;
  if (i < t.size() && t[i] == '.') {
    ++i;
    size_t start = i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    if (i == start || i - start > 9) return false;
  }
  *local = std::string(s.substr(0, 10)) + " " + std::string(t.substr(0, i));
  *offset = std::string(t.substr(i));
  if (offset->empty() || *offset == "Z") return true;
  const std::string& o = *offset;
  return (o[0] == '+' || o[0] == '-') && o.size() >= 3 && AllDigits(o.substr(1, 2));
}

std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

}  // namespace

DataType DataType::Primitive(std::string name) {
  DataType t;
  t.name = std::move(name);
  return t;
}
DataType DataType::Decimal(int precision, int scale) {
  DataType t;
  t.kind = Kind::kDecimal;
  t.precision = precision;
  t.scale = scale;
  return t;
}
DataType DataType::Struct(std::vector<StructField> fields) {
  DataType t;
  t.kind = Kind::kStruct;
  t.fields = std::move(fields);
  return t;
}
DataType DataType::Array(DataType element, bool contains_null) {
  DataType t;
  t.kind = Kind::kArray;
  t.children.push_back(std::move(element));
  t.contains_null = contains_null;
  return t;
}
DataType DataType::Map(DataType key, DataType value, bool value_contains_null) {
  DataType t;
  t.kind = Kind::kMap;
  t.children.push_back(std::move(key));
  t.children.push_back(std::move(value));
  t.contains_null = value_contains_null;
  return t;
}

std::string DataType::DeltaName() const {
  switch (kind) {
    case Kind::kPrimitive:
      return name;
    case Kind::kDecimal:
      return "decimal(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
    case Kind::kStruct:
      return "struct";
    case Kind::kArray:
      return "array";
    case Kind::kMap:
      return "map";
  }
  return name;
}

bool operator==(const DataType& a, const DataType& b) {
  return a.kind == b.kind && a.name == b.name && a.precision == b.precision && a.scale == b.scale &&
         a.fields == b.fields && a.children == b.children && a.contains_null == b.contains_null;
}

bool operator==(const StructField& a, const StructField& b) {
  return a.name == b.name && a.type == b.type && a.nullable == b.nullable &&
         a.metadata == b.metadata;
}

std::optional<int64_t> StructField::ColumnMappingId() const {
  auto it = metadata.find("delta.columnMapping.id");
  if (it == metadata.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

std::optional<std::string> StructField::ColumnMappingPhysicalName() const {
  auto it = metadata.find("delta.columnMapping.physicalName");
  if (it == metadata.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

const StructField* Schema::Find(std::string_view name) const {
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  for (const auto& f : fields) {
    if (f.name.size() == name.size()) {
      bool same = true;
      for (size_t i = 0; i < name.size() && same; ++i) {
        same = std::tolower(static_cast<unsigned char>(f.name[i])) ==
               std::tolower(static_cast<unsigned char>(name[i]));
      }
      if (same) return &f;
    }
  }
  return nullptr;
}

Result<ColumnMappingMode> GetColumnMappingMode(const Metadata& metadata) {
  auto it = metadata.configuration.find("delta.columnMapping.mode");
  if (it == metadata.configuration.end() || it->second == "none") return ColumnMappingMode::kNone;
  if (it->second == "name") return ColumnMappingMode::kName;
  if (it->second == "id") return ColumnMappingMode::kId;
  return Status::Unsupported("column mapping mode '" + it->second + "' is not supported");
}

std::string PhysicalName(const StructField& field, ColumnMappingMode mode) {
  if (mode == ColumnMappingMode::kNone) return field.name;
  return field.ColumnMappingPhysicalName().value_or(field.name);
}

Result<Schema> ParseSchema(std::string_view schema_string) {
  json j = json::parse(schema_string, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Corruption("schemaString is not valid JSON");
  auto type = ParseType(j, 0);
  if (!type.ok()) return type.status();
  if (type->kind != DataType::Kind::kStruct) {
    return Status::Corruption("schemaString must be a struct type");
  }
  return Schema{std::move(type->fields)};
}

ojson DataTypeToJson(const DataType& t) {
  switch (t.kind) {
    case DataType::Kind::kPrimitive:
    case DataType::Kind::kDecimal:
      return t.DeltaName();
    case DataType::Kind::kStruct: {
      ojson o;
      o["type"] = "struct";
      o["fields"] = ojson::array();
      for (const auto& f : t.fields) o["fields"].push_back(FieldToJson(f));
      return o;
    }
    case DataType::Kind::kArray: {
      ojson o;
      o["type"] = "array";
      o["elementType"] = DataTypeToJson(t.children[0]);
      o["containsNull"] = t.contains_null;
      return o;
    }
    case DataType::Kind::kMap: {
      ojson o;
      o["type"] = "map";
      o["keyType"] = DataTypeToJson(t.children[0]);
      o["valueType"] = DataTypeToJson(t.children[1]);
      o["valueContainsNull"] = t.contains_null;
      return o;
    }
  }
  return nullptr;
}

std::string SchemaToJson(const Schema& schema) {
  return DataTypeToJson(DataType::Struct(schema.fields)).dump();
}

std::string ToSqlType(const DataType& type) { return SqlType(type, nullptr); }

std::string ToPhysicalSqlType(const DataType& type, ColumnMappingMode mode) {
  return SqlType(type, &mode);
}

Result<std::string> PartitionValueToSql(const DataType& type,
                                        const std::optional<std::string>& value) {
  const std::string sql_type = ToSqlType(type);
  if (!value || value->empty()) return "CAST(NULL AS " + sql_type + ")";
  const std::string& v = *value;
  auto bad = [&]() {
    return Status::InvalidArgument("partition value '" + v + "' is not a valid " +
                                   type.DeltaName());
  };
  if (type.kind == DataType::Kind::kDecimal) {
    if (!IsNumber(v, true)) return bad();
    return "CAST(" + SqlString(v) + " AS " + sql_type + ")";
  }
  if (type.kind != DataType::Kind::kPrimitive) {
    return Status::InvalidArgument("partition column of type " + type.DeltaName() +
                                   " is not allowed");
  }
  const std::string& n = type.name;
  if (n == "string") return "CAST(" + SqlString(v) + " AS VARCHAR)";
  if (n == "binary") return "unhex(" + SqlString(Hex(v)) + ")";
  if (n == "boolean") {
    if (v == "true" || v == "TRUE" || v == "True") return std::string("true");
    if (v == "false" || v == "FALSE" || v == "False") return std::string("false");
    return bad();
  }
  if (n == "long" || n == "integer" || n == "short" || n == "byte") {
    if (!IsNumber(v, false)) return bad();
    return "CAST(" + SqlString(v) + " AS " + sql_type + ")";
  }
  if (n == "float" || n == "double") {
    if (!IsNumber(v, true)) return bad();
    std::string text = v == "Infinity" ? "inf" : v == "-Infinity" ? "-inf" : v;
    return "CAST(" + SqlString(text) + " AS " + sql_type + ")";
  }
  if (n == "date") {
    if (!IsDate(v)) return bad();
    return "CAST(" + SqlString(v) + " AS DATE)";
  }
  if (n == "timestamp" || n == "timestamp_ntz") {
    std::string local, offset;
    if (!SplitTimestamp(v, &local, &offset)) return bad();
    if (n == "timestamp_ntz") return "CAST(" + SqlString(local) + " AS TIMESTAMP)";
    // The protocol stores timestamps in UTC: an explicit offset keeps the session time zone out.
    std::string suffix = offset.empty() || offset == "Z" ? "+00" : offset;
    return "CAST(" + SqlString(local + suffix) + " AS TIMESTAMPTZ)";
  }
  return bad();
}

}  // namespace strata::delta
