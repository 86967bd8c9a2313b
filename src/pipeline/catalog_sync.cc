#include "pipeline/catalog_sync.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/sync.h"
#include "common/redact.h"
#include "common/secrets.h"
#include "common/yaml.h"
#include "lake/session.h"
#include "lake/table.h"

namespace strata::pipeline {
namespace {

namespace fs = std::filesystem;

// The declared metadata of a node's table: from its source contract or its model YAML.
catalog::TableMetadata Declared(const Project& project, const NodeResult& node,
                                const std::string& location) {
  catalog::TableMetadata table;
  table.name = node.table;
  table.layer = node.layer;
  table.format = "delta";
  table.location = location;
  table.source = catalog::MetadataSource::kProject;
  Result<lake::TableName> name = lake::ParseTableName(node.table);
  if (!name.ok()) return table;
  if (const SourceSpec* source = project.FindSource(*name)) {
    table.description = source->spec.description;
    table.owner = source->spec.owner;
    table.tags = source->spec.tags;
    table.glossary = source->glossary;
    for (const ingest::ColumnSpec& column : source->spec.columns) {
      catalog::ColumnMetadata meta;
      meta.name = column.name;
      meta.type = column.type;
      meta.description = column.description;
      meta.declared_class = column.pii;
      table.columns.push_back(std::move(meta));
    }
  } else if (const ModelSpec* model = project.FindModel(*name)) {
    table.description = model->description;
    table.owner = model->owner;
    table.tags = model->tags;
    table.glossary = model->glossary;
    for (const ColumnDoc& column : model->columns) {
      catalog::ColumnMetadata meta;
      meta.name = column.name;
      meta.description = column.description;
      meta.tags = column.tags;
      meta.declared_class = column.pii;
      table.columns.push_back(std::move(meta));
    }
  }
  return table;
}

// The committed schema of a bound view, in column order.
Result<std::vector<std::pair<std::string, std::string>>> ViewSchema(engine::Connection& connection,
                                                                    const std::string& view) {
  STRATA_ASSIGN_OR_RETURN(auto rows, connection.QueryRows("DESCRIBE " + view));
  std::vector<std::pair<std::string, std::string>> schema;
  for (const auto& row : rows) {
    if (row.size() < 2) continue;
    const auto* name = std::get_if<std::string>(&row[0]);
    const auto* type = std::get_if<std::string>(&row[1]);
    if (name && type) schema.emplace_back(*name, *type);
  }
  return schema;
}

// Where the table's files live: <storage>/<layer>/<name> (lake/README.md's layout).
std::string TableDirectory(const Project& project, const NodeResult& node) {
  std::string relative = node.table;
  if (size_t dot = relative.find('.'); dot != std::string::npos) relative[dot] = '/';
  return project.StoragePath() + "/" + relative;
}

catalog::RunRecord CatalogRun(const Project& project, const RunRecord& record,
                              const NodeResult& node) {
  catalog::RunRecord run;
  // One catalog run per node: the pipeline run id plus the table keeps ids unique.
  run.run_id = record.run_id + "/" + node.table;
  run.job = node.table;
  run.pipeline = project.config.name;
  run.started_at = IsoTime(record.started_at_micros);
  run.ended_at = IsoTime(record.finished_at_micros);
  run.error = node.error;
  switch (node.status) {
    case NodeStatus::kSuccess:
    case NodeStatus::kWarn:
      run.status = RunStatus::kSucceeded;
      run.rows_written = node.rows_written;
      if (node.table_version) {
        run.outputs.push_back({node.table, *node.table_version, std::nullopt});
      }
      break;
    case NodeStatus::kFailed:
      run.status = RunStatus::kFailed;
      break;
    case NodeStatus::kSkipped:
      run.status = RunStatus::kAborted;
      break;
  }
  return run;
}

// `bind_mutex` is held around the session's binds only (they create views, see catalog_sync.h);
// the queries over the views run without it, so workers can bind meanwhile.
Status SyncNode(const Project& project, catalog::Catalog& catalog, lake::LakeSession& session,
                std::mutex& bind_mutex, engine::Connection& connection, const RunRecord& record,
                const NodeResult& node, catalog::OpenLineageEmitter* emitter) {
  catalog::RunSync sync;
  sync.run = CatalogRun(project, record, node);
  if (node.status == NodeStatus::kSkipped) return catalog.RecordRun(sync.run);
  sync.table = Declared(project, node, TableDirectory(project, node));
  if (node.status == NodeStatus::kFailed || !node.table_version) {
    if (sync.run.status == RunStatus::kFailed) {
      STRATA_RETURN_IF_ERROR(catalog::SyncRun(catalog, connection, sync, emitter).status());
      return Status::OK();
    }
    return catalog.RecordRun(sync.run);  // nothing committed yet (an empty source)
  }
  std::unique_lock<std::mutex> binding(bind_mutex);
  STRATA_ASSIGN_OR_RETURN(lake::BoundTable bound, session.BindTable(node.table));
  binding.unlock();
  STRATA_ASSIGN_OR_RETURN(sync.schema, ViewSchema(connection, bound.view));
  sync.table.version = bound.version;
  if (bound.snapshot) {
    const lake::TableStatistics stats = lake::StatisticsOf(*bound.snapshot);
    sync.table.size_bytes = stats.total_bytes;
    sync.table.row_count = stats.row_count;
    if (!sync.run.outputs.empty()) sync.run.outputs.front().row_count = stats.row_count;
  }
  sync.relation_sql = bound.view;
  if (node.is_source) {
    for (const ingest::FileOutcome& file : node.files) {
      if (file.state != ingest::FileState::kLoaded) continue;
      sync.landing_files.push_back(
          (fs::path(project.LandingPath()) / file.file).lexically_normal().string());
    }
  } else if (Result<lake::TableName> name = lake::ParseTableName(node.table); name.ok()) {
    if (const ModelSpec* model = project.FindModel(*name)) {
      // Binding creates the views of the model's inputs, which the lineage derivation reads.
      binding.lock();
      STRATA_ASSIGN_OR_RETURN(lake::BoundQuery bound_sql, session.Bind(model->sql));
      binding.unlock();
      sync.sql = bound_sql.parsed ? model->sql : "";
    }
  }
  // The START event goes out first (with the run's start time), then COMPLETE with its facets.
  catalog::RunRecord started = sync.run;
  started.status = RunStatus::kRunning;
  started.ended_at.clear();
  started.outputs.clear();
  started.rows_written.reset();
  if (emitter != nullptr) {
    STRATA_RETURN_IF_ERROR(catalog::StartRun(catalog, started, sync.sql, emitter));
  }
  Result<catalog::SyncReport> report = catalog::SyncRun(catalog, connection, sync, emitter);
  if (!report.ok()) {
    return Status(report.status().code(), node.table + ": " + report.status().message());
  }
  if (!report->emit_status.ok()) {
    return Status(report->emit_status.code(),
                  node.table + ": OpenLineage: " + report->emit_status.message());
  }
  return Status::OK();
}

// A YAML scalar or sequence of scalars as strings ("tags: bronze" or "tags: [a, b]").
std::vector<std::string> ScalarList(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node.IsScalar()) out.push_back(node.as<std::string>());
  if (node.IsSequence()) {
    for (const YAML::Node& item : node) {
      if (item.IsScalar()) out.push_back(item.as<std::string>());
    }
  }
  return out;
}

std::string ScalarOr(const YAML::Node& map, const char* key) {
  const YAML::Node value = map[key];
  return value && value.IsScalar() ? value.as<std::string>() : std::string();
}

// What the catalog shows of one pipeline file: the strata keys (description, defaulting to the
// ASL Comment; owner; tags) and each top-level state's Type, Comment and Resource, as the
// orchestrator service records them when it starts a run. yaml-cpp reads the JSON files too.
Result<catalog::PipelineMetadata> ReadPipelineMetadata(const fs::path& file) {
  catalog::PipelineMetadata meta;
  meta.name = file.stem().string();
  meta.location = file.string();
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::IOError(file.string() + ": cannot read");
  const std::string text(std::istreambuf_iterator<char>(in), {});
  STRATA_ASSIGN_OR_RETURN(const YAML::Node root, LoadYaml(text, file.string()));
  try {
    if (!root.IsMap()) return Status::InvalidArgument(file.string() + ": not a mapping");
    meta.description = ScalarOr(root, "description");
    if (meta.description.empty()) meta.description = ScalarOr(root, "Comment");
    meta.owner = ScalarOr(root, "owner");
    if (root["tags"]) meta.tags = ScalarList(root["tags"]);
    const YAML::Node states = root["States"];
    if (!states || !states.IsMap()) {
      return Status::InvalidArgument(file.string() + ": no States mapping");
    }
    for (const auto& entry : states) {
      if (!entry.second.IsMap()) continue;
      catalog::PipelineState state;
      state.name = entry.first.as<std::string>();
      state.type = ScalarOr(entry.second, "Type");
      state.description = ScalarOr(entry.second, "Comment");
      state.resource = ScalarOr(entry.second, "Resource");
      meta.states.push_back(std::move(state));
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(file.string() + ": " + e.what());
  }
  // Trailing newlines of folded YAML scalars ("description: >") are not part of the text.
  while (!meta.description.empty() && meta.description.back() == '\n') meta.description.pop_back();
  return meta;
}

}  // namespace

Status SyncPipelinesToCatalog(const Project& project, catalog::Catalog& catalog) {
  std::error_code error;
  const fs::path dir = fs::absolute(fs::path(project.root) / "pipelines", error).lexically_normal();
  if (error || dir.empty()) return Status::OK();  // no directory to compare the catalog with
  std::vector<fs::path> files;
  if (fs::is_directory(dir, error)) {
    for (const auto& entry : fs::directory_iterator(dir, error)) {
      std::string ext = entry.path().extension().string();
      if (entry.is_regular_file(error) && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
        files.push_back(entry.path());
      }
    }
  }
  // A listing cut short by an error must not read as deleted files.
  const bool listed_all = !error;
  std::sort(files.begin(), files.end());
  std::set<std::string> present;
  for (const fs::path& file : files) {
    present.insert(file.string());
    // A file that does not load is the orchestrator's to report (strata pipeline list names
    // the line); the catalog keeps what it knew of that pipeline.
    Result<catalog::PipelineMetadata> meta = ReadPipelineMetadata(file);
    if (!meta.ok()) continue;
    STRATA_RETURN_IF_ERROR(catalog.UpsertPipeline(*meta));
  }
  // A pipeline whose file this directory held and no longer does was deleted (or renamed: the
  // new name was upserted above). Pipelines from elsewhere (another project sharing the catalog,
  // the service) do not carry a location here and stay.
  if (!listed_all) return Status::OK();
  const std::string prefix = dir.string() + "/";
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> listed, catalog.List("pipeline"));
  for (const std::string& name : listed) {
    STRATA_ASSIGN_OR_RETURN(catalog::AssetInfo asset, catalog.GetAsset(name));
    if (asset.location.rfind(prefix, 0) == 0 && present.count(asset.location) == 0) {
      STRATA_RETURN_IF_ERROR(catalog.RemoveAsset(name));
    }
  }
  return Status::OK();
}

