// Shared between conformance.cc (walking the log) and conformance_actions.cc (one action's
// fields). Not a front door: include conformance.h.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace strata::delta::conformance_internal {

using json = nlohmann::json;

// Collects violations as "<where>: <what>".
class Findings {
 public:
  explicit Findings(std::vector<std::string>* out) : out_(out) {}
  void Add(const std::string& where, const std::string& what) {
    out_->push_back(where + ": " + what);
  }

 private:
  std::vector<std::string>* out_;
};

// The table as the log has defined it so far: what later actions are checked against.
struct TableState {
  std::optional<json> protocol;  // the latest protocol action's body
  std::optional<json> metadata;  // the latest metaData action's body
  json schema;                   // its schemaString parsed (a struct type), or null if invalid
  std::string column_mapping = "none";
  std::vector<std::string> partition_columns;
};

// The features the log uses, each with the first place that used it.
struct FeaturesInUse {
  std::vector<std::pair<std::string, std::string>> uses;  // (feature, where)
  void Note(const std::string& feature, const std::string& where);
};

// Checks the body of one action (the object under its kind key). `state` is the table before
// this commit, with this commit's protocol and metaData applied (they govern its files).
void CheckProtocol(const json& body, const std::string& where, Findings& findings);
void CheckMetadata(const json& body, const std::string& where, Findings& findings);
void CheckAdd(const json& body, const TableState& state, const std::string& where,
              Findings& findings);
void CheckRemove(const json& body, const TableState& state, const std::string& where,
                 Findings& findings);
void CheckCdc(const json& body, const TableState& state, const std::string& where,
              Findings& findings);
void CheckTxn(const json& body, const std::string& where, Findings& findings);
void CheckDomainMetadata(const json& body, const std::string& where, Findings& findings);
void CheckCommitInfo(const json& body, const std::string& where, Findings& findings);

// The table features `metadata` (a metaData body) and its schema need (columnMapping,
// timestampNtz, changeDataFeed, appendOnly, checkConstraints, ...).
void NoteMetadataFeatures(const json& metadata, const json& schema, const std::string& where,
                          FeaturesInUse& features);
// Under column mapping name/id, every field has an id and a physical name, and maxColumnId
// covers them.
void CheckColumnMapping(const json& metadata, const json& schema, const std::string& where,
                        Findings& findings);
// Each feature in use must be supported by `protocol` (a protocol body): listed when the
// protocol uses table features, else covered by its legacy versions.
void CheckFeaturesDeclared(const json& protocol, const FeaturesInUse& features,
                           const std::string& where, Findings& findings);

// The parsed schemaString of a metaData body, or null (the problem is CheckMetadata's to report).
json ParseSchemaString(const json& metadata);
// "a%20b" -> "a b"; nullopt for a malformed escape.
std::optional<std::string> PercentDecode(const std::string& path);
// Whether `path` is an absolute URI (has a scheme such as file: or s3:).
bool HasUriScheme(const std::string& path);

}  // namespace strata::delta::conformance_internal
