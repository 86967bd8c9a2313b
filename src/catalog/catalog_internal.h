// Helpers shared by the catalog's .cc files; private to src/catalog.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/store.h"

namespace strata::catalog::internal {

// The columns of `assets` read by ReadAsset, in order.
extern const char* const kAssetColumns;
AssetInfo ReadAsset(const SqlRow& row);

std::string SourceName(MetadataSource source);
// The sources a write from `source` may overwrite ('crawler', 'project', ... as SQL list).
std::string OverwritableSources(MetadataSource source);

Result<std::optional<int64_t>> FindAssetId(Store& store, const std::string& name);
// The id of a live asset, or NotFound naming it (with "table" etc. from `what`).
Result<int64_t> RequireAssetId(Store& store, const std::string& name, const std::string& what);
// Creates the asset if missing (un-removing it if removed) and returns its id. The kind of an
// existing asset is kept.
Result<int64_t> EnsureAsset(Store& store, const std::string& kind, const std::string& name,
                            std::optional<int64_t> parent_id, const std::string& display_name,
                            const std::string& layer);
// Ensures "table.column" exists as a column of `table_id`.
Result<int64_t> EnsureColumn(Store& store, int64_t table_id, const std::string& table,
                             const std::string& column);
// "file" for paths and URIs (they contain '/'), "table" otherwise.
std::string KindForName(const std::string& name);

// Sets a description/owner field unless a stronger source set it. `field` is description or
// owner.
Status SetSourcedField(Store& store, int64_t id, const std::string& field, const std::string& value,
                       MetadataSource source);
// Replaces the labels of `kind` that came from `source` with `labels`, keeping user-added
// labels and never re-adding labels a user removed.
Status ReplaceLabels(Store& store, int64_t id, const std::string& kind,
                     const std::vector<std::string>& labels, MetadataSource source);

// Rebuilds the search document of one asset (removes it if the asset is removed).
Status RefreshSearch(Store& store, int64_t id);

}  // namespace strata::catalog::internal
