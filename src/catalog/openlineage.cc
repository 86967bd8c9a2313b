#include "catalog/openlineage.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace strata::catalog {
namespace {

using nlohmann::json;

constexpr const char* kSpec = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";

json Facet(const std::string& version, const std::string& facet) {
  return {{"_producer", kOpenLineageProducer},
          {"_schemaURL", "https://openlineage.io/spec/facets/" + version + "/" + facet +
                             ".json#/$defs/" + facet}};
}

json DatasetJson(const OlDataset& d, const std::string& ns, bool output) {
  json j = {{"namespace", ns}, {"name", d.name}, {"facets", json::object()}};
  json& facets = j["facets"];
  if (!d.fields.empty()) {
    json schema = Facet("1-2-0", "SchemaDatasetFacet");
    schema["fields"] = json::array();
    int position = 1;
    for (const OlField& f : d.fields) {
      json field = {{"name", f.name}, {"type", f.type}, {"ordinal_position", position++}};
      if (!f.description.empty()) field["description"] = f.description;
      schema["fields"].push_back(field);
    }
    facets["schema"] = schema;
  }
  if (!d.description.empty()) {
    json doc = Facet("1-1-0", "DocumentationDatasetFacet");
    doc["description"] = d.description;
    facets["documentation"] = doc;
  }
  if (!d.owner.empty()) {
    json own = Facet("1-0-1", "OwnershipDatasetFacet");
    own["owners"] = json::array({{{"name", d.owner}, {"type", "TEAM"}}});
    facets["ownership"] = own;
  }
  if (d.version) {
    json version = Facet("1-0-1", "DatasetVersionDatasetFacet");
    version["datasetVersion"] = std::to_string(*d.version);
    facets["version"] = version;
  }
  if (!d.storage_format.empty()) {
    json storage = Facet("1-0-1", "StorageDatasetFacet");
    storage["storageLayer"] = d.storage_format == "delta" ? "delta" : "file";
    storage["fileFormat"] = d.storage_format == "delta" ? "parquet" : d.storage_format;
    facets["storage"] = storage;
  }
  if (output && (!d.column_lineage.empty() || !d.dataset_lineage.empty())) {
    json lineage = Facet("1-2-0", "ColumnLineageDatasetFacet");
    lineage["fields"] = json::object();
    auto input = [&ns](const OlInputField& in) {
      json t = {{"type", in.transformation}, {"subtype", in.subtype}, {"masking", false}};
      return json{{"namespace", ns},
                  {"name", in.dataset},
                  {"field", in.field},
                  {"transformations", json::array({t})}};
    };
    for (const auto& [column, in] : d.column_lineage) {
      json& entry = lineage["fields"][column];
      if (!entry.contains("inputFields")) entry["inputFields"] = json::array();
      entry["inputFields"].push_back(input(in));
    }
    if (!d.dataset_lineage.empty()) {
      lineage["dataset"] = json::array();
      for (const OlInputField& in : d.dataset_lineage) lineage["dataset"].push_back(input(in));
    }
    facets["columnLineage"] = lineage;
  }
  if (output && d.row_count) {
    json stats = Facet("1-0-2", "OutputStatisticsOutputDatasetFacet");
    stats["rowCount"] = *d.row_count;
    j["outputFacets"] = {{"outputStatistics", stats}};
  }
  return j;
}

// 64-bit FNV-1a, twice with different offsets, for a name-based UUID (version 8, RFC 9562).
uint64_t Fnv(const std::string& s, uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string RunUuid(const std::string& run_id) {
  bool is_uuid = run_id.size() == 36;
  for (size_t i = 0; is_uuid && i < run_id.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    is_uuid = dash ? run_id[i] == '-' : std::isxdigit(static_cast<unsigned char>(run_id[i])) != 0;
  }
  if (is_uuid) return run_id;
  uint64_t hi = Fnv(run_id, 14695981039346656037ull);
  uint64_t lo = Fnv(run_id + "#strata", 0x6c62272e07bb0142ull);
  hi = (hi & ~0xf000ull) | 0x8000ull;                         // version 8
  lo = (lo & 0x3fffffffffffffffull) | 0x8000000000000000ull;  // variant 10
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(hi >> 32),
                static_cast<unsigned long long>((hi >> 16) & 0xffff),
                static_cast<unsigned long long>(hi & 0xffff),
                static_cast<unsigned long long>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffull));
  return buffer;
}

