#include "catalog/location.h"

#include <filesystem>
#include <fstream>

#include "catalog/store.h"
#include "common/secrets.h"

namespace strata::catalog {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

Result<std::string> ResolveCatalogLocation(const std::string& project_dir,
                                           const std::string& override_location) {
  std::filesystem::path dir = project_dir.empty() ? "." : project_dir;
  std::string secrets_file = (dir / ".strata" / "secrets").string();
  if (!override_location.empty()) {
    Result<std::string> resolved = ResolveSecrets(override_location, secrets_file);
    if (!resolved.ok()) return resolved.status().WithContext("--catalog");
    return resolved;
  }
  if (!std::filesystem::is_directory(dir)) {
    return Status::NotFound("project directory " + dir.string() + " does not exist");
  }
  std::filesystem::path yaml = dir / "strata.yaml";
  std::string value;
  std::ifstream in(yaml);
  std::string line;
  int number = 0;
  while (in && std::getline(in, line)) {
    ++number;
    if (!line.starts_with("catalog:")) continue;
    std::string rest = line.substr(8);
    // A comment starts at " #" outside quotes; values here are paths or URLs without quotes
    // inside, so a simple scan suffices.
    char quote = 0;
    std::string out;
    for (size_t i = 0; i < rest.size(); ++i) {
      char c = rest[i];
      if (quote) {
        if (c == quote) {
          quote = 0;
          continue;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
        continue;
      } else if (c == '#' && (i == 0 || rest[i - 1] == ' ' || rest[i - 1] == '\t')) {
        break;
      }
      out += c;
    }
    value = Trim(out);
    if (value.empty() || value == "|" || value == ">" || value.starts_with("{") ||
        value.starts_with("[")) {
      return Status::InvalidArgument(yaml.string() + ":" + std::to_string(number) +
                                     ": catalog: expected a SQLite path or a postgresql:// URL");
    }
    break;
  }
  if (value.empty()) value = ".strata/catalog.db";
  Result<std::string> resolved = ResolveSecrets(value, secrets_file);
  if (!resolved.ok()) return resolved.status().WithContext(yaml.string() + ": catalog");
  value = *resolved;
  if (IsPostgresUrl(value) || std::filesystem::path(value).is_absolute()) return value;
  return (dir / value).lexically_normal().string();
}

}  // namespace strata::catalog
