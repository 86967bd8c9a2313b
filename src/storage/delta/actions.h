// Delta Lake log actions (PROTOCOL.md "Actions") as plain structs, their parsing from the
// newline-delimited JSON of a commit file (or from the JSON rendering of a checkpoint row), and
// their serialization back to the protocol's JSON spelling.
//
// Contract:
//  - Parsing never throws. Malformed JSON or an action missing a required field is Corruption
//    whose message names the file and the 1-based line ("_delta_log/00..01.json:3: ...").
//  - Action kinds this reader does not know ("cdc", future ones) are skipped, as the protocol
//    asks readers to do; they are not an error.
//  - A JSON null is treated like an absent field (checkpoint rows rendered to JSON carry nulls).
//  - Serialization writes the protocol's field names in the protocol's order and omits optional
//    fields that are unset, so a commit we write is readable by Spark, delta-rs and Trino.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"

namespace strata::delta {

// Partition column (logical or physical name, as the log has it) -> serialized value; nullopt is
// a null partition value.
using PartitionValues = std::map<std::string, std::optional<std::string>>;
using StringMap = std::map<std::string, std::string>;

struct Protocol {
  int32_t min_reader_version = 1;
  int32_t min_writer_version = 2;
  // Present only with reader version 3 / writer version 7 ("table features").
  std::optional<std::vector<std::string>> reader_features;
  std::optional<std::vector<std::string>> writer_features;

  bool HasReaderFeature(std::string_view feature) const;
  bool HasWriterFeature(std::string_view feature) const;
};

struct Format {
  std::string provider = "parquet";
  StringMap options;
};

struct Metadata {
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> description;
  Format format;
  std::string schema_string;  // the table schema as Delta JSON (see schema.h)
  std::vector<std::string> partition_columns;
  StringMap configuration;  // "delta.columnMapping.mode", "delta.enableDeletionVectors", ...
  std::optional<int64_t> created_time;  // millis since the epoch
};

// Where a deletion vector lives (PROTOCOL.md "Deletion Vector Descriptor Schema").
struct DeletionVectorDescriptor {
  std::string storage_type;       // "u" relative UUID path, "i" inline, "p" absolute path
  std::string path_or_inline_dv;  // Z85 UUID (with optional prefix), Z85 bitmap, or a URI
  std::optional<int32_t> offset;  // byte offset in the file; absent for inline
  int32_t size_in_bytes = 0;
  int64_t cardinality = 0;  // number of deleted rows

  // The protocol's unique id: storageType + pathOrInlineDv (+ "@" + offset). Log replay keys
  // files on (path, this id).
  std::string UniqueId() const;
};

struct AddFile {
  std::string path;  // as written in the log: a percent-encoded URI, relative to the table root
  PartitionValues partition_values;
  int64_t size = 0;
  int64_t modification_time = 0;  // millis since the epoch
  bool data_change = true;
  std::optional<std::string> stats;  // JSON: numRecords, minValues, maxValues, nullCount
  std::optional<StringMap> tags;
  std::optional<DeletionVectorDescriptor> deletion_vector;
  std::optional<int64_t> base_row_id;
  std::optional<int64_t> default_row_commit_version;
  std::optional<std::string> clustering_provider;
};

struct RemoveFile {
  std::string path;
  std::optional<int64_t> deletion_timestamp;
  bool data_change = true;
  std::optional<bool> extended_file_metadata;
  std::optional<PartitionValues> partition_values;
  std::optional<int64_t> size;
  std::optional<StringMap> tags;
  std::optional<DeletionVectorDescriptor> deletion_vector;
  std::optional<int64_t> base_row_id;
  std::optional<int64_t> default_row_commit_version;
};

// commitInfo is free-form; we keep all of it and lift the fields strata uses.
struct CommitInfo {
  nlohmann::json json = nlohmann::json::object();
  std::optional<int64_t> timestamp;            // millis
  std::optional<int64_t> in_commit_timestamp;  // millis; set when inCommitTimestamp is enabled
  std::optional<std::string> operation;
};

// "txn": the last version an application committed (exactly-once ingestion).
struct SetTransaction {
  std::string app_id;
  int64_t version = 0;
  std::optional<int64_t> last_updated;  // millis
};

struct DomainMetadata {
  std::string domain;
  std::string configuration;  // JSON text
  bool removed = false;
};

// First action of a V2 checkpoint.
struct CheckpointMetadata {
  int64_t version = 0;
  std::optional<StringMap> tags;
};

// A V2 checkpoint's pointer to a file of add/remove actions under _delta_log/_sidecars/.
struct Sidecar {
  std::string path;  // relative to _delta_log/_sidecars/ (or absolute URI)
  int64_t size_in_bytes = 0;
  int64_t modification_time = 0;
  std::optional<StringMap> tags;
};

using Action = std::variant<Protocol, Metadata, AddFile, RemoveFile, CommitInfo, SetTransaction,
                            DomainMetadata, CheckpointMetadata, Sidecar>;

// Parses one action object such as {"add": {...}}. Returns nullopt for an unknown action kind
// (and for an object whose only members are null, as checkpoint rows are). `where` prefixes
// error messages ("file:line").
Result<std::optional<Action>> ParseAction(const nlohmann::json& object, std::string_view where);

// Parses a whole commit file (or JSON V2 checkpoint): one action per non-empty line.
// `file_name` appears in every error.
Result<std::vector<Action>> ParseCommitFile(std::string_view content, std::string_view file_name);

// {"add": {...}} with protocol field names; unset optionals are omitted.
nlohmann::ordered_json ActionToJson(const Action& action);
// One line of JSON, no trailing newline.
std::string SerializeAction(const Action& action);
// A commit file: every action on its own line, each line ending in '\n'.
std::string SerializeActions(const std::vector<Action>& actions);

}  // namespace strata::delta