Status SyncLayersToCatalog(const Project& project, catalog::Catalog& catalog) {
  // layer -> the owners of the tables the project declares in it.
  std::map<std::string, std::set<std::string>> owners;
  for (const SourceSpec& source : project.sources) {
    owners[source.spec.table.layer].insert(source.spec.owner);
  }
  for (const ModelSpec& model : project.models) owners[model.table.layer].insert(model.owner);
  for (const auto& [layer, names] : owners) {
    // One owner for the whole layer is the layer's owner; a layer shared by teams has none.
    std::string owner = names.size() == 1 ? *names.begin() : std::string();
    STRATA_RETURN_IF_ERROR(catalog.UpsertLayer(layer, "", owner));
  }
  return Status::OK();
}

Result<std::string> CatalogLocation(const Project& project) {
  Result<std::string> location = ResolveSecrets(project.config.catalog, project.SecretsPath());
  if (!location.ok()) return location.status().WithContext("strata.yaml catalog");
  if (location->find("://") != std::string::npos) return location;
  return (fs::path(project.root) / *location).lexically_normal().string();
}

namespace {

// What a sync writes to and reads with.
struct SyncTarget {
  std::unique_ptr<catalog::Catalog> catalog;
  std::unique_ptr<catalog::OpenLineageEmitter> emitter;  // null without `openlineage:`
  std::unique_ptr<engine::Connection> connection;
};

// Opens the project's catalog and emitter and a connection, then records the project's
// pipelines and layers. A failure of the latter two is returned in `first_error`.
Result<SyncTarget> OpenSyncTarget(const Project& project, engine::Database& database,
                                  Status& first_error) {
  STRATA_ASSIGN_OR_RETURN(std::string location, CatalogLocation(project));
  if (location.find("://") == std::string::npos) {
    std::error_code error;
    fs::create_directories(fs::path(location).parent_path(), error);
  }
  SyncTarget target;
  Result<std::unique_ptr<catalog::Catalog>> catalog = catalog::Catalog::Open(location);
  if (!catalog.ok()) {
    // The store's message names the database already, without its password; the location is
    // redacted here too, as every message quoting a URL must be.
    return Status(catalog.status().code(),
                  "catalog " + RedactUrl(location) + ": " + RedactUrl(catalog.status().message()));
  }
  target.catalog = std::move(*catalog);
  if (!project.config.openlineage.empty()) {
    catalog::OpenLineageConfig config;
    config.target = project.config.openlineage;
    if (config.target.find("://") == std::string::npos) {
      config.target = (fs::path(project.root) / config.target).lexically_normal().string();
    }
    config.namespace_name = project.config.name;
    STRATA_ASSIGN_OR_RETURN(target.emitter, catalog::OpenLineageEmitter::Create(config));
  }
  STRATA_ASSIGN_OR_RETURN(target.connection, database.Connect());
  first_error = SyncPipelinesToCatalog(project, *target.catalog);
  if (Status layers = SyncLayersToCatalog(project, *target.catalog); first_error.ok()) {
    first_error = layers;
  }
  return target;
}

}  // namespace

