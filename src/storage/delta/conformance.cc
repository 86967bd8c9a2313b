// Walks a table's `_delta_log/`: file names, commits in order (each line through the action
// checks of conformance_actions.cc), a replay of the live files, checkpoints and
// `_last_checkpoint`. See conformance.h.
#include "storage/delta/conformance.h"

#include <algorithm>
#include <map>
#include <set>

#include "storage/delta/checkpoint_reader.h"
#include "storage/delta/conformance_internal.h"
#include "storage/delta/local_files.h"
#include "storage/delta/log_files.h"

namespace strata::delta {
namespace {

using conformance_internal::FeaturesInUse;
using conformance_internal::Findings;
using conformance_internal::json;
using conformance_internal::TableState;

std::string BaseName(const std::string& key) { return key.substr(key.rfind('/') + 1); }

// The identity of a logical file: its decoded path and its deletion vector.
std::string FileId(const json& body) {
  std::string path = body.value("path", "");
  auto decoded = conformance_internal::PercentDecode(path);
  std::string id = decoded ? *decoded : path;
  auto dv = body.find("deletionVector");
  if (dv != body.end() && dv->is_object()) {
    id += "#" + dv->value("storageType", "") + dv->value("pathOrInlineDv", "");
    if (dv->contains("offset") && (*dv)["offset"].is_number_integer()) {
      id += "@" + std::to_string((*dv)["offset"].get<int64_t>());
    }
  }
  return id;
}

// Removes null members (a Parquet checkpoint's absent optional fields) except inside
// partitionValues, where a null value is meaningful.
json DropNulls(const json& value) {
  if (!value.is_object()) return value;
  json out = json::object();
  for (const auto& [k, v] : value.items()) {
    if (v.is_null()) continue;
    out[k] = k == "partitionValues" ? v : DropNulls(v);
  }
  return out;
}

struct CheckpointAction {
  std::string where;
  std::string kind;
  json body;
};
using CheckpointActions = std::vector<CheckpointAction>;

class TableChecker {
 public:
  TableChecker(storage::ObjectStore& store, std::string root, engine::Connection& conn,
               ConformanceReport& report)
      : store_(store),
        root_(std::move(root)),
        conn_(conn),
        report_(report),
        findings_(&report.problems) {}

  Status Run();

 private:
  Status ClassifyFiles(const std::vector<storage::ObjectInfo>& objects);
  Status CheckCommit(int64_t version, const std::string& key);
  void CheckAction(const std::string& kind, const json& body, const std::string& where,
                   bool in_checkpoint, FeaturesInUse& features);
  // A checkpoint of `version` (its parts, or its V2 top-level file): action shapes, Parquet
  // types, and (`compare`) the same live files as the replay; else it becomes the replay's base.
  Status CheckCheckpoint(int64_t version, const std::vector<std::string>& keys, bool compare);
  Status ReadParquetCheckpoint(const std::vector<std::string>& keys, bool top_level,
                               CheckpointActions* out);
  Status ReadJsonCheckpoint(const std::string& key, CheckpointActions* out);
  Status CheckLastCheckpoint();
  Status CheckLiveFilesExist();

  storage::ObjectStore& store_;
  std::string root_;
  engine::Connection& conn_;
  ConformanceReport& report_;
  Findings findings_;