json BuildRunEvent(const OlRunEvent& event, const std::string& ns) {
  json run = {{"runId", RunUuid(event.run_id)}, {"facets", json::object()}};
  if (!event.error_message.empty()) {
    json error = Facet("1-0-1", "ErrorMessageRunFacet");
    error["message"] = event.error_message;
    error["programmingLanguage"] = "SQL";
    run["facets"]["errorMessage"] = error;
  }
  json engine = Facet("1-1-1", "ProcessingEngineRunFacet");
  engine["version"] = "0.1.0";
  engine["name"] = "strata";
  run["facets"]["processing_engine"] = engine;
  if (!event.parent_run_id.empty()) {
    json parent = Facet("1-2-0", "ParentRunFacet");
    parent["run"] = {{"runId", RunUuid(event.parent_run_id)}};
    parent["job"] = {{"namespace", ns}, {"name", event.parent_job}};
    run["facets"]["parent"] = parent;
  }

  json job = {{"namespace", ns}, {"name", event.job_name}, {"facets", json::object()}};
  json type = Facet("2-0-4", "JobTypeJobFacet");
  type["processingType"] = "BATCH";
  type["integration"] = "STRATA";
  type["jobType"] = event.sql.empty() ? "TASK" : "MODEL";
  job["facets"]["jobType"] = type;
  if (!event.sql.empty()) {
    json sql = Facet("1-1-0", "SQLJobFacet");
    sql["query"] = event.sql;
    sql["dialect"] = "duckdb";
    job["facets"]["sql"] = sql;
  }
  if (!event.job_description.empty()) {
    json doc = Facet("1-1-0", "DocumentationJobFacet");
    doc["description"] = event.job_description;
    job["facets"]["documentation"] = doc;
  }
  if (!event.job_owner.empty()) {
    json own = Facet("1-0-1", "OwnershipJobFacet");
    own["owners"] = json::array({{{"name", event.job_owner}, {"type", "TEAM"}}});
    job["facets"]["ownership"] = own;
  }
  json inputs = json::array(), outputs = json::array();
  for (const OlDataset& d : event.inputs) inputs.push_back(DatasetJson(d, ns, false));
  for (const OlDataset& d : event.outputs) outputs.push_back(DatasetJson(d, ns, true));
  return {{"eventType", event.event_type},
          {"eventTime", event.event_time.empty() ? NowIso8601() : event.event_time},
          {"producer", kOpenLineageProducer},
          {"schemaURL", kSpec},
          {"run", run},
          {"job", job},
          {"inputs", inputs},
          {"outputs", outputs}};
}

