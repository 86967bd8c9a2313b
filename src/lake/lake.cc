#include "lake/lake.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

#include "storage/delta/snapshot.h"

namespace strata::lake {
namespace {

constexpr size_t kMaxNamePart = 128;
constexpr std::string_view kMemoryScheme = "memory://";
constexpr std::string_view kFileScheme = "file://";

std::string JoinKey(std::string_view prefix, std::string_view rest) {
  if (prefix.empty()) return std::string(rest);
  return std::string(prefix) + "/" + std::string(rest);
}

// A store plus the key prefix inside it for "memory://name/prefix", "file:///dir" or a plain
// directory. Local directories must exist: LocalObjectStore::Open would create them.
struct StoreAndRoot {
  std::shared_ptr<storage::ObjectStore> store;
  std::string root;
};

Result<StoreAndRoot> OpenStoreAt(std::string_view location, std::string_view what) {
  if (location.substr(0, kMemoryScheme.size()) == kMemoryScheme) {
    std::string_view rest = location.substr(kMemoryScheme.size());
    size_t slash = rest.find('/');
    std::string name(rest.substr(0, slash));
    std::string root;
    if (slash != std::string_view::npos) root = std::string(rest.substr(slash + 1));
    while (!root.empty() && root.back() == '/') root.pop_back();
    if (!root.empty()) STRATA_RETURN_IF_ERROR(storage::ValidateKey(root));
    STRATA_ASSIGN_OR_RETURN(auto store,
                            storage::OpenObjectStore(std::string(kMemoryScheme) + name));
    return StoreAndRoot{std::move(store), std::move(root)};
  }
  std::string_view path = location;
  if (path.substr(0, kFileScheme.size()) == kFileScheme) path = path.substr(kFileScheme.size());
  if (path.empty()) return Status::InvalidArgument(std::string(what) + " path is empty");
  if (path.find("://") != std::string_view::npos) {
    return Status::InvalidArgument(
        std::string(what) + " '" + std::string(location) +
        "': only local directories, file:// and memory:// are supported");
  }
  std::error_code error;
  if (!std::filesystem::is_directory(std::string(path), error)) {
    return Status::NotFound(std::string(what) + " directory '" + std::string(path) +
                            "' does not exist");
  }
  STRATA_ASSIGN_OR_RETURN(auto store, storage::OpenObjectStore(std::string(location)));
  return StoreAndRoot{std::move(store), ""};
}

bool IsLogEntry(std::string_view file) {
  // Commits and checkpoints start with a 20-digit version; side files (_last_checkpoint, .crc
  // temporaries) do not make a table exist on their own.
  if (file.size() < 21) return false;
  return std::all_of(file.begin(), file.begin() + 20,
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

Status ValidateNamePart(std::string_view what, std::string_view part) {
  const std::string quoted = "'" + std::string(part) + "'";
  if (part.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  if (part.size() > kMaxNamePart) {
    return Status::InvalidArgument(std::string(what) + " " + quoted + " is longer than " +
                                   std::to_string(kMaxNamePart) + " characters");
  }
  if (std::isdigit(static_cast<unsigned char>(part[0]))) {
    return Status::InvalidArgument(std::string(what) + " " + quoted +
                                   " must start with a letter or '_'");
  }
  for (char c : part) {
    if (c == '_' || std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'z')) {
      continue;
    }
    return Status::InvalidArgument(std::string(what) + " " + quoted + " contains '" +
                                   std::string(1, c) + "'; use lower-case letters, digits and '_'");
  }
  return Status::OK();
}

Result<TableName> ParseTableName(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t dot = lowered.find('.');
  if (dot == std::string::npos) {
    return Status::InvalidArgument("table name '" + std::string(text) +
                                   "' needs a layer: write layer.name, e.g. bronze." + lowered);
  }
  TableName name{lowered.substr(0, dot), lowered.substr(dot + 1)};
  if (name.name.find('.') != std::string::npos) {
    return Status::InvalidArgument("table name '" + std::string(text) +
                                   "' has more than two parts; write layer.name");
  }
  Status layer = ValidateNamePart("layer", name.layer);
  if (!layer.ok()) return layer.WithContext("table name '" + std::string(text) + "'");
  Status part = ValidateNamePart("name", name.name);
  if (!part.ok()) return part.WithContext("table name '" + std::string(text) + "'");
  return name;
}

bool IsPathReference(std::string_view text) {
  return text.find('/') != std::string_view::npos || (!text.empty() && text.front() == '.');
}

Result<TableLocation> OpenTablePath(std::string_view path) {
  STRATA_ASSIGN_OR_RETURN(StoreAndRoot at, OpenStoreAt(path, "Delta table"));
  STRATA_ASSIGN_OR_RETURN(std::optional<int64_t> latest, delta::LatestVersion(*at.store, at.root));
  if (!latest) {
    return Status::NotFound("'" + std::string(path) +
                            "' is not a Delta table (no commits in _delta_log/)");
  }
  return TableLocation{std::move(at.store), std::move(at.root), std::string(path), std::nullopt};
}

Lake::Lake(std::shared_ptr<storage::ObjectStore> store, std::string root)
    : store_(std::move(store)), root_(std::move(root)) {}

Result<Lake> Lake::Open(std::string_view dir_or_uri) {
  STRATA_ASSIGN_OR_RETURN(StoreAndRoot at, OpenStoreAt(dir_or_uri, "lake"));
  return Lake(std::move(at.store), std::move(at.root));
}

std::string Lake::Describe() const {
  return root_.empty() ? store_->Uri() : store_->Uri() + "/" + root_;
}

std::string Lake::TableRoot(const TableName& name) const {
  return JoinKey(root_, name.layer + "/" + name.name);
}

TableLocation Lake::Locate(const TableName& name) const {
  return TableLocation{store_, TableRoot(name), name.ToString(), name};
}

Result<TableLocation> Lake::Resolve(std::string_view table_or_path) const {
  if (IsPathReference(table_or_path)) return OpenTablePath(table_or_path);
  STRATA_ASSIGN_OR_RETURN(TableName name, ParseTableName(table_or_path));
  return ResolveName(name);
}

Result<TableLocation> Lake::ResolveName(const TableName& name) const {
  TableLocation location = Locate(name);
  STRATA_ASSIGN_OR_RETURN(std::optional<int64_t> latest,
                          delta::LatestVersion(*store_, location.root));
  if (!latest) return TableNotFound(name);
  return location;
}

Result<bool> Lake::HasLayer(std::string_view layer) const {
  STRATA_RETURN_IF_ERROR(ValidateNamePart("layer", layer));
  STRATA_ASSIGN_OR_RETURN(storage::ListPage page,
                          store_->List(JoinKey(root_, std::string(layer) + "/"), "", 1));
  return !page.objects.empty();
}

Result<std::vector<TableName>> Lake::ListTables() const {
  const std::string prefix = root_.empty() ? "" : root_ + "/";
  STRATA_ASSIGN_OR_RETURN(std::vector<storage::ObjectInfo> objects,
                          storage::ListAll(*store_, prefix));
  std::set<TableName> tables;
  for (const storage::ObjectInfo& object : objects) {
    // <layer>/<name>/_delta_log/<file>, nothing deeper or shallower.
    std::string_view rest = std::string_view(object.key).substr(prefix.size());
    std::vector<std::string_view> parts;
    while (true) {
      size_t slash = rest.find('/');
      parts.push_back(rest.substr(0, slash));
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash + 1);
    }
    if (parts.size() != 4 || parts[2] != "_delta_log" || !IsLogEntry(parts[3])) continue;
    if (!ValidateNamePart("layer", parts[0]).ok() || !ValidateNamePart("name", parts[1]).ok()) {
      continue;
    }
    tables.insert(TableName{std::string(parts[0]), std::string(parts[1])});
  }
  return std::vector<TableName>(tables.begin(), tables.end());
}

Status Lake::TableNotFound(const TableName& name) const {
  std::string message = "table " + name.ToString() + " does not exist in the lake " + Describe();
  Result<std::vector<TableName>> tables = ListTables();
  if (!tables.ok()) return Status::NotFound(message);
  std::vector<std::string> names;
  for (const TableName& t : *tables) names.push_back(t.ToString());
  std::vector<std::string> close = CloseNames(name.ToString(), names);
  if (!close.empty()) {
    message += " (did you mean ";
    for (size_t i = 0; i < close.size(); ++i) message += (i ? ", " : "") + close[i];
    message += "?)";
  } else if (names.empty()) {
    message += " (the lake has no tables)";
  } else {
    message += " (it has " + std::to_string(names.size()) + " tables; see 'strata table list')";
  }
  return Status::NotFound(message);
}

std::vector<std::string> CloseNames(std::string_view wanted,
                                    const std::vector<std::string>& candidates, size_t max) {
  // Close enough to be a typo, or the same table in another layer (bronze.x for silver.x).
  const size_t limit = std::max<size_t>(2, wanted.size() / 4);
  const size_t dot = wanted.find('.');
  const std::string_view wanted_name =
      dot == std::string_view::npos ? wanted : wanted.substr(dot + 1);
  std::vector<std::pair<size_t, std::string>> scored;
  for (const std::string& candidate : candidates) {
    size_t distance = EditDistance(wanted, candidate);
    size_t cdot = candidate.find('.');
    bool same_name =
        cdot != std::string::npos && std::string_view(candidate).substr(cdot + 1) == wanted_name;
    if (distance <= limit || same_name) scored.emplace_back(distance, candidate);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < max; ++i) out.push_back(scored[i].second);
  return out;
}

}  // namespace strata::lake
