// GCC 12 at -O3 reports a false -Wmaybe-uninitialized when copying a std::variant SqlParam
// built from an optional (GCC bug 105562 family); silenced before any header.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// Catalog: opening, table/pipeline/layer upserts and user edits.
#include "catalog/catalog.h"

#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "catalog/catalog_internal.h"
#include "common/clock.h"

namespace strata::catalog {

using internal::EnsureAsset;
using internal::EnsureColumn;
using internal::FindAssetId;
using internal::RefreshSearch;
using internal::ReplaceLabels;
using internal::RequireAssetId;
using internal::SetSourcedField;

namespace {

using Schema = std::vector<std::pair<std::string, std::string>>;  // (name, type) in order

std::string SchemaJson(const Schema& schema) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& [name, type] : schema) j.push_back({{"name", name}, {"type", type}});
  return j.dump();
}

Schema ParseSchemaJson(const std::string& text) {
  Schema schema;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return schema;
  for (const auto& c : j) {
    if (c.is_object()) schema.emplace_back(c.value("name", ""), c.value("type", ""));
  }
  return schema;
}

// "added x INTEGER; dropped y; z: INTEGER -> BIGINT" (empty when equal; "created" for none).
std::string DescribeChanges(const std::optional<Schema>& before, const Schema& after) {
  if (!before) return "created";
  std::map<std::string, std::string> old_types(before->begin(), before->end());
  std::map<std::string, std::string> new_types(after.begin(), after.end());
  std::string out;
  auto add = [&out](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  for (const auto& [name, type] : after) {
    auto it = old_types.find(name);
    if (it == old_types.end()) {
      add("added " + name + " " + type);
    } else if (it->second != type) {
      add(name + ": " + it->second + " -> " + type);
    }
  }
  for (const auto& [name, type] : *before) {
    if (!new_types.contains(name)) add("dropped " + name);
  }
  if (out.empty() && *before != after) out = "columns reordered";
  return out;
}

SqlParam OptParam(const std::optional<int64_t>& v) { return v ? SqlParam(*v) : SqlParam(); }
SqlParam TextParam(const std::string& s) { return s.empty() ? SqlParam() : SqlParam(s); }

}  // namespace

std::string NowIso8601() {
  std::time_t t = static_cast<std::time_t>(Clock::System().NowMicros() / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

Catalog::Catalog(std::unique_ptr<Store> store) : store_(std::move(store)) {}
Catalog::~Catalog() = default;

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& location) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(location));
  return Open(std::move(store));
}

Result<std::unique_ptr<Catalog>> Catalog::Open(std::unique_ptr<Store> store) {
  if (!store) return Status::InvalidArgument("no catalog store");
  STRATA_RETURN_IF_ERROR(Migrate(*store));
  return std::unique_ptr<Catalog>(new Catalog(std::move(store)));
}

