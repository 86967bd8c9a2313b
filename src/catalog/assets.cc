// GCC 12 at -O3 reports a false -Wmaybe-uninitialized when copying a std::variant SqlParam
// built from an optional (GCC bug 105562 family); silenced before any header.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// Asset helpers (catalog_internal.h): lookups, creation, sourced fields, labels.
#include <set>

#include "catalog/catalog_internal.h"

namespace strata::catalog::internal {

const char* const kAssetColumns =
    "id, kind, name, display_name, layer, format, location, data_type, description, owner, "
    "description_source, owner_source, version, row_count, size_bytes, data_updated_at, state, "
    "created_at, updated_at";

AssetInfo ReadAsset(const SqlRow& row) {
  AssetInfo a;
  a.id = row.Int(0);
  a.kind = row.Text(1);
  a.name = row.Text(2);
  a.display_name = row.Text(3);
  a.layer = row.Text(4);
  a.format = row.Text(5);
  a.location = row.Text(6);
  a.data_type = row.Text(7);
  a.description = row.Text(8);
  a.owner = row.Text(9);
  a.description_source = row.Text(10);
  a.owner_source = row.Text(11);
  a.version = row.OptInt(12);
  a.row_count = row.OptInt(13);
  a.size_bytes = row.OptInt(14);
  a.data_updated_at = row.Text(15);
  a.state = row.Text(16);
  a.created_at = row.Text(17);
  a.updated_at = row.Text(18);
  return a;
}

std::string SourceName(MetadataSource source) {
  switch (source) {
    case MetadataSource::kCrawler:
      return "crawler";
    case MetadataSource::kProject:
      return "project";
    case MetadataSource::kUser:
      return "user";
  }
  return "project";
}

std::string OverwritableSources(MetadataSource source) {
  switch (source) {
    case MetadataSource::kCrawler:
      return "('crawler')";
    case MetadataSource::kProject:
      return "('crawler', 'project')";
    case MetadataSource::kUser:
      return "('crawler', 'project', 'user')";
  }
  return "('crawler')";
}

std::string KindForName(const std::string& name) {
  return name.find('/') != std::string::npos ? "file" : "table";
}

Result<std::optional<int64_t>> FindAssetId(Store& store, const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows, store.Query("SELECT id FROM assets WHERE name = ? AND removed = 0", {name}));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows[0].Int(0));
}

Result<int64_t> RequireAssetId(Store& store, const std::string& name, const std::string& what) {
  STRATA_ASSIGN_OR_RETURN(std::optional<int64_t> id, FindAssetId(store, name));
  if (!id) return Status::NotFound(what + " '" + name + "' is not in the catalog");
  return *id;
}

Result<int64_t> EnsureAsset(Store& store, const std::string& kind, const std::string& name,
                            std::optional<int64_t> parent_id, const std::string& display_name,
                            const std::string& layer) {
  std::string now = NowIso8601();
  SqlParam parent = parent_id ? SqlParam(*parent_id) : SqlParam();
  SqlParam layer_param = layer.empty() ? SqlParam() : SqlParam(layer);
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows,
      store.Query("INSERT INTO assets (kind, name, parent_id, display_name, layer, created_at, "
                  "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                  "removed = 0, parent_id = COALESCE(excluded.parent_id, assets.parent_id), "
                  "layer = COALESCE(excluded.layer, assets.layer) RETURNING id",
                  {kind, name, parent, display_name, layer_param, now, now}));
  if (rows.empty()) return Status::Internal("asset upsert returned no id for " + name);
  return rows[0].Int(0);
}

Result<int64_t> EnsureColumn(Store& store, int64_t table_id, const std::string& table,
                             const std::string& column) {
  STRATA_ASSIGN_OR_RETURN(SqlRows layer,
                          store.Query("SELECT layer FROM assets WHERE id = ?", {table_id}));
  return EnsureAsset(store, "column", table + "." + column, table_id, column,
                     layer.empty() ? "" : layer[0].Text(0));
}

Status SetSourcedField(Store& store, int64_t id, const std::string& field, const std::string& value,
                       MetadataSource source) {
  if (field != "description" && field != "owner") {
    return Status::Internal("not a sourced field: " + field);
  }
  std::string sql = "UPDATE assets SET " + field + " = ?, " + field +
                    "_source = ?, updated_at = ? " + "WHERE id = ? AND (" + field +
                    "_source IS NULL OR " + field + "_source IN " + OverwritableSources(source) +
                    ")";
  return store.Execute(sql, {value, SourceName(source), NowIso8601(), id});
}

Status ReplaceLabels(Store& store, int64_t id, const std::string& kind,
                     const std::vector<std::string>& labels, MetadataSource source) {
  std::string from = SourceName(source);
  STRATA_ASSIGN_OR_RETURN(
      SqlRows existing,
      store.Query("SELECT label, source FROM asset_labels WHERE asset_id = ? AND kind = ?",
                  {id, kind}));
  std::set<std::string> wanted(labels.begin(), labels.end());
  for (const SqlRow& row : existing) {
    const std::string& label = row.Text(0);
    const std::string& label_source = row.Text(1);
    bool ours =
        label_source == from || (source == MetadataSource::kProject && label_source == "crawler");
    if (ours && !wanted.contains(label)) {
      STRATA_RETURN_IF_ERROR(
          store.Execute("DELETE FROM asset_labels WHERE asset_id = ? AND kind = ? AND label = ?",
                        {id, kind, label}));
    }
    // Present from another source (user, or removed by a user): leave it as it is.
    wanted.erase(label);
  }
  for (const std::string& label : wanted) {
    if (label.empty()) continue;
    STRATA_RETURN_IF_ERROR(store.Execute(
        "INSERT INTO asset_labels (asset_id, kind, label, source) VALUES (?, ?, ?, ?)",
        {id, kind, label, from}));
  }
  return Status::OK();
}

}  // namespace strata::catalog::internal
