// The fields of one Delta action, as PROTOCOL.md ("Actions") and Spark/delta-kernel-rs require
// them. See conformance.h for the whole check.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <string_view>

#include "storage/delta/conformance_internal.h"

namespace strata::delta::conformance_internal {
namespace {

bool IsLong(const json& v) { return v.is_number_integer(); }

// Reports `key` of `body` missing or not of the wanted JSON type.
bool Require(const json& body, const char* key, bool (*ok)(const json&), const char* type_name,
             const std::string& where, Findings& findings, bool optional = false) {
  auto it = body.find(key);
  if (it == body.end()) {
    if (!optional) findings.Add(where, std::string("'") + key + "' is missing");
    return false;
  }
  if (!ok(*it)) {
    findings.Add(where, std::string("'") + key + "' must be " + type_name + ", not " +
                            it->dump().substr(0, 80));
    return false;
  }
  return true;
}

bool IsString(const json& v) { return v.is_string(); }
bool IsBool(const json& v) { return v.is_boolean(); }
bool IsObject(const json& v) { return v.is_object(); }
bool IsStringArray(const json& v) {
  return v.is_array() &&
         std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_string(); });
}
bool IsStringMap(const json& v) {
  if (!v.is_object()) return false;
  return std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_string(); });
}
bool IsNullableStringMap(const json& v) {
  if (!v.is_object()) return false;
  return std::all_of(v.begin(), v.end(),
                     [](const json& e) { return e.is_string() || e.is_null(); });
}
bool IsStringOrNull(const json& v) { return v.is_string() || v.is_null(); }
// Jackson reads a scalar into a Map[String, String] value (Spark's RESTORE writes a number);
// a list or an object fails.
bool IsScalarMap(const json& v) {
  if (!v.is_object()) return false;
  return std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_primitive(); });
}