Result<UpsertOutcome> Catalog::UpsertTable(const TableMetadata& table) {
  if (table.name.empty()) return Status::InvalidArgument("table metadata without a name");
  std::string layer = table.layer;
  if (layer.empty() && table.name.find('/') == std::string::npos) {
    layer = table.name.substr(0, table.name.find('.'));
  }
  std::string display = table.name.substr(table.name.find_last_of("./") + 1);
  Store& s = *store_;
  WriteTransaction tx(s);
  STRATA_RETURN_IF_ERROR(tx.Begin());
  UpsertOutcome outcome;
  STRATA_ASSIGN_OR_RETURN(std::optional<int64_t> existing, FindAssetId(s, table.name));
  outcome.created = !existing.has_value();
  std::optional<int64_t> layer_id;
  if (!layer.empty()) {
    STRATA_ASSIGN_OR_RETURN(layer_id, EnsureAsset(s, "layer", layer, std::nullopt, layer, layer));
  }
  STRATA_ASSIGN_OR_RETURN(int64_t id,
                          EnsureAsset(s, "table", table.name, layer_id, display, layer));
  std::string format = table.format.empty() && outcome.created ? "delta" : table.format;
  STRATA_RETURN_IF_ERROR(s.Execute(
      "UPDATE assets SET format = COALESCE(?, format), location = COALESCE(?, location), "
      "version = COALESCE(?, version), row_count = COALESCE(?, row_count), "
      "size_bytes = COALESCE(?, size_bytes), data_updated_at = COALESCE(?, data_updated_at), "
      "updated_at = ? WHERE id = ?",
      {TextParam(format), TextParam(table.location), OptParam(table.version),
       OptParam(table.row_count), OptParam(table.size_bytes), TextParam(table.data_updated_at),
       NowIso8601(), id}));
  if (!table.description.empty()) {
    STRATA_RETURN_IF_ERROR(SetSourcedField(s, id, "description", table.description, table.source));
  }
  if (!table.owner.empty()) {
    STRATA_RETURN_IF_ERROR(SetSourcedField(s, id, "owner", table.owner, table.source));
  }
  STRATA_RETURN_IF_ERROR(ReplaceLabels(s, id, "tag", table.tags, table.source));
  STRATA_RETURN_IF_ERROR(ReplaceLabels(s, id, "glossary", table.glossary, table.source));

  if (!table.columns.empty()) {
    Schema schema;
    std::set<std::string> names;
    for (size_t i = 0; i < table.columns.size(); ++i) {
      const ColumnMetadata& c = table.columns[i];
      if (c.name.empty())
        return Status::InvalidArgument("table " + table.name + ": column without a name");
      schema.emplace_back(c.name, c.type);
      names.insert(c.name);
      STRATA_ASSIGN_OR_RETURN(int64_t cid, EnsureColumn(s, id, table.name, c.name));
      STRATA_RETURN_IF_ERROR(
          s.Execute("UPDATE assets SET data_type = COALESCE(?, data_type), position = ?, "
                    "updated_at = ? WHERE id = ?",
                    {TextParam(c.type), static_cast<int64_t>(i), NowIso8601(), cid}));
      if (!c.description.empty()) {
        STRATA_RETURN_IF_ERROR(SetSourcedField(s, cid, "description", c.description, table.source));
      }
      STRATA_RETURN_IF_ERROR(ReplaceLabels(s, cid, "tag", c.tags, table.source));
      if (!c.declared_class.empty()) {
        STRATA_RETURN_IF_ERROR(s.Execute(
            "INSERT INTO classifications (column_id, class, status, confidence, method, "
            "evidence, updated_at) VALUES (?, ?, 'confirmed', 1.0, 'declared', ?, ?) "
            "ON CONFLICT (column_id, class) DO UPDATE SET status = CASE WHEN "
            "classifications.status = 'rejected' THEN 'rejected' ELSE 'confirmed' END, "
            "method = CASE WHEN classifications.status = 'rejected' THEN classifications.method "
            "ELSE 'declared' END, updated_at = excluded.updated_at",
            {cid, c.declared_class, std::string(R"({"declared_in":"project metadata"})"),
             NowIso8601()}));
      }
      STRATA_RETURN_IF_ERROR(RefreshSearch(s, cid));
    }
    STRATA_ASSIGN_OR_RETURN(
        SqlRows old_columns,
        s.Query("SELECT id, display_name FROM assets WHERE parent_id = ? AND kind = 'column' "
                "AND removed = 0",
                {id}));
    for (const SqlRow& row : old_columns) {
      if (names.contains(row.Text(1))) continue;
      STRATA_RETURN_IF_ERROR(s.Execute("UPDATE assets SET removed = 1, updated_at = ? WHERE id = ?",
                                       {NowIso8601(), row.Int(0)}));
      STRATA_RETURN_IF_ERROR(RefreshSearch(s, row.Int(0)));
    }
    STRATA_ASSIGN_OR_RETURN(
        SqlRows last, s.Query("SELECT version, schema_json FROM schema_history WHERE table_id = ? "
                              "ORDER BY version DESC LIMIT 1",
                              {id}));
    std::optional<Schema> before;
    if (!last.empty()) before = ParseSchemaJson(last[0].Text(1));
    std::string changes = DescribeChanges(before, schema);
    if (!changes.empty()) {
      int64_t version = table.version.value_or(last.empty() ? 0 : last[0].Int(0) + 1);
      outcome.schema_changed = true;
      outcome.changes = changes;
      STRATA_RETURN_IF_ERROR(s.Execute(
          "INSERT INTO schema_history (table_id, version, schema_json, changes, recorded_at) "
          "VALUES (?, ?, ?, ?, ?) ON CONFLICT (table_id, version) DO UPDATE SET "
          "schema_json = excluded.schema_json, changes = excluded.changes",
          {id, version, SchemaJson(schema), changes, NowIso8601()}));
    }
  }
  STRATA_RETURN_IF_ERROR(RefreshSearch(s, id));
  STRATA_RETURN_IF_ERROR(tx.Commit());
  return outcome;
}