  std::map<int64_t, std::string> commits_;                   // version -> key
  std::map<int64_t, std::vector<std::string>> checkpoints_;  // version -> part keys
  std::map<int64_t, int64_t> checkpoint_bytes_;
  std::map<std::string, json> live_;               // file id -> add body
  std::map<int64_t, int64_t> checkpoint_actions_;  // version -> action rows read
  std::map<int64_t, int64_t> checkpoint_adds_;
  TableState state_;
  bool replay_complete_ = false;  // live_ holds every file: checkpoints can be compared with it
};

Status TableChecker::ClassifyFiles(const std::vector<storage::ObjectInfo>& objects) {
  const std::string log_prefix = DeltaLogPrefix(root_);
  for (const storage::ObjectInfo& object : objects) {
    const std::string rest = object.key.substr(log_prefix.size());
    const std::string name = BaseName(object.key);
    std::optional<LogFile> file = ParseLogFileName(object);
    if (rest.find('/') != std::string::npos) {
      const std::string dir = rest.substr(0, rest.find('/'));
      if (dir != "_sidecars" && dir != "_commits" && dir != "_staged_commits") {
        findings_.Add(object.key, "unexpected directory in _delta_log/");
      }
      continue;
    }
    const size_t dot = name.find('.');
    if (!file && dot != 0 && dot != std::string::npos && dot != 20 &&
        name.find_first_not_of("0123456789") == dot) {
      // Spark reads "1.json" as version 1; the protocol names it 00000000000000000001.json.
      findings_.Add(object.key, "the version must be 20 zero-padded digits");
      continue;
    }
    if (!file) {
      const bool known = name == "_last_checkpoint" || name[0] == '.' ||
                         (name.size() > 4 && name.substr(name.size() - 4) == ".crc");
      if (!known) findings_.Add(object.key, "not a Delta log file name");
      continue;
    }
    if (name.substr(0, 20) != PaddedVersion(file->version) || name[20] != '.') {
      findings_.Add(object.key, "the version must be 20 zero-padded digits");
      continue;
    }
    if (file->type == LogFileType::kCommit) {
      commits_[file->version] = object.key;
    } else if (file->type == LogFileType::kCheckpoint ||
               file->type == LogFileType::kMultiPartCheckpoint ||
               file->type == LogFileType::kV2Checkpoint) {
      checkpoints_[file->version].push_back(object.key);
      checkpoint_bytes_[file->version] += object.size;
    }
  }
  return Status::OK();
}

void TableChecker::CheckAction(const std::string& kind, const json& body, const std::string& where,
                               bool in_checkpoint, FeaturesInUse& features) {
  namespace ci = conformance_internal;
  if (kind == "protocol") {
    ci::CheckProtocol(body, where, findings_);
    state_.protocol = body;
  } else if (kind == "metaData") {
    ci::CheckMetadata(body, where, findings_);
    state_.metadata = body;
    state_.schema = ci::ParseSchemaString(body);
    const json config = body.value("configuration", json::object());
    state_.column_mapping =
        config.is_object() ? config.value("delta.columnMapping.mode", "none") : "none";
    state_.partition_columns.clear();
    if (body.contains("partitionColumns") && body["partitionColumns"].is_array()) {
      for (const json& c : body["partitionColumns"]) {
        if (c.is_string()) state_.partition_columns.push_back(c);
      }
    }
    ci::CheckColumnMapping(body, state_.schema, where, findings_);
    ci::NoteMetadataFeatures(body, state_.schema, where, features);
  } else if (kind == "add") {
    ci::CheckAdd(body, state_, where, findings_);
    if (body.contains("deletionVector")) features.Note("deletionVectors", where);
    if (body.contains("baseRowId")) features.Note("rowTracking", where);
    if (!in_checkpoint) live_[FileId(body)] = body;
  } else if (kind == "remove") {
    ci::CheckRemove(body, state_, where, findings_);
    if (body.contains("deletionVector")) features.Note("deletionVectors", where);
    if (!in_checkpoint) live_.erase(FileId(body));
  } else if (kind == "cdc") {
    ci::CheckCdc(body, state_, where, findings_);
    features.Note("changeDataFeed", where);
  } else if (kind == "txn") {
    ci::CheckTxn(body, where, findings_);
  } else if (kind == "domainMetadata") {
    ci::CheckDomainMetadata(body, where, findings_);
    features.Note("domainMetadata", where);
  } else if (kind == "commitInfo") {
    if (in_checkpoint) findings_.Add(where, "a checkpoint must not hold commitInfo");
    ci::CheckCommitInfo(body, where, findings_);
    if (body.contains("inCommitTimestamp")) features.Note("inCommitTimestamp", where);
  } else if (kind == "checkpointMetadata" || kind == "sidecar") {
    if (!in_checkpoint) findings_.Add(where, "'" + kind + "' belongs in V2 checkpoints only");
    features.Note("v2Checkpoint", where);
  } else {
    findings_.Add(where, "unknown action '" + kind + "'");
  }
}

Status TableChecker::CheckCommit(int64_t version, const std::string& key) {
  STRATA_ASSIGN_OR_RETURN(std::string content, store_.Get(key));
  ++report_.commits;
  FeaturesInUse features;
  std::map<std::string, int> kinds;
  std::set<std::string> added, removed;
  size_t pos = 0;
  for (int line_no = 1; pos < content.size(); ++line_no) {
    size_t end = content.find('\n', pos);
    if (end == std::string::npos) end = content.size();
    const std::string line = content.substr(pos, end - pos);
    pos = end + 1;
    const std::string where = key + ":" + std::to_string(line_no);
    json action = json::parse(line, nullptr, false);
    if (action.is_discarded() || !action.is_object() || action.size() != 1) {
      findings_.Add(where, "a line must be one JSON object with exactly one action");
      continue;
    }
    const std::string kind = action.begin().key();
    const json& body = action.begin().value();
    if (!body.is_object()) {
      findings_.Add(where, "action '" + kind + "' must be an object, not " + body.dump());
      continue;
    }
    ++kinds[kind];
    if (kind == "add" && !added.insert(FileId(body)).second) {
      findings_.Add(where, "the same file is added twice in one commit");
    }
    if (kind == "remove" && !removed.insert(FileId(body)).second) {
      findings_.Add(where, "the same file is removed twice in one commit");
    }
    CheckAction(kind, body, where, /*in_checkpoint=*/false, features);
  }
  for (const std::string& id : added) {
    if (removed.count(id)) findings_.Add(key, "file '" + id + "' is both added and removed");
  }
  for (const char* once : {"protocol", "metaData", "commitInfo"}) {
    if (kinds[once] > 1) findings_.Add(key, std::string("more than one ") + once + " action");
  }
  if (version == 0 && (kinds["protocol"] == 0 || kinds["metaData"] == 0)) {
    findings_.Add(key, "version 0 must hold a protocol and a metaData action");
  }
  // Metadata features are rechecked when the protocol or the metadata changes.
  if ((kinds["protocol"] || kinds["metaData"]) && state_.metadata) {
    conformance_internal::NoteMetadataFeatures(*state_.metadata, state_.schema, key, features);
  }
  if (state_.protocol) {
    conformance_internal::CheckFeaturesDeclared(*state_.protocol, features, key, findings_);
  }
  return Status::OK();
}

Status TableChecker::Run() {
  STRATA_ASSIGN_OR_RETURN(std::vector<storage::ObjectInfo> objects,
                          storage::ListAll(store_, DeltaLogPrefix(root_)));
  if (objects.empty()) return Status::NotFound("no _delta_log/ under '" + root_ + "'");
  ++report_.tables;
  STRATA_RETURN_IF_ERROR(ClassifyFiles(objects));
  if (commits_.empty()) {
    findings_.Add(DeltaLogPrefix(root_), "no commit file");
    return Status::OK();
  }
  // Without version 0 the log must start right after a checkpoint (older commits cleaned up).
  int64_t first = commits_.begin()->first;
  replay_complete_ = first == 0;
  if (!replay_complete_) {
    auto base = checkpoints_.find(first - 1);
    if (base == checkpoints_.end()) {
      findings_.Add(commits_.begin()->second, "the log starts at version " + std::to_string(first) +
                                                  " with no checkpoint of the version before");
    } else {
      STRATA_RETURN_IF_ERROR(CheckCheckpoint(base->first, base->second, /*compare=*/false));
      replay_complete_ = true;
    }
  }
  int64_t expected = first;
  for (const auto& [version, key] : commits_) {
    if (version != expected) {
      findings_.Add(key, "versions " + std::to_string(expected) + " to " +
                             std::to_string(version - 1) + " are missing");
    }
    expected = version + 1;
    STRATA_RETURN_IF_ERROR(CheckCommit(version, key));
    auto checkpoint = checkpoints_.find(version);
    if (checkpoint != checkpoints_.end()) {
      STRATA_RETURN_IF_ERROR(CheckCheckpoint(version, checkpoint->second, replay_complete_));
    }
  }
  for (const auto& [version, keys] : checkpoints_) {
    if (version > commits_.rbegin()->first) {
      findings_.Add(keys.front(), "a checkpoint of a version the log does not have");
    }
  }
  STRATA_RETURN_IF_ERROR(CheckLastCheckpoint());
  return CheckLiveFilesExist();
}

// The action columns of a checkpoint and the fields a reader relies on, with the Parquet
// types (as DuckDB spells them) Spark's checkpoint schema gives them.
const std::map<std::string, std::vector<std::string>>& CheckpointFields() {
  static const std::map<std::string, std::vector<std::string>> kFields = {
      {"add",
       {"path VARCHAR", "partitionValues MAP(VARCHAR, VARCHAR)", "size BIGINT",
        "modificationTime BIGINT", "dataChange BOOLEAN"}},
      {"remove", {"path VARCHAR", "dataChange BOOLEAN"}},
      {"metaData",
       {"id VARCHAR", "schemaString VARCHAR", "partitionColumns VARCHAR[]",
        "configuration MAP(VARCHAR, VARCHAR)"}},
      {"protocol", {"minReaderVersion INTEGER", "minWriterVersion INTEGER"}},
      {"txn", {"appId VARCHAR", "version BIGINT"}},
      {"domainMetadata", {"domain VARCHAR", "configuration VARCHAR", "removed BOOLEAN"}},
      {"checkpointMetadata", {"version BIGINT"}},
      {"sidecar", {"path VARCHAR", "sizeInBytes BIGINT"}},
  };
  return kFields;
}

bool HasField(const std::string& type, const std::string& field) {
  const std::string name = field.substr(0, field.find(' '));
  const std::string quoted = "\"" + name + "\"" + field.substr(name.size());
  for (const std::string& want : {field, quoted}) {
    size_t at = type.find(want);
    // The match must be a whole field: after "(" or ", " and before "," or ")".
    while (at != std::string::npos) {
      const bool starts = at > 0 && (type[at - 1] == '(' || type[at - 1] == ' ');
      const size_t end = at + want.size();
      const bool ends = end < type.size() && (type[end] == ',' || type[end] == ')');
      if (starts && ends) return true;
      at = type.find(want, at + 1);
    }
  }
  return false;
}

Status TableChecker::ReadParquetCheckpoint(const std::vector<std::string>& keys, bool top_level,
                                           CheckpointActions* out) {
  LocalFiles local;
  std::vector<std::string> paths;
  for (const std::string& key : keys) {
    STRATA_ASSIGN_OR_RETURN(std::string path, local.PathFor(store_, key));
    paths.push_back(std::move(path));
  }
  const std::string& where = keys.front();
  const std::string source = "read_parquet(" + SqlStringList(paths) + ", union_by_name=true)";
  STRATA_ASSIGN_OR_RETURN(auto described, conn_.QueryRows("DESCRIBE SELECT * FROM " + source));
  std::vector<std::string> columns;
  for (const auto& row : described) {
    const std::string name = std::get<std::string>(row[0]);
    const std::string type = std::get<std::string>(row[1]);
    auto fields = CheckpointFields().find(name);
    if (fields == CheckpointFields().end()) {
      if (name != "commitInfo" && name != "cdc") {
        findings_.Add(where, "unexpected checkpoint column '" + name + "'");
      }
      continue;
    }
    columns.push_back(name);
    for (const std::string& field : fields->second) {
      if (!HasField(type, field)) {
        findings_.Add(where, "checkpoint column '" + name + "' lacks field '" + field +
                                 "' (its type is " + type + ")");
      }
    }
  }
  // Sidecars hold file actions only; a top-level checkpoint has every action column.
  for (const char* required : {"protocol", "metaData", "add", "remove"}) {
    if (top_level && std::find(columns.begin(), columns.end(), required) == columns.end()) {
      findings_.Add(where, std::string("checkpoint has no '") + required + "' column");
    }
  }
  std::string one_action = "0";
  for (const std::string& c : columns) {
    one_action += " + (" + engine::QuoteIdentifier(c) + " IS NOT NULL)::INT";
  }
  STRATA_ASSIGN_OR_RETURN(int64_t bad_rows,
                          engine::QueryInt64(conn_, "SELECT count(*) FROM " + source + " WHERE " +
                                                        one_action + " <> 1"));
  if (bad_rows > 0) {
    findings_.Add(where, std::to_string(bad_rows) + " rows do not hold exactly one action");
  }
  for (const std::string& column : columns) {
    const std::string c = engine::QuoteIdentifier(column);
    STRATA_ASSIGN_OR_RETURN(
        auto rows, conn_.QueryRows("SELECT CAST(to_json(" + c + ") AS VARCHAR) FROM " + source +
                                   " WHERE " + c + " IS NOT NULL"));
    for (const auto& row : rows) {
      out->push_back({where + " " + column, column,
                      DropNulls(json::parse(std::get<std::string>(row[0]), nullptr, false))});
    }
  }
  return Status::OK();
}

Status TableChecker::ReadJsonCheckpoint(const std::string& key, CheckpointActions* out) {
  STRATA_ASSIGN_OR_RETURN(std::string content, store_.Get(key));
  size_t pos = 0;
  for (int line_no = 1; pos < content.size(); ++line_no) {
    size_t end = content.find('\n', pos);
    if (end == std::string::npos) end = content.size();
    json action = json::parse(content.substr(pos, end - pos), nullptr, false);
    pos = end + 1;
    const std::string where = key + ":" + std::to_string(line_no);
    if (action.is_discarded() || !action.is_object() || action.size() != 1 ||
        !action.begin()->is_object()) {
      findings_.Add(where, "a line must be one JSON object with exactly one action");
      continue;
    }
    out->push_back({where, action.begin().key(), action.begin().value()});
  }
  return Status::OK();
}

Status TableChecker::CheckCheckpoint(int64_t version, const std::vector<std::string>& keys,
                                     bool compare) {
  report_.checkpoints += static_cast<int64_t>(keys.size());
  const std::string& where = keys.front();
  CheckpointActions actions;
  const bool json_v2 =
      keys.size() == 1 && where.size() > 5 && where.compare(where.size() - 5, 5, ".json") == 0;
  if (json_v2) {
    STRATA_RETURN_IF_ERROR(ReadJsonCheckpoint(where, &actions));
  } else {
    STRATA_RETURN_IF_ERROR(ReadParquetCheckpoint(keys, /*top_level=*/true, &actions));
  }
  // A V2 checkpoint's file actions live in the sidecars it names (_delta_log/_sidecars/).
  std::vector<std::string> sidecars;
  for (const CheckpointAction& a : actions) {
    if (a.kind != "sidecar" || !a.body.contains("path") || !a.body["path"].is_string()) continue;
    auto decoded = conformance_internal::PercentDecode(a.body["path"]);
    sidecars.push_back(DeltaLogPrefix(root_) + "_sidecars/" + (decoded ? *decoded : ""));
  }
  for (const std::string& sidecar : sidecars) {
    auto head = store_.Head(sidecar);
    if (!head.ok()) {
      findings_.Add(where, "names sidecar " + sidecar + ", which does not exist");
      return Status::OK();
    }
    checkpoint_bytes_[version] += head->size;
  }
  if (!sidecars.empty()) {
    STRATA_RETURN_IF_ERROR(ReadParquetCheckpoint(sidecars, /*top_level=*/false, &actions));
  }
  FeaturesInUse features;
  std::map<std::string, int> kinds;
  std::set<std::string> added;
  for (const CheckpointAction& a : actions) {
    ++kinds[a.kind];
    CheckAction(a.kind, a.body, a.where, /*in_checkpoint=*/true, features);
    if (a.kind != "add") continue;
    added.insert(FileId(a.body));
    if (!compare) live_[FileId(a.body)] = a.body;  // the base of the replay
  }
  if (kinds["protocol"] != 1 || kinds["metaData"] != 1) {
    findings_.Add(where, "a checkpoint must hold exactly one protocol and one metaData");
  }
  std::set<std::string> replayed;
  for (const auto& [id, body] : live_) replayed.insert(id);
  if (compare && added != replayed) {
    findings_.Add(where, "its " + std::to_string(added.size()) + " adds differ from the " +
                             std::to_string(replayed.size()) +
                             " live files of replaying the commits up to version " +
                             std::to_string(version));
  }
  checkpoint_actions_[version] = static_cast<int64_t>(actions.size());
  checkpoint_adds_[version] = kinds["add"];
  return Status::OK();
}

Status TableChecker::CheckLastCheckpoint() {
  const std::string key = LastCheckpointKey(root_);
  auto content = store_.Get(key);
  if (!content.ok()) {
    if (content.status().IsNotFound()) return Status::OK();
    return content.status();
  }
  json last = json::parse(*content, nullptr, false);
  if (!last.is_object()) return (findings_.Add(key, "not a JSON object"), Status::OK());
  if (!last.contains("version") || !last["version"].is_number_integer() || !last.contains("size") ||
      !last["size"].is_number_integer()) {
    findings_.Add(key, "'version' and 'size' must be integers");
    return Status::OK();
  }
  const int64_t version = last["version"];
  auto parts = checkpoints_.find(version);
  if (parts == checkpoints_.end()) {
    findings_.Add(key, "names version " + std::to_string(version) + ", which has no checkpoint");
    return Status::OK();
  }
  auto expect = [&](const char* field, int64_t want) {
    auto it = last.find(field);
    if (it == last.end()) return;
    if (!it->is_number_integer() || it->get<int64_t>() != want) {
      findings_.Add(key, std::string("'") + field + "' is " + it->dump() + ", the checkpoint has " +
                             std::to_string(want));
    }
  };
  if (checkpoint_actions_.count(version)) {
    expect("size", checkpoint_actions_[version]);
    expect("numOfAddFiles", checkpoint_adds_[version]);
  }
  expect("sizeInBytes", checkpoint_bytes_[version]);
  if (parts->second.size() > 1 || last.contains("parts")) {
    expect("parts", static_cast<int64_t>(parts->second.size()));
  }
  return Status::OK();
}

Status TableChecker::CheckLiveFilesExist() {
  for (const auto& [id, body] : live_) {
    const std::string path = body.value("path", "");
    if (conformance_internal::HasUriScheme(path)) continue;  // outside the table: not ours to see
    auto decoded = conformance_internal::PercentDecode(path);
    if (!decoded) continue;  // reported with the action
    if (!store_.Head(JoinKey(root_, *decoded)).ok()) {
      findings_.Add(JoinKey(root_, *decoded), "a live add names a file that does not exist");
    }
  }
  return Status::OK();
}

}  // namespace

std::string ConformanceReport::Summary(size_t max_lines) const {
  std::string out = std::to_string(tables) + " tables, " + std::to_string(commits) + " commits, " +
                    std::to_string(checkpoints) + " checkpoints: ";
  if (problems.empty()) return out + "OK";
  out += std::to_string(problems.size()) + " problems";
  for (size_t i = 0; i < problems.size() && i < max_lines; ++i) out += "\n  " + problems[i];
  return out;
}

Result<ConformanceReport> CheckTableConformance(storage::ObjectStore& store,
                                                std::string_view table_root,
                                                engine::Connection& connection) {
  ConformanceReport report;
  TableChecker checker(store, std::string(table_root), connection, report);
  STRATA_RETURN_IF_ERROR(checker.Run());
  return report;
}

Result<ConformanceReport> CheckTablesConformance(storage::ObjectStore& store,
                                                 std::string_view prefix,
                                                 engine::Connection& connection) {
  // "bronze/pedidos" must not take in "bronze/pedidos__quarantine": list it as a directory.
  std::string dir(prefix);
  if (!dir.empty() && dir.back() != '/') dir += '/';
  STRATA_ASSIGN_OR_RETURN(std::vector<storage::ObjectInfo> objects, storage::ListAll(store, dir));
  std::set<std::string> roots;
  for (const storage::ObjectInfo& object : objects) {
    size_t at = object.key.find("_delta_log/");
    // A table root is "" or ends in '/': "a/_delta_log/" -> "a"; "x_delta_log/" is not one.
    if (at == std::string::npos || (at > 0 && object.key[at - 1] != '/')) continue;
    roots.insert(at == 0 ? "" : object.key.substr(0, at - 1));
  }
  ConformanceReport total;
  for (const std::string& root : roots) {
    STRATA_ASSIGN_OR_RETURN(ConformanceReport one, CheckTableConformance(store, root, connection));
    total.tables += one.tables;
    total.commits += one.commits;
    total.checkpoints += one.checkpoints;
    for (std::string& p : one.problems) total.problems.push_back(std::move(p));
  }
  return total;
}

}  // namespace strata::delta
