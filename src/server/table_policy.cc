#include "server/table_policy.h"

#include <string>
#include <vector>

#include "server/context.h"

namespace strata::server {

lake::AccessPolicy TablePolicy(const access::Principal& who, ServerContext& context) {
  return [who, &context](const lake::TableName& table) -> Result<lake::TableAccess> {
    const std::string name = table.layer + "." + table.name;
    access::TableRef ref{table.layer, table.name, {}};
    std::vector<catalog::ColumnInfo> columns;
    Status read = context.WithCatalog([&](catalog::Catalog& catalog) -> Status {
      Result<catalog::AssetInfo> asset = catalog.GetAsset(name);
      // A table the catalog has not seen yet has no tags and no classified columns.
      if (asset.status().IsNotFound()) return Status::OK();
      STRATA_RETURN_IF_ERROR(asset.status());
      ref.tags = asset->tags;
      STRATA_ASSIGN_OR_RETURN(columns, catalog.Columns(name));
      return Status::OK();
    });
    STRATA_RETURN_IF_ERROR(read.WithContext("deciding what " + who.user + " may read"));
    lake::TableAccess verdict;
    if (!who.CanRead(ref)) {
      verdict.readable = false;
      verdict.reason = "user " + who.user + " has no read grant on it";
      return verdict;
    }
    if (who.CanUnmask(ref)) return verdict;
    for (const catalog::ColumnInfo& column : columns) {
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