Status Catalog::UpsertLayer(const std::string& name, const std::string& description,
                            const std::string& owner) {
  if (name.empty()) return Status::InvalidArgument("layer without a name");
  WriteTransaction tx(*store_);
  STRATA_RETURN_IF_ERROR(tx.Begin());
  STRATA_ASSIGN_OR_RETURN(int64_t id,
                          EnsureAsset(*store_, "layer", name, std::nullopt, name, name));
  if (!description.empty()) {
    STRATA_RETURN_IF_ERROR(
        SetSourcedField(*store_, id, "description", description, MetadataSource::kProject));
  }
  if (!owner.empty()) {
    STRATA_RETURN_IF_ERROR(SetSourcedField(*store_, id, "owner", owner, MetadataSource::kProject));
  }
  STRATA_RETURN_IF_ERROR(RefreshSearch(*store_, id));
  return tx.Commit();
}

Status Catalog::UpsertPipeline(const PipelineMetadata& pipeline) {
  if (pipeline.name.empty()) return Status::InvalidArgument("pipeline metadata without a name");
  Store& s = *store_;
  WriteTransaction tx(s);
  STRATA_RETURN_IF_ERROR(tx.Begin());
  std::string name = "pipeline:" + pipeline.name;
  STRATA_ASSIGN_OR_RETURN(int64_t id,
                          EnsureAsset(s, "pipeline", name, std::nullopt, pipeline.name, ""));
  if (!pipeline.description.empty()) {
    STRATA_RETURN_IF_ERROR(
        SetSourcedField(s, id, "description", pipeline.description, MetadataSource::kProject));
  }
  if (!pipeline.owner.empty()) {
    STRATA_RETURN_IF_ERROR(
        SetSourcedField(s, id, "owner", pipeline.owner, MetadataSource::kProject));
  }
  STRATA_RETURN_IF_ERROR(ReplaceLabels(s, id, "tag", pipeline.tags, MetadataSource::kProject));
  if (!pipeline.location.empty()) {
    STRATA_RETURN_IF_ERROR(s.Execute("UPDATE assets SET location = ? WHERE id = ?",
                                     {TextParam(pipeline.location), id}));
  }
  std::set<std::string> live;
  for (const PipelineState& state : pipeline.states) {
    std::string task = name + "/" + state.name;
    live.insert(task);
    STRATA_ASSIGN_OR_RETURN(int64_t tid, EnsureAsset(s, "task", task, id, state.name, ""));
    STRATA_RETURN_IF_ERROR(
        s.Execute("UPDATE assets SET format = ?, location = ?, updated_at = ? WHERE id = ?",
                  {TextParam(state.type), TextParam(state.resource), NowIso8601(), tid}));
    if (!state.description.empty()) {
      STRATA_RETURN_IF_ERROR(
          SetSourcedField(s, tid, "description", state.description, MetadataSource::kProject));
    }
    if (!pipeline.owner.empty()) {
      STRATA_RETURN_IF_ERROR(
          SetSourcedField(s, tid, "owner", pipeline.owner, MetadataSource::kProject));
    }
    STRATA_RETURN_IF_ERROR(RefreshSearch(s, tid));
  }
  STRATA_ASSIGN_OR_RETURN(
      SqlRows tasks, s.Query("SELECT id, name FROM assets WHERE parent_id = ? AND kind = 'task' "
                             "AND removed = 0",
                             {id}));
  for (const SqlRow& row : tasks) {
    if (live.contains(row.Text(1))) continue;
    STRATA_RETURN_IF_ERROR(s.Execute("UPDATE assets SET removed = 1 WHERE id = ?", {row.Int(0)}));
    STRATA_RETURN_IF_ERROR(RefreshSearch(s, row.Int(0)));
  }
  STRATA_RETURN_IF_ERROR(RefreshSearch(s, id));
  return tx.Commit();
}