// A cursor over the fixed formats the protocol spells values in (no std::regex: GCC 12 warns
// inside it under -O1, and these formats are simple).
class Spelling {
 public:
  explicit Spelling(std::string_view text) : text_(text) {}
  bool Char(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  // Between `min` and `max` digits.
  bool Digits(size_t min, size_t max = std::string_view::npos) {
    size_t start = pos_;
    while (pos_ < text_.size() && pos_ - start < max &&
           std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
    return pos_ - start >= min;
  }
  bool Done() const { return pos_ == text_.size(); }
  // "-?YYYY+-MM-DD"
  bool Date() {
    return (Char('-') || true) && Digits(4) && Char('-') && Digits(2, 2) && Char('-') &&
           Digits(2, 2);
  }
  // "HH:MM:SS[.f{1,6}]"
  bool Time() {
    return Digits(2, 2) && Char(':') && Digits(2, 2) && Char(':') && Digits(2, 2) &&
           (!Char('.') || Digits(1, 6));
  }
  // "Z" or "+HH:MM"/"-HH:MM"
  bool Zone() {
    if (Char('Z')) return true;
    return (Char('+') || Char('-')) && Digits(2, 2) && Char(':') && Digits(2, 2);
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

bool IsDate(std::string_view v) {
  Spelling s(v);
  return s.Date() && s.Done();
}
// Stats: ISO-8601 (Spark's "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"); timestamp with a zone, _ntz without.
bool IsStatsTimestamp(std::string_view v, bool with_zone) {
  Spelling s(v);
  return s.Date() && s.Char('T') && s.Time() && (!with_zone || s.Zone()) && s.Done();
}
// Partition values: "yyyy-MM-dd HH:mm:ss[.SSSSSS]", or ISO-8601 with an offset.
bool IsPartitionTimestamp(std::string_view v) {
  Spelling s(v);
  if (!s.Date() || !(s.Char(' ') || s.Char('T')) || !s.Time()) return false;
  return s.Done() || (s.Zone() && s.Done());
}
bool IsInteger(std::string_view v) {
  Spelling s(v);
  return (s.Char('-') || true) && s.Digits(1) && s.Done();
}
bool IsDecimalText(std::string_view v) {
  Spelling s(v);
  if (!((s.Char('-') || true) && s.Digits(1))) return false;
  if (s.Char('.') && !s.Digits(1)) return false;
  if (s.Char('e') || s.Char('E')) {
    if (!((s.Char('+') || s.Char('-') || true) && s.Digits(1))) return false;
  }
  return s.Done();
}

std::string TypeName(const json& type) {
  if (type.is_string()) return type.get<std::string>();
  if (type.is_object() && type.contains("type") && type["type"].is_string()) {
    return type["type"].get<std::string>();
  }
  return "";
}

// The name of a field in stats and partitionValues under the table's column mapping mode.
std::string PhysicalName(const json& field, const std::string& mode) {
  if (mode != "none" && field.contains("metadata") && field["metadata"].is_object()) {
    auto it = field["metadata"].find("delta.columnMapping.physicalName");
    if (it != field["metadata"].end() && it->is_string()) return it->get<std::string>();
  }
  return field.value("name", "");
}

const json* FindField(const json& struct_type, const std::string& physical,
                      const std::string& mode) {
  if (!struct_type.is_object() || !struct_type.contains("fields")) return nullptr;
  for (const json& f : struct_type["fields"]) {
    if (f.is_object() && PhysicalName(f, mode) == physical) return &f;
  }
  return nullptr;
}

void CheckType(const json& type, const std::string& where, Findings& findings, int depth);

void CheckField(const json& field, const std::string& where, Findings& findings, int depth) {
  if (!field.is_object()) {
    findings.Add(where, "a struct field must be an object");
    return;
  }
  if (!Require(field, "name", IsString, "a string", where, findings)) return;
  const std::string at = where + " field '" + field["name"].get<std::string>() + "'";
  // Spark's DataType.fromJson matches exactly these shapes: metadata an object or absent.
  Require(field, "nullable", IsBool, "a boolean", at, findings);
  Require(field, "metadata", IsObject, "an object (or absent)", at, findings, /*optional=*/true);
  if (!field.contains("type")) {
    findings.Add(at, "'type' is missing");
    return;
  }
  CheckType(field["type"], at, findings, depth + 1);
}

void CheckType(const json& type, const std::string& where, Findings& findings, int depth) {
  static const std::set<std::string> kPrimitives = {
      "string",  "long",   "integer", "short",     "byte",          "float",  "double",
      "boolean", "binary", "date",    "timestamp", "timestamp_ntz", "variant"};
  if (depth > 64) return findings.Add(where, "type nested deeper than 64 levels");
  if (type.is_string()) {
    const std::string name = type.get<std::string>();
    if (kPrimitives.count(name) || name == "decimal") return;
    if (name.rfind("decimal(", 0) == 0 && name.back() == ')') {
      // "decimal(p,s)", Spark also accepts a space after the comma.
      int precision = 0, scale = 0;
      const char* end = name.data() + name.size() - 1;
      auto p = std::from_chars(name.data() + 8, end, precision);
      const char* next = p.ptr;
      if (next < end && *next == ',') ++next;
      while (next < end && *next == ' ') ++next;
      auto q = std::from_chars(next, end, scale);
      if (p.ec != std::errc() || p.ptr == name.data() + 8 || *p.ptr != ',' || q.ec != std::errc() ||
          q.ptr != end || precision < 1 || precision > 38 || scale > precision) {
        findings.Add(where, "invalid " + name);
      }
      return;
    }
    return findings.Add(where, "unknown type '" + name + "'");
  }
  const std::string kind = TypeName(type);
  if (kind == "struct") {
    if (!type.contains("fields") || !type["fields"].is_array()) {
      return findings.Add(where, "a struct type needs a 'fields' array");
    }
    for (const json& f : type["fields"]) CheckField(f, where, findings, depth);
  } else if (kind == "array") {
    Require(type, "containsNull", IsBool, "a boolean", where, findings);
    if (!type.contains("elementType")) return findings.Add(where, "array without 'elementType'");
    CheckType(type["elementType"], where + " element", findings, depth + 1);
  } else if (kind == "map") {
    Require(type, "valueContainsNull", IsBool, "a boolean", where, findings);
    if (!type.contains("keyType") || !type.contains("valueType")) {
      return findings.Add(where, "map without 'keyType'/'valueType'");
    }
    CheckType(type["keyType"], where + " key", findings, depth + 1);
    CheckType(type["valueType"], where + " value", findings, depth + 1);
  } else {
    findings.Add(where, "invalid type " + type.dump().substr(0, 80));
  }
}

// A stats leaf (minValues/maxValues) in the encoding PROTOCOL.md gives for `type`.
bool StatValueOk(const json& type, const json& value) {
  const std::string name = TypeName(type);
  if (name == "long" || name == "integer" || name == "short" || name == "byte") {
    return value.is_number_integer();
  }
  if (name == "float" || name == "double" || name.rfind("decimal", 0) == 0) {
    return value.is_number() || (name != "decimal" && value.is_string() &&
                                 (value == "NaN" || value == "Infinity" || value == "-Infinity"));
  }
  if (name == "string") return value.is_string();
  if (!value.is_string()) return name == "boolean" || name == "binary";
  const std::string text = value.get<std::string>();
  if (name == "date") return IsDate(text);
  if (name == "timestamp") return IsStatsTimestamp(text, /*with_zone=*/true);
  if (name == "timestamp_ntz") return IsStatsTimestamp(text, /*with_zone=*/false);
  return true;
}

// minValues/maxValues (`counts` false) or nullCount (`counts` true) against the schema.
void CheckStatsTree(const json& values, const json& struct_type, const std::string& mode,
                    bool counts, int64_t num_records, const std::string& where,
                    Findings& findings) {
  for (const auto& [key, value] : values.items()) {
    const json* field = FindField(struct_type, key, mode);
    const std::string at = where + "." + key;
    if (field == nullptr) {
      findings.Add(at, "stats name a column that is not in the schema");
      continue;
    }
    const json& type = (*field)["type"];
    if (TypeName(type) == "struct" && value.is_object()) {
      CheckStatsTree(value, type, mode, counts, num_records, at, findings);
    } else if (counts) {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
          (num_records >= 0 && value.get<int64_t>() > num_records)) {
        findings.Add(at, "a null count must be an integer in [0, numRecords], not " + value.dump());
      }
    } else if (!StatValueOk(type, value)) {
      findings.Add(at, "value " + value.dump().substr(0, 60) +
                           " is not the protocol's encoding of " + TypeName(type));
    }
  }
}

void CheckStats(const json& body, const TableState& state, const std::string& where,
                Findings& findings) {
  if (!Require(body, "stats", IsString, "a JSON string", where, findings, /*optional=*/true))
    return;
  json stats = json::parse(body["stats"].get<std::string>(), nullptr, false);
  if (!stats.is_object()) return findings.Add(where, "'stats' does not hold a JSON object");
  const std::string at = where + " stats";
  int64_t num_records = -1;
  if (Require(stats, "numRecords", IsLong, "an integer", at, findings)) {
    num_records = stats["numRecords"].get<int64_t>();
    if (num_records < 0) findings.Add(at, "numRecords is negative");
  }
  Require(stats, "tightBounds", IsBool, "a boolean", at, findings, /*optional=*/true);
  for (const char* key : {"minValues", "maxValues", "nullCount"}) {
    if (!Require(stats, key, IsObject, "an object", at, findings, /*optional=*/true)) continue;
    if (state.schema.is_object()) {
      CheckStatsTree(stats[key], state.schema, state.column_mapping,
                     std::string(key) == "nullCount", num_records, at + "." + key, findings);
    }
  }
}

bool PartitionValueOk(const std::string& type, const std::string& v) {
  if (v.empty()) return true;  // read as null by Spark; strata writes null
  if (type == "long" || type == "integer" || type == "short" || type == "byte") {
    return IsInteger(v);
  }
  if (type == "boolean") return v == "true" || v == "false";
  if (type == "date") return IsDate(v);
  if (type == "timestamp" || type == "timestamp_ntz") return IsPartitionTimestamp(v);
  if (type == "float" || type == "double" || type.rfind("decimal", 0) == 0) {
    return IsDecimalText(v) || v == "NaN" || v == "Infinity" || v == "-Infinity";
  }
  return true;
}

// `all_columns`: adds and cdc files name every partition column; Spark's removes leave out the
// null ones.
void CheckPartitionValues(const json& body, const TableState& state, bool all_columns,
                          const std::string& where, Findings& findings) {
  if (!Require(body, "partitionValues", IsNullableStringMap, "an object of strings or nulls", where,
               findings)) {
    return;
  }
  const json& values = body["partitionValues"];
  std::set<std::string> expected;
  for (const std::string& column : state.partition_columns) {
    const json* field = nullptr;
    if (state.schema.is_object()) {
      for (const json& f : state.schema["fields"]) {
        if (f.is_object() && f.value("name", "") == column) field = &f;
      }
    }
    if (field == nullptr) continue;  // reported with the metaData
    const std::string physical = PhysicalName(*field, state.column_mapping);
    expected.insert(physical);
    auto it = values.find(physical);
    if (it == values.end()) {
      if (all_columns) {
        findings.Add(where, "partitionValues lacks partition column '" + physical + "'");
      }
    } else if (it->is_string() && !PartitionValueOk(TypeName((*field)["type"]), *it)) {
      findings.Add(where, "partition value " + it->dump() + " of '" + physical +
                              "' is not the protocol's encoding of " + TypeName((*field)["type"]));
    }
  }
  for (const auto& [key, value] : values.items()) {
    if (!expected.count(key)) {
      findings.Add(where, "partitionValues has '" + key + "', which is not a partition column");
    }
  }
}

// A relative path must be a URI path as java.net.URI parses it: RFC 3986 characters (and
// non-ASCII ones), %XX escapes, no scheme-like first segment (Hadoop would read "a:b/c" as
// scheme "a").
void CheckUriPath(const json& body, const std::string& where, Findings& findings) {
  if (!Require(body, "path", IsString, "a string", where, findings)) return;
  const std::string path = body["path"].get<std::string>();
  if (path.empty()) return findings.Add(where, "'path' is empty");
  if (HasUriScheme(path)) return;
  static const std::string kAllowed = "-._~/!$&'()*+,;=:@";
  for (unsigned char c : path) {
    // Non-ASCII characters are legal in a java.net.URI path (Spark writes them raw).
    if (c < 0x80 && !std::isalnum(c) && kAllowed.find(static_cast<char>(c)) == std::string::npos &&
        c != '%') {
      return findings.Add(where, "path '" + path + "' has a character that must be %-encoded");
    }
  }
  if (!PercentDecode(path)) return findings.Add(where, "path '" + path + "' has a bad %-escape");
  const std::string first = path.substr(0, path.find('/'));
  if (first.find(':') != std::string::npos) {
    findings.Add(where, "path '" + path + "' has ':' in its first segment (read as a URI scheme)");
  }
}

void CheckDeletionVector(const json& body, const std::string& where, Findings& findings) {
  if (!Require(body, "deletionVector", IsObject, "an object", where, findings, true)) return;
  const json& dv = body["deletionVector"];
  const std::string at = where + " deletionVector";
  if (Require(dv, "storageType", IsString, "a string", at, findings)) {
    const std::string type = dv["storageType"];
    if (type != "u" && type != "i" && type != "p") {
      findings.Add(at, "storageType must be 'u', 'i' or 'p', not '" + type + "'");
    }
    if (type != "i") Require(dv, "offset", IsLong, "an integer", at, findings, /*optional=*/true);
  }
  Require(dv, "pathOrInlineDv", IsString, "a string", at, findings);
  Require(dv, "sizeInBytes", IsLong, "an integer", at, findings);
  if (Require(dv, "cardinality", IsLong, "an integer", at, findings) &&
      dv["cardinality"].get<int64_t>() < 1) {
    findings.Add(at, "cardinality must be positive (a DV deleting no row is not written)");
  }
}

}  // namespace

void FeaturesInUse::Note(const std::string& feature, const std::string& where) {
  for (const auto& [f, w] : uses) {
    if (f == feature) return;
  }
  uses.emplace_back(feature, where);
}

json ParseSchemaString(const json& metadata) {
  auto it = metadata.find("schemaString");
  if (it == metadata.end() || !it->is_string()) return nullptr;
  json schema = json::parse(it->get<std::string>(), nullptr, false);
  if (schema.is_discarded() || !schema.is_object() || schema.value("type", "") != "struct" ||
      !schema.contains("fields") || !schema["fields"].is_array()) {
    return nullptr;
  }
  return schema;
}

std::optional<std::string> PercentDecode(const std::string& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out += path[i];
      continue;
    }
    if (i + 2 >= path.size() || !std::isxdigit(static_cast<unsigned char>(path[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(path[i + 2]))) {
      return std::nullopt;
    }
    int byte = 0;
    std::from_chars(path.data() + i + 1, path.data() + i + 3, byte, 16);  // two hex digits
    out += static_cast<char>(byte);
    i += 2;
  }
  return out;
}

bool HasUriScheme(const std::string& path) {
  // RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" then a '/' for the paths used here.
  if (path.empty() || !std::isalpha(static_cast<unsigned char>(path[0]))) return false;
  size_t i = 1;
  while (i < path.size() && (std::isalnum(static_cast<unsigned char>(path[i])) || path[i] == '+' ||
                             path[i] == '-' || path[i] == '.')) {
    ++i;
  }
  return i + 1 < path.size() && path[i] == ':' && path[i + 1] == '/';
}

void CheckProtocol(const json& body, const std::string& where, Findings& findings) {
  if (!Require(body, "minReaderVersion", IsLong, "an integer", where, findings) ||
      !Require(body, "minWriterVersion", IsLong, "an integer", where, findings)) {
    return;
  }
  const int64_t reader = body["minReaderVersion"], writer = body["minWriterVersion"];
  if (reader < 1 || reader > 3) findings.Add(where, "minReaderVersion must be 1, 2 or 3");
  if (writer < 1 || writer > 7) findings.Add(where, "minWriterVersion must be 1 to 7");
  const bool reader_features = body.contains("readerFeatures");
  const bool writer_features = body.contains("writerFeatures");
  if (reader == 3 && writer != 7) findings.Add(where, "reader version 3 needs writer version 7");
  if ((reader == 3) != reader_features) {
    findings.Add(where, "readerFeatures must be present exactly when minReaderVersion is 3");
  }
  if ((writer == 7) != writer_features) {
    findings.Add(where, "writerFeatures must be present exactly when minWriterVersion is 7");
  }
  if (reader_features)
    Require(body, "readerFeatures", IsStringArray, "a string array", where, findings);
  if (writer_features &&
      Require(body, "writerFeatures", IsStringArray, "a string array", where, findings) &&
      reader_features && body["readerFeatures"].is_array()) {
    for (const json& f : body["readerFeatures"]) {
      const auto& w = body["writerFeatures"];
      if (std::find(w.begin(), w.end(), f) == w.end()) {
        findings.Add(where, "reader feature " + f.dump() + " is not also a writer feature");
      }
    }
  }
}

void CheckMetadata(const json& body, const std::string& where, Findings& findings) {
  if (Require(body, "id", IsString, "a string", where, findings) && body["id"] == "") {
    findings.Add(where, "'id' is empty");
  }
  Require(body, "name", IsStringOrNull, "a string or null", where, findings, true);
  Require(body, "description", IsStringOrNull, "a string or null", where, findings, true);
  if (Require(body, "format", IsObject, "an object", where, findings)) {
    Require(body["format"], "provider", IsString, "a string", where + " format", findings);
    Require(body["format"], "options", IsStringMap, "an object of strings", where + " format",
            findings, /*optional=*/true);
  }
  Require(body, "configuration", IsStringMap, "an object of strings", where, findings);
  Require(body, "createdTime", IsLong, "an integer", where, findings, /*optional=*/true);
  if (!Require(body, "schemaString", IsString, "a string", where, findings)) return;
  json schema = ParseSchemaString(body);
  if (schema.is_null()) {
    return findings.Add(where, "schemaString is not a JSON struct type with a 'fields' array");
  }
  CheckType(schema, where + " schemaString", findings, 0);
  if (!Require(body, "partitionColumns", IsStringArray, "a string array", where, findings)) return;
  for (const json& column : body["partitionColumns"]) {
    const json* field = FindField(schema, column, "none");
    if (field == nullptr) {
      findings.Add(where, "partition column " + column.dump() + " is not a top-level column");
    } else if (field->contains("type") && !(*field)["type"].is_string()) {
      findings.Add(where, "partition column " + column.dump() + " is not of a primitive type");
    }
  }
}

void CheckAdd(const json& body, const TableState& state, const std::string& where,
              Findings& findings) {
  CheckUriPath(body, where, findings);
  CheckPartitionValues(body, state, /*all_columns=*/true, where, findings);
  if (Require(body, "size", IsLong, "an integer", where, findings) && body["size"] < 0) {
    findings.Add(where, "'size' is negative");
  }
  Require(body, "modificationTime", IsLong, "an integer", where, findings);
  Require(body, "dataChange", IsBool, "a boolean", where, findings);
  Require(body, "tags", IsStringMap, "an object of strings", where, findings, true);
  CheckStats(body, state, where, findings);
  CheckDeletionVector(body, where, findings);
  Require(body, "baseRowId", IsLong, "an integer", where, findings, true);
  Require(body, "defaultRowCommitVersion", IsLong, "an integer", where, findings, true);
}

void CheckRemove(const json& body, const TableState& state, const std::string& where,
                 Findings& findings) {
  CheckUriPath(body, where, findings);
  Require(body, "dataChange", IsBool, "a boolean", where, findings);
  Require(body, "deletionTimestamp", IsLong, "an integer", where, findings, true);
  Require(body, "extendedFileMetadata", IsBool, "a boolean", where, findings, true);
  if (body.contains("partitionValues")) {
    CheckPartitionValues(body, state, /*all_columns=*/false, where, findings);
  }
  Require(body, "size", IsLong, "an integer", where, findings, true);
  Require(body, "tags", IsStringMap, "an object of strings", where, findings, true);
  CheckStats(body, state, where, findings);
  CheckDeletionVector(body, where, findings);
  if (body.value("extendedFileMetadata", false)) {
    for (const char* key : {"partitionValues", "size"}) {
      if (!body.contains(key)) {
        findings.Add(where,
                     std::string("extendedFileMetadata is true but '") + key + "' is missing");
      }
    }
  }
}

void CheckCdc(const json& body, const TableState& state, const std::string& where,
              Findings& findings) {
  CheckUriPath(body, where, findings);
  CheckPartitionValues(body, state, /*all_columns=*/true, where, findings);
  Require(body, "size", IsLong, "an integer", where, findings);
  if (Require(body, "dataChange", IsBool, "a boolean", where, findings) &&
      body["dataChange"] == true) {
    findings.Add(where, "a cdc action must have dataChange false");
  }
}

void CheckTxn(const json& body, const std::string& where, Findings& findings) {
  Require(body, "appId", IsString, "a string", where, findings);
  Require(body, "version", IsLong, "an integer", where, findings);
  Require(body, "lastUpdated", IsLong, "an integer", where, findings, /*optional=*/true);
}

void CheckDomainMetadata(const json& body, const std::string& where, Findings& findings) {
  Require(body, "domain", IsString, "a string", where, findings);
  Require(body, "configuration", IsString, "a string", where, findings);
  Require(body, "removed", IsBool, "a boolean", where, findings);
}

void CheckCommitInfo(const json& body, const std::string& where, Findings& findings) {
  Require(body, "timestamp", IsLong, "an integer", where, findings, /*optional=*/true);
  Require(body, "operation", IsString, "a string", where, findings, /*optional=*/true);
  // Spark's CommitInfo (and delta-kernel-rs) read these as maps of strings: a list or object
  // value breaks DESCRIBE HISTORY there.
  Require(body, "operationParameters", IsScalarMap, "an object of scalars", where, findings, true);
  Require(body, "operationMetrics", IsScalarMap, "an object of scalars", where, findings, true);
  Require(body, "readVersion", IsLong, "an integer", where, findings, /*optional=*/true);
  Require(body, "isBlindAppend", IsBool, "a boolean", where, findings, /*optional=*/true);
  Require(body, "inCommitTimestamp", IsLong, "an integer", where, findings, true);
}

}  // namespace strata::delta::conformance_internal
