#include "storage/delta/actions.h"

#include <algorithm>
#include <utility>

namespace strata::delta {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

// Reads typed fields of one action object, remembering the first error so parse functions stay
// linear. Null counts as absent because checkpoint rows rendered to JSON carry explicit nulls.
class Fields {
 public:
  Fields(const json& obj, std::string_view where, std::string_view kind)
      : obj_(obj), where_(where), kind_(kind) {}

  const json* Find(const char* name) const {
    auto it = obj_.find(name);
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  std::optional<std::string> OptString(const char* name) {
    const json* v = Find(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) return Fail(name, "a string"), std::nullopt;
    return v->get<std::string>();
  }
  std::string String(const char* name) {
    auto v = OptString(name);
    if (!v && status_.ok() && Find(name) == nullptr) Fail(name, "present");
    return v.value_or("");
  }
  std::optional<int64_t> OptInt(const char* name) {
    const json* v = Find(name);
    if (v == nullptr) return std::nullopt;
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      Fail(name, "an integer within int64");
      return std::nullopt;
    }
    if (v->is_number_integer()) return v->get<int64_t>();
    // Some writers emit integral values as floats ("size": 12.0) or strings. Converting a double
    // outside int64 (or NaN) is undefined behaviour: such a value is an error
    // (fuzz/delta_log_fuzz).
    if (v->is_number_float()) {
      const double d = v->get<double>();
      if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
        return static_cast<int64_t>(d);
      }
    }
    Fail(name, "an integer");
    return std::nullopt;
  }
  int64_t Int(const char* name) {
    auto v = OptInt(name);
    if (!v && status_.ok()) Fail(name, "present");
    return v.value_or(0);
  }
  std::optional<bool> OptBool(const char* name) {
    const json* v = Find(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_boolean()) return Fail(name, "a boolean"), std::nullopt;
    return v->get<bool>();
  }
  std::optional<StringMap> OptStringMap(const char* name) {
    const json* v = Find(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_object()) return Fail(name, "an object"), std::nullopt;
    StringMap out;
    for (const auto& [k, val] : v->items()) {
      if (val.is_null()) continue;
      out[k] = val.is_string() ? val.get<std::string>() : val.dump();
    }
    return out;
  }
  std::optional<PartitionValues> OptPartitionValues(const char* name) {
    const json* v = Find(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_object()) return Fail(name, "an object"), std::nullopt;
    PartitionValues out;
    for (const auto& [k, val] : v->items()) {
      if (val.is_null()) {
        out[k] = std::nullopt;
      } else if (val.is_string()) {
        out[k] = val.get<std::string>();
      } else {
        Fail(name, "an object of strings");
      }
    }
    return out;
  }
  std::optional<std::vector<std::string>> OptStringList(const char* name) {
    const json* v = Find(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_array()) return Fail(name, "an array"), std::nullopt;
    std::vector<std::string> out;
    for (const auto& e : *v) {
      if (!e.is_string()) return Fail(name, "an array of strings"), std::nullopt;
      out.push_back(e.get<std::string>());
    }
    return out;
  }

  void Fail(const char* name, const char* what) {
    if (!status_.ok()) return;
    status_ = Status::Corruption(std::string(where_) + ": " + std::string(kind_) + "." + name +
                                 " must be " + what);
  }
  const Status& status() const { return status_; }
  std::string_view where() const { return where_; }

 private:
  const json& obj_;
  std::string_view where_;
  std::string_view kind_;
  Status status_;
};

std::optional<DeletionVectorDescriptor> ParseDv(Fields& f) {
  const json* v = f.Find("deletionVector");
  if (v == nullptr) return std::nullopt;
  if (!v->is_object()) {
    f.Fail("deletionVector", "an object");
    return std::nullopt;
  }
  Fields d(*v, f.where(), "deletionVector");
  DeletionVectorDescriptor dv;
  dv.storage_type = d.String("storageType");
  dv.path_or_inline_dv = d.String("pathOrInlineDv");
  if (auto off = d.OptInt("offset")) dv.offset = static_cast<int32_t>(*off);
  dv.size_in_bytes = static_cast<int32_t>(d.Int("sizeInBytes"));
  dv.cardinality = d.Int("cardinality");
  if (!d.status().ok()) {
    f.Fail("deletionVector", "a valid deletion vector descriptor");
    return std::nullopt;
  }
  return dv;
}