Result<OlRunEvent> BuildRunEventFromCatalog(Catalog& catalog, const RunRecord& run,
                                            const std::string& event_type,
                                            const LineageRecord& lineage, const std::string& sql) {
  OlRunEvent event;
  event.event_type = event_type;
  event.run_id = run.run_id;
  event.job_name = run.job;
  if (size_t slash = run.run_id.find('/'); slash != std::string::npos) {
    event.parent_run_id = run.run_id.substr(0, slash);
    event.parent_job = run.pipeline.empty() ? event.parent_run_id : run.pipeline;
  }
  event.sql = sql;
  event.error_message = run.error;
  if (event_type == "START" && !run.started_at.empty()) event.event_time = run.started_at;
  if (event_type != "START" && !run.ended_at.empty()) event.event_time = run.ended_at;
  auto job = catalog.GetAsset(run.job);
  if (job.ok()) {
    event.job_description = job->description;
    event.job_owner = job->owner;
  }
  auto dataset = [&catalog](const std::string& name, bool must_exist) -> Result<OlDataset> {
    OlDataset d;
    d.name = name;
    auto asset = catalog.GetAsset(name);
    if (!asset.ok()) {
      if (must_exist || !asset.status().IsNotFound()) return asset.status();
      return d;
    }
    d.description = asset->description;
    d.owner = asset->owner;
    d.version = asset->version;
    d.storage_format = asset->format.substr(0, asset->format.find('('));
    STRATA_ASSIGN_OR_RETURN(auto columns, catalog.Columns(name));
    for (const ColumnInfo& c : columns) d.fields.push_back({c.name, c.type, c.description});
    return d;
  };
  for (const std::string& in : lineage.inputs) {
    STRATA_ASSIGN_OR_RETURN(OlDataset d, dataset(in, false));
    event.inputs.push_back(std::move(d));
  }
  std::vector<std::string> outputs = lineage.outputs;
  for (const RunOutput& o : run.outputs) {
    if (std::find(outputs.begin(), outputs.end(), o.table) == outputs.end())
      outputs.push_back(o.table);
  }
  for (const std::string& out : outputs) {
    STRATA_ASSIGN_OR_RETURN(OlDataset d, dataset(out, true));
    for (const RunOutput& o : run.outputs) {
      if (o.table != out) continue;
      if (o.version) d.version = o.version;
      if (event_type != "START") d.row_count = o.row_count;
    }
    for (const ColumnEdge& e : lineage.columns) {
      if (e.to_table != out) continue;
      d.column_lineage.push_back(
          {e.to_column, {e.from_table, e.from_column, e.transformation, e.subtype}});
    }
    event.outputs.push_back(std::move(d));
  }
  return event;
}

namespace {

class DirectoryEmitter final : public OpenLineageEmitter {
 public:
  explicit DirectoryEmitter(OpenLineageConfig config) : OpenLineageEmitter(std::move(config)) {}
  Status Emit(const json& event) override {
    static std::atomic<int64_t> sequence{0};
    std::string time = event.value("eventTime", NowIso8601());
    for (char& c : time) {
      if (c == ':') c = '-';
    }
    std::string run = event["run"].value("runId", "run");
    std::string name = time + "-" + run + "-" + event.value("eventType", "OTHER") + "-" +
                       std::to_string(::getpid()) + "-" + std::to_string(sequence++) + ".json";
    std::filesystem::path final_path = std::filesystem::path(config_.target) / name;
    std::filesystem::path temp = final_path;
    temp += ".tmp";
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      out << event.dump(2) << "\n";
      out.close();
      if (!out) return Status::IOError("OpenLineage: cannot write " + temp.string());
    }
    std::error_code ec;
    std::filesystem::rename(temp, final_path, ec);
    if (ec)
      return Status::IOError("OpenLineage: cannot write " + final_path.string() + ": " +
                             ec.message());
    return Status::OK();
  }
};

class HttpEmitter final : public OpenLineageEmitter {
 public:
  explicit HttpEmitter(OpenLineageConfig config) : OpenLineageEmitter(std::move(config)) {}
  Status Emit(const json& event) override {
    return PostJson(config_.target, event.dump(), config_.timeout_seconds);
  }
};

}  // namespace

Result<std::unique_ptr<OpenLineageEmitter>> OpenLineageEmitter::Create(
    const OpenLineageConfig& config) {
  if (config.target.empty()) return Status::InvalidArgument("OpenLineage target is empty");
  if (config.target.starts_with("http://") || config.target.starts_with("https://")) {
    return std::unique_ptr<OpenLineageEmitter>(new HttpEmitter(config));
  }
  std::error_code ec;
  std::filesystem::create_directories(config.target, ec);
  if (ec)
    return Status::IOError("OpenLineage: cannot create " + config.target + ": " + ec.message());
  return std::unique_ptr<OpenLineageEmitter>(new DirectoryEmitter(config));
}

}  // namespace strata::catalog
