#include "pipeline/project.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "lake/table.h"
#include "pipeline/project_text.h"

namespace strata::pipeline {
namespace {

namespace fs = std::filesystem;

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

Result<std::string> ReadText(const fs::path& path, const std::string& display) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(display + ": cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Relative(const fs::path& path, const fs::path& root) {
  return path.lexically_relative(root).generic_string();
}

Status ParseConfig(const YamlField& root, ProjectConfig& config) {
  STRATA_RETURN_IF_ERROR(root.CheckKeys(
      {"name", "description", "owner", "storage", "landing", "catalog", "engine", "openlineage"}));
  std::optional<YamlField> name = root.Get("name");
  if (!name) return root.Error("missing field 'name' (the project's name)");
  STRATA_ASSIGN_OR_RETURN(config.name, name->String());
  STRATA_ASSIGN_OR_RETURN(config.description, GetString(root, "description"));
  STRATA_ASSIGN_OR_RETURN(config.owner, GetString(root, "owner"));
  STRATA_ASSIGN_OR_RETURN(config.storage, GetString(root, "storage", config.storage));
  STRATA_ASSIGN_OR_RETURN(config.landing, GetString(root, "landing", config.landing));
  STRATA_ASSIGN_OR_RETURN(config.catalog, GetString(root, "catalog", config.catalog));
  STRATA_ASSIGN_OR_RETURN(config.openlineage, GetString(root, "openlineage"));
  if (auto engine = root.Get("engine")) {
    STRATA_RETURN_IF_ERROR(engine->CheckKeys({"threads", "memory_limit"}));
    if (auto threads = engine->Get("threads")) {
      STRATA_ASSIGN_OR_RETURN(int64_t n, threads->Int());
      if (n < 0 || n > 1024) return threads->Error("expected 0 (all cores) to 1024");
      config.engine_threads = static_cast<int>(n);
    }
    STRATA_ASSIGN_OR_RETURN(config.engine_memory_limit, GetString(*engine, "memory_limit"));
  }
  return Status::OK();
}

Status ParseCsv(const YamlField& field, ingest::CsvOptions& csv) {
  STRATA_RETURN_IF_ERROR(
      field.CheckKeys({"delimiter", "header", "quote", "escape", "decimal", "date_format",
                       "timestamp_format", "null_string", "encoding"}));
  STRATA_ASSIGN_OR_RETURN(csv.delimiter, GetString(field, "delimiter", csv.delimiter));
  if (auto header = field.Get("header")) {
    STRATA_ASSIGN_OR_RETURN(csv.header, header->Bool());
  }
  STRATA_ASSIGN_OR_RETURN(csv.quote, GetString(field, "quote", csv.quote));
  STRATA_ASSIGN_OR_RETURN(csv.escape, GetString(field, "escape", csv.escape));
  if (auto decimal = field.Get("decimal")) {
    // The bronze contract fixes '.'; other separators would need ingest support.
    STRATA_ASSIGN_OR_RETURN(std::string sep, decimal->String());
    if (sep != ".") return decimal->Error("only '.' is supported as the decimal separator");
  }
  STRATA_ASSIGN_OR_RETURN(csv.date_format, GetString(field, "date_format", csv.date_format));
  STRATA_ASSIGN_OR_RETURN(csv.timestamp_format,
                          GetString(field, "timestamp_format", csv.timestamp_format));
  STRATA_ASSIGN_OR_RETURN(csv.null_string, GetString(field, "null_string", csv.null_string));
  STRATA_ASSIGN_OR_RETURN(csv.encoding, GetString(field, "encoding", csv.encoding));
  return Status::OK();
}

Result<std::vector<ColumnDoc>> ParseColumnDocs(const YamlField& field, bool with_type,
                                               std::vector<ingest::ColumnSpec>* typed) {
  STRATA_ASSIGN_OR_RETURN(std::vector<YamlField> items, field.Items());
  std::vector<ColumnDoc> docs;
  for (const YamlField& item : items) {
    if (with_type) {
      STRATA_RETURN_IF_ERROR(item.CheckKeys({"name", "type", "description", "pii", "tags"}));
    } else {
      STRATA_RETURN_IF_ERROR(item.CheckKeys({"name", "description", "pii", "tags"}));
    }
    ColumnDoc doc;
    std::optional<YamlField> name = item.Get("name");
    if (!name) return item.Error("missing field 'name'");
    STRATA_ASSIGN_OR_RETURN(doc.name, name->String());
    for (const ColumnDoc& seen : docs) {
      if (seen.name == doc.name) return name->Error("column '" + doc.name + "' listed twice");
    }
    STRATA_ASSIGN_OR_RETURN(doc.description, GetString(item, "description"));
    STRATA_ASSIGN_OR_RETURN(doc.pii, GetString(item, "pii"));
    STRATA_ASSIGN_OR_RETURN(doc.tags, GetStringList(item, "tags"));
    if (with_type) {
      std::optional<YamlField> type = item.Get("type");
      if (!type) return item.Error("missing field 'type' (a SQL type such as BIGINT or DATE)");
      ingest::ColumnSpec column;
      column.name = doc.name;
      STRATA_ASSIGN_OR_RETURN(column.type, type->String());
      column.description = doc.description;
      column.pii = doc.pii;
      typed->push_back(std::move(column));
    }
    docs.push_back(std::move(doc));
  }
  return docs;
}

// Source fields that may also appear under `defaults:`.
constexpr std::string_view kSourceDefaults[] = {"format", "csv", "owner", "layer", "tags"};

Status ParseSourceFile(const YamlField& root, Project& project) {
  STRATA_RETURN_IF_ERROR(root.CheckKeys({"defaults", "sources"}));
  std::optional<YamlField> defaults = root.Get("defaults");
  if (defaults) {
    STRATA_RETURN_IF_ERROR(defaults->CheckKeys(
        std::vector<std::string_view>(std::begin(kSourceDefaults), std::end(kSourceDefaults))));
  }
  std::optional<YamlField> list = root.Get("sources");
  if (!list) return root.Error("missing field 'sources' (the list of sources)");
  STRATA_ASSIGN_OR_RETURN(std::vector<YamlField> items, list->Items());
  for (const YamlField& item : items) {
    if (IsDatabaseSource(item)) {
      STRATA_ASSIGN_OR_RETURN(DatabaseSourceSpec database, ParseDatabaseSource(item));
      for (const DatabaseSourceSpec& other : project.database_sources) {
        if (other.spec.name == database.spec.name) {
          return item.Get("name")->Error("source " + database.spec.name +
                                         " is already defined at " + other.where.ToString());
        }
      }
      project.database_sources.push_back(std::move(database));
      continue;
    }
    STRATA_RETURN_IF_ERROR(
        item.CheckKeys({"name", "description", "files", "format", "csv", "owner", "layer", "table",
                        "tags", "glossary", "key", "columns", "tests"}));
    // A field of the source, else of defaults:.
    auto pick = [&](std::string_view key) -> std::optional<YamlField> {
      if (auto own = item.Get(key)) return own;
      if (defaults) return defaults->Get(key);
      return std::nullopt;
    };
    SourceSpec source;
    source.where = item.location();
    ingest::FileSourceSpec& spec = source.spec;
    std::optional<YamlField> name = item.Get("name");
    if (!name) return item.Error("missing field 'name'");
    STRATA_ASSIGN_OR_RETURN(spec.name, name->String());
    Status valid = lake::ValidateNamePart("source name", spec.name);
    if (!valid.ok()) return name->Error(valid.message());
    std::string layer = "bronze";
    if (auto field = pick("layer")) {
      STRATA_ASSIGN_OR_RETURN(layer, field->String());
      Status ok = lake::ValidateNamePart("layer", layer);
      if (!ok.ok()) return field->Error(ok.message());
    }
    spec.table = {layer, spec.name};
    if (auto table = item.Get("table")) {
      STRATA_ASSIGN_OR_RETURN(std::string text, table->String());
      Result<lake::TableName> parsed = lake::ParseTableName(text);
      if (!parsed.ok()) return table->Error(parsed.status().message());
      spec.table = *parsed;
    }
    if (auto format = pick("format")) {
      STRATA_ASSIGN_OR_RETURN(spec.format, format->Choice({"csv", "jsonl", "parquet"}));
    }
    if (defaults) {
      if (auto csv = defaults->Get("csv")) STRATA_RETURN_IF_ERROR(ParseCsv(*csv, spec.csv));
    }
    if (auto csv = item.Get("csv")) STRATA_RETURN_IF_ERROR(ParseCsv(*csv, spec.csv));
    std::optional<YamlField> files = item.Get("files");
    if (!files) return item.Error("missing field 'files' (glob patterns under landing/)");
    STRATA_ASSIGN_OR_RETURN(spec.file_patterns, files->StringList());
    STRATA_ASSIGN_OR_RETURN(spec.description, GetString(item, "description"));
    if (auto owner = pick("owner")) {
      STRATA_ASSIGN_OR_RETURN(spec.owner, owner->String());
    }
    if (auto tags = pick("tags")) {
      STRATA_ASSIGN_OR_RETURN(spec.tags, tags->StringList());
    }
    STRATA_ASSIGN_OR_RETURN(source.glossary, GetStringList(item, "glossary"));
    STRATA_ASSIGN_OR_RETURN(spec.key, GetStringList(item, "key"));
    if (auto columns = item.Get("columns")) {
      STRATA_RETURN_IF_ERROR(ParseColumnDocs(*columns, true, &spec.columns).status());
    }
    for (const std::string& key : spec.key) {
      bool declared = spec.columns.empty();
      for (const auto& column : spec.columns) declared = declared || column.name == key;
      if (!declared) return item.Get("key")->Error("key column '" + key + "' is not in columns");
    }
    if (auto tests = item.Get("tests")) {
      STRATA_ASSIGN_OR_RETURN(source.tests, ParseTests(*tests));
      for (const TestSpec& test : source.tests) {
        if (test.action == TestAction::kQuarantine) {
          return tests->Error("test '" + test.name +
                              "': sources quarantine untypable rows themselves; use warn or "
                              "fail on a source test");
        }
      }
    }
    project.sources.push_back(std::move(source));
  }
  return Status::OK();
}

// The apply_changes fields (`sequence_by`, `history`, `except_columns`), which only that
// materialization takes.
Status ParseApplyChanges(const YamlField& root, const std::optional<YamlField>& materialized,
                         ModelSpec& model) {
  const bool apply = model.materialized == Materialization::kApplyChanges;
  for (const char* field : {"sequence_by", "history", "except_columns"}) {
    if (auto f = root.Get(field); f && !apply) {
      return f->Error("only a model with 'materialized: apply_changes' takes '" +
                      std::string(field) + "'");
    }
  }
  if (!apply) return Status::OK();
  ApplyChangesSpec& spec = model.apply;
  if (model.key.empty()) {
    return materialized->Error(
        "apply_changes mirrors a table by its key: add 'key: [column, ...]' (the source "
        "table's primary key)");
  }
  spec.key_where = root.Get("key")->location();
  spec.sequence_where = materialized->location();
  if (auto seq = root.Get("sequence_by")) {
    STRATA_ASSIGN_OR_RETURN(spec.sequence_by, seq->String());
    if (spec.sequence_by.empty()) return seq->Error("expected a column name");
    spec.sequence_where = seq->location();
  }
  if (auto history = root.Get("history")) {
    STRATA_ASSIGN_OR_RETURN(std::string text, history->Choice({"scd1", "scd2"}));
    spec.history =
        text == "scd1" ? ApplyChangesSpec::History::kScd1 : ApplyChangesSpec::History::kScd2;
  }
  spec.except_where = materialized->location();
  if (auto except = root.Get("except_columns")) {
    STRATA_ASSIGN_OR_RETURN(spec.except_columns, except->StringList());
    spec.except_where = except->location();
    for (const std::string& column : *spec.except_columns) {
      for (const std::string& key : model.key) {
        if (Lower(column) == Lower(key)) {
          return except->Error("key column '" + key + "' cannot be dropped");
        }
      }
    }
  }
  for (const TestSpec& test : model.tests) {
    if (test.action == TestAction::kQuarantine) {
      return Status::InvalidArgument(
          test.where.ToString() + ": test '" + test.name +
          "': an apply_changes table mirrors its source and tests it after each apply; use warn "
          "or fail, not quarantine");
    }
  }
  return Status::OK();
}

Status ParseModelMeta(const YamlField& root, ModelSpec& model) {
  STRATA_RETURN_IF_ERROR(
      root.CheckKeys({"description", "owner", "tags", "glossary", "materialized", "key",
                      "sequence_by", "history", "except_columns", "columns", "tests"}));
  STRATA_ASSIGN_OR_RETURN(model.description, GetString(root, "description"));
  STRATA_ASSIGN_OR_RETURN(model.owner, GetString(root, "owner"));
  STRATA_ASSIGN_OR_RETURN(model.tags, GetStringList(root, "tags"));
  STRATA_ASSIGN_OR_RETURN(model.glossary, GetStringList(root, "glossary"));
  STRATA_ASSIGN_OR_RETURN(model.key, GetStringList(root, "key"));
  std::optional<YamlField> materialized = root.Get("materialized");
  if (materialized) {
    STRATA_ASSIGN_OR_RETURN(
        std::string text, materialized->Choice({"table", "incremental", "merge", "apply_changes"}));
    model.materialized = text == "table"         ? Materialization::kTable
                         : text == "incremental" ? Materialization::kIncremental
                         : text == "merge"       ? Materialization::kMerge
                                                 : Materialization::kApplyChanges;
    if (model.materialized == Materialization::kMerge && model.key.empty()) {
      return materialized->Error("merge upserts on the model's key: add 'key: [column, ...]'");
    }
  }
  if (auto columns = root.Get("columns")) {
    STRATA_ASSIGN_OR_RETURN(model.columns, ParseColumnDocs(*columns, false, nullptr));
  }
  if (auto tests = root.Get("tests")) {
    STRATA_ASSIGN_OR_RETURN(model.tests, ParseTests(*tests));
  }
  return ParseApplyChanges(root, materialized, model);
}

// Splits a leading `/*--- yaml ---*/` block off `sql`; returns the YAML and its first line.
std::optional<std::pair<std::string, int>> TakeHeader(std::string& sql) {
  size_t start = sql.find_first_not_of(" \t\r\n");
  if (start == std::string::npos || sql.compare(start, 5, "/*---") != 0) return std::nullopt;
  size_t end = sql.find("---*/", start + 5);
  if (end == std::string::npos) return std::nullopt;
  std::string yaml = sql.substr(start + 5, end - start - 5);
  int line = static_cast<int>(std::count(sql.begin(), sql.begin() + start, '\n'));
  // Blank the header but keep its newlines, so SQL error positions keep their line numbers.
  for (size_t i = start; i < end + 5; ++i) {
    if (sql[i] != '\n') sql[i] = ' ';
  }
  return std::make_pair(std::move(yaml), line);
}

// Moves the metadata in the header of `model.sql` (if any) into `model`.
Status ParseModelHeader(ModelSpec& model, const std::string& display) {
  std::optional<std::pair<std::string, int>> header = TakeHeader(model.sql);
  if (!header) return Status::OK();
  STRATA_ASSIGN_OR_RETURN(auto doc, YamlDocument::Parse(header->first, display, header->second));
  STRATA_RETURN_IF_ERROR(ParseModelMeta(doc->Root(), model));
  model.meta_file = display;
  return Status::OK();
}

Status LoadModels(const fs::path& root, Project& project) {
  fs::path models_dir = root / "models";
  std::error_code ec;
  if (!fs::is_directory(models_dir, ec)) return Status::OK();
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(models_dir, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  if (ec) return Status::IOError("models/: " + ec.message());
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    std::string display = Relative(file, root);
    std::string ext = file.extension().string();
    if (ext != ".sql" && ext != ".yaml" && ext != ".yml") continue;
    fs::path parent = file.parent_path();
    if (parent.parent_path() != models_dir) {
      return Status::InvalidArgument(display + ": models live in models/<layer>/<name>.sql");
    }
    std::string layer = parent.filename().string();
    std::string name = file.stem().string();
    Status valid_layer = lake::ValidateNamePart("layer", layer);
    Status valid_name = lake::ValidateNamePart("model name", name);
    if (!valid_layer.ok() || !valid_name.ok()) {
      return Status::InvalidArgument(
          display + ": " + (valid_layer.ok() ? valid_name.message() : valid_layer.message()));
    }
    if (ext != ".sql") {
      fs::path sql = file;
      sql.replace_extension(".sql");
      if (!fs::exists(sql)) {
        return Status::InvalidArgument(
            display + ": metadata without a model: " + Relative(sql, root) + " does not exist");
      }
      continue;
    }
    ModelSpec model;
    model.table = {layer, name};
    model.sql_file = display;
    model.where = {display, 1, 1};
    STRATA_ASSIGN_OR_RETURN(model.sql, ReadText(file, display));
    STRATA_RETURN_IF_ERROR(ParseModelHeader(model, display));
    for (const char* meta_ext : {".yaml", ".yml"}) {
      fs::path meta = file;
      meta.replace_extension(meta_ext);
      if (!fs::exists(meta)) continue;
      std::string meta_display = Relative(meta, root);
      if (!model.meta_file.empty()) {
        return Status::InvalidArgument(meta_display + ": " + model.meta_file +
                                       " already holds this model's metadata; keep one of them");
      }
      STRATA_ASSIGN_OR_RETURN(auto doc, YamlDocument::Load(meta.string(), meta_display));
      if (!doc->Root().IsNull()) STRATA_RETURN_IF_ERROR(ParseModelMeta(doc->Root(), model));
      model.meta_file = meta_display;
    }
    if (model.sql.find_first_not_of(" \t\r\n") == std::string::npos) {
      return Status::InvalidArgument(display + ": the model has no SQL (expected one SELECT)");
    }
    project.models.push_back(std::move(model));
  }
  return Status::OK();
}

}  // namespace

const char* MaterializationName(Materialization m) {
  switch (m) {
    case Materialization::kTable:
      return "table";
    case Materialization::kIncremental:
      return "incremental";
    case Materialization::kMerge:
      return "merge";
    case Materialization::kApplyChanges:
      return "apply_changes";
  }
  return "?";
}

lake::TableName ModelSpec::QuarantineTable() const { return lake::QuarantineTableOf(table); }

std::string Project::StoragePath() const {
  if (config.storage.find("://") != std::string::npos) return config.storage;
  return (fs::path(root) / config.storage).lexically_normal().string();
}
std::string Project::LandingPath() const {
  return (fs::path(root) / config.landing).lexically_normal().string();
}
std::string Project::SecretsPath() const {
  return (fs::path(root) / ".strata" / "secrets").string();
}
std::string Project::SourceStatePath() const {
  return (fs::path(root) / ".strata" / "cdc").string();
}

const ModelSpec* Project::FindModel(const lake::TableName& table) const {
  for (const ModelSpec& model : models) {
    if (model.table == table) return &model;
  }
  return nullptr;
}

const SourceSpec* Project::FindSource(const lake::TableName& table) const {
  for (const SourceSpec& source : sources) {
    if (source.spec.table == table) return &source;
  }
  return nullptr;
}

Status ParseProjectText(ProjectFile kind, std::string text, const std::string& display,
                        Project& project) {
  if (kind == ProjectFile::kModel) {
    ModelSpec model;
    model.sql = std::move(text);
    STRATA_RETURN_IF_ERROR(ParseModelHeader(model, display));
    project.models.push_back(std::move(model));
    return Status::OK();
  }
  STRATA_ASSIGN_OR_RETURN(auto doc, YamlDocument::Parse(std::move(text), display));
  switch (kind) {
    case ProjectFile::kConfig:
      return ParseConfig(doc->Root(), project.config);
    case ProjectFile::kSources:
      return doc->Root().IsNull() ? Status::OK() : ParseSourceFile(doc->Root(), project);
    case ProjectFile::kModelMeta: {
      ModelSpec model;
      if (!doc->Root().IsNull()) STRATA_RETURN_IF_ERROR(ParseModelMeta(doc->Root(), model));
      project.models.push_back(std::move(model));
      return Status::OK();
    }
    case ProjectFile::kModel:
      break;
  }
  return Status::OK();
}

Result<Project> LoadProjectConfig(const std::string& directory) {
  std::error_code ec;
  fs::path root = fs::absolute(directory, ec).lexically_normal();
  if (!root.has_filename()) root = root.parent_path();
  Project project;
  project.root = root.string();
  fs::path config_file = root / "strata.yaml";
  if (!fs::exists(config_file)) {
    return Status::NotFound(directory + ": not a strata project (no strata.yaml; 'strata init " +
                            directory + "' creates one)");
  }
  STRATA_ASSIGN_OR_RETURN(std::string text, ReadText(config_file, "strata.yaml"));
  STRATA_RETURN_IF_ERROR(
      ParseProjectText(ProjectFile::kConfig, std::move(text), "strata.yaml", project));
  return project;
}

Result<Project> LoadProject(const std::string& directory) {
  std::error_code ec;
  STRATA_ASSIGN_OR_RETURN(Project project, LoadProjectConfig(directory));
  fs::path root = project.root;

  std::vector<fs::path> source_files;
  if (fs::is_directory(root / "sources", ec)) {
    for (const auto& entry : fs::directory_iterator(root / "sources", ec)) {
      std::string ext = entry.path().extension().string();
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
        source_files.push_back(entry.path());
      }
    }
  }
  std::sort(source_files.begin(), source_files.end());
  for (const fs::path& file : source_files) {
    const std::string display = Relative(file, root);
    STRATA_ASSIGN_OR_RETURN(std::string text, ReadText(file, display));
    STRATA_RETURN_IF_ERROR(
        ParseProjectText(ProjectFile::kSources, std::move(text), display, project));
  }
  STRATA_RETURN_IF_ERROR(LoadModels(root, project));

  // One definition per table, across sources and models.
  std::map<std::string, std::string> defined;
  auto define = [&](const lake::TableName& table, const SourceLocation& where) -> Status {
    auto [it, inserted] = defined.emplace(table.ToString(), where.ToString());
    if (!inserted) {
      return Status::InvalidArgument(where.ToString() + ": table " + table.ToString() +
                                     " is already defined at " + it->second);
    }
    return Status::OK();
  };
  for (const SourceSpec& source : project.sources) {
    STRATA_RETURN_IF_ERROR(define(source.spec.table, source.where));
  }
  for (const ModelSpec& model : project.models) {
    STRATA_RETURN_IF_ERROR(define(model.table, model.where));
  }
  return project;
}

std::optional<std::string> FindProjectRoot(const std::string& start) {
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec).lexically_normal();
  while (!dir.empty()) {
    if (fs::exists(dir / "strata.yaml", ec)) return dir.string();
    if (dir == dir.parent_path()) break;
    dir = dir.parent_path();
  }
  return std::nullopt;
}

}  // namespace strata::pipeline