Status Catalog::RemoveAsset(const std::string& name) {
  WriteTransaction tx(*store_);
  STRATA_RETURN_IF_ERROR(tx.Begin());
  STRATA_ASSIGN_OR_RETURN(int64_t id, RequireAssetId(*store_, name, "asset"));
  STRATA_ASSIGN_OR_RETURN(SqlRows children,
                          store_->Query("SELECT id FROM assets WHERE parent_id = ?", {id}));
  STRATA_RETURN_IF_ERROR(
      store_->Execute("UPDATE assets SET removed = 1, updated_at = ? WHERE id = ? OR parent_id = ?",
                      {NowIso8601(), id, id}));
  for (const SqlRow& child : children) {
    STRATA_RETURN_IF_ERROR(RefreshSearch(*store_, child.Int(0)));
  }
  STRATA_RETURN_IF_ERROR(RefreshSearch(*store_, id));
  return tx.Commit();
}

Status Catalog::SetOwner(const std::string& name, const std::string& owner) {
  WriteTransaction tx(*store_);
  STRATA_RETURN_IF_ERROR(tx.Begin());
  STRATA_ASSIGN_OR_RETURN(int64_t id, RequireAssetId(*store_, name, "asset"));
  STRATA_RETURN_IF_ERROR(SetSourcedField(*store_, id, "owner", owner, MetadataSource::kUser));
  STRATA_RETURN_IF_ERROR(RefreshSearch(*store_, id));
  return tx.Commit();
}

Status Catalog::SetDescription(const std::string& name, const std::string& description) {
  WriteTransaction tx(*store_);
  STRATA_RETURN_IF_ERROR(tx.Begin());
  STRATA_ASSIGN_OR_RETURN(int64_t id, RequireAssetId(*store_, name, "asset"));
  STRATA_RETURN_IF_ERROR(
      SetSourcedField(*store_, id, "description", description, MetadataSource::kUser));
  STRATA_RETURN_IF_ERROR(RefreshSearch(*store_, id));
  return tx.Commit();
}

Status Catalog::AddLabel(const std::string& name, const std::string& kind,
                         const std::string& label) {
  if (kind != "tag" && kind != "glossary")
    return Status::InvalidArgument("label kind must be tag or glossary");
  if (label.empty()) return Status::InvalidArgument("empty " + kind);
  WriteTransaction tx(*store_);
  STRATA_RETURN_IF_ERROR(tx.Begin());
  STRATA_ASSIGN_OR_RETURN(int64_t id, RequireAssetId(*store_, name, "asset"));
  STRATA_RETURN_IF_ERROR(store_->Execute(
      "INSERT INTO asset_labels (asset_id, kind, label, source) VALUES (?, ?, ?, 'user') "
      "ON CONFLICT (asset_id, kind, label) DO UPDATE SET source = 'user'",
      {id, kind, label}));
  STRATA_RETURN_IF_ERROR(RefreshSearch(*store_, id));
  return tx.Commit();
}

Status Catalog::RemoveLabel(const std::string& name, const std::string& kind,
                            const std::string& label) {
  WriteTransaction tx(*store_);
  STRATA_RETURN_IF_ERROR(tx.Begin());
  STRATA_ASSIGN_OR_RETURN(int64_t id, RequireAssetId(*store_, name, "asset"));
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows, store_->Query("SELECT source FROM asset_labels WHERE asset_id = ? AND kind = ? "
                                  "AND label = ? AND source <> 'removed'",
                                  {id, kind, label}));
  if (rows.empty()) return Status::NotFound(name + " has no " + kind + " '" + label + "'");
  // A removed project label is remembered as removed so the next sync does not bring it back.
  STRATA_RETURN_IF_ERROR(store_->Execute(
      "UPDATE asset_labels SET source = 'removed' WHERE asset_id = ? AND kind = ? AND label = ?",
      {id, kind, label}));
  STRATA_RETURN_IF_ERROR(RefreshSearch(*store_, id));
  return tx.Commit();
}

}  // namespace strata::catalog