Result<std::optional<Action>> ParseAdd(Fields& f) {
  AddFile a;
  a.path = f.String("path");
  a.partition_values = f.OptPartitionValues("partitionValues").value_or(PartitionValues{});
  a.size = f.Int("size");
  a.modification_time = f.OptInt("modificationTime").value_or(0);
  a.data_change = f.OptBool("dataChange").value_or(true);
  a.stats = f.OptString("stats");
  a.tags = f.OptStringMap("tags");
  a.deletion_vector = ParseDv(f);
  a.base_row_id = f.OptInt("baseRowId");
  a.default_row_commit_version = f.OptInt("defaultRowCommitVersion");
  a.clustering_provider = f.OptString("clusteringProvider");
  if (!f.status().ok()) return f.status();
  return std::optional<Action>(std::move(a));
}

Result<std::optional<Action>> ParseRemove(Fields& f) {
  RemoveFile r;
  r.path = f.String("path");
  r.deletion_timestamp = f.OptInt("deletionTimestamp");
  r.data_change = f.OptBool("dataChange").value_or(true);
  r.extended_file_metadata = f.OptBool("extendedFileMetadata");
  r.partition_values = f.OptPartitionValues("partitionValues");
  r.size = f.OptInt("size");
  r.tags = f.OptStringMap("tags");
  r.deletion_vector = ParseDv(f);
  r.base_row_id = f.OptInt("baseRowId");
  r.default_row_commit_version = f.OptInt("defaultRowCommitVersion");
  if (!f.status().ok()) return f.status();
  return std::optional<Action>(std::move(r));
}

Result<std::optional<Action>> ParseMetadata(Fields& f) {
  Metadata m;
  m.id = f.String("id");
  m.name = f.OptString("name");
  m.description = f.OptString("description");
  if (const json* fmt = f.Find("format"); fmt != nullptr && fmt->is_object()) {
    Fields ff(*fmt, f.where(), "metaData.format");
    m.format.provider = ff.OptString("provider").value_or("parquet");
    m.format.options = ff.OptStringMap("options").value_or(StringMap{});
    if (!ff.status().ok()) return ff.status();
  }
  m.schema_string = f.String("schemaString");
  m.partition_columns = f.OptStringList("partitionColumns").value_or(std::vector<std::string>{});
  m.configuration = f.OptStringMap("configuration").value_or(StringMap{});
  m.created_time = f.OptInt("createdTime");
  if (!f.status().ok()) return f.status();
  return std::optional<Action>(std::move(m));
}

Result<std::optional<Action>> ParseKind(const std::string& kind, const json& body,
                                        std::string_view where) {
  Fields f(body, where, kind);
  if (kind == "add") return ParseAdd(f);
  if (kind == "remove") return ParseRemove(f);
  if (kind == "metaData") return ParseMetadata(f);
  if (kind == "protocol") {
    Protocol p;
    p.min_reader_version = static_cast<int32_t>(f.Int("minReaderVersion"));
    p.min_writer_version = static_cast<int32_t>(f.Int("minWriterVersion"));
    p.reader_features = f.OptStringList("readerFeatures");
    p.writer_features = f.OptStringList("writerFeatures");
    if (!f.status().ok()) return f.status();
    return std::optional<Action>(std::move(p));
  }
  if (kind == "commitInfo") {
    CommitInfo c;
    c.json = body;
    c.timestamp = f.OptInt("timestamp");
    c.in_commit_timestamp = f.OptInt("inCommitTimestamp");
    c.operation = f.OptString("operation");
    if (!f.status().ok()) return f.status();
    return std::optional<Action>(std::move(c));
  }
  if (kind == "txn") {
    SetTransaction t;
    t.app_id = f.String("appId");
    t.version = f.Int("version");
    t.last_updated = f.OptInt("lastUpdated");
    if (!f.status().ok()) return f.status();
    return std::optional<Action>(std::move(t));
  }
  if (kind == "domainMetadata") {
    DomainMetadata d;
    d.domain = f.String("domain");
    d.configuration = f.OptString("configuration").value_or("");
    d.removed = f.OptBool("removed").value_or(false);
    if (!f.status().ok()) return f.status();
    return std::optional<Action>(std::move(d));
  }
  if (kind == "checkpointMetadata") {
    CheckpointMetadata c;
    c.version = f.Int("version");
    c.tags = f.OptStringMap("tags");
    if (!f.status().ok()) return f.status();
    return std::optional<Action>(std::move(c));
  }
  if (kind == "sidecar") {
    Sidecar s;
    s.path = f.String("path");
    s.size_in_bytes = f.OptInt("sizeInBytes").value_or(0);
    s.modification_time = f.OptInt("modificationTime").value_or(0);
    s.tags = f.OptStringMap("tags");
    if (!f.status().ok()) return f.status();
    return std::optional<Action>(std::move(s));
  }
  return std::optional<Action>();  // cdc and unknown kinds: ignored by readers
}

