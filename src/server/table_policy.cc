#include "server/table_policy.h"

#include <string>
#include <vector>

#include "server/context.h"

namespace strata::server {

Result<access::TableRef> TableRefOf(ServerContext& context, const lake::TableName& table) {
  access::TableRef ref{table.layer, table.name, {}};
  Result<catalog::AssetInfo> asset =
      context.WithCatalog([&](catalog::Catalog& c) { return c.GetAsset(table.ToString()); });
  if (asset.ok()) {
    ref.tags = asset->tags;
  } else if (!asset.status().IsNotFound()) {  // not seen yet: no tags
    return asset.status();
  }
  return ref;
}

lake::AccessPolicy TablePolicy(const access::Principal& who, ServerContext& context) {
  return [who, &context](const lake::TableName& table) -> Result<lake::TableAccess> {
    const std::string deciding = "deciding what " + who.user + " may read";
    Result<access::TableRef> ref = TableRefOf(context, table);
    if (!ref.ok()) return ref.status().WithContext(deciding);
    lake::TableAccess verdict;
    if (!who.CanRead(*ref)) {
      verdict.readable = false;
      verdict.reason = "user " + who.user + " has no read grant on it";
      return verdict;
    }
    if (who.CanUnmask(*ref)) return verdict;
    Result<std::vector<catalog::ColumnInfo>> columns = context.WithCatalog(
        [&](catalog::Catalog& c) { return c.Columns(table.ToString()); });
    if (!columns.ok()) {  // a table the catalog has not seen yet has no classified columns
      if (columns.status().IsNotFound()) return verdict;
      return columns.status().WithContext(deciding);
    }
    for (const catalog::ColumnInfo& column : *columns) {
      for (const catalog::ClassificationRecord& pii : column.classifications) {
        if (pii.status == "confirmed" || pii.status == "proposed") {
          verdict.masked_columns.push_back(column.name);
          break;
        }
      }
    }
    return verdict;
  };
}

}  // namespace strata::server