struct RunCatalogSync::State {
  const Project* project = nullptr;
  const lake::Lake* lake = nullptr;
  engine::Database* database = nullptr;
  std::mutex* bind_mutex = nullptr;
  RunRecord run;  // run id and start: what every node's catalog run shares

  std::mutex mutex;  // guards the members below
  std::condition_variable wake;
  std::deque<std::pair<NodeResult, int64_t>> queue;
  std::set<std::string> added;
  bool closing = false;
  Status first_error;
  std::thread thread;
};

RunCatalogSync::RunCatalogSync(const Project& project, const lake::Lake& lake,
                               engine::Database& database, std::mutex& bind_mutex,
                               const RunRecord& record)
    : state_(std::make_unique<State>()) {
  state_->project = &project;
  state_->lake = &lake;
  state_->database = &database;
  state_->bind_mutex = &bind_mutex;
  state_->run.run_id = record.run_id;
  state_->run.started_at_micros = record.started_at_micros;
  state_->thread = std::thread([this] { Loop(); });
}

RunCatalogSync::~RunCatalogSync() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->closing = true;
  }
  state_->wake.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
}

void RunCatalogSync::Add(const NodeResult& node, int64_t finished_at_micros) {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->added.insert(node.table);
    state_->queue.emplace_back(node, finished_at_micros);
  }
  state_->wake.notify_all();
}