void PutOpt(ojson& o, const char* key, const std::optional<std::string>& v) {
  if (v) o[key] = *v;
}
void PutOpt(ojson& o, const char* key, const std::optional<int64_t>& v) {
  if (v) o[key] = *v;
}
ojson MapJson(const StringMap& m) {
  ojson o = ojson::object();
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}
ojson PartitionJson(const PartitionValues& pv) {
  ojson o = ojson::object();
  for (const auto& [k, v] : pv) o[k] = v ? ojson(*v) : ojson(nullptr);
  return o;
}
ojson DvJson(const DeletionVectorDescriptor& dv) {
  ojson o;
  o["storageType"] = dv.storage_type;
  o["pathOrInlineDv"] = dv.path_or_inline_dv;
  if (dv.offset) o["offset"] = *dv.offset;
  o["sizeInBytes"] = dv.size_in_bytes;
  o["cardinality"] = dv.cardinality;
  return o;
}

struct ToJson {
  ojson operator()(const Protocol& p) const {
    ojson o;
    o["minReaderVersion"] = p.min_reader_version;
    o["minWriterVersion"] = p.min_writer_version;
    if (p.reader_features) o["readerFeatures"] = *p.reader_features;
    if (p.writer_features) o["writerFeatures"] = *p.writer_features;
    return {{"protocol", o}};
  }
  ojson operator()(const Metadata& m) const {
    ojson o;
    o["id"] = m.id;
    PutOpt(o, "name", m.name);
    PutOpt(o, "description", m.description);
    o["format"] = {{"provider", m.format.provider}, {"options", MapJson(m.format.options)}};
    o["schemaString"] = m.schema_string;
    o["partitionColumns"] = m.partition_columns;
    o["configuration"] = MapJson(m.configuration);
    PutOpt(o, "createdTime", m.created_time);
    return {{"metaData", o}};
  }
  ojson operator()(const AddFile& a) const {
    ojson o;
    o["path"] = a.path;
    o["partitionValues"] = PartitionJson(a.partition_values);
    o["size"] = a.size;
    o["modificationTime"] = a.modification_time;
    o["dataChange"] = a.data_change;
    PutOpt(o, "stats", a.stats);
    if (a.tags) o["tags"] = MapJson(*a.tags);
    if (a.deletion_vector) o["deletionVector"] = DvJson(*a.deletion_vector);
    PutOpt(o, "baseRowId", a.base_row_id);
    PutOpt(o, "defaultRowCommitVersion", a.default_row_commit_version);
    PutOpt(o, "clusteringProvider", a.clustering_provider);
    return {{"add", o}};
  }
  ojson operator()(const RemoveFile& r) const {
    ojson o;
    o["path"] = r.path;
    PutOpt(o, "deletionTimestamp", r.deletion_timestamp);
    o["dataChange"] = r.data_change;
    if (r.extended_file_metadata) o["extendedFileMetadata"] = *r.extended_file_metadata;
    if (r.partition_values) o["partitionValues"] = PartitionJson(*r.partition_values);
    PutOpt(o, "size", r.size);
    if (r.tags) o["tags"] = MapJson(*r.tags);
    if (r.deletion_vector) o["deletionVector"] = DvJson(*r.deletion_vector);
    PutOpt(o, "baseRowId", r.base_row_id);
    PutOpt(o, "defaultRowCommitVersion", r.default_row_commit_version);
    return {{"remove", o}};
  }
  ojson operator()(const CommitInfo& c) const {
    // The free-form JSON is authoritative; the lifted fields win if they were changed.
    ojson o = ojson::parse(c.json.dump());
    if (c.in_commit_timestamp) {
      // The protocol requires inCommitTimestamp to be the first field of commitInfo.
      ojson first;
      first["inCommitTimestamp"] = *c.in_commit_timestamp;
      for (auto& [k, v] : o.items()) {
        if (k != "inCommitTimestamp") first[k] = v;
      }
      o = std::move(first);
    }
    if (c.timestamp) o["timestamp"] = *c.timestamp;
    if (c.operation) o["operation"] = *c.operation;
    return {{"commitInfo", o}};
  }
  ojson operator()(const SetTransaction& t) const {
    ojson o;
    o["appId"] = t.app_id;
    o["version"] = t.version;
    PutOpt(o, "lastUpdated", t.last_updated);
    return {{"txn", o}};
  }
  ojson operator()(const DomainMetadata& d) const {
    ojson o;
    o["domain"] = d.domain;
    o["configuration"] = d.configuration;
    o["removed"] = d.removed;
    return {{"domainMetadata", o}};
  }
  ojson operator()(const CheckpointMetadata& c) const {
    ojson o;
    o["version"] = c.version;
    if (c.tags) o["tags"] = MapJson(*c.tags);
    return {{"checkpointMetadata", o}};
  }
  ojson operator()(const Sidecar& s) const {
    ojson o;
    o["path"] = s.path;
    o["sizeInBytes"] = s.size_in_bytes;
    o["modificationTime"] = s.modification_time;
    if (s.tags) o["tags"] = MapJson(*s.tags);
    return {{"sidecar", o}};
  }
};

}  // namespace

