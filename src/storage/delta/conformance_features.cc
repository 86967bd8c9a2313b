// Table features: which ones a table's metadata and actions use, and whether its protocol
// declares them (PROTOCOL.md "Table Features" and the legacy versions before them).
#include <algorithm>
#include <cstring>

#include "storage/delta/conformance_internal.h"

namespace strata::delta::conformance_internal {
namespace {

struct FeatureRule {
  const char* name;
  bool reader;        // a reader-writer feature: readers must know it too
  int legacy_reader;  // the legacy reader version that implies it (0: none)
  int legacy_writer;  // the legacy writer version that implies it (0: only as a table feature)
};

constexpr FeatureRule kRules[] = {
    {"appendOnly", false, 0, 2},         {"invariants", false, 0, 2},
    {"checkConstraints", false, 0, 3},   {"changeDataFeed", false, 0, 4},
    {"generatedColumns", false, 0, 4},   {"columnMapping", true, 2, 5},
    {"identityColumns", false, 0, 6},    {"deletionVectors", true, 0, 0},
    {"timestampNtz", true, 0, 0},        {"domainMetadata", false, 0, 0},
    {"rowTracking", false, 0, 0},        {"inCommitTimestamp", false, 0, 0},
    {"v2Checkpoint", true, 0, 0},        {"typeWidening", true, 0, 0},
    {"vacuumProtocolCheck", true, 0, 0},
};

const FeatureRule* RuleFor(const std::string& feature) {
  for (const FeatureRule& rule : kRules) {
    if (feature == rule.name) return &rule;
  }
  return nullptr;
}

bool Listed(const json& protocol, const char* key, const std::string& feature) {
  auto it = protocol.find(key);
  if (it == protocol.end() || !it->is_array()) return false;
  return std::find(it->begin(), it->end(), feature) != it->end();
}

// Walks every field of a schema type, with the path of names leading to it.
template <typename Visit>
void ForEachField(const json& type, const std::string& path, const Visit& visit) {
  if (type.is_string() && type == "timestamp_ntz") visit(path, json(nullptr), type);
  if (!type.is_object()) return;
  const std::string kind = type.value("type", "");
  if (kind == "struct" && type.contains("fields") && type["fields"].is_array()) {
    for (const json& f : type["fields"]) {
      if (!f.is_object() || !f.contains("type")) continue;
      const std::string name =
          path.empty() ? f.value("name", "") : path + "." + f.value("name", "");
      visit(name, f, f["type"]);
      ForEachField(f["type"], name, visit);
    }
  } else if (kind == "array" && type.contains("elementType")) {
    ForEachField(type["elementType"], path + "[]", visit);
  } else if (kind == "map" && type.contains("keyType") && type.contains("valueType")) {
    ForEachField(type["keyType"], path + "{key}", visit);
    ForEachField(type["valueType"], path + "{value}", visit);
  }
}

bool ConfigTrue(const json& configuration, const char* key) {
  auto it = configuration.find(key);
  return it != configuration.end() && it->is_string() && *it == "true";
}

}  // namespace

void NoteMetadataFeatures(const json& metadata, const json& schema, const std::string& where,
                          FeaturesInUse& features) {
  const json config = metadata.value("configuration", json::object());
  if (!config.is_object()) return;
  if (ConfigTrue(config, "delta.appendOnly")) features.Note("appendOnly", where);
  if (ConfigTrue(config, "delta.enableChangeDataFeed")) features.Note("changeDataFeed", where);
  if (ConfigTrue(config, "delta.enableDeletionVectors")) features.Note("deletionVectors", where);
  if (ConfigTrue(config, "delta.enableRowTracking")) features.Note("rowTracking", where);
  if (ConfigTrue(config, "delta.enableInCommitTimestamps")) {
    features.Note("inCommitTimestamp", where);
  }
  for (const auto& [key, value] : config.items()) {
    if (key.rfind("delta.constraints.", 0) == 0) features.Note("checkConstraints", where);
  }
  const std::string mode = config.value("delta.columnMapping.mode", "none");
  if (mode == "name" || mode == "id") features.Note("columnMapping", where);
  if (!schema.is_object()) return;
  ForEachField(schema, "", [&](const std::string& path, const json& field, const json& type) {
    if (type.is_string() && type == "timestamp_ntz") features.Note("timestampNtz", where);
    if (!field.is_object()) return;
    const json meta = field.value("metadata", json::object());
    if (!meta.is_object()) return;
    if (meta.contains("delta.invariants")) features.Note("invariants", where);
    if (meta.contains("delta.generationExpression")) features.Note("generatedColumns", where);
    if (meta.contains("delta.identity.start")) features.Note("identityColumns", where);
    (void)path;
  });
}

void CheckColumnMapping(const json& metadata, const json& schema, const std::string& where,
                        Findings& findings) {
  const json config = metadata.value("configuration", json::object());
  if (!config.is_object() || !schema.is_object()) return;
  const std::string mode = config.value("delta.columnMapping.mode", "none");
  if (mode != "name" && mode != "id") return;
  int64_t max_id = 0;
  ForEachField(schema, "", [&](const std::string& path, const json& field, const json&) {
    if (!field.is_object()) return;
    const json meta = field.value("metadata", json::object());
    auto id = meta.find("delta.columnMapping.id");
    auto physical = meta.find("delta.columnMapping.physicalName");
    if (id == meta.end() || !id->is_number_integer() || physical == meta.end() ||
        !physical->is_string()) {
      findings.Add(where, "column mapping is '" + mode + "' but field '" + path +
                              "' lacks an integer delta.columnMapping.id and a string "
                              "delta.columnMapping.physicalName");
      return;
    }
    max_id = std::max(max_id, id->get<int64_t>());
  });
  auto it = config.find("delta.columnMapping.maxColumnId");
  if (it == config.end() || !it->is_string() ||
      std::atoll(it->get<std::string>().c_str()) < max_id) {
    findings.Add(where, "delta.columnMapping.maxColumnId must be at least the largest column id (" +
                            std::to_string(max_id) + ")");
  }
}

void CheckFeaturesDeclared(const json& protocol, const FeaturesInUse& features,
                           const std::string& where, Findings& findings) {
  const int64_t reader = protocol.value("minReaderVersion", 1);
  const int64_t writer = protocol.value("minWriterVersion", 1);
  for (const auto& [feature, used_at] : features.uses) {
    const FeatureRule* rule = RuleFor(feature);
    if (rule == nullptr) continue;
    const bool writer_ok = writer == 7 ? Listed(protocol, "writerFeatures", feature)
                                       : rule->legacy_writer != 0 && writer >= rule->legacy_writer;
    bool reader_ok = true;
    if (rule->reader) {
      reader_ok = reader == 3 ? Listed(protocol, "readerFeatures", feature)
                              : rule->legacy_reader != 0 && reader >= rule->legacy_reader;
    }
    if (!writer_ok || !reader_ok) {
      findings.Add(where, "the table uses '" + feature + "' (" + used_at +
                              ") but its protocol (reader " + std::to_string(reader) + ", writer " +
                              std::to_string(writer) + ") does not declare it");
    }
  }
}

}  // namespace strata::delta::conformance_internal