Status RunCatalogSync::Finish(const RunRecord& record) {
  for (const NodeResult& node : record.nodes) {
    bool added;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      added = state_->added.count(node.table) > 0;
    }
    if (!added) Add(node, record.finished_at_micros);
  }
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->closing = true;
  }
  state_->wake.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->first_error;
}

void RunCatalogSync::Loop() {
  State& s = *state_;
  Status first_error;
  Result<SyncTarget> target = OpenSyncTarget(*s.project, *s.database, first_error);
  std::unique_ptr<lake::LakeSession> session;
  if (target.ok()) session = std::make_unique<lake::LakeSession>(*s.lake, *target->connection);
  while (true) {
    std::pair<NodeResult, int64_t> next;
    {
      std::unique_lock<std::mutex> lock(s.mutex);
      s.wake.wait(lock, [&] { return s.closing || !s.queue.empty(); });
      if (s.queue.empty()) break;
      next = std::move(s.queue.front());
      s.queue.pop_front();
    }
    if (!target.ok()) continue;  // nothing to record into: the open failure is the error
    RunRecord run = s.run;
    run.finished_at_micros = next.second;
    Status status = SyncNode(*s.project, *target->catalog, *session, *s.bind_mutex,
                             *target->connection, run, next.first, target->emitter.get());
    if (!status.ok() && first_error.ok()) first_error = status;
  }
  {
    // Dropping the session's views is a catalog write, serialised like binds.
    std::lock_guard<std::mutex> bind(*s.bind_mutex);
    session.reset();
  }
  std::lock_guard<std::mutex> lock(s.mutex);
  s.first_error = target.ok() ? first_error : target.status();
}

}  // namespace strata::pipeline