bool Protocol::HasReaderFeature(std::string_view feature) const {
  return reader_features && std::find(reader_features->begin(), reader_features->end(), feature) !=
                                reader_features->end();
}

bool Protocol::HasWriterFeature(std::string_view feature) const {
  return writer_features && std::find(writer_features->begin(), writer_features->end(), feature) !=
                                writer_features->end();
}

std::string DeletionVectorDescriptor::UniqueId() const {
  std::string id = storage_type + path_or_inline_dv;
  if (offset) {
    id += '@';
    id += std::to_string(*offset);
  }
  return id;
}

Result<std::optional<Action>> ParseAction(const json& object, std::string_view where) {
  if (!object.is_object()) {
    return Status::Corruption(std::string(where) + ": an action must be a JSON object");
  }
  std::optional<Action> found;
  for (const auto& [key, body] : object.items()) {
    if (body.is_null()) continue;
    if (!body.is_object()) {
      return Status::Corruption(std::string(where) + ": action '" + key + "' is not an object");
    }
    STRATA_ASSIGN_OR_RETURN(std::optional<Action> parsed, ParseKind(key, body, where));
    if (!parsed) continue;
    if (found) {
      return Status::Corruption(std::string(where) + ": a line holds more than one action");
    }
    found = std::move(parsed);
  }
  return found;
}

Result<std::vector<Action>> ParseCommitFile(std::string_view content, std::string_view file_name) {
  std::vector<Action> actions;
  size_t pos = 0;
  int line_no = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    std::string where = std::string(file_name) + ":" + std::to_string(line_no);
    json parsed = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      return Status::Corruption(where + ": invalid JSON");
    }
    STRATA_ASSIGN_OR_RETURN(std::optional<Action> action, ParseAction(parsed, where));
    if (action) actions.push_back(std::move(*action));
  }
  return actions;
}

nlohmann::ordered_json ActionToJson(const Action& action) { return std::visit(ToJson{}, action); }

std::string SerializeAction(const Action& action) {
  return ActionToJson(action).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string SerializeActions(const std::vector<Action>& actions) {
  std::string out;
  for (const Action& a : actions) {
    out += SerializeAction(a);
    out += '\n';
  }
  return out;
}

}  // namespace strata::delta
