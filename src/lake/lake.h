// The lake: where strata's Delta tables live and how they are named.
//
// A lake is an ObjectStore plus a root prefix. Table `layer.name` (bronze.pedidos,
// bronze.pedidos__quarantine, gold.vendas) is the Delta table at `<root>/<layer>/<name>/`.
// Anything that looks like a path (contains '/' or starts with '.') names a Delta table directly
// instead: a local directory, or a store URI such as "memory://store/some/table".
//
// Contract:
//  - Names are ASCII, case-insensitive like SQL identifiers (folded to lower case), each part
//    [a-z_][a-z0-9_]* and at most 128 characters. A bad name is InvalidArgument naming the part
//    that is wrong and why.
//  - A table exists when its `_delta_log/` holds a commit or checkpoint. Resolving a missing
//    table is NotFound naming it, with close names from the lake when there are any.
//  - Nothing here creates directories or objects: opening a lake or a path never writes.
// Thread safety: a Lake is immutable; share it (its store is thread-safe).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "storage/object_store.h"

namespace strata::lake {

struct TableName {
  std::string layer;  // "bronze"
  std::string name;   // "pedidos"

  std::string ToString() const { return layer + "." + name; }
  friend auto operator<=>(const TableName&, const TableName&) = default;
};

// Validates one part of a name; `what` ("layer", "table name") starts the error message.
Status ValidateNamePart(std::string_view what, std::string_view part);
// "bronze.pedidos" -> {bronze, pedidos}, folded to lower case.
Result<TableName> ParseTableName(std::string_view text);
// True for arguments that name a table by path: contains '/' or starts with '.'.
bool IsPathReference(std::string_view text);

// Where one Delta table lives.
struct TableLocation {
  std::shared_ptr<storage::ObjectStore> store;
  std::string root;               // the table's key prefix in `store` ("" = the store root)
  std::string display;            // for messages: "bronze.pedidos" or the path as given
  std::optional<TableName> name;  // set for lake tables, unset for path references
};

// Opens the Delta table at a local directory or "memory://name/prefix" URI, without a lake.
// NotFound if it has no `_delta_log/` commit.
Result<TableLocation> OpenTablePath(std::string_view path);

class Lake {
 public:
  Lake(std::shared_ptr<storage::ObjectStore> store, std::string root);

  // A lake on a local directory (NotFound if it does not exist: opening never creates it) or a
  // store URI ("memory://name", "file:///abs/dir").
  static Result<Lake> Open(std::string_view dir_or_uri);

  storage::ObjectStore& store() const { return *store_; }
  const std::shared_ptr<storage::ObjectStore>& shared_store() const { return store_; }
  const std::string& root() const { return root_; }
  // "memory://x" or "file:///abs/lake[/root]", for messages.
  std::string Describe() const;

  // The key prefix of a table (whether or not it exists).
  std::string TableRoot(const TableName& name) const;
  TableLocation Locate(const TableName& name) const;

  // TABLE or PATH (see IsPathReference), checked to exist.
  Result<TableLocation> Resolve(std::string_view table_or_path) const;
  Result<TableLocation> ResolveName(const TableName& name) const;

  // True if `layer` has at least one object under it (a layer is just a directory).
  Result<bool> HasLayer(std::string_view layer) const;

  // Every table of the lake (directories `<layer>/<name>/` holding `_delta_log/` commits),
  // sorted. Directories whose names are not valid table names are skipped.
  Result<std::vector<TableName>> ListTables() const;

  // NotFound for `name`, naming the close matches among `ListTables()`.
  Status TableNotFound(const TableName& name) const;

 private:
  std::shared_ptr<storage::ObjectStore> store_;
  std::string root_;
};

// Up to `max` entries of `candidates` close to `wanted` (edit distance), closest first.
std::vector<std::string> CloseNames(std::string_view wanted,
                                    const std::vector<std::string>& candidates, size_t max = 5);

}  // namespace strata::lake
